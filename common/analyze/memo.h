/*
 * memo: the layer-memo interface between the scan engine and a store of
 * layer inventories. The engine (analyze/scan.h) asks a memo for each
 * layer; the fleet cache (cache/lcache.h) is one, `scanfarm scan` runs
 * without. Kept apart from scan.h so a memo needs only the inventory.
 *
 * Thread safety: get() is called from every scan thread at once; a memo
 * must allow that (lcache does).
 */
#ifndef SF_ANALYZE_MEMO_H
#define SF_ANALYZE_MEMO_H

#include "analyze/inventory.h"
#include "base/err.h"

/* Analyse one layer: called by a memo on a miss. Fills *out (caller frees). */
typedef int (*sf_layer_analyze_fn)(void *actx, sf_inventory **out, sf_error *err);

/*
 * Layer memo: where layer inventories come from. get() returns the
 * inventory of the layer (digest, diff_id) either from its store or by
 * calling analyze(actx, ...) — for the fleet cache, at most once across
 * all workers — and sets *cache_state to a static string: "hit", "miss"
 * (analysed here), "wait" (another worker analysed it) or "uncached"
 * (store unavailable, analysed here). A failed analysis is never stored.
 */
typedef struct sf_layer_memo {
    void *ctx;
    int (*get)(void *ctx, const char *digest, const char *diff_id, sf_layer_analyze_fn analyze,
               void *actx, sf_inventory **out, const char **cache_state, sf_error *err);
} sf_layer_memo;

#endif
