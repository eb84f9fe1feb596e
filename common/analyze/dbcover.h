/*
 * dbcover: does the vulnerability DB know the image's OS release at all?
 *
 * A DB built from Alpine 3.10 and 3.20 advisories has nothing for an
 * Alpine 3.18 image, whose OS packages then match nothing and the image
 * scans clean without a word. The DB's meta lists its ecosystems; when the
 * image's OS ecosystem is not among them and the image has OS packages,
 * the result gets a note (analyzer "match", status unparsed, layer -1):
 * "no advisories for alpine 3.18 in this DB: results for OS packages are
 * incomplete".
 */
#ifndef SF_DBCOVER_H
#define SF_DBCOVER_H

#include "model/result.h"
#include "vuln/vdb.h"

/* Analyzer name of the note. */
#define SF_DBCOVER_ANALYZER "match"

/* 1 when db holds advisories for ecosystem eco (normalised OSV name),
 * 0 when it does not, -1 when the DB does not say (no meta). */
int sf_dbcover_has_ecosystem(const sf_vdb *db, const char *eco);

/* Append the note to r when the DB has no data for r's OS release.
 * SF_OK (also when nothing was added) or SF_ENOMEM. */
int sf_dbcover_note(const sf_vdb *db, sf_result *r);

#endif
