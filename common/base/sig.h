/*
 * sig: the stop signals of a long-running program. SIGINT and SIGTERM
 * set a flag the program polls (its cancel flag); SIGPIPE is ignored so
 * a closed socket is an error code, not a death. One flag per process:
 * each program has one main loop to stop.
 */
#ifndef SF_BASE_SIG_H
#define SF_BASE_SIG_H

#include <stdatomic.h>

/* Install the handlers: a SIGINT or SIGTERM sets *flag to 1 (an
 * atomic_int, so the threads that poll it and sf_time_sleep_ms read it
 * without a data race). */
void sf_sig_install_cancel(atomic_int *flag);

#endif
