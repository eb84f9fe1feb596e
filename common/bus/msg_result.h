/*
 * msg_result: the `scanfarm.result/v1` document — one scanned image
 * manifest (one platform) — to and from JSON. It is the value of the
 * scanfarm.results topic (keyed by digest), the output of
 * `scanfarm scan --format json`, and what the aggregator reads back.
 * Encoder and decoder walk the same field tables.
 *
 *   {"schema":"scanfarm.result/v1","run_id","digest","index_digest",
 *    "platform":"linux/amd64","refs":[...],
 *    "os":{"id","version_id","codename","pretty_name","id_like","ecosystem"}|null,
 *    "packages":[{"type","name","version","src_name","src_version","arch",
 *                 "license","path","layer","ecosystem","purl"}],
 *    "vulnerabilities":[{"id","aliases","package","ecosystem","installed",
 *                 "fixed","severity","cvss","cvss_vector","source_package",
 *                 "type","summary","path","layer"}],
 *    "summary":{"packages","by_ecosystem":{...},"vulnerabilities",
 *               "by_severity":{...},"fixable"},
 *    "layers":[{"digest","diff_id","size","cache","error"}],
 *    "notes":[{"path","analyzer","status","note","layer"}],
 *    "db_version","analyzer_version","scanner_version","scanned_at",
 *    "timings":{"total_ms","manifest_ms","layers_ms","assemble_ms","match_ms"},
 *    "error":null|{"code":"digest","kind":"image","message":"..."}}
 *
 * `summary` is derived on encode and ignored on decode. Unknown fields
 * are ignored on decode (forward compatibility within v1).
 */
#ifndef SF_MSG_RESULT_H
#define SF_MSG_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/pkg.h"
#include "vuln/match.h"

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

/* Zero r (layer fields of pkgs untouched). */
void sf_result_init(sf_result *r);
/* Free everything r holds and zero it. */
void sf_result_clear(sf_result *r);

/* Append the JSON document of r to out. */
int sf_result_encode(const sf_result *r, sf_buf *out, sf_error *err);
/* Parse an untrusted document (capped at SF_LIM_MESSAGE_BYTES) into out
 * (initialised here; clear it with sf_result_clear even on failure). */
int sf_result_decode(const char *json, size_t len, sf_result *out, sf_error *err);

/* purl of a package (pkg:deb/debian/bash@5.1-2?arch=amd64&distro=debian-11)
 * appended to out; os may be NULL. */
int sf_result_purl(const sf_pkg *p, const sf_osinfo *os, sf_buf *out);

/* Severity rank: CRITICAL 4, HIGH 3, MEDIUM 2, LOW 1, else 0. -1 for an
 * unknown string when strict (used to validate --fail-on). */
int sf_severity_rank(const char *s, int strict);

#endif
