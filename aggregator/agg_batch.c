/*
 * agg_batch: many results folded into the fleet view together (issue 17:
 * the aggregator at >= 2,000 results/s). One result alone costs its run
 * progress script, its order read, its view read and one guarded script
 * of ~3,900 Redis calls for a new image of 300 packages; most of those
 * calls are fleet-wide counters (package -> images, per scope ...) that
 * the next image touches again. Here a segment of consecutive results:
 *
 *   0. is decoded in two steps (sf_agg_view_from_result_lazy): all but
 *      each result's package list, then, with the stored views and
 *      package lists read, the stored list when the result's package
 *      bytes hash as the stored view's ("ph"), else the result's own
 *      (with the hash equal the stored list is parsed only if step 3
 *      plans in full: a short plan does not read the packages); the
 *      findings alike: the stored view's when the result's
 *      "vulnerabilities" bytes hash as its "vh", else decoded;
 *   1. records its run progress in one script (the same steps per result
 *      as agg.c's LUA_PROGRESS, so redelivery stays a no-op);
 *   2. reads every stored order, then every stored view (those step 0
 *      has not), with one HMGET each;
 *   3. plans each image exactly as agg.c does (sf_agg_plan_build and
 *      _index, refs merged by the same rule; an unchanged rescan only
 *      what does not cancel, sf_agg_plan_rescan, its stored package list
 *      compared by bytes and parsed only for a full plan; lean: the
 *      add-only entries the stored view's own plan wrote are not sent
 *      again, SF_AGG_RESCAN_LEAN), appends the plans into one, and
 *      compacts it: a counter 64 images raise is one increment;
 *   4. sends the merged plan in one guarded script: every image's order
 *      and view must still be the ones read, else nothing is applied and
 *      each result goes through agg.c's one-at-a-time path (a concurrent
 *      aggregator moved one). Ops are grouped per key into variadic calls
 *      (SADD k m1 m2 ..., ZADD, HSET ...; counters as one ZMSCORE / HMGET
 *      read and one write), so Redis runs a few calls per key, not one
 *      per member.
 *
 * The index written is the one agg.c writes, call for call in effect:
 * every reader (API, query, rematch) is unchanged. A result whose digest
 * repeats in a segment, a refs or unref message, a duplicate or stale
 * result carrying refs: all go through agg.c's path, in message order.
 * Scripts run by EVALSHA, loaded by an EVAL on NOSCRIPT.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agg_int.h"
#include "agg_plan.h"
#include "base/log.h"
#include "base/time.h"
#include "bus/msg_refs.h"
#include "bus/msg_unref.h"

/* Results planned together: bounds the memory of a segment. */
#define BATCH_MAX 64
/* Plan ops (each image's compacted) per guarded script: bounds how long
 * one script holds Redis (readers wait for it) to a few tens of ms. */
#define BATCH_OPS 60000
/* Members per variadic call: well under Lua's C stack of 8000 values. */
#define GROUP_MAX 1000

/* Progress of many results: KEYS[1] runs, then per result jobs, progress,
 * images; ARGV[1] now ms, then per result job key, digest, run id,
 * counter, error kind. The steps of agg.c's LUA_PROGRESS per result.
 * Returns {added, rank} per result, flattened. */
static const char LUA_PROGRESS_MANY[] =
    "local out={} local now=ARGV[1] "
    "for i=0,(#KEYS-1)/3-1 do "
    "local jobs,prog,imgs=KEYS[2+3*i],KEYS[3+3*i],KEYS[4+3*i] local b=2+5*i "
    "local job,dg,run,ctr,ek=ARGV[b],ARGV[b+1],ARGV[b+2],ARGV[b+3],ARGV[b+4] "
    "redis.call('zadd',KEYS[1],'NX',now,run) "
    "if dg~='' then redis.call('sadd',imgs,dg) end "
    "local f=redis.call('hget',prog,'first_ms') "
    "if not f or tonumber(f)>tonumber(now) then redis.call('hset',prog,'first_ms',now) end "
    "local l=redis.call('hget',prog,'last_ms') "
    "if not l or tonumber(l)<tonumber(now) then redis.call('hset',prog,'last_ms',now) end "
    "local added=redis.call('sadd',jobs,job) "
    "if added==1 then redis.call('hincrby',prog,ctr,1) "
    "if ek~='' then redis.call('hincrby',prog,'errors',1) "
    "redis.call('hincrby',prog,'err|'..ek,1) end end "
    "out[#out+1]=added out[#out+1]=tonumber(redis.call('zscore',KEYS[1],run)) end "
    "return out";

/* Guarded apply of many images: KEYS[1] order, KEYS[2] views, KEYS[g]
 * (g >= 3) the key of op group g; ARGV[1] image count n, then per image
 * digest, expected order, new order, expected view; then per group its
 * op name, member count m and its arguments laid out as the variadic
 * command takes them (so most groups are one unpack of ARGV, no Lua
 * loop): m members (sadd srem hdel zrem), m (score, member) pairs (zadd
 * zmax znx), m (field, value) pairs (hset), m (member, value) pairs
 * (hdeleq hinc zinc). Returns 1 applied, 0 some image's order or view
 * moved (nothing applied). */
static const char LUA_APPLY_MANY[] =
    "local n=tonumber(ARGV[1]) local a=2 local ds,ex,nw,ev={},{},{},{} "
    "for i=1,n do ds[i],ex[i],nw[i],ev[i]=ARGV[a],ARGV[a+1],ARGV[a+2],ARGV[a+3] a=a+4 end "
    "local cur=redis.call('hmget',KEYS[1],unpack(ds)) "
    "local vw=redis.call('hmget',KEYS[2],unpack(ds)) "
    "for i=1,n do if (cur[i] or '')~=ex[i] or (vw[i] or '')~=ev[i] then return 0 end end "
    "for g=3,#KEYS do "
    "local k,op,m=KEYS[g],ARGV[a],tonumber(ARGV[a+1]) local b=a+2 "
    "if op=='sadd' or op=='srem' or op=='hdel' or op=='zrem' then a=b+m "
    "redis.call(op,k,unpack(ARGV,b,a-1)) "
    "else a=b+2*m "
    "if op=='hset' or op=='zadd' then redis.call(op,k,unpack(ARGV,b,a-1)) "
    "elseif op=='zmax' then redis.call('zadd',k,'GT',unpack(ARGV,b,a-1)) "
    "elseif op=='znx' then redis.call('zadd',k,'NX',unpack(ARGV,b,a-1)) "
    "elseif op=='hdeleq' then "
    "for j=0,m-1 do if redis.call('hget',k,ARGV[b+2*j])==ARGV[b+2*j+1] then "
    "redis.call('hdel',k,ARGV[b+2*j]) end end "
    "elseif m==1 and op=='hinc' then "
    "if redis.call('hincrby',k,ARGV[b],ARGV[b+1])==0 then redis.call('hdel',k,ARGV[b]) end "
    "elseif m==1 and op=='zinc' then "
    "if tonumber(redis.call('zincrby',k,ARGV[b+1],ARGV[b]))<=0 then "
    "redis.call('zrem',k,ARGV[b]) end "
    "else "
    /* counters of many members: one read, then one write and one removal */
    "local f={} for j=0,m-1 do f[j+1]=ARGV[b+2*j] end "
    "local c=redis.call(op=='hinc' and 'hmget' or 'zmscore',k,unpack(f)) "
    "local put,del={},{} "
    "for j=1,m do local v=(tonumber(c[j]) or 0)+tonumber(ARGV[b+2*j-1]) "
    "if (op=='hinc' and v==0) or (op=='zinc' and v<=0) then del[#del+1]=f[j] "
    "elseif op=='hinc' then put[#put+1]=f[j] put[#put+1]=string.format('%d',v) "
    "else put[#put+1]=string.format('%d',v) put[#put+1]=f[j] end end "
    "if #put>0 then redis.call(op=='hinc' and 'hset' or 'zadd',k,unpack(put)) end "
    "if #del>0 then redis.call(op=='hinc' and 'hdel' or 'zrem',k,unpack(del)) end "
    "end end end "
    "local o={} for i=1,n do o[2*i-1]=ds[i] o[2*i]=nw[i] end "
    "redis.call('hset',KEYS[1],unpack(o)) return 1";

void sf_agg__batch_env(sf_agg *a)
{
    a->no_lazy = getenv("SF_AGG_NO_LAZY") != NULL;
    a->no_lean = getenv("SF_AGG_NO_LEAN") != NULL;
    a->no_vh = getenv("SF_AGG_NO_VH") != NULL;
}

static const char *op_name(sf_agg_opcode c)
{
    static const char *const names[] = {"hset", "hdel", "hinc", "sadd", "srem", "zinc",
                                        "hdeleq", "zmax", "znx", "zadd", "zrem"};
    return names[c];
}

static void script_sha(sf_agg_script *s)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (s->sha[0])
        return;
    if (EVP_Digest(s->text, strlen(s->text), md, &n, EVP_sha1(), NULL) != 1 || n != 20)
        return; /* no SHA1: plain EVAL every time */
    for (unsigned i = 0; i < n; i++)
        snprintf(s->sha + 2 * i, 3, "%02x", md[i]);
}

int sf_agg__eval(sf_agg *a, sf_agg_script *s, const char *text, int argc, const char **argv,
                 sf_kv_reply **r, sf_error *err)
{
    sf_error mine = SF_ERROR_INIT;
    if (!s->text)
        s->text = text;
    script_sha(s);
    if (s->sha[0]) {
        argv[0] = "EVALSHA", argv[1] = s->sha;
        int rc = sf_kv_argv(a->kv, a->shard, argc, argv, NULL, r, &mine);
        if (rc != SF_EREDIS || !strstr(mine.msg, "NOSCRIPT")) {
            if (rc != SF_OK && err)
                *err = mine;
            return rc;
        }
    }
    argv[0] = "EVAL", argv[1] = s->text; /* loads it for the next EVALSHA */
    return sf_kv_argv(a->kv, a->shard, argc, argv, NULL, r, err);
}

/* One result of a segment. */
typedef struct item {
    sf_agg_msg *m;
    sf_agg_view *nv, *old;
    char *cur, *raw; /* stored order and view (NULL: none) */
    char *pk;        /* stored package list (NULL: none), parsed into old when needed */
    size_t pkl, rawl;
    sf_agg_lazy *lz; /* nv's package list pending (two-step decode), else NULL */
    int pre;         /* raw, pk and old read by seg_resolve already */
    int pk_same;     /* nv's package hash is old's: its packages are pk's, not
                        parsed (lz kept) until a full plan needs them */
    char order[SF_KEY_MAX * 2];
    int64_t rank;
    int slow; /* through agg.c's path, in its turn */
} item;

/* Step 1: run progress of every item (but those agg.c's path takes),
 * and their run ranks. */
static int seg_progress(sf_agg *a, item *it, size_t n, sf_error *err)
{
    size_t argc = 4 + 3 * n + 1 + 5 * n, np = 0;
    const char **argv = calloc(argc, sizeof *argv);
    char (*keys)[3][SF_KEY_MAX] = calloc(n, sizeof *keys), now[32], nk[32];
    size_t *idx = calloc(n + 1, sizeof *idx);
    sf_kv_reply *r = NULL;
    int rc = argv && keys && idx ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    size_t k = 4;
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        const char *run = it[i].nv->run_id;
        if (it[i].slow)
            continue;
        if ((rc = sf_keys_agg_run(keys[np][0], a->prefix, run, "jobs", err)) != SF_OK ||
            (rc = sf_keys_agg_run(keys[np][1], a->prefix, run, "progress", err)) != SF_OK ||
            (rc = sf_keys_agg_run(keys[np][2], a->prefix, run, "images", err)) != SF_OK)
            break;
        argv[k++] = keys[np][0], argv[k++] = keys[np][1], argv[k++] = keys[np][2];
        idx[np++] = i;
    }
    snprintf(now, sizeof now, "%lld", (long long)sf_time_wall_ms());
    snprintf(nk, sizeof nk, "%zu", 1 + 3 * np);
    if (rc == SF_OK) {
        argv[2] = nk, argv[3] = a->runs;
        argv[k++] = now;
    }
    for (size_t j = 0; rc == SF_OK && j < np; j++) {
        const sf_agg_view *v = it[idx[j]].nv;
        argv[k++] = v->job_key, argv[k++] = v->digest, argv[k++] = v->run_id;
        argv[k++] = "results", argv[k++] = v->error ? v->error : "";
    }
    if (rc == SF_OK && np)
        rc = sf_agg__eval(a, &a->batch_progress, LUA_PROGRESS_MANY, (int)k, argv, &r, err);
    if (rc == SF_OK && np && (r->type != SF_KV_ARR || r->nelem != 2 * np))
        rc = sf_error_set(err, SF_EREDIS, "redis: unexpected batch progress reply");
    for (size_t j = 0; rc == SF_OK && j < np; j++) {
        const sf_kv_reply *s = &r->elem[2 * j + 1];
        it[idx[j]].rank = s->type == SF_KV_INT ? s->integer
                          : s->type == SF_KV_STR ? strtoll(s->str, NULL, 10) : 0;
    }
    sf_kv_reply_free(r);
    free(argv);
    free(keys);
    free(idx);
    return rc;
}

/* HMGET hash over the digests of it[] (those with want[i]) into out[i]
 * (malloc'd, NULL when absent); lens may be NULL. */
static int hmget(sf_agg *a, const char *hash, item *it, size_t n, const int *want, char **out,
                 size_t *lens, sf_error *err)
{
    const char **argv = calloc(n + 2, sizeof *argv);
    size_t *idx = calloc(n + 1, sizeof *idx), k = 0;
    sf_kv_reply *r = NULL;
    int rc = argv && idx ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        if (want[i])
            idx[k] = i, argv[2 + k++] = it[i].nv->digest;
    if (rc == SF_OK && k) {
        argv[0] = "HMGET", argv[1] = hash;
        rc = sf_kv_argv(a->kv, a->shard, (int)k + 2, argv, NULL, &r, err);
        if (rc == SF_OK && (r->type != SF_KV_ARR || r->nelem != k))
            rc = sf_error_set(err, SF_EREDIS, "redis: unexpected HMGET reply");
        for (size_t j = 0; rc == SF_OK && j < k; j++)
            if (r->elem[j].type == SF_KV_STR) {
                out[idx[j]] = r->elem[j].str;
                if (lens)
                    lens[idx[j]] = r->elem[j].len;
                r->elem[j].str = NULL;
            }
    }
    sf_kv_reply_free(r);
    free(argv);
    free(idx);
    return rc;
}

/* Step 2: stored orders, the outcome of duplicates and stale results,
 * and the stored views of the rest. */
static int seg_load(sf_agg *a, item *it, size_t n, sf_error *err)
{
    int *want = calloc(n + 1, sizeof *want);
    char **cur = calloc(n + 1, sizeof *cur), **pk = calloc(n + 1, sizeof *pk);
    size_t *vl = calloc(n + 1, sizeof *vl), *pl = calloc(n + 1, sizeof *pl);
    int rc = want && cur && pk && vl && pl ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        want[i] = !it[i].slow;
        if (want[i] &&
            sf_agg_order_fmt(it[i].order, sizeof it[i].order, it[i].rank, it[i].nv) != SF_OK)
            it[i].slow = 1, want[i] = 0; /* agg.c's path reports it */
    }
    if (rc == SF_OK)
        rc = hmget(a, a->order, it, n, want, cur, NULL, err);
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        it[i].cur = cur[i];
        want[i] = 0;
        if (it[i].slow)
            continue;
        int cmp = it[i].cur ? sf_agg_order_cmp(it[i].cur, it[i].order) : 1;
        if (cmp <= 0) {
            it[i].m->outcome = cmp == 0 ? SF_AGG_DUPLICATE : SF_AGG_STALE;
            /* refs a push run may add to the stored view: agg.c's path */
            it[i].slow = it[i].nv->nrefs > 0;
            it[i].m->rc = it[i].slow ? -1 : SF_OK;
        } else {
            want[i] = it[i].cur != NULL;
        }
    }
    char **raw = cur; /* reused: the orders now belong to the items */
    memset(raw, 0, (n + 1) * sizeof *raw);
    int *got = calloc(n + 1, sizeof *got); /* read by seg_resolve, wanted */
    if (rc == SF_OK && !got)
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        if (it[i].pre)
            got[i] = want[i], want[i] = 0;
    if (rc == SF_OK)
        rc = hmget(a, a->views, it, n, want, raw, vl, err);
    if (rc == SF_OK)
        rc = hmget(a, a->pkgsof, it, n, want, pk, pl, err);
    for (size_t i = 0; i < n; i++) {
        if (it[i].pre) {
            /* what this step would have read: nothing unless wanted */
            if (rc == SF_OK && !got[i]) {
                sf_agg_view_free(it[i].old);
                free(it[i].raw);
                free(it[i].pk);
                it[i].old = NULL, it[i].raw = it[i].pk = NULL, it[i].pkl = 0;
            } else if (rc == SF_OK && it[i].raw && !it[i].old) {
                it[i].slow = 1; /* a stored view agg.c's path must judge */
            }
            continue;
        }
        it[i].raw = raw[i], it[i].rawl = vl[i];
        it[i].pk = pk[i], it[i].pkl = pl[i];
        if (rc == SF_OK && want[i] && raw[i] &&
            sf_agg_view_parse(raw[i], vl[i], &it[i].old, err) != SF_OK)
            it[i].slow = 1; /* a stored view agg.c's path must judge */
    }
    free(want);
    free(got);
    free(cur);
    free(pk);
    free(vl);
    free(pl);
    return rc;
}

static void item_free(item *x)
{
    sf_agg_view_free(x->nv);
    sf_agg_view_free(x->old);
    sf_agg_lazy_free(x->lz);
    free(x->cur);
    free(x->raw);
    free(x->pk);
    memset(x, 0, sizeof *x);
}

/* Step 0: the package lists the two-step decode left pending
 * (sf_agg_view_from_result_lazy). The stored view and package list of
 * those images are read first (seg_load keeps them): a stored view with
 * the result's package hash gives its package list, else the result's
 * own is decoded. A result whose package list turns out unusable leaves
 * the segment here, before its progress counts, as agg.c's path refuses
 * it (its error is the whole document's). *k: items left. */
static int seg_resolve(sf_agg *a, item *it, size_t *k, sf_error *err)
{
    size_t n = *k, left = 0;
    int *want = calloc(n + 1, sizeof *want);
    char **raw = calloc(n + 1, sizeof *raw), **pk = calloc(n + 1, sizeof *pk);
    size_t *vl = calloc(n + 1, sizeof *vl), *pl = calloc(n + 1, sizeof *pl);
    int rc = want && raw && pk && vl && pl ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        want[i] = it[i].lz && !it[i].slow;
    if (rc == SF_OK)
        rc = hmget(a, a->views, it, n, want, raw, vl, err);
    if (rc == SF_OK)
        rc = hmget(a, a->pkgsof, it, n, want, pk, pl, err);
    for (size_t i = 0; i < n; i++) {
        item *x = &it[i];
        if (rc == SF_OK && want[i]) {
            int reused = 0;
            x->pre = 1, x->raw = raw[i], x->rawl = vl[i], x->pk = pk[i], x->pkl = pl[i];
            raw[i] = pk[i] = NULL;
            if (x->raw && sf_agg_view_parse(x->raw, x->rawl, &x->old, NULL) != SF_OK)
                x->old = NULL; /* seg_load sends it to agg.c's path */
            /* the same "os" and packages bytes as the stored view's: the
             * packages are the stored list's, and a short plan does not
             * read them; plan_item parses them if a full plan does */
            x->pk_same = !a->no_lean && !a->no_shortcut && x->old && x->pk && x->old->pkhash &&
                         x->nv->pkhash && strcmp(x->old->pkhash, x->nv->pkhash) == 0;
            /* the findings likewise: the stored view's when the result's
             * findings bytes hash as its "vh" (the switches: decoded) */
            int vh_off = a->no_vh || a->no_lean || a->no_shortcut, vreused = 0,
                prc = sf_agg_lazy_vulns(x->lz, x->nv, vh_off ? NULL : x->old, &vreused,
                                        &x->m->err);
            a->vulns_reused += prc == SF_OK && vreused;
            if (prc == SF_OK && x->pk_same) {
                reused = 1;
            } else if (prc == SF_OK) {
                prc = sf_agg_lazy_finish(x->lz, x->nv, x->old ? x->old->pkhash : NULL, x->pk,
                                         x->pkl, &reused, &x->m->err);
                sf_agg_lazy_free(x->lz);
                x->lz = NULL;
            }
            a->lazy_reused += prc == SF_OK && reused;
            if (prc == SF_ENOMEM) {
                rc = prc, *err = x->m->err;
            } else if (prc != SF_OK) {
                x->m->rc = prc; /* as agg.c: its error, the message skipped */
                item_free(x);
                continue;
            }
        }
        if (left != i) {
            it[left] = *x;
            memset(x, 0, sizeof *x);
        }
        left++;
    }
    *k = left;
    for (size_t i = 0; i < n; i++)
        free(raw[i]), free(pk[i]);
    free(want);
    free(raw);
    free(pk);
    free(vl);
    free(pl);
    return rc;
}

/* ---- grouping the merged plan per key ---- */

typedef struct kgrp {
    size_t head, tail; /* op chain of one key, in plan order (+1; 0 empty) */
} kgrp;

typedef struct run {
    size_t first; /* first op of the run, chained by next[] */
    size_t n;
    sf_agg_opcode code;
    const char *key;
} run;

/* Runs of one opcode on one key, in plan order per key, at most
 * GROUP_MAX members each, and no member twice in a counter run (its
 * read-modify-write reads each member once). *runs and *next malloc'd. */
static int group_plan(const sf_agg_plan *p, run **runs_out, size_t *nruns, size_t **next_out)
{
    size_t cap = 16;
    while (cap < p->n * 2)
        cap *= 2;
    kgrp *t = calloc(cap, sizeof *t);
    size_t *order = malloc((p->n + 1) * sizeof *order), nk = 0;
    size_t *next = malloc((p->n + 1) * sizeof *next), *rnext = malloc((p->n + 1) * sizeof *rnext);
    size_t *seen = calloc(cap, sizeof *seen), *seen_op = calloc(cap, sizeof *seen_op);
    run *runs = malloc((p->n + 1) * sizeof *runs);
    size_t nr = 0;
    int rc = t && order && next && rnext && seen && seen_op && runs ? SF_OK : SF_ENOMEM;
    for (size_t i = 0; rc == SF_OK && i < p->n; i++) {
        size_t h = (size_t)p->ops[i].khash & (cap - 1);
        while (t[h].head && (p->ops[t[h].head - 1].khash != p->ops[i].khash ||
                             strcmp(p->ops[t[h].head - 1].key, p->ops[i].key) != 0))
            h = (h + 1) & (cap - 1);
        if (!t[h].head)
            t[h].head = i + 1, order[nk++] = h;
        else
            next[t[h].tail - 1] = i;
        t[h].tail = i + 1;
        next[i] = SIZE_MAX;
    }
    /* walk each key's chain; seen[] maps (key, member) -> run id + 1 */
    for (size_t g = 0; rc == SF_OK && g < nk; g++) {
        run *cur = NULL;
        size_t last = 0;
        for (size_t i = t[order[g]].head - 1; i != SIZE_MAX; i = next[i]) {
            const sf_agg_op *o = &p->ops[i];
            int counter = o->code == SF_AOP_HINC || o->code == SF_AOP_ZINC;
            size_t h = 0;
            if (counter) {
                h = (size_t)o->hash & (cap - 1);
                while (seen[h] && !(p->ops[seen_op[h]].hash == o->hash &&
                                    strcmp(p->ops[seen_op[h]].key, o->key) == 0 &&
                                    strcmp(p->ops[seen_op[h]].member, o->member) == 0))
                    h = (h + 1) & (cap - 1);
            }
            if (!cur || cur->code != o->code || cur->n >= GROUP_MAX ||
                (counter && seen[h] == (size_t)(cur - runs) + 1)) {
                cur = &runs[nr++];
                *cur = (run){.first = i, .n = 0, .code = o->code, .key = o->key};
            } else {
                rnext[last] = i;
            }
            rnext[i] = SIZE_MAX;
            last = i;
            cur->n++;
            if (counter)
                seen[h] = (size_t)(cur - runs) + 1, seen_op[h] = i;
        }
    }
    free(t);
    free(order);
    free(next);
    free(seen);
    free(seen_op);
    if (rc != SF_OK) {
        free(runs);
        free(rnext);
        return SF_ENOMEM;
    }
    *runs_out = runs, *nruns = nr, *next_out = rnext;
    return SF_OK;
}

/* Step 4: the merged plan of items sub[0..ns) in one guarded script;
 * *applied = 0 when an image moved. */
static int send_plan(sf_agg *a, sf_agg_plan *p, item **sub, size_t ns, int *applied,
                     sf_error *err)
{
    run *runs = NULL;
    size_t nr = 0, *next = NULL;
    *applied = 0;
    if (sf_agg_plan_compact(p) != SF_OK || group_plan(p, &runs, &nr, &next) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    size_t argc = 3 + 2 + nr + 1 + 4 * ns + 2 * nr + 2 * p->n;
    const char **argv = calloc(argc, sizeof *argv);
    char (*cnt)[16] = calloc(nr + 1, sizeof *cnt), nk[32], nimg[32];
    sf_kv_reply *r = NULL;
    int rc = argv && cnt ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK) {
        size_t k = 2;
        snprintf(nk, sizeof nk, "%zu", nr + 2);
        snprintf(nimg, sizeof nimg, "%zu", ns);
        argv[k++] = nk, argv[k++] = a->order, argv[k++] = a->views;
        for (size_t g = 0; g < nr; g++)
            argv[k++] = runs[g].key;
        argv[k++] = nimg;
        for (size_t i = 0; i < ns; i++) {
            argv[k++] = sub[i]->nv->digest, argv[k++] = sub[i]->cur ? sub[i]->cur : "";
            argv[k++] = sub[i]->order, argv[k++] = sub[i]->raw ? sub[i]->raw : "";
        }
        for (size_t g = 0; g < nr; g++) {
            snprintf(cnt[g], sizeof cnt[g], "%zu", runs[g].n);
            argv[k++] = op_name(runs[g].code), argv[k++] = cnt[g];
            sf_agg_opcode c = runs[g].code;
            int bare = c == SF_AOP_SADD || c == SF_AOP_SREM || c == SF_AOP_HDEL ||
                       c == SF_AOP_ZREM;
            int score_first = c == SF_AOP_ZADD || c == SF_AOP_ZMAX || c == SF_AOP_ZNX;
            for (size_t i = runs[g].first; i != SIZE_MAX; i = next[i]) {
                const sf_agg_op *o = &p->ops[i];
                if (bare)
                    argv[k++] = o->member;
                else if (score_first)
                    argv[k++] = o->value, argv[k++] = o->member;
                else
                    argv[k++] = o->member, argv[k++] = o->value;
            }
        }
        rc = sf_agg__eval(a, &a->batch_apply, LUA_APPLY_MANY, (int)k, argv, &r, err);
    }
    if (rc == SF_OK)
        *applied = r->type == SF_KV_INT && r->integer == 1;
    sf_kv_reply_free(r);
    free(argv);
    free(cnt);
    free(runs);
    free(next);
    return rc;
}

/* One item through agg.c's path (its progress again: a no-op). */
static int one_at_a_time(sf_agg *a, item *x, sf_error *err)
{
    x->m->rc = sf_agg_apply_result(a, x->m->json, x->m->len, &x->m->outcome, &x->m->err);
    if (x->m->rc == SF_EREDIS || x->m->rc == SF_ENOMEM) {
        *err = x->m->err;
        return x->m->rc;
    }
    return SF_OK;
}

/* Send the plan of sub[0..*ns); if an image moved, each goes one at a
 * time, right here: the messages keep their order either way. */
static int flush(sf_agg *a, sf_agg_plan *plan, item **sub, size_t *ns, sf_error *err)
{
    int applied = 0, rc = *ns ? send_plan(a, plan, sub, *ns, &applied, err) : SF_OK;
    for (size_t j = 0; rc == SF_OK && j < *ns; j++) {
        if (applied)
            sub[j]->m->rc = SF_OK, sub[j]->m->outcome = SF_AGG_APPLIED;
        else
            rc = one_at_a_time(a, sub[j], err); /* another writer moved one */
    }
    sf_agg_plan_clear(plan);
    *ns = 0;
    return rc;
}

/* Step 3 for one item: its plan, compacted. An unchanged rescan (the
 * stored package list is the result's byte for byte, and the rest of
 * what the index derives from is the same: sf_agg_plan_same) skips the
 * pairs that would cancel; anything else is planned in full, from the
 * stored view with its packages. */
static int plan_item(sf_agg *a, item *x, sf_agg_plan *one, sf_error *pe)
{
    int rc = SF_OK, stored = x->pk_same, reused = 0;
    if (!stored && x->old && x->pk && !a->no_shortcut) {
        sf_buf pj;
        sf_buf_init(&pj, 0);
        rc = sf_agg_plan_pkgs_json(x->nv, &pj);
        stored = rc == SF_OK && pj.len == x->pkl && memcmp(pj.data, x->pk, pj.len) == 0;
        sf_buf_free(&pj);
        if (rc != SF_OK)
            return sf_error_set(pe, rc, "out of memory");
    }
    if (stored && sf_agg_plan_same(x->old, x->nv, 1)) {
        rc = sf_agg_plan_rescan(one, a->prefix, x->old, x->nv, x->m->json, x->m->len, x->rank,
                                SF_AGG_RESCAN_PKGS_STORED | (a->no_lean ? 0 : SF_AGG_RESCAN_LEAN),
                                x->raw, x->rawl, pe);
    } else {
        /* the packages a full plan needs (seg_resolve's reuse, deferred;
         * the result's own list if the stored one does not parse, which
         * bytes that decoded when stored do as well) */
        if (x->pk_same && (rc = sf_agg_lazy_finish(x->lz, x->nv, x->old->pkhash, x->pk, x->pkl,
                                                   &reused, pe)) != SF_OK)
            return rc;
        (void)reused; /* counted as reused by seg_resolve */
        if (x->old && x->pk && (rc = sf_agg_pkgs_parse(x->old, x->pk, x->pkl, pe)) != SF_OK)
            return rc; /* a stored package list agg.c's path must judge */
        rc = sf_agg_plan_build(one, a->prefix, x->old, x->nv, x->m->json, x->m->len, pe);
        if (rc == SF_OK)
            rc = sf_agg_plan_index(one, a->prefix, x->old, x->nv, x->nv->run_id, x->rank, 0, pe);
    }
    /* a new image's plan has no pairs to cancel: the merged plan's
     * compaction (send_plan) sums and collapses what it repeats */
    if (rc == SF_OK && x->old && sf_agg_plan_compact(one) != SF_OK)
        rc = sf_error_set(pe, SF_ENOMEM, "out of memory");
    return rc;
}

/* Steps 3 and 4 in message order: runs of items planned together, at most
 * BATCH_OPS ops a script; an item agg.c's path must take ends the run
 * before it and goes alone. */
static int seg_apply(sf_agg *a, item *it, size_t n, sf_error *err)
{
    item *sub[BATCH_MAX];
    size_t ns = 0;
    sf_agg_plan plan = {0};
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        item *x = &it[i];
        if (!x->slow && x->m->rc != -1)
            continue; /* a duplicate or stale result: decided */
        if (!x->slow) {
            if ((rc = sf_agg__result_refs(x->nv, x->old, x->cur, x->rank)) != SF_OK) {
                rc = sf_error_set(err, rc, "out of memory");
                break;
            }
            /* each image's own -old/+new pairs cancel in a small table
             * first; the merged plan then sums what images share */
            sf_agg_plan one = {0};
            sf_error pe = SF_ERROR_INIT;
            int prc = plan_item(a, x, &one, &pe);
            if (prc == SF_OK && sf_agg_plan_move(&plan, &one) != SF_OK)
                prc = sf_error_set(&pe, SF_ENOMEM, "out of memory");
            sf_agg_plan_clear(&one);
            if (prc == SF_ENOMEM) {
                rc = prc, *err = pe;
                break;
            }
            x->slow = prc != SF_OK; /* agg.c's path reports what is wrong */
        }
        if (!x->slow) {
            sub[ns++] = x;
            if (plan.n >= BATCH_OPS)
                rc = flush(a, &plan, sub, &ns, err);
        } else if ((rc = flush(a, &plan, sub, &ns, err)) == SF_OK) {
            rc = one_at_a_time(a, x, err);
        }
    }
    if (rc == SF_OK)
        rc = flush(a, &plan, sub, &ns, err);
    sf_agg_plan_clear(&plan);
    return rc;
}

static void items_free(item *it, size_t n)
{
    for (size_t i = 0; i < n; i++)
        item_free(&it[i]);
}

/* Refs that came before the segment's results (agg.c keeps them): one
 * EXISTS when none are pending, the usual case. */
static int seg_pending(sf_agg *a, item *it, size_t k, sf_error *err)
{
    int any = 0, rc = sf_agg__pending_any(a, &any, err);
    for (size_t x = 0; rc == SF_OK && any && x < k; x++)
        if (!it[x].slow && it[x].nv)
            rc = sf_agg__take_pending(a, it[x].nv->digest, it[x].nv->job_key, err);
    return rc;
}

/* A segment: the results m[0..n) up to the first whose digest repeats
 * (it must see the earlier one applied); *used = messages consumed. */
static int segment(sf_agg *a, sf_agg_msg *m, size_t n, size_t *used, sf_error *err)
{
    item it[BATCH_MAX];
    size_t k = 0, i = 0;
    int rc = SF_OK;
    memset(it, 0, sizeof it);
    for (; i < n && k < BATCH_MAX; i++) {
        sf_agg_lazy *lz = NULL;
        int prc = a->no_lazy
                      ? sf_agg_view_from_result(m[i].json, m[i].len, &it[k].nv, &m[i].err)
                      : sf_agg_view_from_result_lazy(m[i].json, m[i].len, &it[k].nv, &lz,
                                                     &m[i].err);
        if (prc != SF_OK) {
            it[k].nv = NULL;
            m[i].rc = prc; /* as agg.c: its error, the message skipped */
            continue;
        }
        /* a run id no key can hold: agg.c's path reports it, in turn */
        char key[SF_KEY_MAX];
        it[k].slow = sf_keys_agg_run(key, a->prefix, it[k].nv->run_id, "progress", NULL) != SF_OK;
        int again = 0;
        for (size_t j = 0; j < k && !again; j++)
            again = strcmp(it[j].nv->digest, it[k].nv->digest) == 0;
        if (again) {
            sf_agg_view_free(it[k].nv);
            sf_agg_lazy_free(lz);
            it[k].nv = NULL;
            break;
        }
        it[k].lz = lz;
        it[k++].m = &m[i];
    }
    *used = i;
    if (k)
        rc = seg_resolve(a, it, &k, err);
    if (rc == SF_OK && k && (rc = seg_progress(a, it, k, err)) == SF_OK &&
        (rc = seg_load(a, it, k, err)) == SF_OK)
        rc = seg_apply(a, it, k, err);
    if (rc == SF_OK && k)
        rc = seg_pending(a, it, k, err);
    items_free(it, k);
    for (size_t x = 0; rc == SF_OK && x < i; x++)
        if (m[x].rc == SF_EREDIS || m[x].rc == SF_ENOMEM) {
            *err = m[x].err;
            rc = m[x].rc;
        }
    return rc;
}

/* A refs or unref document (or a result whose bytes look like one: the
 * exact test is agg.c's). */
static int maybe_other(const sf_agg_msg *m)
{
    return sf_refs_maybe(m->json, m->len) || sf_unref_maybe(m->json, m->len);
}

int sf_agg_apply_batch(sf_agg *a, sf_agg_msg *m, size_t n, sf_error *err)
{
    int rc = SF_OK;
    for (size_t i = 0; i < n; i++) {
        m[i].rc = -1, m[i].outcome = SF_AGG_STALE, m[i].is_refs = 0;
        sf_error_clear(&m[i].err);
    }
    size_t i = 0;
    while (rc == SF_OK && i < n) {
        if (a->no_compact || maybe_other(&m[i])) {
            m[i].rc = sf_agg_apply(a, m[i].json, m[i].len, &m[i].is_refs, &m[i].outcome,
                                   &m[i].err);
            if (m[i].rc == SF_EREDIS || m[i].rc == SF_ENOMEM)
                *err = m[i].err, rc = m[i].rc;
            i++;
            continue;
        }
        size_t j = i + 1, used = 0;
        while (j < n && j - i < BATCH_MAX && !maybe_other(&m[j]))
            j++;
        rc = segment(a, m + i, j - i, &used, err);
        if (rc != SF_OK && rc != SF_EREDIS && rc != SF_ENOMEM) {
            /* not a Redis or memory failure (a bug): no retry loop on it,
             * the segment's messages go one at a time as before batching */
            SF_WARN("agg", "batch failed, applying one at a time|err=\"%s\"", err->msg);
            rc = SF_OK;
            used = used ? used : 1;
            for (size_t x = i; x < i + used && rc == SF_OK; x++) {
                m[x].rc = sf_agg_apply(a, m[x].json, m[x].len, &m[x].is_refs, &m[x].outcome,
                                       &m[x].err);
                if (m[x].rc == SF_EREDIS || m[x].rc == SF_ENOMEM)
                    *err = m[x].err, rc = m[x].rc;
            }
        }
        i += used ? used : 1;
    }
    return rc;
}
