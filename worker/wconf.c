/*
 * wconf: see wconf.h. The table below is the single source of truth:
 * parsing, environment names, help, print-config and the docs all walk it.
 */
#include "wconf.h"

#include "cache/kvaddr.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum opt_type { OPT_STR, OPT_INT, OPT_LIST, OPT_ACTION } opt_type;

typedef struct opt {
    const char *name;  /* flag without "--"; config-file key */
    opt_type type;
    size_t off;        /* offsetof in sf_wconf (list: the char** field) */
    size_t count_off;  /* list: offsetof the size_t count */
    const char *dflt;  /* NULL = unset */
    long min, max;     /* int bounds */
    int secret;        /* redacted by print-config */
    const char *help;
} opt;

#define S(f) offsetof(sf_wconf, f)
static const opt opts[] = {
    {"config", OPT_STR, S(config), 0, NULL, 0, 0, 0, "JSON config file (keys are these option names)"},
    {"kafka", OPT_STR, S(kafka), 0, "127.0.0.1:9092", 0, 0, 0, "Kafka bootstrap brokers, host:port[,host:port]"},
    {"redis", OPT_LIST, S(redis), S(nredis), "127.0.0.1:6379", 0, 0, 0,
     "Redis node host:port; repeat or comma-separate to shard the cache over several nodes"},
    {"redis-db", OPT_INT, S(redis_db), 0, "0", 0, 1000000, 0, "Redis database number"},
    {"redis-username", OPT_STR, S(redis_username), 0, NULL, 0, 0, 0,
     "Redis ACL user: AUTH user password (Redis 6+); unset = AUTH password alone"},
    {"redis-password-file", OPT_STR, S(redis_password_file), 0, NULL, 0, 0, 0,
     "file holding the Redis password (a redis://user:pass@host URL may carry its own)"},
    {"redis-password", OPT_STR, S(redis_password), 0, NULL, 0, 0, 1,
     "the Redis password itself, from the environment or the config file only"},
    {"redis-tls-ca-file", OPT_STR, S(redis_tls_ca_file), 0, NULL, 0, 0, 0,
     "CA bundle that signs the Redis server certificates (rediss:// URLs; default: the system's)"},
    {"redis-tls-cert-file", OPT_STR, S(redis_tls_cert_file), 0, NULL, 0, 0, 0,
     "client certificate for Redis TLS (mutual TLS), PEM"},
    {"redis-tls-key-file", OPT_STR, S(redis_tls_key_file), 0, NULL, 0, 0, 0,
     "key of --redis-tls-cert-file, PEM"},
    {"redis-tls-server-name", OPT_STR, S(redis_tls_server_name), 0, NULL, 0, 0, 0,
     "name the Redis certificates must carry (default: each node's host)"},
    {"redis-cluster", OPT_INT, S(redis_cluster), 0, "0", 0, 1, 0,
     "1 = the --redis nodes are seeds of a Redis Cluster (slot map, MOVED/ASK)"},
    {"key-prefix", OPT_STR, S(key_prefix), 0, "scanfarm", 0, 0, 0, "prefix of every Redis key"},
    {"metrics-port", OPT_INT, S(metrics_port), 0, "9100", 0, 65535, 0,
     "port of /metrics and /healthz (0 = off)"},
    {"metrics-addr", OPT_STR, S(metrics_addr), 0, "0.0.0.0", 0, 0, 0,
     "listen address of the metrics server (127.0.0.1 = loopback only)"},
    {"concurrency", OPT_INT, S(concurrency), 0, "4", 1, 1024, 0, "images scanned at once (scan threads)"},
    {"layers-per-image", OPT_INT, S(layers_per_image), 0, "2", 1, 64, 0, "layers analysed at once per image"},
    {"db", OPT_STR, S(db), 0, NULL, 0, 0, 0, "vulnerability DB file (unset = report packages only)"},
    {"group", OPT_STR, S(group), 0, "scanfarm-workers", 0, 0, 0, "Kafka consumer group"},
    {"jobs-topic", OPT_STR, S(jobs_topic), 0, "scanfarm.jobs", 0, 0, 0, "topic of scan jobs"},
    {"priority-topic", OPT_STR, S(priority_topic), 0, NULL, 0, 0, 0,
     "topic of event (scan-on-push) jobs, taken before the jobs topic; unset = <jobs-topic>"
     ".priority, \"none\" = off"},
    {"results-topic", OPT_STR, S(results_topic), 0, "scanfarm.results", 0, 0, 0, "topic of results"},
    {"dlq-topic", OPT_STR, S(dlq_topic), 0, "scanfarm.dlq", 0, 0, 0, "dead-letter topic"},
    {"cache-ttl", OPT_INT, S(cache_ttl), 0, "604800", 60, 31536000, 0,
     "seconds a cached layer inventory or image result lives"},
    {"lock-ttl-ms", OPT_INT, S(lock_ttl_ms), 0, "30000", 200, 3600000, 0,
     "layer lock lifetime without renewal (renewed every third of it)"},
    {"max-attempts", OPT_INT, S(max_attempts), 0, "3", 1, 100, 0,
     "starts of one job (crashes, timeouts) before it goes to the DLQ"},
    {"job-timeout", OPT_INT, S(job_timeout), 0, "1800", 10, 86400, 0,
     "seconds one job may run; past it the worker exits so the job is retried elsewhere"},
    {"grace", OPT_INT, S(grace), 0, "30", 0, 3600, 0, "seconds to finish in-flight jobs on SIGTERM"},
    {"session-timeout-ms", OPT_INT, S(session_timeout_ms), 0, "30000", 3000, 300000, 0,
     "Kafka group session timeout: how soon a dead worker's jobs move to another"},
    {"transfer-min-rate", OPT_INT, S(transfer_min_rate), 0, "256", 0, 1048576, 0,
     "KiB/s a registry transfer must average: each request may take --transfer-deadline-base "
     "plus its size (declared, else Content-Length, else cap) at this rate (0 = no deadline)"},
    {"transfer-deadline-base", OPT_INT, S(transfer_deadline_base), 0, "60", 1, 86400, 0,
     "seconds every registry request gets on top of its size at --transfer-min-rate"},
    {"insecure-registry", OPT_LIST, S(insecure_registries), S(ninsecure_registries), NULL, 0, 0, 0,
     "registry host:port reached over plain HTTP (repeatable)"},
    {"docker-config", OPT_STR, S(docker_config), 0, NULL, 0, 0, 0,
     "Docker config.json with registry credentials"},
    /* Registry trust (docs/security.md): which hosts jobs may send us to. */
    {"registry-allow", OPT_LIST, S(registry_allow), S(nregistry_allow), NULL, 0, 0, 0,
     "registry host[:port] glob a job may name ('*' within host or port; no port = default "
     "port only; repeatable). Unset: the --insecure-registry and --registry hosts and the "
     "--docker-config auths hosts"},
    {"registry", OPT_LIST, S(registries), S(nregistries), NULL, 0, 0, 0,
     "registry URL the coordinator enumerates (the coordinator's SCANFARM_REGISTRY, shared by "
     "deploy/k8s): allowed when --registry-allow is unset (repeatable)"},
    {"registry-allow-address", OPT_LIST, S(registry_allow_addresses),
     S(nregistry_allow_addresses), NULL, 0, 0, 0,
     "link-local or cloud metadata address or CIDR a registry connection may still reach "
     "(169.254.0.0/16, fe80::/10, fd00:ec2::254 are refused otherwise; repeatable)"},
    {"registry-strict-realm", OPT_INT, S(registry_strict_realm), 0, "0", 0, 1, 0,
     "1: never send credentials to a token realm on another host (0: only when the "
     "registry's own /v2/ challenge names it, as Docker does)"},
    {"platform", OPT_LIST, S(platforms), S(nplatforms), NULL, 0, 0, 0,
     "platform to scan when a job names none, e.g. linux/amd64 (repeatable; unset = every linux)"},
    {"client-id", OPT_STR, S(client_id), 0, "scanfarm-worker", 0, 0, 0, "Kafka client id"},
    {"log-level", OPT_STR, S(log_level), 0, "info", 0, 0, 0, "debug, info, warn or error"},
    {"cache-secret-file", OPT_STR, S(cache_secret_file), 0, NULL, 0, 0, 0,
     "file holding the farm's cache secret: every cached value carries an HMAC-SHA256 under it "
     "(the same on every worker and the coordinator; see docs/security.md)"},
    {"cache-secret", OPT_STR, S(cache_secret), 0, NULL, 0, 0, 1,
     "the cache secret itself, from the environment or the config file only (never a flag: "
     "the process list shows flags)"},
    {"cache-unauthenticated", OPT_INT, S(cache_unauthenticated), 0, "0", 0, 1, 0,
     "1 = use the Redis cache without a secret (values neither sealed nor checked: whoever can "
     "write Redis decides what is reported); without a secret and 0 the cache is off"},
    {"help", OPT_ACTION, S(help), 0, NULL, 0, 0, 0, "print this help and exit"},
    {"version", OPT_ACTION, S(version), 0, NULL, 0, 0, 0, "print the version and exit"},
    {"print-config", OPT_ACTION, S(print_config), 0, NULL, 0, 0, 0,
     "print the effective configuration (secrets redacted) and exit"},
};
#undef S
#define NOPTS (sizeof opts / sizeof opts[0])
/* Values a list option may hold (Redis nodes, registries, platforms). */
#define LIST_MAX 64

static const opt *find(const char *name, size_t n)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(opts[i].name) == n && strncmp(opts[i].name, name, n) == 0)
            return &opts[i];
    return NULL;
}

/* SCANFARM_<NAME> with '-' -> '_', uppercase. */
static void env_name(const opt *o, char *out, size_t cap)
{
    size_t k = (size_t)snprintf(out, cap, "SCANFARM_");
    for (const char *p = o->name; *p && k + 1 < cap; p++)
        out[k++] = *p == '-' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    out[k] = '\0';
}

static void list_clear(char ***list, size_t *n)
{
    for (size_t i = 0; *list && i < *n; i++)
        free((*list)[i]);
    free(*list);
    *list = NULL;
    *n = 0;
}

/* Set option o from text v. Lists: append comma-separated items unless
 * reset (a new source replaces what an earlier source set). */
static int apply(sf_wconf *c, const opt *o, const char *v, int reset, sf_error *err)
{
    char *base = (char *)c;
    if (o->type == OPT_STR) {
        char **f = (char **)(base + o->off);
        free(*f);
        *f = v && *v ? sf_strdup(v) : NULL;
        return v && *v && !*f ? sf_error_set(err, SF_ENOMEM, "out of memory") : SF_OK;
    }
    if (o->type == OPT_INT) {
        char *end = NULL;
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || !end || end == v || *end || x < o->min || x > o->max)
            return sf_error_set(err, SF_ECONFIG, "--%s: '%.40s' is not an integer in [%ld, %ld]",
                                o->name, v, o->min, o->max);
        *(long *)(base + o->off) = x;
        return SF_OK;
    }
    if (o->type == OPT_ACTION) {
        *(int *)(base + o->off) = 1;
        return SF_OK;
    }
    char ***list = (char ***)(base + o->off);
    size_t *n = (size_t *)(base + o->count_off);
    if (reset)
        list_clear(list, n);
    for (const char *p = v; *p;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ')) {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len) {
            if (*n >= LIST_MAX)
                return sf_error_set(err, SF_ECONFIG, "--%s: more than %d values", o->name, LIST_MAX);
            char **nl = realloc(*list, (*n + 1) * sizeof *nl);
            if (!nl || !(nl[*n] = sf_strndup(p, len))) {
                if (nl)
                    *list = nl;
                return sf_error_set(err, SF_ENOMEM, "out of memory");
            }
            *list = nl;
            (*n)++;
        }
        p += len;
        while (*p == ' ')
            p++;
        if (*p == ',')
            p++;
    }
    return SF_OK;
}

/* The config file's "kafka" as a map of librdkafka properties (the
 * brokers are then its bootstrap.servers). */
static int kafka_map(sf_wconf *c, json_t *map, sf_error *err)
{
    int rc = sf_kprops_json(&c->kprops, map, "config", err);
    json_t *bs = json_object_get(map, "bootstrap.servers");
    if (rc == SF_OK && json_is_string(bs))
        rc = apply(c, find("kafka", 5), json_string_value(bs), 1, err);
    return rc;
}

static int load_file(sf_wconf *c, const char *path, sf_error *err)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    int rc = SF_OK;
    if (!doc || !json_is_object(doc)) {
        rc = sf_error_set(err, SF_ECONFIG, "config %s: %s (line %d)", path,
                          doc ? "not a JSON object" : je.text, je.line);
        goto done;
    }
    const char *k;
    json_t *v;
    json_object_foreach(doc, k, v) {
        if (strcmp(k, "kafka") == 0 && json_is_object(v)) {
            rc = kafka_map(c, v, err);
            if (rc != SF_OK)
                break;
            continue;
        }
        const opt *o = find(k, strlen(k));
        if (!o || o->type == OPT_ACTION || strcmp(k, "config") == 0) {
            rc = sf_error_set(err, SF_ECONFIG, "config %s: unknown option '%.64s'", path, k);
            break;
        }
        char num[32];
        if (json_is_string(v)) {
            rc = apply(c, o, json_string_value(v), 1, err);
        } else if (json_is_integer(v)) {
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            rc = apply(c, o, num, 1, err);
        } else if (json_is_array(v) && o->type == OPT_LIST) {
            size_t i;
            json_t *it;
            list_clear((char ***)((char *)c + o->off), (size_t *)((char *)c + o->count_off));
            json_array_foreach(v, i, it) {
                if (!json_is_string(it) || (rc = apply(c, o, json_string_value(it), 0, err)))
                    break;
            }
            if (rc == SF_OK && i < json_array_size(v))
                rc = sf_error_set(err, SF_ECONFIG, "config %s: '%s' must list strings", path, k);
        } else {
            rc = sf_error_set(err, SF_ECONFIG, "config %s: bad value type for '%s'", path, k);
        }
        if (rc != SF_OK)
            break;
    }
done:
    json_decref(doc);
    return rc;
}

/* Command line: --name value, --name=value; lists repeat. */
static int load_argv(sf_wconf *c, int argc, char **argv, int only_config, sf_error *err)
{
    int seen[NOPTS] = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0)
            a = "--help";
        if (strncmp(a, "--", 2) != 0)
            return sf_error_set(err, SF_ECONFIG, "unexpected argument '%.64s'", a);
        int kp = sf_kprops_flag(&c->kprops, argc, argv, &i, !only_config, err);
        if (kp < 0)
            return kp;
        if (kp)
            continue;
        const char *eq = strchr(a + 2, '=');
        const opt *o = find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
        if (!o)
            return sf_error_set(err, SF_ECONFIG, "unknown option '%.64s' (see --help)", a);
        const char *v = eq ? eq + 1 : NULL;
        if (o->type != OPT_ACTION && !v) {
            if (i + 1 >= argc)
                return sf_error_set(err, SF_ECONFIG, "--%s needs a value", o->name);
            v = argv[++i];
        }
        if (o->secret) {
            char env[64];
            env_name(o, env, sizeof env);
            return sf_error_set(err, SF_ECONFIG, "--%s is not a flag (the process list would "
                                "show it): use %s or the config file", o->name, env);
        }
        if (only_config != (strcmp(o->name, "config") == 0))
            continue;
        size_t idx = (size_t)(o - opts);
        int rc = apply(c, o, v ? v : "", !seen[idx], err);
        seen[idx] = 1;
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

extern char **environ;

int sf_wconf_load(sf_wconf *c, int argc, char **argv, sf_error *err)
{
    int rc = SF_OK;
    memset(c, 0, sizeof *c);
    for (size_t i = 0; rc == SF_OK && i < NOPTS; i++)
        if (opts[i].dflt)
            rc = apply(c, &opts[i], opts[i].dflt, 1, err);
    if (rc == SF_OK) {
        const char *envc = getenv("SCANFARM_CONFIG");
        if (envc && *envc)
            rc = apply(c, &opts[0], envc, 1, err);
    }
    if (rc == SF_OK)
        rc = load_argv(c, argc, argv, 1, err);
    if (rc == SF_OK && c->config)
        rc = load_file(c, c->config, err);
    for (size_t i = 1; rc == SF_OK && i < NOPTS; i++) {
        char name[64];
        if (opts[i].type == OPT_ACTION)
            continue;
        env_name(&opts[i], name, sizeof name);
        const char *v = getenv(name);
        if (v && *v)
            rc = apply(c, &opts[i], v, 1, err);
    }
    if (rc == SF_OK)
        rc = sf_kprops_env(&c->kprops, environ, err);
    if (rc == SF_OK)
        rc = load_argv(c, argc, argv, 0, err);
    if (rc == SF_OK)
        rc = sf_kprops_check(&c->kprops, err);
    if (rc == SF_OK && (!c->kafka || c->nredis == 0 || !c->group || !c->jobs_topic ||
                        !c->results_topic || !c->dlq_topic || !c->key_prefix))
        rc = sf_error_set(err, SF_ECONFIG, "kafka, redis, group, topics and key-prefix must be set");
    return rc;
}

void sf_wconf_clear(sf_wconf *c)
{
    char *base = (char *)c;
    for (size_t i = 0; i < NOPTS; i++) {
        char *str = opts[i].type == OPT_STR ? *(char **)(base + opts[i].off) : NULL;
        if (str && opts[i].secret) /* wipe, not just free, a secret */
            memset(str, 0, strlen(str));
        if (opts[i].type == OPT_STR)
            free(str);
        else if (opts[i].type == OPT_LIST)
            list_clear((char ***)(base + opts[i].off), (size_t *)(base + opts[i].count_off));
    }
    sf_kprops_clear(&c->kprops);
    memset(c, 0, sizeof *c);
}

static const char *type_hint(const opt *o)
{
    return o->type == OPT_INT ? "N" : o->type == OPT_LIST ? "LIST" : o->type == OPT_STR ? "TEXT"
                                                                                         : "";
}

int sf_wconf_help(sf_buf *out)
{
    int rc = sf_buf_puts(out, "usage: scanfarm-worker [options]\n\n"
                              "Consume scan jobs from Kafka, scan images with a fleet-wide layer "
                              "cache in Redis,\npublish results. Every option may also be set "
                              "by its SCANFARM_* environment variable\nor in the --config file.\n\n");
    for (size_t i = 0; rc == SF_OK && i < NOPTS; i++) {
        const opt *o = &opts[i];
        char flag[64];
        if (o->secret)
            env_name(o, flag, sizeof flag); /* no flag: environment or file only */
        else
            snprintf(flag, sizeof flag, "--%s %s", o->name, type_hint(o));
        rc = sf_buf_printf(out, "  %-28s %s", flag, o->help);
        if (rc == SF_OK && o->dflt)
            rc = sf_buf_printf(out, " [%s]", o->dflt);
        if (rc == SF_OK && o->type != OPT_ACTION && !o->secret) {
            char env[64];
            env_name(o, env, sizeof env);
            rc = sf_buf_printf(out, " (%s)", env);
        }
        if (rc == SF_OK)
            rc = sf_buf_puts(out, "\n");
    }
    return rc == SF_OK ? sf_kconf_help(out) : rc;
}

int sf_wconf_print(const sf_wconf *c, sf_buf *out)
{
    const char *base = (const char *)c;
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < NOPTS; i++) {
        const opt *o = &opts[i];
        if (o->type == OPT_ACTION)
            continue;
        rc = sf_buf_printf(out, "%s = ", o->name);
        if (rc == SF_OK && o->secret) {
            rc = sf_buf_puts(out, "<redacted>");
        } else if (rc == SF_OK && o->type == OPT_INT) {
            rc = sf_buf_printf(out, "%ld", *(const long *)(base + o->off));
        } else if (rc == SF_OK && o->type == OPT_STR) {
            const char *s = *(char *const *)(base + o->off);
            rc = sf_buf_puts(out, s ? s : "");
        } else if (rc == SF_OK) {
            char *const *l = *(char **const *)(base + o->off);
            size_t n = *(const size_t *)(base + o->count_off);
            for (size_t j = 0; rc == SF_OK && j < n; j++) {
                char shown[512];
                sf_kvaddr_redact(l[j], shown, sizeof shown); /* redis://u:pass@ URLs */
                rc = sf_buf_printf(out, "%s%s", j ? "," : "", shown);
            }
        }
        if (rc == SF_OK)
            rc = sf_buf_puts(out, "\n");
    }
    return rc == SF_OK ? sf_kprops_dump_text(&c->kprops, "kafka.", out) : rc;
}

int sf_wconf_docs(sf_buf *out)
{
    int rc = sf_buf_puts(out,
                         "# scanfarm-worker configuration\n\n"
                         "Generated from the option table in `worker/wconf.c` "
                         "(a unit test fails when this file drifts).\n"
                         "Order of precedence: defaults < `--config` JSON file < environment < "
                         "command line.\nLIST options repeat or take comma-separated values.\n\n"
                         "| option | environment | type | default | description |\n"
                         "|---|---|---|---|---|\n");
    for (size_t i = 0; rc == SF_OK && i < NOPTS; i++) {
        char env[64];
        env_name(&opts[i], env, sizeof env);
        const opt *o = &opts[i];
        rc = sf_buf_printf(out, o->secret ? "| (no flag; secret) `%s` | %s | %s | %s | %s |\n"
                                          : "| `--%s` | %s | %s | %s | %s |\n",
                           o->name,
                           o->type == OPT_ACTION ? "" : env,
                           o->type == OPT_ACTION ? "action" : type_hint(o),
                           o->dflt ? o->dflt : "", o->help);
    }
    return rc == SF_OK ? sf_kconf_markdown(out) : rc;
}
