/*
 * kinv_conf: see kinv_conf.h. I_OPTS and C_OPTS are the single source of
 * truth for parsing, --help, --print-config and docs/inventory-config.md
 * (the option engine, base/opt.h).
 */
#include "kinv_conf.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/keys.h"
#include "base/yaml2json.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define I(f) offsetof(sf_kinvcfg, f)
#define C(f) offsetof(sf_kinv_cluster, f)

static const sf_opt I_OPTS[] = {
    {"config", SF_OT_STR, I(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "configuration file (JSON, or YAML when built with libyaml)"},
    {"kubeconfig", SF_OT_STR, I(kubeconfig), NULL, "SCANFARM_KUBECONFIG", 0, 0, 0,
     "kubeconfig of a cluster to watch (token, token file or client certificate users)"},
    {"context", SF_OT_STR, I(context), NULL, "SCANFARM_KUBE_CONTEXT", 0, 0, 0,
     "kubeconfig context (default: its current-context)"},
    {"in_cluster", SF_OT_BOOL, I(in_cluster), "false", "SCANFARM_IN_CLUSTER", 0, 0, 0,
     "watch the cluster this runs in (service-account token and CA, KUBERNETES_SERVICE_HOST)"},
    {"cluster", SF_OT_STR, I(cluster), NULL, "SCANFARM_CLUSTER", 0, 0, 0,
     "name of that cluster in the running view (default: the context, or in-cluster)"},
    {"service_account_dir", SF_OT_STR, I(sa_dir), "/var/run/secrets/kubernetes.io/serviceaccount",
     "SCANFARM_SERVICE_ACCOUNT_DIR", 0, 0, 0, "folder of the in-cluster token and ca.crt"},
    {"namespaces", SF_OT_LIST, I(namespaces), NULL, "SCANFARM_NAMESPACES", 0, 0, 0,
     "namespaces to watch (repeatable or comma-separated; empty = all)"},
    {"redis", SF_OT_LIST, I(redis), NULL, "SCANFARM_REDIS", 0, 0, 0,
     "Redis node host:port of the fleet view (required)"},
    {"key_prefix", SF_OT_STR, I(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the same as the aggregator's)"},
    {"kafka", SF_OT_STR, I(kafka), "127.0.0.1:9092", "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers"},
    {"jobs_topic", SF_OT_STR, I(topic), "scanfarm.jobs", "SCANFARM_JOBS_TOPIC", 0, 0, 0,
     "topic the scan jobs of running digests are published to", NULL, "--topic,topic"},
    {"jobs", SF_OT_BOOL, I(jobs), "true", "SCANFARM_INVENTORY_JOBS", 0, 0, 0,
     "publish a scan job for each running digest without a current result"},
    {"db", SF_OT_STR, I(db), NULL, "SCANFARM_DB", 0, 0, 0,
     "vulnerability DB file whose version is current (unset: every new running digest "
     "gets a job)"},
    {"cache_secret_file", SF_OT_STR, I(cache_secret_file), NULL, "SCANFARM_CACHE_SECRET_FILE", 0,
     0, 0, "file holding the farm's cache secret (the workers'): a running digest counts as "
     "scanned only with a valid MAC under it (docs/security.md)"},
    {"cache_secret", SF_OT_STR, I(cache_secret), NULL, "SCANFARM_CACHE_SECRET", 1, 0, 0,
     "the cache secret itself (environment or file only)"},
    {"cache_unauthenticated", SF_OT_BOOL, I(cache_unauthenticated), "false",
     "SCANFARM_CACHE_UNAUTHENTICATED", 0, 0, 0,
     "trust cached results without a secret; without a secret and false every running "
     "digest gets a job"},
    {"page_size", SF_OT_LONG, I(page_size), "500", "SCANFARM_KUBE_PAGE_SIZE", 0, 1, 10000,
     "pods per list page (limit=)"},
    {"watch_timeout", SF_OT_DURATION, I(watch_timeout_s), "5m", "SCANFARM_KUBE_WATCH_TIMEOUT", 0,
     1, 3600, "timeoutSeconds asked of each watch; the watch resumes after it"},
    {"backoff_max", SF_OT_DURATION, I(backoff_max_s), "30s", "SCANFARM_KUBE_BACKOFF_MAX", 0, 1,
     3600, "longest wait between failed list or watch attempts"},
    {"resolve_owners", SF_OT_BOOL, I(resolve_owners), "true", "SCANFARM_KUBE_RESOLVE_OWNERS", 0, 0,
     0, "GET ReplicaSets and Jobs to name their Deployment or CronJob"},
    {"resolve_nodes", SF_OT_BOOL, I(resolve_nodes), "true", "SCANFARM_KUBE_RESOLVE_NODES", 0, 0, 0,
     "GET each node once for its os/arch, so a running multi-arch index marks only that "
     "platform's image as running"},
    {"metrics_port", SF_OT_LONG, I(metrics_port), "0", "SCANFARM_METRICS_PORT", 0, 0, 65535,
     "serve /healthz and /metrics on this port (0 = off)"},
    {"metrics_addr", SF_OT_STR, I(metrics_addr), "0.0.0.0", "SCANFARM_METRICS_ADDR", 0, 0, 0,
     "address the /healthz and /metrics listener binds"},
    {"once", SF_OT_BOOL, I(once), "false", "SCANFARM_ONCE", 0, 0, 0,
     "list every cluster once, record it, publish jobs and exit"},
    {"log_level", SF_OT_STR, I(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn, error"},
    {"debug", SF_OT_STR, I(debug), NULL, "SCANFARM_DEBUG", 0, 0, 0,
     "components with debug logs (kube or all)"},
};

static const sf_opt C_OPTS[] = {
    {"name", SF_OT_STR, C(name), NULL, NULL, 0, 0, 0, "name in the running view"},
    {"kubeconfig", SF_OT_STR, C(kubeconfig), NULL, NULL, 0, 0, 0, "kubeconfig path"},
    {"context", SF_OT_STR, C(context), NULL, NULL, 0, 0, 0, "context (default: current-context)"},
    {"in_cluster", SF_OT_BOOL, C(in_cluster), "false", NULL, 0, 0, 0, "use in-cluster credentials"},
    {"namespaces", SF_OT_LIST, C(namespaces), NULL, NULL, 0, 0, 0,
     "namespaces to watch (empty = the global list, or all)"},
};

#define NI (sizeof I_OPTS / sizeof I_OPTS[0])
#define NC (sizeof C_OPTS / sizeof C_OPTS[0])

static int add_cluster(sf_kinvcfg *c, sf_kinv_cluster **out, sf_error *err)
{
    if (c->nclusters >= 1000)
        return sf_error_set(err, SF_ECONFIG, "too many clusters");
    sf_kinv_cluster *nv = realloc(c->clusters, (c->nclusters + 1) * sizeof *nv);
    if (!nv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    c->clusters = nv;
    *out = &c->clusters[c->nclusters++];
    memset(*out, 0, sizeof **out);
    return sf_opt_rows_defaults(*out, C_OPTS, NC, err);
}

static int load_clusters(sf_kinvcfg *c, json_t *arr, sf_error *err)
{
    size_t i;
    json_t *e;
    if (!arr)
        return SF_OK;
    if (!json_is_array(arr))
        return sf_error_set(err, SF_ECONFIG, "config: clusters must be a list");
    json_array_foreach(arr, i, e)
    {
        char src[48];
        sf_kinv_cluster *k = NULL; /* gcc 12 -O3: maybe-uninitialized through add_cluster */
        snprintf(src, sizeof src, "config clusters[%zu]", i);
        int rc = add_cluster(c, &k, err);
        if (!rc)
            rc = sf_opt_rows_json(k, C_OPTS, NC, e, src, err);
        if (rc)
            return rc;
    }
    return SF_OK;
}

/* The file's "clusters" list, beside the table's keys. */
static int on_doc(void *base, json_t *doc, const char *src, sf_error *err)
{
    (void)src;
    int rc = load_clusters(base, json_object_get(doc, "clusters"), err);
    json_object_del(doc, "clusters");
    return rc;
}

static int parse_text(const char *text, size_t len, json_t **doc, sf_error *err)
{
    int rc = sf_yaml_to_json(text, len, doc, err);
    return rc == SF_EUNSUPPORTED ? SF_ECONFIG : rc;
}

static int set_str(char **dst, const char *v)
{
    if (*dst || !v)
        return SF_OK;
    return (*dst = sf_strdup(v)) ? SF_OK : SF_ENOMEM;
}

/* The global cluster options (or an in-cluster default) as a cluster. */
static int global_cluster(sf_kinvcfg *c, sf_error *err)
{
    sf_kinv_cluster *k = NULL; /* as above */
    int want = c->kubeconfig || c->context || c->in_cluster;
    if (!want && !c->nclusters && getenv("KUBERNETES_SERVICE_HOST"))
        want = c->in_cluster = 1;
    if (!want)
        return SF_OK;
    int rc = add_cluster(c, &k, err);
    if (rc)
        return rc;
    k->in_cluster = c->in_cluster;
    if (set_str(&k->kubeconfig, c->kubeconfig) || set_str(&k->context, c->context) ||
        set_str(&k->name, c->cluster))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}

static int validate(void *base, sf_error *err)
{
    sf_kinvcfg *c = base;
    int rc = global_cluster(c, err);
    if (rc)
        return rc;
    if (!c->redis.n)
        return sf_error_set(err, SF_ECONFIG, "redis not set (the running view lives there)");
    if (!c->key_prefix || sf_keys_check_prefix(c->key_prefix, NULL) != SF_OK)
        return sf_error_set(err, SF_ECONFIG, "key_prefix must be 1..64 characters of "
                                             "[A-Za-z0-9_.:-]");
    if (!c->nclusters)
        return sf_error_set(err, SF_ECONFIG, "no cluster: give --kubeconfig, --in-cluster or "
                                             "\"clusters\" in the config file");
    for (size_t i = 0; i < c->nclusters; i++) {
        sf_kinv_cluster *k = &c->clusters[i];
        if (!k->in_cluster && !k->kubeconfig)
            return sf_error_set(err, SF_ECONFIG, "cluster %zu: no kubeconfig and not "
                                                 "in_cluster", i);
        if (!k->name && set_str(&k->name, k->in_cluster ? "in-cluster"
                                          : k->context ? k->context : "default"))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        if (sf_keys_check_cluster(k->name, NULL) != SF_OK)
            return sf_error_set(err, SF_ECONFIG, "cluster name \"%.64s\": no ':', spaces or "
                                                 "wildcards", k->name);
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->clusters[j].name, k->name) == 0)
                return sf_error_set(err, SF_ECONFIG, "two clusters named %.64s", k->name);
    }
    return SF_OK;
}

static void on_dump(const void *base, json_t *o)
{
    const sf_kinvcfg *c = base;
    json_t *cl = json_array();
    for (size_t i = 0; i < c->nclusters; i++) {
        json_t *e = json_object();
        sf_opt_rows_dump(e, &c->clusters[i], C_OPTS, NC);
        json_array_append_new(cl, e);
    }
    json_object_set_new(o, "clusters", cl);
}

static int on_markdown(sf_buf *b)
{
    int rc = sf_buf_puts(b, "\nPer cluster (config file only, inside `\"clusters\": [...]`):\n\n"
                            "| key | type | default | description |\n|---|---|---|---|\n");
    return rc == SF_OK ? sf_opt_rows_markdown(b, C_OPTS, NC) : rc;
}

static const sf_opt_group GROUPS[] = {{NULL, I_OPTS, NI, 0}};

static const sf_opt_spec SPEC = {
    .prog = "scanfarm-inventory",
    .usage = "[options]",
    .summary = "Record which image digests run in Kubernetes clusters (list + watch of pods)\n"
               "and publish scan jobs for running digests without a current result.",
    .epilog = "Config file: JSON or YAML; the options above as keys (with '_'), plus\n"
              "\"clusters\": [{\"name\", \"kubeconfig\", \"context\", \"in_cluster\", "
              "\"namespaces\"}]\n(docs/inventory-config.md).",
    .groups = GROUPS,
    .ngroups = 1,
    .file_key = "config",
    .max_args = 0,
    .parse = parse_text,
    .on_doc = on_doc,
    .on_validate = validate,
    .on_dump = on_dump,
    .on_markdown = on_markdown,
};

const sf_opt_spec *sf_kinvcfg_spec(void)
{
    return &SPEC;
}

int sf_kinvcfg_load(sf_kinvcfg *c, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err)
{
    memset(c, 0, sizeof *c);
    return sf_opt_load(&SPEC, c, argc, argv, cmd, err);
}

void sf_kinvcfg_free(sf_kinvcfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nclusters; i++)
        sf_opt_rows_free(&c->clusters[i], C_OPTS, NC);
    free(c->clusters);
    sf_opt_free(&SPEC, c);
    memset(c, 0, sizeof *c);
}

char *sf_kinvcfg_dump(const sf_kinvcfg *c)
{
    return sf_opt_dump_text(&SPEC, c);
}

char *sf_kinvcfg_markdown(void)
{
    return sf_opt_markdown(&SPEC);
}
