/*
 * lcache: the fleet-wide layer cache in Redis, an sf_layer_memo
 * (analyze/memo.h) for the scan engine. Its promise: a layer shared by any number of images and
 * workers is analysed once for the whole fleet.
 *
 *   get(digest):  GET layer key -> "hit"; else, only when this fleet
 *                 itself verified digest -> diff_id before (the
 *                 layer-verified pair equals the claimed diff_id), the
 *                 diff_id index -> the same content's other blob -> "hit"
 *   miss:         SET lock NX PX <lock_ttl> with a unique owner id
 *     won:        analyse while a renewer thread extends the lock every
 *                 lock_ttl/3; store the encoded inventory with a TTL and
 *                 the diff_id index; publish a notice; delete the lock
 *                 only if still its owner (Lua compare-and-delete) -> "miss"
 *     lost:       poll the layer key with exponential backoff and jitter;
 *                 retry the lock each round, so a holder that died (its
 *                 lock expired) is taken over -> "wait" (or "miss")
 *   Redis down, slow or erroring at any step: analyse here without the
 *   cache, log and count it -> "uncached". The next call tries Redis again
 *   (kv backs off), so the cache refills by itself when Redis returns.
 *
 * A failed analysis (analyze() error, or an inventory with error_code) is
 * never stored, so a corrupt download cannot poison the fleet.
 *
 * Claimed vs verified diff_ids (issue 12, item 7). An image's config may
 * name any diff_id; trusting it would let a new blob borrow the inventory
 * of another, already cached layer. So the cache key is always the blob
 * digest that is fetched, and the diff_id index is consulted only when a
 * layer-verified record (written after a successful analysis, which
 * verified the decompressed bytes against diff_id) pairs this digest with
 * the diff_id asked for. analyze() must therefore fail when diff_id is
 * given and does not match (sf_layer does).
 *
 * Integrity (item 8). Every value is sealed with the farm secret
 * (cache/cmac.h) over its key and the analyzer version. A value that is
 * not sealed, or sealed with another secret, for another key or version,
 * is never used: it counts as a MAC failure (metric
 * scanfarm_cache_mac_failures_total{kind}) and the lookup is a miss, so
 * the layer is analysed and its entry rewritten. Without a secret the
 * cache is off (every layer "uncached") unless unauthenticated mode is
 * asked for explicitly.
 *
 * Also the whole-image shortcut: the last results of an image digest with
 * the DB version they were matched against (sf_lcache_image_get/put).
 *
 * Thread safety: one sf_lcache is shared by every scan thread.
 */
#ifndef SF_LCACHE_H
#define SF_LCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/inventory.h"
#include "analyze/memo.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/metrics.h"
#include "cache/cmac.h"
#include "cache/kv.h"

typedef struct sf_lcache sf_lcache;

/* How inventories become bytes: the worker passes sf_inventory_encode /
 * sf_inventory_decode (zstd-compressed JSON); tests may pass their own. */
typedef int (*sf_lcache_encode_fn)(const sf_inventory *inv, sf_buf *out);
typedef int (*sf_lcache_decode_fn)(sf_inventory **out, const void *data, size_t len,
                                   sf_error *err);

typedef struct sf_lcache_opts {
    sf_kv *kv;                    /* borrowed, required; outlives the cache */
    const char *prefix;           /* key prefix; NULL = "scanfarm" */
    const char *analyzer_version; /* required: part of every layer key */
    sf_lcache_encode_fn encode;   /* required */
    sf_lcache_decode_fn decode;   /* required */
    long long ttl_ms;             /* TTL of inventories, index and image entries (0 = 7 days) */
    long long lock_ttl_ms;        /* lock lifetime without renewal (0 = 30 s) */
    long long wait_max_ms;        /* longest wait on another holder (0 = 30 min) */
    long poll_min_ms;             /* first poll interval while waiting (0 = 25) */
    long poll_max_ms;             /* poll interval cap (0 = 500) */
    size_t max_value_bytes;       /* largest cached value accepted (0 = 64 MiB) */
    const char *owner_tag;        /* prefix of lock owner ids (NULL = "<host>:<pid>") */
    sf_metrics *metrics;          /* NULL = sf_metrics_default() */
    const sf_cmac *mac;           /* farm secret (borrowed; outlives the cache); NULL = none */
    int unauthenticated;          /* with mac NULL: 1 = use the cache without MACs (values
                                     are neither sealed nor checked), 0 = cache off */
} sf_lcache_opts;

/* Counters since creation (also exported as metrics). */
typedef struct sf_lcache_stats {
    uint64_t hits, misses, waits, uncached; /* outcomes of get() */
    uint64_t analyses;        /* analyze() calls made by this process */
    uint64_t analysis_errors; /* failed analyses (never stored) */
    uint64_t takeovers;       /* locks won after waiting on another owner */
    uint64_t lost_locks;      /* renewals that found the lock taken */
    uint64_t redis_errors;    /* failed Redis operations */
    uint64_t corrupt;         /* cached values that did not decode */
    uint64_t mac_failures;    /* values ignored for a missing or bad MAC (once per kind
                                 and get() call) */
    uint64_t stored_bytes;    /* encoded bytes written */
} sf_lcache_stats;

int sf_lcache_new(sf_lcache **out, const sf_lcache_opts *opts, sf_error *err);
/* Stops the renewer thread. No get() may be running. */
void sf_lcache_free(sf_lcache *lc);

/* The memo interface for sf_scan_opts.memo (ctx = lc). */
sf_layer_memo sf_lcache_memo(sf_lcache *lc);

/*
 * The inventory of layer (digest, diff_id) — see the file comment. diff_id
 * may be NULL. *cache_state: "hit", "miss", "wait" or "uncached" (static).
 * Returns analyze()'s error when the layer had to be analysed and failed;
 * Redis failures never fail the call.
 */
int sf_lcache_get(sf_lcache *lc, const char *digest, const char *diff_id,
                  sf_layer_analyze_fn analyze, void *actx, sf_inventory **out,
                  const char **cache_state, sf_error *err);

void sf_lcache_get_stats(sf_lcache *lc, sf_lcache_stats *st);

/*
 * Whole-image shortcut. put: store the n result documents of image digest
 * matched against db_version (zstd-compressed JSON, TTL as inventories).
 * get: *found = 1 and *results (n malloc'd NUL-terminated strings in a
 * malloc'd array; free with sf_lcache_results_free) when an entry exists
 * for exactly this db_version and analyzer version.
 */
int sf_lcache_image_put(sf_lcache *lc, const char *digest, const char *db_version,
                        const char *const *results, size_t n, sf_error *err);
int sf_lcache_image_get(sf_lcache *lc, const char *digest, const char *db_version,
                        char ***results, size_t *n, int *found, sf_error *err);
void sf_lcache_results_free(char **results, size_t n);

#endif
