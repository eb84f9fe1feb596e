/*
 * The job start ledger (cache/attempts.h) against a private redis-server
 * (started here on a free loopback port, no stack needed): a start whose
 * worker has no heartbeat counts as a death exactly once, under "shr" or
 * "iso"; live workers and this worker's own start never count; a
 * successful end forgets the job, a failed one only its own start; the
 * run id defaults to "norun"; Redis down is an error with nothing known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../integration/cache_helpers.h"
#include "cache/attempts.h"

#define P "t-attempts"
#define DG "sha256:0f71933e19cebdec0f71933e19cebdec0f71933e19cebdec0f71933e19cebdec"
#define TTL 60000

static pid_t g_redis;
static sf_kv *g_kv;

static sf_kv *connect_to(int port)
{
    static char addr[2][32];
    static int k;
    char *a = addr[k++ % 2];
    snprintf(a, sizeof addr[0], "127.0.0.1:%d", port);
    const char *nodes[] = {a};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .backoff_min_ms = 1, .backoff_max_ms = 1,
                    .command_timeout_ms = 2000};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &o, &e), SF_OK);
    return kv;
}

static int setup(void **state)
{
    (void)state;
    int port = t_port(0);
    g_redis = t_redis_start(port);
    if (!t_service_up(port))
        return -1; /* redis-server missing: the test fails, it does not skip */
    g_kv = connect_to(port);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sf_kv_free(g_kv);
    t_redis_kill(g_redis);
    return 0;
}

static sf_attempts_seen inspect(const char *self, const char *run)
{
    sf_attempts_seen s;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_attempts_inspect(g_kv, P, self, DG, run, &s, &e), SF_OK);
    return s;
}

static void start(const char *self, const char *run, int alone)
{
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_attempts_start(g_kv, P, self, DG, run, alone, TTL, &e), SF_OK);
}

static void end(const char *self, const char *run, int success)
{
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_attempts_end(g_kv, P, self, DG, run, success, &e), SF_OK);
}

static void test_attempts__dead_start_counts_once(void **state)
{
    (void)state;
    sf_attempts_seen s = inspect("w-b", "r1");
    assert_int_equal(s.iso + s.shr + s.ndead, 0);
    start("w-a", "r1", 0); /* w-a never beats: it died running the job */
    s = inspect("w-b", "r1");
    assert_int_equal(s.shr, 1);
    assert_int_equal(s.iso, 0);
    assert_int_equal(s.ndead, 1);
    assert_string_equal(s.dead[0], "w-a");
    assert_int_equal(s.dead_alone[0], 0);
    s = inspect("w-c", "r1"); /* the death stays counted, not counted again */
    assert_int_equal(s.shr, 1);
    assert_int_equal(s.ndead, 0);
    start("w-d", "r1", 1); /* a death while running alone */
    s = inspect("w-c", "r1");
    assert_int_equal(s.iso, 1);
    assert_int_equal(s.shr, 1);
    assert_int_equal(s.ndead, 1);
    assert_int_equal(s.dead_alone[0], 1);
    end("w-c", "r1", 1); /* success forgets the job */
    s = inspect("w-c", "r1");
    assert_int_equal(s.iso + s.shr + s.ndead, 0);
}

static void test_attempts__live_and_own_starts_do_not_count(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_attempts_heartbeat(g_kv, P, "w-live", TTL, &e), SF_OK);
    start("w-live", "r2", 0);
    start("w-self", "r2", 1);
    sf_attempts_seen s = inspect("w-self", "r2");
    assert_int_equal(s.iso + s.shr + s.ndead, 0);
    end("w-self", "r2", 0); /* a failed end drops only w-self's start */
    end("w-live", "r2", 0);
    start("w-gone", "r2", 0);
    end("w-other", "r2", 0); /* not w-gone's: its start stays */
    s = inspect("w-x", "r2");
    assert_int_equal(s.ndead, 1);
    assert_string_equal(s.dead[0], "w-gone");
    end("w-x", "r2", 1);
}

static void test_attempts__run_defaults_to_norun(void **state)
{
    (void)state;
    char key[SF_KEY_MAX];
    sf_error e = SF_ERROR_INIT;
    int exists = 0;
    start("w-n", NULL, 0);
    assert_int_equal(sf_keys_attempts(key, P, DG, "norun", &e), SF_OK);
    assert_int_equal(sf_kv_exists(g_kv, DG, key, &exists, &e), SF_OK);
    assert_int_equal(exists, 1);
    sf_attempts_seen s = inspect("w-m", "");
    assert_int_equal(s.ndead, 1);
    end("w-m", NULL, 1);
    assert_int_equal(sf_kv_exists(g_kv, DG, key, &exists, &e), SF_OK);
    assert_int_equal(exists, 0);
}

static void test_attempts__redis_down_is_an_error(void **state)
{
    (void)state;
    sf_kv *kv = connect_to(t_port(0)); /* nothing listens there */
    sf_attempts_seen s;
    sf_error e = SF_ERROR_INIT;
    memset(&s, 0x5a, sizeof s);
    assert_int_not_equal(sf_attempts_inspect(kv, P, "w", DG, "r", &s, &e), SF_OK);
    assert_true(e.code != SF_OK && e.msg[0]);
    assert_int_equal(s.iso + s.shr + s.ndead, 0);
    sf_error_clear(&e);
    assert_int_not_equal(sf_attempts_start(kv, P, "w", DG, "r", 0, TTL, &e), SF_OK);
    sf_error_clear(&e);
    assert_int_not_equal(sf_attempts_heartbeat(kv, P, "w", TTL, &e), SF_OK);
    sf_kv_free(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attempts__dead_start_counts_once),
        cmocka_unit_test(test_attempts__live_and_own_starts_do_not_count),
        cmocka_unit_test(test_attempts__run_defaults_to_norun),
        cmocka_unit_test(test_attempts__redis_down_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
