/*
 * schedule: the coordinator's use of Redis (optional, --redis).
 *
 * 1. Skip-current, the promise of the 24 h rescan: before a job is
 *    published for a digest, the worker's whole-image entry
 *    <prefix>:image:<digest> (written by sf_lcache_image_put) is read.
 *    When it holds results matched against the current DB version, for
 *    the job's platforms, by this build's analyzer set, the worker would
 *    only answer the job from that entry, so the job is not published.
 *    The registry was asked nothing beyond the tag HEAD of enumeration.
 *    Any doubt publishes: Redis down or slow, a corrupt or oversized
 *    entry, another analyzer version, no --db given.
 * 2. The run contract with the aggregator: after the run's delivery
 *    reports, <prefix>:run:<run>:published is SET (sf_agg_set_published)
 *    to the number of jobs DELIVERED. Skipped jobs are not counted: they
 *    will never have a result or a DLQ entry, and the aggregator declares
 *    a run complete when results + DLQ entries >= published. Their refs
 *    reach the aggregator as scanfarm.refs/v1 messages (enumerate.h).
 *
 * The worker's entry version is "<db version>|<platforms joined by ','>"
 * (the job's platforms, or the worker's own when the job has none); the
 * coordinator expects the job's platforms, so a worker configured with
 * its own --platform is never skipped for (safe, only slower).
 *
 * Thread safety: sf_sched_check and sf_sched_check_many may be called from
 * several threads.
 */
#ifndef SF_COORD_SCHEDULE_H
#define SF_COORD_SCHEDULE_H

#include <stddef.h>

#include "base/err.h"
#include "cache/cmac.h"
#include "cache/kv.h"

typedef struct sf_sched sf_sched;

/* What to do with one job. */
typedef enum sf_sched_verdict {
    SF_SCHED_PUBLISH_ABSENT = 0, /* no entry for the digest */
    SF_SCHED_PUBLISH_STALE,      /* entry for another DB/analyzer version or platforms */
    SF_SCHED_PUBLISH_ERROR,      /* Redis failed or the entry is unusable: publish on doubt */
    SF_SCHED_SKIP_CURRENT        /* the entry is current: do not publish */
} sf_sched_verdict;

/* Largest image entry read (the worker's cache default cap). */
#define SF_SCHED_MAX_ENTRY (64u << 20)

typedef struct sf_sched_opts {
    sf_kv *kv;                    /* borrowed, required */
    const char *prefix;           /* NULL = "scanfarm" */
    const char *db_version;       /* current DB version; NULL = never skip */
    const char *analyzer_version; /* NULL = sf_analyzers_version() */
    const sf_cmac *mac;           /* the workers' cache secret (borrowed); NULL = none */
    int unauthenticated;          /* with mac NULL: 1 = trust unsealed entries, 0 = skip
                                     nothing (an entry anyone could have written) */
} sf_sched_opts;

int sf_sched_new(sf_sched **out, const sf_sched_opts *o, sf_error *err);
void sf_sched_free(sf_sched *s);

/*
 * The verdict for a job of digest with the given platforms (as in the
 * job; n may be 0). err (may be NULL) receives the reason of
 * SF_SCHED_PUBLISH_ERROR.
 */
sf_sched_verdict sf_sched_check(sf_sched *s, const char *digest, char *const *platforms,
                                size_t nplatforms, sf_error *err);

/*
 * The pure decision on a GET's outcome (unit-tested): lookup_rc is the
 * GET's return code, found/val/len its answer (a zstd-compressed
 * scanfarm.image/v1 document); want_version is "<db>|<platforms>" (NULL =
 * never skip), analyzer_version the expected analyzer set version.
 */
sf_sched_verdict sf_sched_decide(int lookup_rc, int found, const void *val, size_t len,
                                 const char *want_version, const char *analyzer_version,
                                 sf_error *err);

/* The result digests of a current entry (sf_sched_check_images): the
 * digests the aggregator keys its views by. Free with sf_sched_images_clear. */
typedef struct sf_sched_images {
    char **v;
    size_t n;
} sf_sched_images;

void sf_sched_images_clear(sf_sched_images *im);

/*
 * sf_sched_check, also giving (when the verdict is SF_SCHED_SKIP_CURRENT
 * and images is not NULL) the digest of every result in the entry. An
 * entry is current only when each of its results names a valid digest
 * that is the job's digest or whose index_digest is; anything else
 * publishes (the worker would not answer the job from it either).
 */
sf_sched_verdict sf_sched_check_images(sf_sched *s, const char *digest, char *const *platforms,
                                       size_t nplatforms, sf_sched_images *images,
                                       sf_error *err);

/* Jobs checked per Redis exchange by sf_sched_check_many (at most
 * SF_KV_GET_MANY_MAX): bounds the entries held at once. */
#define SF_SCHED_BATCH 64

/* One job of sf_sched_check_many. */
typedef struct sf_sched_item {
    const char *digest;      /* in */
    char *const *platforms;  /* in, as in the job */
    size_t nplatforms;
    sf_sched_verdict verdict; /* out */
    sf_sched_images images;  /* out: on SF_SCHED_SKIP_CURRENT (sf_sched_images_clear) */
    sf_error err;            /* out: the reason of SF_SCHED_PUBLISH_ERROR */
} sf_sched_item;

/*
 * sf_sched_check_images of it[0..n) with one pipelined Redis exchange per
 * node and per SF_SCHED_BATCH jobs, instead of one round trip per job:
 * the same verdict each, and the same rule (a job whose lookup failed,
 * timed out or found an unusable entry gets SF_SCHED_PUBLISH_ERROR, the
 * others are not affected). Thread-safe like sf_sched_check.
 */
void sf_sched_check_many(sf_sched *s, sf_sched_item *it, size_t n);

/* sf_sched_decide for a job of job_digest, filling images (may be NULL)
 * on SF_SCHED_SKIP_CURRENT (unit-tested). */
sf_sched_verdict sf_sched_decide_images(int lookup_rc, int found, const void *val, size_t len,
                                        const char *want_version, const char *analyzer_version,
                                        const char *job_digest, sf_sched_images *images,
                                        sf_error *err);

/* The DB version s skips for (the refs message's db_version); NULL when
 * s never skips. */
const char *sf_sched_db_version(const sf_sched *s);

/* "<db>|<p1,p2>" into out; SF_ELIMIT when it does not fit. */
int sf_sched_version(char *out, size_t cap, const char *db_version, char *const *platforms,
                     size_t nplatforms);

/* Record the run's delivered job count for the aggregator. */
int sf_sched_record_published(sf_sched *s, const char *run_id, long long n, sf_error *err);

/* Name of a verdict for logs ("absent", "stale", "error", "current"). */
const char *sf_sched_verdict_name(sf_sched_verdict v);

#endif
