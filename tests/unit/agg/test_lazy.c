/*
 * The two-step result decode of the aggregator's batch (fleet/agg_view.h
 * sf_agg_view_from_result_lazy, sf_agg_lazy_vulns, sf_agg_lazy_finish):
 * for each document,
 * completed without a stored hash, with the stored view's matching hash
 * (the stored package list reused) or another hash, it answers as the
 * whole decode does, view for view and error for error
 * (tests/support/agg_lazy.c); the package hash follows the "os" and
 * "packages" bytes and nothing else, the findings hash the
 * "vulnerabilities" bytes, and both are stored with the view.
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

/* Image a of run r1: VULNS (with EXTRA) over PKGS. */
static fix_doc base_doc(void)
{
    return (fix_doc){.dc = 'a', .run = "r1", .db = "db1", .at = "2026-02-01T00:00:00Z",
                     .refs = "reg.io/a:1", .vulns = VULNS, .pkgs = PKGS, .cvss = 7.5,
                     .vextra = EXTRA};
}

/* Documents the split takes: equal to the whole decode every way. */
static void test_lazy__same_as_whole(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    fix_doc d = base_doc();
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
        /* a package list and a finding unusable: the packages' error first
         * (both parts pending, each answered by the whole decode) */
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[1],\"vulnerabilities\":[2]}",
        /* a finding unusable, the packages fine; the findings before the
         * packages; findings null; a duplicate findings member */
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[],\"vulnerabilities\":[{\"id\":1}]}",
        "{\"schema\":\"scanfarm.result/v1\",\"vulnerabilities\":[{\"id\":\"CVE-1\",\"package\":"
        "\"x\"}],\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[]}",
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[],\"vulnerabilities\":null}",
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"packages\":[],\"vulnerabilities\":[],"
        "\"vulnerabilities\":[]}",
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
    const int split[] = {1, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0};
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

/* The view of a document, whole or split with its findings taken from
 * stored (NULL: decoded); *reused: they were. */
static sf_agg_view *view_from(const char *json, const sf_agg_view *stored, int *reused)
{
    sf_agg_view *v = NULL;
    sf_agg_lazy *lz = NULL;
    int pk = 0;
    assert_int_equal(sf_agg_view_from_result_lazy(json, strlen(json), &v, &lz, NULL), SF_OK);
    assert_non_null(lz);
    assert_int_equal(sf_agg_lazy_vulns(lz, v, stored, reused, NULL), SF_OK);
    assert_int_equal(sf_agg_lazy_finish(lz, v, NULL, NULL, 0, &pk, NULL), SF_OK);
    sf_agg_lazy_free(lz);
    return v;
}

/* v stored and read back (old: as a view stored before "vh" and the
 * findings' aliases). */
static sf_agg_view *stored(sf_agg_view *v, int old)
{
    sf_buf j;
    sf_agg_view *w = NULL;
    char *vh = v->vhash, *al[8] = {0};
    sf_buf_init(&j, 0);
    assert_true(v->nvulns <= 8);
    if (old) {
        v->vhash = NULL;
        for (size_t i = 0; i < v->nvulns; i++)
            al[i] = v->vulns[i].aliases, v->vulns[i].aliases = NULL;
    }
    assert_int_equal(sf_agg_view_json(v, &j), SF_OK);
    assert_true(old ? !strstr(j.data, "\"vh\"") : !!strstr(j.data, "\"vh\":\"sha256:"));
    v->vhash = vh;
    for (size_t i = 0; old && i < v->nvulns; i++)
        v->vulns[i].aliases = al[i];
    assert_int_equal(sf_agg_view_parse(j.data, j.len, &w, NULL), SF_OK);
    sf_buf_free(&j);
    return w;
}

/* a's and b's findings the same, as stored and in their aliases */
static void assert_vulns_equal(const sf_agg_view *a, const sf_agg_view *b)
{
    sf_buf x, y;
    sf_agg_view shell = *a; /* a with b's findings */
    shell.vulns = b->vulns, shell.nvulns = b->nvulns;
    sf_buf_init(&x, 0);
    sf_buf_init(&y, 0);
    assert_int_equal(sf_agg_view_json(a, &x), SF_OK);
    assert_int_equal(sf_agg_view_json(&shell, &y), SF_OK);
    assert_string_equal(x.data, y.data);
    assert_int_equal(a->nvulns, b->nvulns);
    for (size_t i = 0; i < a->nvulns; i++) {
        assert_true(a->vulns[i].aliases == NULL ? b->vulns[i].aliases == NULL
                                                : b->vulns[i].aliases != NULL);
        if (a->vulns[i].aliases)
            assert_string_equal(a->vulns[i].aliases, b->vulns[i].aliases);
    }
    sf_buf_free(&x);
    sf_buf_free(&y);
}

/* The findings hash follows the "vulnerabilities" bytes alone; a stored
 * view of that hash gives the findings (aliases, KEV, EPSS included) the
 * decode gives; a view stored before "vh", another hash, or a result
 * naming a hash of its own: decoded. */
static void test_lazy__findings_follow_their_bytes(void **state)
{
    int reused = 0;
    fix_doc d = base_doc();
    sf_buf b;
    (void)state;
    sf_buf_init(&b, 0);
    fix_result_doc(&b, &d);
    sf_agg_view *full = NULL, *v1 = view_from(b.data, NULL, &reused);
    assert_int_equal(reused, 0);
    assert_int_equal(sf_agg_view_from_result(b.data, b.len, &full, NULL), SF_OK);
    assert_string_equal(full->vhash, v1->vhash);
    assert_vulns_equal(full, v1);
    assert_string_equal(v1->vulns[0].aliases, "GHSA-1\x1fOSV-9");
    sf_agg_view *s1 = stored(v1, 0), *s0 = stored(v1, 1);
    assert_string_equal(s1->vulns[0].aliases, "GHSA-1\x1fOSV-9");
    assert_null(s0->vhash);

    /* another run, DB, refs: the same findings bytes, taken from s1 */
    d.run = "r2", d.db = "db2", d.refs = "reg.io/a:2";
    fix_result_doc(&b, &d);
    sf_agg_view *v2 = view_from(b.data, s1, &reused);
    assert_int_equal(reused, 1);
    assert_string_equal(v2->vhash, v1->vhash);
    assert_vulns_equal(v1, v2);
    sf_agg_view_free(v2);
    /* a view stored before "vh" (no aliases): decoded, aliases and all */
    v2 = view_from(b.data, s0, &reused);
    assert_int_equal(reused, 0);
    assert_vulns_equal(v1, v2);
    sf_agg_view_free(v2);

    /* aliases, KEV, EPSS, scores moved: another hash, decoded */
    static const char *const extras[] = {
        "\"aliases\":[\"GHSA-2\"],\"kev\":{}",
        "\"aliases\":[\"GHSA-1\",\"OSV-9\"]", /* no longer in KEV */
        ("\"aliases\":[\"GHSA-1\",\"OSV-9\"],\"kev\":{},\"epss\":{\"score\":0.5,"
         "\"percentile\":0.9}"), /* one string: parentheses tell clang so */
    };
    for (size_t i = 0; i < 4; i++) {
        d.vextra = i < 3 ? extras[i] : EXTRA, d.cvss = i < 3 ? 7.5 : 9.8;
        fix_result_doc(&b, &d);
        sf_agg_view *w = NULL;
        v2 = view_from(b.data, s1, &reused);
        assert_int_equal(reused, 0);
        assert_string_not_equal(v2->vhash, v1->vhash);
        assert_int_equal(sf_agg_view_from_result(b.data, b.len, &w, NULL), SF_OK);
        assert_vulns_equal(w, v2);
        sf_agg_view_free(w);
        sf_agg_view_free(v2);
    }

    /* a result naming s1's hash as its own (top level and in a finding),
     * its findings other: the hash is of its bytes, they are decoded */
    char extra[256];
    snprintf(extra, sizeof extra, "\"aliases\":[],\"vh\":\"%s\"", s1->vhash);
    d.vextra = extra, d.cvss = 7.5;
    fix_result_doc(&b, &d);
    char *lie = malloc(b.len + 128);
    snprintf(lie, b.len + 128, "{\"vh\":\"%s\",%s", s1->vhash, b.data + 1);
    sf_agg_view *w = NULL;
    v2 = view_from(lie, s1, &reused);
    assert_int_equal(reused, 0);
    assert_int_equal(sf_agg_view_from_result(lie, strlen(lie), &w, NULL), SF_OK);
    assert_vulns_equal(w, v2);
    assert_null(v2->vulns[0].aliases);
    sf_agg_view_free(w);
    sf_agg_view_free(v2);
    free(lie);

    sf_agg_view_free(s0);
    sf_agg_view_free(s1);
    sf_agg_view_free(v1);
    sf_agg_view_free(full);
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
        cmocka_unit_test(test_lazy__findings_follow_their_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
