/*
 * c11_threads: ThreadSanitizer builds only (SF_TSAN). librdkafka runs its
 * threads with C11 thrd_create and locks with mtx_lock/cnd_wait; glibc
 * implements those by calling its internal pthread functions, which the
 * sanitizer's interceptors never see. A Kafka thread then starts without
 * sanitizer state (the first allocation on it crashes inside TSan) and its
 * locks order nothing (false races on everything a delivery callback
 * touches). Defining the C11 calls here, in the executable, makes the
 * dynamic linker bind librdkafka's references to these, and these go
 * through the public pthread functions, which TSan intercepts. glibc's
 * thrd_t, mtx_t and cnd_t are pthread_t, pthread_mutex_t and
 * pthread_cond_t underneath, so the casts are exact.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

typedef struct tramp {
    thrd_start_t fn;
    void *arg;
} tramp;

static void *tramp_main(void *p)
{
    tramp t = *(tramp *)p;
    free(p);
    return (void *)(intptr_t)t.fn(t.arg);
}

static int thrd_code(int e)
{
    return e == 0 ? thrd_success : e == ENOMEM ? thrd_nomem : e == EBUSY ? thrd_busy
           : e == ETIMEDOUT ? thrd_timedout : thrd_error;
}

int thrd_create(thrd_t *thr, thrd_start_t fn, void *arg)
{
    tramp *t = malloc(sizeof *t);
    if (!t)
        return thrd_nomem;
    t->fn = fn;
    t->arg = arg;
    int e = pthread_create((pthread_t *)thr, NULL, tramp_main, t);
    if (e)
        free(t);
    return thrd_code(e);
}

int thrd_join(thrd_t thr, int *res)
{
    void *r = NULL;
    int e = pthread_join((pthread_t)thr, &r);
    if (!e && res)
        *res = (int)(intptr_t)r;
    return thrd_code(e);
}

int thrd_detach(thrd_t thr) { return thrd_code(pthread_detach((pthread_t)thr)); }
int mtx_lock(mtx_t *m) { return thrd_code(pthread_mutex_lock((pthread_mutex_t *)m)); }
int mtx_trylock(mtx_t *m) { return thrd_code(pthread_mutex_trylock((pthread_mutex_t *)m)); }
int mtx_unlock(mtx_t *m) { return thrd_code(pthread_mutex_unlock((pthread_mutex_t *)m)); }

int mtx_timedlock(mtx_t *restrict m, const struct timespec *restrict ts)
{
    return thrd_code(pthread_mutex_timedlock((pthread_mutex_t *)m, ts));
}

int cnd_wait(cnd_t *c, mtx_t *m)
{
    return thrd_code(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
    return thrd_code(pthread_cond_timedwait((pthread_cond_t *)c, (pthread_mutex_t *)m, ts));
}

int cnd_signal(cnd_t *c) { return thrd_code(pthread_cond_signal((pthread_cond_t *)c)); }
int cnd_broadcast(cnd_t *c) { return thrd_code(pthread_cond_broadcast((pthread_cond_t *)c)); }
