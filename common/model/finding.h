/*
 * finding: one vulnerability found in one package of an image — what the
 * matcher (vuln/match.h) produces, the result document carries
 * (model/result.h, bus/msg_result.h) and every report reads.
 *
 * Thread safety: plain data, owned by whoever holds it.
 */
#ifndef SF_MODEL_FINDING_H
#define SF_MODEL_FINDING_H

#include <stddef.h>

#include "base/pkg.h"

/* One CVSS metric known for a finding's flaw. */
typedef struct sf_cvss_entry {
    char *version; /* "2.0", "3.0", "3.1", "4.0" */
    char *vector;
    char *source;  /* who scored: "nvd@nist.gov", a CNA, or the advisory id */
    char *type;    /* "Primary" / "Secondary" (NVD), "advisory" */
    double score;  /* base score */
} sf_cvss_entry;

typedef struct sf_finding {
    char *id;          /* preferred id: the CVE when there is one */
    char **aliases;    /* every other id of the same flaw (GHSA, DSA, ALPINE-...) */
    size_t naliases;
    char *pkg_name;    /* binary/installed package name */
    char *src_name;    /* source package the advisory names (NULL = pkg_name) */
    char *ecosystem;   /* OSV ecosystem string ("Alpine:v3.10", "npm") */
    sf_pkg_type pkg_type;
    char *installed;   /* installed version */
    char *fixed;       /* first fixed version; NULL = unfixed */
    char *severity;    /* "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN" (model/severity.h; vuln/severity.h decides) */
    char *severity_source; /* "vendor", "advisory", "nvd-v3.1", ...; NULL for UNKNOWN */
    double cvss;       /* base score behind the severity (else the first known), -1 none */
    char *cvss_vector; /* its vector, NULL when none */
    sf_cvss_entry *cvss_all; /* every CVSS metric known (advisory's, NVD's) */
    size_t ncvss;
    int kev;           /* 1: CISA KEV lists the CVE (or an alias) */
    int kev_ransomware;
    char *kev_added, *kev_due; /* "YYYY-MM-DD", NULL when absent */
    double epss, epss_pct; /* EPSS probability / percentile, -1 when none */
    char *epss_date;
    long priority;     /* sf_priority(): KEV, EPSS percentile, CVSS, fixable */
    char *summary;     /* advisory summary, may be NULL */
    char *pkg_path;    /* file the package was found in */
    int layer;         /* layer index of the package */
} sf_finding;

typedef struct sf_findings {
    sf_finding *items;
    size_t n, cap;
} sf_findings;

/* Free what one finding holds and zero it. */
void sf_finding_clear(sf_finding *f);

void sf_findings_init(sf_findings *f);
void sf_findings_clear(sf_findings *f);

#endif
