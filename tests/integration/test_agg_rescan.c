/*
 * The unchanged-rescan shortcut (aggregator/agg_plan.c sf_agg_plan_same,
 * sf_agg_plan_rescan) and the batch's reuse of a stored package list
 * (fleet/agg_view.h sf_agg_view_from_result_lazy: the result's packages
 * not decoded when their bytes hash as the stored view's, nor its
 * findings, sf_agg_lazy_vulns) change no
 * stored byte: a sequence of new images,
 * unchanged rescans (new run, time and DB; new cvss, aliases and EPSS
 * only), changed rescans (findings, packages, an error gone), a refs
 * message, rescans whose refs moved, platform images of an index, a
 * package list that needs escapes, duplicates and a stale result, applied
 * the same package list with other bytes (whitespace, another order),
 * stored views without a package hash (written before it), applied one
 * at a time and in batches with the shortcut and the reuse, leaves what
 * the full plans leave (SF_AGG_NO_SHORTCUT, one at a time): every key,
 * every hash field with its value, every sorted-set member with its
 * score. The batches without the reuse (SF_AGG_NO_LAZY) are compared too,
 * and the ways without the lean rescan (SF_AGG_NO_LEAN: every add-only
 * entry written again, the stored package list parsed). Two hostile
 * results close the sequence: one whose changed packages come under a
 * top-level "ph" claiming the stored view's package hash, one with the
 * stored package bytes under another OS release; the aggregator computes
 * the hash itself, so both are planned in full. The findings likewise:
 * taken from the stored view when their bytes hash as its "vh", after
 * rescans whose aliases alone moved, whose KEV and EPSS facts moved, over
 * a view stored before "vh" (no aliases in its findings), and with a
 * hostile result naming the stored findings hash for other findings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agg.h"
#include "agg_dump.h"
#include "agg_fix.h"
#include "agg_int.h"
#include "base/buf.h"
#include "cache/keys.h"
#include "testutil.h"

static sf_kv *kv;
/* the reference (full plans, one at a time) and the way compared */
static char pfx[2][64];
#define pref pfx[0]
#define pcur pfx[1]

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < 2; i++)
        snprintf(pfx[i], sizeof pfx[i], "aggr-%s-%d", i ? "cur" : "ref", (int)getpid());
    kv = sf_t_kv_open();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; kv && i < 2; i++)
        sf_t_redis_del_prefix(pfx[i]);
    sf_kv_free(kv);
    return 0;
}

#define VA "CVE-1:zlib:1.0:1.1:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-3:ssl:1:2:LOW"
#define VB "CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-5:curl:7:8:MEDIUM"
#define PA "libssl3@3.1@openssl;busybox@1.36"
#define PA2 "libssl3@3.2@openssl;busybox@1.36" /* PA with one version moved */
#define PB "zz-\\\"quoted\\\"@1;caf\xc3\xa9@2;libcrypto3@3.1@openssl"
#define PB2 "libcrypto3@3.1@openssl;zz-\\\"quoted\\\"@1;caf\xc3\xa9@2" /* PB reordered */
#define EX "\"aliases\":[\"GHSA-1\"],\"kev\":{},\"epss\":{\"score\":0.25,\"percentile\":0.5}"
#define EXA "\"aliases\":[\"GHSA-7\"],\"kev\":{},\"epss\":{\"score\":0.25,\"percentile\":0.5}"
#define EXK "\"aliases\":[\"GHSA-1\"],\"epss\":{\"score\":0.75,\"percentile\":0.9}"

/* run, image, index, refs, findings, packages, cvss, finding extras, error */
static const struct step {
    const char *run, *at;
    char dc, ic;
    const char *refs, *vulns, *pkgs;
    double cvss;
    const char *extra, *err;
} SEQ[] = {
    /* new images */
    {"r1", "2026-02-01T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VA, PA, 7.5, EX, NULL},
    {"r1", "2026-02-01T00:00:00Z", 'b', 0, "reg.io/b:1", VB, PB, 5.0, NULL, NULL},
    {"r1", "2026-02-01T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA, 7.5, NULL, NULL},
    {"r1", "2026-02-01T00:00:00Z", '2', 'f', "reg.io/multi:1", VA, PB, 7.5, NULL, NULL},
    {"r1", "2026-02-01T00:00:00Z", 'e', 0, "reg.io/e:1", "", NULL, 7.5, NULL, "auth"},
    /* unchanged rescans */
    {"r2", "2026-02-02T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VA, PA, 7.5, EX, NULL},
    {"r2", "2026-02-02T00:00:00Z", 'b', 0, "reg.io/b:1", VB, PB, 5.0, NULL, NULL},
    {"r2", "2026-02-02T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA, 7.5, NULL, NULL},
    {"r2", "2026-02-02T00:00:00Z", '2', 'f', "reg.io/multi:1", VA, PB, 7.5, NULL, NULL},
    {"r2", "2026-02-02T00:00:00Z", 'e', 0, "reg.io/e:1", "", NULL, 7.5, NULL, "auth"},
    /* findings changed; new scores and facts only; unchanged; packages
     * changed; the error gone */
    {"r3", "2026-02-03T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VB, PA, 7.5, EX, NULL},
    {"r3", "2026-02-03T00:00:00Z", 'b', 0, "reg.io/b:1", VB, PB, 9.8, EX, NULL},
    {"r3", "2026-02-03T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA, 7.5, NULL, NULL},
    {"r3", "2026-02-03T00:00:00Z", '2', 'f', "reg.io/multi:1", VA, PA, 7.5, NULL, NULL},
    {"r3", "2026-02-03T00:00:00Z", 'e', 0, "reg.io/e:1", "", NULL, 7.5, NULL, NULL},
    /* (a refs message of r3 for a here) then refs that moved; a
     * package version moved */
    {"r4", "2026-02-04T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VB, PA, 7.5, EX, NULL},
    {"r4", "2026-02-04T00:00:00Z", 'b', 0, "reg.io/b:2", VB, PB, 9.8, EX, NULL},
    {"r4", "2026-02-04T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA2, 7.5, NULL, NULL},
    {"r4", "2026-02-04T00:00:00Z", '2', 'f', "reg.io/multi:1", VA, PA, 7.5, NULL, NULL},
    /* unchanged again; a duplicate; a stale result */
    {"r5", "2026-02-05T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VB, PA, 7.5, EX, NULL},
    {"r5", "2026-02-05T00:00:00Z", 'b', 0, "reg.io/b:2", VB, PB, 9.8, EX, NULL},
    {"r4", "2026-02-04T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA2, 7.5, NULL, NULL},
    {"r2", "2026-02-02T00:00:00Z", '2', 'f', "reg.io/multi:1", VA, PB, 7.5, NULL, NULL},
    {"r5", "2026-02-05T00:00:00Z", 'e', 0, "reg.io/e:1", "", NULL, 7.5, NULL, NULL},
    /* unchanged: other whitespace in the packages (WS_AT), packages in
     * another order, the same bytes */
    {"r6", "2026-02-06T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VB, PA, 7.5, EX, NULL},
    {"r6", "2026-02-06T00:00:00Z", 'b', 0, "reg.io/b:2", VB, PB2, 9.8, EX, NULL},
    {"r6", "2026-02-06T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA2, 7.5, NULL, NULL},
    /* hostile: new packages under a top-level "ph" (and "pkhash") holding
     * the stored view's package hash (LIE_AT); the stored package bytes
     * under another "os" (OS_AT): both are new packages, planned in full */
    {"r7", "2026-02-07T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VB, PA2, 7.5, EX, NULL},
    {"r7", "2026-02-07T00:00:00Z", 'b', 0, "reg.io/b:2", VB, PB2, 9.8, EX, NULL},
    /* the findings' aliases alone moved; KEV gone and EPSS moved; the
     * same findings bytes (taken from the stored view) */
    {"r8", "2026-02-08T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VB, PA2, 7.5, EXA, NULL},
    {"r8", "2026-02-08T00:00:00Z", 'b', 0, "reg.io/b:2", VB, PB2, 9.8, EXK, NULL},
    {"r8", "2026-02-08T00:00:00Z", '1', 'f', "reg.io/multi:1", VB, PA2, 7.5, NULL, NULL},
    /* hostile: other findings under a top-level "vh" (and one in each
     * finding) holding the stored view's findings hash (VH_LIE_AT);
     * then unchanged */
    {"r9", "2026-02-09T00:00:00Z", 'a', 0, "reg.io/app:1;other.io/t/app:2", VA, PA2, 7.5, EXA, NULL},
    {"r9", "2026-02-09T00:00:00Z", 'b', 0, "reg.io/b:2", VB, PB2, 9.8, EXK, NULL},
};

#define NSEQ (sizeof SEQ / sizeof SEQ[0])
#define NDOCS (NSEQ + 1)
#define REFS_AFTER 14 /* the refs message follows SEQ[14] */
#define WS_AT 24      /* SEQ[24]'s package list gets other whitespace */
#define LIE_AT 27     /* SEQ[27] claims SEQ[0]'s package hash */
#define OS_AT 28      /* SEQ[28] names another OS release */
#define VH_LIE_AT 32  /* SEQ[32] claims SEQ[29]'s findings hash */

static void make_docs(sf_buf *docs)
{
    size_t k = 0;
    for (size_t i = 0; i < NSEQ; i++) {
        const struct step *s = &SEQ[i];
        fix_doc d = {.dc = s->dc, .ic = s->ic, .run = s->run, .db = s->run, .at = s->at,
                     .refs = s->refs, .vulns = s->vulns, .pkgs = s->pkgs, .cvss = s->cvss,
                     .vextra = s->extra, .err = s->err};
        sf_buf_init(&docs[k], 0);
        fix_result_doc(&docs[k], &d);
        if (i == WS_AT) {
            char *at = strstr(docs[k].data, "\"packages\":[");
            assert_non_null(at);
            size_t off = (size_t)(at - docs[k].data) + 12, tail = docs[k].len - off;
            assert_int_equal(sf_buf_append(&docs[k], "  ", 2), SF_OK);
            memmove(docs[k].data + off + 2, docs[k].data + off, tail);
            memcpy(docs[k].data + off, "\n ", 2);
        }
        if (i == LIE_AT) {
            sf_agg_view *v0 = NULL;
            char lie[200];
            assert_int_equal(sf_agg_view_from_result(docs[0].data, docs[0].len, &v0, NULL), SF_OK);
            assert_non_null(v0->pkhash);
            int n = snprintf(lie, sizeof lie, "\"ph\":\"%s\",\"pkhash\":\"%s\",", v0->pkhash,
                             v0->pkhash);
            sf_agg_view_free(v0);
            assert_true(docs[k].data[0] == '{');
            size_t tail = docs[k].len - 1;
            assert_int_equal(sf_buf_append(&docs[k], lie, (size_t)n), SF_OK);
            memmove(docs[k].data + 1 + n, docs[k].data + 1, tail);
            memcpy(docs[k].data + 1, lie, (size_t)n);
        }
        if (i == VH_LIE_AT) {
            /* the claim goes in each finding's extras and at the top */
            sf_agg_view *v0 = NULL;
            char lie[200], ex[300];
            assert_int_equal(sf_agg_view_from_result(docs[k - 3].data, docs[k - 3].len, &v0, NULL),
                             SF_OK);
            assert_non_null(v0->vhash);
            int n = snprintf(lie, sizeof lie, "\"vh\":\"%s\",", v0->vhash);
            snprintf(ex, sizeof ex, "%s,\"vh\":\"%s\"", s->extra, v0->vhash);
            sf_agg_view_free(v0);
            d.vextra = ex;
            sf_buf_reset(&docs[k]);
            fix_result_doc(&docs[k], &d);
            size_t tail = docs[k].len - 1;
            assert_int_equal(sf_buf_append(&docs[k], lie, (size_t)n), SF_OK);
            memmove(docs[k].data + 1 + n, docs[k].data + 1, tail);
            memcpy(docs[k].data + 1, lie, (size_t)n);
        }
        if (i == OS_AT) {
            char *os = strstr(docs[k].data, "\"version_id\":\"3.10.3\"");
            assert_non_null(os);
            memcpy(os + 14, "3.11.0", 6);
        }
        k++;
        if (i == REFS_AFTER) {
            sf_buf_init(&docs[k], 0);
            assert_int_equal(fix_refs_doc(&docs[k++], 'a', "r3", "r3", "reg.io/app:3",
                                          "2026-02-03T12:00:00.000Z"),
                             SF_OK);
        }
    }
}

/* An aggregator under prefix (emptied, with fixed run ranks so every
 * prefix stores the same), with or without the shortcut and the reuse of
 * stored package lists. */
static sf_agg *agg_open(const char *prefix, int shortcut, int lazy, int lean)
{
    sf_agg *a = NULL;
    sf_t_redis_del_prefix(prefix);
    if (!shortcut)
        setenv("SF_AGG_NO_SHORTCUT", "1", 1);
    if (!lazy)
        setenv("SF_AGG_NO_LAZY", "1", 1);
    if (!lean)
        setenv("SF_AGG_NO_LEAN", "1", 1);
    assert_int_equal(sf_agg_new(&a, kv, prefix, NULL), SF_OK);
    unsetenv("SF_AGG_NO_SHORTCUT");
    unsetenv("SF_AGG_NO_LAZY");
    unsetenv("SF_AGG_NO_LEAN");
    char runs[SF_KEY_MAX];
    sf_keys_agg(runs, prefix, "runs", NULL);
    const char *z[] = {"ZADD", runs, "1000", "r1", "2000", "r2", "3000", "r3", "4000", "r4",
                       "5000", "r5", "6000", "r6", "7000", "r7", "8000", "r8", "9000", "r9"};
    sf_kv_reply *r = NULL;
    assert_int_equal(sf_kv_argv(kv, prefix, 20, z, NULL, &r, NULL), SF_OK);
    sf_kv_reply_free(r);
    return a;
}

/* The stored view of image dc under prefix as written before the package
 * hash existed: its "ph" member cut out. */
static void strip_hash(const char *prefix, char dc)
{
    char views[SF_KEY_MAX], dg[72];
    sf_kv_reply *r = NULL, *w = NULL;
    sf_keys_agg(views, prefix, "views", NULL);
    const char *get[] = {"HGET", views, fix_digest(dc, dg)};
    assert_int_equal(sf_kv_argv(kv, prefix, 3, get, NULL, &r, NULL), SF_OK);
    assert_int_equal(r->type, SF_KV_STR);
    char *ph = strstr(r->str, ",\"ph\":\"sha256:");
    assert_non_null(ph);
    memmove(ph, ph + 79, strlen(ph + 79) + 1);
    const char *set[] = {"HSET", views, dg, r->str};
    assert_int_equal(sf_kv_argv(kv, prefix, 4, set, NULL, &w, NULL), SF_OK);
    sf_kv_reply_free(r);
    sf_kv_reply_free(w);
}

/* The stored view of image dc under prefix as written before the
 * findings hash: no "vh", findings without their aliases. */
static void old_format(const char *prefix, char dc)
{
    char views[SF_KEY_MAX], dg[72];
    sf_kv_reply *r = NULL, *w = NULL;
    sf_agg_view *v = NULL;
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_keys_agg(views, prefix, "views", NULL);
    const char *get[] = {"HGET", views, fix_digest(dc, dg)};
    assert_int_equal(sf_kv_argv(kv, prefix, 3, get, NULL, &r, NULL), SF_OK);
    assert_int_equal(r->type, SF_KV_STR);
    assert_int_equal(sf_agg_view_parse(r->str, r->len, &v, NULL), SF_OK);
    assert_non_null(v->vhash);
    free(v->vhash);
    v->vhash = NULL;
    int had = 0;
    for (size_t i = 0; i < v->nvulns; i++) {
        had |= v->vulns[i].aliases != NULL;
        free(v->vulns[i].aliases);
        v->vulns[i].aliases = NULL;
    }
    assert_true(had); /* the aliases were stored */
    assert_int_equal(sf_agg_view_json(v, &b), SF_OK);
    const char *set[] = {"HSET", views, dg, b.data};
    assert_int_equal(sf_kv_argv(kv, prefix, 4, set, NULL, &w, NULL), SF_OK);
    sf_agg_view_free(v);
    sf_buf_free(&b);
    sf_kv_reply_free(r);
    sf_kv_reply_free(w);
}

/* docs[from..to) through a, batch messages a call (0: one sf_agg_apply
 * each). */
static void apply_docs(sf_agg *a, const sf_buf *docs, size_t from, size_t to, size_t batch)
{
    for (size_t i = from; i < to; i += batch ? batch : 1) {
        sf_error e = SF_ERROR_INIT;
        sf_agg_msg m[NDOCS];
        size_t n = batch ? (to - i < batch ? to - i : batch) : 1;
        for (size_t j = 0; j < n; j++)
            m[j].json = docs[i + j].data, m[j].len = docs[i + j].len;
        if (batch) {
            assert_int_equal(sf_agg_apply_batch(a, m, n, &e), SF_OK);
        } else {
            m[0].rc = sf_agg_apply(a, m[0].json, m[0].len, &m[0].is_refs, &m[0].outcome, &e);
            m[0].err = e;
        }
        for (size_t j = 0; j < n; j++)
            if (m[j].rc != SF_OK)
                fail_msg("document %zu: %s", i + j, m[j].err.msg);
    }
}

/* After each run of the sequence (a later run's full plan could repair
 * what a wrong short plan left), every way leaves the reference's state. */
static void test_shortcut_same_state(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    /* r1, r2, r3 and refs, r4, r5, r6, r7, r8, r9 */
    const size_t ends[] = {5, 10, 16, 20, 25, 28, 30, 33, NDOCS};
    const struct {
        size_t batch;
        int shortcut, lazy, lean;
        const char *name;
    } ways[] = {{0, 1, 1, 1, "agg_rescan_one"},
                {NDOCS, 1, 1, 1, "agg_rescan_batch"},
                {4, 1, 1, 1, "agg_rescan_batch4"},
                {NDOCS, 0, 1, 1, "agg_rescan_batch_full"},
                {NDOCS, 1, 0, 1, "agg_rescan_batch_nolazy"},
                {4, 0, 0, 1, "agg_rescan_batch4_whole"},
                {0, 1, 1, 0, "agg_rescan_one_fat"},
                {4, 1, 1, 0, "agg_rescan_batch4_fat"}};
    sf_buf docs[NDOCS];
    make_docs(docs);
    for (size_t w = 0; w < sizeof ways / sizeof ways[0]; w++) {
        sf_agg *ra = agg_open(pref, 0, 0, 0),
               *ca = agg_open(pcur, ways[w].shortcut, ways[w].lazy, ways[w].lean);
        for (size_t k = 0, from = 0; k < sizeof ends / sizeof ends[0]; from = ends[k++]) {
            sf_buf ref, cur;
            /* b and e rescanned over views stored before the package
             * hash, a over one stored before the findings hash */
            if (k == 1)
                for (int p = 0; p < 2; p++)
                    strip_hash(pfx[p], 'b'), strip_hash(pfx[p], 'e'), old_format(pfx[p], 'a');
            apply_docs(ra, docs, from, ends[k], 0);
            apply_docs(ca, docs, from, ends[k], ways[w].batch);
            sf_buf_init(&ref, 0);
            sf_buf_init(&cur, 0);
            sf_t_agg_dump(kv, pref, &ref);
            sf_t_agg_dump(kv, pcur, &cur);
            assert_true(ref.len > 2000); /* the sequence did write a fleet view */
            if (!sf_t_agg_same_dumps(&ref, &cur, ways[w].name))
                fail_msg("%s left a different fleet view after document %zu", ways[w].name,
                         ends[k]);
            sf_buf_free(&ref);
            sf_buf_free(&cur);
        }
        /* the batch reused stored package lists, unless told not to */
        if (ways[w].batch && ways[w].lazy)
            assert_true(ca->lazy_reused >= 8);
        else
            assert_int_equal(ca->lazy_reused, 0);
        /* and the stored findings when their bytes hashed the same */
        if (ways[w].batch && ways[w].lazy && ways[w].shortcut && ways[w].lean)
            assert_true(ca->vulns_reused >= 8);
        else
            assert_int_equal(ca->vulns_reused, 0);
        sf_agg_free(ra);
        sf_agg_free(ca);
    }
    for (size_t i = 0; i < NDOCS; i++)
        sf_buf_free(&docs[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_shortcut_same_state)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
