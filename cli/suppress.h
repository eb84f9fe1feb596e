/*
 * suppress: findings a user has ruled on, for `scanfarm scan`.
 *
 * Rules come from an ignore file (.scanfarmignore) and from VEX documents
 * (OpenVEX, CycloneDX VEX; see vex.c). A rule names an advisory id (a
 * finding matches by its id or any alias) and optionally the packages it
 * covers: purls (a purl without @version covers every version) or, in an
 * ignore file, a package name (binary or source). A rule naming no
 * package covers the advisory in every package of the image.
 *
 * .scanfarmignore, one rule per line, '#' starts a comment:
 *
 *     ID [PACKAGE|PURL] [exp:YYYY-MM-DD] reason: TEXT
 *
 * The reason is required (a suppression nobody can explain is a hole in
 * the gate). A rule past its expiry date (UTC, inclusive) is kept but
 * marked expired and never applied, so the caller can say so.
 *
 * sf_supp_apply moves matched findings out of a result into a suppressed
 * list: everything downstream (table, exit code, severity filters) sees
 * only what is left, and the documents report the suppressed ones with
 * their status and justification.
 */
#ifndef SF_SUPPRESS_H
#define SF_SUPPRESS_H

#include <stddef.h>

#include "base/err.h"
#include "bus/msg_result.h"

typedef struct sf_supp_rule {
    char *id;            /* advisory id */
    char **purls;        /* packages covered (version optional); none = all */
    size_t npurls;
    char *package;       /* ignore file: a package name instead of a purl */
    const char *status;  /* "ignored", "not_affected", "fixed" (static) */
    char *justification; /* VEX justification label, or NULL */
    char *reason;        /* ignore reason, VEX impact statement / detail */
    char *source;        /* "<file>:<line>" or "<file>: statement N" */
    char expires[11];    /* "YYYY-MM-DD" or "" */
    int expired;         /* past expires: never applied */
} sf_supp_rule;

typedef struct sf_supp sf_supp;

int sf_supp_new(sf_supp **out);
void sf_supp_free(sf_supp *s);
size_t sf_supp_count(const sf_supp *s);
/* Rule i (borrowed). */
const sf_supp_rule *sf_supp_rule_at(const sf_supp *s, size_t i);

/* Add the rules of an ignore file's text (untrusted; `name` labels
 * messages); today is "YYYY-MM-DD" (UTC) for expiry. SF_EPARSE with the
 * line in err on a malformed line; SF_ELIMIT past the caps. */
int sf_supp_load_ignore(sf_supp *s, const char *text, size_t len, const char *name,
                        const char *today, sf_error *err);
/* Add the not_affected / fixed statements of an OpenVEX or CycloneDX VEX
 * JSON document (vex.c). SF_EPARSE when it is neither or malformed. */
int sf_supp_load_vex(sf_supp *s, const char *text, size_t len, const char *name,
                     sf_error *err);
/* Read path (capped at SF_LIM_VEX_BYTES) and load it as an ignore file
 * (vex = 0) or a VEX document. */
int sf_supp_load_file(sf_supp *s, const char *path, int vex, const char *today, sf_error *err);

/* Internal to suppress.c / vex.c: append a rule (steals its strings;
 * cleared on failure too). */
int sf_supp_add(sf_supp *s, sf_supp_rule *r, sf_error *err);
/* Free a rule's strings and zero it. */
void sf_supp_rule_clear(sf_supp_rule *r);

/* The first unexpired rule covering finding f of a package with purl
 * (may be NULL), or NULL. */
const sf_supp_rule *sf_supp_match(const sf_supp *s, const sf_finding *f, const char *purl);

/* Findings taken out of results, each with the rule that took it and
 * the platform index of its result. */
typedef struct sf_suppressed {
    sf_findings findings;
    const sf_supp_rule **rules; /* parallel to findings.items */
    size_t *plat;
} sf_suppressed;

void sf_suppressed_init(sf_suppressed *x);
void sf_suppressed_clear(sf_suppressed *x);

/* Move every finding of r that a rule covers into x (tagged plat). */
int sf_supp_apply(const sf_supp *s, sf_result *r, size_t plat, sf_suppressed *x);

#endif
