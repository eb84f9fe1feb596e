/*
 * A result larger than the results topic accepts, on the real broker: the
 * worker must answer the job with an error result and commit it, not re-run
 * it for ever.
 *
 * Managed Kafka services keep the 1 MB default max.message.bytes, and a
 * large image's report (thousands of packages and findings) can pass it.
 * Before, the broker's MSG_SIZE_TOO_LARGE counted as an ordinary delivery
 * failure: the worker re-ran the job with backoff for as long as it lived,
 * the job was never answered and its partition's commit frontier stayed
 * behind it. Here the scratch results topic gets max.message.bytes of a few
 * hundred bytes, so a real corpus image's result is refused while the small
 * error result (no findings) fits.
 *
 * Real worker binary, the stack's Kafka, Redis and registry; own topics,
 * group and key prefix.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include <cmocka.h>

#include "bus/kcons.h"
#include "bus/kprod.h"
#include "worker_helpers.h"

/* Below a corpus image's result, compressed, and above an error result's. */
#define TOPIC_MAX_BYTES "900"

static sf_t_scratch S;
static char group[128], logp[192];
static const char *run_id = "run-too-large";

static int setup(void **state)
{
    (void)state;
    if (sf_t_scratch_open(&S, "too-large") != 0)
        return -1;
    snprintf(group, sizeof group, "%s.workers", S.name);
    snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
    return 0;
}

/* Set topic's max.message.bytes through the admin API (AlterConfigs). */
static void limit_topic(const char *topic, const char *bytes)
{
    char es[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", sf_t_kafka(), es, sizeof es),
                     RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof es);
    assert_non_null(rk);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    assert_int_equal(rd_kafka_ConfigResource_set_config(res, "max.message.bytes", bytes),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AlterConfigs(rk, &res, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    assert_non_null(ev);
    assert_int_equal(rd_kafka_event_error(ev), RD_KAFKA_RESP_ERR_NO_ERROR);
    size_t n = 0;
    const rd_kafka_ConfigResource_t **out =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
    assert_int_equal(n, 1);
    assert_int_equal(rd_kafka_ConfigResource_error(out[0]), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_destroy(rk);
}

static pid_t spawn_worker(void)
{
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                    "--redis", (char *)sf_t_redis(), "--key-prefix", S.name, "--group", group,
                    "--jobs-topic", S.jobs, "--results-topic", S.results,
                    "--dlq-topic", S.dlq, "--metrics-port", "0", "--concurrency", "1",
                    "--insecure-registry", (char *)sf_t_registry(),
                    "--session-timeout-ms", "6000", "--grace", "10", NULL};
    return wt_spawn(argv, logp);
}

static void test_worker_result_too_large__answered_with_error(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    char list[200];
    wt_image im;
    snprintf(list, sizeof list, "/tmp/sf-too-large-%d.json", (int)getpid());
    int nimg = wt_corpus_images(sf_t_registry(), list, &im, 1);
    unlink(list);
    assert_int_equal(nimg, 1);

    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    assert_int_equal(sf_t_scratch_topics(&S, 1), 0);
    limit_topic(S.results, TOPIC_MAX_BYTES);
    assert_int_equal(wt_produce_job(p, S.jobs, run_id, sf_t_registry(), im.repo, im.digest,
                                    im.ref, &e),
                     SF_OK);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);

    pid_t w = spawn_worker();
    assert_true(w > 0);
    sf_kcons *rr = wt_results_reader(S.name, S.results, 64);
    assert_non_null(rr);
    int errors = 0, ok = 0, alive = 1;
    int64_t off = -1;
    uint64_t t0 = t_now_ms();
    while (t_now_ms() - t0 < 60000) {
        sf_kmsg *m = NULL;
        if (sf_kcons_poll(rr, 200, &m, NULL) == SF_OK && m) {
            json_t *r = json_loadb(m->value, m->len, 0, NULL);
            const char *dg = json_string_value(json_object_get(r, "digest"));
            const char *run = json_string_value(json_object_get(r, "run_id"));
            json_t *err = json_object_get(r, "error");
            const char *msg = json_string_value(json_object_get(err, "message"));
            if (run && strcmp(run, run_id) == 0 && dg && strcmp(dg, im.digest) == 0) {
                if (err && !json_is_null(err))
                    errors += msg && strstr(msg, "max.message.bytes") != NULL;
                else
                    ok++;
            }
            json_decref(r);
            sf_kcons_done(rr, m);
        }
        if (waitpid(w, NULL, WNOHANG) == w) {
            wt_untrack(w);
            alive = 0;
            break;
        }
        if (errors && (off = wt_committed(group, S.jobs)) >= 1)
            break;
    }
    if (!alive || !errors || off < 1)
        wt_tail(logp, 40);
    fprintf(stderr, "after %llu ms: errors=%d ok=%d committed=%lld\n",
            (unsigned long long)(t_now_ms() - t0), errors, ok, (long long)off);
    sf_kcons_close(rr);
    assert_true(alive);
    assert_int_equal(ok, 0);      /* the full result never fit */
    assert_int_equal(errors, 1);  /* answered once, with the reason */
    assert_true(off >= 1);        /* and the job's offset committed */
    int st = wt_stop(w, 20);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_worker_result_too_large__answered_with_error, setup,
                                        sf_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
