/*
 * runs: see runs.h. The writes of the coordinator side of the run
 * contract and the reads of run progress `scanfarm status`, the
 * coordinator and the rematch use; the aggregator (aggregator/agg.c)
 * writes the progress these read.
 */
#include "fleet/runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/keys.h"

int sf_runs_is_push(const char *run)
{
    return run && strncmp(run, SF_RUNS_PUSH_PREFIX, sizeof SF_RUNS_PUSH_PREFIX - 1) == 0;
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

/* ---- progress reads ---- */

static long long reply_ll(const sf_kv_reply *r)
{
    if (r->type == SF_KV_INT)
        return r->integer;
    if (r->type == SF_KV_STR)
        return strtoll(r->str, NULL, 10);
    return 0;
}

static int cmd(sf_kv *kv, const char *shard, sf_kv_reply **r, sf_error *err, int argc,
               const char **argv)
{
    return sf_kv_argv(kv, shard, argc, argv, NULL, r, err);
}

/* Fold the progress hash (field, value pairs) into out. */
static void fold_progress(const sf_kv_reply *r, sf_agg_progress *out)
{
    size_t kl = 0;
    for (size_t i = 0; r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2) {
        const char *f = r->elem[i].str ? r->elem[i].str : "";
        long long v = reply_ll(&r->elem[i + 1]);
        if (!strcmp(f, "results"))
            out->results = v;
        else if (!strcmp(f, "dlq"))
            out->dlq = v;
        else if (!strcmp(f, "errors"))
            out->errors = v;
        else if (!strcmp(f, "current"))
            out->current = v;
        else if (!strcmp(f, "first_ms"))
            out->first_ms = v;
        else if (!strcmp(f, "last_ms"))
            out->last_ms = v;
        else if (!strncmp(f, "err|", 4) && kl < sizeof out->kinds) {
            int n = snprintf(out->kinds + kl, sizeof out->kinds - kl, "%s%s=%lld", kl ? " " : "",
                             f + 4, v);
            kl = n > 0 ? kl + (size_t)n : kl;
        }
    }
}

int sf_agg_progress_get(sf_kv *kv, const char *prefix, const char *run_id, sf_agg_progress *out,
                        sf_error *err)
{
    char shard[SF_KEY_MAX], jobs[SF_KEY_MAX], prog[SF_KEY_MAX], pub[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    out->published = -1;
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_agg_shard(shard, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg_run(jobs, prefix, run_id, "jobs", err)) != SF_OK ||
        (rc = sf_keys_agg_run(prog, prefix, run_id, "progress", err)) != SF_OK ||
        (rc = sf_keys_run_published(pub, prefix, run_id, err)) != SF_OK)
        return rc;
    const char *a1[] = {"SCARD", jobs};
    if ((rc = cmd(kv, shard, &r, err, 2, a1)) != SF_OK)
        return rc;
    out->done = reply_ll(r);
    sf_kv_reply_free(r);
    const char *a2[] = {"HGETALL", prog};
    if ((rc = cmd(kv, shard, &r, err, 2, a2)) != SF_OK)
        return rc;
    fold_progress(r, out);
    sf_kv_reply_free(r);
    const char *a3[] = {"GET", pub};
    if ((rc = cmd(kv, shard, &r, err, 2, a3)) != SF_OK)
        return rc;
    if (r->type == SF_KV_STR)
        out->published = strtoll(r->str, NULL, 10);
    sf_kv_reply_free(r);
    out->complete = out->published >= 0 && out->done >= out->published;
    return SF_OK;
}

int sf_agg_latest_run(sf_kv *kv, const char *prefix, char *out, size_t outlen, sf_error *err)
{
    char shard[SF_KEY_MAX], runs[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    int rc;
    out[0] = '\0';
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_agg_shard(shard, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg(runs, prefix, "runs", err)) != SF_OK)
        return rc;
    /* Push runs (sf_runs_is_push) are not enumeration runs: a report of "the
     * latest run" means the latest enumeration. 64 push hours back is
     * more than the default 24 h interval leaves between two runs. */
    const char *argv[] = {"ZREVRANGE", runs, "0", "63"};
    if ((rc = cmd(kv, shard, &r, err, 4, argv)) != SF_OK)
        return rc;
    for (size_t i = 0; r->type == SF_KV_ARR && i < r->nelem; i++)
        if (r->elem[i].type == SF_KV_STR && !sf_runs_is_push(r->elem[i].str)) {
            snprintf(out, outlen, "%s", r->elem[i].str);
            break;
        }
    sf_kv_reply_free(r);
    return SF_OK;
}
