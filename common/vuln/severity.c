/* severity: see severity.h (the rule is documented in docs/severity.md). */
#include "vuln/severity.h"

#include <math.h>
#include <stddef.h>
#include <strings.h>

void sf_sev_inputs_init(sf_sev_inputs *in)
{
    in->vendor = NULL;
    in->advisory = NULL;
    in->advisory_cvss = -1;
    in->advisory_cvss_version = 0;
    for (int i = 0; i < SF_SEV_NVD_N; i++)
        in->nvd[i] = -1;
}

const char *sf_severity_word(const char *w)
{
    static const struct {
        const char *in, *out;
    } tab[] = {
        {"CRITICAL", "CRITICAL"}, {"HIGH", "HIGH"},         {"IMPORTANT", "HIGH"},
        {"MEDIUM", "MEDIUM"},     {"MODERATE", "MEDIUM"},   {"LOW", "LOW"},
        {"NEGLIGIBLE", "LOW"},    {"UNIMPORTANT", "LOW"},
    };
    for (size_t i = 0; w && i < sizeof tab / sizeof tab[0]; i++)
        if (strcasecmp(w, tab[i].in) == 0)
            return tab[i].out;
    return NULL;
}

const char *sf_severity_of_score(double s, int version)
{
    if (version == 20)
        return s < 4.0 ? "LOW" : s < 7.0 ? "MEDIUM" : "HIGH";
    if (s <= 0.0)
        return "NONE";
    return s < 4.0 ? "LOW" : s < 7.0 ? "MEDIUM" : s < 9.0 ? "HIGH" : "CRITICAL";
}

void sf_severity_decide(const sf_sev_inputs *in, sf_sev_decision *out)
{
    static const char *const nvd_src[SF_SEV_NVD_N] = {"nvd-v3.1", "nvd-v3.0", "nvd-v4.0",
                                                      "nvd-v2"};
    static const int nvd_ver[SF_SEV_NVD_N] = {31, 30, 40, 20};
    const char *w;
    out->score = -1;
    if ((w = sf_severity_word(in->vendor))) {
        out->severity = w;
        out->source = "vendor";
        return;
    }
    if (in->advisory_cvss >= 0) {
        out->severity = sf_severity_of_score(in->advisory_cvss, in->advisory_cvss_version);
        out->source = "advisory";
        out->score = in->advisory_cvss;
        return;
    }
    if ((w = sf_severity_word(in->advisory))) {
        out->severity = w;
        out->source = "advisory";
        return;
    }
    for (int i = 0; i < SF_SEV_NVD_N; i++) {
        if (in->nvd[i] >= 0) {
            out->severity = sf_severity_of_score(in->nvd[i], nvd_ver[i]);
            out->source = nvd_src[i];
            out->score = in->nvd[i];
            return;
        }
    }
    out->severity = "UNKNOWN";
    out->source = NULL;
}

long sf_priority(int kev, double epss_percentile, double cvss, int fixable)
{
    long pct = epss_percentile > 0 ? lround(fmin(epss_percentile, 1.0) * 1000) : 0;
    long cv = cvss > 0 ? lround(fmin(cvss, 10.0) * 10) : 0;
    return (kev ? 100000000L : 0) + pct * 10000 + cv * 10 + (fixable ? 1 : 0);
}
