/*
 * What a scanfarm-worker takes from Redis (issue 12, items 7 and 8), on
 * the real stack with one worker process of this test:
 *
 *  - claimed diff_id: an image whose layer is a new blob (Alpine 3.12.12)
 *    but whose config names the diff_id of the already cached Alpine
 *    3.10.3 base layer. The worker must fetch and analyse that blob (layer
 *    cache "miss"), which reveals the mismatch; it must never report the
 *    cached layer's packages for it.
 *  - poisoned inventory: an empty inventory written straight into Redis
 *    under the 3.10.3 base layer's key (no MAC, as anyone who can write
 *    Redis but has no farm secret would). The worker must analyse the
 *    layer again, report its 14 true packages, count the MAC failure in
 *    scanfarm_cache_mac_failures_total, and rewrite a sealed entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "analyze/analyzer.h"
#include "base/limits.h"
#include "worker_helpers.h"

static sf_t_scratch S; /* name, folder, topics of the running test; one cleanup */
static char group[96];
static int metrics_port;
static char claim_digest[SF_DIGEST_MAX], claim_repo[128];

static int teardown(void **state)
{
    (void)state;
    sf_t_scratch_close(&S);
    if (claim_digest[0]) { /* best effort: keep the shared registry's catalog small */
        char cmd[512];
        snprintf(cmd, sizeof cmd, "curl -s -o /dev/null -X DELETE http://%s/v2/%s/manifests/%s",
                 sf_t_registry(), claim_repo, claim_digest);
        (void)!system(cmd);
    }
    return 0;
}

static pid_t spawn_worker(void)
{
    char port[16], logp[200];
    snprintf(port, sizeof port, "%d", metrics_port);
    snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
    /* The farm secret reaches the worker the way a deployment gives it. */
    setenv("SCANFARM_CACHE_SECRET", T_CACHE_SECRET, 1);
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                    "--redis", (char *)sf_t_redis(), "--key-prefix", S.name, "--group", group,
                    "--jobs-topic", S.jobs, "--results-topic", S.results,
                    "--dlq-topic", S.dlq, "--metrics-port", port, "--metrics-addr",
                    "127.0.0.1", "--concurrency", "1", "--insecure-registry",
                    (char *)sf_t_registry(), "--session-timeout-ms", "6000", NULL};
    return wt_spawn(argv, logp);
}

static void produce(const char *run, const char *repo, const char *digest, const char *ref)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    if (!S.topics_made)
        assert_int_equal(sf_t_scratch_topics(&S, 1), 0);
    assert_int_equal(wt_produce_job(p, S.jobs, run, sf_t_registry(), repo, digest, ref, &e),
                     SF_OK);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);
}

/* The result of run for digest (caller decrefs), failing after 90 s. */
static json_t *result_of(const char *run, const char *digest)
{
    sf_kcons *rr = wt_results_reader(run, S.results, 100);
    assert_non_null(rr);
    json_t *got = NULL;
    uint64_t t0 = t_now_ms();
    while (!got && t_now_ms() - t0 < 90000) {
        json_t *r = wt_poll_result(rr, run);
        if (r && strcmp(json_string_value(json_object_get(r, "digest")), digest) == 0)
            got = json_incref(r);
        json_decref(r);
    }
    sf_kcons_close(rr);
    if (!got) {
        char logp[200];
        snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
        wt_tail(logp, 40);
    }
    assert_non_null(got);
    return got;
}

static const char *layer_cache(json_t *r)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(r, "layers"), 0),
                                             "cache"));
}

/* 1 when the result lists package name at version. */
static int has_pkg(json_t *r, const char *name, const char *version)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(r, "packages"), i, p) {
        if (strcmp(json_string_value(json_object_get(p, "name")), name) == 0 &&
            strcmp(json_string_value(json_object_get(p, "version")), version) == 0)
            return 1;
    }
    return 0;
}

static double mac_failures(const char *kind)
{
    static char page[1 << 18];
    char label[64];
    snprintf(label, sizeof label, "kind=\"%s\"", kind);
    assert_int_equal(wt_http_get(metrics_port, "/metrics", page, sizeof page), 0);
    return wt_metric(page, "scanfarm_cache_mac_failures_total", label);
}

/* Push an image with tests/fixtures/claim_image.py and the arguments
 * args to <tag>/claim:claim; its digest goes to claim_digest. */
static void push_image(const char *args)
{
    char cmd[1200], out[200];
    snprintf(out, sizeof out, "%s/claim.json", S.dir);
    snprintf(claim_repo, sizeof claim_repo, "%s/claim", S.name);
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/claim_image.py --registry http://%s --repo %s %s > %s",
             getenv("SF_SRC"), sf_t_registry(), claim_repo, args, out);
    assert_int_equal(system(cmd), 0);
    json_error_t je;
    json_t *doc = json_load_file(out, 0, &je);
    assert_non_null(doc);
    snprintf(claim_digest, sizeof claim_digest, "%s",
             json_string_value(json_object_get(doc, "digest")));
    json_decref(doc);
}

/* Push the claim image: Alpine 3.12.12's blob under 3.10.3's diff_id. */
static void push_claim(const char *diff_id)
{
    char args[600];
    snprintf(args, sizeof args, "--layer %s --diff-id %s",
             sf_t_corpus("images/alpine/alpine-minirootfs-3.12.12-x86_64.tar.gz"), diff_id);
    push_image(args);
}

/* Names, topics and scratch folder of one test; 0 when the stack is there. */
static int begin(const char *what)
{
    char t[32];
    sf_t_need(SF_T_STACK);
    assert_int_equal(access(wt_bin("scanfarm-worker"), X_OK), 0);
    claim_digest[0] = '\0';
    snprintf(t, sizeof t, "wtrust-%s", what);
    assert_int_equal(sf_t_scratch_open(&S, t), 0);
    snprintf(group, sizeof group, "%s.workers", S.name);
    metrics_port = t_port(0);
    return 0;
}

static void test_worker_cache_trust__claimed_diff_id_and_poisoned_inventory(void **state)
{
    (void)state;
    assert_false(begin("claim") != 0);
    char list[200];
    snprintf(list, sizeof list, "%s/images.json", S.dir);
    wt_image ims[64];
    int n = wt_corpus_images(sf_t_registry(), list, ims, 64);
    wt_image *base = NULL;
    for (int i = 0; i < n && !base; i++)
        if (strstr(ims[i].ref, "corpus/alpine:3.10.3"))
            base = &ims[i];
    assert_non_null(base);
    /* The base layer: its blob digest and its true diff_id. */
    t_layer bl = {.rel = "images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz"};
    assert_int_equal(t_layer_load(&bl), SF_OK);
    pid_t w = spawn_worker();
    assert_true(w > 0);

    /* 1. The base image, cached by this worker: 14 packages. */
    produce("run-1", base->repo, base->digest, base->ref);
    json_t *r1 = result_of("run-1", base->digest);
    assert_true(json_is_null(json_object_get(r1, "error")));
    assert_int_equal(json_array_size(json_object_get(r1, "packages")), 14);
    assert_true(has_pkg(r1, "musl", "1.1.22-r3"));
    const char *diff_id = json_string_value(
        json_object_get(json_array_get(json_object_get(r1, "layers"), 0), "diff_id"));
    assert_non_null(diff_id);

    /* 2. A new blob claiming the base layer's diff_id: fetched, analysed,
     *    and the mismatch reported; never the base layer's packages. */
    push_claim(diff_id);
    char ref[300];
    snprintf(ref, sizeof ref, "%s/%s:claim", sf_t_registry(), claim_repo);
    produce("run-2", claim_repo, claim_digest, ref);
    json_t *r2 = result_of("run-2", claim_digest);
    assert_string_equal(layer_cache(r2), "miss");
    json_t *err = json_object_get(r2, "error");
    assert_true(json_is_object(err));
    assert_string_equal(json_string_value(json_object_get(err, "code")), "digest");
    assert_false(has_pkg(r2, "musl", "1.1.22-r3"));
    assert_int_equal(json_array_size(json_object_get(r2, "packages")), 0);

    /* 3. Poison: an empty, unsealed inventory under the base layer's key
     *    (and no image shortcut entry that would answer the job first). */
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    char key[SF_KEY_MAX], ikey[SF_KEY_MAX];
    assert_int_equal(sf_keys_layer(key, S.name, bl.digest, sf_analyzers_version(), &e), SF_OK);
    assert_int_equal(sf_keys_image(ikey, S.name, base->digest, &e), SF_OK);
    sf_inventory *empty = NULL;
    assert_int_equal(sf_inventory_new(&empty), SF_OK);
    empty->analyzer_version = sf_strdup(sf_analyzers_version());
    sf_buf v;
    sf_buf_init(&v, 0);
    assert_int_equal(sf_inventory_encode(empty, &v), SF_OK);
    assert_int_equal(sf_kv_set(kv, bl.digest, key, v.data, v.len, 600000, &e), SF_OK);
    assert_int_equal(sf_kv_del(kv, base->digest, ikey, &e), SF_OK);
    double before = mac_failures("layer");
    produce("run-3", base->repo, base->digest, base->ref);
    json_t *r3 = result_of("run-3", base->digest);
    assert_true(json_is_null(json_object_get(r3, "error")));
    assert_string_equal(layer_cache(r3), "miss");
    assert_int_equal(json_array_size(json_object_get(r3, "packages")), 14);
    assert_true(has_pkg(r3, "musl", "1.1.22-r3"));
    assert_true(mac_failures("layer") - before == 1.0);
    /* The worker rewrote the entry, sealed with the farm secret. */
    int found = 0;
    sf_buf_reset(&v);
    assert_int_equal(sf_kv_get(kv, bl.digest, key, &v, &found, &e), SF_OK);
    assert_true(found);
    const void *pl = NULL;
    size_t pn = 0;
    assert_int_equal(sf_cmac_open(t_cmac(), key, sf_analyzers_version(), v.data, v.len, &pl, &pn),
                     SF_OK);

    sf_buf_free(&v);
    sf_inventory_free(empty);
    sf_kv_free(kv);
    json_decref(r1);
    json_decref(r2);
    json_decref(r3);
    free(bl.data);
    assert_int_equal(wt_stop(w, 30), 0);
}

/* Issue 12 item 9 in the worker: a layer whose apk database lists
 * 100,000 packages keeps the worker's peak RSS (VmHWM) under 128 MiB, and
 * the result says the package cap was reached. */
static void test_worker_cache_trust__huge_apk_db_rss_bounded(void **state)
{
    (void)state;
    assert_false(begin("apk") != 0);
    push_image("--apk-packages 100000");
    pid_t w = spawn_worker();
    assert_true(w > 0);
    char ref[300];
    snprintf(ref, sizeof ref, "%s/%s:claim", sf_t_registry(), claim_repo);
    produce("run-apk", claim_repo, claim_digest, ref);
    json_t *r = result_of("run-apk", claim_digest);
    long hwm = wt_status_kib(w, "VmHWM");
    fprintf(stderr, "worker peak RSS %ld KiB\n", hwm);
    assert_true(json_is_null(json_object_get(r, "error")));
    assert_int_equal(json_array_size(json_object_get(r, "packages")), SF_LIM_INV_PACKAGES);
    const char *note = json_string_value(
        json_object_get(json_array_get(json_object_get(r, "notes"), 0), "note"));
    assert_non_null(note);
    assert_non_null(strstr(note, "80000 more not read"));
    assert_true(hwm > 0);
#if !defined(__SANITIZE_ADDRESS__) /* ASan's shadow and quarantine are no RSS to bound */
    assert_true(hwm < 128 * 1024);
#endif
    json_decref(r);
    assert_int_equal(wt_stop(w, 30), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_cache_trust__claimed_diff_id_and_poisoned_inventory,
                                  teardown),
        cmocka_unit_test_teardown(test_worker_cache_trust__huge_apk_db_rss_bounded, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
