/* Integration test (stack's Kafka and Redis): a job naming a registry the
 * worker does not allow gets a published error result for the job's
 * digest, no connection is made to the named host, and the worker keeps
 * running. (The connect-time refusal of metadata addresses is covered by
 * unit_registry_test_netpol; through a worker it yields a scan report
 * with an error, whose publishing is issue 12 item 1's fix.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "t_listener.h"
#include "testutil.h"
#include "worker_helpers.h"

static const char *D1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

static sf_t_scratch S; /* name, folder, topics; one cleanup (sf_t_teardown) */

static void test_worker_ssrf__refused_jobs_get_error_results(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    assert_false(access(wt_bin("scanfarm-worker"), X_OK) != 0);
    char group[96], target[64], port[16], logp[128];
    assert_int_equal(sf_t_scratch_open(&S, "worker-ssrf"), 0);
    snprintf(group, sizeof group, "%s.workers", S.name);
    snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
    /* The "internal service" a hostile job points the worker at. */
    t_listener l;
    t_listener_start(&l);
    snprintf(target, sizeof target, "127.0.0.1:%d", l.port);

    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    assert_int_equal(sf_t_scratch_topics(&S, 1), 0);
    assert_int_equal(wt_produce_job(p, S.jobs, S.name, target, "lib/app", D1, "x:1", &e), SF_OK);
    assert_int_equal(sf_kprod_flush(p, 30000, &e), SF_OK);
    sf_kprod_free(p);

    snprintf(port, sizeof port, "%d", t_port(41));
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(), "--redis",
                    (char *)sf_t_redis(), "--key-prefix", S.name, "--group", group, "--jobs-topic",
                    S.jobs, "--results-topic", S.results, "--dlq-topic", S.dlq, "--metrics-port", port,
                    "--metrics-addr", "127.0.0.1", "--insecure-registry",
                    (char *)sf_t_registry(), "--session-timeout-ms", "6000",
                    "--grace", "10", NULL};
    pid_t w = wt_spawn(argv, logp);
    sf_kcons *rr = wt_results_reader(S.name, S.results, 16);
    assert_non_null(rr);
    int got1 = 0;
    uint64_t t0 = t_now_ms();
    while (!got1 && t_now_ms() - t0 < 60000) {
        json_t *r = wt_poll_result(rr, S.name);
        if (!r)
            continue;
        const char *dg = json_string_value(json_object_get(r, "digest"));
        const char *msg = json_string_value(json_object_get(json_object_get(r, "error"), "message"));
        if (dg && msg && strcmp(dg, D1) == 0 && strstr(msg, "not allowed"))
            got1 = 1;
        if (dg && strcmp(dg, D1) == 0 && !got1)
            fprintf(stderr, "result %s: %s\n", dg, msg ? msg : "(no error)");
        json_decref(r);
    }
    sf_kcons_close(rr);
    int alive = kill(w, 0) == 0 && waitpid(w, NULL, WNOHANG) == 0;
    int st = wt_stop(w, 20);
    if (!got1 || !alive)
        wt_tail(logp, 40);
    t_listener_stop(&l);
    assert_true(got1);
    assert_true(alive);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(t_listener_conns(&l), 0);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_worker_ssrf__refused_jobs_get_error_results, sf_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
