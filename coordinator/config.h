/*
 * config: the coordinator's configuration. One option table per struct
 * (global options, per-registry options) names every setting with its
 * type, place, default, environment variable, secret flag and help; the
 * same tables load the file (JSON, or YAML when built with libyaml),
 * apply the environment and the command line, print --help and print the
 * effective configuration with secrets redacted (--print-config).
 *
 * Precedence: built-in default < config file < environment < command line.
 * Registries come from the file's "registries" list and from each
 * --registry URL (repeatable); the registry-level options given globally
 * (--insecure, --rate, ..., credentials from SCANFARM_REGISTRY_USERNAME /
 * SCANFARM_REGISTRY_PASSWORD) are the defaults of --registry entries.
 */
#ifndef SF_COORD_CONFIG_H
#define SF_COORD_CONFIG_H

#include <stddef.h>

#include "base/err.h"
#include "base/opt.h"
#include "bus/kconf.h"

/* One registry to enumerate. */
typedef struct sf_regcfg {
    char *url;
    char *username;
    char *password;     /* secret */
    char *username_env; /* names of variables holding the credentials */
    char *password_env;
    char *docker_config;
    char *ca_file;    /* PEM CA bundle for a private CA */
    int insecure;
    int strict_realm; /* 1: no credentials to a token realm on another host */
    int concurrency;  /* parallel requests */
    double rate;      /* requests per second, 0 = unlimited */
    int page_size;    /* n= of catalog and tag pages */
    int max_retries;
    int catalog;      /* 1 walk /v2/_catalog; 0 only `repositories` */
    sf_strlist repositories; /* explicit repositories (registries without catalog) */
    sf_strlist include;      /* repository globs; empty = all */
    sf_strlist exclude;
    sf_strlist tag_include;  /* tag globs; empty = all */
    sf_strlist tag_exclude;
    char *tag_regex;         /* POSIX extended regex a tag must match */
    int tag_newest;          /* keep the newest N tags by tag order, 0 = all */
    sf_strlist platforms;    /* "os/arch[/variant]"; empty = global default */
} sf_regcfg;

/* The webhook intake (events.h); rows in events_opts.h. */
typedef struct sf_eventscfg {
    char *listen;            /* host:port; NULL = no listener */
    char *tls_cert, *tls_key;
    char *token_distribution, *token_harbor, *token_acr, *token_cloudevents; /* secret */
    char *token_file_distribution, *token_file_harbor, *token_file_acr,
        *token_file_cloudevents;
    long max_body;           /* bytes */
    long merge_ms;           /* longest a push waits for others of its digest */
    long quiet_ms;           /* publish early after this long without events (0 = never) */
    long ack_timeout_ms;     /* longest a request waits for its delivery reports */
    char *priority_topic;
    sf_strlist allow_hosts;  /* registries events may name; empty = any */
} sf_eventscfg;

typedef struct sf_coordcfg {
    char *config;        /* file path */
    char *kafka;         /* bootstrap servers */
    char *topic;         /* jobs topic */
    char *results_topic; /* results topic: refs of digests skipped as current */
    int once;
    long interval_s;     /* between runs */
    int page_size;
    int concurrency;     /* default per-registry concurrency */
    double rate;
    int insecure;
    int max_retries;
    char *docker_config;
    char *ca_file;
    char *username;      /* defaults for --registry entries */
    char *password;      /* secret */
    sf_strlist platforms;
    sf_strlist insecure_registries; /* host[:port] of registries reached insecurely */
    int metrics_port;    /* /metrics and /healthz (coord_metrics.h); 0 = off */
    char *metrics_addr;
    sf_strlist registries; /* --registry URLs */
    long merge_window;   /* refs held back for cross-repository merging */
    long merge_hold_s;   /* longest a job is held back (0 = until the window fills) */
    long max_digests;    /* size cap of the per-run digest set */
    long max_tags_per_repo;
    long max_pages;        /* pages of one catalog / tags walk (registry fails past it) */
    long max_repositories; /* catalog entries of one registry (registry fails past it) */
    int registry_failures; /* consecutive failures that skip a registry */
    char *run_id;        /* fixed run id (tests); NULL = generated */
    char *progress;      /* auto | always | never */
    char *log_level;
    char *debug;
    sf_strlist redis;    /* Redis nodes host:port (empty = no Redis) */
    char *redis_username; /* AUTH user (Redis 6 ACL) */
    char *redis_password_file; /* file holding the AUTH password */
    char *redis_password; /* secret: the AUTH password (env or file only) */
    char *redis_tls_ca_file; /* TLS (rediss://): CA, client cert/key, name */
    char *redis_tls_cert_file;
    char *redis_tls_key_file;
    char *redis_tls_server_name;
    int redis_cluster;    /* the nodes are Redis Cluster seeds */
    char *key_prefix;    /* prefix of every Redis key */
    char *db;            /* vulnerability DB whose version is current */
    char *cache_secret_file; /* the farm's cache MAC secret, from a file */
    char *cache_secret;  /* secret: the same, from the environment or the file */
    int cache_unauthenticated; /* trust unsealed image entries (no secret) */
    sf_eventscfg events; /* scan on push (events.h) */
    sf_kprops kprops;    /* librdkafka properties: file "kafka" map, env, --kafka-* */
    sf_regcfg *regs;     /* effective registries (file + --registry) */
    size_t nregs;
} sf_coordcfg;

/* The option tables and hooks (base/opt.h): --help, --print-docs. */
const sf_opt_spec *sf_coordcfg_spec(void);

/* Parse argv (argv[0] skipped), the environment and the config file into
 * cfg; cmd->action says whether to run or print (sf_opt_act). SF_ECONFIG
 * with a message on any invalid setting. */
int sf_coordcfg_load(sf_coordcfg *cfg, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err);

/* Same, from a JSON/YAML document given as text (tests, fuzzing); no
 * environment or argv. */
int sf_coordcfg_load_text(sf_coordcfg *cfg, const char *text, size_t len, sf_error *err);

/* Free everything and zero cfg. */
void sf_coordcfg_free(sf_coordcfg *cfg);

/* The effective configuration as JSON text with secrets shown as "***"
 * (malloc'd). */
char *sf_coordcfg_dump(const sf_coordcfg *cfg);

/* The option tables as Markdown (malloc'd): what --print-docs prints, the
 * generated block of docs/coordinator-config.md (a test fails on drift). */
char *sf_coordcfg_markdown(void);

/* Parse "90", "90s", "15m", "24h", "7d" into seconds; -1 when invalid. */
long sf_parse_duration(const char *s);

/* Credentials of r after resolving username_env/password_env (borrowed
 * from r or the environment). */
void sf_regcfg_credentials(const sf_regcfg *r, const char **user, const char **pass);

#endif
