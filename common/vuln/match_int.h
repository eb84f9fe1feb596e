/*
 * match_int: what match.c shares with match_sev.c (severity, CVSS list,
 * KEV, EPSS and priority of a merged finding). Nothing outside
 * common/vuln includes this.
 */
#ifndef SF_MATCH_INT_H
#define SF_MATCH_INT_H

#include <stddef.h>

#include "vuln/match.h"
#include "vuln/vdb_int.h"

/*
 * Fill f's severity, severity_source, cvss, cvss_vector, cvss_all, kev*
 * and epss* from the group's advisory records (recs) and the NVD / KEV /
 * EPSS facts of every CVE among its ids (sorted, unique). SF_ENOMEM or
 * SF_OK; on failure the caller frees f.
 */
int sf_match__enrich(const struct sf_vdb_view *v, const sf_vdb_rec *const *recs, size_t nrecs,
                     const char *const *ids, size_t nids, sf_finding *f);

#endif
