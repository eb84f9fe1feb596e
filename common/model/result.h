/*
 * result: one scanned image manifest (one platform) — what the analysis
 * engine (analyze/scan.h) produces, the worker publishes and the
 * aggregator folds into the fleet view. Its document form,
 * `scanfarm.result/v1`, is bus/msg_result.h; this is the data and the
 * package URLs every output names packages by.
 *
 * Thread safety: plain data, owned by whoever holds it.
 */
#ifndef SF_MODEL_RESULT_H
#define SF_MODEL_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/pkg.h"
#include "model/finding.h"
#include "model/severity.h"

#define SF_RESULT_SCHEMA "scanfarm.result/v1"

typedef struct sf_result_layer {
    char *digest;   /* blob digest (docker-archive: the diff_id) */
    char *diff_id;
    uint64_t size;
    char *cache;    /* "hit", "miss", "wait", "uncached" */
    char *error;    /* why this layer failed, or NULL */
} sf_result_layer;

typedef struct sf_result_note {
    char *path, *analyzer, *note;
    int status; /* sf_src_status */
    int layer;
} sf_result_note;

typedef struct sf_result_timings {
    double total_ms, manifest_ms, layers_ms, assemble_ms, match_ms;
} sf_result_timings;

typedef struct sf_result {
    char *run_id;
    char *digest;       /* the image manifest's digest */
    char *index_digest; /* the index it was selected from, or NULL */
    char *platform;     /* "linux/amd64" */
    char **refs;
    size_t nrefs;
    int has_os;
    sf_osinfo os;
    sf_pkg *pkgs;
    size_t npkgs;
    sf_findings vulns;
    sf_result_layer *layers;
    size_t nlayers;
    sf_result_note *notes;
    size_t nnotes;
    char *db_version;   /* NULL when not matched */
    char *analyzer_version;
    char *scanner_version;
    char *scanned_at;   /* RFC 3339 UTC */
    sf_result_timings timings;
    int error_code;     /* SF_OK, or why the image could not be scanned */
    char *error;        /* message */
} sf_result;

/* The string members of sf_result_layer (digest, diff_id, cache, error)
 * and of sf_result_note (path, analyzer, note), keyed by their JSON
 * names: what sf_result_clear frees and what the result message
 * (bus/msg_result.c) encodes and decodes. */
extern const sf_strfield sf_result_layer_fields[];
extern const size_t sf_result_layer_nfields;
extern const sf_strfield sf_result_note_fields[];
extern const size_t sf_result_note_nfields;

/* Zero r (layer fields of pkgs untouched). */
void sf_result_init(sf_result *r);
/* Free everything r holds and zero it. */
void sf_result_clear(sf_result *r);

/* purl of a package (pkg:deb/debian/bash@5.1-2?arch=amd64&distro=debian-11)
 * appended to out; os may be NULL. */
int sf_result_purl(const sf_pkg *p, const sf_osinfo *os, sf_buf *out);

/* The purl of r's package p (distro from r's OS when it has one) as a new
 * JSON string in *out, the form the result message and the SBOMs write:
 * SF_OK with *out NULL when p has none (no name, or longer than 8 KiB),
 * SF_ENOMEM when the string cannot be made. */
struct json_t;
int sf_result_purl_json(const sf_result *r, const sf_pkg *p, struct json_t **out);

#endif
