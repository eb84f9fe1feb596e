/*
 * agg_int: what the aggregator's files share: agg.c (the handle, one
 * result at a time, the guarded apply and the refs rule), agg_refs.c
 * (refs messages and pending refs), agg_unref.c (unref messages) and
 * agg_batch.c (many results in one guarded script). Not for other
 * modules.
 */
#ifndef SF_AGG_INT_H
#define SF_AGG_INT_H

#include <stdint.h>

#include "agg.h"
#include "agg_plan.h"
#include "bus/msg_refs.h"
#include "cache/keys.h"
#include "fleet/agg_view.h"

/* Retries of the guarded update when another writer moved the digest
 * between our read and our write; more than a handful means a bug. */
#define AGG_CAS_TRIES 16

/* A Lua script run by EVALSHA (its SHA1, computed once), with EVAL as
 * the fallback when Redis answers NOSCRIPT (restarted, SCRIPT FLUSH, a
 * failover): a batch's script is then not sent in full with every call. */
typedef struct sf_agg_script {
    const char *text;
    char sha[41]; /* "" until computed */
} sf_agg_script;

struct sf_agg {
    sf_kv *kv;
    char prefix[SF_KEY_PREFIX_MAX + 1];
    char shard[SF_KEY_MAX];
    char order[SF_KEY_MAX], views[SF_KEY_MAX], pkgsof[SF_KEY_MAX], runs[SF_KEY_MAX];
    char refs[SF_KEY_MAX], pend[SF_KEY_MAX]; /* pend: refs before their result (agg_refs.c) */
    char pendt[SF_KEY_MAX];  /* when each pending entry began (expiry) */
    int64_t pend_ttl_ms;     /* SF_LIM_AGG_PENDING_TTL_MS; SF_AGG_PENDING_TTL_MS for tests */
    /* SF_AGG_NO_COMPACT set: send plans as built (the bench's baseline). */
    int no_compact;
    /* SF_AGG_NO_SHORTCUT set: an unchanged rescan is planned in full too
     * (sf_agg_plan_same, sf_agg_plan_rescan: the tests' reference). */
    int no_shortcut;
    /* SF_AGG_NO_LAZY set: the batch decodes every result whole, its stored
     * package list never reused (sf_agg_view_from_result_lazy: the tests'
     * reference). */
    int no_lazy;
    /* SF_AGG_NO_LEAN set: an unchanged rescan writes again the add-only
     * entries its stored view made (SF_AGG_RESCAN_LEAN off), and the batch
     * parses the stored package list a matching hash reuses even when
     * the short plan does not look at it (the bench's baseline). */
    int no_lean;
    /* SF_AGG_NO_VH set: the batch decodes every result's findings, never
     * taking the stored view's when their bytes hash as its "vh"
     * (sf_agg_lazy_vulns: the bench's baseline). */
    int no_vh;
    uint64_t lazy_reused; /* results whose stored package list was reused (tests) */
    uint64_t vulns_reused; /* results whose findings were the stored view's (tests) */
    sf_agg_script batch_apply, batch_progress; /* agg_batch.c */
    sf_agg_script s_apply, s_progress;             /* agg.c's */
    sf_agg_script s_refs, s_pend_add, s_pend_take; /* agg_refs.c's */
};

/* ---- agg_batch.c ---- */

/* The batch's switches from the environment (no_lazy, no_lean, no_vh). */
void sf_agg__batch_env(sf_agg *a);

/* Run script text (s remembers it and its SHA1) with argv[2..argc): EVALSHA,
 * or EVAL when Redis answers NOSCRIPT; argv[0..1] are filled here. */
int sf_agg__eval(sf_agg *a, sf_agg_script *s, const char *text, int argc, const char **argv,
                 sf_kv_reply **r, sf_error *err);

/* ---- agg.c ---- */

/* HGET key field into a malloc'd string the caller frees (*out NULL when
 * absent; *len its length, when len is not NULL). */
int sf_agg__hget(sf_agg *a, const char *key, const char *field, char **out, size_t *len,
                 sf_error *err);
/* Run plan p for digest guarded by its expected order and stored view
 * ("" for none), setting the order to order; *applied = 0 when either
 * moved (the caller reads again). Compacts p first unless no_compact. */
int sf_agg__apply_plan(sf_agg *a, sf_agg_plan *p, const char *digest, const char *expected,
                       const char *order, const char *expected_view, int *applied,
                       sf_error *err);
/* The refs rule (push runs add, enumeration runs replace; see agg.c):
 * refs[0..n) of run at rank into v, whose refs are of v_run at v_rank.
 * *changed as sf_agg_view_set_refs. */
int sf_agg__merge_refs(sf_agg_view *v, int64_t v_rank, const char *v_run, const char *run,
                       int64_t rank, char *const *refs, size_t n, int *changed);
/* nv's refs (the result's own) merged with the stored view old (NULL:
 * none) by the refs rule, as one attempt of agg.c's update_view does;
 * cur is old's stored order string, rank the result's run rank. */
int sf_agg__result_refs(sf_agg_view *nv, const sf_agg_view *old, const char *cur, int64_t rank);

/* ---- agg_refs.c ---- */

/* The plan of a refs-only change old -> nv of image: the fleet view's
 * and the API index's (which parses the stored packages into both). */
int sf_agg__refs_plan(sf_agg *a, sf_agg_plan *plan, const char *image, sf_agg_view *old,
                      sf_agg_view *nv, sf_error *err);
/* Fold the refs of m (of its run at rank) into image's stored view,
 * compare-and-apply; *out says what came of it (NOVIEW: no view yet). */
int sf_agg__refs_update(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                        sf_agg_outcome *out, sf_error *err);
/* Refs that reached agg_refs.c before an image's result (its pending
 * refs): _pending_any tells whether any image has some (one call per
 * batch); _take_pending folds digest's own, and those of its index
 * job_key (may be NULL), into its stored view. */
int sf_agg__pending_any(sf_agg *a, int *any, sf_error *err);
int sf_agg__take_pending(sf_agg *a, const char *digest, const char *job_key, sf_error *err);

#endif
