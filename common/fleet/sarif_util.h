/*
 * sarif_util: what the fleet report's and `scan`'s SARIF 2.1.0 share: a
 * rule's help (helpUri to the advisory's page, help text and markdown),
 * image references as URI references, and levels.
 */
#ifndef SF_SARIF_UTIL_H
#define SF_SARIF_UTIL_H

#include <jansson.h>
#include <stddef.h>

/* The public page of an advisory id: NVD for CVE-, the GitHub advisory
 * database for GHSA-, OSV for every other id (OSV indexes them all). */
void sf_sarif_help_uri(const char *id, char *out, size_t n);

/* Add "helpUri" and "help" {text, markdown} to rule: the advisory's page,
 * its summary when known, and what to do (upgrade pkg to `fixed`, no fix
 * known; pkg NULL = rule over many packages: see the advisory). 0 or -1. */
int sf_sarif_rule_help(json_t *rule, const char *id, const char *summary, const char *pkg,
                       const char *fixed);

/* ref percent-encoded as a relative URI reference (a "host:port/..." ref
 * would otherwise read as a URI scheme). New reference; NULL on ENOMEM. */
json_t *sf_sarif_uri(const char *ref);

/* SARIF level of a severity rank (sf_severity_rank: 4 CRITICAL .. 0 UNKNOWN). */
const char *sf_sarif_level(int rank);

#endif
