/*
 * Integration test of scanfarm-worker (the real binary and scan engine) on
 * jobs that cannot be scanned, on the real Kafka, Redis and registry. One
 * worker, one single-partition jobs topic, in this order:
 *
 *   0. a poison pill: bytes that are neither JSON nor UTF-8 (NUL, 0xff);
 *   1. an image on the stack's registry named as "localhost:<port>", which
 *      the worker was not told is plain HTTP: TLS to a plain-HTTP server;
 *   2. a digest the registry does not have (404);
 *   3. a registry that refuses connections (nothing listens);
 *   4. a real corpus image;
 *   5. a layer trickled at 2 bytes/s by tests/hostile/server.py (case
 *      trickle-blob), the worker run with a 2 s transfer deadline base.
 *
 * Regressions: the root manifest failures of 1-3 made the worker publish
 * its error result with a NULL key and crash; the poison pill never
 * reached the DLQ (no DLQ document could quote it) and its offset never
 * committed; the trickled layer held its scan thread until --job-timeout.
 * Now: 1-3 and 5 each get an error result keyed by the job's digest,
 * 0 gets a DLQ entry quoting its bytes in base64, 4 gets its result, the
 * same worker process stays up throughout, and the group's committed
 * offset passes every job.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <openssl/evp.h>
#include <signal.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "worker_helpers.h"

#define NJOBS 6
#define TRICKLE 5
static sf_t_scratch S; /* names, topics, key prefix; one cleanup */
static char group[128], logp[192];
static char hostile[64]; /* 127.0.0.1:<port> of the hostile registry */
static char digests[NJOBS][SF_DIGEST_MAX];
static const char *run_id = "run-bad-jobs";
static const unsigned char poison[] = {0xff, 0xfe, 0x00, 'j', 'o', 'b', 0x00, 0xc3, 0x28, 0x80};

static int setup(void **state)
{
    (void)state;
    if (sf_t_scratch_open(&S, "bad-jobs") != 0)
        return -1;
    snprintf(group, sizeof group, "%s.workers", S.name);
    snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
    return 0;
}


/* Start tests/hostile/server.py on a free port (tracked: the teardown
 * kills it); learn the port from its "ready <port>" line and the trickle
 * case's manifest digest from the server. */
static int start_hostile(char digest[SF_DIGEST_MAX])
{
    int fds[2], in[2];
    char script[512];
    snprintf(script, sizeof script, "%s/tests/hostile/server.py",
             getenv("SF_SRC") ? getenv("SF_SRC") : ".");
    if (pipe(fds) != 0 || pipe(in) != 0)
        return -1;
    pid_t p = fork();
    if (p == 0) {
        dup2(fds[1], 1);
        dup2(in[0], 0);
        close(fds[0]);
        close(in[1]);
        execlp("python3", "python3", script, "--port", "0", "--exit-with-stdin", (char *)NULL);
        _exit(127);
    }
    /* in[1] stays open for the life of this process: at its end, even a
     * SIGKILL, the server reads EOF and exits. */
    close(fds[1]);
    close(in[0]);
    wt_track(p);
    /* The ready line, whole: a pipe read may return it in pieces. */
    char line[64] = "";
    size_t got = 0;
    ssize_t n;
    while (got < sizeof line - 1 && !memchr(line, '\n', got) &&
           (n = read(fds[0], line + got, sizeof line - 1 - got)) > 0)
        got += (size_t)n;
    line[got] = '\0';
    close(fds[0]);
    int port = got > 6 && strncmp(line, "ready ", 6) == 0 ? (int)strtol(line + 6, NULL, 10) : 0;
    if (port <= 0) {
        fprintf(stderr, "hostile server: no ready line (got \"%s\")\n", line);
        return -1;
    }
    snprintf(hostile, sizeof hostile, "127.0.0.1:%d", port);
    char page[65536];
    if (wt_http_get(port, "/v2/case/trickle-blob/manifests/latest", page, sizeof page) != 0) {
        fprintf(stderr, "hostile server: GET of the trickle manifest failed\n");
        return -1;
    }
    const char *d = strstr(page, "Docker-Content-Digest: ");
    if (!d || sscanf(d + 23, "%71s", digest) != 1) {
        fprintf(stderr, "hostile server: no digest in \"%.200s\"\n", page);
        return -1;
    }
    return 0;
}

static pid_t spawn_worker(void)
{
    /* Only the stack's registry as written by the test env is plain HTTP:
     * "localhost:<port>" is the same server reached as a new user would,
     * without --insecure-registry. */
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                    "--redis", (char *)sf_t_redis(), "--key-prefix", S.name, "--group", group,
                    "--jobs-topic", S.jobs, "--results-topic", S.results,
                    "--dlq-topic", S.dlq, "--metrics-port", "0", "--concurrency", "1",
                    "--insecure-registry", (char *)sf_t_registry(), "--insecure-registry",
                    hostile, "--transfer-deadline-base", "2", "--transfer-min-rate", "1024",
                    "--session-timeout-ms", "6000", "--grace", "10", NULL};
    return wt_spawn(argv, logp);
}

static void produce_jobs(const wt_image *im)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    assert_int_equal(sf_t_scratch_topics(&S, 1), 0);
    assert_int_equal(sf_kprod_produce(p, S.jobs, NULL, 0, (const char *)poison,
                                      sizeof poison, NULL, &e),
                     SF_OK);
    char localhost[128], missing[96];
    const char *colon = strrchr(sf_t_registry(), ':');
    snprintf(localhost, sizeof localhost, "localhost%s", colon ? colon : ":5000");
    int n = snprintf(missing, sizeof missing, "%s-missing", S.name);
    snprintf(digests[1], sizeof digests[1], "%s", im->digest);
    sf_digest_sha256(missing, (size_t)n, digests[2]);
    n = snprintf(missing, sizeof missing, "%s-unreachable", S.name);
    sf_digest_sha256(missing, (size_t)n, digests[3]);
    snprintf(digests[4], sizeof digests[4], "%s", im->digest);
    /* Port 1 on loopback: nothing listens, the connection is refused. */
    const char *regs[NJOBS] = {NULL,           localhost, sf_t_registry(), "127.0.0.1:1",
                               sf_t_registry(), hostile};
    for (int k = 1; k < NJOBS; k++)
        assert_int_equal(wt_produce_job(p, S.jobs, run_id, regs[k],
                                        k == TRICKLE ? "case/trickle-blob" : im->repo,
                                        digests[k], im->ref, &e),
                         SF_OK);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);
}

/* What came back for the run: results by job (error or not), the DLQ. */
typedef struct seen {
    int errors[NJOBS]; /* error results keyed by the job's digest */
    int ok;            /* the real image's result without error */
    int dlq;           /* DLQ entries quoting the poison byte for byte */
} seen;

static void on_result(seen *s, const sf_kmsg *m)
{
    json_error_t je;
    json_t *r = json_loadb(m->value, m->len, 0, &je);
    const char *dg = json_string_value(json_object_get(r, "digest"));
    const char *run = json_string_value(json_object_get(r, "run_id"));
    json_t *err = json_object_get(r, "error");
    const char *msg = json_string_value(json_object_get(err, "message"));
    if (run && strcmp(run, run_id) == 0 && dg && m->key && strcmp(m->key, dg) == 0) {
        if (json_is_null(err) || !err) {
            s->ok += strcmp(dg, digests[4]) == 0;
        } else {
            /* Jobs 1 and 4 share the digest: only 1 may fail. The
             * trickle must fail on its deadline. */
            for (int k = 1; k < NJOBS; k++)
                s->errors[k] += k != 4 && strcmp(dg, digests[k]) == 0 &&
                                (k != TRICKLE || (msg && strstr(msg, "deadline")));
            fprintf(stderr, "error result %s: %s\n", dg, msg ? msg : "(no message)");
        }
    }
    json_decref(r);
}

static void on_dlq(seen *s, const sf_kmsg *m)
{
    json_error_t je;
    json_t *d = json_loadb(m->value, m->len, 0, &je);
    const char *enc = json_string_value(json_object_get(d, "job_encoding"));
    const char *job = json_string_value(json_object_get(d, "job"));
    unsigned char raw[64];
    if (job && enc && strcmp(enc, "base64") == 0 && strlen(job) < 80 &&
        strcmp(json_string_value(json_object_get(d, "schema")), "scanfarm.dlq/v1") == 0) {
        int n = EVP_DecodeBlock(raw, (const unsigned char *)job, (int)strlen(job));
        /* EVP_DecodeBlock counts the padding's zero bytes too. */
        int pad = (int)(strlen(job) >= 2 && job[strlen(job) - 1] == '=') +
                  (int)(strlen(job) >= 2 && job[strlen(job) - 2] == '=');
        s->dlq += n - pad == (int)sizeof poison && memcmp(raw, poison, sizeof poison) == 0;
    }
    json_decref(d);
}

static void test_worker_bad_jobs__errors_published_poison_to_dlq(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    char list[200];
    wt_image im;
    snprintf(list, sizeof list, "/tmp/sf-bad-jobs-%d.json", (int)getpid());
    int nimg = wt_corpus_images(sf_t_registry(), list, &im, 1);
    unlink(list);
    assert_int_equal(nimg, 1);
    assert_int_equal(start_hostile(digests[TRICKLE]), 0);
    produce_jobs(&im);
    pid_t w = spawn_worker();
    assert_true(w > 0);

    sf_kcons *rr = wt_results_reader(S.name, S.results, 64);
    char dg[128];
    snprintf(dg, sizeof dg, "%s.dlqreader", S.name);
    sf_kcons *dr = NULL;
    sf_kcons_opts dro = {.brokers = sf_t_kafka(), .group = dg, .topic = S.dlq};
    assert_non_null(rr);
    assert_int_equal(sf_kcons_new(&dr, &dro, NULL), SF_OK);
    seen s = {{0}, 0, 0};
    int64_t off = -1;
    uint64_t t0 = t_now_ms();
    int alive = 1;
    while (t_now_ms() - t0 < 120000) {
        sf_kmsg *m = NULL;
        if (sf_kcons_poll(rr, 100, &m, NULL) == SF_OK && m) {
            on_result(&s, m);
            sf_kcons_done(rr, m);
        }
        if (sf_kcons_poll(dr, 100, &m, NULL) == SF_OK && m) {
            on_dlq(&s, m);
            sf_kcons_done(dr, m);
        }
        int st = 0;
        if (waitpid(w, &st, WNOHANG) == w) {
            wt_untrack(w);
            alive = 0;
            fprintf(stderr, "worker died: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
                    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            break;
        }
        if (s.ok && s.dlq && s.errors[1] && s.errors[2] && s.errors[3] && s.errors[TRICKLE] &&
            (off = wt_committed(group, S.jobs)) >= NJOBS)
            break;
    }
    if (!alive || off < NJOBS)
        wt_tail(logp, 40);
    fprintf(stderr, "after %llu ms: ok=%d dlq=%d errors=%d/%d/%d/%d committed=%lld\n",
            (unsigned long long)(t_now_ms() - t0), s.ok, s.dlq, s.errors[1], s.errors[2],
            s.errors[3], s.errors[TRICKLE], (long long)off);
    sf_kcons_close(rr);
    sf_kcons_close(dr);
    assert_true(alive);
    assert_int_equal(s.dlq, 1);
    assert_int_equal(s.errors[1], 1);
    assert_int_equal(s.errors[2], 1);
    assert_int_equal(s.errors[3], 1);
    assert_int_equal(s.errors[TRICKLE], 1);
    assert_int_equal(s.ok, 1);
    assert_true(off >= NJOBS);
    int st = wt_stop(w, 20);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_worker_bad_jobs__errors_published_poison_to_dlq,
                                        setup, sf_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
