/*
 * events: scan on push. The coordinator's webhook intake (off unless
 * events_listen is set): registries POST their notifications, and each
 * tagged manifest push becomes a job on the priority topic within the
 * merge window, each delete a scanfarm.unref/v1 message (docs/events.md).
 *
 * Routes (events_http.h serves them):
 *   POST /v1/events/distribution   CNCF distribution notification envelope
 *   POST /v1/events/harbor         Harbor webhook (Default payload)
 *   POST /v1/events/acr            Azure Container Registry webhook
 *   POST /v1/events/cloudevents    CloudEvents 1.0 (Event Grid), one or a batch;
 *   OPTIONS /v1/events/cloudevents the CloudEvents webhook validation handshake
 *   GET  /healthz, GET /metrics    health and the events counters
 *
 * Authentication, per source: the source's token (events_token_<source>,
 * from the environment or a file) as "Authorization: Bearer <token>",
 * "Authorization: <token>" (Harbor's auth header is sent verbatim), or
 * "?token=<token>" in the URL for senders that can only be given a URL.
 * Compared in constant time; 401 otherwise; a source without a token is
 * refused (403). Malformed bodies: 400 with the reason, counted.
 *
 * Jobs: a push's digest is checked against the worker's cached result
 * (schedule.h, the enumeration's rule): when current, a scanfarm.refs/v1
 * message goes to the results topic instead of a job. Pushes of the same
 * digest arriving within events_merge_ms of the first are one job
 * carrying all their refs; a pending digest is published early when no
 * event arrived for events_quiet_ms (a serial sender such as
 * distribution's sends the next event only after the answer).
 *
 * Acknowledgement: a request is answered 200 only after every job, refs
 * or unref message its events produced has its Kafka delivery report;
 * 503 when delivery failed or took longer than events_ack_timeout_ms, so
 * the registry retries (a duplicate job is harmless: the worker answers
 * it from its cache, the aggregator ignores duplicate results).
 *
 * Event jobs carry run_id "push-<yyyymmddThh>" (UTC hour): the aggregator
 * treats the refs of push runs as additions (agg.h), never as the full
 * list of a digest's tags that an enumeration run is.
 */
#ifndef SF_COORD_EVENTS_H
#define SF_COORD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "config.h"
#include "fleet/runs.h"
#include "schedule.h"

/* Prefix of the run ids of event jobs (agg.c keys its additive refs rule
 * on it). */
#define SF_EVENTS_RUN_PREFIX SF_RUNS_PUSH_PREFIX
#define SF_TOPIC_JOBS_PRIORITY "scanfarm.jobs.priority"

typedef enum sf_ev_source {
    SF_SRC_DISTRIBUTION = 0,
    SF_SRC_HARBOR,
    SF_SRC_ACR,
    SF_SRC_CLOUDEVENTS,
    SF_SRC_N
} sf_ev_source;

typedef struct sf_events sf_events;

typedef struct sf_events_opts {
    const sf_coordcfg *cfg;  /* borrowed: events_*, kafka, results_topic, platforms */
    sf_sched *sched;         /* borrowed, may be NULL (every push is a job) */
} sf_events_opts;

/* Read the token files, connect the producer, start the listener.
 * SF_ECONFIG on a bad option or unreadable token file. */
int sf_events_new(sf_events **out, const sf_events_opts *o, sf_error *err);
/* The port bound (events_listen with port 0 picks one). */
int sf_events_port(const sf_events *ev);
/* Stop listening, publish what is pending, wait (bounded) for delivery
 * reports, free. NULL-safe. */
void sf_events_free(sf_events *ev);

typedef struct sf_events_stats {
    uint64_t requests, unauthorized, malformed, too_large;
    uint64_t pushes, deletes, ignored;
    uint64_t jobs, refs_msgs, unref_msgs; /* delivered */
    uint64_t merged_refs;   /* refs that joined an already pending job */
    uint64_t failed;        /* produce or delivery failures */
} sf_events_stats;

void sf_events_stats_get(sf_events *ev, sf_events_stats *out);

/* "push-<yyyymmddThh>" for the current UTC hour into out (>= 24 bytes). */
void sf_events_run_id(char *out, size_t cap);

/*
 * The authentication rule (unit-tested): 1 when the Authorization value
 * `auth` or the URL query carries `token`. token "" or NULL never matches.
 */
int sf_events_auth_ok(const char *token, const char *auth, const char *query);

#endif
