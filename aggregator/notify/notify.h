/*
 * notify: scanfarm-notify's handling of one `scanfarm.findings/v1` delta.
 *
 * For every sink, the findings selected by the rules naming it become
 * notifications (one per finding or one per image, as the first matching
 * rule says; added and removed findings separately). Each notification
 * has a deterministic id; its Redis key `<prefix>:notify:sent:<sink>:<id>`
 * is set once the sink acknowledged it, so a redelivered delta is
 * deduplicated instead of sent again. GitHub sinks keep one issue per
 * image x advisory, found again by the marker in its body (see
 * notify_github.c). A notification that cannot be delivered (retries
 * exhausted, or rejected by the sink) goes to the DLQ topic with the
 * reason; the handler returns SF_OK only once every notification of the
 * delta is acknowledged, deduplicated or in the DLQ, so the caller may
 * then commit the Kafka offset (at-least-once end to end).
 *
 * Threads: one sf_notify per consumer thread.
 */
#ifndef SF_NOTIFY_H
#define SF_NOTIFY_H

#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/metrics.h"
#include "bus/kprod.h"
#include "cache/kv.h"
#include "notify_rules.h"
#include "notify_send.h"

typedef struct sf_notify sf_notify;

typedef struct sf_notify_opts {
    const sf_nrules *rules; /* borrowed */
    sf_nsend *send;         /* borrowed */
    sf_kv *kv;              /* dedup store; NULL = no dedup (dry-run, --from) */
    const char *prefix;     /* Redis key prefix */
    long long dedup_ttl_ms; /* lifetime of a "sent" key (0 = 30 days) */
    sf_kprod *dlq;          /* DLQ producer; NULL = DLQ entries to dlq_file */
    const char *dlq_topic;
    FILE *dlq_file;         /* used when dlq is NULL (stderr if NULL too) */
    sf_metrics *metrics;    /* NULL = the process registry */
} sf_notify_opts;

int sf_notify_new(sf_notify **out, const sf_notify_opts *o, sf_error *err);
void sf_notify_free(sf_notify *n);

/*
 * Handle one message. SF_OK: every notification is done (sent,
 * deduplicated or dead-lettered), including a malformed message, which
 * is itself dead-lettered. An error means nothing durable can be said
 * (Redis or the DLQ unreachable): do not commit; redeliver later.
 */
int sf_notify_handle(sf_notify *n, const char *msg, size_t len, sf_error *err);

/* Counter of notifications by sink and outcome (sent, failed,
 * deduplicated), for tests and the metrics page. */
double sf_notify_count(sf_notify *n, const char *sink, const char *outcome);

#endif
