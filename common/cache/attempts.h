/*
 * attempts: the ledger of a job's starts in Redis, which tells a job that
 * kills its workers (crash, OOM kill, watchdog) from one whose worker
 * merely died beside it, so only the former goes to the DLQ.
 *
 * A worker that dies takes every job it was running with it, and after a
 * rebalance the same job may run on two live workers at once; a plain
 * start counter would blame the innocent. So each start is recorded in
 * the job's attempt hash (cache/keys.h sf_keys_attempts, on the shard of
 * the job's digest) as field "o:<worker id>" = "s" (shared) or "i"
 * (isolated: alone in its process), and every worker keeps a heartbeat key
 * alive (sf_attempts_heartbeat). A later start inspects the records: one
 * whose worker has no heartbeat died running the job; it is removed
 * (HDEL, so of several inspectors exactly one counts it) and counted under
 * "shr" or "iso". The worker's policy on top (worker/wjob.c): a job with
 * any death runs isolated, and goes to the DLQ once iso + min(shr, 1)
 * reaches --max-attempts.
 *
 * Every function takes the job's digest and run id (NULL or "" = "norun"),
 * the key prefix and this worker's id (self). Redis failures are returned
 * (SF_EREDIS with err set); the caller decides (the worker runs the job
 * shared when nothing is known).
 *
 * Thread safety: no state of its own; kv is shared by all scan threads.
 */
#ifndef SF_CACHE_ATTEMPTS_H
#define SF_CACHE_ATTEMPTS_H

#include "base/err.h"
#include "cache/keys.h"
#include "cache/kv.h"

/* Dead workers one inspection handles: more than this many workers dying
 * on one job between two of its starts does not happen short of a bug,
 * and the rest are counted by the next start. */
#define SF_ATTEMPTS_MAX_DEAD 16

typedef struct sf_attempts_seen {
    long long iso, shr; /* deaths recorded, this inspection's included */
    int ndead;          /* deaths this inspection counted */
    char dead[SF_ATTEMPTS_MAX_DEAD][SF_KEY_PART_MAX + 1]; /* their worker ids */
    char dead_alone[SF_ATTEMPTS_MAX_DEAD];                /* 1: it ran the job alone */
} sf_attempts_seen;

/* Read the job's records into *out (zeroed first) and count the starts
 * whose worker has no heartbeat. On an error *out stays zero. */
int sf_attempts_inspect(sf_kv *kv, const char *prefix, const char *self, const char *digest,
                        const char *run, sf_attempts_seen *out, sf_error *err);

/* Record that self starts the job, alone or shared; the hash lives ttl_ms. */
int sf_attempts_start(sf_kv *kv, const char *prefix, const char *self, const char *digest,
                      const char *run, int alone, long long ttl_ms, sf_error *err);

/* self is done with the job: success forgets every record of it;
 * otherwise only self's start goes (self did not die). */
int sf_attempts_end(sf_kv *kv, const char *prefix, const char *self, const char *digest,
                    const char *run, int success, sf_error *err);

/* Keep self's heartbeat alive for ttl_ms. */
int sf_attempts_heartbeat(sf_kv *kv, const char *prefix, const char *self, long long ttl_ms,
                          sf_error *err);

#endif
