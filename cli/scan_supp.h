/*
 * scan_supp: suppressions in `scanfarm scan` (see suppress.h): load the
 * ignore file and --vex documents, apply them to every platform result,
 * and report what was suppressed — a table section, a "suppressed" array
 * in each scanfarm.result/v1 document, CycloneDX vulnerabilities with an
 * `analysis` (state, justification, detail), SARIF results with
 * `suppressions` (scan_sarif.c).
 */
#ifndef SF_SCAN_SUPP_H
#define SF_SCAN_SUPP_H

#include <stdio.h>

#include "analyze/scan.h"
#include "base/buf.h"
#include "scan_out.h"
#include "suppress.h"

/* Load ignore_file (NULL: ./.scanfarmignore when it exists) and the VEX
 * files; warn on stderr about expired ignore rules. *out is NULL when
 * there is nothing to apply. */
int sf_scan_supp_load(sf_supp **out, const char *ignore_file, const char *const *vex,
                      size_t nvex, sf_error *err);

/* Apply s to every result of rep, collecting into x. */
int sf_scan_supp_apply(const sf_supp *s, sf_scan_report *rep, sf_suppressed *x);

/* The table's "Suppressed" section for platform plat. */
void sf_scan_supp_print(const sf_suppressed *x, size_t plat, FILE *f);

/* Add the suppressed findings to a rendered json or cyclonedx document
 * (doc is rewritten in place); other formats are left as they are. */
int sf_scan_supp_annotate(sf_scan_fmt fmt, const sf_result *const *rs, size_t n,
                          const sf_suppressed *x, sf_buf *doc);

/* CycloneDX analysis of a rule: state, justification (mapped from
 * OpenVEX's labels; NULL when none fits), response (NULL = none). */
void sf_scan_supp_cdx_analysis(const sf_supp_rule *r, const char **state, const char **just,
                               const char **response);

/* One line explaining a suppression: "not_affected (vulnerable_code_not_present):
 * reason [source]". */
void sf_scan_supp_explain(const sf_supp_rule *r, char *out, size_t n);

#endif
