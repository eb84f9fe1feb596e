/* Unit tests of what a rematch publishes for an affected image
 * (fleet/rematch_doc.c): the stored result rewritten for the new DB (the
 * removed findings gone, the added ones there, the summary recounted, the
 * run and DB named) and the findings delta; and both under allocation
 * failure, where a document with a finding missing would read downstream
 * as a fix. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fleet/rematch_int.h"
#include "testutil.h"

static const char STORED[] =
    "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"r1\",\"digest\":\"sha256:aa\","
    "\"db_version\":\"db1\",\"produced_at\":\"2026-01-01T00:00:00Z\","
    "\"vulnerabilities\":["
    "{\"id\":\"CVE-1\",\"package\":\"openssl\",\"installed\":\"1.0\",\"fixed\":\"1.1\","
    "\"severity\":\"HIGH\"},"
    "{\"id\":\"CVE-2\",\"package\":\"zlib\",\"installed\":\"1.2\",\"severity\":\"LOW\"},"
    "{\"id\":\"CVE-2\",\"package\":\"zlib\",\"installed\":\"1.3\",\"severity\":\"LOW\"}],"
    "\"summary\":{\"packages\":7,\"vulnerabilities\":3,\"fixable\":1},"
    "\"timings\":{\"total_ms\":5}}";

typedef struct {
    sf_agg_view v;
    sf_agg_vuln add[1], rem[1];
    rm_img im;
    char *refs[2];
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    f->refs[0] = "r.io/a:1";
    f->refs[1] = "r.io/a:latest";
    f->v.digest = "sha256:aa";
    f->v.db_version = "db1";
    f->v.refs = f->refs;
    f->v.nrefs = 2;
    f->add[0] = (sf_agg_vuln){.id = "CVE-9", .pkg = "musl", .eco = "Alpine:v3.19",
                              .installed = "1.2.4", .fixed = "1.2.5", .sev = SF_SEV_CRITICAL,
                              .cvss = 9.8};
    /* the zlib 1.2 finding only: the 1.3 one has another installed version */
    f->rem[0] = (sf_agg_vuln){.id = "CVE-2", .pkg = "zlib", .installed = "1.2", .sev = SF_SEV_LOW,
                              .cvss = -1};
    f->im = (rm_img){&f->v, f->add, 1, f->rem, 1};
}

static json_t *stored(void)
{
    json_t *j = json_loads(STORED, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_int_t sum_int(const json_t *doc, const char *k)
{
    return json_integer_value(json_object_get(json_object_get(doc, "summary"), k));
}

static void test_rematch_doc__result_swaps_the_changed_findings(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    json_t *doc = rm_result_doc(stored(), &f.im, "rm-2", "db2", "2026-02-02T00:00:00Z");
    assert_non_null(doc);
    json_t *vs = json_object_get(doc, "vulnerabilities");
    assert_int_equal(json_array_size(vs), 3);
    const char *want[][2] = {{"CVE-1", "1.0"}, {"CVE-2", "1.3"}, {"CVE-9", "1.2.4"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *x = json_array_get(vs, i);
        assert_string_equal(json_string_value(json_object_get(x, "id")), want[i][0]);
        assert_string_equal(json_string_value(json_object_get(x, "installed")), want[i][1]);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(vs, 2), "severity")),
                        "CRITICAL");
    assert_int_equal(sum_int(doc, "vulnerabilities"), 3);
    assert_int_equal(sum_int(doc, "fixable"), 2);
    assert_int_equal(sum_int(doc, "packages"), 7); /* a rematch changes no package */
    json_t *bs = json_object_get(json_object_get(doc, "summary"), "by_severity");
    assert_int_equal(json_integer_value(json_object_get(bs, "CRITICAL")), 1);
    assert_int_equal(json_integer_value(json_object_get(bs, "LOW")), 1);
    assert_string_equal(json_string_value(json_object_get(doc, "run_id")), "rm-2");
    assert_string_equal(json_string_value(json_object_get(doc, "db_version")), "db2");
    assert_string_equal(json_string_value(json_object_get(doc, "rematched_from")), "db1");
    json_t *t = json_object_get(doc, "timings");
    assert_string_equal(json_string_value(json_object_get(t, "finished_at")),
                        "2026-02-02T00:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(t, "total_ms")), 5);
    assert_null(json_object_get(doc, "produced_at"));
    json_decref(doc);
}

static void test_rematch_doc__result_not_an_object_is_refused(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_null(rm_result_doc(json_loads("[1]", 0, NULL), &f.im, "r", "d", "t"));
    assert_null(rm_result_doc(NULL, &f.im, "r", "d", "t"));
    /* no timings object: one is made for the finish time */
    json_t *doc = rm_result_doc(json_loads("{\"timings\":3}", 0, NULL), &f.im, "r", "d", "t");
    assert_non_null(doc);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(doc, "timings"), "finished_at")), "t");
    json_decref(doc);
}

static void test_rematch_doc__delta_lists_both_sides(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    json_t *d = rm_delta_doc(&f.im, "rm-2", "db2", "now", 1);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "schema")), SF_FINDINGS_SCHEMA);
    assert_string_equal(json_string_value(json_object_get(d, "previous_db_version")), "db1");
    assert_int_equal(json_array_size(json_object_get(d, "refs")), 2);
    json_t *add = json_object_get(d, "added"), *rem = json_object_get(d, "removed");
    assert_int_equal(json_array_size(add), 1);
    assert_int_equal(json_array_size(rem), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(add, 0), "fixed")),
                        "1.2.5");
    assert_true(json_is_null(json_object_get(json_array_get(rem, 0), "cvss")));
    assert_true(json_is_true(json_object_get(d, "running")));
    json_decref(d);
}

/* The stored document is parsed with the plain allocator: the sweep is of
 * the rewrite (jansson 2.14's parser itself does not report every failed
 * allocation: at some points it returns a document all the same). */
static json_t *stored_unswept(void)
{
    json_malloc_t m;
    json_free_t f;
    json_get_alloc_funcs(&m, &f);
    json_set_alloc_funcs(malloc, free);
    json_t *j = stored();
    json_set_alloc_funcs(m, f);
    return j;
}

static int result_once(void *ctx)
{
    json_t *doc = rm_result_doc(stored_unswept(), ctx, "rm-2", "db2", "now");
    json_decref(doc);
    return doc ? SF_OK : SF_ENOMEM;
}

static int delta_once(void *ctx)
{
    json_t *d = rm_delta_doc(ctx, "rm-2", "db2", "now", 0);
    json_decref(d);
    return d ? SF_OK : SF_ENOMEM;
}

static void test_rematch_doc__allocation_failures(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    assert_true(sf_t_json_oom_sweep(result_once, &f.im) > 20);
    assert_true(sf_t_json_oom_sweep(delta_once, &f.im) > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rematch_doc__result_swaps_the_changed_findings),
        cmocka_unit_test(test_rematch_doc__result_not_an_object_is_refused),
        cmocka_unit_test(test_rematch_doc__delta_lists_both_sides),
        cmocka_unit_test(test_rematch_doc__allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
