/*
 * kinv_conf: scanfarm-inventory's configuration, on the option-table
 * engine of config.c (opttab.h): one global table and one per cluster.
 *
 * Clusters: the global kubeconfig/context/in_cluster options describe one
 * cluster (when any is given), and the config file may list more under
 * "clusters": [{"name", "kubeconfig", "context", "in_cluster",
 * "namespaces"}]. With neither, the inventory runs in-cluster when
 * KUBERNETES_SERVICE_HOST is set. Each cluster is watched in all
 * namespaces, or in each namespace of its list (its own, else the global
 * `namespaces`).
 *
 * Precedence: default < config file < environment < command line.
 */
#ifndef SF_KINV_CONF_H
#define SF_KINV_CONF_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "config.h"

typedef struct sf_kinv_cluster {
    char *name;          /* name in the running view; default: the context name */
    char *kubeconfig;    /* kubeconfig path (NULL with in_cluster) */
    char *context;       /* NULL = current-context */
    int in_cluster;      /* service-account token + CA + KUBERNETES_SERVICE_HOST */
    sf_strlist namespaces; /* empty = all (or the global list) */
} sf_kinv_cluster;

typedef struct sf_kinvcfg {
    char *config;
    char *kubeconfig;
    char *context;
    int in_cluster;
    char *cluster;        /* name of the global cluster */
    char *sa_dir;         /* service-account folder (in-cluster) */
    sf_strlist namespaces;
    sf_strlist redis;
    char *key_prefix;
    char *kafka;
    char *topic;
    int jobs;             /* publish scan jobs */
    char *db;             /* vulnerability DB whose version is current */
    char *cache_secret_file; /* the farm's cache MAC secret, from a file */
    char *cache_secret;   /* secret: the same, from the environment */
    int cache_unauthenticated; /* trust unsealed image entries (no secret) */
    long page_size;
    long watch_timeout_s;
    long backoff_max_s;
    int resolve_owners;
    int resolve_nodes;
    int once;
    long metrics_port;    /* /healthz and /metrics (0 = off) */
    char *metrics_addr;
    char *log_level;
    char *debug;
    sf_kinv_cluster *clusters; /* effective clusters (file + global) */
    size_t nclusters;
} sf_kinvcfg;

/* Load argv, environment and file; *action as sf_coordcfg_load. */
int sf_kinvcfg_load(sf_kinvcfg *c, int argc, char **argv, int *action, sf_error *err);
void sf_kinvcfg_free(sf_kinvcfg *c);
/* Effective configuration as JSON, secrets redacted (malloc'd). */
char *sf_kinvcfg_dump(const sf_kinvcfg *c);
void sf_kinvcfg_help(void *file);
/* docs/inventory-config.md's generated part (malloc'd). */
char *sf_kinvcfg_markdown(void);

#endif
