/*
 * scan: one image, end to end. Resolve the reference, fetch the manifest
 * (an index fans out to its platform manifests), get each layer's
 * inventory (from a memo such as the fleet cache, or by streaming and
 * analysing the blob), assemble bottom-up, match against the DB, and
 * produce one report per platform manifest.
 *
 * Used by `scanfarm scan` (no cache) and by the worker (memo = Redis).
 *
 * Threads: one sf_scan_* call per image per thread; several threads may
 * scan at once with shared registry clients, DB and memo (each of those
 * is thread-safe, see registry.h, vdb.h, lcache.h). Inside a call the
 * engine starts its own layer threads (max_layer_parallel) and joins them
 * before returning; the memo's callbacks run on those threads.
 */
#ifndef SF_SCAN_H
#define SF_SCAN_H

#include <stddef.h>

#include "analyze/inventory.h"
#include "analyze/memo.h"
#include "base/buf.h"
#include "base/err.h"
#include "registry/registry.h"
#include "vuln/vdb.h"

typedef struct sf_scan_opts {
    const sf_vdb *db;           /* NULL: no vulnerability matching */
    const sf_layer_memo *memo;  /* NULL: analyse every layer */
    const char *const *platforms; /* "linux/amd64", "linux/arm64/v8"; NULL = every linux platform */
    size_t nplatforms;
    const char *run_id;         /* copied into results; may be NULL */
    const char *const *refs;    /* "registry/repo:tag" pointing at the image; may be NULL */
    size_t nrefs;
    int max_layer_parallel;     /* layers analysed at once per image (0 = 1) */
    const sf_reg_opts *reg_opts; /* template of the registry client a ref opens (NULL: defaults) */
    /* The root manifest as a job carried it (borrowed; NULL = none): used
     * instead of fetching the root only by sf_scan_registry with a digest
     * ref and only when the bytes hash to it; otherwise fetched as usual
     * (sf_scan_report_root tells which). Children of an index are always
     * fetched. */
    const char *root_manifest;
    size_t root_manifest_len;
    const char *root_media_type; /* its media type ("" or NULL: from the document) */
} sf_scan_opts;

/* The outcome of scanning one reference: one entry per platform manifest
 * (a single manifest gives one entry). Opaque. */
typedef struct sf_scan_report sf_scan_report;

/* Scan an image in a registry by repository and digest or tag. An image
 * that cannot be scanned still yields a report whose entries carry the
 * error; the return code is for failures to produce any report. */
int sf_scan_registry(sf_reg *reg, const char *repo, const char *ref, const sf_scan_opts *opts,
                     sf_scan_report **out, sf_error *err);

/* Scan a user reference: "registry/repo:tag", "registry/repo@digest",
 * "oci:<dir>[:tag]" or "docker-archive:<file>". */
int sf_scan_ref(const char *ref, const sf_scan_opts *opts, sf_scan_report **out, sf_error *err);

/* Where the root manifest came from. */
typedef enum sf_scan_root {
    SF_SCAN_ROOT_FETCHED = 0, /* the source (registry GET, layout, archive) */
    SF_SCAN_ROOT_CARRIED,     /* opts->root_manifest, verified against the digest */
    SF_SCAN_ROOT_MISMATCH,    /* opts->root_manifest did not hash to the digest: fetched */
} sf_scan_root;
sf_scan_root sf_scan_report_root(const sf_scan_report *r);

/* Number of platform results in the report. */
size_t sf_scan_report_count(const sf_scan_report *r);
/* The i-th result's manifest digest (borrowed). */
const char *sf_scan_report_digest(const sf_scan_report *r, size_t i);
/* The i-th result's error code (SF_OK when it scanned). */
int sf_scan_report_error(const sf_scan_report *r, size_t i);

void sf_scan_report_free(sf_scan_report *r);

/* The i-th result as a struct (borrowed; see bus/msg_result.h). */
typedef struct sf_result sf_result;
const sf_result *sf_scan_report_result(const sf_scan_report *r, size_t i);
/* The same, writable: for callers that post-process findings (the CLI's
 * suppressions move findings out of a result). */
sf_result *sf_scan_report_result_mut(sf_scan_report *r, size_t i);

/* sf_scan_ref with plain HTTP allowed for registry refs (always allowed
 * for localhost/127.0.0.1). */
int sf_scan_ref_insecure(const char *ref, int insecure, const sf_scan_opts *opts,
                         sf_scan_report **out, sf_error *err);

#endif
