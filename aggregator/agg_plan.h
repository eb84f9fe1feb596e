/*
 * agg_plan: the update plan of the fleet view, old view -> new view as
 * Redis operations (agg.c runs it in one guarded script). Counters are
 * derived from the views alone: see agg_plan.c.
 */
#ifndef SF_AGG_PLAN_H
#define SF_AGG_PLAN_H

#include <stddef.h>

#include "base/err.h"
#include "fleet/agg_view.h"

/* One Redis operation of a plan. */
typedef enum sf_agg_opcode {
    SF_AOP_HSET,  /* HSET key member value */
    SF_AOP_HDEL,  /* HDEL key member */
    SF_AOP_HINC,  /* HINCRBY key member n; field deleted when it reaches 0 */
    SF_AOP_SADD,
    SF_AOP_SREM,
    SF_AOP_ZINC,  /* ZINCRBY key n member; member removed at <= 0 */
    SF_AOP_HDELEQ /* HDEL key member when its value is `value` */
} sf_agg_opcode;

typedef struct sf_agg_op {
    sf_agg_opcode code;
    char *key;
    char *member;
    char *value; /* HSET value, or the decimal increment */
} sf_agg_op;

typedef struct sf_agg_plan {
    sf_agg_op *ops;
    size_t n, cap;
} sf_agg_plan;

void sf_agg_plan_clear(sf_agg_plan *p);

/*
 * Operations replacing old (NULL: the digest is new) by nv in the fleet
 * view under key prefix. result_json (the raw result) is stored for
 * `query image`. Counters are derived from the views only, so applying
 * the plan for (old -> nv) then (nv -> nv2) equals applying (old -> nv2).
 */
int sf_agg_plan_build(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                      const sf_agg_view *nv, const char *result_json, size_t result_len,
                      sf_error *err);

/*
 * Operations of a refs-only update of the digest's view: `old` is the
 * stored view, `nv` the same view after sf_agg_view_set_refs. Only what
 * depends on refs moves: per-registry / per-repository counts, the view
 * document, the ref -> digest map (refs no longer listed are removed
 * when they still point at this digest). Findings, packages and fleet
 * totals stay as they are.
 */
int sf_agg_plan_refs(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                     const sf_agg_view *nv, sf_error *err);

#endif
