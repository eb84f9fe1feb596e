/*
 * run: one enumeration run of the coordinator: its id, its counters
 * (updated from many threads, so atomics), the live progress line on a
 * TTY, and the final summary as one structured log line plus one line
 * for humans.
 */
#ifndef SF_COORD_RUN_H
#define SF_COORD_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "base/err.h"

#define SF_RUN_ERR_SLOTS (1 - SF_ECODE_MIN)

typedef struct sf_run {
    char id[64];
    double t0;               /* monotonic start */
    double enum_seconds;     /* until every tag was resolved (before the
                              * final wait for delivery reports) */
    long registries;         /* enumerated (or attempted) */
    long registries_failed;  /* skipped after failing */
    long repositories;       /* selected repositories */
    long tags;               /* tags listed */
    long tags_selected;      /* after tag filters */
    long tags_resolved;      /* with a digest */
    long digests;            /* unique digests */
    long jobs;               /* produced to Kafka */
    long jobs_delivered;     /* acknowledged */
    long skipped_current;    /* not published: cached result is current (schedule.h) */
    long skip_check_errors;  /* Redis failed the check: published anyway */
    long refs_msgs;          /* refs messages produced for skipped digests */
    long refs_msgs_delivered; /* of those, acknowledged */
    long refs_late;          /* refs of a digest already published this run */
    long refs_dropped;       /* refs past SF_JOB_MAX_REFS in one job */
    long requests;           /* HTTP transfers */
    long errors[SF_RUN_ERR_SLOTS]; /* by -code */
    int progress;            /* draw the progress line */
    atomic_int stop;
    int have_thread;
    pthread_t thread;
} sf_run;

/*
 * Start a run: id = fixed_id, or "run-<UTC yyyymmddThhmmssZ>-<6 hex>".
 * progress: "auto" (when stderr is a TTY), "always" or "never".
 */
void sf_run_begin(sf_run *r, const char *fixed_id, const char *progress);

/* Count one error of the given code. */
void sf_run_error(sf_run *r, int code);

/* Atomically add n to a counter of r. */
static inline void sf_run_add(long *counter, long n)
{
    __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

/* Total errors. */
long sf_run_errors_total(const sf_run *r);

/* Stop the progress line and print the summary: a structured log line
 * (always) and a human line to human (when not NULL). */
void sf_run_end(sf_run *r, FILE *human);

/* Seconds since the run began. */
double sf_run_elapsed(const sf_run *r);

#endif
