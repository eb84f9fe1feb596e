/*
 * notify_cfg: scanfarm-notify's option table and what is generated from
 * it (see notify_cfg.h).
 */
#include "notify_cfg.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/opt.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define O(f) offsetof(sf_notifycfg, f)
static const sf_opt OPTS[] = {
    {"config", SF_OT_STR, O(config), NULL, "SCANFARM_NOTIFY_CONFIG", 0, 0, 0,
     "policy file: sinks and rules (JSON or YAML, see docs/notifications.md); required"},
    {"kafka", SF_OT_STR, O(kafka), "127.0.0.1:9092", "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers"},
    {"topic", SF_OT_STR, O(topic), "scanfarm.findings", NULL, 0, 0, 0,
     "topic of scanfarm.findings/v1 deltas consumed"},
    {"results_topic", SF_OT_STR, O(results_topic), "scanfarm.results", NULL, 0, 0, 0,
     "topic of scanfarm.result/v1 results: a digest's first result is notified like a delta "
     "adding its findings (its own group, <group>.results, from the topic's end; empty: off)"},
    {"group", SF_OT_STR, O(group), "scanfarm-notify", NULL, 0, 0, 0, "Kafka consumer group"},
    {"dlq_topic", SF_OT_STR, O(dlq_topic), "scanfarm.notify.dlq", NULL, 0, 0, 0,
     "topic receiving notifications that could not be delivered, with the reason"},
    {"redis", SF_OT_STR, O(redis), "", "SCANFARM_REDIS", 0, 0, 0,
     "Redis host:port holding the dedup keys (empty: no dedup; only for --dry-run)"},
    {"key_prefix", SF_OT_STR, O(key_prefix), "scanfarm", "SCANFARM_KEY_PREFIX", 0, 0, 0,
     "prefix of every Redis key"},
    {"from", SF_OT_STR, O(from), NULL, NULL, 0, 0, 0,
     "read deltas (one JSON document a line) from this file instead of Kafka"},
    {"max_retries", SF_OT_LONG, O(max_retries), "6", NULL, 0, 0, 100,
     "retries of one request on 429, 5xx, timeouts and connection failures"},
    {"backoff_base_ms", SF_OT_LONG, O(backoff_base_ms), "500", NULL, 0, 1, 600000,
     "first retry delay (doubling, with jitter)"},
    {"backoff_max_ms", SF_OT_LONG, O(backoff_max_ms), "30000", NULL, 0, 1, 3600000,
     "cap of one retry delay, a Retry-After included"},
    {"timeout_ms", SF_OT_LONG, O(timeout_ms), "10000", NULL, 0, 100, 600000,
     "connect and stall timeout of one request"},
    {"dedup_ttl_s", SF_OT_LONG, O(dedup_ttl_s), "2592000", NULL, 0, 60, 315360000,
     "how long a delivered notification is remembered (dedup of redeliveries)"},
    {"session_timeout_ms", SF_OT_LONG, O(session_timeout_ms), "30000", NULL, 0, 6000, 300000,
     "Kafka group session timeout: how soon a crashed notifier's messages move on"},
    {"exit_idle_ms", SF_OT_LONG, O(exit_idle_ms), "0", NULL, 0, 0, 86400000,
     "exit after this long without a message (0: run until SIGTERM); before the first "
     "message the session timeout + 3 s are added for the group join"},
    {"metrics_port", SF_OT_LONG, O(metrics_port), "0", NULL, 0, 0, 65535,
     "serve Prometheus /metrics and /healthz on this port (0: off)"},
    {"log_level", SF_OT_STR, O(log_level), "info", "SCANFARM_LOG_LEVEL", 0, 0, 0,
     "debug, info, warn or error"},
    {"dry_run", SF_OT_BOOL, O(dry_run), "false", NULL, 0, 0, 0,
     "print what would be sent instead of sending (no Redis, no DLQ topic)"},
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

static int validate(void *base, sf_error *err)
{
    sf_notifycfg *c = base;
    if (c->backoff_base_ms > c->backoff_max_ms)
        return sf_error_set(err, SF_ECONFIG, "--backoff-base-ms is above --backoff-max-ms");
    return SF_OK;
}

static const sf_opt_group GROUPS[] = {
    {NULL, OPTS, NOPTS, 0},
    {SF_FLEET_CONN_SEC_TITLE, SF_FLEET_CONN_SEC_OPTS, SF_FLEET_CONN_SEC_NOPTS, O(r)},
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS, O(kprops)},
};

static const sf_opt_spec SPEC = {
    .prog = "scanfarm-notify",
    .usage = "--config POLICY [options]",
    .summary = "Consumes scanfarm.findings/v1 deltas and notifies webhooks, Slack and GitHub\n"
               "issues as the policy's rules say (docs/notifications.md).",
    .doc_intro = "The sinks and rules are in the policy file named by `--config`, described in\n"
                 "[notifications.md](notifications.md).",
    .groups = GROUPS,
    .ngroups = sizeof GROUPS / sizeof GROUPS[0],
    .max_args = 0,
    .on_validate = validate,
};

const sf_opt_spec *sf_notifycfg_spec(void)
{
    return &SPEC;
}

int sf_notifycfg_load(sf_notifycfg *c, int argc, char **argv, int *action, sf_error *err)
{
    static const int act[] = {[SF_OPT_RUN] = 0, [SF_OPT_HELP] = 1, [SF_OPT_PRINT_CONFIG] = 2,
                              [SF_OPT_PRINT_DOCS] = 3, [SF_OPT_VERSION] = 4};
    sf_opt_cmd cmd;
    memset(c, 0, sizeof *c);
    int rc = sf_opt_load(&SPEC, c, argc, argv, &cmd, err);
    *action = act[cmd.action];
    if (rc == SF_OK && *action == 0 && !c->config)
        rc = sf_error_set(err, SF_ECONFIG, "--config (the policy file) is required");
    if (rc != SF_OK)
        sf_notifycfg_free(c);
    return rc;
}

void sf_notifycfg_free(sf_notifycfg *c)
{
    sf_kprops_clear(&c->kprops);
    sf_opt_free(&SPEC, c);
    memset(c, 0, sizeof *c);
}

void sf_notifycfg_act(const sf_notifycfg *c, int action, FILE *out)
{
    static const sf_opt_action act[] = {SF_OPT_RUN, SF_OPT_HELP, SF_OPT_PRINT_CONFIG,
                                        SF_OPT_PRINT_DOCS, SF_OPT_VERSION};
    sf_opt_cmd cmd = {.action = action >= 0 && action <= 4 ? act[action] : SF_OPT_HELP};
    sf_opt_act(&SPEC, c, &cmd, out);
}

void sf_notifycfg_help(FILE *f)
{
    sf_opt_help(&SPEC, f);
}

char *sf_notifycfg_dump(const sf_notifycfg *c)
{
    return sf_opt_dump_text(&SPEC, c);
}

char *sf_notifycfg_markdown(void)
{
    return sf_opt_markdown(&SPEC);
}
