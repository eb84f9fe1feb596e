/*
 * runs: the run contract between the coordinator and the aggregator, as
 * kept in Redis (key layout in aggregator/agg.h): the coordinator writes
 * how many jobs it published for a run; the aggregator counts the jobs
 * with a result or a DLQ entry; a run is complete when done >= published.
 * Read by `scanfarm status`, the coordinator's scheduler and the rematch.
 *
 * Push runs: jobs from registry push events belong to one run per UTC
 * hour, named SF_RUNS_PUSH_PREFIX "<yyyymmddThh>" (coordinator/events.h
 * makes them). They are not enumeration runs: their refs are additions
 * (aggregator/agg.c) and "the latest run" skips them.
 *
 * Thread safety: functions take a shared sf_kv and keep no state.
 */
#ifndef SF_FLEET_RUNS_H
#define SF_FLEET_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "cache/kv.h"

#define SF_RUNS_PUSH_PREFIX "push-"

/* 1 when run is a push (event) run. */
int sf_runs_is_push(const char *run);

/* Coordinator side of the run contract: the number of jobs published for
 * run_id (SET, not incremented: re-publishing the count is idempotent). */
int sf_agg_set_published(sf_kv *kv, const char *prefix, const char *run_id, long long n,
                         sf_error *err);

typedef struct sf_agg_progress {
    long long published; /* -1: the coordinator has not said yet */
    long long done;      /* jobs with a result or a DLQ entry */
    long long results, dlq, errors;
    long long current;   /* digests skipped as current, confirmed by a refs message */
    int64_t first_ms, last_ms; /* first and last result seen by the aggregator */
    int complete;        /* published known and done >= published */
    char kinds[512];     /* "kind=n kind=n" of errors, for display */
} sf_agg_progress;

int sf_agg_progress_get(sf_kv *kv, const char *prefix, const char *run_id, sf_agg_progress *out,
                        sf_error *err);
/* Most recently started run known to the aggregator into out ("" none). */
int sf_agg_latest_run(sf_kv *kv, const char *prefix, char *out, size_t outlen, sf_error *err);

#endif
