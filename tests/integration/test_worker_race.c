/*
 * Fleet race: 16 scanfarm-worker PROCESSES (2 scan threads each) in one
 * consumer group over a fresh jobs topic, 200 images built on 5 shared
 * single-layer bases (bench/fleet.py: 40 repositories x 5 tags over the
 * corpus Alpine 3.10/3.12/3.18/3.20 and Debian bookworm-slim images pushed
 * by tests/fixtures/push-corpus, each repository with its own dependency
 * layer and each tag its own code layer). The Redis key prefix is new, so
 * every layer is cold; the workers are all in the group (two partitions
 * each) before the 200 jobs are produced, so 32 scans start at once and
 * race for the same base layers.
 *
 * What must hold, summed over the 16 workers' /metrics:
 *   scanfarm_layers_analysed_total == the fleet's unique layers (from the
 *   generator's truth, not from scanfarm), none failed, no lock takeover;
 *   misses == unique layers, the rest hits or waits, and some waits (the
 *   race really happened); every image's result arrived without error,
 *   with the layers the generator put in it, and the layers marked "miss"
 *   in the results add up to the unique layers too. Every worker scanned
 *   something and exits 0 on SIGTERM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "worker_helpers.h"

#define NWORKERS 16
#define CONCURRENCY "2"
#define JOB_PARTITIONS 32 /* two per worker: each worker's two threads get work */
#define NREPOS "40"
#define NTAGS "5"
#define NBASES 5

static sf_t_scratch S; /* name (key prefix too), folder, topics; one cleanup */
static char group[128], truth_path[256];

typedef struct rimage {
    wt_image img; /* digest, repo and first ref, from the truth document */
    size_t nlayers;
    int got; /* results received (>1: redelivered) */
} rimage;

static int teardown(void **state)
{
    (void)state;
    sf_t_scratch_close(&S); /* the truth file and worker logs are in its folder */
    return 0;
}

/* Push the corpus bases, then the fleet; the truth file lists each image's
 * digest, refs and layer digests. */
static json_t *push_fleet(void)
{
    const char *src = getenv("SF_SRC") ? getenv("SF_SRC") : ".";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/fixtures/push-corpus --quiet >/dev/null", src);
    if (system(cmd) != 0)
        return NULL;
    /* The fleet is a function of the seed: reruns find every blob in place. */
    snprintf(cmd, sizeof cmd,
             "python3 %s/bench/fleet.py --registry http://%s --prefix hfleet-race/s7 "
             "--repos " NREPOS " --tags " NTAGS " --share 0 --multiarch 0 --bases %d --app-kb 4 "
             "--seed 7 --no-reference --threads 4 --truth %s",
             src, sf_t_registry(), NBASES, truth_path);
    if (system(cmd) != 0)
        return NULL;
    json_error_t je;
    return json_load_file(truth_path, 0, &je);
}

static rimage *find_image(rimage *im, size_t n, const char *digest)
{
    for (size_t k = 0; k < n; k++)
        if (strcmp(im[k].img.digest, digest) == 0)
            return &im[k];
    return NULL;
}

/* Read the results topic until every image has a result; count the
 * layers the results mark as analysed here ("miss"). */
static int collect(rimage *im, size_t n, int timeout_s, long *misses, int *dups)
{
    sf_kcons *rr = wt_results_reader(S.name, S.results, 100000);
    assert_non_null(rr);
    uint64_t t0 = t_now_ms();
    size_t have = 0;
    while (have < n && t_now_ms() - t0 < (uint64_t)timeout_s * 1000) {
        json_t *r = wt_poll_result(rr, S.name);
        if (!r)
            continue;
        rimage *x = find_image(im, n, json_string_value(json_object_get(r, "digest")));
        if (x) {
            json_t *err = json_object_get(r, "error");
            if (err && !json_is_null(err)) {
                char *s = json_dumps(err, 0);
                fprintf(stderr, "race: %s: error %s\n", x->img.ref, s);
                free(s);
                fail();
            }
            json_t *layers = json_object_get(r, "layers"), *l;
            size_t i;
            assert_int_equal(json_array_size(layers), x->nlayers);
            if (x->got++ == 0) {
                have++;
                json_array_foreach(layers, i, l) {
                    const char *c = json_string_value(json_object_get(l, "cache"));
                    *misses += c && strcmp(c, "miss") == 0;
                }
            } else {
                (*dups)++;
            }
        }
        json_decref(r);
    }
    sf_kcons_close(rr);
    return have == n ? 0 : -1;
}

static void test_worker_race__sixteen_processes_one_analysis_per_layer(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS | SF_T_KAFKA | SF_T_REGISTRY);
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0);
    uint64_t t_start = t_now_ms();
    assert_int_equal(sf_t_scratch_open(&S, "hfleet-race"), 0);
    snprintf(group, sizeof group, "%s.workers", S.name);
    snprintf(truth_path, sizeof truth_path, "%s/truth.json", S.dir);

    /* The fleet and its shape, from the generator. */
    json_t *truth = push_fleet();
    assert_non_null(truth);
    json_t *images = json_object_get(truth, "images");
    size_t n = json_object_size(images);
    assert_int_equal(n, 200);
    rimage *im = calloc(n, sizeof *im);
    json_t *uniq = json_object(), *bases = json_object(), *rec;
    const char *dg;
    size_t k = 0, refs_total = 0;
    json_object_foreach(images, dg, rec) {
        json_t *layers = json_object_get(rec, "layers");
        const char *ref = json_string_value(json_array_get(json_object_get(rec, "refs"), 0));
        assert_non_null(ref);
        assert_true(strlen(dg) < sizeof im[k].img.digest && strlen(ref) < sizeof im[k].img.ref);
        snprintf(im[k].img.digest, sizeof im[k].img.digest, "%s", dg);
        snprintf(im[k].img.ref, sizeof im[k].img.ref, "%s", ref);
        /* "<registry>/<repo>:<tag>" -> repo */
        const char *slash = strchr(ref, '/'), *colon = strrchr(ref, ':');
        assert_true(slash && colon > slash);
        snprintf(im[k].img.repo, sizeof im[k].img.repo, "%.*s", (int)(colon - slash - 1), slash + 1);
        im[k].nlayers = json_array_size(layers);
        refs_total += im[k].nlayers;
        size_t i;
        json_t *l;
        json_array_foreach(layers, i, l) json_object_set(uniq, json_string_value(l), json_true());
        json_object_set(bases, json_string_value(json_array_get(layers, 0)), json_true());
        k++;
    }
    size_t nuniq = json_object_size(uniq);
    assert_int_equal(json_object_size(bases), NBASES);
    fprintf(stderr, "race: %zu images, %zu layer references, %zu unique layers (%d bases)\n", n,
            refs_total, nuniq, NBASES);

    /* Topics, then the 16 workers, then the jobs. */
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    S.topics_made = 1;
    assert_int_equal(sf_kprod_create_topic(p, S.jobs, JOB_PARTITIONS, 1, 15000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, S.results, 4, 1, 15000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, S.dlq, 1, 1, 15000, &e), SF_OK);
    sf_kprod_free(p);
    int ports[NWORKERS];
    pid_t w[NWORKERS];
    for (int i = 0; i < NWORKERS; i++) {
        ports[i] = t_port(i);
        w[i] = wt_spawn_fleet_worker(&S, group, sf_t_redis(), 0, i, ports[i], CONCURRENCY);
    }
    uint64_t t_spawned = t_now_ms();
    if (wt_wait_fleet_settled(&S, w, ports, NWORKERS, JOB_PARTITIONS, 240) != 0) {
        for (int i = 0; i < NWORKERS; i++)
            fprintf(stderr, "worker %d holds %d partitions\n", i, wt_fleet_assigned(&S, i));
        fail_msg("the 16 workers did not settle into one group generation");
    }
    uint64_t t_jobs = t_now_ms();
    wt_image *jobs = calloc(n, sizeof *jobs); /* the images as a plain list, to queue */
    assert_non_null(jobs);
    for (size_t j = 0; j < n; j++)
        jobs[j] = im[j].img;
    sf_error pe = SF_ERROR_INIT;
    assert_int_equal(wt_produce_images(&S, jobs, n, &pe), SF_OK);
    free(jobs);
    long misses = 0;
    int dups = 0;
    if (collect(im, n, 300, &misses, &dups) != 0) {
        char logp[400];
        snprintf(logp, sizeof logp, "%s/worker-0.log", S.dir);
        wt_tail(logp, 30);
        fail_msg("not every image got its result");
    }
    uint64_t t_done = t_now_ms();

    /* Fleet-wide metrics: the sum over the 16 workers. */
    double analysed = 0, failed = 0, hit = 0, miss = 0, wait = 0, uncached = 0, takeovers = 0;
    int idle = 0;
    static char page[1 << 20];
    for (int i = 0; i < NWORKERS; i++) {
        assert_int_equal(wt_http_get(ports[i], "/metrics", page, sizeof page), 0);
        analysed += wt_metric(page, "scanfarm_layers_analysed_total", NULL);
        failed += wt_metric(page, "scanfarm_layers_analysed_total", "outcome=\"error\"");
        hit += wt_metric(page, "scanfarm_cache_layer_lookups_total", "result=\"hit\"");
        miss += wt_metric(page, "scanfarm_cache_layer_lookups_total", "result=\"miss\"");
        wait += wt_metric(page, "scanfarm_cache_layer_lookups_total", "result=\"wait\"");
        uncached += wt_metric(page, "scanfarm_cache_layer_lookups_total", "result=\"uncached\"");
        takeovers += wt_metric(page, "scanfarm_cache_lock_takeovers_total", NULL);
        idle += wt_metric(page, "scanfarm_jobs_total", "outcome=\"ok\"") == 0;
    }
    fprintf(stderr,
            "race: %d workers x " CONCURRENCY " threads: %.0f analyses for %zu unique layers "
            "(%.2f per layer); lookups hit %.0f miss %.0f wait %.0f uncached %.0f; takeovers "
            "%.0f; result layers marked miss %ld; %d redelivered results\n",
            NWORKERS, analysed, nuniq, analysed / (double)nuniq, hit, miss, wait, uncached,
            takeovers, misses, dups);
    fprintf(stderr, "race: wall %.1f s (fleet push %.1f s, group settle %.1f s, scan %.1f s)\n",
            (double)(t_done - t_start) / 1000, (double)(t_spawned - t_start) / 1000,
            (double)(t_jobs - t_spawned) / 1000, (double)(t_done - t_jobs) / 1000);
    assert_true(analysed == (double)nuniq);
    assert_true(failed == 0);
    assert_true(miss == (double)nuniq);
    assert_true(uncached == 0);
    assert_true(takeovers == 0);
    assert_true(hit + miss + wait >= (double)refs_total);
    assert_true(wait > 0); /* the workers really raced for layers */
    assert_int_equal(misses, (long)nuniq);
    assert_int_equal(idle, 0);

    int st = 0, bad = wt_stop_fleet(&S, w, NWORKERS, 60, &st);
    if (bad >= 0)
        fail_msg("worker %d did not exit cleanly on SIGTERM (status %d)", bad, st);
    json_decref(uniq);
    json_decref(bases);
    json_decref(truth);
    free(im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_race__sixteen_processes_one_analysis_per_layer,
                                  teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
