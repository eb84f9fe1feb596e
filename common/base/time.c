/* time: see time.h. */
#include "base/time.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "base/limits.h"

uint64_t sf_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

double sf_time_mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int64_t sf_time_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sf_time_rfc3339_now(char out[SF_TIME_RFC3339_MAX])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    /* Unsigned and reduced: gcc then proves the 24 characters fit. */
    snprintf(out, SF_TIME_RFC3339_MAX, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ",
             (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
             (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u,
             (unsigned)tm.tm_sec % 100u, (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

struct timespec sf_time_deadline(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ms < 0)
        ms = 0;
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

int sf_time_left_ms(uint64_t deadline_ms)
{
    uint64_t now = sf_time_mono_ms();
    if (now >= deadline_ms)
        return 0;
    uint64_t left = deadline_ms - now;
    return left > INT32_MAX ? INT32_MAX : (int)left;
}

/* One uninterrupted sleep of ms (EINTR resumes with the time left). */
static void sleep_whole(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int cancelled(const atomic_int *cancel)
{
    return cancel && atomic_load_explicit(cancel, memory_order_relaxed) != 0;
}

int sf_time_sleep_ms(long ms, const atomic_int *cancel)
{
    if (!cancel) {
        if (ms > 0)
            sleep_whole(ms);
        return SF_OK;
    }
    while (ms > 0) {
        if (cancelled(cancel))
            return SF_ECANCELED;
        long slice = ms > SF_LIM_SLEEP_SLICE_MS ? SF_LIM_SLEEP_SLICE_MS : ms;
        sleep_whole(slice);
        ms -= slice;
    }
    return cancelled(cancel) ? SF_ECANCELED : SF_OK;
}
