/*
 * config: see config.h. Two option tables (base/opt.h): G_OPTS for
 * sf_coordcfg and R_OPTS for each sf_regcfg of the file's "registries";
 * the engine loads defaults, file, environment and flags, this file adds
 * the registries, the "kafka" property map and the validation.
 */
#include "config.h"

#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cache/keys.h"
#include "events_opts.h"
#include "base/yaml2json.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define G(f) offsetof(sf_coordcfg, f)
#define R(f) offsetof(sf_regcfg, f)

static const sf_opt G_OPTS[] = {
    {"config", SF_OT_STR, G(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "configuration file (JSON, or YAML when built with libyaml)"},
    {"kafka", SF_OT_STR, G(kafka), "127.0.0.1:9092", "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers"},
    {"jobs_topic", SF_OT_STR, G(topic), "scanfarm.jobs", "SCANFARM_JOBS_TOPIC", 0, 0, 0,
     "topic the scan jobs are published to", NULL, "--topic,topic"},
    {"results_topic", SF_OT_STR, G(results_topic), "scanfarm.results", "SCANFARM_RESULTS_TOPIC", 0,
     0, 0,
     "results topic: with --redis and --db, a scanfarm.refs/v1 message tells the aggregator "
     "the refs of each digest skipped as current"},
    {"registry", SF_OT_LIST, G(registries), NULL, "SCANFARM_REGISTRY", 0, 0, 0,
     "registry URL to enumerate (repeatable; https:// when no scheme)", "URL"},
    {"once", SF_OT_BOOL, G(once), "false", "SCANFARM_ONCE", 0, 0, 0,
     "enumerate once and exit"},
    {"interval", SF_OT_DURATION, G(interval_s), "24h", "SCANFARM_INTERVAL", 0, 1, LONG_MAX,
     "time between runs (e.g. 30m, 24h)"},
    {"page_size", SF_OT_INT, G(page_size), "1000", "SCANFARM_PAGE_SIZE", 0, 1, 100000,
     "entries per catalog/tags page (n=)"},
    {"concurrency", SF_OT_INT, G(concurrency), "8", "SCANFARM_CONCURRENCY", 0, 1, 256,
     "parallel requests per registry"},
    {"rate", SF_OT_DOUBLE, G(rate), "0", "SCANFARM_RATE", 0, 0, 1000000,
     "requests per second per registry (0 = unlimited)"},
    {"insecure", SF_OT_BOOL, G(insecure), "false", "SCANFARM_INSECURE", 0, 0, 0,
     "--registry entries: skip TLS verification"},
    {"max_retries", SF_OT_INT, G(max_retries), "5", "SCANFARM_MAX_RETRIES", 0, 0, 100,
     "retries on 429/5xx/network errors"},
    {"docker_config", SF_OT_STR, G(docker_config), NULL, "SCANFARM_DOCKER_CONFIG", 0, 0, 0,
     "Docker config.json with registry credentials"},
    {"ca_file", SF_OT_STR, G(ca_file), NULL, "SCANFARM_CA_FILE", 0, 0, 0,
     "PEM bundle of CAs to trust for registries (instead of the system's)"},
    {"username", SF_OT_STR, G(username), NULL, "SCANFARM_REGISTRY_USERNAME", 0, 0, 0,
     "--registry entries: user name"},
    {"password", SF_OT_STR, G(password), NULL, "SCANFARM_REGISTRY_PASSWORD", 1, 0, 0,
     "--registry entries: password (environment or file only)"},
    {"platform", SF_OT_LIST, G(platforms), NULL, "SCANFARM_PLATFORM", 0, 0, 0,
     "platform to scan, e.g. linux/amd64 (repeatable; empty = every linux platform)", NULL,
     "--platforms,SCANFARM_PLATFORMS,platforms"},
    {"metrics_port", SF_OT_INT, G(metrics_port), "0", "SCANFARM_METRICS_PORT", 0, 0, 65535,
     "port of /metrics and /healthz (0 = off)"},
    {"metrics_addr", SF_OT_STR, G(metrics_addr), "0.0.0.0", "SCANFARM_METRICS_ADDR", 0, 0, 0,
     "listen address of the metrics server (127.0.0.1 = loopback only)"},
    {"insecure_registry", SF_OT_LIST, G(insecure_registries), NULL, "SCANFARM_INSECURE_REGISTRY", 0,
     0, 0,
     "registry host:port whose TLS is not verified (repeatable; the workers' spelling; "
     "--insecure = every registry)"},
    {"merge_window", SF_OT_LONG, G(merge_window), "0", "SCANFARM_MERGE_WINDOW", 0, 0,
     100000000, "refs held back to merge digests shared across repositories (0 = none: jobs "
     "go out as each repository is done, later refs as refs messages)"},
    {"merge_hold", SF_OT_DURATION, G(merge_hold_s), "2m", "SCANFARM_MERGE_HOLD", 0, 0, LONG_MAX,
     "longest a job waits in the merge window before it is published (0 = no limit)"},
    {"max_digests", SF_OT_LONG, G(max_digests), "20000000", "SCANFARM_MAX_DIGESTS", 0, 1024,
     1000000000, "cap of the per-run set of unique digests"},
    {"max_tags_per_repo", SF_OT_LONG, G(max_tags_per_repo), "1000000", "SCANFARM_MAX_TAGS_PER_REPO",
     0, 1, 100000000, "tags listed per repository before the rest are ignored"},
    {"max_pages", SF_OT_LONG, G(max_pages), "100000", "SCANFARM_MAX_PAGES", 0, 1, 100000,
     "pages of one registry's catalog (or one repository's tags) before the walk fails as "
     "endless"},
    {"max_repositories", SF_OT_LONG, G(max_repositories), "10000000", "SCANFARM_MAX_REPOSITORIES", 0,
     1, 10000000, "catalog entries of one registry before the walk fails as endless"},
    {"registry_failures", SF_OT_INT, G(registry_failures), "20", "SCANFARM_REGISTRY_FAILURES", 0,
     1, 1000000, "consecutive failed requests after which a registry is skipped"},
    {"run_id", SF_OT_STR, G(run_id), NULL, "SCANFARM_RUN_ID", 0, 0, 0,
     "fixed run id (default: generated per run)"},
    {"progress", SF_OT_STR, G(progress), "auto", "SCANFARM_PROGRESS", 0, 0, 0,
     "live progress line: auto (on a TTY), always, never"},
    {"log_level", SF_OT_STR, G(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn, error"},
    {"debug", SF_OT_STR, G(debug), NULL, "SCANFARM_DEBUG", 0, 0, 0,
     "components with debug logs (registry,kafka,enum or all)"},
    {"redis", SF_OT_LIST, G(redis), NULL, "SCANFARM_REDIS", 0, 0, 0,
     "Redis node host:port (repeat or comma-separate to shard): records each run's job count "
     "for the aggregator and skips digests whose cached result is current (empty = no Redis)"},
    {"redis_username", SF_OT_STR, G(redis_username), NULL, "SCANFARM_REDIS_USERNAME", 0, 0, 0,
     "Redis ACL user: AUTH user password (Redis 6+); unset = AUTH password alone"},
    {"redis_password_file", SF_OT_STR, G(redis_password_file), NULL, "SCANFARM_REDIS_PASSWORD_FILE",
     0, 0, 0, "file holding the Redis password (a redis://user:pass@host URL may carry its own)"},
    {"redis_password", SF_OT_STR, G(redis_password), NULL, "SCANFARM_REDIS_PASSWORD", 1, 0, 0,
     "the Redis password itself (environment or file only)"},
    {"redis_tls_ca_file", SF_OT_STR, G(redis_tls_ca_file), NULL, "SCANFARM_REDIS_TLS_CA_FILE", 0, 0,
     0, "CA bundle that signs the Redis server certificates (rediss:// URLs; default: the "
     "system's)"},
    {"redis_tls_cert_file", SF_OT_STR, G(redis_tls_cert_file), NULL, "SCANFARM_REDIS_TLS_CERT_FILE",
     0, 0, 0, "client certificate for Redis TLS (mutual TLS), PEM"},
    {"redis_tls_key_file", SF_OT_STR, G(redis_tls_key_file), NULL, "SCANFARM_REDIS_TLS_KEY_FILE", 0,
     0, 0, "key of --redis-tls-cert-file, PEM"},
    {"redis_tls_server_name", SF_OT_STR, G(redis_tls_server_name), NULL,
     "SCANFARM_REDIS_TLS_SERVER_NAME", 0, 0, 0,
     "name the Redis certificates must carry (default: each node's host)"},
    {"redis_cluster", SF_OT_INT, G(redis_cluster), "0", "SCANFARM_REDIS_CLUSTER", 0, 0, 1,
     "1 = the --redis nodes are seeds of a Redis Cluster (slot map, MOVED/ASK)"},
    {"key_prefix", SF_OT_STR, G(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the same as the workers' and the aggregator's)"},
    {"db", SF_OT_STR, G(db), NULL, "SCANFARM_DB", 0, 0, 0,
     "vulnerability DB file whose version is current: with --redis, a digest whose cached "
     "result was matched against it is not published again"},
    {"cache_secret_file", SF_OT_STR, G(cache_secret_file), NULL, "SCANFARM_CACHE_SECRET_FILE", 0, 0,
     0, "file holding the farm's cache secret (the workers'): cached results are trusted only "
     "with a valid MAC under it (docs/security.md)"},
    {"cache_secret", SF_OT_STR, G(cache_secret), NULL, "SCANFARM_CACHE_SECRET", 1, 0, 0,
     "the cache secret itself (environment or file only)"},
    {"cache_unauthenticated", SF_OT_BOOL, G(cache_unauthenticated), "false",
     "SCANFARM_CACHE_UNAUTHENTICATED", 0, 0, 0,
     "trust cached results without a secret (whoever can write Redis then decides which "
     "digests are skipped); without a secret and false nothing is skipped"},
    SF_EVENTS_G_OPTS,
};

static const sf_opt R_OPTS[] = {
    {"url", SF_OT_STR, R(url), NULL, NULL, 0, 0, 0, "registry URL"},
    {"username", SF_OT_STR, R(username), NULL, NULL, 0, 0, 0, "user name"},
    {"password", SF_OT_STR, R(password), NULL, NULL, 1, 0, 0, "password or token"},
    {"username_env", SF_OT_STR, R(username_env), NULL, NULL, 0, 0, 0,
     "environment variable holding the user name"},
    {"password_env", SF_OT_STR, R(password_env), NULL, NULL, 0, 0, 0,
     "environment variable holding the password"},
    {"docker_config", SF_OT_STR, R(docker_config), NULL, NULL, 0, 0, 0, "Docker config.json"},
    {"ca_file", SF_OT_STR, R(ca_file), NULL, NULL, 0, 0, 0, "PEM bundle of CAs to trust"},
    {"insecure", SF_OT_BOOL, R(insecure), NULL, NULL, 0, 0, 0, "skip TLS verification"},
    {"strict_realm", SF_OT_BOOL, R(strict_realm), "false", NULL, 0, 0, 0,
     "never send the credentials to a token realm on another host (default: only when the "
     "registry's own /v2/ challenge names it, as Docker does; docs/security.md)"},
    {"concurrency", SF_OT_INT, R(concurrency), NULL, NULL, 0, 1, 256, "parallel requests"},
    {"rate", SF_OT_DOUBLE, R(rate), NULL, NULL, 0, 0, 1000000, "requests per second"},
    {"page_size", SF_OT_INT, R(page_size), NULL, NULL, 0, 1, 100000, "entries per page"},
    {"max_retries", SF_OT_INT, R(max_retries), NULL, NULL, 0, 0, 100, "retries"},
    {"catalog", SF_OT_BOOL, R(catalog), "true", NULL, 0, 0, 0,
     "walk /v2/_catalog (false when only `repositories` should be used)"},
    {"repositories", SF_OT_LIST, R(repositories), NULL, NULL, 0, 0, 0,
     "explicit repositories (for registries without a catalog)"},
    {"include", SF_OT_LIST, R(include), NULL, NULL, 0, 0, 0, "repository globs to include"},
    {"exclude", SF_OT_LIST, R(exclude), NULL, NULL, 0, 0, 0, "repository globs to exclude"},
    {"tags.include", SF_OT_LIST, R(tag_include), NULL, NULL, 0, 0, 0, "tag globs to include"},
    {"tags.exclude", SF_OT_LIST, R(tag_exclude), NULL, NULL, 0, 0, 0, "tag globs to exclude"},
    {"tags.regex", SF_OT_STR, R(tag_regex), NULL, NULL, 0, 0, 0, "regex a tag must match"},
    {"tags.newest", SF_OT_INT, R(tag_newest), "0", NULL, 0, 0, 1000000,
     "keep the newest N tags by tag order (0 = all)"},
    {"platforms", SF_OT_LIST, R(platforms), NULL, NULL, 0, 0, 0, "platforms to scan"},
};

#define NG (sizeof G_OPTS / sizeof G_OPTS[0])
#define NR (sizeof R_OPTS / sizeof R_OPTS[0])

long sf_parse_duration(const char *s)
{
    return sf_opt_duration(s);
}

/* ---- registries ---- */

static void regcfg_free(sf_regcfg *r) { sf_opt_rows_free(r, R_OPTS, NR); }

/* Registry-level defaults inherited from the globals (-1/-1.0 = unset). */
static void reg_unset(sf_regcfg *r)
{
    memset(r, 0, sizeof *r);
    r->insecure = r->concurrency = r->page_size = r->max_retries = -1;
    r->rate = -1;
}

/* 1 when url's host[:port] is one of the --insecure-registry entries. */
static int host_listed(const char *url, const sf_strlist *hosts)
{
    const char *h = url ? strstr(url, "://") : NULL;
    h = h ? h + 3 : url;
    size_t n = h ? strcspn(h, "/") : 0;
    for (size_t i = 0; h && i < hosts->n; i++)
        if (strlen(hosts->v[i]) == n && strncmp(hosts->v[i], h, n) == 0)
            return 1;
    return 0;
}

static int reg_inherit(sf_regcfg *r, const sf_coordcfg *g, int from_cli)
{
    if (r->insecure < 0)
        r->insecure = from_cli ? g->insecure : 0;
    if (host_listed(r->url, &g->insecure_registries))
        r->insecure = 1;
    if (r->concurrency < 0)
        r->concurrency = g->concurrency;
    if (r->page_size < 0)
        r->page_size = g->page_size;
    if (r->max_retries < 0)
        r->max_retries = g->max_retries;
    if (r->rate < 0)
        r->rate = g->rate;
    if (!r->docker_config && g->docker_config && !(r->docker_config = sf_strdup(g->docker_config)))
        return SF_ENOMEM;
    if (!r->ca_file && g->ca_file && !(r->ca_file = sf_strdup(g->ca_file)))
        return SF_ENOMEM;
    if (from_cli && g->username && !r->username) {
        r->username = sf_strdup(g->username);
        r->password = sf_strdup(g->password ? g->password : "");
        if (!r->username || !r->password)
            return SF_ENOMEM;
    }
    if (!r->platforms.n && sf_strlist_copy(&r->platforms, &g->platforms) != SF_OK)
        return SF_ENOMEM;
    return SF_OK;
}

static int add_reg(sf_coordcfg *c, sf_regcfg **out, sf_error *err)
{
    if (c->nregs >= 10000)
        return sf_error_set(err, SF_ECONFIG, "too many registries");
    sf_regcfg *nv = realloc(c->regs, (c->nregs + 1) * sizeof *nv);
    if (!nv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    c->regs = nv;
    *out = &c->regs[c->nregs++];
    reg_unset(*out);
    return sf_opt_rows_defaults(*out, R_OPTS, NR, err);
}

static int load_registries(sf_coordcfg *c, json_t *arr, sf_error *err)
{
    size_t i;
    json_t *e;
    if (!arr)
        return SF_OK;
    if (!json_is_array(arr))
        return sf_error_set(err, SF_ECONFIG, "config: registries must be a list");
    json_array_foreach(arr, i, e)
    {
        char src[48];
        sf_regcfg *r;
        snprintf(src, sizeof src, "config registries[%zu]", i);
        if (!json_is_object(e))
            return sf_error_set(err, SF_ECONFIG, "%s: must be an object", src);
        int rc = add_reg(c, &r, err);
        if (!rc)
            rc = sf_opt_rows_json(r, R_OPTS, NR, e, src, err);
        if (!rc && json_is_array(json_object_get(e, "repositories")) &&
            !json_object_get(e, "catalog"))
            r->catalog = 0; /* explicit list and no word about the catalog */
        if (rc)
            return rc;
    }
    return SF_OK;
}

/* The file's keys beside the table: "registries" and a "kafka" map. */
static int on_doc(void *base, json_t *doc, const char *src, sf_error *err)
{
    sf_coordcfg *c = base;
    /* "kafka" is the brokers as text (the row), or a map of librdkafka properties */
    int rc = sf_kprops_doc(&c->kprops, doc, &c->kafka, src, err);
    if (!rc)
        rc = load_registries(c, json_object_get(doc, "registries"), err);
    json_object_del(doc, "registries");
    return rc;
}

static int parse_text(const char *text, size_t len, json_t **doc, sf_error *err)
{
    int rc = sf_yaml_to_json(text, len, doc, err);
    return rc == SF_EUNSUPPORTED ? SF_ECONFIG : rc;
}

extern char **environ;

static int on_env(void *base, sf_error *err)
{
    return sf_kprops_env(&((sf_coordcfg *)base)->kprops, environ, err);
}

static int check_registry(const sf_regcfg *r, size_t i, sf_error *err)
{
    if (!r->url || !*r->url)
        return sf_error_set(err, SF_ECONFIG, "registry %zu has no url", i);
    if (!r->catalog && !r->repositories.n)
        return sf_error_set(err, SF_ECONFIG,
                            "registry %zu: catalog is off and no repositories are listed", i);
    if (r->tag_regex) {
        regex_t re;
        if (regcomp(&re, r->tag_regex, REG_EXTENDED | REG_NOSUB))
            return sf_error_set(err, SF_ECONFIG, "registry %zu: bad tags.regex", i);
        regfree(&re);
    }
    if (r->password && (r->username_env || r->password_env))
        return sf_error_set(err, SF_ECONFIG,
                            "registry %zu: give a password or password_env, not both", i);
    return SF_OK;
}

static int validate(void *base, sf_error *err)
{
    sf_coordcfg *c = base;
    static const char *prog[] = {"auto", "always", "never"};
    int ok = 0;
    for (int i = 0; i < 3; i++)
        ok |= c->progress && strcmp(c->progress, prog[i]) == 0;
    if (!ok)
        return sf_error_set(err, SF_ECONFIG, "progress must be auto, always or never");
    if (!c->kafka || !*c->kafka)
        return sf_error_set(err, SF_ECONFIG, "kafka brokers not set");
    if (!c->topic || !*c->topic)
        return sf_error_set(err, SF_ECONFIG, "jobs_topic not set");
    if (!c->results_topic || !*c->results_topic)
        return sf_error_set(err, SF_ECONFIG, "results_topic not set");
    int krc = sf_kprops_check(&c->kprops, err);
    if (krc)
        return krc;
    if (!c->key_prefix || sf_keys_check_prefix(c->key_prefix, NULL) != SF_OK)
        return sf_error_set(err, SF_ECONFIG,
                            "key_prefix must be 1..64 characters of [A-Za-z0-9_.:-]");
    size_t from_file = c->nregs;
    for (size_t i = 0; i < c->registries.n; i++) {
        sf_regcfg *r;
        int rc = add_reg(c, &r, err);
        if (!rc && !(r->url = sf_strdup(c->registries.v[i])))
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        if (!rc && reg_inherit(r, c, 1))
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < c->nregs; i++) {
        if (i < from_file && reg_inherit(&c->regs[i], c, 0))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        int rc = check_registry(&c->regs[i], i, err);
        if (rc)
            return rc;
    }
    return SF_OK;
}

static void on_dump(const void *base, json_t *o)
{
    const sf_coordcfg *c = base;
    json_t *regs = json_array();
    json_object_del(o, "registry"); /* the --registry URLs are in "registries" */
    for (size_t r = 0; r < c->nregs; r++) {
        json_t *ro = json_object();
        sf_opt_rows_dump(ro, &c->regs[r], R_OPTS, NR);
        json_array_append_new(regs, ro);
    }
    json_object_set_new(o, "registries", regs);
    json_object_set_new(o, "kafka_props", sf_kprops_dump_json(&c->kprops));
}

static const char EPILOG[] =
    "Config file: JSON or YAML (built with libyaml); the options above as keys (with\n"
    "'_'), \"kafka\" as the brokers or a map of librdkafka properties, plus\n"
    "\"registries\": [{\"url\", \"username\", \"password\", \"username_env\", \"password_env\",\n"
    "\"docker_config\", \"ca_file\", \"insecure\", \"strict_realm\", \"concurrency\", \"rate\",\n"
    "\"page_size\", \"max_retries\", \"catalog\", \"repositories\", \"include\", \"exclude\",\n"
    "\"tags\": {\"include\", \"exclude\", \"regex\", \"newest\"}, \"platforms\"}]\n"
    "(docs/coordinator-config.md).\n";

static int on_markdown(sf_buf *b)
{
    int rc = sf_buf_puts(b, "\nPer registry (config file only, inside `\"registries\": [...]`; "
                            "unset numbers and `insecure` inherit the global value):\n\n"
                            "| key | type | default | description |\n|---|---|---|---|\n");
    return rc == SF_OK ? sf_opt_rows_markdown(b, R_OPTS, NR) : rc;
}

static const sf_opt_group GROUPS[] = {
    {NULL, G_OPTS, NG, 0},
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS, G(kprops)},
};

static const sf_opt_spec SPEC = {
    .prog = "scanfarm-coordinator",
    .usage = "[options]",
    .summary = "Enumerate OCI registries and publish one scan job per manifest digest.",
    .epilog = EPILOG,
    .groups = GROUPS,
    .ngroups = sizeof GROUPS / sizeof GROUPS[0],
    .file_key = "config",
    .max_args = 0,
    .parse = parse_text,
    .on_doc = on_doc,
    .on_env = on_env,
    .on_validate = validate,
    .on_dump = on_dump,
    .on_markdown = on_markdown,
};

const sf_opt_spec *sf_coordcfg_spec(void)
{
    return &SPEC;
}

int sf_coordcfg_load(sf_coordcfg *c, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err)
{
    memset(c, 0, sizeof *c);
    return sf_opt_load(&SPEC, c, argc, argv, cmd, err);
}

int sf_coordcfg_load_text(sf_coordcfg *c, const char *text, size_t len, sf_error *err)
{
    memset(c, 0, sizeof *c);
    return sf_opt_load_text(&SPEC, c, text, len, err);
}

void sf_coordcfg_free(sf_coordcfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nregs; i++)
        regcfg_free(&c->regs[i]);
    free(c->regs);
    sf_kprops_clear(&c->kprops);
    sf_opt_free(&SPEC, c);
    memset(c, 0, sizeof *c);
}

char *sf_coordcfg_dump(const sf_coordcfg *c)
{
    return sf_opt_dump_text(&SPEC, c);
}

void sf_regcfg_credentials(const sf_regcfg *r, const char **user, const char **pass)
{
    *user = r->username;
    *pass = r->password;
    if (r->username_env)
        *user = getenv(r->username_env);
    if (r->password_env)
        *pass = getenv(r->password_env);
}

char *sf_coordcfg_markdown(void)
{
    return sf_opt_markdown(&SPEC);
}
