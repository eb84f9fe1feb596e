/*
 * msg_unref: the `scanfarm.unref/v1` message (a third document type on the
 * scanfarm.results topic, keyed by the digest or the ref): "this tag, or
 * this manifest, was deleted from the registry".
 *
 *   {"schema":"scanfarm.unref/v1","registry":"host[:port]","repository":"a/b",
 *    "digest":"sha256:...","tag":"v1","produced_at":"2026-...Z"}
 *
 * Exactly one of `digest` (a manifest delete: every tag of the repository
 * that pointed at it is gone) and `tag` (a tag delete) is set. The
 * coordinator publishes it for a registry delete event (coordinator/
 * events.h); the aggregator removes the refs from the fleet view
 * (sf_agg_apply_unref), so `query image` no longer answers for them.
 * Unknown fields are ignored on decode.
 */
#ifndef SF_MSG_UNREF_H
#define SF_MSG_UNREF_H

#include <stddef.h>

#include "base/err.h"

#define SF_UNREF_SCHEMA "scanfarm.unref/v1"

typedef struct sf_unref_msg {
    char *registry;
    char *repository;
    char *digest;      /* NULL for a tag delete */
    char *tag;         /* NULL for a manifest delete */
    char *produced_at;
} sf_unref_msg;

/* Encode m (malloc'd JSON). SF_EINVAL when a field is missing or invalid. */
int sf_unref_encode(const sf_unref_msg *m, char **json, size_t *len, sf_error *err);
/* Decode untrusted JSON (free with sf_unref_clear even on failure).
 * SF_EPARSE on malformed input or another schema. */
int sf_unref_decode(const char *json, size_t len, sf_unref_msg *out, sf_error *err);
/* 1 when the document may be an unref message (cheap byte search). */
int sf_unref_maybe(const char *json, size_t len);
void sf_unref_clear(sf_unref_msg *m);

#endif
