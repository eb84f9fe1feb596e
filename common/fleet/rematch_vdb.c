/*
 * rematch_vdb: the rematch matcher over the compiled DB (vuln/match.h):
 * one package, the image's OS facts, the new DB -> findings.
 */
#include <stdlib.h>
#include <string.h>

#include "fleet/rematch.h"
#include "vuln/match.h"

int sf_rematch_vdb_matcher(void *ctx, const sf_osinfo *os, const sf_pkg *pkg, sf_agg_vuln **out,
                           size_t *n, sf_error *err)
{
    sf_findings f;
    int rc;
    *out = NULL;
    *n = 0;
    sf_findings_init(&f);
    if ((rc = sf_match_packages(ctx, os, pkg, 1, &f, err)) != SF_OK)
        goto done;
    *out = calloc(f.n + 1, sizeof **out);
    if (!*out) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < f.n; i++) {
        const sf_finding *x = &f.items[i];
        sf_agg_vuln *v = &(*out)[(*n)++];
        v->id = strdup(x->id ? x->id : "");
        v->pkg = strdup(x->pkg_name ? x->pkg_name : pkg->name);
        v->eco = x->ecosystem ? strdup(x->ecosystem) : NULL;
        v->installed = strdup(x->installed ? x->installed : pkg->version);
        v->fixed = x->fixed ? strdup(x->fixed) : NULL;
        v->sev = sf_agg_sev_parse(x->severity);
        v->cvss = x->cvss;
        v->kev = x->kev;
        v->epss = x->epss;
        v->epss_pct = x->epss_pct;
        if (!v->id || !v->pkg || !v->installed || (x->ecosystem && !v->eco) ||
            (x->fixed && !v->fixed)) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            break;
        }
    }
done:
    if (rc != SF_OK) {
        sf_rematch_vulns_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    sf_findings_clear(&f);
    return rc;
}
