/* Unit tests of common/bus/kprod's fatal-error reporting, with no broker:
 * librdkafka connects lazily, and its test hook raises the same fatal
 * error an idempotent producer raises when its sequence is broken. The
 * worker stops on sf_kprod_fatal(), so it must report exactly that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kprod_fatal__reported_after_the_fact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
