/*
 * wconf: scanfarm-worker's configuration, one option table on the option
 * engine (base/opt.h, STYLE §10).
 *
 * Each option has a key (the JSON config-file key; the flag is --key with
 * '_' -> '-'), an environment variable SCANFARM_<KEY>, a type, a default,
 * bounds, a secret flag and a help line. Values are applied in order:
 * defaults, the config file (`--config FILE`, JSON object; keys written
 * with '-' as before still work), the environment, then the command line.
 * The same table prints `--help`, the redacted `--print-config`, and the
 * Markdown reference docs/worker-config.md (a test fails on drift).
 */
#ifndef SF_WCONF_H
#define SF_WCONF_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/opt.h"
#include "bus/kconf.h"

typedef struct sf_wconf {
    char *config;            /* config file path (NULL = none) */
    char *kafka;             /* bootstrap brokers */
    sf_strlist redis;        /* Redis nodes ("host:port"); >1 = sharded */
    long redis_db;
    char *redis_username;    /* AUTH user (Redis 6 ACL) */
    char *redis_password_file; /* file holding the AUTH password */
    char *redis_password;    /* secret: the AUTH password (env or file only) */
    char *redis_tls_ca_file; /* TLS (rediss://): CA, client cert/key, name */
    char *redis_tls_cert_file;
    char *redis_tls_key_file;
    char *redis_tls_server_name;
    long redis_cluster;      /* 1: nodes are Redis Cluster seeds */
    char *key_prefix;        /* Redis key prefix */
    long metrics_port;       /* 0 = no HTTP server */
    char *metrics_addr;
    long concurrency;        /* images scanned at once */
    long layers_per_image;   /* layers analysed at once per image */
    char *db;                /* vulnerability DB file (NULL = no matching) */
    char *group;
    char *jobs_topic, *results_topic, *dlq_topic;
    char *priority_topic;    /* event jobs; NULL = <jobs_topic>.priority, "none" = off */
    long cache_ttl;          /* seconds */
    long lock_ttl_ms;
    long max_attempts;       /* starts of one job before it goes to the DLQ */
    long job_timeout;        /* seconds one job may run before the worker aborts */
    long grace;              /* seconds to drain on SIGTERM */
    long session_timeout_ms; /* Kafka group session timeout */
    long transfer_min_rate;  /* KiB/s a registry transfer must average (0 = no deadline) */
    long transfer_deadline_base; /* seconds every registry request gets on top */
    sf_strlist insecure_registries; /* hosts reached over plain HTTP */
    char *docker_config;
    /* Which registries jobs may name (worker/wregs.h, docs/security.md): */
    sf_strlist registry_allow; /* host[:port] globs; none = the configured registries */
    sf_strlist registries;   /* the coordinator's registries (SCANFARM_REGISTRY) */
    sf_strlist registry_allow_addresses; /* link-local / metadata ranges allowed anyway */
    int registry_strict_realm; /* 1: no credentials to a token realm on another host */
    sf_strlist platforms;    /* default platforms ("linux/amd64"); none = every linux */
    char *client_id;
    char *log_level;
    char *cache_secret_file; /* file with the farm's cache MAC secret */
    char *cache_secret;      /* the secret itself (environment or config file only) */
    int cache_unauthenticated; /* 1: no secret, cache values neither sealed nor checked */
    int help, version, print_config, print_docs; /* actions */
    sf_kprops kprops;        /* librdkafka properties: file "kafka" map, env, --kafka-* */
} sf_wconf;

/* Fill c from defaults, file, environment (envp-style lookup via getenv)
 * and argv. SF_ECONFIG with err naming the option on any bad value. */
int sf_wconf_load(sf_wconf *c, int argc, char **argv, sf_error *err);
/* Free every string; c is zeroed. */
void sf_wconf_clear(sf_wconf *c);

/* The option table and hooks (base/opt.h): --help, --print-docs. */
const sf_opt_spec *sf_wconf_spec(void);
/* `--help` text. */
int sf_wconf_help(sf_buf *out);
/* Effective configuration as JSON (--print-config), secrets redacted. */
int sf_wconf_print(const sf_wconf *c, sf_buf *out);
/* Markdown reference of every option (docs/worker-config.md's block). */
int sf_wconf_docs(sf_buf *out);

#endif
