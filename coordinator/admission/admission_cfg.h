/*
 * admission_cfg: scanfarm-admission's options, one sf_opt table
 * (base/opt.h): the same rows parse the config file, the environment and
 * argv, print --help and --print-config, and generate
 * docs/admission-config.md (a unit test fails when the doc drifts).
 */
#ifndef SF_ADMISSION_CFG_H
#define SF_ADMISSION_CFG_H

#include "admission.h"
#include "base/opt.h"
#include "bus/kconf.h"
#include "fleet/conn.h"

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
    sf_kprops kprops;      /* the Kafka options (taken out of argv first, listed here) */
    sf_fleet_conn r;       /* Redis AUTH, TLS and cluster (its redis/prefix unused) */
    /* derived by validation */
    int min_sev;
    sf_adm_unscanned unscanned_policy;
} sf_admcfg;

/* Defaults < config file < environment < argv; cmd says what besides
 * settings the command line asked for (--help, --print-config,
 * --print-docs, --version: sf_opt_act). SF_ECONFIG with a message. */
int sf_admcfg_load(sf_admcfg *c, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err);
void sf_admcfg_free(sf_admcfg *c);
const sf_opt_spec *sf_admcfg_spec(void);
/* The option reference as Markdown (malloc'd): docs/admission-config.md. */
char *sf_admcfg_markdown(void);

#endif
