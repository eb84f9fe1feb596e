/*
 * sig: the stop signals of a long-running program. SIGINT and SIGTERM
 * set a flag the program polls (its cancel flag); SIGPIPE is ignored so
 * a closed socket is an error code, not a death. One flag per process:
 * each program has one main loop to stop.
 */
#ifndef SF_BASE_SIG_H
#define SF_BASE_SIG_H

/* Install the handlers: a SIGINT or SIGTERM sets *flag to 1. */
void sf_sig_install_cancel(volatile int *flag);

#endif
