/*
 * cache/kvconn.c's command encoder (sf_kvconn_resp_append) writes the
 * bytes hiredis' redisFormatCommandArgv writes, for empty, binary,
 * long and many arguments, and appends after what is queued already.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "base/err.h"
#include "cache/kvconn.h"

/* argv through both encoders, appended to a buffer holding "X". */
static void expect_same(int argc, const char **argv, const size_t *lens)
{
    char *want = NULL, *buf = malloc(1);
    size_t len = 1;
    assert_non_null(buf);
    buf[0] = 'X';
    int n = redisFormatCommandArgv(&want, argc, argv, lens);
    assert_true(n > 0);
    assert_int_equal(sf_kvconn_resp_append(&buf, &len, argc, argv, lens), SF_OK);
    assert_int_equal(len, (size_t)n + 1);
    assert_int_equal(buf[0], 'X');
    assert_memory_equal(buf + 1, want, (size_t)n);
    redisFreeCommand(want);
    free(buf);
}

static void test_resp_as_hiredis(void **state)
{
    (void)state;
    const char *ping[] = {"PING"};
    expect_same(1, ping, NULL);
    const char *empty[] = {"SET", "", ""};
    expect_same(3, empty, NULL);
    const char bin[] = {'a', '\0', '\r', '\n', 'b'};
    const char *argv[] = {"HSET", "k", bin};
    const size_t lens[] = {4, 1, sizeof bin};
    expect_same(3, argv, lens);
    /* lengths of 1 to 6 digits, and 12,345 arguments */
    char *big = malloc(123457);
    assert_non_null(big);
    memset(big, 'v', 123456);
    big[123456] = '\0';
    const char *one[] = {"SET", big, big + 123456 - 99999, big + 123456 - 10};
    expect_same(4, one, NULL);
    const char **many = calloc(12345, sizeof *many);
    assert_non_null(many);
    for (size_t i = 0; i < 12345; i++)
        many[i] = big + 123456 - (i * 7919 % 1000);
    expect_same(12345, many, NULL);
    free(many);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_resp_as_hiredis)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
