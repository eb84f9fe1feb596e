/*
 * The broker restarts during a run: no job is lost.
 *
 * A private Kafka broker (deploy/local/stack with its own run dir and
 * ports, so the shared broker on 9092 is never touched) and a private
 * Redis; three `scanfarm-worker` processes scan the corpus images pushed to
 * the shared registry. Round 1 is every image. After the first results
 * arrive the broker is killed with SIGKILL (no controlled shutdown, no log
 * flush: a crash), jobs of round 2 are produced into the test's producer
 * while it is down, and the broker is restarted on the same data dir.
 * Then it is stopped again, gracefully this time (SIGTERM, controlled
 * shutdown), in the middle of round 3, and restarted.
 *
 * Every job of every round must get at least one result on the results
 * topic (duplicates are allowed and counted, none may be missing); the
 * workers must stay up through both outages and exit 0 on SIGTERM.
 * Figures (jobs, results, duplicates, downtime) go to stderr.
 *
 * Skipped without java, kcat, the cached Kafka jars, the shared registry
 * or the worker binary. Everything it starts (broker, Redis, workers) is
 * stopped and the run dir removed in the teardown, and by a reaper process
 * should the test itself be killed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <glob.h>
#include <jansson.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "worker_helpers.h"

#define MAX_IMAGES 64
#define NROUNDS 3
#define NWORKERS 3
#define COLLECT_S 60 /* per round, after the broker is back */

typedef wt_image image;

/* Results seen for one job (a round's image): by result digest, a count. */
typedef struct seen {
    json_t *by_digest;
} seen;

static image imgs[MAX_IMAGES];
static int nimgs;
static seen got[NROUNDS][MAX_IMAGES];
static int nresults, ndups;

static char tag[64], run_dir[256], list_path[256], jobs_topic[96], results_topic[96],
    dlq_topic[96], group[96], kafka[32], redis[32];
static int kafka_port, ctrl_port;
static pid_t workers[NWORKERS], redis_pid = -1, reaper = -1;
static int broker_started;
static sf_kprod *prod;
static sf_kcons *reader;

/* ---- the private broker ------------------------------------------------- */

/* A port below the kernel's ephemeral range (clients reconnecting while the
 * broker is down must not be handed it as their source port) and free
 * together with the next one (the controller), derived from the pid. */
static int pick_ports(void)
{
    for (int i = 0; i < 200; i++) {
        int p = 20000 + (int)(((unsigned)getpid() * 7u + (unsigned)i * 131u) % 12000u);
        int ok = 1;
        for (int k = 0; k < 2 && ok; k++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(p + k))};
            inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
            ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
            if (fd >= 0)
                close(fd);
        }
        if (ok) {
            kafka_port = p;
            ctrl_port = p + 1;
            return 0;
        }
    }
    return -1;
}

/* Run deploy/local/stack with this test's run dir and ports; 0 on success. */
static int stack(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "SCANFARM_RUN_DIR=%s SCANFARM_KAFKA_PORT=%d SCANFARM_KAFKA_CONTROLLER_PORT=%d "
             "SCANFARM_PARTITIONS=1 SCANFARM_KAFKA_HEAP=256m bash %s/deploy/local/stack %s "
             ">>%s/stack.out 2>&1",
             run_dir, kafka_port, ctrl_port, getenv("SF_SRC") ? getenv("SF_SRC") : ".", args,
             run_dir);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof cmd, "tail -n 30 %s/stack.out >&2", run_dir);
        (void)!system(cmd);
    }
    return rc;
}

/* What the teardown and the reaper run: the broker and the run dir (kept,
 * logs and all, with SF_TEST_KEEP_RUN_DIR=1 for a post-mortem). */
static void cleanup_cmd(char *out, size_t cap)
{
    const char *keep = getenv("SF_TEST_KEEP_RUN_DIR");
    snprintf(out, cap,
             "SCANFARM_RUN_DIR=%s SCANFARM_KAFKA_PORT=%d SCANFARM_KAFKA_CONTROLLER_PORT=%d "
             "bash %s/deploy/local/stack kill kafka >/dev/null 2>&1; rm -rf %s %s",
             run_dir, kafka_port, ctrl_port, getenv("SF_SRC") ? getenv("SF_SRC") : ".",
             keep && strcmp(keep, "1") == 0 ? "" : run_dir, list_path);
}

/* A process in its own session that outlives this one: should the test be
 * killed (a ctest timeout), it still stops the broker (which runs in its
 * own session too) and the private Redis, and removes the run dir. The
 * workers carry a parent-death signal. */
static pid_t start_reaper(void)
{
    char cmd[1200];
    cleanup_cmd(cmd, sizeof cmd);
    if (redis_pid > 0) {
        size_t n = strlen(cmd);
        snprintf(cmd + n, sizeof cmd - n, "; kill -KILL %d 2>/dev/null", (int)redis_pid);
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        int fd = open("/dev/null", O_RDWR);
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        signal(SIGTERM, SIG_DFL);
        while (kill(parent, 0) == 0)
            wt_sleep_ms(500);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Java, kcat and the jars the stack would otherwise download. */
static int broker_prereqs(void)
{
    if (system("command -v java >/dev/null 2>&1 && command -v kcat >/dev/null 2>&1") != 0)
        return 0;
    const char *cache = getenv("SCANFARM_CACHE");
    char pat[512];
    if (cache && *cache)
        snprintf(pat, sizeof pat, "%s/kafka-*/.complete", cache);
    else
        snprintf(pat, sizeof pat, "%s/.cache/scanfarm/kafka-*/.complete",
                 getenv("HOME") ? getenv("HOME") : "/root");
    glob_t g;
    int have = glob(pat, 0, NULL, &g) == 0 && g.gl_pathc > 0;
    globfree(&g);
    return have;
}

/* ---- jobs and results ------------------------------------------------------ */

/* Push the corpus (a no-op when it is there) and read its image list. */
static int load_images(void)
{
    nimgs = wt_corpus_images(sf_t_registry(), list_path, imgs, MAX_IMAGES);
    return nimgs > 0 ? 0 : -1;
}

static void run_name(int round, char *out, size_t cap)
{
    snprintf(out, cap, "%s-round-%d", tag, round + 1);
}

/* Queue one job per image for a round. The broker may be down: the
 * producer keeps them and delivers when it is back. */
static void produce_round(sf_kprod *p, int round)
{
    char run[96];
    run_name(round, run, sizeof run);
    for (int k = 0; k < nimgs; k++) {
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(wt_produce_job(p, jobs_topic, run, sf_t_registry(), imgs[k].repo,
                                        imgs[k].digest, imgs[k].ref, &e),
                         SF_OK);
    }
}

/* Jobs of a round that have at least one result. */
static int answered(int round)
{
    int n = 0;
    for (int k = 0; k < nimgs; k++)
        n += json_object_size(got[round][k].by_digest) > 0;
    return n;
}

/* Record one result message; unknown runs (none here) are ignored. */
static void record(const sf_kmsg *m)
{
    json_error_t je;
    json_t *r = json_loadb(m->value, m->len, 0, &je);
    const char *run = json_string_value(json_object_get(r, "run_id"));
    const char *idx = json_string_value(json_object_get(r, "index_digest"));
    const char *dg = json_string_value(json_object_get(r, "digest"));
    for (int round = 0; round < NROUNDS && run && dg; round++) {
        char name[96];
        run_name(round, name, sizeof name);
        if (strcmp(run, name) != 0)
            continue;
        for (int k = 0; k < nimgs; k++) {
            if (strcmp(imgs[k].digest, idx ? idx : dg) != 0)
                continue;
            json_t *c = json_object_get(got[round][k].by_digest, dg);
            json_int_t n = c ? json_integer_value(c) : 0;
            ndups += n > 0;
            json_object_set_new(got[round][k].by_digest, dg, json_integer(n + 1));
            nresults++;
        }
    }
    json_decref(r);
}

/* Fail (with its log) if a worker has exited. */
static void workers_alive(void)
{
    for (int i = 0; i < NWORKERS; i++) {
        int st = 0;
        if (workers[i] > 0 && waitpid(workers[i], &st, WNOHANG) == workers[i]) {
            fprintf(stderr, "worker %d (pid %d) %s %d during the run; its log:\n", i,
                    (int)workers[i], WIFEXITED(st) ? "exited" : "died of signal",
                    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            char cmd[300];
            snprintf(cmd, sizeof cmd, "tail -n 40 %s/worker-%d.log >&2", run_dir, i);
            (void)!system(cmd);
            workers[i] = -1;
            fail();
        }
    }
}

/* Read results until round `round` has `want` jobs answered or timeout_s
 * passes; the workers are checked as we go. Returns the jobs answered. */
static int collect(sf_kcons *rr, int round, int want, int timeout_s)
{
    uint64_t t0 = t_now_ms();
    while (answered(round) < want && t_now_ms() - t0 < (uint64_t)timeout_s * 1000u) {
        sf_kmsg *m = NULL;
        sf_error e = SF_ERROR_INIT;
        workers_alive();
        assert_int_equal(sf_kcons_poll(rr, 200, &m, &e), SF_OK);
        if (!m)
            continue;
        record(m);
        sf_kcons_done(rr, m);
    }
    return answered(round);
}

/* Collect a whole round; on a shortfall name the jobs without a result and
 * show what the workers and the broker said, then fail. */
static void expect_round(sf_kcons *rr, int round)
{
    if (collect(rr, round, nimgs, COLLECT_S) == nimgs)
        return;
    for (int k = 0; k < nimgs; k++)
        if (json_object_size(got[round][k].by_digest) == 0)
            fprintf(stderr, "round %d: no result for %s (%s)\n", round + 1, imgs[k].ref,
                    imgs[k].digest);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "for f in %s/worker-*.log; do echo \"--- $f\"; grep -v 'comp=kafka' \"$f\" | "
             "tail -n 25; done >&2; echo '--- broker errors' >&2; "
             "grep -E ' (ERROR|FATAL) ' %s/kafka/server.log | tail -n 10 >&2",
             run_dir, run_dir);
    (void)!system(cmd);
    fail_msg("round %d: %d of %d jobs answered", round + 1, answered(round), nimgs);
}

/* ---- processes ---------------------------------------------------------- */

static pid_t spawn_worker(int i)
{
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a killed test */
        char logp[300];
        snprintf(logp, sizeof logp, "%s/worker-%d.log", run_dir, i);
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0 && !getenv("SF_TEST_VERBOSE"))
            dup2(fd, 2);
        execl(wt_bin("scanfarm-worker"), "scanfarm-worker", "--kafka", kafka, "--redis", redis,
              "--key-prefix", tag, "--group", group, "--jobs-topic", jobs_topic,
              "--results-topic", results_topic, "--dlq-topic", dlq_topic, "--metrics-port", "0",
              "--concurrency", "2", "--insecure-registry", sf_t_registry(),
              "--session-timeout-ms", "6000", "--grace", "20", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Teardown: everything this test started, whatever state it failed in. */
static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NWORKERS; i++)
        if (workers[i] > 0 && kill(workers[i], SIGKILL) == 0)
            waitpid(workers[i], NULL, 0);
    sf_kcons_close(reader);
    reader = NULL;
    sf_kprod_free(prod); /* the broker is still up: nothing waits long */
    prod = NULL;
    t_redis_kill(redis_pid);
    redis_pid = -1;
    if (broker_started) {
        char cmd[1024];
        cleanup_cmd(cmd, sizeof cmd);
        (void)!system(cmd);
    }
    if (reaper > 0 && kill(reaper, SIGKILL) == 0)
        waitpid(reaper, NULL, 0);
    for (int r = 0; r < NROUNDS; r++)
        for (int k = 0; k < MAX_IMAGES; k++) {
            json_decref(got[r][k].by_digest);
            got[r][k].by_digest = NULL;
        }
    return 0;
}

/* ---- the test ------------------------------------------------------------ */

/* Wait up to timeout_s for pid to exit; 1 and its status when it did (a
 * worker that hangs on shutdown must fail the test, not stall it). */
static int wait_exit(pid_t pid, int timeout_s, int *st)
{
    uint64_t t0 = t_now_ms();
    while (t_now_ms() - t0 < (uint64_t)timeout_s * 1000u) {
        if (waitpid(pid, st, WNOHANG) == pid)
            return 1;
        wt_sleep_ms(100);
    }
    return 0;
}

/* Stop the broker (`how` is the stack command: kill or down), produce round
 * `round` while it is down, wait `down_ms`, start it again. Returns the
 * downtime in ms. */
static uint64_t outage(sf_kprod *p, const char *how, int round, long down_ms)
{
    char cmd[64];
    uint64_t t0 = t_now_ms();
    snprintf(cmd, sizeof cmd, "%s kafka", how);
    assert_int_equal(stack(cmd), 0);
    if (round >= 0)
        produce_round(p, round);
    wt_sleep_ms(down_ms);
    workers_alive();
    assert_int_equal(stack("up kafka"), 0);
    return t_now_ms() - t0;
}

static void test_worker_broker_restart__no_job_lost(void **state)
{
    (void)state;
    sf_t_need(SF_T_REGISTRY);
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0 || !broker_prereqs() || system("command -v redis-server >/dev/null 2>&1") != 0);
    uint64_t t_start = t_now_ms();
    snprintf(tag, sizeof tag, "brk-restart-%ld", (long)getpid());
    snprintf(run_dir, sizeof run_dir, "/tmp/sf-%s", tag);
    snprintf(list_path, sizeof list_path, "/tmp/sf-%s.images.json", tag);
    snprintf(jobs_topic, sizeof jobs_topic, "%s.jobs", tag);
    snprintf(results_topic, sizeof results_topic, "%s.results", tag);
    snprintf(dlq_topic, sizeof dlq_topic, "%s.dlq", tag);
    snprintf(group, sizeof group, "%s.workers", tag);
    assert_int_equal(pick_ports(), 0);
    snprintf(kafka, sizeof kafka, "127.0.0.1:%d", kafka_port);
    assert_int_equal(mkdir(run_dir, 0700), 0);
    int rport = t_port(0);
    snprintf(redis, sizeof redis, "127.0.0.1:%d", rport);
    redis_pid = t_redis_start(rport);
    reaper = start_reaper();
    broker_started = 1;
    assert_int_equal(load_images(), 0);
    for (int r = 0; r < NROUNDS; r++)
        for (int k = 0; k < nimgs; k++)
            got[r][k].by_digest = json_object();
    assert_int_equal(stack("up kafka"), 0);
    uint64_t t_up = t_now_ms() - t_start;

    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = kafka};
    assert_int_equal(sf_kprod_new(&prod, &po, &e), SF_OK);
    sf_kprod *p = prod;
    assert_int_equal(sf_kprod_create_topic(p, jobs_topic, 6, 1, 30000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, results_topic, 3, 1, 30000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, dlq_topic, 1, 1, 30000, &e), SF_OK);
    produce_round(p, 0);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    for (int i = 0; i < NWORKERS; i++)
        workers[i] = spawn_worker(i);
    char rg[128];
    snprintf(rg, sizeof rg, "%s.reader", tag);
    sf_kcons_opts ro = {.brokers = kafka, .group = rg, .topic = results_topic,
                        .max_in_flight = 10000, .session_timeout_ms = 6000};
    assert_int_equal(sf_kcons_new(&reader, &ro, &e), SF_OK);
    sf_kcons *rr = reader;

    /* Round 1; after its first results the broker crashes, round 2 is
     * produced while it is down. */
    int first = collect(rr, 0, 3, COLLECT_S);
    assert_true(first >= 3);
    uint64_t down_kill = outage(p, "kill", 1, 3000);
    assert_int_equal(sf_kprod_flush(p, 60000, &e), SF_OK);
    expect_round(rr, 0);
    expect_round(rr, 1);

    /* Round 3, and a graceful stop in its middle. */
    produce_round(p, 2);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    int mid = collect(rr, 2, 2, COLLECT_S);
    uint64_t down_term = outage(p, "down", -1, 2000);
    expect_round(rr, 2);
    int jobs = 0;
    for (int r = 0; r < NROUNDS; r++) {
        assert_int_equal(answered(r), nimgs);
        jobs += nimgs;
    }
    /* The workers lived through both outages; SIGTERM ends them cleanly:
     * two with the broker up, the last one with the broker gone (nothing
     * in flight, so still exit 0, and within its grace period plus the
     * consumer's close bound: leaving the group must not wait for a
     * broker that is not there). */
    workers_alive();
    sf_kcons_close(reader); /* done reading: close while the broker is up */
    reader = NULL;
    uint64_t t_last = 0;
    for (int i = 0; i < NWORKERS; i++) {
        if (i == NWORKERS - 1) {
            assert_int_equal(stack("kill kafka"), 0);
            t_last = t_now_ms();
        }
        kill(workers[i], SIGTERM);
        int st = 0;
        if (!wait_exit(workers[i], 60, &st)) {
            fprintf(stderr, "worker %d still running 60 s after SIGTERM\n", i);
            fail();
        }
        if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            char cmd[300];
            fprintf(stderr, "worker %d: %s %d after SIGTERM; its log:\n", i,
                    WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            snprintf(cmd, sizeof cmd, "tail -n 40 %s/worker-%d.log >&2", run_dir, i);
            (void)!system(cmd);
        }
        workers[i] = -1;
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    uint64_t last_exit = t_now_ms() - t_last;
    assert_true(last_exit < 45000); /* --grace 20 + close 10 s + producer flush 10 s */
    fprintf(stderr,
            "broker restart: %d jobs in %d rounds, %d results, %d duplicates; "
            "SIGKILL after %d/%d answered, down %.1f s; SIGTERM after %d/%d, down %.1f s; "
            "first start %.1f s, total %.1f s; SIGTERM with the broker down: exit 0 in %.1f s\n",
            jobs, NROUNDS, nresults, ndups, first, nimgs, (double)down_kill / 1000.0, mid, nimgs,
            (double)down_term / 1000.0, (double)t_up / 1000.0,
            (double)(t_now_ms() - t_start) / 1000.0, (double)last_exit / 1000.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_broker_restart__no_job_lost, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
