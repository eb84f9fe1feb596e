/*
 * base/sig: SIGTERM and SIGINT set the cancel flag and leave the process
 * running; SIGPIPE is ignored (a write to a closed pipe fails with EPIPE
 * instead of killing the program).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/sig.h"

static atomic_int g_flag;

static void test_sig__term_and_int_set_the_flag(void **state)
{
    (void)state;
    sf_sig_install_cancel(&g_flag);
    g_flag = 0;
    assert_int_equal(raise(SIGTERM), 0);
    assert_int_equal(g_flag, 1);
    g_flag = 0;
    assert_int_equal(raise(SIGINT), 0);
    assert_int_equal(g_flag, 1);
}

static void test_sig__sigpipe_is_an_error_code(void **state)
{
    (void)state;
    int fd[2];
    sf_sig_install_cancel(&g_flag);
    g_flag = 0;
    assert_int_equal(pipe(fd), 0);
    close(fd[0]);
    errno = 0;
    assert_int_equal(write(fd[1], "x", 1), -1);
    assert_int_equal(errno, EPIPE);
    close(fd[1]);
    assert_int_equal(g_flag, 0); /* not a stop signal */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sig__term_and_int_set_the_flag),
        cmocka_unit_test(test_sig__sigpipe_is_an_error_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
