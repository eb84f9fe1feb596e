/*
 * Integration test of the worker's job loop on the real Kafka and Redis:
 * three worker processes (forked, each a full sf_worker with its own
 * consumer, producer and cache) consume 40 jobs from a topic of this test
 * run. The scanner here is the test's own: it resolves each job to 3 of 5
 * real corpus layers and gets their inventories through the worker's memo
 * (the fleet cache), so the loop is exercised without the scan engine.
 *
 * Faults: one worker is killed with SIGKILL in the middle of the run; one
 * job makes any worker that scans it abort(). Every other job must still
 * get a result; the poison job must land in the DLQ after --max-attempts
 * starts; the survivors must drain and exit 0 on SIGTERM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <signal.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "worker_helpers.h"
#include "wconf.h"
#include "worker.h"

#define NLAYERS 5
#define NJOBS 40
#define POISON 17 /* this job aborts the worker scanning it */
#define NWORKERS 3

static t_layer layers[NLAYERS] = T_ALPINE_LAYERS;
static char digests[NJOBS][SF_DIGEST_MAX];
static char tag[64], jobs_topic[96], results_topic[96], dlq_topic[96], group[96];
static const char *run_id = "run-worker-loop";

static int image_of(const char *digest)
{
    for (int k = 0; k < NJOBS; k++)
        if (strcmp(digests[k], digest) == 0)
            return k;
    return -1;
}

/* The test scanner: job k = layers k, k+1, k+3 (mod 5), through the memo. */
static int t_scan(void *ctx, const sf_job *job, const sf_layer_memo *memo, sf_worker_emit_fn emit,
                  void *ectx, sf_error *err)
{
    int k = image_of(job->digest);
    if (k < 0)
        return sf_error_set(err, SF_ENOTFOUND, "unknown image");
    if (k == POISON)
        abort();
    json_t *ls = json_array();
    size_t pkgs = 0;
    int idx[3] = {k % NLAYERS, (k + 1) % NLAYERS, (k + 3) % NLAYERS};
    for (int i = 0; i < 3; i++) {
        t_layer *l = &layers[idx[i]];
        sf_inventory *inv = NULL;
        const char *st = NULL;
        int rc = memo->get(memo->ctx, l->digest, NULL, t_analyse, l, &inv, &st, err);
        if (rc != SF_OK)
            return rc;
        pkgs += t_npkgs(inv);
        json_array_append_new(ls, json_pack("{s:s,s:s}", "digest", l->digest, "cache", st));
        t_inv_free(inv);
    }
    json_t *doc = json_pack("{s:s,s:s,s:s,s:o,s:I,s:n}", "schema", "scanfarm.result/v1", "run_id",
                            job->run_id, "digest", job->digest, "layers", ls, "packages",
                            (json_int_t)pkgs, "error");
    char *s = json_dumps(doc, JSON_COMPACT);
    emit(ectx, job->digest, s, strlen(s), SF_OK);
    free(s);
    json_decref(doc);
    return SF_OK;
}

static const char *t_dbv(void *ctx) { return "test-db-1"; }

static void on_term(int sig) { sf_worker_signal_stop(); }

static void child_main(void)
{
    /* cmocka's crash handlers would turn abort() into a test failure that
     * unwinds into the runner; a worker must die like a real process. */
    int sigs[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL);
    signal(SIGTERM, on_term);
    char *argv[] = {"w", "--kafka", (char *)sf_t_kafka(), "--redis", (char *)sf_t_redis(),
                    "--key-prefix", tag, "--group", group, "--jobs-topic", jobs_topic,
                    "--results-topic", results_topic, "--dlq-topic", dlq_topic,
                    "--metrics-port", "0", "--concurrency", "2", "--max-attempts", "2",
                    "--grace", "10", "--session-timeout-ms", "6000", "--lock-ttl-ms", "1500"};
    sf_wconf cfg;
    sf_error e = SF_ERROR_INIT;
    if (sf_wconf_load(&cfg, (int)(sizeof argv / sizeof argv[0]), argv, &e) != SF_OK) {
        fprintf(stderr, "child config: %s\n", e.msg);
        _exit(2);
    }
    sf_worker_scanner sc = {NULL, t_scan, t_dbv, "t1", NULL};
    sf_worker *w = NULL;
    if (sf_worker_new(&w, &cfg, &sc, &e) != SF_OK) {
        fprintf(stderr, "child start: %s\n", e.msg);
        _exit(2);
    }
    int rc = sf_worker_run(w, &e);
    if (rc == SF_OK)
        sf_worker_free(w);
    _exit(rc == SF_OK ? 0 : 1);
}

static pid_t kids_all[64];
static int nkids_all;

static pid_t spawn(void)
{
    pid_t p = fork();
    if (p == 0)
        child_main();
    if (p > 0 && nkids_all < 64)
        kids_all[nkids_all++] = p;
    return p;
}

/* A failed assertion must not leave workers running. */
static int kill_kids(void **state)
{
    (void)state;
    for (int i = 0; i < nkids_all; i++)
        if (kill(kids_all[i], SIGKILL) == 0)
            waitpid(kids_all[i], NULL, 0);
    nkids_all = 0;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NLAYERS; i++)
        if (t_layer_load(&layers[i]) != SF_OK)
            return -1;
    snprintf(tag, sizeof tag, "worker-loop-%ld-%ld", (long)getpid(), (long)time(NULL));
    snprintf(jobs_topic, sizeof jobs_topic, "%s.jobs", tag);
    snprintf(results_topic, sizeof results_topic, "%s.results", tag);
    snprintf(dlq_topic, sizeof dlq_topic, "%s.dlq", tag);
    snprintf(group, sizeof group, "%s.workers", tag);
    for (int k = 0; k < NJOBS; k++) {
        char s[96];
        int n = snprintf(s, sizeof s, "%s-image-%d", tag, k);
        sf_digest_sha256(s, (size_t)n, digests[k]);
    }
    return 0;
}

static void produce_jobs(void)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, jobs_topic, 6, 1, 10000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, results_topic, 3, 1, 10000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, dlq_topic, 1, 1, 10000, &e), SF_OK);
    for (int k = 0; k < NJOBS; k++) {
        char ref[128];
        snprintf(ref, sizeof ref, "%s/%s:v%d", sf_t_registry(), tag, k);
        assert_int_equal(wt_produce_job(p, jobs_topic, run_id, sf_t_registry(), tag, digests[k],
                                        ref, &e),
                         SF_OK);
    }
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);
}

static void test_worker_loop__kill9_and_poison(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    produce_jobs();
    pid_t kids[NWORKERS];
    for (int i = 0; i < NWORKERS; i++)
        kids[i] = spawn();

    /* Readers of results and DLQ (own groups, from the beginning). */
    char rg[128], dg[128];
    snprintf(rg, sizeof rg, "%s.reader", tag);
    snprintf(dg, sizeof dg, "%s.dlqreader", tag);
    sf_kcons *rr = NULL, *dr = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kcons_opts ro = {.brokers = sf_t_kafka(), .group = rg, .topic = results_topic,
                        .max_in_flight = 1000};
    sf_kcons_opts dopt = {.brokers = sf_t_kafka(), .group = dg, .topic = dlq_topic,
                          .max_in_flight = 1000};
    assert_int_equal(sf_kcons_new(&rr, &ro, &e), SF_OK);
    assert_int_equal(sf_kcons_new(&dr, &dopt, &e), SF_OK);

    int got[NJOBS] = {0}, ngot = 0, dlq = 0, killed = 0, restarts = 0, dups = 0;
    uint64_t t0 = t_now_ms();
    while (t_now_ms() - t0 < 150000 && (ngot < NJOBS - 1 || !dlq)) {
        sf_kmsg *m = NULL;
        if (sf_kcons_poll(rr, 200, &m, &e) == SF_OK && m) {
            json_error_t je;
            json_t *d = json_loadb(m->value, m->len, 0, &je);
            const char *dgst = json_string_value(json_object_get(d, "digest"));
            int k = dgst ? image_of(dgst) : -1;
            assert_true(k >= 0 && k != POISON);
            assert_string_equal(json_string_value(json_object_get(d, "run_id")), run_id);
            assert_true(json_integer_value(json_object_get(d, "packages")) > 0);
            if (got[k]++ == 0)
                ngot++;
            else
                dups++;
            json_decref(d);
            sf_kcons_done(rr, m);
            /* Kill a worker once a few results are out: it is mid-job. */
            if (ngot == 6 && !killed) {
                kill(kids[0], SIGKILL);
                killed = 1;
            }
        }
        m = NULL;
        if (sf_kcons_poll(dr, 0, &m, &e) == SF_OK && m) {
            json_error_t je;
            json_t *d = json_loadb(m->value, m->len, 0, &je);
            const char *jd = json_string_value(json_object_get(json_object_get(d, "job"), "digest"));
            assert_non_null(jd);
            assert_int_equal(image_of(jd), POISON);
            /* Redelivery may repeat the DLQ record (at least once). */
            assert_non_null(strstr(json_string_value(json_object_get(d, "reason")), "workers died "));
            dlq++;
            json_decref(d);
            sf_kcons_done(dr, m);
        }
        /* Restart workers that died (the poison job aborts them). */
        for (int i = 0; i < NWORKERS; i++) {
            int st;
            if (waitpid(kids[i], &st, WNOHANG) == kids[i]) {
                fprintf(stderr, "worker %d died: %s %d\n", (int)kids[i],
                        WIFSIGNALED(st) ? "signal" : "exit",
                        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
                kids[i] = spawn();
                restarts++;
            }
        }
    }
    fprintf(stderr, "loop: %d/%d jobs answered, %d duplicates, dlq %d, restarts %d\n", ngot,
            NJOBS - 1, dups, dlq, restarts);
    assert_int_equal(ngot, NJOBS - 1);
    assert_true(dlq >= 1);
    assert_true(restarts >= 2); /* the kill -9 and at least one poison crash */
    /* SIGTERM: every worker drains and exits 0 within its grace period. */
    for (int i = 0; i < NWORKERS; i++)
        kill(kids[i], SIGTERM);
    for (int i = 0; i < NWORKERS; i++) {
        int st = -1;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    sf_kcons_close(rr);
    sf_kcons_close(dr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_loop__kill9_and_poison, kill_kids),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
