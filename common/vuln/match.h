/*
 * match: an image's packages x the vulnerability DB -> findings.
 *
 * OS packages are looked up by *source* name under the distro's OSV
 * ecosystem ("Alpine:v3.10", "Debian:11"); language packages by their
 * ecosystem's name rules (PyPI normalisation, npm scopes, Maven
 * group:artifact). Advisories that are aliases of each other (CVE, GHSA,
 * DSA) yield one finding.
 *
 * Threads: matching only reads the DB snapshot and the inventory it is
 * given; any number of threads may match at once against one sf_vdb (each
 * with its own sf_findings). The DB's lifetime rules are vdb.h's.
 */
#ifndef SF_MATCH_H
#define SF_MATCH_H

#include <stddef.h>

#include "base/err.h"
#include "base/pkg.h"
#include "vuln/vdb.h"

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
    char *severity;    /* "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN" (vuln/severity.h) */
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

/* Match pkgs (os may be NULL for images without an OS) against db,
 * appending to out. Findings come sorted by (package, id). */
int sf_match_packages(const sf_vdb *db, const sf_osinfo *os, const sf_pkg *pkgs, size_t npkgs,
                      sf_findings *out, sf_error *err);

#endif
