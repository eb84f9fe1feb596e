/*
 * worker: see worker.h. This file holds the life cycle (connect, threads,
 * metrics server), the consumer loop with its watchdog, and the SIGTERM
 * drain; wjob.c runs the jobs.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>
#include <unistd.h>

#include "base/buildinfo.h"
#include "base/time.h"
#include "cache/attempts.h"

#include "analyze/inventory.h"
#include "base/limits.h"
#include "base/log.h"
#include "wint.h"

static volatile sig_atomic_t g_stop;

void sf_worker_signal_stop(void) { g_stop = 1; }

void sf_w_enqueue(struct sf_worker *w, wjob *j)
{
    pthread_mutex_lock(&w->qmu);
    j->next = NULL;
    if (w->qtail)
        w->qtail->next = j;
    else
        w->qhead = j;
    w->qtail = j;
    pthread_cond_signal(&w->qcv);
    pthread_mutex_unlock(&w->qmu);
}

/* Event jobs (the priority topic) go ahead of every queued bulk job. */
void sf_w_enqueue_front(struct sf_worker *w, wjob *j)
{
    pthread_mutex_lock(&w->qmu);
    j->next = w->qhead;
    w->qhead = j;
    if (!w->qtail)
        w->qtail = j;
    pthread_cond_signal(&w->qcv);
    pthread_mutex_unlock(&w->qmu);
}

/* Messages out on both consumers. */
static int in_flight(struct sf_worker *w)
{
    return sf_kcons_in_flight(w->cons) + (w->pcons ? sf_kcons_in_flight(w->pcons) : 0);
}

/* Next job, or NULL when told to quit. */
static wjob *dequeue(struct sf_worker *w)
{
    pthread_mutex_lock(&w->qmu);
    while (!w->qhead && !w->quit)
        pthread_cond_wait(&w->qcv, &w->qmu);
    wjob *j = w->qhead;
    if (j) {
        w->qhead = j->next;
        if (!w->qhead)
            w->qtail = NULL;
    }
    pthread_mutex_unlock(&w->qmu);
    return j;
}

static void *scan_thread(void *arg)
{
    wslot *s = arg;
    struct sf_worker *w = s->w;
    wjob *j;
    while ((j = dequeue(w)) != NULL) {
        sf_metric_add(w->m_inflight, NULL, 1);
        sf_w_process(w, s, j);
        sf_metric_add(w->m_inflight, NULL, -1);
    }
    atomic_fetch_add(&w->idle_threads, 1);
    return NULL;
}

static void on_delivery(void *ctx, void *opaque, int code, const char *errstr)
{
    if (opaque)
        sf_w_delivered(ctx, opaque, code, errstr);
}

/* ---- metrics server -------------------------------------------------- */

static int route_metrics(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    struct sf_worker *w = ctx;
    *ct = "text/plain; version=0.0.4; charset=utf-8";
    if (w->scanner.db_built)
        sf_buildinfo_db_age(w->m, w->scanner.db_built(w->scanner.ctx));
    return sf_metrics_render(w->m, body) == SF_OK ? 200 : 500;
}

/* Healthy while the consumer loop is turning and not draining; Redis being
 * down is reported but not unhealthy (the worker scans uncached). */
static int route_healthz(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    struct sf_worker *w = ctx;
    uint64_t age = sf_time_mono_ms() - atomic_load(&w->last_poll_ms);
    int draining = atomic_load(&w->stopping), stalled = age > 30000;
    size_t up = 0;
    for (size_t i = 0; i < sf_kv_nodes(w->kv); i++)
        up += (size_t)sf_kv_node_up(w->kv, i);
    sf_buf_printf(body, "%s\nconsumer_loop_age_ms %llu\nredis_nodes_up %zu/%zu\nin_flight %d\n",
                  draining ? "draining" : stalled ? "stalled" : "ok", (unsigned long long)age, up,
                  sf_kv_nodes(w->kv), in_flight(w));
    return draining || stalled ? 503 : 200;
}

static void init_metrics(struct sf_worker *w)
{
    sf_metrics *m = w->m;
    sf_buildinfo_register(m, "scanfarm-worker");
    w->m_jobs = sf_metrics_counter(m, "scanfarm_jobs_total",
                                   "Jobs finished by outcome (ok, error, shortcut, dlq, requeued, "
                                   "handed_back)",
                                   "outcome");
    w->m_results = sf_metrics_counter(m, "scanfarm_results_total",
                                      "Results published, by error kind (none = scanned)", "error");
    w->m_errors = sf_metrics_counter(m, "scanfarm_errors_total", "Image errors by code", "kind");
    w->m_inflight = sf_metrics_gauge(m, "scanfarm_jobs_in_flight", "Jobs being scanned", NULL);
    w->m_job_s = sf_metrics_histogram(m, "scanfarm_job_duration_seconds",
                                      "From consuming a job to its results being acknowledged",
                                      NULL, NULL, 0);
    w->m_e2e_s = sf_metrics_histogram(m, "scanfarm_job_e2e_seconds",
                                      "From a job's enqueued_at to its results being acknowledged",
                                      NULL, NULL, 0);
    w->m_layers = sf_metrics_counter(m, "scanfarm_layers_total",
                                     "Layers of scanned images by cache state", "cache");
    w->m_layer_bytes = sf_metrics_counter(m, "scanfarm_layer_bytes_analysed_total",
                                          "Decompressed layer bytes analysed by this worker", NULL);
    w->m_dlq = sf_metrics_counter(m, "scanfarm_dlq_total", "Jobs sent to the dead-letter topic",
                                  NULL);
}

/* ---- life cycle ------------------------------------------------------------ */

static int open_cache(struct sf_worker *w, sf_error *err)
{
    sf_kv_opts ko = {.nodes = (const char *const *)w->cfg->redis.v, .nnodes = w->cfg->redis.n,
                     .db = (int)w->cfg->redis_db, .pool_size = (int)w->cfg->concurrency * 2 + 4,
                     .username = w->cfg->redis_username, .password = w->cfg->redis_password,
                     .password_file = w->cfg->redis_password_file,
                     .tls_ca_file = w->cfg->redis_tls_ca_file,
                     .tls_cert_file = w->cfg->redis_tls_cert_file,
                     .tls_key_file = w->cfg->redis_tls_key_file,
                     .tls_server_name = w->cfg->redis_tls_server_name,
                     .cluster = w->cfg->redis_cluster == 1};
    int rc = sf_kv_new(&w->kv, &ko, err);
    if (rc == SF_OK)
        rc = sf_cmac_load(&w->cmac, w->cfg->cache_secret_file, w->cfg->cache_secret, err);
    if (rc != SF_OK)
        return rc;
    sf_lcache_opts lo = {.kv = w->kv,
                         .mac = w->cmac,
                         .unauthenticated = w->cfg->cache_unauthenticated != 0,
                         .prefix = w->cfg->key_prefix,
                         .analyzer_version = w->scanner.analyzer_version,
                         .encode = sf_inventory_encode,
                         .decode = sf_inventory_decode,
                         .ttl_ms = w->cfg->cache_ttl * 1000LL,
                         .lock_ttl_ms = w->cfg->lock_ttl_ms,
                         .owner_tag = w->owner,
                         .metrics = w->m};
    return sf_lcache_new(&w->lc, &lo, err);
}

static int open_kafka(struct sf_worker *w, sf_error *err)
{
    /* A job is finished only by its results' delivery reports: serve them
     * as they arrive, not on the consumer loop's 100 ms cycle. Results
     * linger SF_KPROD_LINGER_BULK_MS so a request carries several (1 ms
     * measured no faster than 5 and sent more requests; with 20 and the
     * fetch settings below a warm job costs half the requests,
     * bench/results/bench-20261203T192330Z-warm.txt). */
    sf_kprod_opts po = {.brokers = w->cfg->kafka, .client_id = w->cfg->client_id,
                        .linger_ms = SF_KPROD_LINGER_BULK_MS, .on_delivery = on_delivery,
                        .on_delivery_ctx = w, .poll_thread = 1};
    int rc = sf_kprod_new(&w->prod, &po, err);
    if (rc != SF_OK)
        return rc;
    /* In flight = being scanned + queued + awaiting delivery reports:
     * deep enough that scan threads never wait for a fetch. */
    long inflight = w->cfg->concurrency * SF_LIM_WORKER_IN_FLIGHT_PER_THREAD;
    if (inflight > SF_LIM_WORKER_IN_FLIGHT)
        inflight = SF_LIM_WORKER_IN_FLIGHT;
    /* A fetch answered as soon as one job is there carried one job per
     * request whenever the workers kept up with the coordinator (a warm
     * rescan): the broker now waits for 16 KiB (dozens of compressed
     * jobs) or 100 ms, whichever comes first.
     * 100 ms is also shorter than the 500 ms default an idle fetch, and
     * so a resumed partition, used to wait. */
    static const char *const bextra[] = {"fetch.min.bytes=16384", "fetch.wait.max.ms=100", NULL};
    sf_kcons_opts co = {.brokers = w->cfg->kafka, .group = w->cfg->group,
                        .topic = w->cfg->jobs_topic, .client_id = w->cfg->client_id,
                        .max_in_flight = (int)inflight, .extra = bextra,
                        /* one commit request per 200 ms, not one per job */
                        .commit_interval_ms = 200,
                        .session_timeout_ms = (int)w->cfg->session_timeout_ms};
    if ((rc = sf_kcons_new(&w->cons, &co, err)) != SF_OK)
        return rc;
    /* Event jobs: a consumer of their own, in a group of its own, so a
     * push is taken as soon as it arrives whatever the bulk topic holds
     * (its in-flight cap is separate from the bulk consumer's). */
    const char *pt = w->cfg->priority_topic;
    if (pt && strcmp(pt, "none") == 0)
        return SF_OK;
    char pgroup[300];
    if (pt)
        snprintf(w->ptopic, sizeof w->ptopic, "%s", pt);
    else
        snprintf(w->ptopic, sizeof w->ptopic, "%s.priority", w->cfg->jobs_topic);
    snprintf(pgroup, sizeof pgroup, "%s.priority", w->cfg->group);
    /* A paused partition resumes with the next fetch, and an idle fetch
     * waits fetch.wait.max.ms (500 ms by default) on the broker: pushes
     * then start in steps of half a second. Event jobs are few and want
     * latency, so their fetches wait at most 20 ms. */
    static const char *const pextra[] = {"fetch.wait.max.ms=20", NULL};
    co.topic = w->ptopic, co.group = pgroup, co.extra = pextra;
    return sf_kcons_new(&w->pcons, &co, err);
}

/* Worker id "<host>-<pid>-<random>": unique even when every container's
 * worker is pid 1 on a reused hostname; only key-safe characters. */
static void make_owner(char *out, size_t cap)
{
    char host[64] = "host";
    unsigned r = 0;
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    for (char *p = host; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            *p = '_';
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = (unsigned)sf_time_mono_ms() ^ (unsigned)getpid();
    snprintf(out, cap, "%s-%ld-%08x", host, (long)getpid(), r);
}

/* Keep this worker's heartbeat key alive (others use it to tell a dead
 * worker's job records from a live one's). */
static void heartbeat(struct sf_worker *w, int force)
{
    static const uint64_t period = 5000;
    uint64_t now = sf_time_mono_ms();
    if (!force && now - w->last_heartbeat_ms < period)
        return;
    w->last_heartbeat_ms = now;
    sf_error e = SF_ERROR_INIT;
    sf_attempts_heartbeat(w->kv, w->cfg->key_prefix, w->owner, (long long)period * 3, &e);
}

int sf_worker_new(sf_worker **out, const sf_wconf *cfg, const sf_worker_scanner *scanner,
                  sf_error *err)
{
    int rc = SF_OK;
    *out = NULL;
    if (!scanner || !scanner->scan || !scanner->analyzer_version)
        return sf_error_set(err, SF_EINVAL, "worker needs a scanner");
    struct sf_worker *w = calloc(1, sizeof *w);
    if (!w)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    w->cfg = cfg;
    w->scanner = *scanner;
    w->m = sf_metrics_default();
    pthread_mutex_init(&w->qmu, NULL);
    pthread_cond_init(&w->qcv, NULL);
    pthread_mutex_init(&w->gmu, NULL);
    pthread_cond_init(&w->gcv, NULL);
    make_owner(w->owner, sizeof w->owner);
    atomic_store(&w->last_poll_ms, sf_time_mono_ms());
    init_metrics(w);
    if ((rc = open_cache(w, err)) != SF_OK || (rc = open_kafka(w, err)) != SF_OK)
        goto done;
    if (cfg->metrics_port > 0) {
        sf_httpd_route routes[] = {{"/metrics", route_metrics, w}, {"/healthz", route_healthz, w}};
        if ((rc = sf_httpd_start(&w->httpd, cfg->metrics_addr, (int)cfg->metrics_port, routes, 2,
                                 err)) != SF_OK)
            goto done;
    }
    w->slots = calloc((size_t)cfg->concurrency, sizeof *w->slots);
    if (!w->slots) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < (int)cfg->concurrency; i++) {
        w->slots[i].w = w;
        if (pthread_create(&w->slots[i].thr, NULL, scan_thread, &w->slots[i]) != 0) {
            rc = sf_error_set(err, SF_EINTERNAL, "cannot start scan thread %d", i);
            goto done;
        }
        w->nslots++;
    }
done:
    if (rc != SF_OK) {
        sf_worker_free(w);
        w = NULL;
    }
    *out = w;
    return rc;
}

void sf_worker_stop(sf_worker *w) { atomic_store(&w->stopping, 1); }

/* A job running past --job-timeout: exit so it is redelivered and counted. */
static void watchdog(struct sf_worker *w)
{
    uint64_t now = sf_time_mono_ms(), lim = (uint64_t)w->cfg->job_timeout * 1000u;
    for (int i = 0; i < w->nslots; i++) {
        uint64_t t = atomic_load(&w->slots[i].started_ms);
        /* A job that started after `now` was read has t > now: without
         * the t < now test, now - t wraps and a job just begun counts as
         * having run for 585 million years (the worker exited mid-bench). */
        if (t && t < now && now - t > lim) {
            SF_ERROR("worker", "job timed out: exiting so it is retried elsewhere|digest=%s "
                               "running_s=%llu",
                     w->slots[i].digest, (unsigned long long)((now - t) / 1000));
            fflush(stderr);
            _exit(3);
        }
    }
}

/* Stop taking jobs; hand back queued ones; wait for running ones and
 * their delivery reports up to the grace period. */
static int drain(struct sf_worker *w)
{
    SF_INFO("worker", "draining|grace_s=%ld in_flight=%d", w->cfg->grace, in_flight(w));
    pthread_mutex_lock(&w->qmu);
    wjob *q = w->qhead;
    w->qhead = w->qtail = NULL;
    w->quit = 1;
    pthread_cond_broadcast(&w->qcv);
    pthread_mutex_unlock(&w->qmu);
    for (wjob *n; q; q = n) {
        n = q->next;
        sf_kcons_release(q->cons, q->msg);
        q->msg = NULL;
        sf_w_job_free(q);
    }
    uint64_t deadline = sf_time_mono_ms() + (uint64_t)w->cfg->grace * 1000u;
    while ((atomic_load(&w->idle_threads) < w->nslots || in_flight(w) > 0) &&
           sf_time_mono_ms() < deadline) {
        sf_time_sleep_ms(20, NULL); /* delivery reports arrive on the producer's thread */
    }
    int clean = atomic_load(&w->idle_threads) == w->nslots && in_flight(w) == 0;
    if (!clean)
        SF_WARN("worker", "grace period over: unfinished jobs will be redelivered|in_flight=%d",
                in_flight(w));
    return clean ? SF_OK : SF_ETIMEOUT;
}

int sf_worker_run(sf_worker *w, sf_error *err)
{
    int rc = SF_OK;
    SF_INFO("worker", "started|topic=%s priority_topic=%s group=%s concurrency=%ld "
                      "redis_nodes=%zu owner=%s",
            w->cfg->jobs_topic, w->pcons ? w->ptopic : "none", w->cfg->group, w->cfg->concurrency, w->cfg->redis.n, w->owner);
    heartbeat(w, 1);
    while (!atomic_load(&w->stopping) && !g_stop) {
        sf_kmsg *m = NULL;
        heartbeat(w, 0);
        atomic_store(&w->last_poll_ms, sf_time_mono_ms());
        /* The priority topic first, without waiting; the bulk topic's
         * wait bounds how long a push waits to be seen (50 ms). */
        sf_kcons *from = w->pcons;
        if (from && (rc = sf_kcons_poll(from, 0, &m, err)) != SF_OK)
            break;
        if (!m) {
            from = w->cons;
            if ((rc = sf_kcons_poll(from, w->pcons ? 50 : 100, &m, err)) != SF_OK)
                break;
        }
        if (m) {
            wjob *j = sf_w_job_new(w, m);
            if (j) {
                j->cons = from;
                if (from == w->pcons)
                    sf_w_enqueue_front(w, j);
                else
                    sf_w_enqueue(w, j);
            } else {
                sf_kcons_release(from, m);
            }
        }
        /* Delivery reports are served by the producer's own thread. */
        /* After a fatal producer error every publish fails: taking more
         * jobs would only fail them and hold their partitions. Stop, hand
         * back what is queued, and exit non-zero so the supervisor starts
         * a worker with a fresh producer. */
        if ((rc = sf_kprod_fatal(w->prod, err)) != SF_OK) {
            SF_ERROR("worker", "producer unusable: stopping|error=\"%s\"", err->msg);
            break;
        }
        watchdog(w);
    }
    atomic_store(&w->stopping, 1);
    int drc = drain(w);
    heartbeat(w, 1); /* alive until the end of the drain */
    if (drc != SF_OK && rc != SF_OK) {
        /* Jobs still hold the consumer, so no clean free; but the exit
         * must say the worker failed. */
        SF_ERROR("worker", "stopped on error with jobs unfinished|error=\"%s\"", err->msg);
        fflush(stderr);
        _exit(1);
    }
    if (drc != SF_OK) {
        /* Scan threads still hold jobs and the consumer: the caller must
         * exit without sf_worker_free(). Finished offsets were committed
         * as they finished; the rest is redelivered. */
        return sf_error_set(err, SF_ETIMEOUT, "drain did not finish within the grace period");
    }
    sf_kcons_close(w->cons); /* commits what finished, leaves the group */
    w->cons = NULL;
    sf_kcons_close(w->pcons);
    w->pcons = NULL;
    return rc;
}

void sf_worker_free(sf_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->qmu);
    w->quit = 1;
    pthread_cond_broadcast(&w->qcv);
    pthread_mutex_unlock(&w->qmu);
    /* Threads still scanning after a timed-out drain are not joined: the
     * caller exits the process instead of freeing (see worker_main.c). */
    for (int i = 0; i < w->nslots; i++)
        pthread_join(w->slots[i].thr, NULL);
    free(w->slots);
    sf_httpd_stop(w->httpd);
    if (w->cons)
        sf_kcons_close(w->cons);
    if (w->pcons)
        sf_kcons_close(w->pcons);
    sf_kprod_free(w->prod);
    sf_lcache_free(w->lc);
    sf_cmac_free(w->cmac);
    sf_kv_free(w->kv);
    pthread_mutex_destroy(&w->qmu);
    pthread_cond_destroy(&w->qcv);
    pthread_mutex_destroy(&w->gmu);
    pthread_cond_destroy(&w->gcv);
    free(w);
}
