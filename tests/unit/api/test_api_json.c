/* Unit tests of aggregator/api/api_json: the API's answer documents under
 * allocation failure (every builder either gives the whole document or
 * counts the failure, so the handler answers 500, never a document with a
 * finding or a member left out) and api_ok's answer when a builder did
 * count one. The sweep fails jansson's k-th allocation for every k
 * (tests/support: sf_t_json_oom_sweep). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api_int.h"
#include "api_http.h"
#include "api_json.h"
#include "testutil.h"

typedef json_t *(*build_fn)(sf_jb *b, void *arg);

typedef struct job {
    build_fn build;
    void *arg;
    char *want; /* the document built with no allocation failing */
} job;

/* Build and dump j's document: SF_OK with its text in out, or the
 * builder's (or the dump's) failure. */
static int build_text(job *j, sf_buf *out)
{
    sf_jb b = {0};
    json_t *o = j->build(&b, j->arg);
    int rc = sf_jb_status(&b);
    if (rc == SF_OK)
        rc = sf_jutil_dump_flags(o, out, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    return rc;
}

static int build_once(void *ctx)
{
    job *j = ctx;
    sf_buf out;
    sf_buf_init(&out, 0);
    int rc = build_text(j, &out);
    if (rc == SF_OK && strcmp(out.data, j->want) != 0)
        fail_msg("a document built while an allocation failed differs:\n%s\nwant\n%s", out.data,
                 j->want);
    sf_buf_free(&out);
    return rc;
}

static void sweep(build_fn fn, void *arg, size_t min)
{
    job j = {fn, arg, NULL};
    sf_buf out;
    sf_buf_init(&out, 0);
    assert_int_equal(build_text(&j, &out), SF_OK);
    j.want = sf_buf_steal(&out, NULL);
    size_t n = sf_t_json_oom_sweep(build_once, &j);
    if (n <= min)
        fail_msg("only %zu allocation points swept (want more than %zu)", n, min);
    free(j.want);
    sf_buf_free(&out);
}

/* ---- the builders, each with enough in it to fail in many places ---- */

static char *ALIASES[] = {"GHSA-aaaa-bbbb-cccc", "DSA-5000-1"};

static json_t *b_finding_page(sf_jb *b, void *arg)
{
    (void)arg;
    sf_agg_vuln v[2] = {
        {"CVE-2026-0001", "openssl", "Debian:12", "3.0.1", "3.0.2", SF_SEV_HIGH, 9.8, 1, 0.5, 0.9,
         NULL},
        {"GHSA-xxxx-yyyy-zzzz", "lodash", "npm", "4.17.0", NULL, SF_SEV_MEDIUM, -1, 0, -1, -1,
         NULL},
    };
    sf_finding rf = {0};
    rf.id = "CVE-2026-0001";
    rf.aliases = ALIASES;
    rf.naliases = 2;
    json_t *items = sf_jb_new(b, json_array());
    sf_jb_push(b, items, api_j_finding(b, &v[0], &rf, "sha256:layer0"));
    sf_jb_push(b, items, api_j_finding(b, &v[1], NULL, NULL));
    return api_j_envelope(b, items, 7, 2);
}

static json_t *b_pkg_layer_where(sf_jb *b, void *arg)
{
    (void)arg;
    sf_pkg k = {0};
    k.name = "bash";
    k.version = "5.1-2";
    k.src_name = "bash";
    k.license = "GPL-3.0";
    k.path = "var/lib/dpkg/status";
    sf_result_layer l = {"sha256:l0", NULL, 1234, "hit", NULL};
    sf_running_ent x = {0};
    x.cluster = "prod";
    x.ns = "payments";
    x.pod = "api-1";
    x.container = "api";
    x.node = "n1";
    x.owner_kind = "Deployment";
    x.owner_name = "api";
    x.since_ms = 1700000000000LL;
    json_t *o = sf_jb_new(b, json_object()), *plat = json_pack("{s:s,s:s}", "os", "linux",
                                                                "architecture", "amd64");
    sf_jb_set(b, o, "package", api_j_pkg(b, "Debian:12", &k, "pkg:deb/debian/bash@5.1-2", NULL));
    sf_jb_set(b, o, "layer", api_j_layer(b, &l));
    sf_jb_set(b, o, "where", api_j_where(b, &x));
    sf_jb_set(b, o, "platform", api_j_platform(b, "sha256:p", sf_jb_new(b, plat)));
    json_decref(plat);
    return o;
}

static json_t *b_vuln(sf_jb *b, void *arg)
{
    (void)arg;
    api_j_vscore s = {12, 9.8, 0, 0.42, 1700000000, 3};
    json_t *facts = json_pack("{s:[s,s],s:b}", "aliases", "GHSA-1", "DSA-2", "kev", 1);
    json_t *o = api_j_vuln(b, "CVE-2026-0001", &s, sf_jb_new(b, facts));
    api_j_links(b, o, "CVE-2026-0001", "Alpine:v3.19");
    json_decref(facts);
    return o;
}

static json_t *b_run(sf_jb *b, void *arg)
{
    (void)arg;
    sf_agg_progress pg = {10, 7, 6, 1, 1, 2, 1700000000000LL, 1700000001000LL, 0, ""};
    long long d[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    return api_j_run(b, "run-1", 1700000000, &pg, d);
}

static json_t *b_error(sf_jb *b, void *arg)
{
    (void)arg;
    return api_j_error(b, 400, "bad_parameter", "severity: not a severity", "severity");
}

static void test_api_json__builders_under_allocation_failure(void **state)
{
    (void)state;
    sweep(b_finding_page, NULL, 40);
    sweep(b_pkg_layer_where, NULL, 20);
    sweep(b_vuln, NULL, 15);
    sweep(b_run, NULL, 20);
    sweep(b_error, NULL, 5);
}

/* The documents' shapes: what the handlers answered before the builders
 * moved (the API's contract, docs/api.md). */
static void test_api_json__shapes(void **state)
{
    (void)state;
    job j = {b_finding_page, NULL, NULL};
    sf_buf out;
    sf_buf_init(&out, 0);
    assert_int_equal(build_text(&j, &out), SF_OK);
    json_t *o = json_loads(out.data, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "total")), 7);
    assert_string_equal(json_string_value(json_object_get(o, "next_cursor")), "o2");
    json_t *f = json_array_get(json_object_get(o, "items"), 0);
    assert_string_equal(json_string_value(json_object_get(f, "severity")), "HIGH");
    assert_int_equal(json_array_size(json_object_get(f, "aliases")), 2);
    assert_string_equal(json_string_value(json_object_get(json_object_get(f, "links"), "nvd")),
                        "https://nvd.nist.gov/vuln/detail/CVE-2026-0001");
    assert_true(json_is_true(json_object_get(f, "kev")));
    f = json_array_get(json_object_get(o, "items"), 1);
    assert_true(json_is_null(json_object_get(f, "fixed")));
    assert_true(json_is_null(json_object_get(f, "cvss")));
    assert_non_null(json_object_get(json_object_get(f, "links"), "ghsa"));
    json_decref(o);
    sf_buf_free(&out);
}

/* A builder that counted a failure is answered 500 with the error shape,
 * never with the document it did build. */
static void test_api_json__ok_refuses_a_partial_document(void **state)
{
    (void)state;
    static sf_api_req req;
    snprintf(req.path, sizeof req.path, "/v1/images");
    sf_api_resp resp = {0};
    sf_buf_init(&resp.body, 0);
    api_call c = {NULL, &req, &resp};
    sf_jb b = {0};
    json_t *o = sf_jb_new(&b, json_object());
    sf_jb_set(&b, o, "items", json_array());
    sf_jb_set(&b, o, "total", NULL); /* as if json_integer had failed */
    api_ok(&c, &b, o);
    assert_int_equal(resp.status, 500);
    json_t *e = json_loads(resp.body.data, 0, NULL);
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(json_object_get(e, "error"), "message")),
                        "out of memory");
    assert_null(json_object_get(e, "items"));
    json_decref(e);
    /* and a whole one is answered */
    sf_buf_reset(&resp.body);
    sf_jb ok = {0};
    api_ok(&c, &ok, api_j_error(&ok, 404, "not_found", "x", NULL));
    assert_int_equal(resp.status, 200);
    assert_non_null(strstr(resp.body.data, "\"not_found\""));
    sf_buf_free(&resp.body);
}

/* Stored text: a summary that is not JSON is corrupt (skipped by the
 * lists), one jansson had no memory for is not. */
static int load_once(void *ctx)
{
    sf_jb b = {0};
    int corrupt = 0;
    json_t *o = api_j_load(&b, ctx, &corrupt);
    if (corrupt)
        fail_msg("a summary that is JSON was taken as corrupt");
    int rc = o ? SF_OK : SF_ENOMEM;
    if (!o && sf_jb_status(&b) == SF_OK)
        fail_msg("a summary was neither loaded nor counted as out of memory");
    json_decref(o);
    return rc;
}

static void test_api_json__load_tells_corrupt_from_out_of_memory(void **state)
{
    (void)state;
    sf_jb b = {0};
    int corrupt = 0;
    assert_null(api_j_load(&b, "{\"digest\":\"sha256:ab\",", &corrupt));
    assert_int_equal(corrupt, 1);
    assert_int_equal(sf_jb_status(&b), SF_OK);
    static char doc[] = "{\"digest\":\"sha256:ab\",\"refs\":[\"a:1\",\"b:2\"],\"critical\":3,"
                        "\"platform\":\"linux/amd64\"}";
    assert_true(sf_t_json_oom_sweep(load_once, doc) > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_json__builders_under_allocation_failure),
        cmocka_unit_test(test_api_json__shapes),
        cmocka_unit_test(test_api_json__ok_refuses_a_partial_document),
        cmocka_unit_test(test_api_json__load_tells_corrupt_from_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
