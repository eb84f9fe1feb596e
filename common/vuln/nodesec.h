/*
 * nodesec: importer of the Node.js security working group's npm advisory
 * records (vuln/npm/<n>.json: module_name, vulnerable_versions,
 * patched_versions, cves, title, cvss_vector). The id is "NSWG-NPM-<n>"
 * with the CVEs as aliases; the ranges are kept as npm range text
 * (SF_VRNG_NPMRANGE) and evaluated by sf_semver_range_match at match time.
 * core/deps records describe the Node.js runtime, not npm packages: they
 * are counted and skipped.
 */
#ifndef SF_NODESEC_H
#define SF_NODESEC_H

#include <stddef.h>

#include <jansson.h>

#include "vuln/vdb_build.h"

/* name: the file name ("vuln/npm/519.json"); the number is the id. */
int sf_nodesec_import(sf_vdb_builder *b, const char *data, size_t len, const char *name);

/* Same over an already parsed document (borrowed). */
int sf_nodesec_import_json(sf_vdb_builder *b, json_t *doc, const char *name);

#endif
