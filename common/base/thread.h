/*
 * thread: stopping a helper thread that waits on a condition variable
 * (the layer walker, the layer cache's lock renewer): raise its flag
 * under its lock, wake it, wait for it to end. Written once so that the
 * order (flag under the lock so the wake-up is not lost, broadcast, then
 * join) is the same everywhere.
 *
 * Threads: called by the thread that started th, never by th itself.
 */
#ifndef SF_BASE_THREAD_H
#define SF_BASE_THREAD_H

#include <pthread.h>

/* Set *flag to 1 with mu held, broadcast cv, then join th. The thread
 * reads *flag under mu after each wait on cv. */
void sf_thread_stop(pthread_t th, pthread_mutex_t *mu, pthread_cond_t *cv, int *flag);

#endif
