/*
 * Redis AUTH for real: a private redis-server this test starts on its own
 * port with ACLs (user "scanfarm" with a password holding URL-special
 * characters, and a password on the default user), then sf_kv connects
 *   - with a redis://user:pass@host:port/db URL (percent-escaped password,
 *     the database from the URL),
 *   - with host:port plus a username and a password file (options),
 *   - with a password alone (AUTH password: the default user),
 * and is refused, quickly and with Redis' reason but never the password,
 * with a wrong password or none. Skipped without redis-server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cache_helpers.h"

#define PW "p@ss:w/rd%1"
#define PW_URL "p%40ss%3Aw%2Frd%251"
#define DEFPW "default-pw"

static int port;
static pid_t redis_pid;

static int setup(void **state)
{
    (void)state;
    if (system("command -v redis-server >/dev/null 2>&1") != 0)
        return 0;
    port = t_port(0);
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    redis_pid = fork();
    if (redis_pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--user", "default", "on", ">" DEFPW, "~*", "+@all",
               "--user", "scanfarm", "on", ">" PW, "~*", "+@all", (char *)NULL);
        _exit(127);
    }
    /* up when it answers, even if only "NOAUTH" */
    for (int i = 0; i < 100; i++) {
        char cmd[96];
        snprintf(cmd, sizeof cmd, "redis-cli -p %d PING 2>/dev/null | grep -q NOAUTH", port);
        if (system(cmd) == 0)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    t_redis_kill(redis_pid);
    return 0;
}

/* (SET when set, then) GET key through a client built from o. */
static int roundtrip(const sf_kv_opts *o, int set, const char *key, int *found, sf_error *e)
{
    sf_kv *kv = NULL;
    sf_buf b;
    sf_buf_init(&b, 1024);
    int rc = sf_kv_new(&kv, o, e);
    if (rc == SF_OK && set)
        rc = sf_kv_set(kv, key, key, "v", 1, 60000, e);
    if (rc == SF_OK)
        rc = sf_kv_get(kv, key, key, &b, found, e);
    sf_buf_free(&b);
    sf_kv_free(kv);
    return rc;
}

static void test_kv_auth__url_options_and_refusals(void **state)
{
    (void)state;
    assert_false(redis_pid <= 0);
    char url[160], addr[32];
    snprintf(url, sizeof url, "redis://scanfarm:%s@127.0.0.1:%d/3", PW_URL, port);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    sf_error e = SF_ERROR_INIT;
    int found = 0;

    /* URL: user, escaped password, database 3 */
    const char *un[] = {url};
    sf_kv_opts o = {.nodes = un, .nnodes = 1};
    assert_int_equal(roundtrip(&o, 1, "auth-k1", &found, &e), SF_OK);
    assert_int_equal(found, 1);

    /* options: username + password file; db 0 does not see db 3's key */
    char path[] = "/tmp/sf-kv-pw-XXXXXX";
    assert_int_equal(sf_t_write_temp(path, PW "\n"), 0);
    const char *an[] = {addr};
    sf_kv_opts f = {.nodes = an, .nnodes = 1, .username = "scanfarm", .password_file = path};
    assert_int_equal(roundtrip(&f, 0, "auth-k1", &found, &e), SF_OK);
    assert_int_equal(found, 0);
    f.db = 3;
    assert_int_equal(roundtrip(&f, 0, "auth-k1", &found, &e), SF_OK);
    assert_int_equal(found, 1);
    unlink(path);

    /* password alone: AUTH password, the default user */
    sf_kv_opts d = {.nodes = an, .nnodes = 1, .password = DEFPW, .db = 3};
    assert_int_equal(roundtrip(&d, 0, "auth-k1", &found, &e), SF_OK);
    assert_int_equal(found, 1);

    /* wrong password: refused at once, Redis' reason, no password shown */
    uint64_t t0 = t_now_ms();
    sf_kv_opts w = {.nodes = an, .nnodes = 1, .username = "scanfarm", .password = "wrong-pw-x"};
    assert_int_equal(roundtrip(&w, 0, "auth-k1", &found, &e), SF_EREDIS);
    assert_true(t_now_ms() - t0 < 2000);
    assert_non_null(strstr(e.msg, "AUTH as scanfarm refused"));
    assert_non_null(strstr(e.msg, "WRONGPASS"));
    assert_null(strstr(e.msg, "wrong-pw-x"));

    /* no credentials: Redis says NOAUTH */
    sf_error_clear(&e);
    sf_kv_opts n = {.nodes = an, .nnodes = 1};
    assert_int_equal(roundtrip(&n, 0, "auth-k1", &found, &e), SF_EREDIS);
    assert_non_null(strstr(e.msg, "NOAUTH"));

    /* a missing password file is a configuration error, not a hang */
    sf_error_clear(&e);
    sf_kv_opts m = {.nodes = an, .nnodes = 1, .password_file = "/nonexistent/pw"};
    sf_kv *kv = NULL;
    assert_int_equal(sf_kv_new(&kv, &m, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "cannot open"));
    assert_null(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_auth__url_options_and_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
