/* buildinfo: see buildinfo.h. */
#include "base/buildinfo.h"

#include <time.h>

#include "sf_version.h"

void sf_buildinfo_register(sf_metrics *m, const char *program)
{
    sf_mfam *f = sf_metrics_gauge(m, "scanfarm_build_info",
                                  "Build of this process: 1 for its program, version and commit",
                                  "program,version,commit");
    const char *lv[] = {program, SF_VERSION, SF_GIT_COMMIT};
    sf_metric_set(f, lv, 1);
}

void sf_buildinfo_db_age(sf_metrics *m, int64_t built)
{
    if (built < 0)
        return;
    sf_mfam *f = sf_metrics_gauge(m, "scanfarm_db_age_seconds",
                                  "Seconds since the vulnerability DB in use was built", NULL);
    time_t now = time(NULL);
    sf_metric_set(f, NULL, now > built ? (double)(now - built) : 0);
}
