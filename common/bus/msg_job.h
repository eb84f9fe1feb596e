/*
 * msg_job: the `scanfarm.job/v1` message (value of the scanfarm.jobs
 * topic, keyed by digest) to and from JSON. Encoder and decoder walk the
 * same field table, so the two can never disagree about a field.
 *
 *   {"schema":"scanfarm.job/v1","run_id":"...","kind":"scan"|"rematch",
 *    "registry":"host[:port]","repository":"name","digest":"sha256:...",
 *    "refs":["host/repo:tag",...],"platforms":["linux/amd64",...],
 *    "enqueued_at":"2026-01-02T03:04:05.678Z",
 *    "manifest":"{...}","manifest_media_type":"application/vnd.oci..."}
 *
 * `registry`/`repository` name where to fetch the manifest (the first
 * ref); `refs` lists every registry/repo:tag that pointed at the digest
 * in this run. An empty `platforms` means the worker's default (every
 * linux platform). Unknown fields are ignored on decode (forward
 * compatibility within v1).
 *
 * `manifest` (optional, with `manifest_media_type`) is the root
 * manifest's exact bytes as the coordinator got them resolving the tag,
 * as a JSON string, when they are at most SF_LIM_JOB_MANIFEST bytes of
 * UTF-8 text: the worker then skips its GET of the root manifest, once it
 * has checked the bytes hash to `digest` (it never trusts them
 * otherwise). The field is an optimisation, so a decoder that finds it
 * unusable (not a string, too long, a NUL, no media type) drops both
 * fields with a warning and decodes the job without them; the worker
 * fetches as jobs without it always did.
 */
#ifndef SF_MSG_JOB_H
#define SF_MSG_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SF_JOB_SCHEMA "scanfarm.job/v1"

/* Refs carried by one job: a digest with more tags than this is still
 * scanned once; the extra refs are counted in refs_dropped on the
 * coordinator side. 10k refs x ~100 bytes stays far below 16 MiB. */
#define SF_JOB_MAX_REFS 10000
/* Platforms one job may ask for. */
#define SF_JOB_MAX_PLATFORMS 64

typedef enum sf_job_kind { SF_JOB_SCAN = 0, SF_JOB_REMATCH = 1 } sf_job_kind;

typedef struct sf_job {
    char *run_id;
    sf_job_kind kind;
    char *registry;
    char *repository;
    char *digest;
    char **refs;
    size_t nrefs;
    char **platforms;
    size_t nplatforms;
    char *enqueued_at; /* RFC 3339 UTC with milliseconds */
    /* Optional root manifest (NULL = not carried): manifest_len bytes of
     * UTF-8 text without NUL (NUL-terminated after them), and its media
     * type, both set or both NULL. Untrusted until hashed to digest. */
    char *manifest;
    size_t manifest_len;
    char *manifest_media_type;
} sf_job;

/* Longest manifest_media_type (real ones are < 80 bytes). */
#define SF_JOB_MEDIA_TYPE_MAX 255

/* 1 when data[0..n) may ride in a job as its manifest: at most
 * SF_LIM_JOB_MANIFEST bytes of valid UTF-8 without NUL (a JSON string
 * holds that exactly). */
int sf_job_manifest_ok(const char *data, size_t n);

/* Encode j to compact JSON (malloc'd, NUL-terminated). SF_EINVAL when a
 * required field is missing, the digest is malformed, or a manifest is
 * set that sf_job_manifest_ok refuses or lacks its media type. */
int sf_job_encode(const sf_job *j, char **json, size_t *len, sf_error *err);

/* Decode untrusted JSON into out (zeroed first; free with sf_job_clear
 * even on failure). SF_EPARSE on malformed input or a wrong schema,
 * SF_ELIMIT past the caps above. */
int sf_job_decode(const char *json, size_t len, sf_job *out, sf_error *err);

/* Free everything a decode allocated and zero j. */
void sf_job_clear(sf_job *j);

/* Name of a kind ("scan", "rematch"). */
const char *sf_job_kind_name(sf_job_kind k);

/* Current time as RFC 3339 UTC with milliseconds into out (>= 32 bytes). */
void sf_job_now(char *out, size_t outlen);

#endif
