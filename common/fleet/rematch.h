/*
 * rematch: when a new vulnerability-DB version is loaded, re-match the
 * fleet's cached inventories without downloading a layer, and announce
 * only what changed.
 *
 * The aggregator's reverse index (package name -> (ecosystem, version,
 * digest), see agg.h) lists every distinct package in the fleet. Each
 * distinct (ecosystem, name, version) is matched ONCE against the new DB,
 * using the package record (source name, type) and OS facts of one image
 * that holds it, taken from that image's stored result. An image is
 * affected when, for one of its packages, the new findings differ from
 * the findings in its latest result; only affected images are touched:
 *
 *   - a `scanfarm.findings/v1` delta on scanfarm.findings (key: digest)
 *     listing the findings added and removed;
 *   - an updated `scanfarm.result/v1` on scanfarm.results (same packages,
 *     new findings, the new db_version and the rematch run id), so the
 *     aggregator and result subscribers converge on the new state.
 *
 * Unaffected images are recorded as current for the new DB in
 * <prefix>:agg:dbcurrent (HASH digest -> db_version) so the scheduler can
 * skip them.
 */
#ifndef SF_REMATCH_H
#define SF_REMATCH_H

#include <stddef.h>

#include "fleet/agg_view.h"
#include "base/err.h"
#include "base/pkg.h"
#include "bus/kprod.h"
#include "cache/kv.h"

#define SF_FINDINGS_SCHEMA "scanfarm.findings/v1"

/*
 * Match ONE package (with its image's OS facts, os may be NULL) against
 * the new DB: *out receives n findings (caller frees each field and the
 * array). The vdb-backed matcher is sf_rematch_vdb_matcher.
 */
typedef int (*sf_rematch_fn)(void *ctx, const sf_osinfo *os, const sf_pkg *pkg,
                             sf_agg_vuln **out, size_t *n, sf_error *err);

/* The matcher over an open sf_vdb (ctx = the sf_vdb *). */
int sf_rematch_vdb_matcher(void *ctx, const sf_osinfo *os, const sf_pkg *pkg, sf_agg_vuln **out,
                           size_t *n, sf_error *err);

typedef struct sf_rematch_opts {
    sf_kv *kv;
    const char *prefix;         /* NULL = "scanfarm" */
    sf_kprod *prod;             /* where deltas and results go */
    const char *findings_topic; /* NULL = scanfarm.findings */
    const char *results_topic;  /* NULL = scanfarm.results; "" = do not republish */
    const char *db_version;     /* version of the new DB (required) */
    const char *run_id;         /* run id of republished results (required) */
    sf_rematch_fn match;
    void *match_ctx;
} sf_rematch_opts;

typedef struct sf_rematch_stats {
    size_t packages;   /* distinct (ecosystem, name, version) matched */
    size_t images;     /* images in the fleet view */
    size_t affected;   /* images with a changed finding: one delta each */
    size_t added, removed; /* findings across all deltas */
    size_t unusable;   /* images whose stored result could not be read */
} sf_rematch_stats;

/* Run one rematch pass and wait until every message is acknowledged. */
int sf_rematch_run(const sf_rematch_opts *o, sf_rematch_stats *st, sf_error *err);

/* Free n findings as returned by a matcher. */
void sf_rematch_vulns_free(sf_agg_vuln *v, size_t n);

#endif
