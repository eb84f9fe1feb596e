/* coord_metrics: see coord_metrics.h. */
#include "coord_metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/metrics.h"
#include "vuln/vdb.h"

struct sf_coord_metrics {
    sf_httpd *httpd;
    atomic_int stopping;
    const char *db; /* borrowed from the config */
};

static int route_metrics(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    sf_coord_metrics *m = ctx;
    (void)req;
    *ct = "text/plain; version=0.0.4; charset=utf-8";
    if (m->db) { /* the file may be replaced between runs: its age now */
        sf_vdb *db = NULL;
        if (sf_vdb_open(&db, m->db, NULL) == SF_OK)
            sf_buildinfo_db_age(sf_metrics_default(), sf_vdb_built(db));
        sf_vdb_close(db);
    }
    return sf_metrics_render(sf_metrics_default(), body) == SF_OK ? 200 : 500;
}

static int route_healthz(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    sf_coord_metrics *m = ctx;
    (void)req;
    *ct = "text/plain; charset=utf-8";
    int stopping = atomic_load(&m->stopping);
    return sf_buf_puts(body, stopping ? "stopping\n" : "ok\n") == SF_OK && !stopping ? 200 : 503;
}

int sf_coord_metrics_start(sf_coord_metrics **out, const sf_coordcfg *cfg, sf_error *err)
{
    *out = NULL;
    sf_buildinfo_register(sf_metrics_default(), "scanfarm-coordinator");
    if (cfg->metrics_port <= 0)
        return SF_OK;
    sf_coord_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    m->db = cfg->db;
    sf_httpd_route routes[] = {{"/metrics", route_metrics, m}, {"/healthz", route_healthz, m}};
    int rc = sf_httpd_start(&m->httpd, cfg->metrics_addr ? cfg->metrics_addr : "0.0.0.0",
                            cfg->metrics_port, routes, 2, err);
    if (rc != SF_OK) {
        free(m);
        return rc;
    }
    *out = m;
    return SF_OK;
}

void sf_coord_metrics_run(const sf_run *run, int rc, double seconds)
{
    sf_metrics *reg = sf_metrics_default();
    sf_mfam *runs = sf_metrics_counter(reg, "scanfarm_coordinator_runs_total",
                                       "Runs finished, by outcome (ok, partial, failed)", "outcome");
    sf_mfam *jobs = sf_metrics_counter(reg, "scanfarm_coordinator_jobs_published_total",
                                       "Scan jobs acknowledged by Kafka", NULL);
    sf_mfam *skipped = sf_metrics_counter(reg, "scanfarm_coordinator_skipped_current_total",
                                          "Digests not published: their result is current", NULL);
    sf_mfam *last = sf_metrics_gauge(reg, "scanfarm_coordinator_last_run_timestamp_seconds",
                                     "When the last run finished (unix seconds)", NULL);
    sf_mfam *dur = sf_metrics_gauge(reg, "scanfarm_coordinator_last_run_seconds",
                                    "Duration of the last run", NULL);
    sf_metric_inc(runs, rc == 0 ? "ok" : rc == 1 ? "partial" : "failed");
    sf_metric_add(jobs, NULL, (double)run->jobs_delivered);
    sf_metric_add(skipped, NULL, (double)run->skipped_current);
    sf_metric_set(last, NULL, (double)time(NULL));
    sf_metric_set(dur, NULL, seconds);
}

void sf_coord_metrics_stop(sf_coord_metrics *m)
{
    if (!m)
        return;
    atomic_store(&m->stopping, 1);
    sf_httpd_stop(m->httpd);
    free(m);
}
