/*
 * wconf: see wconf.h. The table below is the single source of truth:
 * parsing, environment names, help, print-config and the docs all walk it
 * (through the option engine, base/opt.h).
 */
#include "wconf.h"
#include "base/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define LIST_MAX SF_LIM_WORKER_LIST

#define S(f) offsetof(sf_wconf, f)
static const sf_opt OPTS[] = {
    {"config", SF_OT_STR, S(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "JSON config file (keys are these option names)", "FILE"},
    {"kafka", SF_OT_STR, S(kafka), "127.0.0.1:9092", "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap brokers, host:port[,host:port]", "BROKERS"},
    {"redis", SF_OT_LIST, S(redis), "127.0.0.1:6379", "SCANFARM_REDIS", 0, 0, LIST_MAX,
     "Redis node host:port; repeat or comma-separate to shard the cache over several nodes"},
    {"redis_db", SF_OT_LONG, S(redis_db), "0", "SCANFARM_REDIS_DB", 0, 0, 1000000,
     "Redis database number"},
    {"redis_username", SF_OT_STR, S(redis_username), NULL, "SCANFARM_REDIS_USERNAME", 0, 0, 0,
     "Redis ACL user: AUTH user password (Redis 6+); unset = AUTH password alone", "USER"},
    {"redis_password_file", SF_OT_STR, S(redis_password_file), NULL,
     "SCANFARM_REDIS_PASSWORD_FILE", 0, 0, 0,
     "file holding the Redis password (a redis://user:pass@host URL may carry its own)", "FILE"},
    {"redis_password", SF_OT_STR, S(redis_password), NULL, "SCANFARM_REDIS_PASSWORD",
     SF_OPT_SECRET, 0, 0,
     "the Redis password itself, from the environment or the config file only"},
    {"redis_tls_ca_file", SF_OT_STR, S(redis_tls_ca_file), NULL, "SCANFARM_REDIS_TLS_CA_FILE", 0,
     0, 0, "CA bundle that signs the Redis server certificates (rediss:// URLs; default: the "
     "system's)", "FILE"},
    {"redis_tls_cert_file", SF_OT_STR, S(redis_tls_cert_file), NULL,
     "SCANFARM_REDIS_TLS_CERT_FILE", 0, 0, 0, "client certificate for Redis TLS (mutual TLS), PEM",
     "FILE"},
    {"redis_tls_key_file", SF_OT_STR, S(redis_tls_key_file), NULL, "SCANFARM_REDIS_TLS_KEY_FILE",
     0, 0, 0, "key of --redis-tls-cert-file, PEM", "FILE"},
    {"redis_tls_server_name", SF_OT_STR, S(redis_tls_server_name), NULL,
     "SCANFARM_REDIS_TLS_SERVER_NAME", 0, 0, 0,
     "name the Redis certificates must carry (default: each node's host)", "NAME"},
    {"redis_cluster", SF_OT_LONG, S(redis_cluster), "0", "SCANFARM_REDIS_CLUSTER", 0, 0, 1,
     "1 = the --redis nodes are seeds of a Redis Cluster (slot map, MOVED/ASK)"},
    {"key_prefix", SF_OT_STR, S(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key"},
    {"metrics_port", SF_OT_LONG, S(metrics_port), "9100", "SCANFARM_METRICS_PORT", 0, 0, 65535,
     "port of /metrics and /healthz (0 = off)"},
    {"metrics_addr", SF_OT_STR, S(metrics_addr), "0.0.0.0", "SCANFARM_METRICS_ADDR", 0, 0, 0,
     "listen address of the metrics server (127.0.0.1 = loopback only)", "ADDR"},
    {"concurrency", SF_OT_LONG, S(concurrency), "4", "SCANFARM_CONCURRENCY", 0, 1, 1024,
     "images scanned at once (scan threads)"},
    {"layers_per_image", SF_OT_LONG, S(layers_per_image), "2", "SCANFARM_LAYERS_PER_IMAGE", 0, 1,
     64, "layers analysed at once per image"},
    {"db", SF_OT_STR, S(db), NULL, "SCANFARM_DB", 0, 0, 0,
     "vulnerability DB file (unset = report packages only)", "FILE"},
    {"group", SF_OT_STR, S(group), "scanfarm-workers", "SCANFARM_GROUP", 0, 0, 0,
     "Kafka consumer group"},
    {"jobs_topic", SF_OT_STR, S(jobs_topic), "scanfarm.jobs", "SCANFARM_JOBS_TOPIC", 0, 0, 0,
     "topic of scan jobs"},
    {"priority_topic", SF_OT_STR, S(priority_topic), NULL, "SCANFARM_PRIORITY_TOPIC", 0, 0, 0,
     "topic of event (scan-on-push) jobs, taken before the jobs topic; unset = <jobs-topic>"
     ".priority, \"none\" = off"},
    {"results_topic", SF_OT_STR, S(results_topic), "scanfarm.results", "SCANFARM_RESULTS_TOPIC",
     0, 0, 0, "topic of results"},
    {"dlq_topic", SF_OT_STR, S(dlq_topic), "scanfarm.dlq", "SCANFARM_DLQ_TOPIC", 0, 0, 0,
     "dead-letter topic"},
    {"cache_ttl", SF_OT_LONG, S(cache_ttl), "604800", "SCANFARM_CACHE_TTL", 0, 60, 31536000,
     "seconds a cached layer inventory or image result lives"},
    {"lock_ttl_ms", SF_OT_LONG, S(lock_ttl_ms), "30000", "SCANFARM_LOCK_TTL_MS", 0, 200, 3600000,
     "layer lock lifetime without renewal (renewed every third of it)"},
    {"max_attempts", SF_OT_LONG, S(max_attempts), "3", "SCANFARM_MAX_ATTEMPTS", 0, 1, 100,
     "starts of one job (crashes, timeouts) before it goes to the DLQ"},
    {"job_timeout", SF_OT_LONG, S(job_timeout), "1800", "SCANFARM_JOB_TIMEOUT", 0, 10, 86400,
     "seconds one job may run; past it the worker exits so the job is retried elsewhere"},
    {"grace", SF_OT_LONG, S(grace), "30", "SCANFARM_GRACE", 0, 0, 3600,
     "seconds to finish in-flight jobs on SIGTERM"},
    {"session_timeout_ms", SF_OT_LONG, S(session_timeout_ms), "30000",
     "SCANFARM_SESSION_TIMEOUT_MS", 0, 3000, 300000,
     "Kafka group session timeout: how soon a dead worker's jobs move to another"},
    {"transfer_min_rate", SF_OT_LONG, S(transfer_min_rate), "256", "SCANFARM_TRANSFER_MIN_RATE",
     0, 0, 1048576,
     "KiB/s a registry transfer must average: each request may take --transfer-deadline-base "
     "plus its size (declared, else Content-Length, else cap) at this rate (0 = no deadline)"},
    {"transfer_deadline_base", SF_OT_LONG, S(transfer_deadline_base), "60",
     "SCANFARM_TRANSFER_DEADLINE_BASE", 0, 1, 86400,
     "seconds every registry request gets on top of its size at --transfer-min-rate"},
    {"insecure_registry", SF_OT_LIST, S(insecure_registries), NULL, "SCANFARM_INSECURE_REGISTRY",
     0, 0, LIST_MAX, "registry host:port reached over plain HTTP (repeatable)"},
    {"docker_config", SF_OT_STR, S(docker_config), NULL, "SCANFARM_DOCKER_CONFIG", 0, 0, 0,
     "Docker config.json with registry credentials", "FILE"},
    /* Registry trust (docs/security.md): which hosts jobs may send us to. */
    {"registry_allow", SF_OT_LIST, S(registry_allow), NULL, "SCANFARM_REGISTRY_ALLOW", 0, 0,
     LIST_MAX,
     "registry host[:port] glob a job may name ('*' within host or port; no port = default "
     "port only; repeatable). Unset: the --insecure-registry and --registry hosts and the "
     "--docker-config auths hosts"},
    {"registry", SF_OT_LIST, S(registries), NULL, "SCANFARM_REGISTRY", 0, 0, LIST_MAX,
     "registry URL the coordinator enumerates (the coordinator's variable, shared by "
     "deploy/k8s): allowed when --registry-allow is unset (repeatable)", "URL"},
    {"registry_allow_address", SF_OT_LIST, S(registry_allow_addresses), NULL,
     "SCANFARM_REGISTRY_ALLOW_ADDRESS", 0, 0, LIST_MAX,
     "link-local or cloud metadata address or CIDR a registry connection may still reach "
     "(169.254.0.0/16, fe80::/10, fd00:ec2::254 are refused otherwise; repeatable)"},
    {"registry_strict_realm", SF_OT_BOOL, S(registry_strict_realm), "false",
     "SCANFARM_REGISTRY_STRICT_REALM", 0, 0, 0,
     "never send credentials to a token realm on another host (false: only when the "
     "registry's own /v2/ challenge names it, as Docker does)"},
    {"platform", SF_OT_LIST, S(platforms), NULL, "SCANFARM_PLATFORM", 0, 0, LIST_MAX,
     "platform to scan when a job names none, e.g. linux/amd64 (repeatable; unset = every "
     "linux)"},
    {"client_id", SF_OT_STR, S(client_id), "scanfarm-worker", "SCANFARM_CLIENT_ID", 0, 0, 0,
     "Kafka client id"},
    {"log_level", SF_OT_STR, S(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn or error", "LEVEL"},
    {"cache_secret_file", SF_OT_STR, S(cache_secret_file), NULL, "SCANFARM_CACHE_SECRET_FILE", 0,
     0, 0,
     "file holding the farm's cache secret: every cached value carries an HMAC-SHA256 under it "
     "(the same on every worker and the coordinator; see docs/security.md)", "FILE"},
    {"cache_secret", SF_OT_STR, S(cache_secret), NULL, "SCANFARM_CACHE_SECRET", SF_OPT_SECRET, 0,
     0,
     "the cache secret itself, from the environment or the config file only (never a flag: "
     "the process list shows flags)"},
    {"cache_unauthenticated", SF_OT_BOOL, S(cache_unauthenticated), "false",
     "SCANFARM_CACHE_UNAUTHENTICATED", 0, 0, 0,
     "use the Redis cache without a secret (values neither sealed nor checked: whoever can "
     "write Redis decides what is reported); without a secret and false the cache is off"},
};
#undef S
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

/* The config file's "kafka" as a map of librdkafka properties (the
 * brokers are then its bootstrap.servers). */
static int on_doc(void *base, json_t *doc, const char *src, sf_error *err)
{
    sf_wconf *c = base;
    return sf_kprops_doc(&c->kprops, doc, &c->kafka, src, err);
}

extern char **environ;

static int on_env(void *base, sf_error *err)
{
    return sf_kprops_env(&((sf_wconf *)base)->kprops, environ, err);
}

/* An empty text means unset (--db "" = no DB), as it always did here. */
static void empty_is_unset(sf_wconf *c)
{
    for (size_t i = 0; i < NOPTS; i++) {
        char **p = (char **)((char *)c + OPTS[i].off);
        if (OPTS[i].type == SF_OT_STR && *p && !**p) {
            free(*p);
            *p = NULL;
        }
    }
}

static int validate(void *base, sf_error *err)
{
    sf_wconf *c = base;
    empty_is_unset(c);
    int rc = sf_kprops_check(&c->kprops, err);
    if (rc == SF_OK && (!c->kafka || c->redis.n == 0 || !c->group || !c->jobs_topic ||
                        !c->results_topic || !c->dlq_topic || !c->key_prefix))
        rc = sf_error_set(err, SF_ECONFIG,
                          "kafka, redis, group, topics and key_prefix must be set");
    return rc;
}

static void on_dump(const void *base, json_t *o)
{
    json_object_set_new(o, "kafka_props", sf_kprops_dump_json(&((const sf_wconf *)base)->kprops));
}

static const sf_opt_group GROUPS[] = {
    {NULL, OPTS, NOPTS, 0},
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS,
     offsetof(sf_wconf, kprops)},
};

static const sf_opt_spec SPEC = {
    .prog = "scanfarm-worker",
    .usage = "[options]",
    .summary = "Consume scan jobs from Kafka, scan images with a fleet-wide layer cache in\n"
               "Redis, publish results.",
    .epilog = "Config file: JSON, the options above as keys (with '_'), \"kafka\" as the\n"
              "brokers or a map of librdkafka properties (docs/worker-config.md).",
    .groups = GROUPS,
    .ngroups = sizeof GROUPS / sizeof GROUPS[0],
    .file_key = "config",
    .max_args = 0,
    .on_doc = on_doc,
    .on_env = on_env,
    .on_validate = validate,
    .on_dump = on_dump,
};

const sf_opt_spec *sf_wconf_spec(void)
{
    return &SPEC;
}

int sf_wconf_load(sf_wconf *c, int argc, char **argv, sf_error *err)
{
    sf_opt_cmd cmd;
    memset(c, 0, sizeof *c);
    int rc = sf_opt_load(&SPEC, c, argc, argv, &cmd, err);
    c->help = cmd.action == SF_OPT_HELP;
    c->version = cmd.action == SF_OPT_VERSION;
    c->print_config = cmd.action == SF_OPT_PRINT_CONFIG;
    c->print_docs = cmd.action == SF_OPT_PRINT_DOCS;
    return rc;
}

void sf_wconf_clear(sf_wconf *c)
{
    sf_opt_free(&SPEC, c);
    sf_kprops_clear(&c->kprops);
    memset(c, 0, sizeof *c);
}

int sf_wconf_help(sf_buf *out)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return SF_ENOMEM;
    sf_opt_help(&SPEC, f);
    int rc = fclose(f) == 0 ? sf_buf_append(out, text, len) : SF_ENOMEM;
    free(text);
    return rc;
}

int sf_wconf_print(const sf_wconf *c, sf_buf *out)
{
    char *s = sf_opt_dump_text(&SPEC, c);
    int rc = s ? sf_buf_puts(out, s) : SF_ENOMEM;
    free(s);
    return rc == SF_OK ? sf_buf_puts(out, "\n") : rc;
}

int sf_wconf_docs(sf_buf *out)
{
    char *s = sf_opt_markdown(&SPEC);
    int rc = s ? sf_buf_puts(out, s) : SF_ENOMEM;
    free(s);
    return rc;
}
