/*
 * kcons: the Kafka consumer-group side of at-least-once processing.
 *
 * Messages are handed out by sf_kcons_poll(); the caller reports each one
 * finished with sf_kcons_done() once its outcome is durable (for the
 * worker: the result's delivery report arrived). Jobs finish out of order,
 * so offsets are tracked per partition and only the highest *contiguous*
 * finished offset is committed: a crash re-delivers every job not known
 * finished, and never skips one. Auto-commit is off.
 *
 * Backpressure: with max_in_flight messages out, every assigned partition
 * is paused (the group heartbeat continues, so no rebalance); they resume
 * once at most max_in_flight / 2 are out (a pause drops what librdkafka
 * had prefetched, so pausing often costs a refetch each time). Rebalances commit what is finished before partitions are
 * given up; messages still out from a revoked partition are forgotten
 * (their done() is ignored) and will be redelivered to the new owner.
 *
 * Threads: poll() and close() from one consumer thread; done(),
 * release() and in_flight() from any thread.
 */
#ifndef SF_KCONS_H
#define SF_KCONS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sf_kcons sf_kcons;

typedef struct sf_kcons_opts {
    const char *brokers;        /* "host:port,..." (required) */
    const char *group;          /* consumer group id (required) */
    const char *topic;          /* topic to consume (required) */
    const char *client_id;      /* NULL = "scanfarm" */
    int max_in_flight;          /* messages out at once (0 = 8) */
    int session_timeout_ms;     /* 0 = 30000 */
    int max_poll_interval_ms;   /* 0 = 300000 */
    const char *offset_reset;   /* where a new group starts: NULL = "earliest" */
    int close_timeout_ms;       /* bound on close()'s final commit + group leave (0 = 10000) */
    /* 0: commit a partition's frontier (async) as soon as it moves, from
     * done(). > 0: poll() commits every frontier that moved, in one async
     * request, at most this often (and a revoke commits what is left
     * first): one request per interval instead of one per message. */
    int commit_interval_ms;
    const char *const *extra;   /* more "key=value" librdkafka properties, NULL-terminated */
} sf_kcons_opts;

/* One consumed message: owned by the caller until done() or release(). */
typedef struct sf_kmsg {
    int32_t partition;
    int64_t offset;
    char *key;        /* NUL-terminated copy (NULL when the message had none) */
    size_t keylen;
    char *value;      /* NUL-terminated copy */
    size_t len;
    unsigned gen;     /* assignment generation it came from (internal) */
} sf_kmsg;

int sf_kcons_new(sf_kcons **out, const sf_kcons_opts *opts, sf_error *err);

/*
 * Wait up to timeout_ms for the next message. *out = NULL on timeout, or
 * while max_in_flight messages are out (the consumer keeps its group
 * membership). SF_OK or SF_EKAFKA for a fatal consumer error; transient
 * broker errors are logged and retried by librdkafka.
 */
int sf_kcons_poll(sf_kcons *c, int timeout_ms, sf_kmsg **out, sf_error *err);

/* The message's outcome is durable: mark its offset finished, commit the
 * partition's contiguous frontier (async; with commit_interval_ms, by a
 * later poll()), free m. */
void sf_kcons_done(sf_kcons *c, sf_kmsg *m);
/* Give m back unfinished (shutdown): its offset will not be committed,
 * so it is redelivered. Frees m. */
void sf_kcons_release(sf_kcons *c, sf_kmsg *m);

/* Messages out (polled, neither done nor released). */
int sf_kcons_in_flight(sf_kcons *c);
/* Offset that would be committed for partition p now (-1: none). For tests. */
int64_t sf_kcons_frontier(sf_kcons *c, int32_t partition);

/*
 * Per-partition offset tracker (exposed for unit tests): offsets are added
 * in consumption order; finishing one returns the new commit point once
 * every earlier offset is finished too.
 */
typedef struct sf_offtrack {
    int64_t *offs;        /* outstanding offsets, ascending, from head */
    unsigned char *done;  /* parallel: 1 when finished */
    size_t head, n, cap;  /* live entries are [head, n) */
    int64_t commit;       /* last commit point produced (-1 none) */
} sf_offtrack;

void sf_offtrack_init(sf_offtrack *t);
void sf_offtrack_clear(sf_offtrack *t);
/* SF_OK, SF_ENOMEM, or SF_EINVAL when off is not above the last added. */
int sf_offtrack_add(sf_offtrack *t, int64_t off);
/* Mark off finished. Returns 1 and sets *commit (next offset to read)
 * when the contiguous frontier moved, 0 when it did not, -1 when off is
 * not outstanding (unknown or already finished). */
int sf_offtrack_finish(sf_offtrack *t, int64_t off, int64_t *commit);
/* Outstanding (unfinished) offsets. */
size_t sf_offtrack_pending(const sf_offtrack *t);

/* Commit finished offsets, leave the group, free. NULL-safe. Bounded by
 * close_timeout_ms even with the broker unreachable: what could not be
 * committed is redelivered, and the group drops the member by its session
 * timeout. */
void sf_kcons_close(sf_kcons *c);

#endif
