/*
 * End-to-end test of scanfarm-worker on the real stack: the corpus images
 * pushed to the registry by tests/fixtures/push-corpus, jobs on a Kafka
 * topic of this test run, three `scanfarm-worker` processes (one killed
 * with SIGKILL mid-run), results on the results topic. Each result must
 * equal `scanfarm scan --format json` of the same image, ignoring timings,
 * run id, refs, scan time and per-layer cache state.
 *
 * Then a registry of our own serves a blob whose bytes do not match its
 * digest: the image's result must carry the digest error, and nothing of
 * that layer may be cached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "analyze/analyzer.h"
#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "worker_helpers.h"

#define MAX_JOBS 64

typedef struct ejob {
    wt_image im;    /* digest, repository, reference */
    json_t *expect; /* array of normalised results from `scanfarm scan` */
    json_t *got;    /* normalised results from the topic, by digest */
} ejob;

static ejob jobs[MAX_JOBS];
static int njobs;
static char tag[64], jobs_topic[96], results_topic[96], dlq_topic[96], group[96];

/* Drop the fields that legitimately differ between two scans. */
static void normalise(json_t *r)
{
    static const char *drop[] = {"timings", "run_id", "refs", "scanned_at", "scanner_version"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++)
        json_object_del(r, drop[i]);
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(r, "layers"), i, l) json_object_del(l, "cache");
}

static char *run_capture(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    sf_buf b;
    sf_buf_init(&b, 64u << 20);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, p)) > 0)
        sf_buf_append(&b, tmp, n);
    pclose(p);
    return sf_buf_steal(&b, NULL);
}

/* Push the corpus; one job per listed image (indexes are one job). */
static int load_corpus_jobs(const char *registry, const char *list)
{
    wt_image ims[MAX_JOBS];
    njobs = wt_corpus_images(registry, list, ims, MAX_JOBS);
    for (int k = 0; k < njobs; k++) {
        ejob *j = &jobs[k];
        memset(j, 0, sizeof *j);
        j->im = ims[k];
        j->got = json_object();
    }
    return njobs > 0 ? 0 : -1;
}

static const char *run_name = "run-e2e";

/* Name this test's run: tag "<stem>-<pid>-<time>" (the key prefix), and
 * its topics and worker group after it. */
static void name_run(const char *stem)
{
    snprintf(tag, sizeof tag, "%s-%ld-%ld", stem, (long)getpid(), (long)time(NULL));
    snprintf(jobs_topic, sizeof jobs_topic, "%s.jobs", tag);
    snprintf(results_topic, sizeof results_topic, "%s.results", tag);
    snprintf(dlq_topic, sizeof dlq_topic, "%s.dlq", tag);
    snprintf(group, sizeof group, "%s.workers", tag);
}

static void produce_jobs(const char *registry, const char *topic, int create)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    if (create) {
        assert_int_equal(sf_kprod_create_topic(p, jobs_topic, 6, 1, 10000, &e), SF_OK);
        assert_int_equal(sf_kprod_create_topic(p, results_topic, 3, 1, 10000, &e), SF_OK);
        assert_int_equal(sf_kprod_create_topic(p, dlq_topic, 1, 1, 10000, &e), SF_OK);
    }
    for (int k = 0; k < njobs; k++)
        assert_int_equal(wt_produce_job(p, topic, run_name, registry, jobs[k].im.repo, jobs[k].im.digest,
                                        jobs[k].im.ref, &e),
                         SF_OK);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);
}

/* The Redis the workers use: the stack's (set in main), or a private one. */
static const char *redis_addr;

/* Every process a test starts is tracked (wt_track), so a failed
 * assertion cannot leak them. */
static int kill_spawned(void **state)
{
    (void)state;
    wt_kill_all();
    return 0;
}

/* Assert a worker exited 0 after SIGTERM; print its log tail otherwise. */
static void expect_clean_exit(pid_t pid, int st)
{
    char logp[128];
    snprintf(logp, sizeof logp, "/tmp/sf-e2e-worker-%d.log", (int)pid);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        fprintf(stderr, "worker %d: %s %d; its log:\n", (int)pid,
                WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        char cmd[200];
        snprintf(cmd, sizeof cmd, "tail -n 40 %s >&2", logp);
        if (system(cmd) != 0)
            fprintf(stderr, "(no log)\n");
    }
    unlink(logp);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static pid_t spawn_worker(const char *prefix, int metrics_port)
{
    char port[16];
    snprintf(port, sizeof port, "%d", metrics_port);
    pid_t pid = fork();
    if (pid == 0) {
        /* Each worker logs to its own file, shown when it exits badly. */
        char logp[128];
        snprintf(logp, sizeof logp, "/tmp/sf-e2e-worker-%d.log", (int)getpid());
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0 && !getenv("SF_TEST_VERBOSE"))
            dup2(fd, 2);
        execl(wt_bin("scanfarm-worker"), "scanfarm-worker", "--kafka", sf_t_kafka(), "--redis",
              redis_addr, "--key-prefix", prefix, "--group", group, "--jobs-topic",
              jobs_topic, "--results-topic", results_topic, "--dlq-topic", dlq_topic,
              "--metrics-port", port, "--metrics-addr", "127.0.0.1", "--concurrency", "2",
              "--insecure-registry", sf_t_registry(), "--insecure-registry",
              getenv("SF_T_OWN_REGISTRY") ? getenv("SF_T_OWN_REGISTRY") : sf_t_registry(),
              "--session-timeout-ms", "6000", "--grace", "20", (char *)NULL);
        _exit(127);
    }
    return wt_track(pid);
}

static ejob *job_of(const char *digest)
{
    for (int k = 0; k < njobs; k++)
        if (strcmp(jobs[k].im.digest, digest) == 0)
            return &jobs[k];
    return NULL;
}

static int keep_raw;     /* also keep un-normalised results in raw */
static json_t *raw;

/* Read results of run_name until every job has as many as `scanfarm scan`
 * gave. */
static int collect(sf_kcons *rr, int timeout_s, pid_t kill_me, int *dups)
{
    uint64_t t0 = t_now_ms();
    int killed = 0, seen = 0;
    for (;;) {
        int done = 1;
        for (int k = 0; k < njobs && done; k++)
            done = json_object_size(jobs[k].got) >= json_array_size(jobs[k].expect);
        if (done)
            return 0;
        if (t_now_ms() - t0 > (uint64_t)timeout_s * 1000)
            return -1;
        sf_kmsg *m = NULL;
        sf_error e = SF_ERROR_INIT;
        if (sf_kcons_poll(rr, 200, &m, &e) != SF_OK || !m)
            continue;
        json_error_t je;
        json_t *r = json_loadb(m->value, m->len, 0, &je);
        const char *idx = json_string_value(json_object_get(r, "index_digest"));
        const char *dg = json_string_value(json_object_get(r, "digest"));
        const char *run = json_string_value(json_object_get(r, "run_id"));
        ejob *j = run && strcmp(run, run_name) == 0 ? job_of(idx ? idx : dg ? dg : "") : NULL;
        if (j && dg) {
            if (keep_raw)
                json_object_set_new(raw, dg, json_deep_copy(r));
            normalise(r);
            if (json_object_get(j->got, dg))
                (*dups)++;
            json_object_set(j->got, dg, r);
        }
        json_decref(r);
        sf_kcons_done(rr, m);
        if (++seen == 4 && kill_me > 0 && !killed) {
            kill(kill_me, SIGKILL); /* mid-run: it holds jobs */
            killed = 1;
        }
    }
}

static void free_jobs(void)
{
    for (int k = 0; k < njobs; k++) {
        json_decref(jobs[k].expect);
        json_decref(jobs[k].got);
        jobs[k].expect = jobs[k].got = NULL;
    }
}

static void test_worker_e2e__three_workers_match_cli(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0);
    name_run("worker-e2e");
    char list[256];
    snprintf(list, sizeof list, "/tmp/%s.images.json", tag);
    assert_int_equal(load_corpus_jobs(sf_t_registry(), list), 0);
    /* What the CLI says about each image. */
    for (int k = 0; k < njobs; k++) {
        char cmd[1024];
        int cl = snprintf(cmd, sizeof cmd, "%s scan --format json %s/%s@%s 2>/dev/null",
                          wt_bin("scanfarm"), sf_t_registry(), jobs[k].im.repo, jobs[k].im.digest);
        assert_true(cl > 0 && (size_t)cl < sizeof cmd);
        char *out = run_capture(cmd);
        json_error_t je;
        json_t *d = out ? json_loads(out, 0, &je) : NULL;
        free(out);
        assert_non_null(d);
        if (!json_is_array(d)) {
            json_t *a = json_array();
            json_array_append_new(a, d);
            d = a;
        }
        size_t i;
        json_t *r;
        json_array_foreach(d, i, r) normalise(r);
        jobs[k].expect = d;
    }
    produce_jobs(sf_t_registry(), jobs_topic, 1);
    int mport = t_port(40);
    pid_t w[3];
    for (int i = 0; i < 3; i++)
        w[i] = spawn_worker(tag, i == 1 ? mport : 0);
    sf_kcons *rr = wt_results_reader(tag, results_topic, 10000);
    assert_non_null(rr);
    int dups = 0;
    assert_int_equal(collect(rr, 300, w[0], &dups), 0);
    int nres = 0;
    for (int k = 0; k < njobs; k++) {
        size_t i;
        json_t *x;
        json_array_foreach(jobs[k].expect, i, x) {
            const char *dg = json_string_value(json_object_get(x, "digest"));
            json_t *g = json_object_get(jobs[k].got, dg);
            if (!json_equal(x, g)) {
                char *a = json_dumps(x, JSON_SORT_KEYS), *b = g ? json_dumps(g, JSON_SORT_KEYS) : NULL;
                fprintf(stderr, "mismatch for %s\n cli:    %.600s\n worker: %.600s\n", jobs[k].im.ref, a,
                        b ? b : "(none)");
                free(a);
                free(b);
                fail();
            }
            nres++;
        }
    }
    fprintf(stderr, "e2e: %d jobs, %d results equal to the CLI's, %d duplicates after kill -9\n",
            njobs, nres, dups);
    /* Metrics of a live worker. */
    char page[65536];
    assert_int_equal(wt_http_get(mport, "/metrics", page, sizeof page), 0);
    assert_non_null(strstr(page, "# TYPE scanfarm_jobs_total counter"));
    assert_non_null(strstr(page, "# TYPE scanfarm_cache_layer_lookups_total counter"));
    /* The group may hand this worker no job at all (the other two can take
     * every partition's work), or only jobs whose whole image was already
     * cached (outcome shortcut: redelivered after the kill -9, no layer
     * looked up); a worker that did scan an image counts its lookups. */
    if (strstr(page, "scanfarm_jobs_total{outcome=\"ok\"}"))
        assert_non_null(strstr(page, "scanfarm_cache_layer_lookups_total{result="));
    assert_int_equal(wt_http_get(mport, "/healthz", page, sizeof page), 0);
    assert_non_null(strstr(page, "200 OK"));
    for (int i = 1; i < 3; i++)
        fprintf(stderr, "e2e: worker %d peak RSS %ld KiB\n", i, wt_status_kib(w[i], "VmHWM"));
    for (int i = 1; i < 3; i++)
        kill(w[i], SIGTERM);
    for (int i = 0; i < 3; i++) {
        int st = 0;
        waitpid(w[i], &st, 0);
        if (i > 0) {
            assert_true(WIFEXITED(st));
            assert_int_equal(WEXITSTATUS(st), 0);
        }
    }
    sf_kcons_close(rr);
    free_jobs();
}

static void test_worker_e2e__corrupt_blob_is_an_error_and_not_cached(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0 || system("command -v docker-registry >/dev/null") != 0);
    name_run("worker-e2ec");
    char dir[256], reg[64], list[320];
    snprintf(dir, sizeof dir, "/tmp/%s", tag);
    mkdir(dir, 0700);
    int port = t_port(41);
    snprintf(reg, sizeof reg, "127.0.0.1:%d", port);
    setenv("SF_T_OWN_REGISTRY", reg, 1);
    pid_t rp = wt_registry_start(dir, port);
    assert_true(rp > 0);
    snprintf(list, sizeof list, "%s/images.json", dir);
    assert_int_equal(load_corpus_jobs(reg, list), 0);
    /* Keep one single-layer image; flip a byte in the middle of its blob. */
    ejob *victim = NULL;
    for (int k = 0; k < njobs && !victim; k++)
        if (strstr(jobs[k].im.ref, "corpus/alpine:3.10.3"))
            victim = &jobs[k];
    assert_non_null(victim);
    ejob keep = *victim;
    for (int k = 0; k < njobs; k++)
        if (&jobs[k] != victim)
            json_decref(jobs[k].got);
    jobs[0] = keep;
    njobs = 1;
    json_error_t je;
    json_t *doc = json_load_file(list, 0, &je);
    const char *layer = NULL;
    size_t i;
    json_t *img;
    json_array_foreach(json_object_get(doc, "images"), i, img) if (
        strcmp(json_string_value(json_object_get(img, "digest")), jobs[0].im.digest) == 0) layer =
        json_string_value(json_object_get(json_array_get(json_object_get(img, "layers"), 0), "digest"));
    assert_non_null(layer);
    char blob[512];
    snprintf(blob, sizeof blob, "%s/data/docker/registry/v2/blobs/sha256/%.2s/%s/data", dir,
             layer + 7, layer + 7);
    int fd = open(blob, O_RDWR);
    assert_true(fd >= 0);
    unsigned char c;
    assert_int_equal(pread(fd, &c, 1, 1000000), 1);
    c ^= 0xff;
    assert_int_equal(pwrite(fd, &c, 1, 1000000), 1);
    close(fd);
    jobs[0].expect = json_array();
    json_array_append_new(jobs[0].expect, json_object());
    produce_jobs(reg, jobs_topic, 1);
    pid_t w = spawn_worker(tag, 0);
    sf_kcons *rr = wt_results_reader(tag, results_topic, 100);
    assert_non_null(rr);
    int dups = 0;
    assert_int_equal(collect(rr, 120, 0, &dups), 0);
    json_t *r = json_object_get(jobs[0].got, jobs[0].im.digest);
    assert_non_null(r);
    json_t *err = json_object_get(r, "error");
    assert_true(json_is_object(err));
    assert_string_equal(json_string_value(json_object_get(err, "code")), "digest");
    /* Nothing of that layer in the cache: no inventory, no lock. */
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    char key[SF_KEY_MAX];
    int exists = 1;
    assert_int_equal(sf_keys_layer(key, tag, layer, sf_analyzers_version(), &e), SF_OK);
    assert_int_equal(sf_kv_exists(kv, layer, key, &exists, &e), SF_OK);
    assert_int_equal(exists, 0);
    assert_int_equal(sf_keys_lock_layer(key, tag, layer, &e), SF_OK);
    assert_int_equal(sf_kv_exists(kv, layer, key, &exists, &e), SF_OK);
    assert_int_equal(exists, 0);
    assert_int_equal(sf_keys_image(key, tag, jobs[0].im.digest, &e), SF_OK);
    assert_int_equal(sf_kv_exists(kv, jobs[0].im.digest, key, &exists, &e), SF_OK);
    assert_int_equal(exists, 0);
    sf_kv_free(kv);
    kill(w, SIGTERM);
    int st = 0;
    waitpid(w, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    kill(rp, SIGTERM);
    waitpid(rp, NULL, 0);
    sf_kcons_close(rr);
    free_jobs();
    json_decref(doc);
    char rm[300];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    (void)!system(rm);
}

/* Workers on a Redis of our own, killed after the first results: every
 * result still arrives, equal to the CLI's, and later ones say their
 * layers were scanned uncached. */
static void test_worker_e2e__redis_dies_mid_run(void **state)
{
    (void)state;
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0);
    name_run("worker-e2er");
    char list[256], addr[32];
    snprintf(list, sizeof list, "/tmp/%s.images.json", tag);
    assert_int_equal(load_corpus_jobs(sf_t_registry(), list), 0);
    for (int k = 0; k < njobs; k++) {
        jobs[k].expect = json_array();
        json_array_append_new(jobs[k].expect, json_object()); /* >= 1 result each */
    }
    int port = t_port(0);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    redis_addr = addr;
    pid_t rs = wt_track(t_redis_start(port));
    produce_jobs(sf_t_registry(), jobs_topic, 1);
    pid_t w[2] = {spawn_worker(tag, 0), spawn_worker(tag, 0)};
    sf_kcons *rr = wt_results_reader(tag, results_topic, 10000);
    assert_non_null(rr);
    /* First run with Redis up, then kill it and run the same jobs again. */
    int dups = 0;
    assert_int_equal(collect(rr, 240, 0, &dups), 0);
    t_redis_kill(rs);
    run_name = "run-e2e-redis-down";
    keep_raw = 1;
    raw = json_object();
    for (int k = 0; k < njobs; k++)
        json_object_clear(jobs[k].got);
    produce_jobs(sf_t_registry(), jobs_topic, 0);
    assert_int_equal(collect(rr, 240, 0, &dups), 0);
    int uncached = 0, errors = 0;
    {
        const char *key;
        json_t *r;
        json_object_foreach(raw, key, r) {
            errors += !json_is_null(json_object_get(r, "error"));
            size_t i;
            json_t *l;
            json_array_foreach(json_object_get(r, "layers"), i, l) {
                const char *c = json_string_value(json_object_get(l, "cache"));
                uncached += c && strcmp(c, "uncached") == 0;
            }
        }
    }
    fprintf(stderr, "redis down: %d jobs answered, %d layers flagged uncached, %d errors\n", njobs,
            uncached, errors);
    assert_true(uncached > 0);
    assert_int_equal(errors, 0);
    for (int i = 0; i < 2; i++)
        kill(w[i], SIGTERM);
    for (int i = 0; i < 2; i++) {
        int st = 0;
        waitpid(w[i], &st, 0);
        expect_clean_exit(w[i], st);
    }
    sf_kcons_close(rr);
    free_jobs();
    json_decref(raw);
    keep_raw = 0;
    run_name = "run-e2e";
    redis_addr = sf_t_redis();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_e2e__three_workers_match_cli, kill_spawned),
        cmocka_unit_test_teardown(test_worker_e2e__corrupt_blob_is_an_error_and_not_cached,
                                  kill_spawned),
        cmocka_unit_test_teardown(test_worker_e2e__redis_dies_mid_run, kill_spawned),
    };
    redis_addr = sf_t_redis();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
