/*
 * epss: importer of FIRST's daily EPSS scores CSV into the builder's CVE
 * table. The file starts with a comment line
 * "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z", then the
 * header "cve,epss,percentile", then one "CVE-…,0.00043,0.11816" row per
 * CVE. A row that does not parse is counted and skipped; a file without
 * the header is not EPSS.
 */
#ifndef SF_EPSS_H
#define SF_EPSS_H

#include <stddef.h>

#include "vuln/vdb_build.h"

/* 1 when the text starts like an EPSS file (comment line or header). */
int sf_epss_looks_like(const char *data, size_t len);
/* Import the CSV text. Only SF_ENOMEM is returned. */
int sf_epss_import(sf_vdb_builder *b, const char *data, size_t len);

#endif
