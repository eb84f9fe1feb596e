/*
 * agg_int: what agg.c (one message at a time) and agg_batch.c (many
 * results in one guarded script) share. Not for other modules.
 */
#ifndef SF_AGG_INT_H
#define SF_AGG_INT_H

#include <stdint.h>

#include "agg.h"
#include "cache/keys.h"
#include "fleet/agg_view.h"

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
    char refs[SF_KEY_MAX], pend[SF_KEY_MAX]; /* pend: refs before their result (agg.c) */
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
    sf_agg_script s_apply, s_progress, s_refs, s_pend_add, s_pend_take; /* agg.c's */
};

/* Run script text (s remembers it and its SHA1) with argv[2..argc): EVALSHA,
 * or EVAL when Redis answers NOSCRIPT; argv[0..1] are filled here. */
/* The batch's switches from the environment (no_lazy, no_lean, no_vh). */
void sf_agg__batch_env(sf_agg *a);

int sf_agg__eval(sf_agg *a, sf_agg_script *s, const char *text, int argc, const char **argv,
                 sf_kv_reply **r, sf_error *err);

/* nv's refs (the result's own) merged with the stored view old (NULL:
 * none) by the refs rule, as one attempt of agg.c's update_view does;
 * cur is old's stored order string, rank the result's run rank. */
/* Refs that reached agg.c before an image's result (its pending refs):
 * _pending_any tells whether any image has some (one call per batch);
 * _take_pending folds digest's own, and those of its index job_key (may
 * be NULL), into its stored view. */
int sf_agg__pending_any(sf_agg *a, int *any, sf_error *err);
int sf_agg__take_pending(sf_agg *a, const char *digest, const char *job_key, sf_error *err);
int sf_agg__result_refs(sf_agg_view *nv, const sf_agg_view *old, const char *cur, int64_t rank);

#endif
