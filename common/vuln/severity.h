/*
 * severity: the one rule that gives a finding its severity, and the
 * priority key reports sort by (docs/severity.md). Pure functions over
 * plain inputs so the rule is table-tested apart from the DB.
 *
 * Rule, first present wins:
 *   1. the distro/vendor's own rating of the flaw for that package
 *      (Debian tracker urgency, Ubuntu priority)           -> "vendor"
 *   2. the advisory's own severity: the score of its CVSS vector
 *      (OSV / GHSA severity[]), else its word
 *      (database_specific.severity, the GHSA extract)      -> "advisory"
 *   3. NVD's Primary CVSS, v3.1, then v3.0, v4.0, v2       -> "nvd-v3.1", ...
 * Nothing present: "UNKNOWN" with no source.
 */
#ifndef SF_SEVERITY_H
#define SF_SEVERITY_H

/* NVD Primary score slots, in the rule's order. */
enum { SF_SEV_NVD31 = 0, SF_SEV_NVD30, SF_SEV_NVD40, SF_SEV_NVD2, SF_SEV_NVD_N };

typedef struct sf_sev_inputs {
    const char *vendor;        /* distro's word for the package, NULL = none */
    double advisory_cvss;      /* score of the advisory's own vector, < 0 = none */
    int advisory_cvss_version; /* 20, 30, 31, 40 */
    const char *advisory;      /* advisory's own word, NULL = none */
    double nvd[SF_SEV_NVD_N];  /* NVD Primary base scores, < 0 = absent */
} sf_sev_inputs;

typedef struct sf_sev_decision {
    const char *severity; /* static: "CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE", "UNKNOWN" */
    const char *source;   /* static: "vendor", "advisory", "nvd-v3.1", "nvd-v3.0",
                             "nvd-v4.0", "nvd-v2"; NULL for UNKNOWN */
    double score;         /* the CVSS score behind it, -1 when it is a word (or none) */
} sf_sev_decision;

/* An sf_sev_inputs with nothing present. */
void sf_sev_inputs_init(sf_sev_inputs *in);
/* Apply the rule. */
void sf_severity_decide(const sf_sev_inputs *in, sf_sev_decision *out);

/* A severity word in the findings' vocabulary, or NULL when w is not
 * one: case-insensitive CRITICAL/HIGH/MEDIUM/LOW; MODERATE -> MEDIUM,
 * IMPORTANT -> HIGH, NEGLIGIBLE/UNIMPORTANT -> LOW. */
const char *sf_severity_word(const char *w);
/* Band of a CVSS score: v2 (version 20) by NVD's v2 bands (no
 * CRITICAL), every later version by the v3/v4 bands; 0.0 is "NONE". */
const char *sf_severity_of_score(double score, int version);

/*
 * Priority key (higher = first): CISA KEV listing first, then the EPSS
 * percentile, then the CVSS score, then whether a fix exists, encoded in
 * one integer so any consumer can sort by it:
 *   kev * 10^8 + round(epss_percentile * 1000) * 10^4 + round(cvss * 10) * 10 + fixable
 * epss_percentile and cvss < 0 count as 0.
 */
long sf_priority(int kev, double epss_percentile, double cvss, int fixable);

#endif
