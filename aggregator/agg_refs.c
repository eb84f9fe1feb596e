/*
 * agg_refs: refs messages (bus/msg_refs.h), the tags the coordinator
 * finds for a digest it has already sent as a job. A refs message counts
 * in its run like a result (its own progress script), then folds its
 * refs into each image's stored view by the refs rule (sf_agg__merge_refs,
 * agg.c) in a compare-and-apply loop. An image with no view yet keeps
 * them as pending refs until its result lands and takes them
 * (sf_agg__take_pending, called by the one-result and the batch paths).
 * Its own file because it is the one path that writes a view without a
 * result: everything about refs arriving before, after or without their
 * image's result lives here.
 */
#include "agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"
#include "agg_plan.h"
#include "fleet/agg_view.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "bus/msg_refs.h"
#include "cache/keys.h"
#include "fleet/runs.h"

/* A refs message in its run: KEYS runs, images, progress; ARGV run id,
 * now ms, then the image digests. The run gets its rank as with a
 * result; the images count as seen in the run (report --run); the
 * progress hash counts "current" digests once. Returns the run rank. */
static const char LUA_REFS_PROGRESS[] =
    "redis.call('zadd',KEYS[1],'NX',ARGV[2],ARGV[1]) local new=0 "
    "for i=3,#ARGV do new=new+redis.call('sadd',KEYS[2],ARGV[i]) end "
    "if new>0 then redis.call('hincrby',KEYS[3],'current',1) end "
    "return redis.call('zscore',KEYS[1],ARGV[1])";


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
int sf_agg__refs_plan(sf_agg *a, sf_agg_plan *plan, const char *image, sf_agg_view *old,
                      sf_agg_view *nv, sf_error *err)
{
    char *pj = NULL;
    size_t pl = 0;
    int rc = sf_agg_plan_refs(plan, a->prefix, old, nv, err);
    if (rc == SF_OK && (rc = sf_agg__hget(a, a->pkgsof, image, &pj, &pl, err)) == SF_OK && pj &&
        (rc = sf_agg_pkgs_parse(old, pj, pl, err)) == SF_OK)
        rc = sf_agg_pkgs_parse(nv, pj, pl, err);
    free(pj);
    if (rc == SF_OK)
        rc = sf_agg_plan_index(plan, a->prefix, old, nv, nv->refs_run ? nv->refs_run : nv->run_id,
                               0, 1, err);
    return rc;
}

/* Fold the refs of m into image's stored view (compare-and-apply). */
int sf_agg__refs_update(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                        sf_agg_outcome *out, sf_error *err)
{
    int rc = SF_OK;
    for (int attempt = 0; attempt < AGG_CAS_TRIES; attempt++) {
        char *cur = NULL, *raw = NULL;
        size_t rl = 0;
        sf_agg_view *old = NULL, *nv = NULL;
        sf_agg_plan plan = {0};
        int applied = 0, changed = -1;
        if ((rc = sf_agg__hget(a, a->order, image, &cur, NULL, err)) == SF_OK && cur)
            rc = sf_agg__hget(a, a->views, image, &raw, &rl, err);
        if (rc == SF_OK && (!cur || !raw))
            *out = SF_AGG_NOVIEW; /* no result for it yet: nothing to attach refs to */
        else if (rc == SF_OK && (rc = sf_agg_view_parse(raw, rl, &old, err)) == SF_OK &&
                 (rc = sf_agg_view_parse(raw, rl, &nv, err)) == SF_OK) {
            int64_t vr = nv->refs_rank >= 0 ? nv->refs_rank : sf_agg_order_rank(cur);
            const char *vrun = nv->refs_run ? nv->refs_run : nv->run_id;
            int same_run = (vr == rank && strcmp(vrun, m->run_id) == 0) ||
                           sf_runs_is_push(m->run_id);
            if ((rc = sf_agg__merge_refs(nv, vr, vrun, m->run_id, rank, m->refs, m->nrefs,
                                         &changed)) != SF_OK)
                rc = sf_error_set(err, rc, "out of memory");
            else if (changed < 0)
                *out = SF_AGG_STALE;
            else if (changed == 0 && same_run)
                *out = SF_AGG_DUPLICATE;
            else if ((rc = sf_agg__refs_plan(a, &plan, image, old, nv, err)) == SF_OK)
                rc = sf_agg__apply_plan(a, &plan, image, cur, cur, raw, &applied, err);
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
        rc = sf_agg__hget(a, a->pend, key, &lines, NULL, err);
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
            rc = sf_agg__refs_update(a, &m, image, rank, &o, err);
            n = 0;
        }
        rank = rk, run = t1 + 1, refs[n++] = t2 + 1;
    }
    if (rc == SF_OK && n) {
        sf_refs_msg m = {.run_id = run, .refs = refs, .nrefs = n};
        sf_agg_outcome o;
        rc = sf_agg__refs_update(a, &m, image, rank, &o, err);
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
 * sf_agg__refs_update looked, fold them in now. */
static int pend_keep(sf_agg *a, const sf_refs_msg *m, const char *image, int64_t rank,
                     sf_error *err)
{
    char *cur = NULL;
    int rc = pend_add(a, m, image, rank, err);
    if (rc == SF_OK && (rc = sf_agg__hget(a, a->order, image, &cur, NULL, err)) == SF_OK && cur)
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
        if ((rc = sf_agg__refs_update(a, &m, m.images[i], rank, &o, err)) == SF_OK &&
            o == SF_AGG_NOVIEW)
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
