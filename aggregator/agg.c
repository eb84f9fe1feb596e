/*
 * agg: see agg.h. One result = (1) run progress, an idempotent script
 * keyed by the job; (2) the fleet view, a compare-and-apply loop: read the
 * digest's stored order and view, decide with sf_agg_order_cmp, build the
 * plan, and run it in a script that first checks the order is still the
 * one read (else re-read and retry).
 */
#include "agg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"
#include "agg_plan.h"
#include "fleet/agg_view.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "bus/kcons.h"
#include "bus/msg_refs.h"
#include "bus/msg_unref.h"
#include "cache/keys.h"
#include "fleet/runs.h"

/* Retries of the guarded update when another writer moved the digest
 * between our read and our write; more than a handful means a bug. */
#define AGG_CAS_TRIES 16

/* Guarded apply: KEYS[1] order hash, KEYS[2] views hash; ARGV[1] digest,
 * ARGV[2] expected order ("" none), ARGV[3] new order, ARGV[4] expected
 * view ("" none): the plan was built from exactly that view, so a
 * concurrent refs-only update (which keeps the order) also moves the
 * guard. Op i uses KEYS[i+2] and ARGV 3i+2..3i+4 (code, member, value).
 * Returns 1 applied, 0 order or view moved. */
static const char LUA_APPLY[] =
    "local cur=redis.call('hget',KEYS[1],ARGV[1]) if not cur then cur='' end "
    "if cur~=ARGV[2] then return 0 end "
    "local vw=redis.call('hget',KEYS[2],ARGV[1]) if not vw then vw='' end "
    "if vw~=ARGV[4] then return 0 end "
    "local a=5 for i=3,#KEYS do local k,op,m,v=KEYS[i],ARGV[a],ARGV[a+1],ARGV[a+2] "
    "if op=='hset' then redis.call('hset',k,m,v) "
    "elseif op=='hdel' then redis.call('hdel',k,m) "
    "elseif op=='hdeleq' then if redis.call('hget',k,m)==v then redis.call('hdel',k,m) end "
    "elseif op=='hinc' then if redis.call('hincrby',k,m,v)==0 then redis.call('hdel',k,m) end "
    "elseif op=='sadd' then redis.call('sadd',k,m) "
    "elseif op=='srem' then redis.call('srem',k,m) "
    "elseif op=='zmax' then redis.call('zadd',k,'GT',v,m) "
    "elseif op=='znx' then redis.call('zadd',k,'NX',v,m) "
    "elseif op=='zadd' then redis.call('zadd',k,v,m) "
    "elseif op=='zrem' then redis.call('zrem',k,m) "
    "elseif op=='zinc' then if tonumber(redis.call('zincrby',k,v,m))<=0 then "
    "redis.call('zrem',k,m) end end a=a+3 end "
    "redis.call('hset',KEYS[1],ARGV[1],ARGV[3]) return 1";

/* A refs message in its run: KEYS runs, images, progress; ARGV run id,
 * now ms, then the image digests. The run gets its rank as with a
 * result; the images count as seen in the run (report --run); the
 * progress hash counts "current" digests once. Returns the run rank. */
static const char LUA_REFS_PROGRESS[] =
    "redis.call('zadd',KEYS[1],'NX',ARGV[2],ARGV[1]) local new=0 "
    "for i=3,#ARGV do new=new+redis.call('sadd',KEYS[2],ARGV[i]) end "
    "if new>0 then redis.call('hincrby',KEYS[3],'current',1) end "
    "return redis.call('zscore',KEYS[1],ARGV[1])";

/* Run progress: KEYS jobs, progress, images, runs; ARGV job key, digest
 * ("" for DLQ), run id, now ms, counter ("results"|"dlq"), error kind ("").
 * Returns {added, run rank}. */
static const char LUA_PROGRESS[] =
    "redis.call('zadd',KEYS[4],'NX',ARGV[4],ARGV[3]) "
    "if ARGV[2]~='' then redis.call('sadd',KEYS[3],ARGV[2]) end "
    "local f=redis.call('hget',KEYS[2],'first_ms') "
    "if not f or tonumber(f)>tonumber(ARGV[4]) then redis.call('hset',KEYS[2],'first_ms',ARGV[4]) end "
    "local l=redis.call('hget',KEYS[2],'last_ms') "
    "if not l or tonumber(l)<tonumber(ARGV[4]) then redis.call('hset',KEYS[2],'last_ms',ARGV[4]) end "
    "local rank=redis.call('zscore',KEYS[4],ARGV[3]) "
    "if redis.call('sadd',KEYS[1],ARGV[1])==0 then return {0,rank} end "
    "redis.call('hincrby',KEYS[2],ARGV[5],1) "
    "if ARGV[6]~='' then redis.call('hincrby',KEYS[2],'errors',1) "
    "redis.call('hincrby',KEYS[2],'err|'..ARGV[6],1) end return {1,rank}";

/* Pending refs (see pend_add): KEYS[1] the hash, KEYS[2] a sorted set of
 * when each image's entry began, ARGV[1] the image, ARGV[2] lines to
 * append, ARGV[3] now (ms), ARGV[4] the expiry cut-off (ms), ARGV[5] how
 * many expired entries to drop first (bounded work per call). Past 256 KiB
 * an image takes no more (a digest whose job never yields a result must
 * not grow it for ever; the expiry removes it in the end). */
static const char LUA_PEND_ADD[] =
    "local old=redis.call('zrangebyscore',KEYS[2],'-inf',ARGV[4],'LIMIT',0,tonumber(ARGV[5])) "
    "for _,d in ipairs(old) do redis.call('hdel',KEYS[1],d) redis.call('zrem',KEYS[2],d) end "
    "local c=redis.call('hget',KEYS[1],ARGV[1]) or '' "
    "if #c+#ARGV[2]>262144 then return 0 end "
    "redis.call('hset',KEYS[1],ARGV[1],c..ARGV[2]) "
    "redis.call('zadd',KEYS[2],'NX',ARGV[3],ARGV[1]) return 1";
/* Take (read and delete) ARGV[1]'s pending lines; "" when none. */
static const char LUA_PEND_TAKE[] =
    "local c=redis.call('hget',KEYS[1],ARGV[1]) "
    "if not c then return '' end redis.call('hdel',KEYS[1],ARGV[1]) "
    "redis.call('zrem',KEYS[2],ARGV[1]) return c";

int sf_agg_new(sf_agg **out, sf_kv *kv, const char *prefix, sf_error *err)
{
    sf_agg *a = calloc(1, sizeof *a);
    int rc;
    *out = NULL;
    if (!a)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_agg_shard(a->shard, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg(a->order, prefix, "order", err)) != SF_OK ||
        (rc = sf_keys_agg(a->views, prefix, "views", err)) != SF_OK ||
        (rc = sf_keys_agg(a->pkgsof, prefix, "pkgsof", err)) != SF_OK ||
        (rc = sf_keys_agg(a->runs, prefix, "runs", err)) != SF_OK ||
        (rc = sf_keys_agg(a->refs, prefix, "refs", err)) != SF_OK ||
        (rc = sf_keys_agg(a->pend, prefix, "pendrefs", err)) != SF_OK ||
        (rc = sf_keys_agg(a->pendt, prefix, "pendtime", err)) != SF_OK) {
        free(a);
        return rc;
    }
    snprintf(a->prefix, sizeof a->prefix, "%s", prefix);
    a->kv = kv;
    a->no_compact = getenv("SF_AGG_NO_COMPACT") != NULL;
    a->no_shortcut = getenv("SF_AGG_NO_SHORTCUT") != NULL;
    sf_agg__batch_env(a);
    const char *ttl = getenv("SF_AGG_PENDING_TTL_MS");
    a->pend_ttl_ms = ttl && *ttl ? strtoll(ttl, NULL, 10) : SF_LIM_AGG_PENDING_TTL_MS;
    *out = a;
    return SF_OK;
}

void sf_agg_free(sf_agg *a) { free(a); }

/* HGET key field into a malloc'd string (*out NULL when absent). */
static int hget(sf_agg *a, const char *key, const char *field, char **out, size_t *len,
                sf_error *err)
{
    const char *argv[] = {"HGET", key, field};
    sf_kv_reply *r = NULL;
    *out = NULL;
    int rc = sf_kv_argv(a->kv, a->shard, 3, argv, NULL, &r, err);
    if (rc == SF_OK && r->type == SF_KV_STR) {
        *out = r->str;
        if (len)
            *len = r->len;
        r->str = NULL;
    }
    sf_kv_reply_free(r);
    return rc;
}

/* Record the result (or DLQ entry) in its run; *rank = the run's rank. */
static int progress(sf_agg *a, const char *run, const char *job_key, const char *digest,
                    const char *counter, const char *errkind, int *added, int64_t *rank,
                    sf_error *err)
{
    char jobs[SF_KEY_MAX], prog[SF_KEY_MAX], imgs[SF_KEY_MAX], now[32];
    sf_kv_reply *r = NULL;
    int rc;
    if ((rc = sf_keys_agg_run(jobs, a->prefix, run, "jobs", err)) != SF_OK ||
        (rc = sf_keys_agg_run(prog, a->prefix, run, "progress", err)) != SF_OK ||
        (rc = sf_keys_agg_run(imgs, a->prefix, run, "images", err)) != SF_OK)
        return rc;
    snprintf(now, sizeof now, "%lld", (long long)sf_time_wall_ms());
    const char *argv[] = {"EVAL", LUA_PROGRESS, "4", jobs, prog, imgs, a->runs,
                          job_key, digest, run, now, counter, errkind};
    rc = sf_agg__eval(a, &a->s_progress, LUA_PROGRESS, 13, argv, &r, err);
    if (rc == SF_OK) {
        if (r->type != SF_KV_ARR || r->nelem != 2 || r->elem[0].type != SF_KV_INT)
            rc = sf_error_set(err, SF_EREDIS, "redis: unexpected progress reply");
        else {
            *added = (int)r->elem[0].integer;
            /* Lua turns the score into a string or an integer reply. */
            const sf_kv_reply *s = &r->elem[1];
            *rank = s->type == SF_KV_INT ? s->integer
                    : s->type == SF_KV_STR ? strtoll(s->str, NULL, 10) : 0;
        }
    }
    sf_kv_reply_free(r);
    return rc;
}

static const char *op_name(sf_agg_opcode c)
{
    static const char *const names[] = {"hset", "hdel", "hinc", "sadd", "srem", "zinc",
                                        "hdeleq", "zmax", "znx", "zadd", "zrem"};
    return names[c];
}

/* Run the plan guarded by the expected order and view; *applied = 0 when
 * either moved. */
static int apply_plan(sf_agg *a, sf_agg_plan *p, const char *digest, const char *expected,
                      const char *order, const char *expected_view, int *applied, sf_error *err)
{
    /* A rescan's -old/+new pairs mostly cancel: send only the net change. */
    if (!a->no_compact && sf_agg_plan_compact(p) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    size_t nkeys = p->n + 2, argc = 3 + nkeys + 4 + 3 * p->n;
    const char **argv = calloc(argc, sizeof *argv);
    char nk[32];
    sf_kv_reply *r = NULL;
    int rc;
    *applied = 0;
    if (!argv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    snprintf(nk, sizeof nk, "%zu", nkeys);
    size_t k = 0;
    argv[k++] = "EVAL";
    argv[k++] = LUA_APPLY;
    argv[k++] = nk;
    argv[k++] = a->order;
    argv[k++] = a->views;
    for (size_t i = 0; i < p->n; i++)
        argv[k++] = p->ops[i].key;
    argv[k++] = digest;
    argv[k++] = expected;
    argv[k++] = order;
    argv[k++] = expected_view;
    for (size_t i = 0; i < p->n; i++) {
        argv[k++] = op_name(p->ops[i].code);
        argv[k++] = p->ops[i].member;
        argv[k++] = p->ops[i].value;
    }
    rc = sf_agg__eval(a, &a->s_apply, LUA_APPLY, (int)k, argv, &r, err);
    if (rc == SF_OK)
        *applied = r->type == SF_KV_INT && r->integer == 1;
    sf_kv_reply_free(r);
    free(argv);
    return rc;
}

/* Load the stored view of digest (with its packages) or NULL; *raw gets
 * the stored view document (the apply guard), NULL when absent. */
static int load_old(sf_agg *a, const char *digest, sf_agg_view **old, char **raw, sf_error *err)
{
    char *vj = NULL, *pj = NULL;
    size_t vl = 0, pl = 0;
    int rc;
    *old = NULL;
    *raw = NULL;
    if ((rc = hget(a, a->views, digest, &vj, &vl, err)) != SF_OK || !vj)
        goto done;
    if ((rc = sf_agg_view_parse(vj, vl, old, err)) != SF_OK)
        goto done;
    if ((rc = hget(a, a->pkgsof, digest, &pj, &pl, err)) == SF_OK && pj)
        rc = sf_agg_pkgs_parse(*old, pj, pl, err);
done:
    if (rc == SF_OK)
        *raw = vj;
    else
        free(vj);
    free(pj);
    return rc;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* v's refs := a copy of refs[0..n), of no particular run yet. */
static int reset_refs(sf_agg_view *v, char *const *refs, size_t n)
{
    char **c = calloc(n + 1, sizeof *c);
    if (!c)
        return SF_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(c[i] = sf_strdup(refs[i]))) {
            free_strs(c, i);
            return SF_ENOMEM;
        }
    free_strs(v->refs, v->nrefs);
    free(v->refs_run);
    v->refs = c, v->nrefs = n, v->refs_run = NULL, v->refs_rank = -1;
    return SF_OK;
}

/*
 * The refs rule with push runs (events.h): refs of a push run are
 * additions, never a digest's full tag list, so they join the stored refs
 * whatever the ranks (keeping the stored run); refs of an enumeration run
 * no newer than stored push refs join them too (the run listed its tags
 * before the push, so it cannot know the pushed tag), taking the run's
 * name so that a redelivery is a duplicate. Anything else is
 * sf_agg_view_set_refs. v_run is v's refs run.
 */
static int merge_refs(sf_agg_view *v, int64_t v_rank, const char *v_run, const char *run,
                      int64_t rank, char *const *refs, size_t n, int *changed)
{
    if (sf_runs_is_push(run))
        return sf_agg_view_set_refs(v, v_rank, v_run, v_rank, refs, n, changed);
    if (rank <= v_rank && sf_runs_is_push(v_run))
        return sf_agg_view_set_refs(v, v_rank, run, v_rank, refs, n, changed);
    return sf_agg_view_set_refs(v, v_rank, run, rank, refs, n, changed);
}

/* A result's refs follow the refs rule (agg_view.h, merge_refs) against
 * the stored view: refs of a later run (a refs message) survive an older
 * result. */
static int inherit_refs(sf_agg_view *nv, const sf_agg_view *old, const char *cur, int64_t rank)
{
    int changed = 0;
    nv->refs_rank = rank;
    if (!old)
        return SF_OK;
    int64_t old_rank = old->refs_rank >= 0 ? old->refs_rank : sf_agg_order_rank(cur);
    const char *old_run = old->refs_run ? old->refs_run : old->run_id;
    if (old_rank < rank && !sf_runs_is_push(nv->run_id))
        return SF_OK;
    /* Same or newer refs run: start from the stored refs, add ours when
     * they are of the same run. */
    char **mine = nv->refs;
    size_t nmine = nv->nrefs;
    nv->refs = NULL, nv->nrefs = 0;
    int rc = sf_agg_view_set_refs(nv, -1, old_run, old_rank, old->refs, old->nrefs, &changed);
    if (rc == SF_OK)
        rc = merge_refs(nv, old_rank, old_run, nv->run_id, rank, mine, nmine, &changed);
    free_strs(mine, nmine);
    return rc;
}

/* The compare-and-apply loop for one decoded result. */
static int update_view(sf_agg *a, sf_agg_view *nv, int64_t rank, const char *json,
                       size_t len, sf_agg_outcome *out, sf_error *err)
{
    char order[SF_KEY_MAX * 2];
    int rc = sf_agg_order_fmt(order, sizeof order, rank, nv);
    if (rc != SF_OK)
        return sf_error_set(err, rc, "result identity too long");
    /* The result's own refs, kept aside: each attempt merges them anew. */
    char **mine = nv->refs;
    size_t nmine = nv->nrefs;
    nv->refs = NULL, nv->nrefs = 0;
    rc = reset_refs(nv, mine, nmine);
    for (int attempt = 0; rc == SF_OK && attempt < AGG_CAS_TRIES; attempt++) {
        char *cur = NULL, *raw = NULL;
        sf_agg_view *old = NULL;
        sf_agg_plan plan = {0};
        int applied = 0;
        rc = hget(a, a->order, nv->digest, &cur, NULL, err);
        int cmp = rc == SF_OK && cur ? sf_agg_order_cmp(cur, order) : 1;
        if (rc == SF_OK && cmp <= 0) {
            *out = cmp == 0 ? SF_AGG_DUPLICATE : SF_AGG_STALE;
            free(cur);
            goto done;
        }
        if (rc == SF_OK && cur)
            rc = load_old(a, nv->digest, &old, &raw, err);
        /* A retry starts again from the result's own refs. */
        if (rc == SF_OK && ((rc = reset_refs(nv, mine, nmine)) != SF_OK ||
                            (rc = inherit_refs(nv, old, cur, rank)) != SF_OK))
            rc = sf_error_set(err, rc, "out of memory");
        /* an unchanged rescan: only what does not cancel (the stored
         * package list is rewritten: its bytes were not compared) */
        if (rc == SF_OK && old && !a->no_shortcut && sf_agg_plan_same(old, nv, 0))
            rc = sf_agg_plan_rescan(&plan, a->prefix, old, nv, json, len, rank,
                                    a->no_lean ? 0 : SF_AGG_RESCAN_LEAN, raw,
                                    raw ? strlen(raw) : 0, err);
        else if (rc == SF_OK && (rc = sf_agg_plan_build(&plan, a->prefix, old, nv, json, len,
                                                        err)) == SF_OK)
            rc = sf_agg_plan_index(&plan, a->prefix, old, nv, nv->run_id, rank, 0, err);
        if (rc == SF_OK)
            rc = apply_plan(a, &plan, nv->digest, cur ? cur : "", order, raw ? raw : "",
                            &applied, err);
        sf_agg_plan_clear(&plan);
        sf_agg_view_free(old);
        free(raw);
        free(cur);
        if (rc != SF_OK)
            goto done;
        if (applied) {
            *out = SF_AGG_APPLIED;
            goto done;
        }
    }
    if (rc == SF_OK)
        rc = sf_error_set(err, SF_EINTERNAL, "fleet view of %s kept moving", nv->digest);
done:
    free_strs(mine, nmine);
    return rc;
}

static int refs_update(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                       sf_agg_outcome *out, sf_error *err);
static int pend_apply(sf_agg *a, const char *key, const char *image, int take, sf_error *err);

int sf_agg_apply_result(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                        sf_error *err)
{
    sf_agg_view *v = NULL;
    int added = 0;
    int64_t rank = 0;
    int rc = sf_agg_view_from_result(json, len, &v, err);
    if (rc != SF_OK)
        return rc;
    rc = progress(a, v->run_id, v->job_key, v->digest, "results", v->error ? v->error : "",
                  &added, &rank, err);
    if (rc == SF_OK)
        rc = update_view(a, v, rank, json, len, out, err);
    /* A stale or duplicate result still carries refs the view may lack
     * when push runs are involved (merge_refs); for anything else the
     * refs rule leaves the view as it is. */
    if (rc == SF_OK && (*out == SF_AGG_STALE || *out == SF_AGG_DUPLICATE) && v->nrefs) {
        sf_refs_msg m = {.run_id = v->run_id, .refs = v->refs, .nrefs = v->nrefs};
        sf_agg_outcome o2 = SF_AGG_STALE;
        rc = refs_update(a, &m, v->digest, rank, &o2, err);
    }
    /* Refs that came before this result (pend_add): the image's own, and
     * those sent for the index it is a platform of. */
    if (rc == SF_OK)
        rc = sf_agg__take_pending(a, v->digest, v->job_key, err);
    sf_agg_view_free(v);
    return rc;
}

/* ---- refs messages (bus/msg_refs.h) ---- */

/* The run of a refs message: its rank, its images seen in it. */
static int refs_progress(sf_agg *a, const sf_refs_msg *m, int64_t *rank, sf_error *err)
{
    char imgs[SF_KEY_MAX], prog[SF_KEY_MAX], now[32];
    sf_kv_reply *r = NULL;
    int rc;
    if ((rc = sf_keys_agg_run(imgs, a->prefix, m->run_id, "images", err)) != SF_OK ||
        (rc = sf_keys_agg_run(prog, a->prefix, m->run_id, "progress", err)) != SF_OK)
        return rc;
    const char **argv = calloc(8 + m->nimages, sizeof *argv);
    if (!argv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    snprintf(now, sizeof now, "%lld", (long long)sf_time_wall_ms());
    size_t k = 0;
    argv[k++] = "EVAL", argv[k++] = LUA_REFS_PROGRESS, argv[k++] = "3";
    argv[k++] = a->runs, argv[k++] = imgs, argv[k++] = prog;
    argv[k++] = m->run_id, argv[k++] = now;
    for (size_t i = 0; i < m->nimages; i++)
        argv[k++] = m->images[i];
    rc = sf_agg__eval(a, &a->s_refs, LUA_REFS_PROGRESS, (int)k, argv, &r, err);
    if (rc == SF_OK)
        *rank = r->type == SF_KV_INT ? r->integer
                : r->type == SF_KV_STR ? strtoll(r->str, NULL, 10) : 0;
    sf_kv_reply_free(r);
    free(argv);
    return rc;
}

/* The plan of a refs-only change old -> nv of image: the fleet view's
 * and the API index's (which needs the packages, for their scopes). */
static int refs_plan(sf_agg *a, sf_agg_plan *plan, const char *image, sf_agg_view *old,
                     sf_agg_view *nv, sf_error *err)
{
    char *pj = NULL;
    size_t pl = 0;
    int rc = sf_agg_plan_refs(plan, a->prefix, old, nv, err);
    if (rc == SF_OK && (rc = hget(a, a->pkgsof, image, &pj, &pl, err)) == SF_OK && pj &&
        (rc = sf_agg_pkgs_parse(old, pj, pl, err)) == SF_OK)
        rc = sf_agg_pkgs_parse(nv, pj, pl, err);
    free(pj);
    if (rc == SF_OK)
        rc = sf_agg_plan_index(plan, a->prefix, old, nv, nv->refs_run ? nv->refs_run : nv->run_id,
                               0, 1, err);
    return rc;
}

/* Fold the refs of m into image's stored view (compare-and-apply). */
static int refs_update(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                       sf_agg_outcome *out, sf_error *err)
{
    int rc = SF_OK;
    for (int attempt = 0; attempt < AGG_CAS_TRIES; attempt++) {
        char *cur = NULL, *raw = NULL;
        size_t rl = 0;
        sf_agg_view *old = NULL, *nv = NULL;
        sf_agg_plan plan = {0};
        int applied = 0, changed = -1;
        if ((rc = hget(a, a->order, image, &cur, NULL, err)) == SF_OK && cur)
            rc = hget(a, a->views, image, &raw, &rl, err);
        if (rc == SF_OK && (!cur || !raw))
            *out = SF_AGG_NOVIEW; /* no result for it yet: nothing to attach refs to */
        else if (rc == SF_OK && (rc = sf_agg_view_parse(raw, rl, &old, err)) == SF_OK &&
                 (rc = sf_agg_view_parse(raw, rl, &nv, err)) == SF_OK) {
            int64_t vr = nv->refs_rank >= 0 ? nv->refs_rank : sf_agg_order_rank(cur);
            const char *vrun = nv->refs_run ? nv->refs_run : nv->run_id;
            int same_run = (vr == rank && strcmp(vrun, m->run_id) == 0) ||
                           sf_runs_is_push(m->run_id);
            if ((rc = merge_refs(nv, vr, vrun, m->run_id, rank, m->refs, m->nrefs,
                                 &changed)) != SF_OK)
                rc = sf_error_set(err, rc, "out of memory");
            else if (changed < 0)
                *out = SF_AGG_STALE;
            else if (changed == 0 && same_run)
                *out = SF_AGG_DUPLICATE;
            else if ((rc = refs_plan(a, &plan, image, old, nv, err)) == SF_OK)
                rc = apply_plan(a, &plan, image, cur, cur, raw, &applied, err);
            if (rc == SF_OK && applied)
                *out = SF_AGG_APPLIED;
        }
        int again = rc == SF_OK && changed >= 0 && !applied && *out != SF_AGG_DUPLICATE;
        sf_agg_plan_clear(&plan);
        sf_agg_view_free(old);
        sf_agg_view_free(nv);
        free(raw);
        free(cur);
        if (rc != SF_OK || !again)
            return rc;
    }
    return sf_error_set(err, SF_EINTERNAL, "fleet view of %s kept moving", image);
}

/*
 * Pending refs. The coordinator publishes jobs while it enumerates, so a
 * digest met again in a later repository has its refs sent as a refs
 * message (coordinator/enumerate.c) that may arrive before the digest's
 * result. Those refs wait in one hash (field: the image digest, value:
 * "rank\trun\tref\n" lines) until the result lands and takes them. Both
 * sides write first and look second (pend_add re-checks the view after
 * its write; a result looks after its own), so neither order loses them.
 */
static int pend_add(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                    sf_error *err)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < m->nrefs; i++)
        if (!strpbrk(m->refs[i], "\t\n"))
            rc = sf_buf_printf(&b, "%lld\t%s\t%s\n", (long long)rank, m->run_id, m->refs[i]);
    if (rc == SF_OK && b.len) {
        char now[24], cut[24], sweep[16];
        int64_t t = sf_time_wall_ms();
        snprintf(now, sizeof now, "%lld", (long long)t);
        snprintf(cut, sizeof cut, "%lld", (long long)(t - a->pend_ttl_ms));
        snprintf(sweep, sizeof sweep, "%d", SF_LIM_AGG_PENDING_SWEEP);
        const char *argv[] = {NULL, NULL, "2", a->pend, a->pendt, image, b.data, now, cut, sweep};
        sf_kv_reply *r = NULL;
        rc = sf_agg__eval(a, &a->s_pend_add, LUA_PEND_ADD, 10, argv, &r, err);
        sf_kv_reply_free(r);
    } else if (rc != SF_OK)
        rc = sf_error_set(err, rc, "out of memory");
    sf_buf_free(&b);
    return rc;
}

/* Fold the refs pending under key into image's stored view (which the
 * caller knows is there): each run of consecutive lines with the same
 * rank and run is one refs update. take: delete them (the image's own
 * result); else only read (an index's refs apply to every platform). */
static int pend_apply(sf_agg *a, const char *key, const char *image, int take, sf_error *err)
{
    char *lines = NULL;
    sf_kv_reply *r = NULL;
    int rc;
    if (take) {
        const char *argv[] = {NULL, NULL, "2", a->pend, a->pendt, key};
        if ((rc = sf_agg__eval(a, &a->s_pend_take, LUA_PEND_TAKE, 6, argv, &r, err)) == SF_OK &&
            r->type == SF_KV_STR && r->len && !(lines = sf_strdup(r->str)))
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    } else {
        rc = hget(a, a->pend, key, &lines, NULL, err);
    }
    char *run = NULL, *refs[64];
    long long rank = -1;
    size_t n = 0;
    for (char *p = lines, *nl; rc == SF_OK && p && *p; p = nl + 1) {
        char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!(nl = strchr(p, '\n')) || !t2 || t2 > nl)
            break; /* written by pend_add only: a torn line ends the list */
        *t1 = *t2 = *nl = 0;
        long long rk = strtoll(p, NULL, 10);
        if (n && (n == 64 || rk != rank || strcmp(run, t1 + 1))) {
            sf_refs_msg m = {.run_id = run, .refs = refs, .nrefs = n};
            sf_agg_outcome o;
            rc = refs_update(a, &m, image, rank, &o, err);
            n = 0;
        }
        rank = rk, run = t1 + 1, refs[n++] = t2 + 1;
    }
    if (rc == SF_OK && n) {
        sf_refs_msg m = {.run_id = run, .refs = refs, .nrefs = n};
        sf_agg_outcome o;
        rc = refs_update(a, &m, image, rank, &o, err);
    }
    sf_kv_reply_free(r);
    free(lines);
    return rc;
}

int sf_agg__pending_any(sf_agg *a, int *any, sf_error *err)
{
    const char *argv[] = {"EXISTS", a->pend};
    sf_kv_reply *r = NULL;
    int rc = sf_kv_argv(a->kv, a->shard, 2, argv, NULL, &r, err);
    *any = rc != SF_OK || r->type != SF_KV_INT || r->integer != 0; /* doubt: look */
    sf_kv_reply_free(r);
    return rc;
}

int sf_agg__take_pending(sf_agg *a, const char *digest, const char *job_key, sf_error *err)
{
    int rc = pend_apply(a, digest, digest, 1, err);
    if (rc == SF_OK && job_key && strcmp(job_key, digest))
        rc = pend_apply(a, job_key, digest, 0, err);
    return rc;
}

/* Keep refs for an image without a result; if its result landed since
 * refs_update looked, fold them in now. */
static int pend_keep(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                     sf_error *err)
{
    char *cur = NULL;
    int rc = pend_add(a, m, image, rank, err);
    if (rc == SF_OK && (rc = hget(a, a->order, image, &cur, NULL, err)) == SF_OK && cur)
        rc = pend_apply(a, image, image, 1, err);
    free(cur);
    return rc;
}

/* Same characters as a result's run id (it ends up in keys). */
static int run_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || strpbrk(s, ": *?[]|"))
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return 0;
    return 1;
}

int sf_agg_apply_refs(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                      sf_error *err)
{
    sf_refs_msg m;
    int64_t rank = 0;
    int rc = sf_refs_decode(json, len, &m, err);
    int seen[SF_AGG_NOVIEW + 1] = {0};
    if (rc == SF_OK && !run_id_ok(m.run_id))
        rc = sf_error_set(err, SF_EPARSE, "refs message with a malformed run_id");
    if (rc == SF_OK && m.nimages == 0)
        rc = sf_error_set(err, SF_EPARSE, "refs message without images");
    if (rc != SF_OK) {
        if (rc != SF_ENOMEM)
            rc = SF_EPARSE;
        goto done;
    }
    if ((rc = refs_progress(a, &m, &rank, err)) != SF_OK)
        goto done;
    for (size_t i = 0; rc == SF_OK && i < m.nimages; i++) {
        sf_agg_outcome o = SF_AGG_STALE;
        if ((rc = refs_update(a, &m, m.images[i], rank, &o, err)) == SF_OK && o == SF_AGG_NOVIEW)
            rc = pend_keep(a, &m, m.images[i], rank, err);
        if (rc == SF_OK)
            seen[o] = 1;
    }
    /* The best news of the images: applied > duplicate > stale > no view. */
    *out = seen[SF_AGG_APPLIED]     ? SF_AGG_APPLIED
           : seen[SF_AGG_DUPLICATE] ? SF_AGG_DUPLICATE
           : seen[SF_AGG_STALE]     ? SF_AGG_STALE
                                    : SF_AGG_NOVIEW;
    if (*out == SF_AGG_NOVIEW)
        SF_DEBUG("agg", "refs kept until the image's result|digest=%s run_id=%s refs=%zu",
                 m.digest, m.run_id, m.nrefs);
done:
    sf_refs_clear(&m);
    return rc;
}

/* ---- unref messages (bus/msg_unref.h) ---- */

/* 1 when ref is to be removed: exactly `ref`, or any tag of `prefix`
 * ("registry/repo:"). */
static int unref_match(const char *ref, const char *exact, const char *prefix)
{
    return exact ? strcmp(ref, exact) == 0 : strncmp(ref, prefix, strlen(prefix)) == 0;
}

/* Remove the matching refs from image's stored view (compare-and-apply). */
static int unref_update(sf_agg *a, const char *image, const char *exact, const char *prefix,
                        sf_agg_outcome *out, sf_error *err)
{
    for (int attempt = 0; attempt < AGG_CAS_TRIES; attempt++) {
        char *cur = NULL, *raw = NULL;
        size_t rl = 0, k = 0;
        sf_agg_view *old = NULL, *nv = NULL;
        sf_agg_plan plan = {0};
        int applied = 0, rc;
        *out = SF_AGG_NOVIEW;
        if ((rc = hget(a, a->order, image, &cur, NULL, err)) == SF_OK && cur)
            rc = hget(a, a->views, image, &raw, &rl, err);
        if (rc == SF_OK && cur && raw && (rc = sf_agg_view_parse(raw, rl, &old, err)) == SF_OK &&
            (rc = sf_agg_view_parse(raw, rl, &nv, err)) == SF_OK) {
            for (size_t i = 0; i < nv->nrefs; i++) {
                if (unref_match(nv->refs[i], exact, prefix))
                    free(nv->refs[i]);
                else
                    nv->refs[k++] = nv->refs[i];
            }
            *out = SF_AGG_DUPLICATE; /* nothing of it left to remove */
            if (k != nv->nrefs) {
                nv->nrefs = k;
                if ((rc = refs_plan(a, &plan, image, old, nv, err)) == SF_OK)
                    rc = apply_plan(a, &plan, image, cur, cur, raw, &applied, err);
                *out = applied ? SF_AGG_APPLIED : SF_AGG_STALE;
            }
        }
        sf_agg_plan_clear(&plan);
        sf_agg_view_free(old);
        sf_agg_view_free(nv);
        free(raw);
        free(cur);
        if (rc != SF_OK || *out != SF_AGG_STALE)
            return rc; /* STALE here: the view moved under us, read again */
    }
    return sf_error_set(err, SF_EINTERNAL, "fleet view of %s kept moving", image);
}

/* The digest a deleted tag resolved to, and the platform images of an
 * index digest: every view that may list the refs. */
static int unref_images(sf_agg *a, const char *target, sf_kv_reply **members, sf_error *err)
{
    char key[SF_KEY_MAX];
    int rc = sf_keys_agg_index(key, a->prefix, target, err);
    const char *argv[] = {"SMEMBERS", key};
    return rc != SF_OK ? rc : sf_kv_argv(a->kv, a->shard, 2, argv, NULL, members, err);
}

int sf_agg_apply_unref(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                       sf_error *err)
{
    sf_unref_msg m;
    char exact[1024], prefix[1024], *target = NULL;
    sf_kv_reply *mem = NULL;
    int rc = sf_unref_decode(json, len, &m, err);
    *out = SF_AGG_NOVIEW;
    if (rc != SF_OK)
        goto done;
    snprintf(prefix, sizeof prefix, "%s/%s:", m.registry, m.repository);
    snprintf(exact, sizeof exact, "%s%s", prefix, m.tag ? m.tag : "");
    if (m.tag)
        rc = hget(a, a->refs, exact, &target, NULL, err);
    else if (!(target = sf_strdup(m.digest)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc != SF_OK || !target)
        goto done;
    if ((rc = unref_images(a, target, &mem, err)) != SF_OK)
        goto done;
    int seen[SF_AGG_NOVIEW + 1] = {0};
    for (size_t i = 0; rc == SF_OK && i <= (mem->type == SF_KV_ARR ? mem->nelem : 0); i++) {
        const char *img = i == 0 ? target : mem->elem[i - 1].str;
        sf_agg_outcome o = SF_AGG_NOVIEW;
        if (img && (rc = unref_update(a, img, m.tag ? exact : NULL, prefix, &o, err)) == SF_OK)
            seen[o] = 1;
    }
    *out = seen[SF_AGG_APPLIED] ? SF_AGG_APPLIED : seen[SF_AGG_DUPLICATE] ? SF_AGG_DUPLICATE
                                                                          : SF_AGG_NOVIEW;
done:
    sf_kv_reply_free(mem);
    free(target);
    sf_unref_clear(&m);
    return rc;
}

/* The document's top-level schema is the refs message's. The byte search
 * keeps results (the bulk, and large) from a second parse. */
static int is_refs_doc(const char *json, size_t len)
{
    json_error_t je;
    if (!sf_refs_maybe(json, len))
        return 0;
    json_t *d = json_loadb(json, len, 0, &je);
    const char *schema = json_string_value(json_object_get(d, "schema"));
    int yes = schema && strcmp(schema, SF_REFS_SCHEMA) == 0;
    json_decref(d);
    return yes;
}

int sf_agg_apply(sf_agg *a, const char *json, size_t len, int *is_refs, sf_agg_outcome *out,
                 sf_error *err)
{
    if (sf_unref_maybe(json, len) && !sf_refs_maybe(json, len)) {
        json_error_t je;
        json_t *d = json_loadb(json, len, 0, &je);
        const char *schema = json_string_value(json_object_get(d, "schema"));
        int unref = schema && strcmp(schema, SF_UNREF_SCHEMA) == 0;
        json_decref(d);
        if (unref) {
            *is_refs = 2;
            return sf_agg_apply_unref(a, json, len, out, err);
        }
    }
    *is_refs = is_refs_doc(json, len);
    if (*is_refs)
        return sf_agg_apply_refs(a, json, len, out, err);
    return sf_agg_apply_result(a, json, len, out, err);
}

/* A DLQ entry: the job's fields at top level or under "job". */
int sf_agg_apply_dlq(sf_agg *a, const char *json, size_t len, int *added, sf_error *err)
{
    json_error_t je;
    int64_t rank = 0;
    int rc;
    *added = 0;
    json_t *doc = json_loadb(json, len, 0, &je);
    json_t *job = json_is_object(json_object_get(doc, "job")) ? json_object_get(doc, "job") : doc;
    const char *run = json_string_value(json_object_get(job, "run_id"));
    const char *d = json_string_value(json_object_get(job, "digest"));
    char key[SF_KEY_MAX];
    if (!json_is_object(doc) || !run || !d || sf_digest_validate(d, NULL) != SF_OK ||
        sf_keys_agg_run(key, a->prefix, run, "jobs", NULL) != SF_OK) {
        rc = sf_error_set(err, SF_EPARSE, "DLQ entry without a usable run_id and digest");
        goto done;
    }
    rc = progress(a, run, d, "", "dlq", "dlq", added, &rank, err);
done:
    json_decref(doc);
    return rc;
}

/* ---- for the batch path (agg_int.h) ---- */

int sf_agg__result_refs(sf_agg_view *nv, const sf_agg_view *old, const char *cur, int64_t rank)
{
    char **mine = nv->refs;
    size_t nmine = nv->nrefs;
    nv->refs = NULL, nv->nrefs = 0;
    int rc = reset_refs(nv, mine, nmine);
    if (rc == SF_OK)
        rc = inherit_refs(nv, old, cur, rank);
    free_strs(mine, nmine);
    return rc;
}
