/*
 * cvss: CVSS v2 / v3.0 / v3.1 base scores from vector strings (see
 * cvss.h; v4.0 is in cvss4.c). A vector is parsed against a table of metrics (abbreviation,
 * allowed values with their weights, base or not); every metric may
 * appear once, base metrics must all appear, anything else is a parse
 * error. Only fixed-size state, no allocation: safe on hostile input.
 */
#include "vuln/cvss.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "base/limits.h"

#define CVSS_MAX_VALUES 5

typedef struct cvss_metric {
    const char *name;                    /* "AV" */
    int base;                            /* required base metric */
    const char *values;                  /* allowed letters, e.g. "NALP" */
    double w[CVSS_MAX_VALUES];           /* weight per value (base only) */
} cvss_metric;

/* CVSS v3.x metrics (specification section 7.4 weights). PR's weights
 * here are for an unchanged scope; see pr_weight(). */
static const cvss_metric v3_metrics[] = {
    {"AV", 1, "NALP", {0.85, 0.62, 0.55, 0.2}},
    {"AC", 1, "LH", {0.77, 0.44}},
    {"PR", 1, "NLH", {0.85, 0.62, 0.27}},
    {"UI", 1, "NR", {0.85, 0.62}},
    {"S", 1, "UC", {0, 0}},
    {"C", 1, "HLN", {0.56, 0.22, 0}},
    {"I", 1, "HLN", {0.56, 0.22, 0}},
    {"A", 1, "HLN", {0.56, 0.22, 0}},
    {"E", 0, "XUPFH", {0}},
    {"RL", 0, "XOTWU", {0}},
    {"RC", 0, "XURC", {0}},
    {"CR", 0, "XLMH", {0}},
    {"IR", 0, "XLMH", {0}},
    {"AR", 0, "XLMH", {0}},
    {"MAV", 0, "XNALP", {0}},
    {"MAC", 0, "XLH", {0}},
    {"MPR", 0, "XNLH", {0}},
    {"MUI", 0, "XNR", {0}},
    {"MS", 0, "XUC", {0}},
    {"MC", 0, "XNLH", {0}},
    {"MI", 0, "XNLH", {0}},
    {"MA", 0, "XNLH", {0}},
};

/* CVSS v2 metrics (v2 guide section 3.2.1 weights). */
static const cvss_metric v2_metrics[] = {
    {"AV", 1, "LAN", {0.395, 0.646, 1.0}},
    {"AC", 1, "HML", {0.35, 0.61, 0.71}},
    {"Au", 1, "MSN", {0.45, 0.56, 0.704}},
    {"C", 1, "NPC", {0, 0.275, 0.660}},
    {"I", 1, "NPC", {0, 0.275, 0.660}},
    {"A", 1, "NPC", {0, 0.275, 0.660}},
    /* Temporal and environmental: two-letter values, validated by name. */
    {"E", 0, NULL, {0}},
    {"RL", 0, NULL, {0}},
    {"RC", 0, NULL, {0}},
    {"CDP", 0, NULL, {0}},
    {"TD", 0, NULL, {0}},
    {"CR", 0, NULL, {0}},
    {"IR", 0, NULL, {0}},
    {"AR", 0, NULL, {0}},
};

#define CVSS_MAX_METRICS 24

/* Value chosen per metric: index into its value list, -1 if absent. */
typedef struct cvss_pick {
    int idx[CVSS_MAX_METRICS];
} cvss_pick;

/* v2 temporal/environmental values: "ND" and short words. */
static int v2_extra_ok(const char *name, const char *v, size_t n)
{
    static const struct {
        const char *m, *vals;
    } t[] = {
        {"E", " U POC F H ND "},   {"RL", " OF TF W U ND "}, {"RC", " UC UR C ND "},
        {"CDP", " N L LM MH H ND "}, {"TD", " N L M H ND "},  {"CR", " L M H ND "},
        {"IR", " L M H ND "},       {"AR", " L M H ND "},
    };
    char key[8];
    if (n == 0 || n > 4)
        return 0;
    key[0] = ' ';
    memcpy(key + 1, v, n);
    key[n + 1] = ' ';
    key[n + 2] = '\0';
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i].m, name) == 0)
            return strstr(t[i].vals, key) != NULL;
    return 0;
}

/*
 * Parse "M:V/M:V/..." in [s, s+len) against tab. Fills pick; SF_EPARSE
 * on any unknown, repeated or ill-valued metric or a missing base one.
 */
static int parse_metrics(const char *s, size_t len, const cvss_metric *tab, size_t ntab,
                         int v2, cvss_pick *pick)
{
    for (size_t i = 0; i < CVSS_MAX_METRICS; i++)
        pick->idx[i] = -1;
    const char *e = s + len;
    while (s < e) {
        const char *slash = memchr(s, '/', (size_t)(e - s));
        const char *end = slash ? slash : e;
        const char *colon = memchr(s, ':', (size_t)(end - s));
        if (!colon)
            return SF_EPARSE;
        size_t nn = (size_t)(colon - s), vn = (size_t)(end - colon - 1);
        size_t m = 0;
        while (m < ntab && !(strlen(tab[m].name) == nn && memcmp(tab[m].name, s, nn) == 0))
            m++;
        if (m == ntab || pick->idx[m] != -1 || vn == 0)
            return SF_EPARSE;
        if (tab[m].values) {
            const char *hit = vn == 1 ? strchr(tab[m].values, colon[1]) : NULL;
            if (!hit || colon[1] == '\0')
                return SF_EPARSE;
            pick->idx[m] = (int)(hit - tab[m].values);
        } else if (v2 && v2_extra_ok(tab[m].name, colon + 1, vn)) {
            pick->idx[m] = 0;
        } else {
            return SF_EPARSE;
        }
        if (!slash)
            break;
        s = slash + 1;
        if (s == e)
            return SF_EPARSE; /* trailing '/' */
    }
    for (size_t m = 0; m < ntab; m++)
        if (tab[m].base && pick->idx[m] < 0)
            return SF_EPARSE;
    return SF_OK;
}

double sf_cvss_roundup31(double x)
{
    /* Appendix A: work in integers of 1e-5 so 4.000000000000001 stays 4.0. */
    long long i = llround(x * 100000.0);
    if (i % 10000 == 0)
        return (double)i / 100000.0;
    return (floor((double)i / 10000.0) + 1.0) / 10.0;
}

/* CVSS v3.0's Roundup: plain ceiling to one decimal. */
static double roundup30(double x)
{
    return ceil(x * 10.0) / 10.0;
}

const char *sf_cvss_severity3(double s)
{
    if (s <= 0.0)
        return "None";
    if (s < 4.0)
        return "Low";
    if (s < 7.0)
        return "Medium";
    if (s < 9.0)
        return "High";
    return "Critical";
}

static const char *severity2(double s)
{
    return s < 4.0 ? "Low" : (s < 7.0 ? "Medium" : "High");
}

#define W(tab, pick, m) ((tab)[m].w[(pick).idx[m]])

static double score_v3(const cvss_pick *p, int v31)
{
    const cvss_metric *t = v3_metrics;
    int changed = p->idx[4] == 1;
    double pr = W(t, *p, 2);
    if (changed && p->idx[2] == 1)
        pr = 0.68;
    else if (changed && p->idx[2] == 2)
        pr = 0.5;
    double iss = 1.0 - (1.0 - W(t, *p, 5)) * (1.0 - W(t, *p, 6)) * (1.0 - W(t, *p, 7));
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
    double expl = 8.22 * W(t, *p, 0) * W(t, *p, 1) * pr * W(t, *p, 3);
    if (impact <= 0)
        return 0.0;
    double raw = changed ? 1.08 * (impact + expl) : impact + expl;
    if (raw > 10.0)
        raw = 10.0;
    return v31 ? sf_cvss_roundup31(raw) : roundup30(raw);
}

static double score_v2(const cvss_pick *p)
{
    const cvss_metric *t = v2_metrics;
    double impact = 10.41 * (1.0 - (1.0 - W(t, *p, 3)) * (1.0 - W(t, *p, 4)) * (1.0 - W(t, *p, 5)));
    double expl = 20.0 * W(t, *p, 0) * W(t, *p, 1) * W(t, *p, 2);
    double f = impact == 0.0 ? 0.0 : 1.176;
    double raw = (0.6 * impact + 0.4 * expl - 1.5) * f;
    /* round_to_1_decimal, half up; the epsilon absorbs float noise
     * (6.449999999 for a true 6.45) the way NVD's published scores do. */
    double r = floor(raw * 10.0 + 0.5 + 1e-9) / 10.0;
    return r < 0.0 ? 0.0 : r;
}

int sf_cvss_score(const char *vector, double *score, char *severity, size_t sevlen)
{
    if (!vector || !score)
        return SF_EINVAL;
    cvss_pick pick;
    const char *sev;
    int rc;
    size_t len = strlen(vector);
    if (len > SF_LIM_CVSS_VECTOR)
        return SF_EPARSE;
    if (strncmp(vector, "CVSS:3.0/", 9) == 0 || strncmp(vector, "CVSS:3.1/", 9) == 0) {
        rc = parse_metrics(vector + 9, len - 9, v3_metrics,
                           sizeof v3_metrics / sizeof v3_metrics[0], 0, &pick);
        if (rc != SF_OK)
            return rc;
        *score = score_v3(&pick, vector[7] == '1');
        sev = sf_cvss_severity3(*score);
    } else if (strncmp(vector, "CVSS:4.0/", 9) == 0) {
        if ((rc = sf_cvss4_score(vector, score)) != SF_OK)
            return rc;
        sev = sf_cvss_severity3(*score);
    } else if (strncmp(vector, "CVSS:", 5) == 0 && strncmp(vector, "CVSS:2.0/", 9) != 0) {
        return SF_EUNSUPPORTED; /* a version newer than 4.0 */
    } else {
        const char *s = vector;
        if (strncmp(s, "CVSS:2.0/", 9) == 0)
            s += 9, len -= 9;
        if (len >= 2 && s[0] == '(' && s[len - 1] == ')')
            s++, len -= 2;
        rc = parse_metrics(s, len, v2_metrics, sizeof v2_metrics / sizeof v2_metrics[0], 1,
                           &pick);
        if (rc != SF_OK)
            return rc;
        *score = score_v2(&pick);
        sev = severity2(*score);
    }
    if (severity && sevlen > 0)
        snprintf(severity, sevlen, "%s", sev);
    return SF_OK;
}
