/*
 * agg_loop: the aggregator process (`scanfarm aggregate`) and the reads
 * of run progress used by `scanfarm status` and the coordinator.
 *
 * Two members of the same consumer group, one per topic, are polled in
 * turn from one thread. A result is marked done (its offset becomes
 * committable) only after Redis has it; when Redis fails, the message is
 * retried in place with a backoff, so the commit frontier never passes an
 * unapplied result. Unusable documents are logged and skipped: replaying
 * them would fail the same way forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "events.h"
#include "base/log.h"
#include "base/metrics.h"
#include "bus/kcons.h"
#include "cache/keys.h"

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int stopping(const sf_agg_loop_opts *o) { return o->stop && *o->stop; }

/* Process metrics (registered once in the default registry). */
static sf_mfam *m_msgs, *m_apply;

static void metrics_init(void)
{
    sf_metrics *m = sf_metrics_default();
    m_msgs = sf_metrics_counter(m, "scanfarm_agg_messages_total",
                                "Messages folded into the fleet view, by topic and outcome "
                                "(applied, duplicate, stale, noview, unusable, dlq)",
                                "topic,outcome");
    m_apply = sf_metrics_histogram(m, "scanfarm_agg_apply_seconds",
                                   "Time to fold one message into Redis", "topic", NULL, 0);
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void count(const char *topic, const char *outcome)
{
    const char *lv[] = {topic, outcome};
    sf_metric_add(m_msgs, lv, 1);
}

/* Apply one message until it is applied, unusable, or we are stopped.
 * Returns 1 when the message may be marked done. */
static int handle(sf_agg *a, const sf_agg_loop_opts *o, int is_dlq, sf_kmsg *m,
                  sf_agg_loop_stats *st)
{
    long wait_ms = 100;
    const char *topic = is_dlq ? "dlq" : "results";
    static const char *const names[] = {"applied", "duplicate", "stale", "noview"};
    for (;;) {
        double t0 = mono_s();
        sf_error e = SF_ERROR_INIT;
        sf_agg_outcome oc = SF_AGG_APPLIED;
        int added = 0, is_refs = 0, rc;
        if (is_dlq)
            rc = sf_agg_apply_dlq(a, m->value, m->len, &added, &e);
        else
            rc = sf_agg_apply(a, m->value, m->len, &is_refs, &oc, &e);
        if (rc == SF_OK) {
            const char *lv[] = {topic};
            sf_metric_observe(m_apply, lv, mono_s() - t0);
            count(topic, is_dlq ? "dlq" : names[oc]);
            if (is_dlq) {
                st->dlq++;
            } else {
                st->results += !is_refs;
                st->refs += is_refs == 1;
                st->unrefs += is_refs == 2;
                st->noview += oc == SF_AGG_NOVIEW;
                st->applied += oc == SF_AGG_APPLIED;
                st->duplicates += oc == SF_AGG_DUPLICATE;
                st->stale += oc == SF_AGG_STALE;
            }
            return 1;
        }
        if (rc != SF_EREDIS && rc != SF_ENOMEM) {
            st->bad++;
            count(topic, "unusable");
            SF_WARN("agg", "skipping unusable message|topic=%s partition=%d offset=%lld err=\"%s\"",
                    is_dlq ? "dlq" : "results", m->partition, (long long)m->offset, e.msg);
            return 1;
        }
        SF_WARN("agg", "fleet view update failed, retrying|err=\"%s\" wait_ms=%ld", e.msg, wait_ms);
        if (stopping(o))
            return 0;
        usleep((useconds_t)wait_ms * 1000);
        wait_ms = wait_ms < 5000 ? wait_ms * 2 : 5000;
    }
}

static int open_cons(sf_kcons **c, const sf_agg_loop_opts *o, const char *topic, sf_error *err)
{
    sf_kcons_opts ko = {
        .brokers = o->brokers,
        .group = o->group ? o->group : SF_AGG_GROUP,
        .topic = topic,
        .client_id = "scanfarm-agg",
        .max_in_flight = 64,
        /* One commit request per 200 ms, not one per result: catching up
         * on a backlog, per-result commits queued by the thousand, and a
         * close behind them timed out (seen with a 10k-result backlog). */
        .commit_interval_ms = 200,
    };
    return sf_kcons_new(c, &ko, err);
}

int sf_agg_loop(const sf_agg_loop_opts *o, sf_agg_loop_stats *st, sf_error *err)
{
    sf_kcons *cr = NULL, *cd = NULL;
    sf_agg *a = NULL;
    int rc;
    const char *dlq = o->dlq_topic ? o->dlq_topic : SF_TOPIC_DLQ;
    memset(st, 0, sizeof *st);
    if (!m_msgs)
        metrics_init();
    if ((rc = sf_agg_new(&a, o->kv, o->prefix, err)) != SF_OK ||
        (rc = open_cons(&cr, o, o->results_topic ? o->results_topic : SF_TOPIC_RESULTS, err)) !=
            SF_OK)
        goto done;
    if (*dlq && (rc = open_cons(&cd, o, dlq, err)) != SF_OK)
        goto done;
    uint64_t last = mono_ms();
    while (!stopping(o)) {
        int got = 0;
        for (int which = 0; which < 2 && rc == SF_OK; which++) {
            sf_kcons *c = which ? cd : cr;
            sf_kmsg *m = NULL;
            if (!c)
                continue;
            rc = sf_kcons_poll(c, which ? 0 : 200, &m, err);
            if (rc != SF_OK || !m)
                continue;
            got = 1;
            if (handle(a, o, which, m, st))
                sf_kcons_done(c, m);
            else
                sf_kcons_release(c, m);
        }
        if (rc != SF_OK)
            break;
        if (got)
            last = mono_ms();
        else if (o->once_idle_s > 0 && mono_ms() - last >= (uint64_t)o->once_idle_s * 1000u)
            break;
    }
done:
    sf_kcons_close(cr);
    sf_kcons_close(cd);
    sf_agg_free(a);
    return rc;
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
    /* Push runs (events.h) are not enumeration runs: a report of "the
     * latest run" means the latest enumeration. 64 push hours back is
     * more than the default 24 h interval leaves between two runs. */
    const char *argv[] = {"ZREVRANGE", runs, "0", "63"};
    if ((rc = cmd(kv, shard, &r, err, 4, argv)) != SF_OK)
        return rc;
    for (size_t i = 0; r->type == SF_KV_ARR && i < r->nelem; i++)
        if (r->elem[i].type == SF_KV_STR && !sf_events_is_push_run(r->elem[i].str)) {
            snprintf(out, outlen, "%s", r->elem[i].str);
            break;
        }
    sf_kv_reply_free(r);
    return SF_OK;
}
