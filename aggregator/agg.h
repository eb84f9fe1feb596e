/*
 * agg: the aggregator. A consumer group ("scanfarm-agg") on
 * scanfarm.results and scanfarm.dlq that keeps the fleet view in Redis:
 * the latest result per digest, CVE -> digests, package -> versions ->
 * digests (the reverse index rematch uses), counts per registry /
 * repository / severity / fixable, and run progress.
 *
 * Push runs (run ids "push-...", fleet/runs.h) carry refs that
 * are additions, not a digest's full tag list: they join the stored refs
 * (agg.c merge_refs).
 *
 * Idempotence: an offset is committed only after its update is in Redis;
 * a redelivered or duplicated result is recognised by the replacement rule
 * of agg_view.h and changes nothing. Every update of the fleet view is one
 * guarded Lua script (compare the digest's stored order string, then apply
 * all operations), so concurrent aggregators and crashes mid-update cannot
 * leave half an image counted. The consumer loop applies what one poll
 * round brings as a batch (sf_agg_apply_batch, agg_batch.c): one guarded
 * script for many images, all or none, with the same effect.
 *
 * Redis layout (all on the node of shard key "<prefix>:agg", see keys.h):
 *   <p>:agg:views    HASH digest -> compact view JSON (refs with the run they
 *                    were seen in, findings, error, the package hash "ph")
 *   <p>:agg:pkgsof   HASH digest -> [[eco,name,version(,source)],...]
 *   <p>:agg:results  HASH digest -> the latest result document as received
 *   <p>:agg:order    HASH digest -> "<run rank>|<time>|<run>|<db>"
 *   <p>:agg:refs     HASH "registry/repo:tag" -> digest it last resolved to
 *                    (the index digest for a multi-arch tag)
 *   <p>:agg:index:<d> SET platform image digests of index d
 *   <p>:agg:counts   HASH counters: images errors vulnerable findings fixable
 *                    sev|<S>; the same under "reg|<registry>|" and
 *                    "repo|<registry>/<repo>|"; err|<kind>
 *   <p>:agg:cves     ZSET id -> number of images carrying it
 *   <p>:agg:cve:<id> SET digests carrying id
 *   <p>:agg:pkgnames ZSET package name -> (digest, eco, version) entries
 *   <p>:agg:pkg:<n>  SET "eco\x1fversion\x1fdigest"
 *   <p>:agg:src:<n>  SET "eco\x1fversion\x1fdigest\x1fbinary" (source package <n>)
 *   <p>:agg:runs     ZSET run id -> first seen (ms): the run rank
 *   <p>:agg:run:<r>:jobs     SET job keys with a result or a DLQ entry
 *   <p>:agg:run:<r>:images   SET digests with a result or a refs message in run r
 *   <p>:agg:run:<r>:progress HASH results dlq errors err|<kind> first_ms last_ms
 *                            current (refs messages)
 *   <p>:run:<r>:published    STRING job count, written by the coordinator
 *                            (sf_agg_set_published, fleet/runs.h)
 * A run is complete when SCARD jobs >= published.
 */
#ifndef SF_AGG_H
#define SF_AGG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "cache/kv.h"
#include "fleet/runs.h"

#define SF_AGG_GROUP "scanfarm-agg"
#define SF_TOPIC_RESULTS "scanfarm.results"
#define SF_TOPIC_DLQ "scanfarm.dlq"
#define SF_TOPIC_FINDINGS "scanfarm.findings"

typedef struct sf_agg sf_agg;

/* kv is borrowed; prefix NULL = "scanfarm". */
int sf_agg_new(sf_agg **out, sf_kv *kv, const char *prefix, sf_error *err);
void sf_agg_free(sf_agg *a);

typedef enum sf_agg_outcome {
    SF_AGG_APPLIED = 0, /* the result is now the digest's latest */
    SF_AGG_DUPLICATE,   /* same digest, run and DB version as the stored one */
    SF_AGG_STALE,       /* older than the stored one: ignored */
    SF_AGG_NOVIEW       /* refs message for images without a stored result */
} sf_agg_outcome;

/* Fold one `scanfarm.result/v1` document into the fleet view and its
 * run's progress. SF_EPARSE for a document that cannot be used (the
 * caller logs and skips it); SF_EREDIS when Redis failed (retry later). */
int sf_agg_apply_result(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                        sf_error *err);

/* Fold one `scanfarm.refs/v1` message (bus/msg_refs.h: the refs of a
 * digest the coordinator skipped as current) into the views of its
 * images, by the refs rule of agg_view.h (sf_agg_view_set_refs): refs of
 * a later run replace the image's refs (moved or deleted tags leave it,
 * the ref map follows), refs of the same run join them, older ones
 * change nothing. The images count as seen in the run (run:<r>:images,
 * so `report --run` shows them; progress field "current"); they are not
 * jobs and do not move the run's done count. SF_AGG_NOVIEW when no image
 * has a stored result (nothing to attach the refs to; logged). */
int sf_agg_apply_refs(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                      sf_error *err);

/* Fold one `scanfarm.unref/v1` message (bus/msg_unref.h: a registry
 * deleted a tag or a manifest) into the fleet view: the tag's ref, or
 * every ref of the repository pointing at the deleted manifest, leaves the
 * views of the digest and of its platform images (an index), and the ref
 * map (so `query image` no longer answers for it). The images stay in the
 * fleet totals, unreferenced, until they are scanned again or expire with
 * the next enumeration's refs. SF_AGG_APPLIED when a ref was removed,
 * SF_AGG_DUPLICATE when none was left to remove, SF_AGG_NOVIEW when the
 * ref or digest is unknown. */
int sf_agg_apply_unref(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                       sf_error *err);

/* Any message of the results topic, by its schema: a refs message
 * (*is_refs = 1), an unref message (*is_refs = 2) or a result. */
int sf_agg_apply(sf_agg *a, const char *json, size_t len, int *is_refs, sf_agg_outcome *out,
                 sf_error *err);

/* One message of a batch (sf_agg_apply_batch): json/len in, the rest out,
 * each as sf_agg_apply would have answered for it alone. */
typedef struct sf_agg_msg {
    const char *json;
    size_t len;
    int rc;                 /* SF_OK, or why the message is unusable (skip it) */
    int is_refs;            /* as sf_agg_apply */
    sf_agg_outcome outcome; /* when rc == SF_OK */
    sf_error err;           /* when rc != SF_OK */
} sf_agg_msg;

/* Fold messages m[0..n) of the results topic, in order, with the effect
 * of n sf_agg_apply calls: consecutive results are planned together and
 * applied by one guarded script per segment (agg_batch.c), refs and
 * unref messages one at a time between them. SF_OK: every m[i].rc is
 * set. SF_EREDIS / SF_ENOMEM: Redis or memory failed part way; apply the
 * whole batch again (each step is idempotent), commit nothing of it. */
int sf_agg_apply_batch(sf_agg *a, sf_agg_msg *m, size_t n, sf_error *err);

/* Count one scanfarm.dlq entry (the job plus a reason) as finished-with-
 * failure in its run. *added = 1 when the job had no result or DLQ entry
 * yet. */
int sf_agg_apply_dlq(sf_agg *a, const char *json, size_t len, int *added, sf_error *err);

/* The consumer loop of `scanfarm aggregate`. */
typedef struct sf_agg_loop_opts {
    const char *brokers;
    const char *group;         /* NULL = SF_AGG_GROUP */
    const char *results_topic; /* NULL = SF_TOPIC_RESULTS */
    const char *dlq_topic;     /* NULL = SF_TOPIC_DLQ; "" = do not consume */
    sf_kv *kv;
    const char *prefix;
    int once_idle_s;           /* > 0: return after this long without messages */
    const atomic_int *stop;    /* set to non-zero to stop (may be NULL) */
} sf_agg_loop_opts;

typedef struct sf_agg_loop_stats {
    uint64_t results, applied, duplicates, stale, bad, dlq;
    uint64_t refs;   /* refs messages (counted in applied/duplicates/stale too) */
    uint64_t noview; /* refs messages for images without a stored result */
    uint64_t unrefs; /* unref messages (deleted tags and manifests) */
} sf_agg_loop_stats;

int sf_agg_loop(const sf_agg_loop_opts *o, sf_agg_loop_stats *st, sf_error *err);

#endif
