/* agg_vcmp: see agg_vcmp.h. */
#include "agg_vcmp.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fleet/agg_vparse.h"

static int str_same(const char *a, const char *b, const char *what, char *why, size_t whylen)
{
    if (a == b || (a && b && strcmp(a, b) == 0))
        return 1;
    snprintf(why, whylen, "%s: \"%s\" vs \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
    return 0;
}

static int num_same(double a, double b, const char *what, char *why, size_t whylen)
{
    if (memcmp(&a, &b, sizeof a) == 0) /* -0.0 is not 0.0 here */
        return 1;
    snprintf(why, whylen, "%s: %.17g vs %.17g", what, a, b);
    return 0;
}

static int vuln_same(const sf_agg_vuln *x, const sf_agg_vuln *y, char *why, size_t whylen)
{
    if (x->sev != y->sev || x->kev != y->kev) {
        snprintf(why, whylen, "finding %s: sev %d/%d kev %d/%d", x->id, x->sev, y->sev, x->kev,
                 y->kev);
        return 0;
    }
    return str_same(x->id, y->id, "id", why, whylen) &&
           str_same(x->pkg, y->pkg, "pkg", why, whylen) &&
           str_same(x->eco, y->eco, "eco", why, whylen) &&
           str_same(x->installed, y->installed, "installed", why, whylen) &&
           str_same(x->fixed, y->fixed, "fixed", why, whylen) &&
           str_same(x->aliases, y->aliases, "aliases", why, whylen) &&
           num_same(x->cvss, y->cvss, "cvss", why, whylen) &&
           num_same(x->epss, y->epss, "epss", why, whylen) &&
           num_same(x->epss_pct, y->epss_pct, "epss_pct", why, whylen);
}

int sf_t_agg_view_same(const sf_agg_view *a, const sf_agg_view *b, char *why, size_t whylen)
{
    for (size_t k = 0; k < sf_agg_view_nfields; k++) {
        const sf_strfield *f = &sf_agg_view_fields[k];
        if (!str_same(*SF_STRFIELD_CPTR(a, *f), *SF_STRFIELD_CPTR(b, *f), f->key, why, whylen))
            return 0;
    }
    if (a->time_ms != b->time_ms || a->refs_rank != b->refs_rank || a->nrefs != b->nrefs ||
        a->nvulns != b->nvulns || a->fixable != b->fixable || !a->refs != !b->refs ||
        !a->vulns != !b->vulns || memcmp(a->sev, b->sev, sizeof a->sev) != 0) {
        snprintf(why, whylen,
                 "t %" PRId64 "/%" PRId64 " rk %" PRId64 "/%" PRId64
                 " refs %zu/%zu vulns %zu/%zu fixable %zu/%zu (or sev counts, arrays)",
                 a->time_ms, b->time_ms, a->refs_rank, b->refs_rank, a->nrefs, b->nrefs, a->nvulns,
                 b->nvulns, a->fixable, b->fixable);
        return 0;
    }
    for (size_t i = 0; i < a->nrefs; i++)
        if (!str_same(a->refs[i], b->refs[i], "ref", why, whylen))
            return 0;
    if (a->refs && a->refs[a->nrefs] != NULL) {
        snprintf(why, whylen, "refs not NULL-terminated");
        return 0;
    }
    for (size_t i = 0; i < a->nvulns; i++)
        if (!vuln_same(&a->vulns[i], &b->vulns[i], why, whylen))
            return 0;
    return 1;
}

int sf_t_agg_vparse_same(const char *json, size_t len, int *fast, char *why, size_t whylen)
{
    sf_agg_view *f = NULL, *r = NULL, *p = NULL;
    sf_error re = SF_ERROR_INIT, pe = SF_ERROR_INIT;
    int ok = 1, frc = sf_agg_vp_parse(json, len, &f);
    int rrc = sf_agg_view_parse_ref(json, len, &r, &re);
    int prc = sf_agg_view_parse(json, len, &p, &pe);
    *fast = frc == 1;
    if (frc < 0 || rrc == SF_ENOMEM || prc == SF_ENOMEM) {
        ok = 0;
        snprintf(why, whylen, "out of memory");
    } else if (frc == 1 && rrc != SF_OK) {
        ok = 0;
        snprintf(why, whylen, "own reader took what the reference refuses (%d)", rrc);
    } else if (frc == 1 && !sf_t_agg_view_same(f, r, why, whylen)) {
        ok = 0;
    } else if (frc != 1 && f) {
        ok = 0;
        snprintf(why, whylen, "declined but left a view");
    } else if (prc != rrc || (rrc != SF_OK && strcmp(pe.msg, re.msg) != 0)) {
        ok = 0;
        snprintf(why, whylen, "sf_agg_view_parse %d (%s) vs reference %d (%s)", prc, pe.msg, rrc,
                 re.msg);
    } else if (rrc == SF_OK && !sf_t_agg_view_same(p, r, why, whylen)) {
        ok = 0;
    }
    sf_agg_view_free(f);
    sf_agg_view_free(r);
    sf_agg_view_free(p);
    return ok;
}
