/*
 * The unchanged-rescan shortcut (agg_plan.c sf_agg_plan_same and
 * sf_agg_plan_rescan, agg_index.c's addonly mode): for a result whose
 * index content equals the stored view's, the short plan is, op for op,
 * what the full plan (old -> new, then compacted) keeps; anything the
 * index derives from that differs turns the shortcut off. The package
 * list writer gives sf_agg_pkgs_json's bytes.
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
#include "agg_plan.h"
#include "fleet/agg_view.h"

static const char VULNS[] = "CVE-1:zlib:1.0:1.1:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL;"
                            "CVE-3:ssl:1:2:LOW";
static const char PKGS[] = "libssl3@3.1@openssl;busybox@1.36;zz-\\\"quoted\\\"@1;caf\xc3\xa9@2";
static const char EXTRA[] = "\"aliases\":[\"GHSA-1\",\"OSV-9\"],\"kev\":{},"
                            "\"epss\":{\"score\":0.25,\"percentile\":0.5}";

static sf_agg_view *view_of(const fix_doc *d, sf_buf *doc)
{
    sf_agg_view *v = NULL;
    sf_error e = SF_ERROR_INIT;
    fix_result_doc(doc, d);
    if (sf_agg_view_from_result(doc->data, doc->len, &v, &e) != SF_OK)
        fail_msg("%s: %s", e.msg, doc->data);
    return v;
}

/* v as the aggregator reads it back from Redis: view and packages
 * through their stored JSON. */
static sf_agg_view *stored(const sf_agg_view *v)
{
    sf_buf j, pj;
    sf_agg_view *s = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&j, 0);
    sf_buf_init(&pj, 0);
    assert_int_equal(sf_agg_view_json(v, &j), SF_OK);
    assert_int_equal(sf_agg_pkgs_json(v, &pj), SF_OK);
    assert_int_equal(sf_agg_view_parse(j.data, j.len, &s, &e), SF_OK);
    assert_int_equal(sf_agg_pkgs_parse(s, pj.data, pj.len, &e), SF_OK);
    sf_buf_free(&j);
    sf_buf_free(&pj);
    return s;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The plan's ops as sorted lines "code key member value". */
static char **lines_of(const sf_agg_plan *p)
{
    char **l = calloc(p->n + 1, sizeof *l);
    for (size_t i = 0; i < p->n; i++) {
        const sf_agg_op *o = &p->ops[i];
        size_t n = strlen(o->key) + strlen(o->member) + strlen(o->value) + 16;
        l[i] = malloc(n);
        snprintf(l[i], n, "%d %s %s %s", (int)o->code, o->key, o->member, o->value);
    }
    qsort(l, p->n, sizeof *l, cmp_str);
    return l;
}

/* The short plan of old -> nv equals the compacted full plan. */
static void expect_same_plans(const sf_agg_view *old, const sf_agg_view *nv, const char *json)
{
    sf_agg_plan full = {0}, fast = {0};
    sf_error e = SF_ERROR_INIT;
    size_t len = strlen(json);
    assert_true(sf_agg_plan_same(old, nv, 0));
    assert_int_equal(sf_agg_plan_build(&full, "t", old, nv, json, len, &e), SF_OK);
    assert_int_equal(sf_agg_plan_index(&full, "t", old, nv, nv->run_id, 7, 0, &e), SF_OK);
    assert_int_equal(sf_agg_plan_compact(&full), SF_OK);
    assert_int_equal(sf_agg_plan_rescan(&fast, "t", old, nv, json, len, 7, 0, NULL, 0, &e), SF_OK);
    assert_int_equal(sf_agg_plan_compact(&fast), SF_OK);
    char **a = lines_of(&full), **b = lines_of(&fast);
    for (size_t i = 0; i < full.n && i < fast.n; i++)
        assert_string_equal(a[i], b[i]);
    assert_int_equal(full.n, fast.n);
    assert_true(fast.n > 4); /* documents, summary (maxima, facts, names) */
    for (size_t i = 0; i < full.n; i++)
        free(a[i]), free(b[i]);
    free(a);
    free(b);
    sf_agg_plan_clear(&full);
    sf_agg_plan_clear(&fast);
}

static fix_doc base_doc(void)
{
    return (fix_doc){.dc = 'a', .run = "r1", .db = "db1", .at = "2026-02-01T00:00:00Z",
                     .refs = "reg.io/app:1;other.io/team/app:2", .vulns = VULNS,
                     .pkgs = PKGS, .cvss = 7.5, .vextra = EXTRA};
}

/* A stored view (from doc d) and the buffers of the documents after it. */
typedef struct stored_fx {
    sf_buf d1, d2;
    sf_agg_view *v1, *old;
} stored_fx;

static void fx_open(stored_fx *x, const fix_doc *d)
{
    sf_buf_init(&x->d1, 0);
    sf_buf_init(&x->d2, 0);
    x->v1 = view_of(d, &x->d1);
    x->old = stored(x->v1);
}

static void fx_close(stored_fx *x)
{
    sf_agg_view_free(x->old);
    sf_agg_view_free(x->v1);
    sf_buf_free(&x->d1);
    sf_buf_free(&x->d2);
}

/* The rescan d of x's stored view: the short plan, equal to the full one. */
static void expect_rescan(stored_fx *x, const fix_doc *d)
{
    sf_agg_view *v2 = view_of(d, &x->d2);
    expect_same_plans(x->old, v2, x->d2.data);
    sf_agg_view_free(v2);
}

/* Unchanged but for run, time, DB, cvss, EPSS, aliases, platform of an
 * index: the short plan, equal to the full one. */
static void test_unchanged_rescan_plans_alike(void **state)
{
    (void)state;
    stored_fx x;
    fix_doc d = base_doc();
    fx_open(&x, &d);
    d.run = "r2", d.db = "db2", d.at = "2026-02-02T00:00:00Z";
    expect_rescan(&x, &d);
    /* new scores and facts: same counters and sets, new maxima */
    d.cvss = 9.8, d.vextra = "\"aliases\":[\"GHSA-2\"]";
    expect_rescan(&x, &d);
    /* the same image as a platform of an index */
    d.ic = 'f', d.vextra = EXTRA, d.cvss = 7.5;
    expect_rescan(&x, &d);
    fx_close(&x);
    /* an error result */
    fix_doc er = {.dc = 'e', .run = "r1", .db = "db1", .at = "2026-02-01T00:00:00Z",
                  .refs = "reg.io/e:1", .vulns = "", .cvss = 7.5, .err = "auth"};
    fx_open(&x, &er);
    er.run = "r2", er.at = "2026-02-03T00:00:00Z";
    expect_rescan(&x, &er);
    fx_close(&x);
}

/* Plan p (old -> nv, or NULL -> nv: pass old NULL) built in full and
 * compacted. */
static void full_plan(sf_agg_plan *p, const sf_agg_view *old, const sf_agg_view *nv,
                      const char *json)
{
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_agg_plan_build(p, "t", old, nv, json, strlen(json), &e), SF_OK);
    assert_int_equal(sf_agg_plan_index(p, "t", old, nv, nv->run_id, 7, 0, &e), SF_OK);
    assert_int_equal(sf_agg_plan_compact(p), SF_OK);
}

static int has_line(char **l, size_t n, const char *s)
{
    return bsearch(&s, l, n, sizeof *l, cmp_str) != NULL;
}

/* The lean short plan of old -> nv (SF_AGG_RESCAN_LEAN, old stored as
 * the document oj) holds only ops of the full plan, byte for byte (the
 * view with its kept findings too); every op it leaves out is an
 * add-only one (ZMAX, ZNX, a name entry's ZADD) that the plan which
 * stored old (v1, a new image) made with a value at least as high, so
 * Redis holds it already. Returns how many were left out. */
static size_t expect_lean(const sf_agg_view *v1, const char *j1, const sf_agg_view *old,
                          const char *oj, const sf_agg_view *nv, const char *json)
{
    sf_agg_plan full = {0}, lean = {0}, first = {0};
    sf_error e = SF_ERROR_INIT;
    full_plan(&full, old, nv, json);
    full_plan(&first, NULL, v1, j1);
    assert_int_equal(sf_agg_plan_rescan(&lean, "t", old, nv, json, strlen(json), 7,
                                        SF_AGG_RESCAN_LEAN, oj, strlen(oj), &e),
                     SF_OK);
    assert_int_equal(sf_agg_plan_compact(&lean), SF_OK);
    char **a = lines_of(&full), **b = lines_of(&lean);
    for (size_t i = 0; i < lean.n; i++)
        if (!has_line(a, full.n, b[i]))
            fail_msg("lean op not in the full plan: %s", b[i]);
    size_t left_out = 0;
    for (size_t i = 0; i < full.n; i++) {
        const sf_agg_op *o = &full.ops[i];
        char *line = NULL;
        size_t n = strlen(o->key) + strlen(o->member) + strlen(o->value) + 16;
        assert_non_null(line = malloc(n));
        snprintf(line, n, "%d %s %s %s", (int)o->code, o->key, o->member, o->value);
        if (!has_line(b, lean.n, line)) {
            int stored = 0;
            left_out++;
            if (o->code != SF_AOP_ZMAX && o->code != SF_AOP_ZNX &&
                !(o->code == SF_AOP_ZADD && strstr(o->key, "name")))
                fail_msg("left out, not add-only: %s", line);
            for (size_t k = 0; k < first.n && !stored; k++) {
                const sf_agg_op *f = &first.ops[k];
                stored = f->code == o->code && !strcmp(f->key, o->key) &&
                         !strcmp(f->member, o->member) &&
                         (o->code == SF_AOP_ZNX ? 1
                          : o->code == SF_AOP_ZMAX ? strtod(f->value, NULL) >= strtod(o->value, NULL)
                                                  : !strcmp(f->value, o->value));
            }
            if (!stored)
                fail_msg("left out but not stored with the view: %s", line);
        }
        free(line);
    }
    assert_int_equal(full.n - left_out, lean.n);
    for (size_t i = 0; i < full.n; i++)
        free(a[i]);
    for (size_t i = 0; i < lean.n; i++)
        free(b[i]);
    free(a);
    free(b);
    sf_agg_plan_clear(&full);
    sf_agg_plan_clear(&lean);
    sf_agg_plan_clear(&first);
    return left_out;
}

/* The lean short plan: what the full one writes, but for add-only entries
 * the stored view's own plan wrote; a view stored without a package hash
 * (before the name index) gets them all again. */
static void test_lean_rescan_leaves_out_only_stored_entries(void **state)
{
    (void)state;
    stored_fx x;
    fix_doc d = base_doc();
    sf_buf oj, d2;
    sf_buf_init(&oj, 0);
    sf_buf_init(&d2, 0);
    fx_open(&x, &d);
    assert_int_equal(sf_agg_view_json(x.v1, &oj), SF_OK);
    d.run = "r2", d.db = "db2", d.at = "2026-02-02T00:00:00Z";
    sf_agg_view *v2 = view_of(&d, &d2);
    /* names (4 packages), 3 findings' 5 marks each */
    assert_true(expect_lean(x.v1, x.d1.data, x.old, oj.data, v2, d2.data) >= 4 + 15);
    sf_agg_view_free(v2);
    /* new aliases only (the stored findings carry them): the view is
     * written anew, the marks and names are left out still */
    d.vextra = "\"aliases\":[\"GHSA-3\"],\"kev\":{},\"epss\":{\"score\":0.25,"
               "\"percentile\":0.5}";
    v2 = view_of(&d, &d2);
    assert_true(expect_lean(x.v1, x.d1.data, x.old, oj.data, v2, d2.data) >= 4 + 15);
    sf_agg_view_free(v2);
    /* new scores: their maxima are written, the names are not */
    d.cvss = 9.8, d.vextra = "\"aliases\":[\"GHSA-2\"]";
    v2 = view_of(&d, &d2);
    size_t n = expect_lean(x.v1, x.d1.data, x.old, oj.data, v2, d2.data);
    assert_true(n >= 4 && n < 4 + 15);
    sf_agg_view_free(v2);
    /* a view stored before the package hash: nothing left out */
    free(x.old->pkhash);
    x.old->pkhash = NULL;
    d = base_doc(), d.run = "r2";
    v2 = view_of(&d, &d2);
    assert_int_equal(expect_lean(x.v1, x.d1.data, x.old, oj.data, v2, d2.data), 0);
    sf_agg_view_free(v2);
    sf_buf_free(&oj);
    sf_buf_free(&d2);
    fx_close(&x);
}

/* A stored view whose findings cannot be copied: SF_ENOTFOUND, nothing
 * written (the caller writes the view whole). */
static void test_view_json_keep_bad_stored(void **state)
{
    (void)state;
    const char *bad[] = {"", "[]", "{\"d\":\"x\"}", "{\"vulns\":{}}", "{\"vulns\":[1]",
                         "{\"vulns\":[],\"vulns\":[]}", "not json"};
    sf_agg_view v = {.digest = "sha256:1", .job_key = "sha256:1", .run_id = "r",
                     .db_version = "", .refs_rank = -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_buf out;
        sf_buf_init(&out, 0);
        assert_int_equal(sf_agg_view_json_keep(&v, bad[i], strlen(bad[i]), &out), SF_ENOTFOUND);
        assert_int_equal(out.len, 0);
        sf_buf_free(&out);
    }
    sf_buf out, whole;
    sf_buf_init(&out, 0);
    sf_buf_init(&whole, 0);
    assert_int_equal(sf_agg_view_json_keep(&v, NULL, 0, &out), SF_ENOTFOUND);
    /* a good one: the findings' bytes as stored */
    const char *ok = "{\"d\":\"y\",\"vulns\":[[\"CVE-1\",\"p\",null,null,null,\"LOW\",1.5,false,"
                     "-1.0,-1.0]]}";
    assert_int_equal(sf_agg_view_json_keep(&v, ok, strlen(ok), &out), SF_OK);
    assert_int_equal(sf_agg_view_json(&v, &whole), SF_OK);
    assert_non_null(strstr(out.data, "\"vulns\":[[\"CVE-1\",\"p\",null,null,null,\"LOW\",1.5,"));
    assert_int_equal(strncmp(out.data, whole.data, whole.len - 3), 0);
    sf_buf_free(&out);
    sf_buf_free(&whole);
}

/* Each thing the index derives from turns the shortcut off. */
static void test_changes_take_the_full_plan(void **state)
{
    (void)state;
    stored_fx x;
    fix_doc d = base_doc();
    fx_open(&x, &d);
    const fix_doc changed[] = {
        {.refs = "reg.io/app:1"},
        {.refs = "other.io/team/app:2;reg.io/app:1"}, /* order: compared as listed */
        {.vulns = "CVE-1:zlib:1.0:1.1:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL"},
        {.vulns = "CVE-1:zlib:1.0:1.1:MEDIUM;CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-3:ssl:1:2:LOW"},
        {.vulns = "CVE-1:zlib:1.0:-:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-3:ssl:1:2:LOW"},
        {.vulns = "CVE-1:zlib:1.0:1.2:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-3:ssl:1:2:LOW"},
        {.pkgs = "libssl3@3.1@openssl;busybox@1.37;zz-\\\"quoted\\\"@1;caf\xc3\xa9@2"},
        {.pkgs = "libssl3@3.1;busybox@1.36;zz-\\\"quoted\\\"@1;caf\xc3\xa9@2"},
        {.pkgs = "libssl3@3.1@openssl;busybox@1.36;zz-\\\"quoted\\\"@1"},
        {.err = "auth"},
    };
    for (size_t i = 0; i < sizeof changed / sizeof changed[0]; i++) {
        fix_doc c = base_doc();
        c.run = "r2";
        if (changed[i].refs)
            c.refs = changed[i].refs;
        if (changed[i].vulns)
            c.vulns = changed[i].vulns;
        if (changed[i].pkgs)
            c.pkgs = changed[i].pkgs;
        c.err = changed[i].err;
        sf_agg_view *v2 = view_of(&c, &x.d2);
        if (sf_agg_plan_same(x.old, v2, 0))
            fail_msg("change %zu taken for an unchanged rescan", i);
        sf_agg_view_free(v2);
    }
    fx_close(&x);
}

/* Both package-list writers give v the same bytes. */
static void assert_writers_agree(const sf_agg_view *v)
{
    sf_buf a, b;
    sf_buf_init(&a, 0);
    sf_buf_init(&b, 0);
    assert_int_equal(sf_agg_pkgs_json(v, &a), SF_OK);
    assert_int_equal(sf_agg_plan_pkgs_json(v, &b), SF_OK);
    assert_string_equal(a.data, b.data);
    sf_buf_free(&a);
    sf_buf_free(&b);
}

/* sf_agg_plan_pkgs_json writes what sf_agg_pkgs_json writes, escapes
 * and UTF-8 included (those take jansson's own writer). */
static void test_pkgs_json_bytes(void **state)
{
    (void)state;
    const char *specs[] = {"", "busybox@1.36;libssl3@3.1@openssl", PKGS,
                           "a\\\\b@1\\/2;tab\\tname@1", "x@1\\u007f"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        sf_buf doc;
        sf_buf_init(&doc, 0);
        fix_doc d = base_doc();
        d.pkgs = specs[i];
        sf_agg_view *v = view_of(&d, &doc);
        assert_writers_agree(v);
        sf_agg_view_free(v);
        sf_buf_free(&doc);
    }
    sf_agg_view empty = {.npkgs = 0}; /* no packages at all */
    assert_writers_agree(&empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unchanged_rescan_plans_alike),
        cmocka_unit_test(test_changes_take_the_full_plan),
        cmocka_unit_test(test_pkgs_json_bytes),
        cmocka_unit_test(test_lean_rescan_leaves_out_only_stored_entries),
        cmocka_unit_test(test_view_json_keep_bad_stored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
