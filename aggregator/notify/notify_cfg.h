/*
 * notify_cfg: scanfarm-notify's options. One table names every option
 * with its type, place, default, environment variable and help; the same
 * table parses the command line and the environment, prints --help,
 * prints the effective configuration (--print-config) and generates
 * docs/notify-config.md (a unit test fails when the doc drifts).
 *
 * Precedence: built-in default < environment < command line. The policy
 * (sinks and rules) lives in the file named by --config (notify_rules.h);
 * its secrets come from files or the environment only.
 */
#ifndef SF_NOTIFY_CFG_H
#define SF_NOTIFY_CFG_H

#include <stdio.h>

#include "base/err.h"
#include "bus/kconf.h"
#include "fleet/conn.h"

typedef struct sf_notifycfg {
    char *config;       /* policy file (sinks and rules) */
    char *kafka;        /* bootstrap servers */
    char *topic;        /* findings topic consumed */
    char *results_topic; /* results topic for first-scan notifications ("" = off) */
    char *group;        /* consumer group */
    char *dlq_topic;    /* dead letters */
    char *redis;        /* dedup store "host:port" ("" = none) */
    char *key_prefix;   /* prefix of every Redis key */
    char *from;         /* read deltas from this JSONL file instead of Kafka */
    char *log_level;
    long max_retries;   /* per request */
    long backoff_base_ms;
    long backoff_max_ms;
    long timeout_ms;    /* connect and stall timeout of one request */
    long dedup_ttl_s;   /* lifetime of a "sent" dedup key */
    long session_timeout_ms; /* Kafka consumer group session timeout */
    long exit_idle_ms;  /* exit after this long without a message (0 = never) */
    long metrics_port;  /* Prometheus /metrics (0 = off) */
    int dry_run;
    sf_kprops kprops;   /* the Kafka options (taken out of argv first, listed here) */
    sf_fleet_conn r;    /* Redis AUTH, TLS and cluster (its redis/prefix unused) */
} sf_notifycfg;

/* Parse argv (argv[0] skipped) and the environment into cfg, on the option
 * engine (base/opt.h). *action: 0 run, 1 --help, 2 --print-config,
 * 3 --print-docs, 4 --version. SF_ECONFIG with a message. */
int sf_notifycfg_load(sf_notifycfg *cfg, int argc, char **argv, int *action, sf_error *err);
void sf_notifycfg_free(sf_notifycfg *cfg);
void sf_notifycfg_help(FILE *f);
/* Print what a non-zero action of sf_notifycfg_load asks for. */
void sf_notifycfg_act(const sf_notifycfg *cfg, int action, FILE *out);
/* Effective configuration as JSON (malloc'd). */
char *sf_notifycfg_dump(const sf_notifycfg *cfg);
/* The option table as Markdown (malloc'd): docs/notify-config.md. */
char *sf_notifycfg_markdown(void);

#endif
