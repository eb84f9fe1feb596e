/*
 * advisory: where a human reads an advisory. The HTML report and the web
 * console link each vulnerability id to its canonical page, chosen by the
 * id's namespace: CVE -> NVD, GHSA -> GitHub's
 * advisory database, Debian DSA/DLA -> the Debian tracker, USN -> Ubuntu,
 * RHSA/RHBA/RHEA -> Red Hat errata, every other OSV namespace (PYSEC, GO,
 * RUSTSEC, OSV, ...) -> osv.dev. A CVE also has a distro tracker page for
 * the image's OS (sf_advisory_tracker_url). Pure functions, no I/O.
 */
#ifndef SF_ADVISORY_H
#define SF_ADVISORY_H

#include <stddef.h>

/* Longest URL either function writes (prefix + an id of SF_ADVISORY_ID_MAX). */
#define SF_ADVISORY_ID_MAX 128
#define SF_ADVISORY_URL_MAX 256

/* Canonical page of advisory `id` into out. Returns 1 when written, 0
 * when id has no known page or holds a character outside [A-Za-z0-9._:-]
 * (so a hostile id never becomes a URL). */
int sf_advisory_url(const char *id, char *out, size_t outlen);

/* osv.dev's page of `id`: OSV aggregates every namespace (CVE, GHSA, the
 * distributions' ids), so any well-formed id has one. Returns 1 when
 * written, 0 for an id sf_advisory_url would refuse as malformed. */
int sf_advisory_osv_url(const char *id, char *out, size_t outlen);

/* The distro's tracker page for CVE `id` in an image whose OS is `os`
 * ("alpine 3.10.3", "debian 12", "ubuntu 22.04", "rhel 9", ...). Returns 1
 * when written, 0 when id is no CVE or the OS has no tracker here. */
int sf_advisory_tracker_url(const char *id, const char *os, char *out, size_t outlen);

#endif
