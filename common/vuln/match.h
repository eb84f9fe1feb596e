/*
 * match: an image's packages x the vulnerability DB -> findings.
 *
 * OS packages are looked up by *source* name under the distro's OSV
 * ecosystem ("Alpine:v3.10", "Debian:11"); language packages by their
 * ecosystem's name rules (PyPI normalisation, npm scopes, Maven
 * group:artifact). Advisories that are aliases of each other (CVE, GHSA,
 * DSA) yield one finding.
 */
#ifndef SF_MATCH_H
#define SF_MATCH_H

#include <stddef.h>

#include "base/err.h"
#include "base/pkg.h"
#include "vuln/vdb.h"

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
    char *severity;    /* "CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN" */
    double cvss;       /* base score, -1 when unknown */
    char *cvss_vector; /* as given (v3.x or v4), NULL when none */
    char *summary;     /* advisory summary, may be NULL */
    char *pkg_path;    /* file the package was found in */
    int layer;         /* layer index of the package */
} sf_finding;

typedef struct sf_findings {
    sf_finding *items;
    size_t n, cap;
} sf_findings;

void sf_findings_init(sf_findings *f);
void sf_findings_clear(sf_findings *f);

/* Match pkgs (os may be NULL for images without an OS) against db,
 * appending to out. Findings come sorted by (package, id). */
int sf_match_packages(const sf_vdb *db, const sf_osinfo *os, const sf_pkg *pkgs, size_t npkgs,
                      sf_findings *out, sf_error *err);

#endif
