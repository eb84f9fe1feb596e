/*
 * wjob: one job's life on a scan thread: attempt counting and the DLQ,
 * the whole-image shortcut, the scan itself (layers through the fleet
 * cache), publishing results, and finishing once Kafka acknowledged them.
 *
 * Completion: j->pending starts at 1, a guard held by the scan thread;
 * every produced message adds 1 and its delivery report takes 1 away; the
 * thread drops the guard when it has produced everything. Whoever brings
 * pending to 0 finishes the job — commit (kcons_done) when every message
 * arrived, else re-run it locally (the shortcut makes that cheap) after a
 * growing pause, until its results are delivered. Only a stopping worker
 * hands a job back uncommitted: its exit gets it redelivered, while a
 * running worker keeps the partition and nothing would redeliver it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/inventory.h"
#include "base/array.h"
#include "base/limits.h"
#include "bus/msg_dlq.h"
#include "bus/msg_restamp.h"
#include "bus/msg_result.h"
#include "base/log.h"
#include "cache/attempts.h"
#include "wint.h"

wjob *sf_w_job_new(struct sf_worker *w, sf_kmsg *m)
{
    wjob *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->w = w;
    j->msg = m;
    j->cons = w->cons;
    j->t_polled_ms = sf_time_mono_ms();
    sf_error e = SF_ERROR_INIT;
    if (sf_job_decode(m->value, m->len, &j->job, &e) == SF_OK)
        j->decoded = 1;
    else
        snprintf(j->decode_err, sizeof j->decode_err, "%s", e.msg);
    return j;
}

static void drop_results(wjob *j)
{
    for (size_t i = 0; i < j->nres; i++)
        free(j->results[i]);
    free(j->results);
    j->results = NULL;
    j->nres = j->capres = 0;
}

void sf_w_job_free(wjob *j)
{
    if (!j)
        return;
    drop_results(j);
    sf_job_clear(&j->job);
    free(j);
}

static const char *jdigest(const wjob *j)
{
    return j->decoded ? j->job.digest : (j->msg->key ? j->msg->key : "-");
}
static const char *jrun(const wjob *j) { return j->decoded && j->job.run_id ? j->job.run_id : "-"; }

/* RFC 3339 UTC "2026-01-02T03:04:05.678Z" to epoch ms (0 when unparsable). */
static uint64_t rfc3339_ms(const char *s)
{
    struct tm tm = {0};
    int ms = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : (uint64_t)t * 1000u + (uint64_t)ms;
}

static void emit_error_result(struct sf_worker *w, wjob *j, const sf_error *e);
static void unpend(struct sf_worker *w, wjob *j);

/* Results Kafka refused for their size (the broker's or the topic's
 * max.message.bytes, or the producer's own bound) would be refused on every
 * re-run: the job would loop for ever and hold its partition's commit
 * frontier. Answer it with an error result instead (small: no findings),
 * once; 1 when that was sent. */
static int answer_too_large(struct sf_worker *w, wjob *j)
{
    if (atomic_load(&j->failed) > 0 || atomic_load(&j->too_large) == 0 || j->size_fallback)
        return 0;
    SF_ERROR("worker", "results larger than Kafka accepts, answering with an error|run=%s "
             "digest=%s refused=%d", jrun(j), jdigest(j), atomic_load(&j->too_large));
    j->size_fallback = 1;
    atomic_store(&j->too_large, 0);
    atomic_store(&j->pending, 1);
    sf_error e = SF_ERROR_INIT;
    sf_error_set(&e, SF_ELIMIT, "the image's report is larger than the results topic accepts "
                 "(Kafka max.message.bytes); raise it on the broker/topic and rescan");
    j->outcome = "error";
    emit_error_result(w, j, &e);
    unpend(w, j);
    return 1;
}

static void finish(struct sf_worker *w, wjob *j)
{
    if (answer_too_large(w, j))
        return;
    if (atomic_load(&j->failed) > 0 || atomic_load(&j->too_large) > 0) {
        if (!atomic_load(&w->stopping)) {
            j->requeues++;
            SF_LOG(j->requeues > SF_WORKER_MAX_REQUEUES ? SF_LOG_ERROR : SF_LOG_WARN, "worker",
                   "results not delivered, re-running job|run=%s digest=%s try=%d", jrun(j),
                   jdigest(j), j->requeues);
            sf_metric_inc(w->m_jobs, "requeued");
            sf_w_enqueue(w, j);
            return;
        }
        SF_ERROR("worker", "results not delivered, job handed back for redelivery|run=%s digest=%s",
                 jrun(j), jdigest(j));
        sf_metric_inc(w->m_jobs, "handed_back");
        sf_kcons_release(j->cons, j->msg);
    } else {
        uint64_t enq = j->decoded ? rfc3339_ms(j->job.enqueued_at) : 0;
        uint64_t now = (uint64_t)sf_time_wall_ms();
        if (enq && now >= enq)
            sf_metric_observe(w->m_e2e_s, NULL, (double)(now - enq) / 1000.0);
        sf_metric_observe(w->m_job_s, NULL, (double)(sf_time_mono_ms() - j->t_polled_ms) / 1000.0);
        sf_metric_inc(w->m_jobs, j->outcome ? j->outcome : "ok");
        SF_INFO("worker", "job done|run=%s digest=%s outcome=%s results=%d errors=%d ms=%llu",
                jrun(j), jdigest(j), j->outcome ? j->outcome : "ok", j->nresults, j->nerrors,
                (unsigned long long)(sf_time_mono_ms() - j->t_polled_ms));
        sf_kcons_done(j->cons, j->msg);
    }
    j->msg = NULL;
    sf_w_job_free(j);
}

static void unpend(struct sf_worker *w, wjob *j)
{
    if (atomic_fetch_sub(&j->pending, 1) == 1)
        finish(w, j);
}

void sf_w_delivered(struct sf_worker *w, wjob *j, int code, const char *errstr)
{
    if (code != SF_OK) {
        atomic_fetch_add(code == SF_ELIMIT ? &j->too_large : &j->failed, 1);
        SF_WARN("worker", "delivery failed|run=%s digest=%s error=\"%s\"", jrun(j), jdigest(j),
                errstr ? errstr : "");
    }
    unpend(w, j);
}

/* Produce one message for j; its delivery report settles it. */
static int publish(struct sf_worker *w, wjob *j, const char *topic, const char *key,
                   const char *val, size_t len)
{
    sf_error e = SF_ERROR_INIT;
    if (!key || !*key)
        key = jdigest(j); /* never an unkeyed (or NULL-keyed) message */
    atomic_fetch_add(&j->pending, 1);
    int rc = sf_kprod_produce(w->prod, topic, key, strlen(key), val, len, j, &e);
    if (rc != SF_OK) {
        /* No delivery report will come: settle it here as failed. */
        atomic_fetch_add(rc == SF_ELIMIT ? &j->too_large : &j->failed, 1);
        SF_ERROR("worker", "cannot produce|topic=%s digest=%s error=\"%s\"", topic, key, e.msg);
        unpend(w, j);
    }
    return rc;
}

static int emit(void *ectx, const char *digest, const char *json, size_t len, int error_code)
{
    wjob *j = ectx;
    struct sf_worker *w = j->w;
    j->nresults++;
    if (error_code != SF_OK) {
        j->nerrors++;
        j->cacheable = 0;
        sf_metric_inc(w->m_errors, sf_err_name(error_code));
    }
    sf_metric_inc(w->m_results, error_code == SF_OK ? "none" : sf_err_kind_name(sf_err_kind(error_code)));
    if (j->cacheable) {
        char **nr = sf_array_grow(j->results, &j->capres, j->nres, sizeof *nr, 2, 0);
        if (nr)
            j->results = nr;
        char *copy = j->nres < j->capres ? sf_strndup(json, len) : NULL;
        if (copy)
            j->results[j->nres++] = copy;
        else
            j->cacheable = 0;
    }
    return publish(w, j, w->cfg->results_topic, digest, json, len);
}

/* ---- error results, DLQ ---------------------------------------------------- */

/* A result for a job the scanner could not produce any report for,
 * encoded by msg_result like every other result. */
static void emit_error_result(struct sf_worker *w, wjob *j, const sf_error *e)
{
    sf_result r;
    sf_buf out;
    sf_result_init(&r);
    sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
    int code = e->code ? e->code : SF_EINTERNAL;
    const char *dbv = w->scanner.db_version ? w->scanner.db_version(w->scanner.ctx) : NULL;
    r.run_id = sf_strdup(j->job.run_id);
    r.digest = sf_strdup(j->job.digest);
    r.db_version = dbv && strcmp(dbv, "none") != 0 ? sf_strdup(dbv) : NULL;
    r.analyzer_version = sf_strdup(w->scanner.analyzer_version);
    r.error_code = code;
    r.error = sf_strdup(e->msg);
    if (sf_restamp_set_refs(&r, j->job.refs, j->job.nrefs) == SF_OK &&
        sf_result_encode(&r, &out, NULL) == SF_OK)
        emit(j, j->job.digest, out.data, out.len, code);
    else
        atomic_fetch_add(&j->failed, 1); /* settles as a failed delivery: re-run */
    sf_buf_free(&out);
    sf_result_clear(&r);
}

/* The DLQ entry quotes the message whatever its bytes (msg_dlq), so even
 * a poison pill that is neither JSON nor UTF-8 gets one and is committed. */
static void to_dlq(struct sf_worker *w, wjob *j, const char *reason, long long attempts)
{
    char at[40];
    char *s = NULL;
    size_t n = 0;
    sf_error e = SF_ERROR_INIT;
    sf_job_now(at, sizeof at);
    SF_ERROR("worker", "job sent to the DLQ|run=%s digest=%s reason=\"%s\"", jrun(j), jdigest(j),
             reason);
    j->outcome = "dlq";
    sf_metric_inc(w->m_dlq, NULL);
    if (sf_dlq_encode(j->msg->value, j->msg->len, reason, attempts, w->owner, at, &s, &n, &e) ==
        SF_OK)
        publish(w, j, w->cfg->dlq_topic, j->msg->key ? j->msg->key : jdigest(j), s, n);
    else
        atomic_fetch_add(&j->failed, 1);
    free(s);
}

/* ---- shortcut -------------------------------------------------------------- */

/* The shortcut key version: DB version and requested platforms, since the
 * same digest scanned for other platforms yields other results. */
static void shortcut_version(struct sf_worker *w, const sf_job *job, char *out, size_t cap)
{
    const char *dbv = w->scanner.db_version ? w->scanner.db_version(w->scanner.ctx) : "none";
    size_t n = (size_t)snprintf(out, cap, "%s|", dbv);
    char *const *pl = job->nplatforms ? job->platforms : (char *const *)w->cfg->platforms.v;
    size_t np = job->nplatforms ? job->nplatforms : w->cfg->platforms.n;
    for (size_t i = 0; i < np && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? "," : "", pl[i]);
}

/* A cached result re-stamped for this job: its run id and refs; every
 * layer counts as a cache hit (bus/msg_restamp.h: spliced, not decoded
 * and encoded again, so a warm job costs little more than its Kafka
 * produce). *digest gets the result's manifest digest (its message key). */
static char *restamp(const char *cached, const sf_job *job, char **digest)
{
    sf_buf out;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
    char *s = NULL;
    if (sf_restamp(cached, strlen(cached), job->run_id, job->refs, job->nrefs, job->digest, &out,
                   digest, NULL, &e) == SF_OK)
        s = sf_buf_steal(&out, NULL);
    if (!s) {
        free(*digest);
        *digest = NULL;
    }
    sf_buf_free(&out);
    return s;
}

static int try_shortcut(struct sf_worker *w, wjob *j, const char *ver)
{
    char **res = NULL;
    size_t n = 0;
    int found = 0;
    sf_error e = SF_ERROR_INIT;
    if (sf_lcache_image_get(w->lc, j->job.digest, ver, &res, &n, &found, &e) != SF_OK || !found ||
        n == 0) {
        sf_lcache_results_free(res, n);
        return 0;
    }
    /* Re-stamp everything first: all or nothing. */
    char **out = calloc(n, sizeof *out), **dg = calloc(n, sizeof *dg);
    size_t k = 0;
    for (; out && dg && k < n && (out[k] = restamp(res[k], &j->job, &dg[k])); k++) {
    }
    int ok = out && dg && k == n;
    for (size_t i = 0; ok && i < n; i++) {
        publish(w, j, w->cfg->results_topic, dg[i], out[i], strlen(out[i]));
        j->nresults++;
        /* a cached result is a result: published like a scan's (only
         * error-free results are cached) */
        sf_metric_inc(w->m_results, "none");
    }
    for (size_t i = 0; out && dg && i < n; i++) {
        free(out[i]);
        free(dg[i]);
    }
    free(out);
    free(dg);
    sf_lcache_results_free(res, n);
    if (ok)
        j->outcome = "shortcut";
    return ok;
}

/* ---- per-job memo: the fleet cache plus per-layer logs and metrics ---- */

typedef struct jmemo {
    struct sf_worker *w;
    wjob *j;
} jmemo;

static int jmemo_get(void *ctx, const char *digest, const char *diff_id,
                     sf_layer_analyze_fn analyze, void *actx, sf_inventory **out,
                     const char **state, sf_error *err)
{
    jmemo *jm = ctx;
    uint64_t t0 = sf_time_mono_ms();
    int rc = sf_lcache_get(jm->w->lc, digest, diff_id, analyze, actx, out, state, err);
    sf_metric_inc(jm->w->m_layers, *state);
    if (rc == SF_OK && *out && (!strcmp(*state, "miss") || !strcmp(*state, "uncached")))
        sf_metric_add(jm->w->m_layer_bytes, NULL, (double)(*out)->bytes);
    SF_INFO("worker", "layer|run=%s job=%s layer=%s cache=%s ok=%d ms=%llu", jrun(jm->j),
            jdigest(jm->j), digest, *state, rc == SF_OK,
            (unsigned long long)(sf_time_mono_ms() - t0));
    return rc;
}

/* ---- the job ---------------------------------------------------------------- */

/*
 * Attempts: the job's start ledger (cache/attempts.h) tells a job that
 * kills its workers from one whose worker died beside it. A job with any
 * death runs isolated (alone in its process), so each further death is
 * its own fault; it goes to the DLQ once iso + min(shr, 1) reaches
 * --max-attempts. Redis down: nothing known, the job runs shared.
 */
static void inspect_attempts(struct sf_worker *w, wjob *j, sf_attempts_seen *a)
{
    sf_error e = SF_ERROR_INIT;
    if (sf_attempts_inspect(w->kv, w->cfg->key_prefix, w->owner, j->job.digest, j->job.run_id, a,
                            &e) != SF_OK) {
        if (e.code)
            SF_WARN("worker", "attempts unknown|run=%s digest=%s error=\"%s\"", jrun(j),
                    jdigest(j), e.msg);
        return;
    }
    for (int i = 0; i < a->ndead; i++)
        SF_WARN("worker", "a worker died running this job|run=%s digest=%s worker=%s alone=%d",
                jrun(j), jdigest(j), a->dead[i], a->dead_alone[i]);
}

static void record_start(struct sf_worker *w, wjob *j, int excl)
{
    sf_error e = SF_ERROR_INIT;
    sf_attempts_start(w->kv, w->cfg->key_prefix, w->owner, j->job.digest, j->job.run_id, excl,
                      SF_WORKER_ATTEMPTS_TTL_MS, &e);
}

/* Done with the job here: success forgets every record; otherwise only
 * this worker's start (it did not die). */
static void record_end(struct sf_worker *w, wjob *j, int success)
{
    sf_error e = SF_ERROR_INIT;
    sf_attempts_end(w->kv, w->cfg->key_prefix, w->owner, j->job.digest, j->job.run_id, success,
                    &e);
}

static void gate_enter(struct sf_worker *w, int excl)
{
    pthread_mutex_lock(&w->gmu);
    if (excl) {
        w->excl_waiting++;
        while (w->running_shared > 0 || w->excl_active)
            pthread_cond_wait(&w->gcv, &w->gmu);
        w->excl_waiting--;
        w->excl_active = 1;
    } else {
        while (w->excl_active || w->excl_waiting > 0)
            pthread_cond_wait(&w->gcv, &w->gmu);
        w->running_shared++;
    }
    pthread_mutex_unlock(&w->gmu);
}

static void gate_leave(struct sf_worker *w, int excl)
{
    pthread_mutex_lock(&w->gmu);
    if (excl)
        w->excl_active = 0;
    else
        w->running_shared--;
    pthread_cond_broadcast(&w->gcv);
    pthread_mutex_unlock(&w->gmu);
}

/* The shortcut, tried before the attempt records: answering from the
 * cached results runs no scanner, so it cannot be what killed a worker,
 * and a warm job then costs one Redis read and one delete instead of
 * reading, writing and deleting the records around it. */
static int shortcut(struct sf_worker *w, wjob *j)
{
    char ver[512];
    shortcut_version(w, &j->job, ver, sizeof ver);
    if (!try_shortcut(w, j, ver))
        return 0;
    record_end(w, j, atomic_load(&j->failed) == 0); /* forget earlier deaths, as a scan does */
    return 1;
}

static void scan_job(struct sf_worker *w, wjob *j)
{
    char ver[512];
    shortcut_version(w, &j->job, ver, sizeof ver);
    jmemo jm = {w, j};
    sf_layer_memo memo = {&jm, jmemo_get};
    sf_error e = SF_ERROR_INIT;
    j->cacheable = 1;
    j->outcome = "ok";
    int rc = w->scanner.scan(w->scanner.ctx, &j->job, &memo, emit, j, &e);
    if (rc != SF_OK) {
        if (e.code == SF_OK)
            sf_error_set(&e, rc, "scan failed");
        SF_WARN("worker", "scan produced no report|run=%s digest=%s error=\"%s\"", jrun(j),
                jdigest(j), e.msg);
        j->cacheable = 0;
        emit_error_result(w, j, &e);
    }
    if (j->nerrors)
        j->outcome = "error";
    if (j->cacheable && j->nres > 0 && atomic_load(&j->failed) == 0) {
        sf_error ie = SF_ERROR_INIT;
        if (sf_lcache_image_put(w->lc, j->job.digest, ver, (const char *const *)j->results,
                                j->nres, &ie) != SF_OK)
            SF_DEBUG("worker", "image result not cached|digest=%s error=\"%s\"", j->job.digest,
                     ie.msg);
    }
    drop_results(j);
}

/* The pause before re-running a job whose results were not delivered; 0
 * when the worker began stopping meanwhile. */
static int requeue_pause(struct sf_worker *w, const wjob *j)
{
    int shift = j->requeues - 1 < 6 ? j->requeues - 1 : 6;
    long ms = (long)SF_WORKER_REQUEUE_BACKOFF_MS << shift;
    if (ms > SF_WORKER_REQUEUE_BACKOFF_MAX_MS)
        ms = SF_WORKER_REQUEUE_BACKOFF_MAX_MS;
    return sf_time_sleep_ms(ms, &w->stopping) == SF_OK;
}

void sf_w_process(struct sf_worker *w, wslot *slot, wjob *j)
{
    if (j->requeues > 0 && !requeue_pause(w, j)) {
        /* Stopping: the exit gets it redelivered. */
        sf_metric_inc(w->m_jobs, "handed_back");
        sf_kcons_release(w->cons, j->msg);
        j->msg = NULL;
        sf_w_job_free(j);
        return;
    }
    atomic_store(&j->pending, 1);
    atomic_store(&j->failed, 0);
    atomic_store(&j->too_large, 0);
    j->size_fallback = 0;
    j->nresults = j->nerrors = 0;
    snprintf(slot->digest, sizeof slot->digest, "%s", jdigest(j));
    atomic_store(&slot->started_ms, sf_time_mono_ms());
    if (!j->decoded) {
        char reason[SF_ERRMSG_MAX + 32];
        snprintf(reason, sizeof reason, "malformed job: %s", j->decode_err);
        to_dlq(w, j, reason, 0);
    } else if (!shortcut(w, j)) {
        sf_attempts_seen a;
        inspect_attempts(w, j, &a);
        long long deaths = a.iso + (a.shr > 0 ? 1 : 0);
        if (deaths >= w->cfg->max_attempts) {
            char reason[160];
            snprintf(reason, sizeof reason,
                     "workers died %lld times while running it (%lld of them running it alone)",
                     a.iso + a.shr, a.iso);
            to_dlq(w, j, reason, a.iso + a.shr + 1);
            record_end(w, j, 1);
        } else {
            int excl = a.iso + a.shr > 0;
            gate_enter(w, excl);
            record_start(w, j, excl);
            SF_LOG(excl ? SF_LOG_WARN : SF_LOG_INFO, "worker",
                   "job started|run=%s digest=%s repo=%s alone=%d deaths=%lld", jrun(j),
                   jdigest(j), j->job.repository ? j->job.repository : "-", excl, a.iso + a.shr);
            scan_job(w, j);
            record_end(w, j, atomic_load(&j->failed) == 0);
            gate_leave(w, excl);
        }
    }
    atomic_store(&slot->started_ms, 0);
    unpend(w, j); /* drop the guard: the last delivery report finishes it */
}
