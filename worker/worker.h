/*
 * worker: the scan service's runtime. One consumer thread polls the jobs
 * topic (the producer's own thread serves delivery reports), N scan threads take jobs
 * from a bounded queue, scan them through a *scanner* with the fleet
 * layer cache as memo, and publish one result per platform manifest.
 * A job's offset is committed only when every result it produced has its
 * delivery report (at least once: a crash at any point redelivers it).
 *
 * Around each job: an attempt counter in Redis (incremented before the
 * job starts; past --max-attempts the job goes to the DLQ instead, so a
 * job that keeps crashing or timing out workers stops doing so), the
 * whole-image shortcut (a digest whose results are cached for the current
 * DB version is answered without touching the registry), a watchdog (a job
 * running past --job-timeout makes the process exit: a scan cannot be
 * cancelled safely from outside, and the redelivered job counts an
 * attempt), and SIGTERM drain (stop polling, finish or hand back in-flight
 * jobs within --grace, commit, exit).
 *
 * The scanner is an interface so the loop can be tested without the scan
 * engine; worker/wscan.c binds it to sf_scan_registry.
 */
#ifndef SF_WORKER_H
#define SF_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/scan.h"
#include "base/err.h"
#include "bus/msg_job.h"
#include "wconf.h"

/* Emit one result document (scanfarm.result/v1 JSON) for manifest digest;
 * error_code is the result's error (SF_OK when it scanned). */
typedef int (*sf_worker_emit_fn)(void *ectx, const char *digest, const char *json, size_t len,
                                 int error_code);

typedef struct sf_worker_scanner {
    void *ctx;
    /* Scan one job: emit every result. Return SF_OK, or an error when no
     * result could be produced at all (the worker then emits an error
     * result itself). Called from several scan threads at once. */
    int (*scan)(void *ctx, const sf_job *job, const sf_layer_memo *memo, sf_worker_emit_fn emit,
                void *ectx, sf_error *err);
    /* Version of the vulnerability DB results are matched against (keys
     * the whole-image shortcut); "none" without a DB. */
    const char *(*db_version)(void *ctx);
    /* Analyzer-set version (part of every layer cache key). */
    const char *analyzer_version;
    /* Build time (unix seconds) of the DB, -1 without one; NULL = unknown
     * (for scrapes: scanfarm_db_age_seconds). */
    int64_t (*db_built)(void *ctx);
} sf_worker_scanner;

typedef struct sf_worker sf_worker;

/* Connect to Kafka and Redis (Redis may be down: the cache then works
 * uncached), start the metrics server and the scan threads. */
int sf_worker_new(sf_worker **out, const sf_wconf *cfg, const sf_worker_scanner *scanner,
                  sf_error *err);
/* Run the consumer loop until sf_worker_stop(); then drain (grace period),
 * commit and return. SF_OK after a clean drain. */
int sf_worker_run(sf_worker *w, sf_error *err);
/* Ask run() to stop taking jobs and drain. Async-signal-safe. */
void sf_worker_stop(sf_worker *w);
void sf_worker_free(sf_worker *w);

/* The process-wide stop flag set by signal handlers (checked by run()). */
void sf_worker_signal_stop(void);

#endif
