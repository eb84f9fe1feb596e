/*
 * scan: one image, end to end. Resolve the reference, fetch the manifest
 * (an index fans out to its platform manifests), get each layer's
 * inventory (from a memo such as the fleet cache, or by streaming and
 * analysing the blob), assemble bottom-up, match against the DB, and
 * produce one report per platform manifest.
 *
 * Used by `scanfarm scan` (no cache) and by the worker (memo = Redis).
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
