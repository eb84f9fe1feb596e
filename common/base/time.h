/*
 * time: the one clock and the one sleep of scanfarm. Monotonic time for
 * timeouts, intervals and backoff (never jumps with the wall clock), wall
 * time for timestamps and for pthread_cond_timedwait deadlines (which take
 * CLOCK_REALTIME), and a sleep that a shutdown flag can cut short.
 *
 * Threads: every function may be called from any thread; none keeps state.
 */
#ifndef SF_TIME_H
#define SF_TIME_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds on the monotonic clock (an arbitrary origin). */
uint64_t sf_time_mono_ms(void);
/* Seconds on the monotonic clock, with sub-millisecond precision (for
 * rates and durations reported as fractions). */
double sf_time_mono_s(void);
/* Milliseconds since the Unix epoch (wall clock). */
int64_t sf_time_wall_ms(void);
/* The wall-clock instant ms milliseconds from now, for
 * pthread_cond_timedwait. */
struct timespec sf_time_deadline(long ms);
/* Milliseconds left until the monotonic deadline (0 when past it),
 * clamped to INT32_MAX so it fits a poll() timeout. */
int sf_time_left_ms(uint64_t deadline_ms);
/* Sleep ms milliseconds (restarted when a signal interrupts it). With
 * cancel set, sleep in slices of SF_LIM_SLEEP_SLICE_MS and return
 * SF_ECANCELED as soon as *cancel is non-zero; SF_OK otherwise. The flag
 * is an atomic_int because another thread or a signal handler sets it
 * (lock-free, so a handler may store to it); it is read relaxed. */
int sf_time_sleep_ms(long ms, const atomic_int *cancel);

/* Bytes of "2026-01-02T03:04:05.678Z" with its NUL. */
#define SF_TIME_RFC3339_MAX 25
/* Now on the wall clock as RFC 3339 UTC with milliseconds, the one
 * timestamp format of messages, logs and reports. */
void sf_time_rfc3339_now(char out[SF_TIME_RFC3339_MAX]);

#endif
