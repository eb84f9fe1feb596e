/*
 * buildinfo: the metrics every scanfarm process exposes about itself and
 * its data: scanfarm_build_info{program,version,commit} 1 (which build
 * runs where) and scanfarm_db_age_seconds (how old the vulnerability DB
 * the process matches against is; stale DBs miss new advisories).
 */
#ifndef SF_BUILDINFO_H
#define SF_BUILDINFO_H

#include <stdint.h>

#include "base/metrics.h"

/* Register scanfarm_build_info for program in m (set to 1). */
void sf_buildinfo_register(sf_metrics *m, const char *program);

/* Set scanfarm_db_age_seconds in m from the DB's build time (unix
 * seconds; < 0 = no DB: the gauge is not created). Call before rendering. */
void sf_buildinfo_db_age(sf_metrics *m, int64_t built);

#endif
