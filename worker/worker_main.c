/*
 * scanfarm-worker: consume scan jobs, scan with the fleet-wide layer
 * cache, publish results. Configuration: see --help or
 * docs/worker-config.md. SIGTERM/SIGINT drain within --grace seconds.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "wconf.h"
#include "worker.h"
#include "wscan.h"

static void on_signal(int sig)
{
    (void)sig;
    sf_worker_signal_stop();
}

int main(int argc, char **argv)
{
    sf_wconf cfg;
    sf_error err = SF_ERROR_INIT;
    sf_wscan *scan = NULL;
    sf_worker *w = NULL;
    int code = 0;
    sf_log_init_from_env();
    if (sf_wconf_load(&cfg, argc, argv, &err) != SF_OK) {
        fprintf(stderr, "scanfarm-worker: %s\n", err.msg);
        sf_wconf_clear(&cfg);
        return 64;
    }
    if (sf_kconf_install(&cfg.kprops, &err) != SF_OK) {
        fprintf(stderr, "scanfarm-worker: %s\n", err.msg);
        sf_wconf_clear(&cfg);
        return 64;
    }
    sf_opt_cmd cmd = {.action = cfg.help         ? SF_OPT_HELP
                                : cfg.version      ? SF_OPT_VERSION
                                : cfg.print_config ? SF_OPT_PRINT_CONFIG
                                : cfg.print_docs   ? SF_OPT_PRINT_DOCS
                                                   : SF_OPT_RUN};
    if (sf_opt_act(sf_wconf_spec(), &cfg, &cmd, stdout)) {
        sf_wconf_clear(&cfg);
        return 0;
    }
    sf_log_level lvl;
    if (sf_log_parse_level(cfg.log_level, &lvl) == 0)
        sf_log_set_level(lvl);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sf_wscan_new(&scan, &cfg, &err) != SF_OK) {
        SF_ERROR("worker", "cannot start|error=\"%s\"", err.msg);
        code = 1;
        goto done;
    }
    sf_worker_scanner sc = sf_wscan_scanner(scan);
    if (sf_worker_new(&w, &cfg, &sc, &err) != SF_OK) {
        SF_ERROR("worker", "cannot start|error=\"%s\"", err.msg);
        code = 1;
        goto done;
    }
    int rc = sf_worker_run(w, &err);
    if (rc == SF_ETIMEOUT) {
        /* Jobs still running: leave them to redelivery; do not free what
         * their threads use. */
        SF_WARN("worker", "exiting with unfinished jobs|error=\"%s\"", err.msg);
        fflush(stderr);
        _exit(0);
    }
    if (rc != SF_OK) {
        SF_ERROR("worker", "stopped on error|error=\"%s\"", err.msg);
        code = 1;
    } else {
        SF_INFO("worker", "stopped cleanly");
    }
done:
    sf_worker_free(w);
    sf_wscan_free(scan);
    sf_wconf_clear(&cfg);
    return code;
}
