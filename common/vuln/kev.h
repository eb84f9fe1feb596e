/*
 * kev: importer of the CISA Known Exploited Vulnerabilities catalog
 * (known_exploited_vulnerabilities.json: {"catalogVersion",
 * "vulnerabilities":[{"cveID","dateAdded","dueDate",
 * "knownRansomwareCampaignUse",...}]}) into the builder's CVE table.
 * Entries with a bad cveID are counted and skipped.
 */
#ifndef SF_KEV_H
#define SF_KEV_H

#include <stddef.h>

#include <jansson.h>

#include "vuln/vdb_build.h"

/* 1 when doc looks like the KEV catalog (borrowed). */
int sf_kev_is_doc(const json_t *doc);
/* Import the parsed catalog (borrowed). Only SF_ENOMEM is returned. */
int sf_kev_import_json(sf_vdb_builder *b, const json_t *doc);
/* Same from bytes; invalid JSON is counted. */
int sf_kev_import(sf_vdb_builder *b, const char *data, size_t len);

#endif
