/*
 * coord_metrics: the coordinator's /metrics and /healthz (--metrics-port,
 * off by default; --metrics-addr). Besides scanfarm_build_info and
 * scanfarm_db_age_seconds (with --db), each finished run counts:
 *   scanfarm_coordinator_runs_total{outcome}   ok | partial | failed
 *   scanfarm_coordinator_jobs_published_total  jobs acknowledged by Kafka
 *   scanfarm_coordinator_skipped_current_total digests not published: current
 *   scanfarm_coordinator_last_run_timestamp_seconds
 *   scanfarm_coordinator_last_run_seconds      the run's duration
 * /healthz is 200 while the coordinator runs (503 once it stops).
 */
#ifndef SF_COORD_METRICS_H
#define SF_COORD_METRICS_H

#include "base/err.h"
#include "config.h"
#include "run.h"

typedef struct sf_coord_metrics sf_coord_metrics;

/* Start the endpoint when cfg asks for one (*out = NULL otherwise). */
int sf_coord_metrics_start(sf_coord_metrics **out, const sf_coordcfg *cfg, sf_error *err);
/* Count a finished run; rc is one_run's exit status (0 ok, 1 partial). */
void sf_coord_metrics_run(const sf_run *run, int rc, double seconds);
/* Mark unhealthy, stop and free. NULL-safe. */
void sf_coord_metrics_stop(sf_coord_metrics *m);

#endif
