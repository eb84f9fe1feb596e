/*
 * kprod: the one Kafka producer of scanfarm (librdkafka behind this
 * module). Idempotent (no duplicates or reordering from producer
 * retries), zstd-compressed, sized for 16 MiB messages. Every message's
 * delivery report is accounted for: sf_kprod_flush waits until each
 * produced message is either acknowledged by the brokers or definitely
 * failed, and reports how many failed, so a caller can declare work done
 * only when Kafka has it.
 *
 * Thread safety: produce may be called from several threads; flush and
 * free from one owning thread.
 */
#ifndef SF_KPROD_H
#define SF_KPROD_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sf_kprod sf_kprod;

/* linger.ms of the bulk producers: the coordinator's jobs and the
 * workers' results, hundreds a second spread over every partition. Each
 * ProduceRequest costs the broker about the same whatever it carries
 * (acks=all, idempotent, a zstd batch per partition to validate), and at
 * 5 ms a request carried one or two messages (issue 17). 20 ms is
 * nothing beside a job's latency (a warm one is answered in ~0.1 s) and
 * changes no delivery guarantee: a message is still acknowledged by all
 * in-sync replicas before a job counts as done. Latency-bound producers
 * (scan on push, 1 ms) set their own. */
#define SF_KPROD_LINGER_BULK_MS 20

/* Per-message delivery outcome (runs on the thread that calls produce,
 * poll or flush, or on the poll thread). code is SF_OK, SF_ELIMIT when
 * the broker refused the message for its size (retrying cannot help), or
 * SF_EKAFKA; errstr is librdkafka's. */
typedef void (*sf_kprod_dr_fn)(void *ctx, void *msg_opaque, int code, const char *errstr);

typedef struct sf_kprod_opts {
    const char *brokers;        /* "host:port[,host:port]" */
    const char *client_id;      /* NULL = "scanfarm" */
    size_t max_message_bytes;   /* 0 = SF_LIM_MESSAGE_BYTES */
    int linger_ms;              /* batching delay; 0 = 5 ms */
    long delivery_timeout_ms;   /* give up on a message after this; 0 = 120000 */
    sf_kprod_dr_fn on_delivery; /* optional per-message callback */
    void *on_delivery_ctx;
    /* 1: a thread of kprod's own serves delivery reports as they arrive
     * (on_delivery then runs there, concurrently with the caller), so a
     * caller waiting on them does not depend on how often it polls. */
    int poll_thread;
} sf_kprod_opts;

typedef struct sf_kprod_stats {
    uint64_t produced;  /* accepted by produce */
    uint64_t delivered; /* acknowledged by the brokers */
    uint64_t failed;    /* definitely not delivered */
    char last_error[160];
} sf_kprod_stats;

int sf_kprod_new(sf_kprod **out, const sf_kprod_opts *opts, sf_error *err);
/* Flush for up to 10 s, then destroy. NULL is fine. */
void sf_kprod_free(sf_kprod *p);

/*
 * Queue one message (key and value are copied). Blocks, serving delivery
 * reports, while librdkafka's local queue is full. msg_opaque is handed
 * to on_delivery. SF_ELIMIT when value is larger than the configured
 * maximum; SF_EKAFKA for other refusals (unknown topic, fatal producer
 * error).
 */
int sf_kprod_produce(sf_kprod *p, const char *topic, const void *key, size_t klen,
                     const void *value, size_t vlen, void *msg_opaque, sf_error *err);

/* Serve pending delivery reports without blocking. */
void sf_kprod_poll(sf_kprod *p);

/* Learn topic's partitions now, waiting up to timeout_ms. librdkafka
 * asks for an unknown topic's metadata on its 1 s timer, so without this
 * the first messages to a topic wait up to a second before they are
 * sent (a run's first jobs did). Best effort: on failure that delay is
 * all that changes. */
void sf_kprod_prepare(sf_kprod *p, const char *topic, int timeout_ms);

/*
 * SF_OK while the producer is usable; SF_EKAFKA with librdkafka's reason
 * once it has raised a fatal error (idempotence broken: every later
 * produce fails, only a new producer recovers).
 */
int sf_kprod_fatal(sf_kprod *p, sf_error *err);

/* Raise a fatal error as librdkafka would (its test hook): for tests. */
void sf_kprod_test_fatal(sf_kprod *p);

/*
 * Wait until every produced message has its delivery report, for at most
 * timeout_ms (-1 = until done). SF_OK when all were delivered; SF_EKAFKA
 * when some failed (count in the stats); SF_ETIMEOUT when reports are
 * still outstanding.
 */
int sf_kprod_flush(sf_kprod *p, long timeout_ms, sf_error *err);

void sf_kprod_stats_get(sf_kprod *p, sf_kprod_stats *out);

/* Create topic (admin API) with the given partitions and replication
 * factor; an existing topic is fine. For tests and first-run setup. */
int sf_kprod_create_topic(sf_kprod *p, const char *topic, int partitions, int replication,
                          long timeout_ms, sf_error *err);

/* Delete topic (admin API); a missing topic is fine. For test cleanup. */
int sf_kprod_delete_topic(sf_kprod *p, const char *topic, long timeout_ms, sf_error *err);

#endif
