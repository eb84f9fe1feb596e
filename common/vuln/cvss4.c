/*
 * cvss4: CVSS v4.0 scores (FIRST CVSS v4.0 specification, section 8).
 *
 * v4.0 has no closed formula. A vector falls into one MacroVector (six
 * equivalence classes EQ1..EQ6 of its effective metrics) whose score the
 * specification tabulates (cvss4_table.h); the score is then lowered
 * inside the MacroVector by how far the vector sits below that class's
 * highest-severity vectors, measured in "severity distance" steps of 0.1
 * and scaled by the gap to the next lower MacroVector:
 *
 *   score = table[MV] - mean over the EQs that have a lower MacroVector of
 *           (table[MV] - table[lower MV]) * distance / max distance
 *
 * Effective metrics: a defined environmental M* metric replaces its base
 * metric; E:X reads A (attacked), CR/IR/AR:X read H. Distances are kept in
 * integer tenths so no float noise reaches the comparisons.
 */
#include "vuln/cvss.h"

#include <math.h>
#include <string.h>

#include "base/err.h"
#include "vuln/cvss4_table.h"

enum {
    AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA, /* base */
    E, CR, IR, AR, MAV, MAC, MAT, MPR, MUI, MVC, MVI, MVA, MSC, MSI, MSA,
    S, AU, R, V, RE, U, NMETRIC
};

/* Metric names in the order above and their allowed values (one letter
 * each, but U's words: see u_values). */
static const struct {
    const char *name, *values;
} mt[NMETRIC] = {
    {"AV", "NALP"}, {"AC", "LH"},    {"AT", "NP"},    {"PR", "NLH"},   {"UI", "NPA"},
    {"VC", "HLN"},  {"VI", "HLN"},   {"VA", "HLN"},   {"SC", "HLN"},   {"SI", "HLN"},
    {"SA", "HLN"},  {"E", "XAPU"},   {"CR", "XHML"},  {"IR", "XHML"},  {"AR", "XHML"},
    {"MAV", "XNALP"}, {"MAC", "XLH"}, {"MAT", "XNP"}, {"MPR", "XNLH"}, {"MUI", "XNPA"},
    {"MVC", "XHLN"}, {"MVI", "XHLN"}, {"MVA", "XHLN"}, {"MSC", "XHLN"}, {"MSI", "XSHLN"},
    {"MSA", "XSHLN"}, {"S", "XNP"},  {"AU", "XNY"},   {"R", "XAUI"},   {"V", "XDC"},
    {"RE", "XLMH"}, {"U", NULL},
};

static const char *const u_values[] = {"X", "Clear", "Green", "Amber", "Red"};

/* Parse "M:V/M:V/..." into val[] (letters; 0 = absent). */
static int parse(const char *s, size_t len, char val[NMETRIC])
{
    memset(val, 0, NMETRIC);
    const char *e = s + len;
    while (s < e) {
        const char *slash = memchr(s, '/', (size_t)(e - s)), *end = slash ? slash : e;
        const char *colon = memchr(s, ':', (size_t)(end - s));
        if (!colon || colon + 1 == end)
            return SF_EPARSE;
        size_t nn = (size_t)(colon - s), vn = (size_t)(end - colon - 1);
        int m = 0;
        while (m < NMETRIC && !(strlen(mt[m].name) == nn && memcmp(mt[m].name, s, nn) == 0))
            m++;
        if (m == NMETRIC || val[m])
            return SF_EPARSE;
        if (m == U) {
            size_t k = 0;
            while (k < 5 && !(strlen(u_values[k]) == vn && memcmp(u_values[k], colon + 1, vn) == 0))
                k++;
            if (k == 5)
                return SF_EPARSE;
            val[m] = u_values[k][0];
        } else {
            if (vn != 1 || !strchr(mt[m].values, colon[1]))
                return SF_EPARSE;
            val[m] = colon[1];
        }
        if (!slash)
            break;
        s = slash + 1;
        if (s == e)
            return SF_EPARSE;
    }
    for (int m = AV; m <= SA; m++)
        if (!val[m])
            return SF_EPARSE;
    return SF_OK;
}

/* Effective value of base metric m (AV..SA), E, CR, IR, AR. */
static char eff(const char val[NMETRIC], int m)
{
    if (m == E)
        return val[E] && val[E] != 'X' ? val[E] : 'A';
    if (m == CR || m == IR || m == AR)
        return val[m] && val[m] != 'X' ? val[m] : 'H';
    int mm = MAV + (m - AV);
    return val[mm] && val[mm] != 'X' ? val[mm] : val[m];
}

typedef struct eqs {
    int e[6];
} eqs;

static eqs macrovector(const char v[NMETRIC])
{
    eqs q;
    char av = eff(v, AV), pr = eff(v, PR), ui = eff(v, UI);
    char vc = eff(v, VC), vi = eff(v, VI), va = eff(v, VA);
    q.e[0] = av == 'N' && pr == 'N' && ui == 'N'                 ? 0
             : (av == 'N' || pr == 'N' || ui == 'N') && av != 'P' ? 1
                                                                 : 2;
    q.e[1] = eff(v, AC) == 'L' && eff(v, AT) == 'N' ? 0 : 1;
    q.e[2] = vc == 'H' && vi == 'H' ? 0 : (vc == 'H' || vi == 'H' || va == 'H') ? 1 : 2;
    char si = eff(v, SI), sa = eff(v, SA);
    q.e[3] = si == 'S' || sa == 'S' ? 0 : (eff(v, SC) == 'H' || si == 'H' || sa == 'H') ? 1 : 2;
    char e = eff(v, E);
    q.e[4] = e == 'A' ? 0 : e == 'P' ? 1 : 2;
    q.e[5] = (eff(v, CR) == 'H' && vc == 'H') || (eff(v, IR) == 'H' && vi == 'H') ||
                     (eff(v, AR) == 'H' && va == 'H')
                 ? 0
                 : 1;
    return q;
}

/* Table score x10 of q, -1 when that MacroVector does not exist. */
static int lookup(eqs q)
{
    if (q.e[0] > 2 || q.e[1] > 1 || q.e[2] > 2 || q.e[3] > 2 || q.e[4] > 2 || q.e[5] > 1)
        return -1;
    int s = cvss4_macro[q.e[0]][q.e[1]][q.e[2]][q.e[3]][q.e[4]][q.e[5]];
    return s == 255 ? -1 : s;
}

/* Severity level in tenths of a metric's value (lower = more severe). */
static int level(int m, char c)
{
    static const struct {
        int m;
        const char *vals;
        int lv[4];
    } tab[] = {
        {AV, "NALP", {0, 1, 2, 3}}, {PR, "NLH", {0, 1, 2}}, {UI, "NPA", {0, 1, 2}},
        {AC, "LH", {0, 1}},         {AT, "NP", {0, 1}},     {VC, "HLN", {0, 1, 2}},
        {VI, "HLN", {0, 1, 2}},     {VA, "HLN", {0, 1, 2}}, {SC, "HLN", {1, 2, 3}},
        {SI, "SHLN", {0, 1, 2, 3}}, {SA, "SHLN", {0, 1, 2, 3}}, {CR, "HML", {0, 1, 2}},
        {IR, "HML", {0, 1, 2}},     {AR, "HML", {0, 1, 2}},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        const char *p = tab[i].m == m ? strchr(tab[i].vals, c) : NULL;
        if (p)
            return tab[i].lv[p - tab[i].vals];
    }
    return 0;
}

/* The highest-severity vectors of each class (specification data), as
 * "metric letters" strings: EQ1 AV PR UI, EQ2 AC AT, EQ3+EQ6 VC VI VA CR
 * IR AR, EQ4 SC SI SA. */
static const char *const max_eq1[3][3] = {{"NNN"}, {"ANN", "NLN", "NNP"}, {"PNN", "ALP"}};
static const char *const max_eq2[2][2] = {{"LN"}, {"HN", "LP"}};
static const char *const max_eq36[3][2][5] = {
    {{"HHHHHH"}, {"HHLMMH", "HHHMMM"}},
    {{"LHHHHH", "HLHHHH"}, {"LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM"}},
    {{NULL}, {"LLLHHH"}},
};
static const char *const max_eq4[3] = {"HSS", "HHH", "LLL"};
/* Largest severity distance inside each class, in tenths. */
static const int maxsev_eq1[3] = {1, 4, 5}, maxsev_eq2[2] = {1, 2}, maxsev_eq4[3] = {6, 5, 4};
static const int maxsev_eq36[3][2] = {{7, 6}, {8, 8}, {0, 10}};

static const int m_eq1[] = {AV, PR, UI}, m_eq2[] = {AC, AT}, m_eq36[] = {VC, VI, VA, CR, IR, AR},
                 m_eq4[] = {SC, SI, SA};

/* Sum of distances of the metrics ms[n] to max; -1 if any is negative. */
static int dist(const char v[NMETRIC], const int *ms, int n, const char *max)
{
    int d = 0;
    for (int i = 0; i < n; i++) {
        int x = level(ms[i], eff(v, ms[i])) - level(ms[i], max[i]);
        if (x < 0)
            return -1;
        d += x;
    }
    return d;
}

/* Distances per class to the first highest-severity vector the vector
 * does not exceed in any metric (the specification's search order). */
static void distances(const char v[NMETRIC], eqs q, int d[4])
{
    const char *const *l1 = max_eq1[q.e[0]], *const *l2 = max_eq2[q.e[1]];
    const char *const *l36 = max_eq36[q.e[2]][q.e[5]];
    for (int a = 0; a < 3 && l1[a]; a++)
        for (int b = 0; b < 2 && l2[b]; b++)
            for (int c = 0; c < 5 && l36[c]; c++) {
                int d1 = dist(v, m_eq1, 3, l1[a]), d2 = dist(v, m_eq2, 2, l2[b]);
                int d36 = dist(v, m_eq36, 6, l36[c]), d4 = dist(v, m_eq4, 3, max_eq4[q.e[3]]);
                if (d1 >= 0 && d2 >= 0 && d36 >= 0 && d4 >= 0) {
                    d[0] = d1, d[1] = d2, d[2] = d36, d[3] = d4;
                    return;
                }
            }
    d[0] = d[1] = d[2] = d[3] = 0;
}

/* Table score of the next lower MacroVector of EQ3+EQ6 (x10, -1 none). */
static int lower_eq36(eqs q)
{
    eqs a = q, b = q;
    if (q.e[2] == 0 && q.e[5] == 0) {
        a.e[5] = 1;
        b.e[2] = 1;
        int la = lookup(a), lb = lookup(b);
        return la > lb ? la : lb;
    }
    if (q.e[2] == 1 && q.e[5] == 0)
        a.e[5] = 1;
    else
        a.e[2]++;
    return lookup(a);
}

int sf_cvss4_score(const char *vector, double *score)
{
    char v[NMETRIC];
    size_t len = strlen(vector);
    if (len < 9 || strncmp(vector, "CVSS:4.0/", 9) != 0)
        return SF_EPARSE;
    int rc = parse(vector + 9, len - 9, v);
    if (rc)
        return rc;
    static const int impact[] = {VC, VI, VA, SC, SI, SA};
    int any = 0;
    for (int i = 0; i < 6; i++)
        any |= eff(v, impact[i]) != 'N';
    if (!any) {
        *score = 0.0;
        return SF_OK;
    }
    eqs q = macrovector(v);
    int value = lookup(q), d[4];
    distances(v, q, d);
    eqs l1 = q, l2 = q, l4 = q, l5 = q;
    l1.e[0]++, l2.e[1]++, l4.e[3]++, l5.e[4]++;
    const int lower[5] = {lookup(l1), lookup(l2), lower_eq36(q), lookup(l4), lookup(l5)};
    const int maxsev[4] = {maxsev_eq1[q.e[0]], maxsev_eq2[q.e[1]], maxsev_eq36[q.e[2]][q.e[5]],
                           maxsev_eq4[q.e[3]]};
    double sum = 0;
    int n = 0;
    for (int i = 0; i < 5; i++) {
        if (lower[i] < 0)
            continue;
        n++;
        /* EQ5 has one vector per class: its distance is always 0. */
        if (i < 4 && maxsev[i] > 0)
            sum += (value - lower[i]) / 10.0 * d[i] / maxsev[i];
    }
    double s = value / 10.0 - (n ? sum / n : 0.0);
    s = s < 0 ? 0 : s > 10 ? 10 : s;
    *score = floor(s * 10.0 + 0.5 + 1e-9) / 10.0;
    return SF_OK;
}
