/* sig: see sig.h. */
#define _POSIX_C_SOURCE 200809L
#include "base/sig.h"

#include <signal.h>
#include <string.h>

/* A handler may store only to lock-free atomics (C11 7.14.1.1). */
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int is not lock-free");

static atomic_int *g_flag;

static void on_stop(int sig)
{
    (void)sig;
    if (g_flag)
        atomic_store(g_flag, 1);
}

void sf_sig_install_cancel(atomic_int *flag)
{
    struct sigaction sa;
    g_flag = flag;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
