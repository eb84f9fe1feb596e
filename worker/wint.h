/*
 * wint: internals shared by worker.c (life cycle, consumer loop, drain)
 * and wjob.c (one job: attempts, shortcut, scan, publish, DLQ, finish).
 */
#ifndef SF_WINT_H
#define SF_WINT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/httpd.h"
#include "base/time.h"
#include "base/metrics.h"
#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "cache/kv.h"
#include "cache/lcache.h"
#include "worker.h"

/* Local re-runs of a job whose results failed to reach Kafka that are
 * logged as warnings; later ones are errors (results still undeliverable).
 * The job is re-run until they are delivered or the worker stops: handed
 * back (sf_kcons_release) while its partition stays assigned here, it would
 * never be redelivered and would hold the partition's commit frontier. */
#define SF_WORKER_MAX_REQUEUES 3
/* Pause before re-run n: base << (n-1), capped; a produce that fails at
 * once (unknown topic) must not spin. Short: the pause holds a scan
 * thread, and once Kafka takes results again every queued re-run waits
 * its turn. */
#define SF_WORKER_REQUEUE_BACKOFF_MS 250
#define SF_WORKER_REQUEUE_BACKOFF_MAX_MS 2000
/* Attempt counters outlive any plausible run (a run lasts hours). */
#define SF_WORKER_ATTEMPTS_TTL_MS (7LL * 24 * 3600 * 1000)

typedef struct wjob {
    struct sf_worker *w;
    sf_kmsg *msg;           /* the Kafka message; handed to kcons at the end */
    sf_kcons *cons;         /* the consumer msg came from (jobs or priority) */
    sf_job job;             /* decoded job (valid when decoded) */
    int decoded;
    char decode_err[SF_ERRMSG_MAX];
    uint64_t t_polled_ms;   /* when the consumer got it */
    atomic_int pending;     /* 1 guard (scan thread) + undelivered messages */
    atomic_int failed;      /* messages whose delivery failed (may succeed if re-run) */
    atomic_int too_large;   /* messages Kafka refused for their size (never will) */
    int size_fallback;      /* the job's error result replaced results too large */
    int requeues;           /* local re-runs after delivery failures */
    const char *outcome;    /* "ok", "error", "dlq", "shortcut" (static) */
    int nresults, nerrors;
    char **results;         /* result JSON kept for the image shortcut */
    size_t nres, capres;
    int cacheable;          /* every result scanned without error */
    struct wjob *next;      /* queue link */
} wjob;

/* One scan thread's state, read by the watchdog. */
typedef struct wslot {
    pthread_t thr;
    atomic_ullong started_ms; /* 0 when idle */
    char digest[160];         /* job being scanned (for the timeout log) */
    struct sf_worker *w;
} wslot;

struct sf_worker {
    const sf_wconf *cfg;
    sf_worker_scanner scanner;
    sf_kv *kv;
    sf_lcache *lc;
    sf_cmac *cmac;          /* the farm's cache secret (NULL: none) */
    sf_kprod *prod;
    sf_kcons *cons;
    sf_kcons *pcons;        /* priority topic (event jobs), NULL = off */
    char ptopic[256];       /* its topic */
    sf_httpd *httpd;
    sf_metrics *m;
    char owner[100];        /* "<host>-<pid>-<random>": lock owner, heartbeat, DLQ records */

    pthread_mutex_t qmu;    /* guards the queue and quit */
    pthread_cond_t qcv;
    wjob *qhead, *qtail;
    int quit;               /* scan threads exit when the queue is empty */
    wslot *slots;
    int nslots;
    atomic_int idle_threads;
    atomic_int stopping;
    atomic_ullong last_poll_ms;
    uint64_t last_heartbeat_ms; /* consumer thread only */

    /* Isolation gate: a job that was running when a worker died runs
     * alone next time, so a second death is attributable to it alone. */
    pthread_mutex_t gmu;
    pthread_cond_t gcv;
    int running_shared, excl_active, excl_waiting;

    sf_mfam *m_jobs, *m_results, *m_errors, *m_inflight, *m_job_s, *m_e2e_s, *m_layers,
        *m_layer_bytes, *m_dlq;
};

/* Queue a job for the scan threads. */
void sf_w_enqueue_front(struct sf_worker *w, wjob *j);
void sf_w_enqueue(struct sf_worker *w, wjob *j);
/* Run one job on a scan thread. */
void sf_w_process(struct sf_worker *w, wslot *slot, wjob *j);
/* Delivery report of a message produced for job j (any thread). */
void sf_w_delivered(struct sf_worker *w, wjob *j, int code, const char *errstr);
/* Build a job from a consumed message (decode errors are kept for the DLQ). */
wjob *sf_w_job_new(struct sf_worker *w, sf_kmsg *m);
void sf_w_job_free(wjob *j);

#endif
