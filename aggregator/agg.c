/*
 * agg: see agg.h. One result = (1) run progress, an idempotent script
 * keyed by the job; (2) the fleet view, a compare-and-apply loop: read the
 * digest's stored order and view, decide with sf_agg_order_cmp, build the
 * plan, and run it in a script that first checks the order is still the
 * one read (else re-read and retry).
 *
 * This file is the aggregator's handle, the one-result path and what
 * every message kind shares: the guarded apply of a plan, the run
 * progress script (results and DLQ entries), the refs rule, and the
 * dispatch of a message by its schema. Refs messages and the refs that
 * wait for their image's result are agg_refs.c's; unref messages are
 * agg_unref.c's; many results in one script are agg_batch.c's. What
 * crosses between them is in agg_int.h.
 */
#include "agg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"
#include "agg_plan.h"
#include "fleet/agg_view.h"
#include "base/digest.h"
#include "base/limits.h"
#include "base/time.h"
#include "bus/msg_refs.h"
#include "bus/msg_unref.h"
#include "cache/keys.h"
#include "fleet/runs.h"

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
int sf_agg__hget(sf_agg *a, const char *key, const char *field, char **out, size_t *len,
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
int sf_agg__apply_plan(sf_agg *a, sf_agg_plan *p, const char *digest, const char *expected,
                       const char *order, const char *expected_view, int *applied,
                       sf_error *err)
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
    if ((rc = sf_agg__hget(a, a->views, digest, &vj, &vl, err)) != SF_OK || !vj)
        goto done;
    if ((rc = sf_agg_view_parse(vj, vl, old, err)) != SF_OK)
        goto done;
    if ((rc = sf_agg__hget(a, a->pkgsof, digest, &pj, &pl, err)) == SF_OK && pj)
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
int sf_agg__merge_refs(sf_agg_view *v, int64_t v_rank, const char *v_run, const char *run,
                       int64_t rank, char *const *refs, size_t n, int *changed)
{
    if (sf_runs_is_push(run))
        return sf_agg_view_set_refs(v, v_rank, v_run, v_rank, refs, n, changed);
    if (rank <= v_rank && sf_runs_is_push(v_run))
        return sf_agg_view_set_refs(v, v_rank, run, v_rank, refs, n, changed);
    return sf_agg_view_set_refs(v, v_rank, run, rank, refs, n, changed);
}

/* A result's refs follow the refs rule (agg_view.h, sf_agg__merge_refs)
 * against the stored view: refs of a later run (a refs message) survive
 * an older result. */
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
        rc = sf_agg__merge_refs(nv, old_rank, old_run, nv->run_id, rank, mine, nmine, &changed);
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
        rc = sf_agg__hget(a, a->order, nv->digest, &cur, NULL, err);
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
            rc = sf_agg__apply_plan(a, &plan, nv->digest, cur ? cur : "", order,
                                    raw ? raw : "", &applied, err);
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
     * when push runs are involved (sf_agg__merge_refs); for anything else the
     * refs rule leaves the view as it is. */
    if (rc == SF_OK && (*out == SF_AGG_STALE || *out == SF_AGG_DUPLICATE) && v->nrefs) {
        sf_refs_msg m = {.run_id = v->run_id, .refs = v->refs, .nrefs = v->nrefs};
        sf_agg_outcome o2 = SF_AGG_STALE;
        rc = sf_agg__refs_update(a, &m, v->digest, rank, &o2, err);
    }
    /* Refs that came before this result (pend_add): the image's own, and
     * those sent for the index it is a platform of. */
    if (rc == SF_OK)
        rc = sf_agg__take_pending(a, v->digest, v->job_key, err);
    sf_agg_view_free(v);
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
