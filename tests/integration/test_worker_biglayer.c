/*
 * Memory bound: one scanfarm-worker process scans, through Kafka, an
 * image whose single layer blob is over 1 GiB (tests/fixtures/biglayer.py:
 * 1 GiB of random bytes in one file, then the corpus Alpine 3.20.3
 * minirootfs, gzip-framed), so the download, the digest check, the inflate
 * and the tar walk each move the whole gigabyte. The result must arrive
 * without error and list the rootfs's packages (found only after the
 * gigabyte), the worker must count >= 1 GiB of decompressed bytes, and its
 * peak RSS (VmHWM, read while it is still alive) must stay far below the
 * layer: under WT_RSS_BOUND_MIB.
 *
 * The image goes to a docker-registry of the test's own with storage in a
 * temp dir: the shared registry can only unlink a deleted blob from the
 * repository, its gigabyte would stay on disk until an offline garbage
 * collection. The generator streams (nothing on disk on its side); the
 * registry's copy is removed with the temp dir.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "worker_helpers.h"

/* An eighth of the layer. Measured: ~19 MiB peak in a normal build, ~32
 * MiB under AddressSanitizer (the same with its default 256 MiB quarantine:
 * the layer path streams through fixed buffers, it does not churn the
 * heap). Buffering the layer, or even one 128 MiB file of it, fails. */
#define WT_RSS_BOUND_MIB 128

static sf_t_scratch S; /* name, folder, topics; one cleanup */
static char group[128];

static int teardown(void **state)
{
    (void)state;
    sf_t_scratch_close(&S); /* the worker and the registry, when an assertion left them */
    return 0;
}

static json_t *push_image(const char *registry)
{
    const char *src = getenv("SF_SRC") ? getenv("SF_SRC") : ".";
    char cmd[1024], out[400];
    snprintf(out, sizeof out, "%s/push.json", S.dir);
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/biglayer.py --registry http://%s --repo hfleet/big "
             "--size %llu > %s",
             src, registry, 1ULL << 30, out);
    if (system(cmd) != 0)
        return NULL;
    json_error_t je;
    return json_load_file(out, 0, &je);
}

static void produce_job(const char *registry, const char *repo, const char *digest)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    char ref[300];
    snprintf(ref, sizeof ref, "%s/%s:big", registry, repo);
    assert_int_equal(wt_produce_job(p, S.jobs, S.name, registry, repo, digest, ref, &e), SF_OK);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);
}

/* The first result of our run for digest, or NULL after timeout_s. While
 * waiting, the worker must stay alive. */
static json_t *wait_result(const char *digest, pid_t worker, int timeout_s)
{
    sf_kcons *rr = wt_results_reader(S.name, S.results, 1000);
    assert_non_null(rr);
    json_t *got = NULL;
    uint64_t t0 = t_now_ms();
    while (!got && t_now_ms() - t0 < (uint64_t)timeout_s * 1000) {
        if (waitpid(worker, NULL, WNOHANG) == worker) {
            wt_untrack(worker);
            break;
        }
        json_t *r = wt_poll_result(rr, S.name);
        if (r && strcmp(json_string_value(json_object_get(r, "digest")), digest) == 0)
            got = json_incref(r);
        json_decref(r);
    }
    sf_kcons_close(rr);
    return got;
}

static void test_worker_biglayer__rss_bounded_over_1gib_layer(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS | SF_T_KAFKA);
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0 || access("/usr/bin/docker-registry", X_OK) != 0);
    uint64_t t_start = t_now_ms();
    assert_int_equal(sf_t_scratch_open(&S, "hfleet-big"), 0);
    snprintf(group, sizeof group, "%s.workers", S.name);

    int rport = t_port(0);
    char registry[64];
    snprintf(registry, sizeof registry, "127.0.0.1:%d", rport);
    pid_t reg = wt_registry_start(S.dir, rport);
    assert_true(reg > 0);
    json_t *pushed = push_image(registry);
    assert_non_null(pushed);
    uint64_t t_pushed = t_now_ms();
    const char *digest = json_string_value(json_object_get(pushed, "digest"));
    json_int_t blob = json_integer_value(json_object_get(pushed, "blob_bytes"));
    json_int_t tarb = json_integer_value(json_object_get(pushed, "tar_bytes"));
    json_t *want = json_object_get(pushed, "packages");
    assert_non_null(digest);
    assert_true(blob >= (json_int_t)1 << 30);
    assert_true(json_array_size(want) > 0);

    assert_int_equal(sf_t_scratch_topics(&S, 1), 0);
    produce_job(registry, "hfleet/big", digest);

    int mport = t_port(1);
    char sport[16], logp[400];
    snprintf(sport, sizeof sport, "%d", mport);
    snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                    "--redis", (char *)sf_t_redis(), "--key-prefix", S.name, "--group", group, "--jobs-topic",
                    S.jobs, "--results-topic", S.results, "--dlq-topic", S.dlq,
                    "--metrics-port", sport, "--metrics-addr", "127.0.0.1", "--concurrency", "1",
                    "--insecure-registry", registry, "--log-level", "info", NULL};
    pid_t w = wt_spawn(argv, logp);
    json_t *r = wait_result(digest, w, 600);
    uint64_t t_done = t_now_ms();
    long hwm = wt_status_kib(w, "VmHWM"), rss = wt_status_kib(w, "VmRSS");
    if (!r) {
        wt_tail(logp, 30);
        fail_msg("no result for the 1 GiB layer image");
    }
    static char page[1 << 20];
    assert_int_equal(wt_http_get(mport, "/metrics", page, sizeof page), 0);
    double analysed = wt_metric(page, "scanfarm_layer_bytes_analysed_total", NULL);
    fprintf(stderr,
            "biglayer: blob %.1f MiB (tar %.1f MiB), worker decompressed %.1f MiB; peak RSS "
            "(VmHWM) %.1f MiB, RSS now %.1f MiB, bound %d MiB\n",
            (double)blob / 1048576, (double)tarb / 1048576, analysed / 1048576,
            (double)hwm / 1024, (double)rss / 1024, WT_RSS_BOUND_MIB);
    fprintf(stderr, "biglayer: wall %.1f s (generate+push %.1f s, scan %.1f s)\n",
            (double)(t_done - t_start) / 1000, (double)(t_pushed - t_start) / 1000,
            (double)(t_done - t_pushed) / 1000);

    json_t *err = json_object_get(r, "error");
    if (err && !json_is_null(err)) {
        char *s = json_dumps(err, 0);
        fail_msg("the 1 GiB layer was not scanned: %s", s);
    }
    assert_string_equal(json_string_value(json_object_get(json_object_get(r, "os"), "id")),
                        "alpine");
    /* Every package of the rootfs, which follows the gigabyte in the tar. */
    json_t *pkgs = json_object_get(r, "packages"), *x, *pk;
    size_t i, j;
    json_array_foreach(want, i, x) {
        int found = 0;
        json_array_foreach(pkgs, j, pk) found |=
            json_equal(json_object_get(pk, "name"), x);
        if (!found)
            fail_msg("package %s missing from the result", json_string_value(x));
    }
    assert_int_equal(json_array_size(pkgs), json_array_size(want));
    assert_true(analysed >= (double)tarb);
    assert_true(hwm > 0 && hwm < WT_RSS_BOUND_MIB * 1024L);

    int st = wt_stop(w, 60);
    if (!(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        wt_tail(logp, 30);
        fail_msg("worker did not exit cleanly (status %d)", st);
    }
    wt_stop(reg, 10);
    json_decref(r);
    json_decref(pushed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_biglayer__rss_bounded_over_1gib_layer, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
