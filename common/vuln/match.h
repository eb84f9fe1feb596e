/*
 * match: an image's packages x the vulnerability DB -> findings.
 *
 * OS packages are looked up by *source* name under the distro's OSV
 * ecosystem ("Alpine:v3.10", "Debian:11"); language packages by their
 * ecosystem's name rules (PyPI normalisation, npm scopes, Maven
 * group:artifact). Advisories that are aliases of each other (CVE, GHSA,
 * DSA) yield one finding (model/finding.h).
 */
#ifndef SF_MATCH_H
#define SF_MATCH_H

#include <stddef.h>

#include "base/err.h"
#include "base/pkg.h"
#include "model/finding.h"
#include "vuln/vdb.h"

/* Match pkgs (os may be NULL for images without an OS) against db,
 * appending to out. Findings come sorted by (package, id). */
int sf_match_packages(const sf_vdb *db, const sf_osinfo *os, const sf_pkg *pkgs, size_t npkgs,
                      sf_findings *out, sf_error *err);

#endif
