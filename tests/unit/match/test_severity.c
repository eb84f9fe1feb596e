/*
 * The severity rule (vuln/severity.c, docs/severity.md) from a table of
 * inputs, the priority key's order, and the rule at work in the matcher:
 * NVD Primary scores reaching an advisory without a severity, a vendor
 * rating beating NVD, KEV and EPSS reaching findings through an alias, and
 * the new finding fields surviving the result JSON round trip.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pkg.h"
#include "bus/msg_result.h"
#include "testutil.h"
#include "vuln/match.h"
#include "vuln/severity.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

#define NO -1.0

typedef struct sev_case {
    const char *what;
    const char *vendor, *advisory;
    double adv_cvss;
    int adv_version;
    double nvd31, nvd30, nvd40, nvd2;
    const char *severity, *source;
    double score;
} sev_case;

static const sev_case cases[] = {
    {"nothing at all", NULL, NULL, NO, 0, NO, NO, NO, NO, "UNKNOWN", NULL, NO},
    {"vendor beats everything", "low", "CRITICAL", 9.8, 31, 9.8, NO, NO, NO, "LOW", "vendor", NO},
    {"Debian unimportant is LOW", "unimportant", NULL, NO, 0, 9.8, NO, NO, NO, "LOW", "vendor", NO},
    {"Ubuntu negligible is LOW", "negligible", NULL, NO, 0, NO, NO, NO, NO, "LOW", "vendor", NO},
    {"unknown vendor word falls through", "not yet assigned", NULL, NO, 0, 7.5, NO, NO, NO, "HIGH",
     "nvd-v3.1", 7.5},
    {"advisory vector beats its word and NVD", NULL, "LOW", 9.1, 31, 5.0, NO, NO, NO, "CRITICAL",
     "advisory", 9.1},
    {"advisory v4 vector", NULL, NULL, 6.9, 40, 9.8, NO, NO, NO, "MEDIUM", "advisory", 6.9},
    {"advisory v2 vector uses v2 bands", NULL, NULL, 9.3, 20, NO, NO, NO, NO, "HIGH", "advisory",
     9.3},
    {"advisory word (GHSA moderate)", NULL, "moderate", NO, 0, 9.8, NO, NO, NO, "MEDIUM",
     "advisory", NO},
    {"advisory word (Red Hat important)", NULL, "Important", NO, 0, NO, NO, NO, NO, "HIGH",
     "advisory", NO},
    {"NVD v3.1 first", NULL, NULL, NO, 0, 5.5, 9.8, 9.3, 10.0, "MEDIUM", "nvd-v3.1", 5.5},
    {"then v3.0", NULL, NULL, NO, 0, NO, 7.5, 9.3, 5.0, "HIGH", "nvd-v3.0", 7.5},
    {"then v4.0", NULL, NULL, NO, 0, NO, NO, 9.3, 5.0, "CRITICAL", "nvd-v4.0", 9.3},
    {"then v2 (no CRITICAL in v2)", NULL, NULL, NO, 0, NO, NO, NO, 10.0, "HIGH", "nvd-v2", 10.0},
    {"v2 band edges", NULL, NULL, NO, 0, NO, NO, NO, 3.9, "LOW", "nvd-v2", 3.9},
    {"v2 band edges", NULL, NULL, NO, 0, NO, NO, NO, 4.0, "MEDIUM", "nvd-v2", 4.0},
    {"v3 band edges", NULL, NULL, NO, 0, 8.9, NO, NO, NO, "HIGH", "nvd-v3.1", 8.9},
    {"v3 band edges", NULL, NULL, NO, 0, 9.0, NO, NO, NO, "CRITICAL", "nvd-v3.1", 9.0},
    {"v3 band edges", NULL, NULL, NO, 0, 0.1, NO, NO, NO, "LOW", "nvd-v3.1", 0.1},
    {"a 0.0 score is NONE", NULL, NULL, NO, 0, 0.0, NO, NO, NO, "NONE", "nvd-v3.1", 0.0},
};

static void test_severity_rule__table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const sev_case *c = &cases[i];
        sf_sev_inputs in;
        sf_sev_decision d;
        sf_sev_inputs_init(&in);
        in.vendor = c->vendor;
        in.advisory = c->advisory;
        in.advisory_cvss = c->adv_cvss;
        in.advisory_cvss_version = c->adv_version;
        in.nvd[SF_SEV_NVD31] = c->nvd31;
        in.nvd[SF_SEV_NVD30] = c->nvd30;
        in.nvd[SF_SEV_NVD40] = c->nvd40;
        in.nvd[SF_SEV_NVD2] = c->nvd2;
        sf_severity_decide(&in, &d);
        if (strcmp(d.severity, c->severity) != 0 ||
            (c->source ? !d.source || strcmp(d.source, c->source) : d.source != NULL) ||
            fabs(d.score - c->score) > 1e-9)
            fail_msg("%s: got %s from %s (%.1f), want %s from %s (%.1f)", c->what, d.severity,
                     d.source ? d.source : "nothing", d.score, c->severity,
                     c->source ? c->source : "nothing", c->score);
    }
}

static void test_severity_priority__order(void **state)
{
    (void)state;
    /* Each row must sort strictly above the next. */
    const long order[] = {
        sf_priority(1, 0.01, 2.0, 0),  /* any KEV entry first */
        sf_priority(0, 0.999, 2.0, 0), /* then the EPSS percentile */
        sf_priority(0, 0.5, 9.8, 0),
        sf_priority(0, 0.5, 9.7, 1),   /* then CVSS */
        sf_priority(0, 0.5, 9.7, 0),   /* then fixable */
        sf_priority(0, -1, 10.0, 1),   /* no EPSS counts as 0 */
        sf_priority(0, -1, -1, 1),
        sf_priority(0, -1, -1, 0),
    };
    for (size_t i = 1; i < sizeof order / sizeof order[0]; i++)
        if (!(order[i - 1] > order[i]))
            fail_msg("row %zu (%ld) does not sort above row %zu (%ld)", i - 1, order[i - 1], i,
                     order[i]);
    assert_int_equal(sf_priority(1, 1.0, 10.0, 1), 100000000L + 10000000L + 1000 + 1);
}

/* ---- the rule in the matcher ---- */

static void add_adv(sf_vdb_builder *b, const char *id, const char *alias, const char *vendor,
                    const char *vec)
{
    assert_int_equal(sf_vdb_rec_begin(b, id), SF_OK);
    if (alias)
        assert_int_equal(sf_vdb_rec_alias(b, alias), SF_OK);
    if (vendor)
        assert_int_equal(sf_vdb_rec_vendor_severity(b, vendor), SF_OK);
    if (vec)
        assert_int_equal(sf_vdb_rec_cvss(b, vec), SF_OK);
    assert_int_equal(sf_vdb_rec_affected(b, "Alpine:v3.10", id), SF_OK);
    assert_int_equal(sf_vdb_rec_range(b, SF_VRNG_ECOSYSTEM), SF_OK);
    assert_int_equal(sf_vdb_rec_event(b, SF_VEV_INTRODUCED, "0"), SF_OK);
    assert_int_equal(sf_vdb_rec_event(b, SF_VEV_FIXED, "2.0-r0"), SF_OK);
    assert_int_equal(sf_vdb_rec_commit(b), SF_OK);
}

typedef struct fx {
    void *img;
    sf_vdb *db;
    sf_findings f;
} fx;

static const sf_finding *match_one(fx *x, const char *pkg)
{
    sf_osinfo os = {.id = "alpine", .version_id = "3.10.3"};
    sf_pkg p = {.type = SF_PT_APK, .name = (char *)pkg, .version = "1.0-r0", .layer = 0};
    sf_error err = SF_ERROR_INIT;
    sf_findings_clear(&x->f);
    assert_int_equal(sf_match_packages(x->db, &os, &p, 1, &x->f, &err), SF_OK);
    assert_int_equal(x->f.n, 1);
    return &x->f.items[0];
}

static int encode_r(void *ctx)
{
    sf_buf o;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&o, 0);
    int rc = sf_result_encode(ctx, &o, &e);
    sf_buf_free(&o);
    return rc;
}

static void test_severity_match__nvd_vendor_kev_epss(void **state)
{
    (void)state;
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    /* busybox's CVE: NVD says v3.1 7.2 HIGH (Primary), v2 6.5. */
    add_adv(b, "CVE-2021-42386", NULL, NULL, NULL);
    /* A distro record aliasing it, with its own urgency. */
    add_adv(b, "DSA-9999-1", "CVE-2021-42374", "low", NULL);
    /* An advisory for a KEV CVE (polkit pkexec), by alias. */
    add_adv(b, "ALPINE-CVE-2021-4034", "CVE-2021-4034", NULL,
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H");
    assert_int_equal(sf_vdb_import_path(b, sf_t_corpus("vulndb/nvd"), &err), SF_OK);
    assert_int_equal(sf_vdb_import_path(b, sf_t_corpus("vulndb/kev"), &err), SF_OK);
    static const char epss[] = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\n"
                               "cve,epss,percentile\nCVE-2021-4034,0.8745,0.99412\n"
                               "CVE-2021-42386,0.00321,0.55\n";
    assert_int_equal(sf_vdb_import_buf(b, "epss.csv", epss, sizeof epss - 1, &err), SF_OK);
    fx x = {0};
    size_t len;
    assert_int_equal(sf_vdb_builder_serialize(b, &x.img, &len, &err), SF_OK);
    assert_int_equal(sf_vdb_open_mem(&x.db, x.img, len, &err), SF_OK);
    sf_findings_init(&x.f);

    const sf_finding *f = match_one(&x, "CVE-2021-42386");
    assert_string_equal(f->severity, "HIGH");
    assert_string_equal(f->severity_source, "nvd-v3.1");
    assert_true(fabs(f->cvss - 7.2) < 1e-9);
    assert_string_equal(f->cvss_vector, "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H");
    assert_int_equal(f->ncvss, 3); /* v3.1 Primary + Secondary, v2 Primary */
    assert_string_equal(f->cvss_all[2].version, "2.0");
    assert_string_equal(f->cvss_all[1].type, "Secondary");
    assert_int_equal(f->kev, 0);
    assert_true(fabs(f->epss_pct - 0.55) < 1e-6);
    assert_int_equal(f->priority, sf_priority(0, f->epss_pct, 7.2, 1));

    f = match_one(&x, "DSA-9999-1");
    assert_string_equal(f->severity, "LOW"); /* the vendor's urgency, though NVD says MEDIUM */
    assert_string_equal(f->severity_source, "vendor");
    /* A word carries no score: the number shown is NVD's, with its vector. */
    assert_true(fabs(f->cvss - 5.3) < 1e-9);
    assert_string_equal(f->cvss_vector, "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:H");
    assert_int_equal(f->ncvss, 3); /* NVD's metrics of CVE-2021-42374 still listed */

    f = match_one(&x, "ALPINE-CVE-2021-4034");
    assert_string_equal(f->id, "CVE-2021-4034");
    assert_string_equal(f->severity, "HIGH");
    assert_string_equal(f->severity_source, "advisory");
    assert_int_equal(f->kev, 1);
    assert_string_equal(f->kev_added, "2022-06-27");
    assert_non_null(f->kev_due);
    assert_true(fabs(f->epss - 0.8745) < 1e-6);
    assert_string_equal(f->epss_date, "2025-08-25T12:55:00Z");
    assert_true(f->priority > 100000000L);

    /* The fields survive scanfarm.result/v1. */
    sf_result r;
    sf_result_init(&r);
    r.digest = strdup("sha256:00");
    r.db_version = strdup("test");
    r.vulns = x.f;
    sf_findings_init(&x.f);
    sf_buf out;
    sf_buf_init(&out, 0);
    assert_int_equal(sf_result_encode(&r, &out, &err), SF_OK);
    sf_result back;
    if (sf_result_decode(out.data, out.len, &back, &err) != SF_OK)
        fail_msg("%s", err.msg);
    const sf_finding *g = &back.vulns.items[0];
    assert_int_equal(g->kev, 1);
    assert_string_equal(g->kev_added, "2022-06-27");
    assert_string_equal(g->severity_source, "advisory");
    assert_true(fabs(g->epss_pct - 0.99412) < 1e-6);
    assert_int_equal(g->priority, r.vulns.items[0].priority);
    assert_int_equal(g->ncvss, r.vulns.items[0].ncvss);
    json_t *j = json_loadb(out.data, out.len, 0, NULL);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "kev")), 1);
    json_decref(j);
    sf_buf_free(&out);
    /* Every allocation of the encode failing in turn: an error each time,
     * never a crash, double free or leak (the summary and the top-level
     * arrays were freed twice or leaked on that path). */
    assert_true(sf_t_json_oom_sweep(encode_r, &r) > 20);
    sf_result_clear(&back);
    sf_result_clear(&r);
    sf_vdb_close(x.db);
    free(x.img);
    sf_vdb_builder_free(b);
}

/* Vendor ratings from the sources: a Debian tracker urgency, an Ubuntu
 * OSV priority; both beat NVD's v3.1 score for the same CVE. */
static void test_severity_match__vendor_sources(void **state)
{
    (void)state;
    static const char tracker[] =
        "[12 Jan 2022] DSA-9001-1 busybox - security update\n"
        "\t{CVE-2021-42386}\n"
        "\t[bullseye] - busybox 1:1.30.1-6+deb11u1 (bug #1001; medium)\n"
        "[13 Jan 2022] DSA-9002-1 busybox - security update\n"
        "\t{CVE-2021-42374}\n"
        "\t[bullseye] - busybox 1:1.30.1-6+deb11u2 (not yet assigned)\n";
    static const char ubuntu[] =
        "{\"id\":\"UBUNTU-CVE-2021-42377\",\"aliases\":[\"CVE-2021-42377\"],"
        "\"modified\":\"2021-11-15T00:00:00Z\",\"severity\":[{\"type\":\"Ubuntu\","
        "\"score\":\"negligible\"}],\"affected\":[{\"package\":{\"ecosystem\":"
        "\"Ubuntu:22.04:LTS\",\"name\":\"busybox\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
        "\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"1:1.30.1-7ubuntu3\"}]}]}]}";
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    assert_int_equal(sf_vdb_import_buf(b, "DSA-list", tracker, sizeof tracker - 1, &err), SF_OK);
    assert_int_equal(sf_vdb_import_buf(b, "u.json", ubuntu, sizeof ubuntu - 1, &err), SF_OK);
    assert_int_equal(sf_vdb_import_path(b, sf_t_corpus("vulndb/nvd"), &err), SF_OK);
    void *img = NULL;
    size_t len;
    sf_vdb *db = NULL;
    assert_int_equal(sf_vdb_builder_serialize(b, &img, &len, &err), SF_OK);
    assert_int_equal(sf_vdb_open_mem(&db, img, len, &err), SF_OK);
    static const struct {
        const char *os, *ver, *pkgver, *id, *sev, *src;
    } want[] = {
        {"debian", "11", "1:1.30.1-6", "CVE-2021-42386", "MEDIUM", "vendor"}, /* NVD: HIGH */
        {"debian", "11", "1:1.30.1-6", "CVE-2021-42374", "MEDIUM", "nvd-v3.1"},
        {"ubuntu", "22.04", "1:1.30.1-7ubuntu1", "CVE-2021-42377", "LOW", "vendor"}, /* NVD 9.8 */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        sf_osinfo os = {.id = (char *)want[i].os, .version_id = (char *)want[i].ver};
        sf_pkg p = {.type = SF_PT_DPKG, .name = "busybox", .version = (char *)want[i].pkgver,
                    .layer = 0};
        sf_findings f;
        sf_findings_init(&f);
        assert_int_equal(sf_match_packages(db, &os, &p, 1, &f, &err), SF_OK);
        const sf_finding *hit = NULL;
        for (size_t k = 0; k < f.n; k++)
            if (strcmp(f.items[k].id, want[i].id) == 0)
                hit = &f.items[k];
        if (!hit)
            fail_msg("%s: no finding", want[i].id);
        if (strcmp(hit->severity, want[i].sev) || strcmp(hit->severity_source, want[i].src))
            fail_msg("%s: %s from %s, want %s from %s", want[i].id, hit->severity,
                     hit->severity_source, want[i].sev, want[i].src);
        sf_findings_clear(&f);
    }
    sf_vdb_close(db);
    free(img);
    sf_vdb_builder_free(b);
}

/* A v1 document from before these fields decodes with them absent. */
static void test_severity_result__old_document(void **state)
{
    (void)state;
    static const char doc[] =
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:00\",\"vulnerabilities\":[{"
        "\"id\":\"CVE-2020-28928\",\"package\":\"musl\",\"severity\":\"MEDIUM\",\"cvss\":5.5}]}";
    sf_result r;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_result_decode(doc, sizeof doc - 1, &r, &err), SF_OK);
    assert_int_equal(r.vulns.n, 1);
    assert_int_equal(r.vulns.items[0].kev, 0);
    assert_true(r.vulns.items[0].epss < 0);
    assert_null(r.vulns.items[0].severity_source);
    assert_int_equal(r.vulns.items[0].ncvss, 0);
    sf_result_clear(&r);
    static const char bad[] = "{\"schema\":\"scanfarm.result/v1\",\"vulnerabilities\":[{"
                              "\"id\":\"X-1\",\"cvss_metrics\":[{\"score\":\"high\"}]}]}";
    assert_int_equal(sf_result_decode(bad, sizeof bad - 1, &r, &err), SF_EPARSE);
    sf_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_severity_rule__table),
        cmocka_unit_test(test_severity_priority__order),
        cmocka_unit_test(test_severity_match__nvd_vendor_kev_epss),
        cmocka_unit_test(test_severity_match__vendor_sources),
        cmocka_unit_test(test_severity_result__old_document),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
