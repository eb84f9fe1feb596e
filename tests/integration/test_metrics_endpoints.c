/*
 * The metrics endpoints on the real stack (private topics and key prefix):
 *   - a worker with a DB answers the same job twice; the second answer is
 *     the whole-image shortcut, and scanfarm_results_total counts both
 *     results (it counted only the scanned one); scanfarm_build_info and
 *     scanfarm_db_age_seconds are exposed; bucket labels read as written;
 *   - the coordinator with --metrics-port serves /healthz and, after a run
 *     over the stack's registry, scanfarm_coordinator_runs_total and the
 *     jobs it published;
 *   - `scanfarm aggregate --metrics-addr 127.0.0.1` serves /healthz there.
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
#include <sys/wait.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "cache_helpers.h"
#include "worker_helpers.h"

static char tag[64], jobs_t[96], res_t[96], dlq_t[96], db[160], page[1 << 17];

/* Poll port's /metrics until metric name (with label, may be NULL) is >= want. */
static double wait_metric(int port, const char *name, const char *label, double want, int secs)
{
    double v = 0;
    for (int i = 0; i < secs * 10; i++) {
        if (wt_http_get(port, "/metrics", page, sizeof page) == 0 &&
            (v = wt_metric(page, name, label)) >= want)
            return v;
        wt_sleep_ms(100);
    }
    return v;
}

static void test_metrics__worker_counts_cached_results(void **state)
{
    (void)state;
    if (!t_redis_up(sf_t_redis()))
        skip();
    wt_image ims[64];
    char list[160], cmd[600];
    snprintf(list, sizeof list, "/tmp/%s.images.json", tag);
    int n = wt_corpus_images(sf_t_registry(), list, ims, 64);
    assert_true(n > 0);
    const wt_image *im = NULL;
    for (int i = 0; i < n && !im; i++)
        if (strcmp(ims[i].repo, "corpus/alpine") == 0)
            im = &ims[i];
    assert_non_null(im);
    snprintf(cmd, sizeof cmd, "%s db import --quiet --out %s %s/vulndb/alpine-vuln-list-subset",
             wt_bin("scanfarm"), db, getenv("SF_CORPUS"));
    assert_int_equal(system(cmd), 0);
    sf_kprod *p = NULL;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, jobs_t, 1, 1, 10000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, res_t, 1, 1, 10000, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, dlq_t, 1, 1, 10000, &e), SF_OK);
    int port = t_port(1);
    char ports[16], group[120], log[160];
    snprintf(ports, sizeof ports, "%d", port);
    snprintf(group, sizeof group, "%s.workers", tag);
    snprintf(log, sizeof log, "/tmp/%s.worker.log", tag);
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(), "--redis",
                    (char *)sf_t_redis(), "--key-prefix", tag, "--group", group, "--jobs-topic",
                    jobs_t, "--results-topic", res_t, "--dlq-topic", dlq_t, "--db", db,
                    "--metrics-port", ports, "--metrics-addr", "127.0.0.1", "--concurrency", "1",
                    "--insecure-registry", (char *)sf_t_registry(), NULL};
    pid_t w = wt_spawn(argv, log);
    /* one job, then the same job again once the first is answered */
    assert_int_equal(wt_produce_job(p, jobs_t, "m-run-1", sf_t_registry(), im->repo, im->digest,
                                    im->ref, &e), SF_OK);
    assert_int_equal(sf_kprod_flush(p, 10000, &e), SF_OK);
    assert_true(wait_metric(port, "scanfarm_results_total", NULL, 1, 120) >= 1);
    assert_int_equal(wt_produce_job(p, jobs_t, "m-run-2", sf_t_registry(), im->repo, im->digest,
                                    im->ref, &e), SF_OK);
    assert_int_equal(sf_kprod_flush(p, 10000, &e), SF_OK);
    assert_true(wait_metric(port, "scanfarm_jobs_total", "outcome=\"shortcut\"", 1, 60) >= 1);
    assert_int_equal(wt_http_get(port, "/metrics", page, sizeof page), 0);
    assert_true(wt_metric(page, "scanfarm_results_total", "error=\"none\"") == 2);
    assert_non_null(strstr(page, "scanfarm_build_info{program=\"scanfarm-worker\",version=\""));
    double age = wt_metric(page, "scanfarm_db_age_seconds", NULL);
    assert_true(age >= 0 && age < 3600);
    assert_non_null(strstr(page, "le=\"0.005\""));
    assert_null(strstr(page, "le=\"0.0050000"));
    assert_true(WIFEXITED(wt_stop(w, 30)));
    sf_kprod_free(p);
    unlink(log);
    unlink(list);
}

static void test_metrics__coordinator_and_aggregator_endpoints(void **state)
{
    (void)state;
    if (!t_redis_up(sf_t_redis()))
        skip();
    int cport = t_port(2), aport = t_port(3);
    char cps[16], aps[16], reg[200], log[160], alog[160], group[120];
    snprintf(cps, sizeof cps, "%d", cport);
    snprintf(aps, sizeof aps, "%d", aport);
    snprintf(reg, sizeof reg, "http://%s", sf_t_registry());
    snprintf(log, sizeof log, "/tmp/%s.coord.log", tag);
    snprintf(alog, sizeof alog, "/tmp/%s.agg.log", tag);
    snprintf(group, sizeof group, "%s.agg", tag);
    char *cargv[] = {(char *)wt_bin("scanfarm-coordinator"), "--registry", reg, "--kafka",
                     (char *)sf_t_kafka(), "--topic", jobs_t, "--interval", "1h",
                     "--metrics-port", cps, "--metrics-addr", "127.0.0.1", "--progress", "never",
                     NULL};
    pid_t c = wt_spawn(cargv, log);
    assert_true(wait_metric(cport, "scanfarm_coordinator_runs_total", NULL, 1, 120) >= 1);
    assert_true(wt_metric(page, "scanfarm_coordinator_jobs_published_total", NULL) > 0);
    assert_non_null(strstr(page, "scanfarm_build_info{program=\"scanfarm-coordinator\""));
    assert_int_equal(wt_http_get(cport, "/healthz", page, sizeof page), 0);
    assert_non_null(strstr(page, "200 OK"));
    assert_true(WIFEXITED(wt_stop(c, 30)));
    char *aargv[] = {(char *)wt_bin("scanfarm-aggregator"), "--kafka", (char *)sf_t_kafka(),
                     "--redis", (char *)sf_t_redis(), "--key-prefix", tag, "--group", group,
                     "--results-topic", res_t, "--dlq-topic", dlq_t, "--metrics-port", aps,
                     "--metrics-addr", "127.0.0.1", NULL};
    pid_t a = wt_spawn(aargv, alog);
    int up = 0;
    for (int i = 0; i < 100 && !up; i++) {
        up = wt_http_get(aport, "/healthz", page, sizeof page) == 0 && strstr(page, "200 OK");
        if (!up)
            wt_sleep_ms(100);
    }
    assert_true(up);
    assert_int_equal(wt_http_get(aport, "/metrics", page, sizeof page), 0);
    assert_non_null(strstr(page, "scanfarm_build_info{program=\"scanfarm-aggregate\""));
    assert_true(WIFEXITED(wt_stop(a, 30)));
    unlink(log);
    unlink(alog);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tag, sizeof tag, "metrics-ep-%ld", (long)getpid());
    snprintf(jobs_t, sizeof jobs_t, "%s.jobs", tag);
    snprintf(res_t, sizeof res_t, "%s.results", tag);
    snprintf(dlq_t, sizeof dlq_t, "%s.dlq", tag);
    snprintf(db, sizeof db, "/tmp/%s.db", tag);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wt_kill_all();
    wt_delete_topics(sf_t_kafka(), jobs_t, res_t, dlq_t);
    wt_redis_del_prefix(tag);
    unlink(db);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics__worker_counts_cached_results),
        cmocka_unit_test(test_metrics__coordinator_and_aggregator_endpoints),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
