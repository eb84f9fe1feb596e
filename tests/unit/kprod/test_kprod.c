/* Unit tests of common/bus/kprod's fatal-error reporting, with no broker:
 * librdkafka connects lazily, and its test hook raises the same fatal
 * error an idempotent producer raises when its sequence is broken. The
 * worker stops on sf_kprod_fatal(), so it must report exactly that. */
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "bus/kprod.h"

static void test_kprod_fatal__reported_after_the_fact(void **state)
{
    (void)state;
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    /* Nothing listens there; no message is ever sent in this test. */
    sf_kprod_opts o = {.brokers = "127.0.0.1:1"};
    assert_int_equal(sf_kprod_new(&p, &o, &e), SF_OK);
    assert_int_equal(sf_kprod_fatal(p, &e), SF_OK);
    assert_int_equal(e.msg[0], '\0');

    sf_kprod_test_fatal(p);
    assert_int_equal(sf_kprod_fatal(p, &e), SF_EKAFKA);
    assert_non_null(strstr(e.msg, "fatal"));
    assert_non_null(strstr(e.msg, "raised on purpose"));

    /* Every later produce fails with the fatal reason, not a generic one. */
    sf_error_clear(&e);
    assert_int_equal(sf_kprod_produce(p, "t", "k", 1, "v", 1, NULL, &e), SF_EKAFKA);
    assert_non_null(strstr(e.msg, "fatal"));
    sf_kprod_free(p);
}

typedef struct dr_seen {
    atomic_int n;
    int code;
    pthread_t thr;
} dr_seen;

static void on_dr(void *ctx, void *opaque, int code, const char *errstr)
{
    (void)errstr;
    dr_seen *d = ctx;
    assert_ptr_equal(opaque, d);
    d->code = code;
    d->thr = pthread_self();
    atomic_fetch_add(&d->n, 1);
}

/* With poll_thread, a delivery report reaches on_delivery although the
 * caller never polls (the worker finishes jobs from these reports). With
 * no broker the message fails by delivery.timeout.ms, which is also a
 * report. */
static void test_kprod_poll_thread__reports_without_caller_polling(void **state)
{
    (void)state;
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    dr_seen d = {0};
    sf_kprod_opts o = {.brokers = "127.0.0.1:1", .delivery_timeout_ms = 300,
                       .on_delivery = on_dr, .on_delivery_ctx = &d, .poll_thread = 1};
    assert_int_equal(sf_kprod_new(&p, &o, &e), SF_OK);
    assert_int_equal(sf_kprod_produce(p, "t", "k", 1, "v", 1, &d, &e), SF_OK);
    for (int i = 0; i < 200 && atomic_load(&d.n) == 0; i++)
        nanosleep(&(struct timespec){0, 50 * 1000000L}, NULL);
    assert_int_equal(atomic_load(&d.n), 1);
    assert_int_equal(d.code, SF_EKAFKA);
    assert_false(pthread_equal(d.thr, pthread_self()));
    sf_kprod_free(p);
    assert_int_equal(atomic_load(&d.n), 1); /* free reports nothing twice */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kprod_fatal__reported_after_the_fact),
        cmocka_unit_test(test_kprod_poll_thread__reports_without_caller_polling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
