/*
 * config: see config.h. Two option tables drive everything: G_OPTS for
 * sf_coordcfg and R_OPTS for each sf_regcfg. A table row knows its JSON
 * key (dotted for nested objects, e.g. "tags.newest"), its command-line
 * flag (the key with '_' -> '-', globals only), its environment variable
 * and whether it is secret. Loading is: defaults, then file, then
 * environment, then command line, then validation.
 */
#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cache/keys.h"
#include "events_opts.h"
#include "cache/kvaddr.h"
#include "config_alias.h"
#include "base/yaml2json.h"
#include "sf_version.h"

#include "opttab.h" /* sf_opt, the table row; the engine is exported at the end */

typedef sf_opt_type opt_type;

#define G(f) offsetof(sf_coordcfg, f)
#define R(f) offsetof(sf_regcfg, f)

static const sf_opt G_OPTS[] = {
    {"config", OT_STR, G(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "configuration file (JSON, or YAML when built with libyaml)"},
    {"kafka", OT_STR, G(kafka), "127.0.0.1:9092", "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers"},
    {"topic", OT_STR, G(topic), "scanfarm.jobs", "SCANFARM_JOBS_TOPIC", 0, 0, 0,
     "topic the scan jobs are published to"},
    {"results_topic", OT_STR, G(results_topic), "scanfarm.results", "SCANFARM_RESULTS_TOPIC", 0,
     0, 0,
     "results topic: with --redis and --db, a scanfarm.refs/v1 message tells the aggregator "
     "the refs of each digest skipped as current"},
    {"registry", OT_LIST, G(registries), NULL, "SCANFARM_REGISTRY", 0, 0, 0,
     "registry URL to enumerate (repeatable; https:// when no scheme)"},
    {"once", OT_BOOL, G(once), "false", "SCANFARM_ONCE", 0, 0, 0,
     "enumerate once and exit"},
    {"interval", OT_DURATION, G(interval_s), "24h", "SCANFARM_INTERVAL", 0, 1, LONG_MAX,
     "time between runs (e.g. 30m, 24h)"},
    {"page_size", OT_INT, G(page_size), "1000", "SCANFARM_PAGE_SIZE", 0, 1, 100000,
     "entries per catalog/tags page (n=)"},
    {"concurrency", OT_INT, G(concurrency), "8", "SCANFARM_CONCURRENCY", 0, 1, 256,
     "parallel requests per registry"},
    {"rate", OT_DOUBLE, G(rate), "0", "SCANFARM_RATE", 0, 0, 1000000,
     "requests per second per registry (0 = unlimited)"},
    {"insecure", OT_BOOL, G(insecure), "false", "SCANFARM_INSECURE", 0, 0, 0,
     "--registry entries: skip TLS verification"},
    {"max_retries", OT_INT, G(max_retries), "5", "SCANFARM_MAX_RETRIES", 0, 0, 100,
     "retries on 429/5xx/network errors"},
    {"docker_config", OT_STR, G(docker_config), NULL, "SCANFARM_DOCKER_CONFIG", 0, 0, 0,
     "Docker config.json with registry credentials"},
    {"ca_file", OT_STR, G(ca_file), NULL, "SCANFARM_CA_FILE", 0, 0, 0,
     "PEM bundle of CAs to trust for registries (instead of the system's)"},
    {"username", OT_STR, G(username), NULL, "SCANFARM_REGISTRY_USERNAME", 0, 0, 0,
     "--registry entries: user name"},
    {"password", OT_STR, G(password), NULL, "SCANFARM_REGISTRY_PASSWORD", 1, 0, 0,
     "--registry entries: password (environment or file only)"},
    {"platform", OT_LIST, G(platforms), NULL, "SCANFARM_PLATFORM", 0, 0, 0,
     "platform to scan, e.g. linux/amd64 (repeatable; empty = every linux platform)"},
    {"metrics_port", OT_INT, G(metrics_port), "0", "SCANFARM_METRICS_PORT", 0, 0, 65535,
     "port of /metrics and /healthz (0 = off)"},
    {"metrics_addr", OT_STR, G(metrics_addr), "0.0.0.0", "SCANFARM_METRICS_ADDR", 0, 0, 0,
     "listen address of the metrics server (127.0.0.1 = loopback only)"},
    {"insecure_registry", OT_LIST, G(insecure_registries), NULL, "SCANFARM_INSECURE_REGISTRY", 0,
     0, 0,
     "registry host:port whose TLS is not verified (repeatable; the workers' spelling; "
     "--insecure = every registry)"},
    {"merge_window", OT_LONG, G(merge_window), "100000", "SCANFARM_MERGE_WINDOW", 0, 0,
     100000000, "refs held back to merge digests shared across repositories (0 = none)"},
    {"merge_hold", OT_DURATION, G(merge_hold_s), "2m", "SCANFARM_MERGE_HOLD", 0, 0, LONG_MAX,
     "longest a job waits in the merge window before it is published (0 = no limit)"},
    {"max_digests", OT_LONG, G(max_digests), "20000000", "SCANFARM_MAX_DIGESTS", 0, 1024,
     1000000000, "cap of the per-run set of unique digests"},
    {"max_tags_per_repo", OT_LONG, G(max_tags_per_repo), "1000000", "SCANFARM_MAX_TAGS_PER_REPO",
     0, 1, 100000000, "tags listed per repository before the rest are ignored"},
    {"max_pages", OT_LONG, G(max_pages), "100000", "SCANFARM_MAX_PAGES", 0, 1, 100000,
     "pages of one registry's catalog (or one repository's tags) before the walk fails as "
     "endless"},
    {"max_repositories", OT_LONG, G(max_repositories), "10000000", "SCANFARM_MAX_REPOSITORIES", 0,
     1, 10000000, "catalog entries of one registry before the walk fails as endless"},
    {"registry_failures", OT_INT, G(registry_failures), "20", "SCANFARM_REGISTRY_FAILURES", 0,
     1, 1000000, "consecutive failed requests after which a registry is skipped"},
    {"run_id", OT_STR, G(run_id), NULL, "SCANFARM_RUN_ID", 0, 0, 0,
     "fixed run id (default: generated per run)"},
    {"progress", OT_STR, G(progress), "auto", "SCANFARM_PROGRESS", 0, 0, 0,
     "live progress line: auto (on a TTY), always, never"},
    {"log_level", OT_STR, G(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn, error"},
    {"debug", OT_STR, G(debug), NULL, "SCANFARM_DEBUG", 0, 0, 0,
     "components with debug logs (registry,kafka,enum or all)"},
    {"redis", OT_LIST, G(redis), NULL, "SCANFARM_REDIS", 0, 0, 0,
     "Redis node host:port (repeat or comma-separate to shard): records each run's job count "
     "for the aggregator and skips digests whose cached result is current (empty = no Redis)"},
    {"redis_username", OT_STR, G(redis_username), NULL, "SCANFARM_REDIS_USERNAME", 0, 0, 0,
     "Redis ACL user: AUTH user password (Redis 6+); unset = AUTH password alone"},
    {"redis_password_file", OT_STR, G(redis_password_file), NULL, "SCANFARM_REDIS_PASSWORD_FILE",
     0, 0, 0, "file holding the Redis password (a redis://user:pass@host URL may carry its own)"},
    {"redis_password", OT_STR, G(redis_password), NULL, "SCANFARM_REDIS_PASSWORD", 1, 0, 0,
     "the Redis password itself (environment or file only)"},
    {"key_prefix", OT_STR, G(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the same as the workers' and the aggregator's)"},
    {"db", OT_STR, G(db), NULL, "SCANFARM_DB", 0, 0, 0,
     "vulnerability DB file whose version is current: with --redis, a digest whose cached "
     "result was matched against it is not published again"},
    {"cache_secret_file", OT_STR, G(cache_secret_file), NULL, "SCANFARM_CACHE_SECRET_FILE", 0, 0,
     0, "file holding the farm's cache secret (the workers'): cached results are trusted only "
     "with a valid MAC under it (docs/security.md)"},
    {"cache_secret", OT_STR, G(cache_secret), NULL, "SCANFARM_CACHE_SECRET", 1, 0, 0,
     "the cache secret itself (environment or file only)"},
    {"cache_unauthenticated", OT_BOOL, G(cache_unauthenticated), "false",
     "SCANFARM_CACHE_UNAUTHENTICATED", 0, 0, 0,
     "trust cached results without a secret (whoever can write Redis then decides which "
     "digests are skipped); without a secret and false nothing is skipped"},
    SF_EVENTS_G_OPTS,
};

static const sf_opt R_OPTS[] = {
    {"url", OT_STR, R(url), NULL, NULL, 0, 0, 0, "registry URL"},
    {"username", OT_STR, R(username), NULL, NULL, 0, 0, 0, "user name"},
    {"password", OT_STR, R(password), NULL, NULL, 1, 0, 0, "password or token"},
    {"username_env", OT_STR, R(username_env), NULL, NULL, 0, 0, 0,
     "environment variable holding the user name"},
    {"password_env", OT_STR, R(password_env), NULL, NULL, 0, 0, 0,
     "environment variable holding the password"},
    {"docker_config", OT_STR, R(docker_config), NULL, NULL, 0, 0, 0, "Docker config.json"},
    {"ca_file", OT_STR, R(ca_file), NULL, NULL, 0, 0, 0, "PEM bundle of CAs to trust"},
    {"insecure", OT_BOOL, R(insecure), NULL, NULL, 0, 0, 0, "skip TLS verification"},
    {"strict_realm", OT_BOOL, R(strict_realm), "false", NULL, 0, 0, 0,
     "never send the credentials to a token realm on another host (default: only when the "
     "registry's own /v2/ challenge names it, as Docker does; docs/security.md)"},
    {"concurrency", OT_INT, R(concurrency), NULL, NULL, 0, 1, 256, "parallel requests"},
    {"rate", OT_DOUBLE, R(rate), NULL, NULL, 0, 0, 1000000, "requests per second"},
    {"page_size", OT_INT, R(page_size), NULL, NULL, 0, 1, 100000, "entries per page"},
    {"max_retries", OT_INT, R(max_retries), NULL, NULL, 0, 0, 100, "retries"},
    {"catalog", OT_BOOL, R(catalog), "true", NULL, 0, 0, 0,
     "walk /v2/_catalog (false when only `repositories` should be used)"},
    {"repositories", OT_LIST, R(repositories), NULL, NULL, 0, 0, 0,
     "explicit repositories (for registries without a catalog)"},
    {"include", OT_LIST, R(include), NULL, NULL, 0, 0, 0, "repository globs to include"},
    {"exclude", OT_LIST, R(exclude), NULL, NULL, 0, 0, 0, "repository globs to exclude"},
    {"tags.include", OT_LIST, R(tag_include), NULL, NULL, 0, 0, 0, "tag globs to include"},
    {"tags.exclude", OT_LIST, R(tag_exclude), NULL, NULL, 0, 0, 0, "tag globs to exclude"},
    {"tags.regex", OT_STR, R(tag_regex), NULL, NULL, 0, 0, 0, "regex a tag must match"},
    {"tags.newest", OT_INT, R(tag_newest), "0", NULL, 0, 0, 1000000,
     "keep the newest N tags by tag order (0 = all)"},
    {"platforms", OT_LIST, R(platforms), NULL, NULL, 0, 0, 0, "platforms to scan"},
};

#define NG (sizeof G_OPTS / sizeof G_OPTS[0])
#define NR (sizeof R_OPTS / sizeof R_OPTS[0])

long sf_parse_duration(const char *s)
{
    char *end;
    if (!s || !*s)
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    long long mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end || v > LONG_MAX / mul)
        return -1;
    return (long)(v * mul);
}

/* ---- setting one option from text or JSON ---- */

static void list_free(sf_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int list_add(sf_strlist *l, const char *s, size_t n)
{
    if (l->n >= 100000)
        return SF_ELIMIT;
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return SF_ENOMEM;
    l->v = nv;
    if (!(l->v[l->n] = sf_strndup(s, n)))
        return SF_ENOMEM;
    l->n++;
    return SF_OK;
}

/* Append the comma-separated items of s. */
static int list_add_csv(sf_strlist *l, const char *s)
{
    while (*s) {
        size_t n = strcspn(s, ",");
        const char *a = s, *b = s + n;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (b > a) {
            int rc = list_add(l, a, (size_t)(b - a));
            if (rc)
                return rc;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return SF_OK;
}

static int parse_bool(const char *s, int *out)
{
    static const char *t[] = {"1", "true", "yes", "on"}, *f[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, t[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, f[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* Set option o in base from text; append=1 adds to lists (repeated flags). */
static int set_text(void *base, const sf_opt *o, const char *v, int append, const char *src,
                    sf_error *err)
{
    char *p = (char *)base + o->off, *end;
    errno = 0;
    switch (o->type) {
    case OT_STR: {
        char *d = sf_strdup(v);
        if (!d)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        free(*(char **)p);
        *(char **)p = d;
        return SF_OK;
    }
    case OT_INT:
    case OT_LONG: {
        long long x = strtoll(v, &end, 10);
        if (errno || end == v || *end || x < o->min || x > o->max)
            return sf_error_set(err, SF_ECONFIG, "%s %s: expected an integer in [%ld, %ld]", src,
                                o->name, o->min, o->max);
        if (o->type == OT_INT)
            *(int *)p = (int)x;
        else
            *(long *)p = (long)x;
        return SF_OK;
    }
    case OT_DOUBLE: {
        double x = strtod(v, &end);
        if (errno || end == v || *end || x < (double)o->min || x > (double)o->max)
            return sf_error_set(err, SF_ECONFIG, "%s %s: expected a number in [%ld, %ld]", src,
                                o->name, o->min, o->max);
        *(double *)p = x;
        return SF_OK;
    }
    case OT_BOOL:
        if (parse_bool(v, (int *)p))
            return sf_error_set(err, SF_ECONFIG, "%s %s: expected true or false", src, o->name);
        return SF_OK;
    case OT_DURATION: {
        long d = sf_parse_duration(v);
        if (d < o->min)
            return sf_error_set(err, SF_ECONFIG, "%s %s: expected a duration like 30m or 24h",
                                src, o->name);
        *(long *)p = d;
        return SF_OK;
    }
    case OT_LIST:
        if (!append)
            list_free((sf_strlist *)p);
        if (list_add_csv((sf_strlist *)p, v))
            return sf_error_set(err, SF_ECONFIG, "%s %s: list too long", src, o->name);
        return SF_OK;
    }
    return SF_EINTERNAL;
}

/* Set option o from a JSON value (strings are also accepted for numbers
 * and booleans, so YAML-ish or env-templated files work). */
static int set_json(void *base, const sf_opt *o, json_t *v, const char *src, sf_error *err)
{
    char num[64];
    if (o->type == OT_LIST && json_is_array(v)) {
        sf_strlist *l = (sf_strlist *)((char *)base + o->off);
        size_t i;
        json_t *e;
        list_free(l);
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                return sf_error_set(err, SF_ECONFIG, "%s %s: list entries must be strings", src,
                                    o->name);
            if (list_add(l, json_string_value(e), json_string_length(e)))
                return sf_error_set(err, SF_ECONFIG, "%s %s: list too long", src, o->name);
        }
        return SF_OK;
    }
    if (json_is_string(v))
        return set_text(base, o, json_string_value(v), 0, src, err);
    if (json_is_boolean(v))
        return set_text(base, o, json_is_true(v) ? "true" : "false", 0, src, err);
    if (json_is_integer(v)) {
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return set_text(base, o, num, 0, src, err);
    }
    if (json_is_real(v) && o->type == OT_DOUBLE) {
        *(double *)((char *)base + o->off) = json_real_value(v);
        return SF_OK;
    }
    return sf_error_set(err, SF_ECONFIG, "%s %s: wrong type", src, o->name);
}

/* Find a dotted key ("tags.newest") in obj. */
static json_t *get_path(json_t *obj, const char *name)
{
    char part[64];
    const char *p = name;
    while (obj) {
        size_t n = strcspn(p, ".");
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        obj = json_object_get(obj, part);
        if (!p[n])
            return obj;
        p += n + 1;
    }
    return NULL;
}

/* Reject keys not in the table, so a typo is an error, not a silent
 * default. Nested objects are checked one level deep ("tags"). */
static int check_keys(json_t *obj, const sf_opt *t, size_t nt, const char *extra,
                      const char *src, sf_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        int ok = extra && strcmp(k, extra) == 0;
        for (size_t i = 0; i < nt && !ok; i++) {
            size_t kl = strlen(k);
            ok = strcmp(t[i].name, k) == 0 ||
                 (strncmp(t[i].name, k, kl) == 0 && t[i].name[kl] == '.' && json_is_object(v));
        }
        if (!ok)
            return sf_error_set(err, SF_ECONFIG, "%s: unknown setting \"%.64s\"", src, k);
    }
    return SF_OK;
}

static int apply_table_json(void *base, const sf_opt *t, size_t nt, json_t *obj,
                            const char *src, sf_error *err)
{
    for (size_t i = 0; i < nt; i++) {
        json_t *v = get_path(obj, t[i].name);
        if (v && !json_is_null(v)) {
            int rc = set_json(base, &t[i], v, src, err);
            if (rc)
                return rc;
        }
    }
    return SF_OK;
}

static int apply_defaults(void *base, const sf_opt *t, size_t nt, sf_error *err)
{
    for (size_t i = 0; i < nt; i++)
        if (t[i].def) {
            int rc = set_text(base, &t[i], t[i].def, 0, "default", err);
            if (rc)
                return rc;
        }
    return SF_OK;
}

/* ---- registries ---- */

static void regcfg_free(sf_regcfg *r) { sf_opt_free(r, R_OPTS, NR); }

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
    if (!r->platforms.n)
        for (size_t i = 0; i < g->platforms.n; i++)
            if (list_add(&r->platforms, g->platforms.v[i], strlen(g->platforms.v[i])))
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
    return apply_defaults(*out, R_OPTS, NR, err);
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
        int rc = check_keys(e, R_OPTS, NR, NULL, src, err);
        if (!rc)
            rc = add_reg(c, &r, err);
        if (!rc)
            rc = apply_table_json(r, R_OPTS, NR, e, src, err);
        if (!rc && json_is_array(json_object_get(e, "repositories")) &&
            !json_object_get(e, "catalog"))
            r->catalog = 0; /* explicit list and no word about the catalog */
        if (rc)
            return rc;
    }
    return SF_OK;
}

/* "kafka" is the brokers as text, or a map of librdkafka properties
 * (bootstrap.servers among them): the map goes to kprops and leaves doc. */
static int load_kafka_map(sf_coordcfg *c, json_t *doc, const char *src, sf_error *err)
{
    json_t *k = json_object_get(doc, "kafka");
    if (!json_is_object(k))
        return SF_OK;
    int rc = sf_kprops_json(&c->kprops, k, src, err);
    json_t *bs = json_object_get(k, "bootstrap.servers");
    if (rc == SF_OK && json_is_string(bs)) {
        free(c->kafka);
        if (!(c->kafka = sf_strdup(json_string_value(bs))))
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    json_object_del(doc, "kafka");
    return rc;
}

static int load_doc(sf_coordcfg *c, json_t *doc, const char *src, sf_error *err)
{
    if (!json_is_object(doc))
        return sf_error_set(err, SF_ECONFIG, "%s: top level must be an object", src);
    if (sf_cfgalias_doc(doc) != 0)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = load_kafka_map(c, doc, src, err);
    if (!rc)
        rc = check_keys(doc, G_OPTS, NG, "registries", src, err);
    if (!rc)
        rc = apply_table_json(c, G_OPTS, NG, doc, src, err);
    if (!rc)
        rc = load_registries(c, json_object_get(doc, "registries"), err);
    return rc;
}

/* JSON when the text starts with '{' (after blanks), YAML otherwise. */
static int parse_text(const char *text, size_t len, json_t **doc, sf_error *err)
{
    json_error_t je;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i < len && text[i] == '{') {
        *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (!*doc)
            return sf_error_set(err, SF_ECONFIG, "config:%d: %s", je.line, je.text);
        return SF_OK;
    }
    int rc = sf_yaml_to_json(text, len, doc, err);
    return rc == SF_EUNSUPPORTED ? SF_ECONFIG : rc;
}

/* Config files are small; 4 MiB is far past any real one. */
#define CONFIG_MAX_BYTES (4u << 20)

static int read_doc(const char *path, json_t **doc, sf_error *err)
{
    sf_buf b;
    char chunk[8192];
    int rc = SF_OK;
    *doc = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "config %s: cannot open", path);
    sf_buf_init(&b, CONFIG_MAX_BYTES);
    for (size_t n; !rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0;)
        rc = sf_buf_append(&b, chunk, n);
    fclose(f);
    if (rc)
        rc = sf_error_set(err, SF_ECONFIG, "config %s: unreadable or too large", path);
    if (!rc)
        rc = parse_text(b.data ? b.data : "", b.len, doc, err);
    sf_buf_free(&b);
    return rc;
}

static int load_file(sf_coordcfg *c, const char *path, sf_error *err)
{
    json_t *doc = NULL;
    int rc = read_doc(path, &doc, err);
    if (!rc)
        rc = load_doc(c, doc, "config", err);
    json_decref(doc);
    return rc;
}

static int validate(sf_coordcfg *c, sf_error *err)
{
    static const char *prog[] = {"auto", "always", "never"};
    int ok = 0;
    for (int i = 0; i < 3; i++)
        ok |= c->progress && strcmp(c->progress, prog[i]) == 0;
    if (!ok)
        return sf_error_set(err, SF_ECONFIG, "progress must be auto, always or never");
    if (!c->kafka || !*c->kafka)
        return sf_error_set(err, SF_ECONFIG, "kafka brokers not set");
    if (!c->topic || !*c->topic)
        return sf_error_set(err, SF_ECONFIG, "topic not set");
    if (!c->results_topic || !*c->results_topic)
        return sf_error_set(err, SF_ECONFIG, "results_topic not set");
    int krc = sf_kprops_check(&c->kprops, err);
    if (krc)
        return krc;
    if (!c->key_prefix || sf_keys_check_prefix(c->key_prefix, NULL) != SF_OK)
        return sf_error_set(err, SF_ECONFIG,
                            "key_prefix must be 1..64 characters of [A-Za-z0-9_.:-]");
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
        sf_regcfg *r = &c->regs[i];
        if (i < c->nregs - c->registries.n && reg_inherit(r, c, 0))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
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
    }
    return SF_OK;
}

/* ---- command line ---- */

static const sf_opt *find_flag(const sf_opt *t, size_t nt, const char *arg, const char **val)
{
    char name[64];
    *val = NULL;
    if (strncmp(arg, "--", 2) != 0)
        return NULL;
    arg += 2;
    size_t n = strcspn(arg, "=");
    if (n >= sizeof name)
        return NULL;
    for (size_t i = 0; i < n; i++)
        name[i] = arg[i] == '-' ? '_' : arg[i];
    name[n] = '\0';
    if (arg[n] == '=')
        *val = arg + n + 1;
    const char *canon = sf_cfgalias_name(name);
    for (size_t i = 0; i < nt; i++)
        if (strcmp(t[i].name, canon) == 0)
            return &t[i];
    return NULL;
}

/* kprops: where --kafka-* flags go (NULL: a program without Kafka). */
static int parse_argv(void *c, const sf_opt *t, size_t nt, sf_kprops *kprops, int argc,
                      char **argv, int pass, int *action, sf_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *action = 1;
            continue;
        }
        if (strcmp(a, "--print-config") == 0) {
            *action = *action ? *action : 2;
            continue;
        }
        if (strcmp(a, "--version") == 0) {
            *action = 3;
            continue;
        }
        int kp = kprops ? sf_kprops_flag(kprops, argc, argv, &i, pass == 1, err) : 0;
        if (kp < 0)
            return kp;
        if (kp)
            continue;
        const sf_opt *o = find_flag(t, nt, a, &v);
        if (!o || o->secret)
            return sf_error_set(err, SF_ECONFIG, "unknown option %.64s (see --help)", a);
        if (!v && o->type == OT_BOOL) {
            v = "true";
        } else if (!v) {
            if (i + 1 >= argc)
                return sf_error_set(err, SF_ECONFIG, "option %.64s needs a value", a);
            v = argv[++i];
        }
        /* Pass 0 only picks up --config so the file loads before flags. */
        if ((pass == 0) != (strcmp(o->name, "config") == 0))
            continue;
        int rc = set_text(c, o, v, 1, "option", err);
        if (rc)
            return rc;
    }
    return SF_OK;
}

extern char **environ;

static int apply_env(void *c, const sf_opt *t, size_t nt, int only_config, sf_error *err)
{
    for (size_t i = 0; i < nt; i++) {
        const sf_opt *o = &t[i];
        if (!o->env || (only_config != (strcmp(o->name, "config") == 0)))
            continue;
        const char *v = getenv(o->env);
        const char *old = (!v || !*v) ? sf_cfgalias_old_env(o->name) : NULL;
        if (old)
            v = getenv(old);
        if (v && *v) {
            int rc = set_text(c, o, v, 0, o->env, err);
            if (rc)
                return rc;
        }
    }
    return SF_OK;
}

int sf_coordcfg_load(sf_coordcfg *c, int argc, char **argv, int *action, sf_error *err)
{
    memset(c, 0, sizeof *c);
    *action = 0;
    int rc = apply_defaults(c, G_OPTS, NG, err);
    /* The config file's path first (env, then flag), then the layers. */
    if (!rc)
        rc = apply_env(c, G_OPTS, NG, 1, err);
    if (!rc)
        rc = parse_argv(c, G_OPTS, NG, &c->kprops, argc, argv, 0, action, err);
    if (!rc && c->config && *action != 1)
        rc = load_file(c, c->config, err);
    if (!rc)
        rc = apply_env(c, G_OPTS, NG, 0, err);
    if (!rc)
        rc = sf_kprops_env(&c->kprops, environ, err);
    if (!rc)
        rc = parse_argv(c, G_OPTS, NG, &c->kprops, argc, argv, 1, action, err);
    if (!rc && *action != 1)
        rc = validate(c, err);
    return rc;
}

int sf_coordcfg_load_text(sf_coordcfg *c, const char *text, size_t len, sf_error *err)
{
    json_t *doc = NULL;
    memset(c, 0, sizeof *c);
    int rc = apply_defaults(c, G_OPTS, NG, err);
    if (rc)
        return rc;
    rc = parse_text(text, len, &doc, err);
    if (rc)
        return rc;
    rc = load_doc(c, doc, "config", err);
    json_decref(doc);
    if (!rc)
        rc = validate(c, err);
    return rc;
}

void sf_coordcfg_free(sf_coordcfg *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nregs; i++)
        regcfg_free(&c->regs[i]);
    free(c->regs);
    sf_kprops_clear(&c->kprops);
    sf_opt_free(c, G_OPTS, NG);
    memset(c, 0, sizeof *c);
}

/* ---- output ---- */

static json_t *opt_json(const void *base, const sf_opt *o)
{
    const char *p = (const char *)base + o->off;
    switch (o->type) {
    case OT_STR: {
        const char *s = *(char *const *)p;
        if (!s)
            return json_null();
        return json_string(o->secret ? "***" : s);
    }
    case OT_INT:
    case OT_BOOL:
        return o->type == OT_BOOL ? json_boolean(*(const int *)p) : json_integer(*(const int *)p);
    case OT_LONG:
    case OT_DURATION:
        return json_integer(*(const long *)p);
    case OT_DOUBLE:
        return json_real(*(const double *)p);
    case OT_LIST: {
        const sf_strlist *l = (const sf_strlist *)p;
        json_t *a = json_array();
        for (size_t i = 0; i < l->n; i++) {
            char shown[512];
            sf_kvaddr_redact(l->v[i], shown, sizeof shown); /* redis://u:pass@ URLs */
            json_array_append_new(a, json_string(o->secret ? "***" : shown));
        }
        return a;
    }
    }
    return json_null();
}

static void put_path(json_t *obj, const char *name, json_t *v)
{
    const char *dot = strchr(name, '.');
    if (!dot) {
        json_object_set_new(obj, name, v);
        return;
    }
    char part[64];
    size_t n = (size_t)(dot - name) < sizeof part ? (size_t)(dot - name) : sizeof part - 1;
    memcpy(part, name, n);
    part[n] = '\0';
    json_t *sub = json_object_get(obj, part);
    if (!sub) {
        sub = json_object();
        json_object_set_new(obj, part, sub);
    }
    put_path(sub, dot + 1, v);
}

char *sf_coordcfg_dump(const sf_coordcfg *c)
{
    json_t *o = json_object(), *regs = json_array();
    for (size_t i = 0; i < NG; i++)
        if (strcmp(G_OPTS[i].name, "registry") != 0)
            put_path(o, G_OPTS[i].name, opt_json(c, &G_OPTS[i]));
    for (size_t r = 0; r < c->nregs; r++) {
        json_t *ro = json_object();
        for (size_t i = 0; i < NR; i++)
            put_path(ro, R_OPTS[i].name, opt_json(&c->regs[r], &R_OPTS[i]));
        json_array_append_new(regs, ro);
    }
    json_object_set_new(o, "registries", regs);
    json_object_set_new(o, "kafka_props", sf_kprops_dump_json(&c->kprops));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static const char *type_name(opt_type t)
{
    static const char *n[] = {"STR", "N", "N", "NUM", "", "DURATION", "LIST"};
    return n[t];
}

void sf_coordcfg_help(void *file)
{
    FILE *f = file;
    fprintf(f, "usage: scanfarm-coordinator [options]\n"
               "Enumerate OCI registries and publish one scan job per manifest digest.\n\n"
               "  --help                 this text\n"
               "  --version              print the version\n"
               "  --print-config         print the effective configuration (secrets redacted)\n");
    sf_opt_help(f, G_OPTS, NG);
    sf_buf kb;
    sf_buf_init(&kb, 1u << 16);
    if (sf_kconf_help(&kb) == SF_OK && kb.data)
        fwrite(kb.data, 1, kb.len, f);
    sf_buf_free(&kb);
    fprintf(f, "\nConfig file (JSON): the options above as keys (with '_'), \"kafka\" as\n"
               "  the brokers or a map of librdkafka properties, plus\n"
               "  \"registries\": [{");
    for (size_t i = 0; i < NR; i++)
        fprintf(f, "%s\"%s\"", i ? ", " : "", R_OPTS[i].name);
    fprintf(f, "}]\n");
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

static void md_default(sf_buf *b, const sf_opt *o)
{
    sf_buf_puts(b, o->def ? o->def : "");
}

char *sf_coordcfg_markdown(void)
{
    sf_buf b;
    sf_buf_init(&b, 1u << 20);
    sf_opt_markdown(&b, G_OPTS, NG);
    sf_kconf_markdown(&b);
    sf_buf_puts(&b, "\nPer registry (config file only, inside `\"registries\": [...]`; unset "
                    "numbers and `insecure` inherit the global value):\n\n"
                    "| key | type | default | description |\n|---|---|---|---|\n");
    sf_opt_markdown_keys(&b, R_OPTS, NR);
    return sf_buf_steal(&b, NULL);
}

/* ---- the engine for other programs (opttab.h) ---- */

int sf_opt_defaults(void *base, const sf_opt *t, size_t n, sf_error *err)
{
    return apply_defaults(base, t, n, err);
}

int sf_opt_apply_doc(void *base, const sf_opt *t, size_t n, json_t *obj, const char *extra,
                     const char *src, sf_error *err)
{
    if (!json_is_object(obj))
        return sf_error_set(err, SF_ECONFIG, "%s: top level must be an object", src);
    int rc = check_keys(obj, t, n, extra, src, err);
    return rc ? rc : apply_table_json(base, t, n, obj, src, err);
}

int sf_opt_read_file(const char *path, json_t **doc, sf_error *err)
{
    return read_doc(path, doc, err);
}

int sf_opt_env(void *base, const sf_opt *t, size_t n, int only_config, sf_error *err)
{
    return apply_env(base, t, n, only_config, err);
}

int sf_opt_argv(void *base, const sf_opt *t, size_t n, int argc, char **argv, int pass,
                int *action, sf_error *err)
{
    return parse_argv(base, t, n, NULL, argc, argv, pass, action, err);
}

void sf_opt_dump(json_t *obj, const void *base, const sf_opt *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put_path(obj, t[i].name, opt_json(base, &t[i]));
}

void sf_opt_free(void *base, const sf_opt *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *p = (char *)base + t[i].off;
        if (t[i].type == OT_STR) {
            char *s = *(char **)p;
            if (s && t[i].secret)
                explicit_bzero(s, strlen(s));
            free(s);
            *(char **)p = NULL;
        } else if (t[i].type == OT_LIST) {
            list_free((sf_strlist *)p);
        }
    }
}

/* The command-line flag of o: its name with '_' -> '-'. */
static void flag_of(const sf_opt *o, char *flag, size_t cap)
{
    size_t k = 0;
    for (; o->name[k] && k + 1 < cap; k++)
        flag[k] = o->name[k] == '_' ? '-' : o->name[k];
    flag[k] = '\0';
}

void sf_opt_help(FILE *f, const sf_opt *t, size_t nt)
{
    for (size_t i = 0; i < nt; i++) {
        const sf_opt *o = &t[i];
        char flag[64];
        flag_of(o, flag, sizeof flag);
        if (o->secret) {
            fprintf(f, "  (env %s only)\n      %s\n", o->env, o->help);
            continue;
        }
        fprintf(f, "  --%s %s\n      %s", flag, type_name(o->type), o->help);
        if (o->env && o->def)
            fprintf(f, " (env %s; default %s)\n", o->env, o->def);
        else if (o->env)
            fprintf(f, " (env %s)\n", o->env);
        else
            fprintf(f, "\n");
    }
}

void sf_opt_markdown(sf_buf *b, const sf_opt *t, size_t nt)
{
    sf_buf_puts(b, "| option | environment | type | default | description |\n"
                    "|---|---|---|---|---|\n");
    for (size_t i = 0; i < nt; i++) {
        const sf_opt *o = &t[i];
        char flag[64];
        flag_of(o, flag, sizeof flag);
        if (o->secret)
            sf_buf_printf(b, "| (no flag; secret) `%s` | %s | %s | ", o->name,
                          o->env ? o->env : "", type_name(o->type));
        else
            sf_buf_printf(b, "| `--%s` | %s | %s | ", flag, o->env ? o->env : "",
                          type_name(o->type)[0] ? type_name(o->type) : "BOOL");
        md_default(b, o);
        sf_buf_printf(b, " | %s |\n", o->help);
    }
}

void sf_opt_markdown_keys(sf_buf *b, const sf_opt *t, size_t nt)
{
    for (size_t i = 0; i < nt; i++) {
        const sf_opt *o = &t[i];
        sf_buf_printf(b, "| `%s`%s | %s | ", o->name, o->secret ? " (secret)" : "",
                      type_name(o->type)[0] ? type_name(o->type) : "BOOL");
        md_default(b, o);
        sf_buf_printf(b, " | %s |\n", o->help);
    }
}
