/*
 * agg_fix: hand-made `scanfarm.result/v1` documents for the aggregator
 * and report tests (unit and integration). A finding spec is
 * "ID:package:installed:fixed:SEVERITY" with fixed "-" for none, several
 * separated by ';'.
 */
#ifndef SF_AGG_FIX_H
#define SF_AGG_FIX_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"

/* "sha256:" + 64 times c. */
const char *fix_digest(char c, char out[72]);

/* One finding spec "ID:package:installed:fixed:SEVERITY". */
typedef struct fix_spec {
    char id[64], pkg[64], installed[64], fixed[64], severity[32];
} fix_spec;

/* Parse the next spec of the ';'-separated list at *p into f and move *p
 * past it; 0 at the end of the list. */
int fix_spec_next(const char **p, fix_spec *f);

/* Append one result document to b (b is reset first). refs is
 * ';'-separated; err NULL for a scanned image. */
void fix_result(sf_buf *b, char dc, const char *run, const char *db,
                              const char *at, const char *refs, const char *vulns,
                              const char *err);
/* The same for an image of a real digest ("sha256:<hex>"). */
void fix_result_of(sf_buf *b, const char *digest, const char *run, const char *db,
                   const char *at, const char *refs, const char *vulns, const char *err);

/* fix_result's document with more of the schema: a platform image of an
 * index (ic: the index digest's character, 0 none), more packages
 * ("name@version" or "name@version@source", ';'-separated, raw JSON
 * string text: escapes allowed), each finding's cvss, and a JSON fragment
 * appended to each finding (aliases, kev, epss; NULL: "aliases":[]). */
typedef struct fix_doc {
    char dc, ic;
    const char *digest; /* a real digest instead of dc's (NULL: dc's) */
    const char *run, *db, *at, *refs, *vulns, *err;
    const char *pkgs;
    double cvss;
    const char *vextra;
} fix_doc;
void fix_result_doc(sf_buf *b, const fix_doc *d);

/* b := a scanfarm.refs/v1 message of run `run` giving image dc (fix_digest)
 * the one ref `ref`, produced at `at`; SF_OK or the encoder's error. */
int fix_refs_doc(sf_buf *b, char dc, const char *run, const char *db, const char *ref,
                 const char *at);

#endif
