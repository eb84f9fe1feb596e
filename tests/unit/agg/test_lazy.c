/*
 * The two-step result decode of the aggregator's batch (fleet/agg_view.h
 * sf_agg_view_from_result_lazy, sf_agg_lazy_finish): for each document,
 * completed without a stored hash, with the stored view's matching hash
 * (the stored package list reused) or another hash, it answers as the
 * whole decode does, view for view and error for error
 * (tests/support/agg_lazy.c); the package hash follows the "os" and
 * "packages" bytes and nothing else, and is stored with the view.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_fix.h"
#include "agg_lazy.h"
#include "fleet/agg_view.h"

static const char VULNS[] = "CVE-1:zlib:1.0:1.1:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL";
static const char PKGS[] = "libssl3@3.1@openssl;busybox@1.36;zz-\\\"quoted\\\"@1;caf\xc3\xa9@2";
static const char EXTRA[] = "\"aliases\":[\"GHSA-1\",\"OSV-9\"],\"kev\":{}";

static void assert_same(const char *json, size_t len, int want_split)
{
    char why[512];
    int split = 0;
    if (!sf_t_agg_lazy_same(json, len, &split, why, sizeof why))
        fail_msg("%s: %.*s", why, (int)len, json);
    assert_int_equal(split, want_split);
}

static char *pkhash_of(const char *json)
{
    sf_agg_view *v = NULL;
    assert_int_equal(sf_agg_view_from_result(json, strlen(json), &v, NULL), SF_OK);
    char *h = v->pkhash ? strdup(v->pkhash) : strdup("");
    sf_agg_view_free(v);
    return h;
}

/* Documents the split takes: equal to the whole decode every way. */
static void test_lazy__same_as_whole(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    fix_doc d = {.dc = 'a', .run = "r1", .db = "db1", .at = "2026-02-01T00:00:00Z",
                 .refs = "reg.io/a:1", .vulns = VULNS, .pkgs = PKGS, .cvss = 7.5,
                 .vextra = EXTRA};
    fix_result_doc(&b, &d);
    assert_same(b.data, b.len, 1);
    d.err = "auth", d.vulns = "", d.ic = 'f';
    fix_result_doc(&b, &d);
    assert_same(b.data, b.len, 1);
    sf_buf_free(&b);
}

/* Documents the split refuses or the decoder refuses: the whole decode's
 * answer, its message included. */
static void test_lazy__refused_as_whole(void **state)
{
    (void)state;
    static const char *const docs[] = {
        /* the package list unusable, the rest fine */
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[{\"name\":\"x\"}]}",
        /* a package list and a finding unusable: the packages' error first */
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[1],\"vulnerabilities\":[2]}",
        /* a duplicate packages member (jansson refuses it), an escaped key */
        "{\"schema\":\"scanfarm.result/v1\",\"packages\":[],\"packages\":[]}",
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"p\\u0061ckages\":[{\"type\":\"apk\",\"name\":\"x\","
        "\"version\":\"1\"}]}",
        /* a duplicate inside the package list; malformed JSON; no digest */
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[{\"type\":\"apk\",\"type\":\"apk\"}]}",
        "{\"schema\":\"scanfarm.result/v1\",\"packages\":[}",
        "{\"schema\":\"scanfarm.result/v1\",\"packages\":[{\"type\":\"apk\",\"name\":\"x\","
        "\"version\":\"1\"}]}",
    };
    const int split[] = {1, 0, 0, 0, 1, 0, 0};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
        assert_same(docs[i], strlen(docs[i]), split[i]);
}

/* The hash: the "os" and "packages" bytes only; stored with the view and
 * read back; a view stored before it has none. */
static void test_lazy__hash_follows_package_bytes(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    fix_doc d = {.dc = 'a', .run = "r1", .db = "db1", .at = "2026-02-01T00:00:00Z",
                 .refs = "reg.io/a:1", .vulns = VULNS, .pkgs = PKGS, .cvss = 7.5};
    fix_result_doc(&b, &d);
    char *h1 = pkhash_of(b.data);
    assert_int_equal(strncmp(h1, "sha256:", 7), 0);
    d.run = "r2", d.db = "db2", d.refs = "reg.io/a:2", d.cvss = 9.1, d.vextra = EXTRA;
    fix_result_doc(&b, &d);
    char *h2 = pkhash_of(b.data);
    assert_string_equal(h1, h2); /* other run, refs, scores: same packages */
    d.pkgs = "busybox@1.36;libssl3@3.1@openssl;zz-\\\"quoted\\\"@1;caf\xc3\xa9@2";
    fix_result_doc(&b, &d);
    char *h3 = pkhash_of(b.data);
    assert_string_not_equal(h1, h3); /* the same list in another order: other bytes */
    char *os = strstr(b.data, "\"3.10.3\"");
    assert_non_null(os);
    os[6] = '4';
    char *h4 = pkhash_of(b.data);
    assert_string_not_equal(h3, h4); /* the OS decides the packages' ecosystem */

    sf_agg_view *v = NULL, *w = NULL;
    sf_buf j;
    sf_buf_init(&j, 0);
    assert_int_equal(sf_agg_view_from_result(b.data, b.len, &v, NULL), SF_OK);
    assert_int_equal(sf_agg_view_json(v, &j), SF_OK);
    assert_non_null(strstr(j.data, "\"ph\":\"sha256:"));
    assert_int_equal(sf_agg_view_parse(j.data, j.len, &w, NULL), SF_OK);
    assert_string_equal(w->pkhash, h4);
    sf_agg_view_free(w);
    free(v->pkhash);
    v->pkhash = NULL;
    sf_buf_reset(&j);
    assert_int_equal(sf_agg_view_json(v, &j), SF_OK);
    assert_null(strstr(j.data, "\"ph\""));
    assert_int_equal(sf_agg_view_parse(j.data, j.len, &w, NULL), SF_OK);
    assert_null(w->pkhash);
    sf_agg_view_free(w);
    sf_agg_view_free(v);
    sf_buf_free(&j);
    free(h1), free(h2), free(h3), free(h4);
    sf_buf_free(&b);
}

/* A stored package list read without jansson (its plain form) gives what
 * jansson's reading gives (the same list with a space: jansson's). */
/* A stored package list parsed (its package count in *n) and written
 * again: the caller frees the text. */
static char *relisted(const char *list, size_t *n)
{
    sf_agg_view v = {0};
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_agg_pkgs_parse(&v, list, strlen(list), NULL), SF_OK);
    *n = v.npkgs;
    assert_int_equal(sf_agg_pkgs_json(&v, &b), SF_OK);
    char *out = strdup(b.data ? b.data : "");
    sf_agg_pkgs_clear(&v);
    sf_buf_free(&b);
    return out;
}

static void test_lazy__plain_package_list(void **state)
{
    (void)state;
    static const char *const lists[][2] = {
        {"[[\"Alpine:v3.10\",\"libssl3\",\"3.1\",\"openssl\"],[\"npm\",\"a b[]\",\"1\"]]",
         "[ [\"Alpine:v3.10\",\"libssl3\",\"3.1\",\"openssl\"],[\"npm\",\"a b[]\",\"1\"]]"},
        {"[]", "[ ]"},
        {"[[\"e\",\"n\"],[\"e\",\"n\",\"v\",\"s\",\"x\"],[\"e\",\"n\",\"v\",null]]",
         " [[\"e\",\"n\"],[\"e\",\"n\",\"v\",\"s\",\"x\"],[\"e\",\"n\",\"v\",null]]"},
        {"[[\"e\",\"caf\u00e9\",\"1\"]]", " [[\"e\",\"caf\u00e9\",\"1\"]]"},
    };
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
        size_t na, nb;
        char *x = relisted(lists[i][0], &na), *y = relisted(lists[i][1], &nb);
        assert_int_equal(na, nb);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    static const char *const bad[] = {"[[\"e\",\"n\",\"v\"]", "[[\"e\",\"n\",\"v\"]]x", "[",
                                      "{}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        sf_agg_view a = {0};
        assert_int_equal(sf_agg_pkgs_parse(&a, bad[i], strlen(bad[i]), NULL), SF_EPARSE);
        sf_agg_pkgs_clear(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy__same_as_whole),
        cmocka_unit_test(test_lazy__refused_as_whole),
        cmocka_unit_test(test_lazy__hash_follows_package_bytes),
        cmocka_unit_test(test_lazy__plain_package_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
