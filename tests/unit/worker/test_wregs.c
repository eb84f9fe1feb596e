/* Unit tests of the worker's registry allow-list (worker/wregs): the
 * default list from the worker's own configuration, --registry-allow
 * globs replacing it, the bounded client table, and that a job naming a
 * registry outside the list gets an error (which the worker publishes as
 * an error result) without any connection being made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "t_listener.h"
#include "testutil.h"
#include "wconf.h"
#include "wregs.h"
#include "wscan.h"

static void load(sf_wconf *c, int argc, char **argv)
{
    sf_error e = SF_ERROR_INIT;
    if (sf_wconf_load(c, argc, argv, &e) != SF_OK)
        fail_msg("config: %s", e.msg);
}

/* The allow-list of the worker configured by argv (c keeps the config). */
static sf_wregs *regs_from(sf_wconf *c, int argc, char **argv)
{
    load(c, argc, argv);
    sf_wregs *p = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_wregs_new(&p, c, &e) != SF_OK)
        fail_msg("wregs: %s", e.msg);
    return p;
}

/* Each host of the NULL-terminated list is (want 1) or is not (want 0)
 * allowed; a wrong one is named. */
static void expect_allowed(sf_wregs *p, int want, const char *const *hosts)
{
    for (; *hosts; hosts++)
        if (!!sf_wregs_allowed(p, *hosts) != want)
            fail_msg("%s should%s be allowed", *hosts, want ? "" : " not");
}

#define ALLOWED(p, ...) expect_allowed((p), 1, (const char *const[]){__VA_ARGS__, NULL})
#define DENIED(p, ...) expect_allowed((p), 0, (const char *const[]){__VA_ARGS__, NULL})

static void test_worker_regs__default_allow_list_from_config(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-wregs-XXXXXX";
    const char *dc = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"},"
                     "\"Ghcr.Example:8443\":{\"auth\":\"dTpw\"}}}";
    assert_int_equal(sf_t_write_temp(path, dc), 0);
    char *argv[] = {"w", "--insecure-registry", "127.0.0.1:5000", "--registry",
                    "https://reg.example.com", "--registry", "http://other.example:5001/",
                    "--docker-config", path};
    sf_wconf c;
    sf_wregs *p = regs_from(&c, 9, argv);
    ALLOWED(p, "127.0.0.1:5000", "reg.example.com", "other.example:5001", "docker.io",
            "ghcr.example:8443");
    DENIED(p, "127.0.0.1:6379", "reg.example.com:22", "169.254.169.254", "evil.example",
           "reg.example.com/x");
    sf_wregs_free(p);
    sf_wconf_clear(&c);
    unlink(path);
}

static void test_worker_regs__allow_globs_replace_default(void **state)
{
    (void)state;
    char *argv[] = {"w", "--insecure-registry", "127.0.0.1:5000", "--registry-allow",
                    "*.corp.example", "--registry-allow", "127.0.0.1:*"};
    sf_wconf c;
    sf_wregs *p = regs_from(&c, 7, argv);
    ALLOWED(p, "a.corp.example", "127.0.0.1:5000", "127.0.0.1:9");
    DENIED(p, "corp.example.evil", "a.corp.example:444");
    sf_wregs_free(p);
    sf_wconf_clear(&c);
    char *bad[] = {"w", "--registry-allow-address", "not-a-cidr"};
    load(&c, 3, bad);
    p = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wregs_new(&p, &c, &e), SF_ECONFIG);
    assert_null(p);
    sf_wconf_clear(&c);
}

/* Junk jobs cannot fill the client table: refused hosts never take a
 * slot, and allowed ones beyond the table evict the least recent. */
static void test_worker_regs__table_bounded(void **state)
{
    (void)state;
    char *argv[] = {"w", "--registry-allow", "127.0.0.1:*", "--insecure-registry",
                    "127.0.0.1:1"};
    sf_wconf c;
    sf_wregs *p = regs_from(&c, 5, argv);
    sf_error e = SF_ERROR_INIT;
    char host[64];
    sf_reg *r = NULL;
    for (int i = 0; i < 200; i++) {
        snprintf(host, sizeof host, "junk%d.example:%d", i, 1000 + i);
        e = (sf_error)SF_ERROR_INIT;
        assert_int_equal(sf_wregs_acquire(p, host, &r, &e), SF_EAUTH);
    }
    assert_int_equal(sf_wregs_count(p), 0);
    sf_reg *held = NULL;
    assert_int_equal(sf_wregs_acquire(p, "127.0.0.1:1", &held, &e), SF_OK);
    for (int i = 0; i < 200; i++) {
        snprintf(host, sizeof host, "127.0.0.1:%d", 2000 + i);
        e = (sf_error)SF_ERROR_INIT;
        assert_int_equal(sf_wregs_acquire(p, host, &r, &e), SF_OK);
        sf_wregs_release(p, r);
        assert_true(sf_wregs_count(p) <= 64);
    }
    /* The client in use was never evicted. */
    sf_reg *again = NULL;
    assert_int_equal(sf_wregs_acquire(p, "127.0.0.1:1", &again, &e), SF_OK);
    assert_ptr_equal(again, held);
    sf_wregs_release(p, again);
    sf_wregs_release(p, held);
    sf_wregs_free(p);
    sf_wconf_clear(&c);
}

static int emit_none(void *ectx, const char *digest, const char *json, size_t len, int code)
{
    (void)digest, (void)json, (void)len, (void)code;
    (*(int *)ectx)++;
    return SF_OK;
}

static int run_job(sf_wscan *s, const char *registry, sf_error *e, int *emitted)
{
    sf_worker_scanner sc = sf_wscan_scanner(s);
    sf_job job = {.run_id = "r1", .kind = SF_JOB_SCAN, .registry = (char *)registry,
                  .repository = "lib/app",
                  .digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"};
    return sc.scan(sc.ctx, &job, NULL, emit_none, emitted, e);
}

static void test_worker_regs__refused_job_makes_no_connection(void **state)
{
    (void)state;
    t_listener l;
    t_listener_start(&l);
    char target[64], allowed[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", l.port);
    snprintf(allowed, sizeof allowed, "127.0.0.1:%d", l.port == 1 ? 2 : l.port - 1);
    /* The worker's config names another registry only: the default
     * allow-list is that one. */
    char *argv[] = {"w", "--insecure-registry", allowed};
    sf_wconf c;
    load(&c, 3, argv);
    sf_wscan *s = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wscan_new(&s, &c, &e), SF_OK);
    int emitted = 0;
    int rc = run_job(s, target, &e, &emitted);
    assert_int_equal(rc, SF_EAUTH);
    assert_int_equal(sf_err_kind(rc), SF_KIND_IMAGE); /* an error result, not a crash or retry */
    assert_non_null(strstr(e.msg, "not allowed"));
    assert_non_null(strstr(e.msg, target));
    usleep(100 * 1000);
    assert_int_equal(t_listener_conns(&l), 0);
    sf_wscan_free(s);
    sf_wconf_clear(&c);
    /* The same job with the registry allowed does connect (the check above
     * could fail). */
    char *argv2[] = {"w", "--insecure-registry", target, "--registry-allow", target};
    load(&c, 5, argv2);
    assert_int_equal(sf_wscan_new(&s, &c, &e), SF_OK);
    e = (sf_error)SF_ERROR_INIT;
    rc = run_job(s, target, &e, &emitted);
    assert_true(t_listener_conns(&l) >= 1);
    sf_wscan_free(s);
    sf_wconf_clear(&c);
    t_listener_stop(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_regs__default_allow_list_from_config),
        cmocka_unit_test(test_worker_regs__allow_globs_replace_default),
        cmocka_unit_test(test_worker_regs__table_bounded),
        cmocka_unit_test(test_worker_regs__refused_job_makes_no_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
