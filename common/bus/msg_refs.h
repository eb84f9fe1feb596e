/*
 * msg_refs: the `scanfarm.refs/v1` message (a second document type on the
 * scanfarm.results topic, keyed by the job digest) to and from JSON.
 *
 *   {"schema":"scanfarm.refs/v1","run_id":"...","digest":"sha256:...",
 *    "images":["sha256:...",...],"refs":["host/repo:tag",...],
 *    "platforms":[...],"db_version":"...","produced_at":"2026-...Z"}
 *
 * Why it exists: the coordinator does not publish a job for a digest whose
 * cached result is current (coordinator/schedule.h), so no result would
 * tell the aggregator which refs point at that digest in this run: a new
 * tag, repository or mirror on an already-scanned digest would stay
 * invisible, and a tag removed from it would stay listed. Instead the
 * coordinator publishes this small message: "in run_id, these refs
 * resolved to digest, whose current results are those of `images`".
 * `digest` is what the tags resolve to (an index or a manifest); `images`
 * are the digests of the results the worker's cache entry holds (one per
 * platform for an index, the digest itself for a manifest), i.e. the
 * digests the aggregator keys its fleet view by. `refs` is the complete
 * list seen in the run (like a job's), so it replaces older refs.
 * `db_version` is the DB version the results are current for.
 *
 * Readers of scanfarm.results must dispatch on `schema`; unknown fields
 * are ignored on decode (forward compatibility within v1).
 */
#ifndef SF_MSG_REFS_H
#define SF_MSG_REFS_H

#include <stddef.h>

#include "base/err.h"

#define SF_REFS_SCHEMA "scanfarm.refs/v1"

/* Image digests of one refs message: one per platform of an index. */
#define SF_REFS_MAX_IMAGES 256

typedef struct sf_refs_msg {
    char *run_id;
    char *digest;      /* what the refs resolve to (the job key) */
    char **images;     /* result digests the refs apply to */
    size_t nimages;
    char **refs;       /* every registry/repo:tag of digest in this run */
    size_t nrefs;
    char **platforms;  /* as a job's: empty = every linux platform */
    size_t nplatforms;
    char *db_version;  /* the results are current for this DB version */
    char *produced_at; /* RFC 3339 UTC with milliseconds */
} sf_refs_msg;

/* Encode m to compact JSON (malloc'd, NUL-terminated). SF_EINVAL when a
 * required field is missing or a digest is malformed; SF_ELIMIT past the
 * caps (SF_JOB_MAX_REFS refs, SF_REFS_MAX_IMAGES images). */
int sf_refs_encode(const sf_refs_msg *m, char **json, size_t *len, sf_error *err);

/* Decode untrusted JSON into out (zeroed first; free with sf_refs_clear
 * even on failure). SF_EPARSE on malformed input or another schema,
 * SF_ELIMIT past the caps. */
int sf_refs_decode(const char *json, size_t len, sf_refs_msg *out, sf_error *err);

/* 1 when the document's top-level "schema" may be SF_REFS_SCHEMA (a cheap
 * byte search used to dispatch; sf_refs_decode decides). */
int sf_refs_maybe(const char *json, size_t len);

/* Free everything a decode allocated and zero m. */
void sf_refs_clear(sf_refs_msg *m);

#endif
