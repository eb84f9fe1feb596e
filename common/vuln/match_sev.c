/*
 * match_sev: a merged finding's severity and the facts around it (see
 * match_int.h). The severity itself comes from the one rule in
 * vuln/severity.c; this file only gathers its inputs:
 *   vendor    the highest vendor rating among the group's records
 *   advisory  the first record vector that scores, else the highest word
 *   NVD       of the group's CVEs, the one whose own NVD Primary decision
 *             scores highest (a DSA naming several CVEs is as severe as
 *             its worst); its tiers v3.1, v3.0, v4.0, v2 feed the rule
 * KEV is any CVE's listing (earliest dateAdded, ransomware if any says
 * so); EPSS is the CVE with the highest probability.
 */
#include "vuln/match_int.h"

#include "base/limits.h"
#include "base/buf.h"
#include "model/severity.h"
#include "vuln/cvss.h"
#include "vuln/severity.h"

#include <stdlib.h>
#include <string.h>

/* The higher-ranked of two words (either may be NULL; the words are
 * sf_severity_word's, so upper case). */
static const char *higher(const char *a, const char *b)
{
    return sf_severity_rank(b, 0) > sf_severity_rank(a, 0) ? b : a;
}

static const char *version_name(int code)
{
    return code == 40 ? "4.0" : code == 31 ? "3.1" : code == 30 ? "3.0" : "2.0";
}

static int vector_version(const char *vec)
{
    if (strncmp(vec, "CVSS:4.0/", 9) == 0)
        return 40;
    if (strncmp(vec, "CVSS:3.1/", 9) == 0)
        return 31;
    if (strncmp(vec, "CVSS:3.0/", 9) == 0)
        return 30;
    return 20;
}

static int tier_of(int version)
{
    return version == 31 ? SF_SEV_NVD31 : version == 30 ? SF_SEV_NVD30
                                      : version == 40 ? SF_SEV_NVD40 : SF_SEV_NVD2;
}

/* NVD Primary scores of one CVE per tier (the highest when NVD lists two). */
static void nvd_tiers(const struct sf_vdb_view *v, const sf_vdb_cve *c, double nvd[SF_SEV_NVD_N])
{
    for (int i = 0; i < SF_SEV_NVD_N; i++)
        nvd[i] = -1;
    for (uint32_t k = 0; k < c->cvss_count; k++) {
        const sf_vdb_cvss *m = &v->cvss[c->cvss_first + k];
        double s = m->score10 / 10.0;
        int t = tier_of(m->version);
        if (m->type == SF_VCVSS_PRIMARY && s > nvd[t])
            nvd[t] = s;
    }
}

/* The group's CVE whose NVD decision scores highest, or NULL. */
static const sf_vdb_cve *worst_cve(const struct sf_vdb_view *v, const char *const *ids,
                                   size_t nids, double nvd[SF_SEV_NVD_N])
{
    const sf_vdb_cve *best = NULL;
    double best_score = -2;
    for (size_t i = 0; i < nids; i++) {
        const sf_vdb_cve *c = strncmp(ids[i], "CVE-", 4) == 0 ? sf_vdb__cve(v, ids[i]) : NULL;
        if (!c || !c->cvss_count)
            continue;
        sf_sev_inputs in;
        sf_sev_decision d;
        sf_sev_inputs_init(&in);
        nvd_tiers(v, c, in.nvd);
        sf_severity_decide(&in, &d);
        if (d.score > best_score) {
            best = c;
            best_score = d.score;
            memcpy(nvd, in.nvd, sizeof in.nvd);
        }
    }
    return best;
}

/* KEV and EPSS over every CVE of the group. */
static int exploit_facts(const struct sf_vdb_view *v, const char *const *ids, size_t nids,
                         sf_finding *f)
{
    const char *added = NULL, *due = NULL, *edate = NULL;
    f->epss = f->epss_pct = -1;
    for (size_t i = 0; i < nids; i++) {
        const sf_vdb_cve *c = strncmp(ids[i], "CVE-", 4) == 0 ? sf_vdb__cve(v, ids[i]) : NULL;
        if (!c)
            continue;
        if (c->flags & SF_VCVE_F_KEV) {
            const char *a = v->str + c->kev_added;
            if (!f->kev || strcmp(a, added) < 0) {
                added = a;
                due = c->kev_due ? v->str + c->kev_due : NULL;
            }
            f->kev = 1;
            f->kev_ransomware |= (c->flags & SF_VCVE_F_RANSOMWARE) != 0;
        }
        if ((c->flags & SF_VCVE_F_EPSS) && c->epss > f->epss) {
            f->epss = c->epss;
            f->epss_pct = c->epss_pct;
            edate = c->epss_date ? v->str + c->epss_date : NULL;
        }
    }
    f->kev_added = sf_strdup(added);
    f->kev_due = sf_strdup(due);
    f->epss_date = sf_strdup(edate);
    return (added && !f->kev_added) || (due && !f->kev_due) || (edate && !f->epss_date)
               ? SF_ENOMEM
               : SF_OK;
}

static int push_cvss(sf_finding *f, int version, const char *vec, const char *source,
                     const char *type, double score)
{
    for (size_t i = 0; i < f->ncvss; i++)
        if (strcmp(f->cvss_all[i].vector, vec) == 0 &&
            strcmp(f->cvss_all[i].source, source ? source : "") == 0)
            return SF_OK;
    if (f->ncvss >= SF_LIM_FINDING_CVSS)
        return SF_OK;
    sf_cvss_entry *e = &f->cvss_all[f->ncvss];
    e->version = strdup(version_name(version));
    e->vector = strdup(vec);
    e->source = strdup(source ? source : "");
    e->type = strdup(type);
    e->score = score;
    f->ncvss++;
    return e->version && e->vector && e->source && e->type ? SF_OK : SF_ENOMEM;
}

/* cvss_all: the records' own vectors, then the chosen CVE's NVD metrics. */
static int cvss_list(const struct sf_vdb_view *v, const sf_vdb_rec *const *recs, size_t nrecs,
                     const sf_vdb_cve *cve, sf_finding *f)
{
    if (!(f->cvss_all = calloc(SF_LIM_FINDING_CVSS, sizeof *f->cvss_all)))
        return SF_ENOMEM;
    int rc = SF_OK;
    for (size_t i = 0; i < nrecs && !rc; i++) {
        double s;
        const char *vec = v->str + recs[i]->cvss;
        if (recs[i]->cvss && sf_cvss_score(vec, &s, NULL, 0) == SF_OK)
            rc = push_cvss(f, vector_version(vec), vec, v->str + recs[i]->id, "advisory", s);
    }
    for (uint32_t k = 0; cve && k < cve->cvss_count && !rc; k++) {
        const sf_vdb_cvss *m = &v->cvss[cve->cvss_first + k];
        rc = push_cvss(f, m->version, v->str + m->vector, v->str + m->source,
                       m->type == SF_VCVSS_PRIMARY ? "Primary" : "Secondary", m->score10 / 10.0);
    }
    return rc;
}

/* The vector behind the decision (NVD Primary of the winning tier). */
static const char *nvd_vector(const struct sf_vdb_view *v, const sf_vdb_cve *c, const char *src)
{
    for (uint32_t k = 0; c && src && k < c->cvss_count; k++) {
        const sf_vdb_cvss *m = &v->cvss[c->cvss_first + k];
        static const char *const names[] = {"nvd-v3.1", "nvd-v3.0", "nvd-v4.0", "nvd-v2"};
        if (m->type == SF_VCVSS_PRIMARY && strcmp(names[tier_of(m->version)], src) == 0)
            return v->str + m->vector;
    }
    return NULL;
}

int sf_match__enrich(const struct sf_vdb_view *v, const sf_vdb_rec *const *recs, size_t nrecs,
                     const char *const *ids, size_t nids, sf_finding *f)
{
    sf_sev_inputs in;
    sf_sev_decision d;
    const char *adv_vec = NULL, *any_vec = NULL;
    sf_sev_inputs_init(&in);
    for (size_t i = 0; i < nrecs; i++) {
        const sf_vdb_rec *r = recs[i];
        double s;
        in.vendor = higher(in.vendor, sf_severity_word(r->vendor_sev ? v->str + r->vendor_sev : NULL));
        in.advisory = higher(in.advisory, sf_severity_word(r->severity ? v->str + r->severity : NULL));
        if (r->cvss && !any_vec)
            any_vec = v->str + r->cvss;
        if (r->cvss && !adv_vec && sf_cvss_score(v->str + r->cvss, &s, NULL, 0) == SF_OK) {
            adv_vec = v->str + r->cvss;
            in.advisory_cvss = s;
            in.advisory_cvss_version = vector_version(adv_vec);
        }
    }
    const sf_vdb_cve *cve = worst_cve(v, ids, nids, in.nvd);
    sf_severity_decide(&in, &d);
    f->severity = strdup(d.severity);
    f->severity_source = sf_strdup(d.source);
    const char *vec = d.source && strcmp(d.source, "advisory") == 0 ? adv_vec
                                                                      : nvd_vector(v, cve, d.source);
    f->cvss = d.score;
    if (f->cvss < 0 && adv_vec) {
        f->cvss = in.advisory_cvss;
        vec = adv_vec;
    } else if (f->cvss < 0 && cve) {
        /* A word decided (vendor, advisory): still show NVD's number. */
        sf_sev_inputs nv;
        sf_sev_decision nd;
        sf_sev_inputs_init(&nv);
        memcpy(nv.nvd, in.nvd, sizeof nv.nvd);
        sf_severity_decide(&nv, &nd);
        f->cvss = nd.score;
        vec = nvd_vector(v, cve, nd.source);
    }
    f->cvss_vector = sf_strdup(vec ? vec : any_vec);
    if (!f->severity || (d.source && !f->severity_source) || ((vec || any_vec) && !f->cvss_vector))
        return SF_ENOMEM;
    int rc = cvss_list(v, recs, nrecs, cve, f);
    return rc ? rc : exploit_facts(v, ids, nids, f);
}
