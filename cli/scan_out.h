/*
 * scan_out: the documents `scanfarm scan` writes besides its table:
 * --format json (scanfarm.result/v1; an array when several platforms),
 * sarif (SARIF 2.1.0), cyclonedx (CycloneDX 1.5) and spdx-json (SPDX 2.3).
 *
 * A multi-arch image gives ONE document of each kind: SARIF one run whose
 * results name their platform, CycloneDX one BOM with a
 * `scanfarm:image:platform` property on every component, SPDX one
 * document describing one image package per platform. A JSON array of
 * BOMs is no CycloneDX document, so none is written.
 */
#ifndef SF_SCAN_OUT_H
#define SF_SCAN_OUT_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "bus/msg_result.h"

struct sf_suppressed;

typedef enum sf_scan_fmt {
    SF_SCAN_FMT_TABLE,
    SF_SCAN_FMT_JSON,
    SF_SCAN_FMT_SARIF,
    SF_SCAN_FMT_CYCLONEDX,
    SF_SCAN_FMT_SPDX_JSON,
} sf_scan_fmt;

/* The format named s ("table", "json", "sarif", "cyclonedx", "spdx-json"),
 * or -1. */
int sf_scan_fmt_parse(const char *s);

/* Append the document of the n platform results of image `ref` in format
 * fmt (not TABLE) to out, with a final newline; sup (may be NULL) adds the
 * suppressed findings (scan_supp.h). */
int sf_scan_out_render(sf_scan_fmt fmt, const sf_result *const *rs, size_t n, const char *ref,
                       const struct sf_suppressed *sup, sf_buf *out, sf_error *err);

/* SARIF 2.1.0 of a scan: one rule per advisory id (helpUri, help), one
 * result per (platform, finding), located at the package's file inside
 * the image and, logically, at the image reference and platform;
 * suppressed findings are results with `suppressions` (accepted, with
 * their justification). */
int sf_scan_sarif(const sf_result *const *rs, size_t n, const char *ref,
                  const struct sf_suppressed *sup, sf_buf *out);

/* 1 when the registry of image reference ref ("host[:port]/repo...") is
 * one of the comma-separated hosts (NULL = none). */
int sf_scan_ref_in_hosts(const char *ref, const char *hosts);

/* Point stdout at path ("-" or NULL = leave it). SF_OK or SF_EIO with
 * err set. */
int sf_scan_out_open(const char *path, sf_error *err);
/* Flush stdout and report a write error (disk full) as SF_EIO. */
int sf_scan_out_close(sf_error *err);

#endif
