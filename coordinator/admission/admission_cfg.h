/*
 * admission_cfg: scanfarm-admission's options, one sf_opt table
 * (opttab.h): the same rows parse the config file, the environment and
 * argv, print --help and --print-config, and generate
 * docs/admission-config.md (a unit test fails when the doc drifts).
 */
#ifndef SF_ADMISSION_CFG_H
#define SF_ADMISSION_CFG_H

#include "admission.h"
#include "config.h"

typedef struct sf_admcfg {
    char *config;
    char *listen;          /* "host:port" of the HTTPS listener */
    char *tls_cert;        /* PEM chain, reloaded when the file changes */
    char *tls_key;
    sf_strlist redis;      /* fleet view nodes */
    char *key_prefix;
    char *kafka;
    char *jobs_topic;      /* allow-and-scan jobs */
    char *severity;        /* threshold */
    int fixable;           /* only findings with a fix deny */
    char *unscanned;       /* allow | deny | allow-and-scan */
    int audit;
    sf_strlist exempt_namespaces;
    long budget_ms;
    long tag_cache_ttl_s;
    int resolve_tags;
    sf_strlist insecure_registries;
    char *docker_config;
    char *registry_ca_file;
    char *log_level;
    /* derived by validation */
    int min_sev;
    sf_adm_unscanned unscanned_policy;
} sf_admcfg;

/* Defaults < config file < environment < argv. *action: 0 run, 1 --help,
 * 2 --print-config, 3 --version. SF_ECONFIG with a message. */
int sf_admcfg_load(sf_admcfg *c, int argc, char **argv, int *action, sf_error *err);
void sf_admcfg_free(sf_admcfg *c);
void sf_admcfg_help(void *file);
/* Effective configuration as JSON (malloc'd). */
char *sf_admcfg_dump(const sf_admcfg *c);
/* The option table as Markdown (malloc'd): docs/admission-config.md. */
char *sf_admcfg_markdown(void);

#endif
