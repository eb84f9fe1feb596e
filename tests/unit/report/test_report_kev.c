/*
 * Reports and KEV / EPSS / priority: findings carrying kev and epss pass
 * result -> aggregator view -> stored view JSON -> report; the report's
 * "exploited in the wild" section comes first in every rendering, the
 * priority list is ordered KEV, EPSS percentile, CVSS, fixable, the
 * UNKNOWN share is shown, and SARIF's security-severity is the CVSS score.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fleet/report.h"

/* One result document with findings "id:sev:cvss:kev:epss:pct:fixed" ('-' = none). */
static char *result_doc(char dc, const char *const *vulns, size_t n)
{
    json_t *vs = json_array();
    for (size_t i = 0; i < n; i++) {
        char id[32], sev[16], fixed[16];
        double cvss, epss, pct;
        int kev;
        assert_int_equal(sscanf(vulns[i], "%31[^:]:%15[^:]:%lf:%d:%lf:%lf:%15s", id, sev, &cvss,
                                &kev, &epss, &pct, fixed),
                         7);
        json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:o}", "id", id, "package", "openssl",
                              "ecosystem", "Alpine:v3.10", "installed", "1.0", "fixed",
                              strcmp(fixed, "-") ? json_string(fixed) : json_null(), "severity",
                              sev, "cvss", cvss >= 0 ? json_real(cvss) : json_null());
        json_object_set_new(v, "kev", kev ? json_pack("{s:s,s:s,s:b}", "date_added", "2022-01-01",
                                                      "due_date", "2022-01-22", "ransomware", 0)
                                          : json_null());
        json_object_set_new(v, "epss", epss >= 0 ? json_pack("{s:f,s:f,s:s}", "score", epss,
                                                             "percentile", pct, "date",
                                                             "2025-08-25")
                                                 : json_null());
        json_array_append_new(vs, v);
    }
    char digest[80];
    snprintf(digest, sizeof digest, "sha256:%064d", dc - '0');
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:[s],s:o,s:s,s:n}", "schema", "scanfarm.result/v1",
                            "run_id", "run1", "digest", digest, "db_version", "db1", "refs",
                            "r.io/a:1", "vulnerabilities", vs, "scanned_at",
                            "2026-01-01T00:00:00Z", "error");
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return s;
}

static sf_report *build(void)
{
    static const char *const img1[] = {
        "CVE-2021-44228:CRITICAL:10.0:1:0.94:0.999:2.15",
        "CVE-2020-0001:CRITICAL:9.8:0:0.5:0.97:-",
        "CVE-2020-0002:HIGH:7.5:0:-1:-1:1.1",
        "CVE-2020-0003:UNKNOWN:-1:0:-1:-1:-",
    };
    static const char *const img2[] = {
        "CVE-2021-4034:HIGH:7.8:1:0.87:0.994:0.120",
        "CVE-2020-0003:UNKNOWN:-1:0:-1:-1:-",
        "CVE-2020-0004:UNKNOWN:-1:0:0.01:0.2:-",
    };
    sf_report *r = NULL;
    assert_int_equal(sf_report_new(&r), SF_OK);
    for (int i = 0; i < 2; i++) {
        char *doc = i == 0 ? result_doc('1', img1, 4) : result_doc('2', img2, 3);
        sf_agg_view *v = NULL, *back = NULL;
        sf_error err = SF_ERROR_INIT;
        if (sf_agg_view_from_result(doc, strlen(doc), &v, &err) != SF_OK)
            fail_msg("%s", err.msg);
        /* Through the stored form, as the report reads it from Redis. */
        sf_buf b;
        sf_buf_init(&b, 0);
        assert_int_equal(sf_agg_view_json(v, &b), SF_OK);
        assert_int_equal(sf_agg_view_parse(b.data, b.len, &back, &err), SF_OK);
        sf_buf_free(&b);
        sf_agg_view_free(v);
        assert_int_equal(sf_report_add(r, back), SF_OK);
        free(doc);
    }
    assert_int_equal(sf_report_finish(r), SF_OK);
    return r;
}

static void test_report_kev__model(void **state)
{
    (void)state;
    sf_report *r = build();
    assert_int_equal(r->findings, 7);
    assert_int_equal(r->nkev, 2);
    assert_int_equal(r->kev_findings, 2);
    assert_true(sf_report_unknown_share(r) > 3.0 / 7 - 1e-9 &&
                sf_report_unknown_share(r) < 3.0 / 7 + 1e-9);
    /* KEV first (by EPSS percentile), then EPSS, then CVSS. */
    static const char *const order[] = {"CVE-2021-44228", "CVE-2021-4034", "CVE-2020-0001",
                                        "CVE-2020-0004", "CVE-2020-0002", "CVE-2020-0003"};
    assert_int_equal(r->ncves, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(r->by_priority[i].id, order[i]);
    assert_true(r->by_priority[0].epss > 0.93);
    sf_report_free(r);
}

static void test_report_kev__exploited_first_everywhere(void **state)
{
    (void)state;
    sf_report *r = build();
    sf_buf t, j, h, s;
    sf_buf_init(&t, 0);
    sf_buf_init(&j, 0);
    sf_buf_init(&h, 0);
    sf_buf_init(&s, 0);
    assert_int_equal(sf_report_table(r, &t), SF_OK);
    const char *ex = strstr(t.data, "EXPLOITED IN THE WILD (CISA KEV): 2 CVEs, 2 findings");
    assert_non_null(ex);
    assert_true(ex < strstr(t.data, "images scanned"));
    assert_true(strstr(t.data, "CVE-2021-44228") < strstr(t.data, "CVE-2021-4034"));
    assert_non_null(strstr(t.data, "(42.9% unknown)"));
    assert_int_equal(sf_report_json(r, &j), SF_OK);
    json_t *o = json_loadb(j.data, j.len, 0, NULL);
    json_t *exp = json_object_get(o, "exploited");
    assert_int_equal(json_array_size(exp), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(exp, 0), "id")),
                        "CVE-2021-44228");
    assert_true(json_is_true(json_object_get(json_array_get(exp, 1), "kev")));
    assert_true(json_number_value(json_object_get(o, "unknown_share")) > 0.42);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(o, "top_priority"), 2), "id")),
                        "CVE-2020-0001");
    json_decref(o);
    assert_int_equal(sf_report_html(r, &h), SF_OK);
    const char *hx = strstr(h.data, "Exploited in the wild (CISA KEV): 2 CVEs");
    assert_non_null(hx);
    assert_true(hx < strstr(h.data, "Findings by severity per registry"));
    assert_non_null(strstr(h.data, "severity unknown"));
    assert_int_equal(sf_report_sarif(r, &s), SF_OK);
    o = json_loadb(s.data, s.len, 0, NULL);
    json_t *run = json_array_get(json_object_get(o, "runs"), 0);
    json_t *rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
    size_t i;
    json_t *rule;
    int seen = 0;
    json_array_foreach(rules, i, rule)
    {
        const char *id = json_string_value(json_object_get(rule, "id"));
        const char *ss = json_string_value(
            json_object_get(json_object_get(rule, "properties"), "security-severity"));
        if (strcmp(id, "CVE-2021-4034") == 0)
            seen += strcmp(ss, "7.8") == 0;
        if (strcmp(id, "CVE-2020-0001") == 0)
            seen += strcmp(ss, "9.8") == 0;
    }
    assert_int_equal(seen, 2);
    json_t *res;
    int kev = 0;
    json_array_foreach(json_object_get(run, "results"), i, res)
        kev += json_is_true(json_object_get(json_object_get(res, "properties"), "kev"));
    assert_int_equal(kev, 2);
    json_decref(o);
    sf_buf_free(&t);
    sf_buf_free(&j);
    sf_buf_free(&h);
    sf_buf_free(&s);
    sf_report_free(r);
}

/* A view stored before KEV/EPSS existed parses with neither. */
static void test_report_kev__old_stored_view(void **state)
{
    (void)state;
    static const char old[] = "{\"d\":\"sha256:0000000000000000000000000000000000000000000000000000000000000001\","
                              "\"j\":\"x\",\"r\":\"run1\",\"v\":\"db1\",\"t\":0,\"refs\":[\"r.io/a:1\"],"
                              "\"vulns\":[[\"CVE-1\",\"openssl\",\"1\",null,null,\"HIGH\",7.5]]}";
    sf_agg_view *v = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_agg_view_parse(old, sizeof old - 1, &v, &err), SF_OK);
    assert_int_equal(v->nvulns, 1);
    assert_int_equal(v->vulns[0].kev, 0);
    assert_true(v->vulns[0].epss < 0);
    sf_agg_view_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_kev__model),
        cmocka_unit_test(test_report_kev__exploited_first_everywhere),
        cmocka_unit_test(test_report_kev__old_stored_view),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
