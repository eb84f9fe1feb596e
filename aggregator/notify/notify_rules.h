/*
 * notify_rules: scanfarm-notify's policy file (JSON, or YAML through
 * yaml2json): which findings are told to which sinks, and how grouped.
 *
 *   {"sinks": {"<name>": {"type": "webhook" | "slack" | "teams" | "github" |
 *                                  "azure-devops", ...}},
 *    "rules": [{"name": ..., "severity": "HIGH", "fixable": true,
 *               "kev": true, "epss_min": 0.1, "registries": [globs],
 *               "repositories": [globs], "ecosystems": [globs],
 *               "advisories": [globs], "sinks": [names],
 *               "group": "finding" | "image"}]}
 *
 * Secrets (webhook URLs, tokens, HMAC keys) are never literal in the file:
 * each is named by `<what>_env` (an environment variable) or `<what>_file`
 * (a file whose content, trailing newline stripped, is the secret). The
 * parser refuses a literal `url`/`token`/`secret` so a policy file can be
 * committed and shown. docs/notifications.md documents every field.
 *
 * Everything from the file is untrusted input: unknown keys, wrong types,
 * out-of-range numbers and more than the SF_LIM_NOTIFY_* entries are
 * SF_ECONFIG with the offending path in the message.
 */
#ifndef SF_NOTIFY_RULES_H
#define SF_NOTIFY_RULES_H

#include <stddef.h>

#include "base/err.h"
#include "base/limits.h"

typedef enum sf_nsink_type {
    SF_NSINK_WEBHOOK = 0,
    SF_NSINK_SLACK,
    SF_NSINK_GITHUB,
    SF_NSINK_TEAMS, /* Microsoft Teams Workflows webhook (Adaptive Card) */
    SF_NSINK_ADO    /* Azure DevOps work items */
} sf_nsink_type;

/* One configured sink. Secrets are resolved at load time and never printed. */
typedef struct sf_nsink {
    char *name;
    sf_nsink_type type;
    char *url;        /* webhook / slack / teams: the POST target (secret) */
    char *secret;     /* webhook: HMAC-SHA256 key (secret), NULL = unsigned */
    char *api;        /* github: API base, default https://api.github.com;
                       * azure-devops: the organization URL (required) */
    char *repo;       /* github: "owner/name"; azure-devops: the project */
    char *token;      /* github token / azure-devops PAT (secret) */
    char *label;      /* github label / azure-devops tag, default "scanfarm" */
    char *wi_type;    /* azure-devops: work item type, default "Bug" */
    char *open_state; /* azure-devops: state of a reopened item, default "New" */
    char *closed_state; /* azure-devops: state of a resolved item, default "Done" */
} sf_nsink;

typedef enum sf_ngroup { SF_NGROUP_FINDING = 0, SF_NGROUP_IMAGE } sf_ngroup;

typedef struct sf_nglobs {
    char **v;
    size_t n;
} sf_nglobs;

typedef struct sf_nrule {
    char *name;
    int min_sev;        /* rank (sf_nrules_sev_rank) a finding must reach */
    int fixable;        /* -1 any, 0 only unfixed, 1 only fixable */
    int kev;            /* -1 any, 1 only CVEs listed in CISA KEV */
    double epss_min;    /* < 0 = any; else a finding needs epss.score >= it */
    sf_nglobs registries, repositories, ecosystems, advisories; /* empty = all */
    size_t sinks[SF_LIM_NOTIFY_SINKS_PER_RULE]; /* indexes into sf_nrules.sinks */
    size_t nsinks;
    sf_ngroup group;
} sf_nrule;

typedef struct sf_nrules {
    sf_nsink *sinks;
    size_t nsinks;
    sf_nrule *rules;
    size_t nrules;
} sf_nrules;

/* What a rule looks at in one finding (all borrowed; NULL = absent). */
typedef struct sf_nfacts {
    const char *registry;   /* "127.0.0.1:5000" */
    const char *repository; /* "team/api" */
    const char *ecosystem;
    const char *advisory;
    const char *severity;
    int fixable;
    int kev;                /* listed in KEV */
    double epss;            /* < 0 when absent */
} sf_nfacts;

/*
 * Parse a policy document (JSON; YAML when it does not start with '{' and
 * the build has libyaml) into *out (caller frees with sf_nrules_free).
 * getenv_fn resolves `*_env` names (NULL = getenv), so tests pass their
 * own environment. SF_ECONFIG / SF_ELIMIT with a message naming the path.
 */
int sf_nrules_parse(sf_nrules **out, const char *text, size_t len,
                    const char *(*getenv_fn)(const char *), sf_error *err);

/* Read path (capped at SF_LIM_NOTIFY_FILE_BYTES) and parse it. */
int sf_nrules_load(sf_nrules **out, const char *path, sf_error *err);

void sf_nrules_free(sf_nrules *r);

/* 1 when rule r accepts a finding with facts f. */
int sf_nrules_match(const sf_nrule *r, const sf_nfacts *f);

/* CRITICAL 4, HIGH 3, MEDIUM 2, LOW 1, anything else 0; -1 when s is
 * not a severity name at all (only for the rule parser). */
int sf_nrules_sev_rank(const char *s);

/* Split an image reference "registry/repo/path:tag" (or "@digest") into
 * registry and repository (written to the caller's buffers). SF_EPARSE
 * when it has no '/' or does not fit. */
int sf_nrules_split_ref(const char *ref, char *reg, size_t reglen, char *repo, size_t repolen);

#endif
