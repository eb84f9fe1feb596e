/*
 * nvd: importer of NVD CVE records in the NVD API 2.0 JSON shape into the
 * builder's CVE table (see vdb_build.h): the API's paged response
 * {"resultsPerPage",...,"vulnerabilities":[{"cve":{...}}]} (also the 2.0
 * yearly feeds, which share it), one record per file as mirrors lay them
 * out ({"id":"CVE-...","metrics":{...}}), or {"cve":{...}}.
 *
 * Kept per record: id, published, lastModified, vulnStatus, the CWE ids of
 * `weaknesses[]`, and every metric of `metrics.cvssMetricV40 / V31 / V30 /
 * V2` with its type (Primary/Secondary), source, vector and stated
 * baseScore. NVD records carry no package ranges, so they never create a
 * finding: matches pick them up by CVE id or alias. A record with a bad id
 * or a malformed metric is counted and skipped, never fatal.
 */
#ifndef SF_NVD_H
#define SF_NVD_H

#include <stddef.h>

#include <jansson.h>

#include "vuln/vdb_build.h"

/* 1 when doc looks like an NVD page or record (borrowed). */
int sf_nvd_is_doc(const json_t *doc);
/* Import one parsed document (borrowed). Only SF_ENOMEM is returned. */
int sf_nvd_import_json(sf_vdb_builder *b, const json_t *doc);
/* Same from bytes; invalid JSON is counted. */
int sf_nvd_import(sf_vdb_builder *b, const char *data, size_t len);

#endif
