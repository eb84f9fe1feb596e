/*
 * base/time: the monotonic and wall clocks agree with the system's, a
 * deadline lands where asked, the time left never goes negative, and the
 * cancellable sleep sleeps as long as asked unless its flag is set, in
 * which case it returns within one slice (from another thread too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <time.h>

#include "base/err.h"
#include "base/limits.h"
#include "base/time.h"

/* The timestamp of messages and logs: exactly "YYYY-MM-DDTHH:MM:SS.mmmZ",
 * and the instant it names is now (parsed back as UTC). */
static void test_time_rfc3339__now_in_utc_with_ms(void **state)
{
    (void)state;
    char s[SF_TIME_RFC3339_MAX];
    time_t before = time(NULL);
    sf_time_rfc3339_now(s);
    time_t after = time(NULL);
    assert_int_equal(strlen(s), SF_TIME_RFC3339_MAX - 1);
    struct tm tm = {0};
    unsigned ms = 1000;
    char z = 0;
    assert_int_equal(sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3u%c", &tm.tm_year, &tm.tm_mon,
                            &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z),
                     8);
    assert_int_equal(z, 'Z');
    assert_true(ms < 1000);
    assert_true(s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[19] == '.');
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    assert_true(t >= before && t <= after);
}

static void test_time_clock__monotonic_and_wall(void **state)
{
    (void)state;
    uint64_t a = sf_time_mono_ms();
    double s = sf_time_mono_s();
    uint64_t b = sf_time_mono_ms();
    assert_true(b >= a);
    assert_true(s * 1e3 >= (double)a - 1 && s * 1e3 <= (double)b + 1);
    int64_t wall = sf_time_wall_ms();
    int64_t sys = (int64_t)time(NULL) * 1000;
    assert_true(wall >= sys - 1000 && wall <= sys + 2000);
}

static void test_time_deadline__normalised_and_left(void **state)
{
    (void)state;
    struct timespec now, d = sf_time_deadline(1500);
    clock_gettime(CLOCK_REALTIME, &now);
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    double diff = (double)(d.tv_sec - now.tv_sec) + (double)(d.tv_nsec - now.tv_nsec) / 1e9;
    assert_true(diff > 1.4 && diff <= 1.5);
    struct timespec past = sf_time_deadline(-5);
    assert_true(past.tv_nsec >= 0 && past.tv_nsec < 1000000000L);
    assert_int_equal(sf_time_left_ms(0), 0);
    assert_int_equal(sf_time_left_ms(sf_time_mono_ms() - 10), 0);
    int left = sf_time_left_ms(sf_time_mono_ms() + 5000);
    assert_true(left > 4000 && left <= 5000);
    assert_int_equal(sf_time_left_ms(UINT64_MAX), INT32_MAX);
}

static void test_time_sleep__full_length_without_cancel(void **state)
{
    (void)state;
    atomic_int flag = 0;
    uint64_t t0 = sf_time_mono_ms();
    assert_int_equal(sf_time_sleep_ms(120, NULL), SF_OK);
    assert_int_equal(sf_time_sleep_ms(230, &flag), SF_OK);
    assert_true(sf_time_mono_ms() - t0 >= 350);
    assert_int_equal(sf_time_sleep_ms(0, &flag), SF_OK);
    assert_int_equal(sf_time_sleep_ms(-3, NULL), SF_OK);
}

static void *set_later(void *arg)
{
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store((atomic_int *)arg, 1);
    return NULL;
}

static void test_time_sleep__cancel_cuts_it_short(void **state)
{
    (void)state;
    atomic_int flag = 1;
    assert_int_equal(sf_time_sleep_ms(10000, &flag), SF_ECANCELED);
    flag = 0;
    pthread_t t;
    uint64_t t0 = sf_time_mono_ms();
    assert_int_equal(pthread_create(&t, NULL, set_later, (void *)&flag), 0);
    assert_int_equal(sf_time_sleep_ms(10000, &flag), SF_ECANCELED);
    uint64_t took = sf_time_mono_ms() - t0;
    pthread_join(t, NULL);
    assert_true(took >= 140 && took < 150 + 3 * SF_LIM_SLEEP_SLICE_MS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_clock__monotonic_and_wall),
        cmocka_unit_test(test_time_rfc3339__now_in_utc_with_ms),
        cmocka_unit_test(test_time_deadline__normalised_and_left),
        cmocka_unit_test(test_time_sleep__full_length_without_cancel),
        cmocka_unit_test(test_time_sleep__cancel_cuts_it_short),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
