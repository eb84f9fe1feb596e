/* finding: see finding.h. */
#include "model/finding.h"

#include <stdlib.h>
#include <string.h>

#include "base/array.h"

void sf_finding_clear(sf_finding *f)
{
    free(f->id);
    sf_strarr_free(f->aliases, f->naliases);
    free(f->pkg_name);
    free(f->src_name);
    free(f->ecosystem);
    free(f->installed);
    free(f->fixed);
    free(f->severity);
    free(f->severity_source);
    free(f->cvss_vector);
    for (size_t i = 0; i < f->ncvss; i++) {
        free(f->cvss_all[i].version);
        free(f->cvss_all[i].vector);
        free(f->cvss_all[i].source);
        free(f->cvss_all[i].type);
    }
    free(f->cvss_all);
    free(f->kev_added);
    free(f->kev_due);
    free(f->epss_date);
    free(f->summary);
    free(f->pkg_path);
    memset(f, 0, sizeof *f);
}

void sf_findings_init(sf_findings *f) { memset(f, 0, sizeof *f); }

void sf_findings_clear(sf_findings *f)
{
    if (!f)
        return;
    SF_ARRAY_FREE(f->items, f->n, sf_finding_clear);
    memset(f, 0, sizeof *f);
}
