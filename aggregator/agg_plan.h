/*
 * agg_plan: the update plan of the fleet view, old view -> new view as
 * Redis operations (agg.c runs it in one guarded script). Counters are
 * derived from the views alone: see agg_plan.c.
 */
#ifndef SF_AGG_PLAN_H
#define SF_AGG_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
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
    SF_AOP_HDELEQ, /* HDEL key member when its value is `value` */
    SF_AOP_ZMAX,  /* ZADD key GT value member (a maximum; never removed) */
    SF_AOP_ZNX,   /* ZADD key NX value member (first seen; never removed) */
    SF_AOP_ZADD,  /* ZADD key value member */
    SF_AOP_ZREM   /* ZREM key member */
} sf_agg_opcode;

typedef struct sf_agg_op {
    sf_agg_opcode code;
    char *key;
    char *member;
    char *value; /* HSET value, or the decimal increment */
    /* hashes of key and of (key, member), set when the op is added: the
     * compaction and the batch's grouping look ops up by them */
    uint64_t khash, hash;
} sf_agg_op;

/* The strings of a plan's ops live in blocks owned by the plan (freed
 * together by sf_agg_plan_clear): a new image's plan has thousands of
 * ops, and three mallocs each were a large share of the apply's CPU. */
typedef struct sf_agg_plan_blk sf_agg_plan_blk;

typedef struct sf_agg_plan {
    sf_agg_op *ops;
    size_t n, cap;
    sf_agg_plan_blk *blk; /* newest block first */
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
 * 1 when old (the stored view) and nv (a new result's, its refs merged)
 * make the same contributions to every counter and index set: same
 * error, refs (in order), findings (id, package, ecosystem, installed,
 * fixed, severity) and packages (ecosystem, name, version, source), which
 * is all the plans derive them from (agg_plan.c, agg_index.c). The full
 * plan's -old/+nv pairs then all cancel. pkgs_known: the caller found the
 * packages equal already (old's are then not looked at).
 */
int sf_agg_plan_same(const sf_agg_view *old, const sf_agg_view *nv, int pkgs_known);

/*
 * The plan of old -> nv when sf_agg_plan_same(old, nv): what the full
 * plan (sf_agg_plan_build then sf_agg_plan_index) leaves in Redis, without
 * planning the pairs that cancel: the view, result and refs map documents,
 * the index's add-only entries (maxima, first seen, name entries, facts),
 * the image's scores and summary. flags:
 *   SF_AGG_RESCAN_PKGS_STORED: the stored package list is
 *     sf_agg_plan_pkgs_json(nv) byte for byte, so it is not written again
 *     (nv's packages are then not looked at: they may be left undecoded);
 *   SF_AGG_RESCAN_LEAN: the add-only entries old's own plan made and nv
 *     would make alike (name entries, unchanged maxima, first seen) are
 *     left out as well (sf_agg_plan_index_addonly): Redis holds them; and
 *     with old_json (the stored view document old was parsed from; may be
 *     NULL), findings of unchanged values keep its bytes in nv's view
 *     (sf_agg_view_json_keep).
 */
#define SF_AGG_RESCAN_PKGS_STORED 1u
#define SF_AGG_RESCAN_LEAN 2u
int sf_agg_plan_rescan(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                       const sf_agg_view *nv, const char *result_json, size_t result_len,
                       int64_t rank, unsigned flags, const char *old_json, size_t old_len,
                       sf_error *err);

/* nv's package list as stored (agg:pkgsof): sf_agg_pkgs_json's bytes,
 * written without jansson when no string needs an escape. */
int sf_agg_plan_pkgs_json(const sf_agg_view *v, sf_buf *out);

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

/* The plan builders format thousands of members and numbers per image;
 * snprintf was a large share of the aggregator's CPU. sf_agg_cat: out :=
 * the NULL-terminated parts joined, cut at outlen - 1 bytes as snprintf
 * would. sf_agg_num: n in decimal, as "%lld". sf_agg_score: v as "%.17g". */
void sf_agg_cat(char *out, size_t outlen, const char *const *parts);
void sf_agg_num(char out[32], long long n);
void sf_agg_score(char out[48], double v);

/* Append src's ops to dst (their strings change owner too); src is left
 * empty. */
int sf_agg_plan_move(sf_agg_plan *dst, sf_agg_plan *src);

/* A copy of s owned by p (NULL when out of memory). */
char *sf_agg_plan_str(sf_agg_plan *p, const char *s);

/* One more operation on p (the index builder, agg_index.c, adds its own). */
int sf_agg_plan_op(sf_agg_plan *p, sf_agg_opcode code, const char *key, const char *member,
                   const char *value);

/* The counter operations of v (sign +1 adds, -1 removes) on the counts-
 * shaped hash `key`: per registry and repository, and with fleet the
 * fleet-wide and error fields. The per-run history deltas use it. */
int sf_agg_plan_counts(sf_agg_plan *p, const char *key, const sf_agg_view *v, int sign,
                       int fleet);

/*
 * The API's index operations (agg_index.c) for old -> nv, appended to p:
 * per-filter sets of images, vulnerabilities and packages, sort keys,
 * image summaries, the alias map and the per-run history delta of run
 * `run` (rank: that run's rank). refs_only: only what depends on refs
 * (scopes) moves, as in sf_agg_plan_refs. Layout in agg_index.c.
 */
int sf_agg_plan_index(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                      const sf_agg_view *nv, const char *run, int64_t rank, int refs_only,
                      sf_error *err);

/* The index part of sf_agg_plan_rescan: sf_agg_plan_index(old, nv) with
 * only what does not cancel when sf_agg_plan_same(old, nv) (old's image
 * scores are compared: an unchanged one is not written again). lean,
 * for an old with a package hash (stored since the name index existed,
 * so its plan made every add-only entry): name entries, and the maxima
 * and first-seen of findings whose cvss, EPSS and severity are old's,
 * are left out, as are nv's packages (not looked at); the facts (last
 * writer wins) are planned still. */
int sf_agg_plan_index_addonly(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                              const sf_agg_view *nv, const char *run, int64_t rank, int lean,
                              sf_error *err);

/*
 * Drop what cancels out in p (agg_compact.c): per (key, member), counter
 * increments are summed (none when 0), a remove followed by an add of
 * the same member keeps the add (SREM+SADD, and ZREM+ZADD of the same
 * score: neither), and repeats of one kind collapse (the last HSET or
 * ZADD, the highest ZMAX, the first ZNX, one SADD). Same effect on Redis,
 * fewer calls; also across the plans of several images appended into
 * one (agg_batch.c).
 */
int sf_agg_plan_compact(sf_agg_plan *p);

#endif
