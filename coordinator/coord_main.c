/*
 * scanfarm-coordinator: enumerate registries and publish scan jobs.
 *
 * Loads the configuration (file < environment < flags), then runs an
 * enumeration now and, unless --once, again every --interval. With
 * --events-listen it also serves registry webhooks (events.h) the whole
 * time; with no registry configured it only serves them. SIGINT /
 * SIGTERM stop the current run at the next request, wait for the
 * delivery reports of the jobs already produced, and exit.
 *
 * Exit status (--once): 0 every registry enumerated and every job
 * delivered; 1 some registry was skipped (the rest was delivered);
 * 2 failure (configuration, Kafka delivery); 130 interrupted.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/sig.h"
#include "base/time.h"
#include "bus/kprod.h"
#include "cache/kv.h"
#include "cache/cmac.h"
#include "config.h"
#include "coord_metrics.h"
#include "enumerate.h"
#include "events.h"
#include "run.h"
#include "schedule.h"
#include "vuln/vdb.h"
#include "sf_version.h"

static atomic_int g_cancel;

/* Sleep until the next run, waking early on a signal. */
static void wait_interval(long seconds) { sf_time_sleep_ms(seconds * 1000, &g_cancel); }

/* The scheduler of one run when Redis is configured (NULL otherwise).
 * The DB is opened per run, so a DB updated between runs takes effect at
 * the next one. A DB that cannot be opened disables skipping (every job
 * is published) but not the run. */
static sf_sched *run_sched(const sf_coordcfg *cfg, sf_kv *kv, const sf_cmac *mac)
{
    sf_sched *s = NULL;
    sf_vdb *db = NULL;
    sf_error err = SF_ERROR_INIT;
    if (!kv)
        return NULL;
    if (cfg->db && sf_vdb_open(&db, cfg->db, &err) != SF_OK)
        SF_WARN("coordinator", "vulnerability DB unreadable, every job is published|db=%s "
                               "error=\"%s\"", cfg->db, err.msg);
    sf_sched_opts so = {.kv = kv, .prefix = cfg->key_prefix,
                        .db_version = db ? sf_vdb_version(db) : NULL, .mac = mac,
                        .unauthenticated = cfg->cache_unauthenticated};
    sf_error_clear(&err);
    if (sf_sched_new(&s, &so, &err) != SF_OK)
        SF_WARN("coordinator", "no scheduler, every job is published|error=\"%s\"", err.msg);
    else
        SF_INFO("coordinator", "skip-current|db_version=%s key_prefix=%s",
                so.db_version ? so.db_version : "none", cfg->key_prefix);
    sf_vdb_close(db);
    return s;
}

/* Tell the aggregator how many jobs the run delivered (schedule.h). */
static void record_published(sf_sched *s, const sf_run *run)
{
    sf_error err = SF_ERROR_INIT;
    if (!s)
        return;
    if (sf_sched_record_published(s, run->id, run->jobs_delivered, &err) != SF_OK)
        SF_WARN("coordinator", "run job count not recorded|run_id=%s published=%ld error=\"%s\"",
                run->id, run->jobs_delivered, err.msg);
    else
        SF_INFO("coordinator", "run job count recorded|run_id=%s published=%ld", run->id,
                run->jobs_delivered);
}

static int one_run(const sf_coordcfg *cfg, sf_kprod *prod, sf_kprod *refs_prod, sf_kv *kv,
                   const sf_cmac *mac)
{
    sf_run run;
    sf_error err = SF_ERROR_INIT;
    sf_sched *sched = run_sched(cfg, kv, mac);
    double t0 = sf_time_mono_s();
    sf_run_begin(&run, cfg->run_id, cfg->progress);
    SF_INFO("coordinator", "run started|run_id=%s registries=%zu topic=%s", run.id, cfg->nregs,
            cfg->topic);
    int rc = sf_enumerate_run_sched(cfg, prod, sched, refs_prod, &run, &g_cancel, &err);
    /* Every delivered job will get a result or a DLQ entry, whatever
     * happened to the others: the count is right even for a failed run. */
    record_published(sched, &run);
    sf_sched_free(sched);
    sf_run_end(&run, stderr);
    int code = rc ? (rc == SF_ECANCELED ? 130 : 2) : run.registries_failed ? 1 : 0;
    sf_coord_metrics_run(&run, code, sf_time_mono_s() - t0);
    if (rc)
        SF_ERROR("coordinator", "run incomplete|run_id=%s error=\"%s\"", run.id, err.msg);
    return code;
}

int main(int argc, char **argv)
{
    sf_coordcfg cfg;
    sf_error err = SF_ERROR_INIT;
    sf_kprod *prod = NULL, *refs_prod = NULL;
    sf_kv *kv = NULL;
    sf_cmac *mac = NULL;
    sf_events *events = NULL;
    sf_sched *ev_sched = NULL;
    sf_coord_metrics *metrics = NULL;
    int status = 2;
    sf_opt_cmd cmd;
    sf_log_init_from_env();
    /* A bad option and a bad Kafka property are both usage errors. */
    if (sf_coordcfg_load(&cfg, argc, argv, &cmd, &err) != SF_OK ||
        sf_kconf_install(&cfg.kprops, &err) != SF_OK) {
        fprintf(stderr, "scanfarm-coordinator: %s\n", err.msg);
        sf_coordcfg_free(&cfg);
        return 64;
    }
    if (sf_opt_act(sf_coordcfg_spec(), &cfg, &cmd, stdout)) {
        status = 0;
        goto done;
    }
    sf_log_level lvl;
    if (cfg.log_level && sf_log_parse_level(cfg.log_level, &lvl) == 0)
        sf_log_set_level(lvl);
    if (cfg.debug)
        sf_log_set_debug(cfg.debug);
    if (cfg.nregs == 0 && !cfg.events.listen) {
        fprintf(stderr, "scanfarm-coordinator: no registry configured (--registry URL or a "
                        "config file with \"registries\") and no --events-listen\n");
        status = 64;
        goto done;
    }
    sf_sig_install_cancel(&g_cancel);
    if (sf_coord_metrics_start(&metrics, &cfg, &err)) {
        fprintf(stderr, "scanfarm-coordinator: metrics: %s\n", err.msg);
        goto done;
    }
    /* Jobs are published in bursts as tags resolve: batch them
     * (kprod.h SF_KPROD_LINGER_BULK_MS). */
    sf_kprod_opts po = {.brokers = cfg.kafka, .client_id = "scanfarm-coordinator",
                        .linger_ms = SF_KPROD_LINGER_BULK_MS};
    if (sf_kprod_new(&prod, &po, &err)) {
        fprintf(stderr, "scanfarm-coordinator: %s\n", err.msg);
        goto done;
    }
    sf_kprod_prepare(prod, cfg.topic, 2000); /* the first jobs go out at once */
    if (cfg.redis.n && sf_cmac_load(&mac, cfg.cache_secret_file, cfg.cache_secret, &err)) {
        fprintf(stderr, "scanfarm-coordinator: %s\n", err.msg);
        goto done;
    }
    if (cfg.redis.n && !mac && !cfg.cache_unauthenticated)
        SF_WARN("coordinator", "no cache secret: cached results are not trusted, every digest "
                "is published|");
    if (cfg.redis.n) {
        sf_kv_opts ko = {.nodes = (const char *const *)cfg.redis.v, .nnodes = cfg.redis.n,
                         /* A check must never stall the crawl: publish on doubt. */
                         .connect_timeout_ms = 300, .command_timeout_ms = 1000, .pool_size = 4,
                         .username = cfg.redis_username, .password = cfg.redis_password,
                         .password_file = cfg.redis_password_file,
                         .tls_ca_file = cfg.redis_tls_ca_file,
                         .tls_cert_file = cfg.redis_tls_cert_file,
                         .tls_key_file = cfg.redis_tls_key_file,
                         .tls_server_name = cfg.redis_tls_server_name,
                         .cluster = cfg.redis_cluster};
        if (sf_kv_new(&kv, &ko, &err)) {
            fprintf(stderr, "scanfarm-coordinator: %s\n", err.msg);
            goto done;
        }
        /* Refs of digests skipped as current go to the results topic
         * through a producer of their own (enumerate.h). */
        sf_kprod_opts ro = {.brokers = cfg.kafka, .client_id = "scanfarm-coordinator-refs"};
        if (cfg.db && sf_kprod_new(&refs_prod, &ro, &err)) {
            fprintf(stderr, "scanfarm-coordinator: %s\n", err.msg);
            goto done;
        }
        if (refs_prod)
            sf_kprod_prepare(refs_prod, cfg.results_topic, 2000);
    }
    if (cfg.events.listen) {
        /* One scheduler for the listener's lifetime: the DB version it
         * skips for is read at start (restart to follow a new DB). */
        ev_sched = run_sched(&cfg, kv, mac);
        sf_events_opts eo = {.cfg = &cfg, .sched = ev_sched};
        if (sf_events_new(&events, &eo, &err)) {
            fprintf(stderr, "scanfarm-coordinator: %s\n", err.msg);
            status = 64;
            goto done;
        }
        if (cfg.nregs == 0) {
            while (!g_cancel)
                wait_interval(1);
            status = 0;
            goto done;
        }
    }
    for (;;) {
        status = one_run(&cfg, prod, refs_prod, kv, mac);
        if (cfg.once || g_cancel)
            break;
        SF_INFO("coordinator", "next run scheduled|in_seconds=%ld", cfg.interval_s);
        wait_interval(cfg.interval_s);
        if (g_cancel)
            break;
    }
done:
    sf_events_free(events); /* before the scheduler and Redis it borrows */
    sf_sched_free(ev_sched);
    sf_coord_metrics_stop(metrics);
    sf_kprod_free(refs_prod);
    sf_kprod_free(prod);
    sf_kv_free(kv);
    sf_cmac_free(mac);
    sf_coordcfg_free(&cfg);
    return status;
}
