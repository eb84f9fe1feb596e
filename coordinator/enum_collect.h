/*
 * enum_collect: the enumeration's collector (private to the
 * coordinator): the run's digest set, the merge window of jobs held to
 * gather more refs, and the producer calls. Resolver threads hand it
 * one repository's digest groups at a time; a digest's skip-current
 * verdict is asked for a whole repository before its lock is taken
 * (sf_ecol_precheck, one pipelined Redis exchange).
 *
 * Threads: every function may be called from any resolver thread; each
 * takes c->mu itself except sf_ecol_flush_locked, whose caller holds it.
 */
#ifndef SF_COORD_ENUM_COLLECT_H
#define SF_COORD_ENUM_COLLECT_H

#include <pthread.h>
#include <stddef.h>

#include "base/err.h"
#include "bus/kprod.h"
#include "config.h"
#include "digest_set.h"
#include "enum_resolve.h"
#include "run.h"
#include "schedule.h"

/* A digest's skip-current verdict. sf_ecol_precheck asks for a whole
 * repository's digests in one Redis exchange before the collector lock
 * is taken; what it could not ask is asked under the lock (ask_now). */
typedef struct sf_ecol_check {
    int done;               /* 0: not asked yet */
    sf_sched_verdict v;
    sf_sched_images im;     /* the result digests, on SF_SCHED_SKIP_CURRENT */
} sf_ecol_check;

typedef struct sf_ecol_pend {
    char *registry, *repo, *digest;
    sf_strlist refs;
    const sf_strlist *platforms; /* of the first registry; lives in cfg */
    sf_ecol_check pc;
    sf_rman *man; /* root manifest riding in the job, or NULL (owned) */
} sf_ecol_pend;

typedef struct sf_ecol {
    pthread_mutex_t mu;
    sf_dset *set;
    sf_ecol_pend *p;
    size_t np, capp;
    long held_refs;
    double held_since; /* run-relative time of the oldest held job */
    const sf_coordcfg *cfg;
    sf_kprod *prod;
    sf_sched *sched; /* NULL = publish every job */
    sf_kprod *refs_prod; /* refs messages of skipped digests; NULL = none */
    sf_run *run;
    int kafka_rc;
    sf_error kafka_err;
    sf_rman_budget budget; /* manifests held by resolved tags and pending jobs */
} sf_ecol;

/* One digest group of a repository: its tags are ix[start..end). */
typedef struct sf_ecol_group {
    const char *digest;
    size_t start, end;
    sf_ecol_check pc;
} sf_ecol_group;

/* Take one digest group (refs of one repository) into the collector,
 * with its verdict pc (when sf_ecol_precheck asked) and root manifest
 * *man (may be NULL): a new pending job takes both over, otherwise they
 * stay the caller's. Publishes held jobs when the window says so. */
void sf_ecol_collect(sf_ecol *c, const char *host, const char *repo, const char *digest,
                     char **refs, size_t n, const sf_strlist *platforms, sf_ecol_check *pc,
                     sf_rman **man);

/* Ask whether the digests of one repository's ng groups are current,
 * filling each group's pc (see enum_collect.c). */
void sf_ecol_precheck(sf_ecol *c, sf_ecol_group *g, size_t ng, const sf_strlist *platforms);

/* Publish every held job. Caller holds c->mu. */
void sf_ecol_flush_locked(sf_ecol *c);

#endif
