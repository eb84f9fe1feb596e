/*
 * admission_cfg: see admission_cfg.h. A_OPTS is the single source of
 * truth for parsing, --help, --print-config and docs/admission-config.md.
 */
#include "admission_cfg.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/yaml2json.h"
#include "cache/keys.h"
#include "fleet/agg_view.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define A(f) offsetof(sf_admcfg, f)

static const sf_opt A_OPTS[] = {
    {"config", SF_OT_STR, A(config), NULL, "SCANFARM_CONFIG", 0, 0, 0,
     "configuration file (JSON, or YAML when built with libyaml)"},
    {"listen", SF_OT_STR, A(listen), "0.0.0.0:8443", "SCANFARM_ADMISSION_LISTEN", 0, 0, 0,
     "host:port of the HTTPS listener (POST /v1/admission, GET /healthz, GET /metrics)"},
    {"tls_cert", SF_OT_STR, A(tls_cert), NULL, "SCANFARM_ADMISSION_TLS_CERT", 0, 0, 0,
     "PEM certificate chain of the listener (required; reloaded when the file changes)"},
    {"tls_key", SF_OT_STR, A(tls_key), NULL, "SCANFARM_ADMISSION_TLS_KEY", 0, 0, 0,
     "PEM private key of the listener (required; reloaded with the certificate)"},
    {"redis", SF_OT_LIST, A(redis), NULL, "SCANFARM_REDIS", 0, 0, 0,
     "Redis node host:port of the fleet view (required)"},
    {"key_prefix", SF_OT_STR, A(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key (the same as the aggregator's)"},
    {"kafka", SF_OT_STR, A(kafka), "127.0.0.1:9092", "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers (allow-and-scan jobs)"},
    {"jobs_topic", SF_OT_STR, A(jobs_topic), "scanfarm.jobs.priority", "SCANFARM_JOBS_TOPIC", 0, 0,
     0, "topic of the scan jobs allow-and-scan queues"},
    {"severity", SF_OT_STR, A(severity), "CRITICAL", "SCANFARM_ADMISSION_SEVERITY", 0, 0, 0,
     "deny images with findings of this severity or worse (CRITICAL, HIGH, MEDIUM, LOW)"},
    {"fixable", SF_OT_BOOL, A(fixable), "true", "SCANFARM_ADMISSION_FIXABLE", 0, 0, 0,
     "only findings with a fixed version deny"},
    {"unscanned", SF_OT_STR, A(unscanned), "allow-and-scan", "SCANFARM_ADMISSION_UNSCANNED", 0, 0,
     0, "images without a result: allow, deny, or allow-and-scan (admit and queue a scan)"},
    {"audit", SF_OT_BOOL, A(audit), "false", "SCANFARM_ADMISSION_AUDIT", 0, 0, 0,
     "audit only: admit everything, with warnings where it would deny"},
    {"exempt_namespaces", SF_OT_LIST, A(exempt_namespaces), NULL,
     "SCANFARM_ADMISSION_EXEMPT_NAMESPACES", 0, 0, 0,
     "namespaces (globs) admitted without a check (repeatable or comma-separated; the "
     "webhook's namespaceSelector should also leave them out)"},
    {"budget_ms", SF_OT_LONG, A(budget_ms), "200", "SCANFARM_ADMISSION_BUDGET_MS", 0, 20, 9000,
     "time one review may take: Redis timeout and registry deadline"},
    {"tag_cache_ttl", SF_OT_DURATION, A(tag_cache_ttl_s), "30s", "SCANFARM_ADMISSION_TAG_CACHE_TTL",
     0, 0, 3600, "how long a tag's resolved digest is reused (0 = every review asks)"},
    {"resolve_tags", SF_OT_BOOL, A(resolve_tags), "true", "SCANFARM_ADMISSION_RESOLVE_TAGS", 0, 0, 0,
     "resolve tags with their registry (false: only the fleet view's ref map)"},
    {"insecure_registries", SF_OT_LIST, A(insecure_registries), NULL,
     "SCANFARM_ADMISSION_INSECURE_REGISTRIES", 0, 0, 0,
     "registries (host[:port] globs) spoken to over plain HTTP"},
    {"docker_config", SF_OT_STR, A(docker_config), NULL, "SCANFARM_DOCKER_CONFIG", 0, 0, 0,
     "Docker config.json with registry credentials"},
    {"registry_ca_file", SF_OT_STR, A(registry_ca_file), NULL, "SCANFARM_REGISTRY_CA_FILE", 0, 0, 0,
     "PEM bundle of CAs trusted for registries instead of the system's"},
    {"log_level", SF_OT_STR, A(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn, error"},
};
#define NA (sizeof A_OPTS / sizeof A_OPTS[0])

static int validate(void *base, sf_error *err)
{
    sf_admcfg *c = base;
    static const char *const sevs[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW"};
    c->min_sev = -1;
    for (int i = 0; i < 4; i++)
        if (c->severity && !strcmp(c->severity, sevs[i]))
            c->min_sev = sf_agg_sev_parse(sevs[i]);
    if (c->min_sev < 0)
        return sf_error_set(err, SF_ECONFIG, "severity: CRITICAL, HIGH, MEDIUM or LOW");
    if (!strcmp(c->unscanned, "allow"))
        c->unscanned_policy = SF_ADM_UNSCANNED_ALLOW;
    else if (!strcmp(c->unscanned, "deny"))
        c->unscanned_policy = SF_ADM_UNSCANNED_DENY;
    else if (!strcmp(c->unscanned, "allow-and-scan"))
        c->unscanned_policy = SF_ADM_UNSCANNED_SCAN;
    else
        return sf_error_set(err, SF_ECONFIG, "unscanned: allow, deny or allow-and-scan");
    if (!c->redis.n)
        return sf_error_set(err, SF_ECONFIG, "redis not set (the fleet view lives there)");
    if (!c->key_prefix || sf_keys_check_prefix(c->key_prefix, NULL) != SF_OK)
        return sf_error_set(err, SF_ECONFIG,
                            "key_prefix must be 1..64 characters of [A-Za-z0-9_.:-]");
    if (!c->tls_cert || !c->tls_key)
        return sf_error_set(err, SF_ECONFIG, "tls_cert and tls_key are required: the API "
                                             "server calls webhooks over HTTPS only");
    return SF_OK;
}

static int parse_text(const char *text, size_t len, json_t **doc, sf_error *err)
{
    int rc = sf_yaml_to_json(text, len, doc, err);
    return rc == SF_EUNSUPPORTED ? SF_ECONFIG : rc;
}

static const sf_opt_group GROUPS[] = {
    {NULL, A_OPTS, NA, 0},
    {SF_FLEET_CONN_SEC_TITLE, SF_FLEET_CONN_SEC_OPTS, SF_FLEET_CONN_SEC_NOPTS, A(r)},
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS, A(kprops)},
};

static const sf_opt_spec SPEC = {
    .prog = "scanfarm-admission",
    .usage = "--tls-cert FILE --tls-key FILE --redis HOST:PORT [options]",
    .summary = "Kubernetes validating admission webhook: admit or deny pods by the fleet\n"
               "view's findings of their images (docs/admission.md).",
    .doc_intro = "`scanfarm-admission` is the Kubernetes validating admission webhook of\n"
                 "[admission.md](admission.md).",
    .groups = GROUPS,
    .ngroups = sizeof GROUPS / sizeof GROUPS[0],
    .file_key = "config",
    .max_args = 0,
    .parse = parse_text,
    .on_validate = validate,
};

const sf_opt_spec *sf_admcfg_spec(void) { return &SPEC; }

int sf_admcfg_load(sf_admcfg *c, int argc, char **argv, sf_opt_cmd *cmd, sf_error *err)
{
    memset(c, 0, sizeof *c);
    return sf_opt_load(&SPEC, c, argc, argv, cmd, err);
}

void sf_admcfg_free(sf_admcfg *c)
{
    if (!c)
        return;
    sf_kprops_clear(&c->kprops);
    sf_opt_free(&SPEC, c);
    memset(c, 0, sizeof *c);
}

char *sf_admcfg_markdown(void) { return sf_opt_markdown(&SPEC); }
