/*
 * agg_loop: the aggregator process (`scanfarm aggregate`) and the reads
 * of run progress used by `scanfarm status` and the coordinator.
 *
 * Two members of the same consumer group, one per topic, are polled in
 * turn from one thread; what one poll round of the results topic brings
 * (up to SF_AGG_LOOP_BATCH messages) is applied as one batch
 * (sf_agg_apply_batch). A result is marked done (its offset becomes
 * committable) only after Redis has it, a batch's only after Redis has
 * all of it; when Redis fails, the message or batch is retried in place
 * with a backoff, so the commit frontier never passes an unapplied
 * result. Unusable documents are logged and skipped: replaying them would
 * fail the same way forever.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "base/time.h"
#include "base/log.h"
#include "base/metrics.h"
#include "bus/kcons.h"
#include "cache/keys.h"

/* Results applied together (agg_batch.c): one poll round's worth. */
#define SF_AGG_LOOP_BATCH 64

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
                                   "Time to fold one message into Redis (results: their batch's "
                                   "time shared by its messages)",
                                   "topic", NULL, 0);
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
        double t0 = sf_time_mono_s();
        sf_error e = SF_ERROR_INIT;
        sf_agg_outcome oc = SF_AGG_APPLIED;
        int added = 0, is_refs = 0, rc;
        if (is_dlq)
            rc = sf_agg_apply_dlq(a, m->value, m->len, &added, &e);
        else
            rc = sf_agg_apply(a, m->value, m->len, &is_refs, &oc, &e);
        if (rc == SF_OK) {
            const char *lv[] = {topic};
            sf_metric_observe(m_apply, lv, sf_time_mono_s() - t0);
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
        sf_time_sleep_ms(wait_ms, o->stop); /* a stop cuts the backoff short */
        wait_ms = wait_ms < 5000 ? wait_ms * 2 : 5000;
    }
}

/* Counts and metrics of one message of the results topic, applied. */
static void tally(const sf_agg_msg *r, sf_agg_loop_stats *st)
{
    static const char *const names[] = {"applied", "duplicate", "stale", "noview"};
    count("results", names[r->outcome]);
    st->results += !r->is_refs;
    st->refs += r->is_refs == 1;
    st->unrefs += r->is_refs == 2;
    st->noview += r->outcome == SF_AGG_NOVIEW;
    st->applied += r->outcome == SF_AGG_APPLIED;
    st->duplicates += r->outcome == SF_AGG_DUPLICATE;
    st->stale += r->outcome == SF_AGG_STALE;
}

/* Apply the results-topic messages ms[0..n) as one batch until it is
 * applied or we are stopped; each is then marked done (offsets commit
 * only after Redis has the whole batch: a crash re-applies it, which
 * changes nothing). Stopped first: every message is released. */
static void handle_batch(sf_agg *a, const sf_agg_loop_opts *o, sf_kcons *c, sf_kmsg **ms,
                         size_t n, sf_agg_loop_stats *st)
{
    sf_agg_msg b[SF_AGG_LOOP_BATCH];
    long wait_ms = 100;
    for (;;) {
        double t0 = sf_time_mono_s();
        sf_error e = SF_ERROR_INIT;
        for (size_t i = 0; i < n; i++)
            b[i].json = ms[i]->value, b[i].len = ms[i]->len;
        int rc = sf_agg_apply_batch(a, b, n, &e);
        if (rc == SF_OK) {
            const char *lv[] = {"results"};
            double each = (sf_time_mono_s() - t0) / (double)n;
            for (size_t i = 0; i < n; i++) {
                sf_metric_observe(m_apply, lv, each);
                if (b[i].rc == SF_OK) {
                    tally(&b[i], st);
                } else {
                    st->bad++;
                    count("results", "unusable");
                    SF_WARN("agg", "skipping unusable message|topic=results partition=%d "
                                   "offset=%lld err=\"%s\"",
                            ms[i]->partition, (long long)ms[i]->offset, b[i].err.msg);
                }
                sf_kcons_done(c, ms[i]);
            }
            return;
        }
        SF_WARN("agg", "fleet view update failed, retrying|err=\"%s\" wait_ms=%ld messages=%zu",
                e.msg, wait_ms, n);
        if (stopping(o)) {
            for (size_t i = 0; i < n; i++)
                sf_kcons_release(c, ms[i]);
            return;
        }
        sf_time_sleep_ms(wait_ms, o->stop); /* a stop cuts the backoff short */
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
        /* a batch out does not pause the partitions (a pause drops
         * what was fetched: kcons.h) */
        .max_in_flight = 4 * SF_AGG_LOOP_BATCH,
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
    uint64_t last = sf_time_mono_ms();
    while (!stopping(o)) {
        int got = 0;
        /* results: what one poll round brings, up to a batch */
        sf_kmsg *ms[SF_AGG_LOOP_BATCH];
        size_t n = 0;
        while (rc == SF_OK && n < SF_AGG_LOOP_BATCH) {
            sf_kmsg *m = NULL;
            rc = sf_kcons_poll(cr, n ? 0 : 200, &m, err);
            if (rc != SF_OK || !m)
                break;
            ms[n++] = m;
        }
        if (n) {
            got = 1;
            handle_batch(a, o, cr, ms, n, st);
        }
        if (rc == SF_OK && cd) {
            sf_kmsg *m = NULL;
            rc = sf_kcons_poll(cd, 0, &m, err);
            if (rc == SF_OK && m) {
                got = 1;
                if (handle(a, o, 1, m, st))
                    sf_kcons_done(cd, m);
                else
                    sf_kcons_release(cd, m);
            }
        }
        if (rc != SF_OK)
            break;
        if (got)
            last = sf_time_mono_ms();
        else if (o->once_idle_s > 0 && sf_time_mono_ms() - last >= (uint64_t)o->once_idle_s * 1000u)
            break;
    }
done:
    sf_kcons_close(cr);
    sf_kcons_close(cd);
    sf_agg_free(a);
    return rc;
}
