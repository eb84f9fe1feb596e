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
#include <time.h>

#include "agg_view.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/log.h"
#include "bus/kcons.h"
#include "cache/keys.h"

/* Retries of the guarded update when another writer moved the digest
 * between our read and our write; more than a handful means a bug. */
#define AGG_CAS_TRIES 16

struct sf_agg {
    sf_kv *kv;
    char prefix[SF_KEY_PREFIX_MAX + 1];
    char shard[SF_KEY_MAX];
    char order[SF_KEY_MAX], views[SF_KEY_MAX], pkgsof[SF_KEY_MAX], runs[SF_KEY_MAX];
};

/* Guarded apply: KEYS[1] order hash; ARGV[1] digest, ARGV[2] expected
 * order ("" none), ARGV[3] new order; op i uses KEYS[i+1] and ARGV
 * 3i+1..3i+3 (code, member, value). Returns 1 applied, 0 order moved. */
static const char LUA_APPLY[] =
    "local cur=redis.call('hget',KEYS[1],ARGV[1]) if not cur then cur='' end "
    "if cur~=ARGV[2] then return 0 end "
    "local a=4 for i=2,#KEYS do local k,op,m,v=KEYS[i],ARGV[a],ARGV[a+1],ARGV[a+2] "
    "if op=='hset' then redis.call('hset',k,m,v) "
    "elseif op=='hdel' then redis.call('hdel',k,m) "
    "elseif op=='hinc' then if redis.call('hincrby',k,m,v)==0 then redis.call('hdel',k,m) end "
    "elseif op=='sadd' then redis.call('sadd',k,m) "
    "elseif op=='srem' then redis.call('srem',k,m) "
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

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
        (rc = sf_keys_agg(a->runs, prefix, "runs", err)) != SF_OK) {
        free(a);
        return rc;
    }
    snprintf(a->prefix, sizeof a->prefix, "%s", prefix);
    a->kv = kv;
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
    snprintf(now, sizeof now, "%lld", (long long)wall_ms());
    const char *argv[] = {"EVAL", LUA_PROGRESS, "4", jobs, prog, imgs, a->runs,
                          job_key, digest, run, now, counter, errkind};
    rc = sf_kv_argv(a->kv, a->shard, 13, argv, NULL, &r, err);
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
    static const char *const names[] = {"hset", "hdel", "hinc", "sadd", "srem", "zinc"};
    return names[c];
}

/* Run the plan guarded by expected order; *applied = 0 when it moved. */
static int apply_plan(sf_agg *a, const sf_agg_plan *p, const char *digest, const char *expected,
                      const char *order, int *applied, sf_error *err)
{
    size_t nkeys = p->n + 1, argc = 3 + nkeys + 3 + 3 * p->n;
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
    for (size_t i = 0; i < p->n; i++)
        argv[k++] = p->ops[i].key;
    argv[k++] = digest;
    argv[k++] = expected;
    argv[k++] = order;
    for (size_t i = 0; i < p->n; i++) {
        argv[k++] = op_name(p->ops[i].code);
        argv[k++] = p->ops[i].member;
        argv[k++] = p->ops[i].value;
    }
    rc = sf_kv_argv(a->kv, a->shard, (int)k, argv, NULL, &r, err);
    if (rc == SF_OK)
        *applied = r->type == SF_KV_INT && r->integer == 1;
    sf_kv_reply_free(r);
    free(argv);
    return rc;
}

/* Load the stored view of digest (with its packages) or NULL. */
static int load_old(sf_agg *a, const char *digest, sf_agg_view **old, sf_error *err)
{
    char *vj = NULL, *pj = NULL;
    size_t vl = 0, pl = 0;
    int rc;
    *old = NULL;
    if ((rc = hget(a, a->views, digest, &vj, &vl, err)) != SF_OK || !vj)
        goto done;
    if ((rc = sf_agg_view_parse(vj, vl, old, err)) != SF_OK)
        goto done;
    if ((rc = hget(a, a->pkgsof, digest, &pj, &pl, err)) == SF_OK && pj)
        rc = sf_agg_pkgs_parse(*old, pj, pl, err);
done:
    free(vj);
    free(pj);
    return rc;
}

/* The compare-and-apply loop for one decoded result. */
static int update_view(sf_agg *a, const sf_agg_view *nv, int64_t rank, const char *json,
                       size_t len, sf_agg_outcome *out, sf_error *err)
{
    char order[SF_KEY_MAX * 2];
    int rc = sf_agg_order_fmt(order, sizeof order, rank, nv);
    if (rc != SF_OK)
        return sf_error_set(err, rc, "result identity too long");
    for (int attempt = 0; attempt < AGG_CAS_TRIES; attempt++) {
        char *cur = NULL;
        sf_agg_view *old = NULL;
        sf_agg_plan plan = {0};
        int applied = 0;
        rc = hget(a, a->order, nv->digest, &cur, NULL, err);
        int cmp = rc == SF_OK && cur ? sf_agg_order_cmp(cur, order) : 1;
        if (rc == SF_OK && cmp <= 0) {
            *out = cmp == 0 ? SF_AGG_DUPLICATE : SF_AGG_STALE;
            free(cur);
            return SF_OK;
        }
        if (rc == SF_OK && cur)
            rc = load_old(a, nv->digest, &old, err);
        if (rc == SF_OK)
            rc = sf_agg_plan_build(&plan, a->prefix, old, nv, json, len, err);
        if (rc == SF_OK)
            rc = apply_plan(a, &plan, nv->digest, cur ? cur : "", order, &applied, err);
        sf_agg_plan_clear(&plan);
        sf_agg_view_free(old);
        free(cur);
        if (rc != SF_OK)
            return rc;
        if (applied) {
            *out = SF_AGG_APPLIED;
            return SF_OK;
        }
    }
    return sf_error_set(err, SF_EINTERNAL, "fleet view of %s kept moving", nv->digest);
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
    sf_agg_view_free(v);
    return rc;
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

int sf_agg_set_published(sf_kv *kv, const char *prefix, const char *run_id, long long n,
                         sf_error *err)
{
    char key[SF_KEY_MAX], shard[SF_KEY_MAX], num[32];
    int rc;
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_run_published(key, prefix, run_id, err)) != SF_OK ||
        (rc = sf_keys_agg_shard(shard, prefix, err)) != SF_OK)
        return rc;
    int len = snprintf(num, sizeof num, "%lld", n);
    return sf_kv_set(kv, shard, key, num, (size_t)len, 0, err);
}
