/*
 * agg_dump: every key of an aggregator prefix and its contents as text,
 * for tests that prove two ways of applying the same results leave the
 * same fleet view (test_agg_compact, test_agg_rescan).
 */
#ifndef SF_T_AGG_DUMP_H
#define SF_T_AGG_DUMP_H

#include "base/buf.h"
#include "cache/kv.h"

/* One sorted line per key under prefix (the prefix cut off): its type
 * and its elements, sorted, hash fields with their values and sorted-set
 * members with their scores; run progress hashes (wall-clock stamps) are
 * left out. */
void sf_t_agg_dump(sf_kv *kv, const char *prefix, sf_buf *out);

/* 1 when the dumps are equal; else both are written to <name>.a.txt and
 * <name>.b.txt (for a diff) and 0. */
int sf_t_agg_same_dumps(const sf_buf *a, const sf_buf *b, const char *name);

#endif
