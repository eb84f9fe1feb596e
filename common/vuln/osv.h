/*
 * osv: importer of OSV JSON records (https://ossf.github.io/osv-schema/)
 * into a vdb builder: one record, an array of records, or the GHSA extract
 * layout {"advisories": [...]} whose affected entries carry a bare
 * "package" name and "ranges" as arrays of events (npm).
 *
 * Every ecosystem OSV defines is accepted (unknown ones are counted and
 * skipped per affected entry); ECOSYSTEM and SEMVER ranges with
 * introduced/fixed/last_affected/limit events and `versions` lists are
 * kept, GIT ranges skipped and counted, withdrawn records skipped and
 * counted. Severity: the first CVSS v3 vector of `severity[]` (else v4,
 * else v2) and `database_specific.severity`.
 */
#ifndef SF_OSV_H
#define SF_OSV_H

#include <stddef.h>

#include <jansson.h>

#include "vuln/vdb_build.h"

/* Import one JSON document. Dirty content is counted via the builder;
 * only SF_ENOMEM is returned. */
int sf_osv_import(sf_vdb_builder *b, const char *data, size_t len);

/* Same over an already parsed document (borrowed). */
int sf_osv_import_json(sf_vdb_builder *b, json_t *doc);

#endif
