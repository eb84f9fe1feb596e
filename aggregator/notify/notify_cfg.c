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

typedef enum { OPT_STR, OPT_LONG, OPT_BOOL } opt_type;

typedef struct opt {
    const char *name; /* long option without "--" */
    opt_type type;
    size_t off;
    const char *def;  /* default as text (NULL = unset) */
    long min, max;    /* OPT_LONG range */
    const char *env;  /* environment variable or NULL */
    const char *help;
} opt;

#define O(f) offsetof(sf_notifycfg, f)
static const opt OPTS[] = {
    {"config", OPT_STR, O(config), NULL, 0, 0, "SCANFARM_NOTIFY_CONFIG",
     "policy file: sinks and rules (JSON or YAML, see docs/notifications.md); required"},
    {"kafka", OPT_STR, O(kafka), "127.0.0.1:9092", 0, 0, "SCANFARM_KAFKA",
     "Kafka bootstrap servers"},
    {"topic", OPT_STR, O(topic), "scanfarm.findings", 0, 0, NULL,
     "topic of scanfarm.findings/v1 deltas consumed"},
    {"group", OPT_STR, O(group), "scanfarm-notify", 0, 0, NULL, "Kafka consumer group"},
    {"dlq-topic", OPT_STR, O(dlq_topic), "scanfarm.notify.dlq", 0, 0, NULL,
     "topic receiving notifications that could not be delivered, with the reason"},
    {"redis", OPT_STR, O(redis), "", 0, 0, "SCANFARM_REDIS",
     "Redis host:port holding the dedup keys (empty: no dedup; only for --dry-run)"},
    {"key-prefix", OPT_STR, O(key_prefix), "scanfarm", 0, 0, "SCANFARM_KEY_PREFIX",
     "prefix of every Redis key"},
    {"from", OPT_STR, O(from), NULL, 0, 0, NULL,
     "read deltas (one JSON document a line) from this file instead of Kafka"},
    {"max-retries", OPT_LONG, O(max_retries), "6", 0, 100, NULL,
     "retries of one request on 429, 5xx, timeouts and connection failures"},
    {"backoff-base-ms", OPT_LONG, O(backoff_base_ms), "500", 1, 600000, NULL,
     "first retry delay (doubling, with jitter)"},
    {"backoff-max-ms", OPT_LONG, O(backoff_max_ms), "30000", 1, 3600000, NULL,
     "cap of one retry delay, a Retry-After included"},
    {"timeout-ms", OPT_LONG, O(timeout_ms), "10000", 100, 600000, NULL,
     "connect and stall timeout of one request"},
    {"dedup-ttl-s", OPT_LONG, O(dedup_ttl_s), "2592000", 60, 315360000, NULL,
     "how long a delivered notification is remembered (dedup of redeliveries)"},
    {"session-timeout-ms", OPT_LONG, O(session_timeout_ms), "30000", 6000, 300000, NULL,
     "Kafka group session timeout: how soon a crashed notifier's messages move on"},
    {"exit-idle-ms", OPT_LONG, O(exit_idle_ms), "0", 0, 86400000, NULL,
     "exit after this long without a message (0: run until SIGTERM); before the first "
     "message the session timeout + 3 s are added for the group join"},
    {"metrics-port", OPT_LONG, O(metrics_port), "0", 0, 65535, NULL,
     "serve Prometheus /metrics on this port (0: off)"},
    {"log-level", OPT_STR, O(log_level), "info", 0, 0, "SCANFARM_LOG_LEVEL",
     "debug, info, warn or error"},
    {"dry-run", OPT_BOOL, O(dry_run), "false", 0, 0, NULL,
     "print what would be sent instead of sending (no Redis, no DLQ topic)"},
};
#define NOPTS (sizeof OPTS / sizeof OPTS[0])

static int set_opt(sf_notifycfg *c, const opt *o, const char *v, const char *from,
                   sf_error *err)
{
    char *p = (char *)c + o->off;
    if (o->type == OPT_STR) {
        char **s = (char **)p;
        free(*s);
        return (*s = sf_strdup(v)) ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    if (o->type == OPT_BOOL) {
        if (strcmp(v, "true") && strcmp(v, "false") && strcmp(v, "1") && strcmp(v, "0"))
            return sf_error_set(err, SF_ECONFIG, "%s %s: true or false", from, o->name);
        *(int *)p = v[0] == 't' || v[0] == '1';
        return SF_OK;
    }
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < o->min || x > o->max)
        return sf_error_set(err, SF_ECONFIG, "%s %s: an integer in [%ld, %ld]", from, o->name,
                            o->min, o->max);
    *(long *)p = x;
    return SF_OK;
}

static const opt *find(const char *name, size_t n)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (strlen(OPTS[i].name) == n && !strncmp(OPTS[i].name, name, n))
            return &OPTS[i];
    return NULL;
}

static int parse_argv(sf_notifycfg *c, int argc, char **argv, int *action, sf_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            *action = 1;
            continue;
        }
        if (!strcmp(a, "--print-config")) {
            *action = 2;
            continue;
        }
        if (!strcmp(a, "--print-docs")) {
            *action = 3;
            continue;
        }
        if (strncmp(a, "--", 2))
            return sf_error_set(err, SF_ECONFIG, "unexpected argument \"%.64s\"", a);
        const char *eq = strchr(a + 2, '=');
        const opt *o = find(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
        if (!o)
            return sf_error_set(err, SF_ECONFIG, "unknown option \"%.64s\"", a);
        const char *v = eq ? eq + 1 : NULL;
        if (!v && o->type == OPT_BOOL)
            v = "true";
        if (!v && (v = i + 1 < argc ? argv[++i] : NULL) == NULL)
            return sf_error_set(err, SF_ECONFIG, "--%s needs a value", o->name);
        int rc = set_opt(c, o, v, "option", err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_notifycfg_load(sf_notifycfg *c, int argc, char **argv, int *action, sf_error *err)
{
    int rc = SF_OK;
    memset(c, 0, sizeof *c);
    *action = 0;
    for (size_t i = 0; i < NOPTS && rc == SF_OK; i++) {
        const char *v = OPTS[i].env ? getenv(OPTS[i].env) : NULL;
        if (OPTS[i].def)
            rc = set_opt(c, &OPTS[i], OPTS[i].def, "default", err);
        if (rc == SF_OK && v && *v)
            rc = set_opt(c, &OPTS[i], v, OPTS[i].env, err);
    }
    if (rc == SF_OK)
        rc = parse_argv(c, argc, argv, action, err);
    if (rc == SF_OK && *action == 0 && !c->config)
        rc = sf_error_set(err, SF_ECONFIG, "--config (the policy file) is required");
    if (rc == SF_OK && c->backoff_base_ms > c->backoff_max_ms)
        rc = sf_error_set(err, SF_ECONFIG, "--backoff-base-ms is above --backoff-max-ms");
    if (rc != SF_OK)
        sf_notifycfg_free(c);
    return rc;
}

void sf_notifycfg_free(sf_notifycfg *c)
{
    for (size_t i = 0; i < NOPTS; i++)
        if (OPTS[i].type == OPT_STR)
            free(*(char **)((char *)c + OPTS[i].off));
    memset(c, 0, sizeof *c);
}

void sf_notifycfg_help(FILE *f)
{
    fputs("usage: scanfarm-notify --config POLICY [options]\n\n"
          "Consumes scanfarm.findings/v1 deltas and notifies webhooks, Slack and GitHub\n"
          "issues as the policy's rules say (docs/notifications.md).\n\n",
          f);
    for (size_t i = 0; i < NOPTS; i++) {
        const opt *o = &OPTS[i];
        fprintf(f, "  --%-18s %s", o->name, o->help);
        if (o->def && *o->def && o->type != OPT_BOOL)
            fprintf(f, " [%s]", o->def);
        if (o->env)
            fprintf(f, " (env %s)", o->env);
        fputc('\n', f);
    }
    fputs("  --help               this text\n  --print-config       the effective options as JSON\n"
          "  --print-docs         the option table as Markdown (docs/notify-config.md)\n",
          f);
}

char *sf_notifycfg_dump(const sf_notifycfg *c)
{
    json_t *o = json_object();
    for (size_t i = 0; i < NOPTS; i++) {
        const char *p = (const char *)c + OPTS[i].off;
        json_t *v = OPTS[i].type == OPT_STR    ? (*(char *const *)p ? json_string(*(char *const *)p)
                                                                    : json_null())
                    : OPTS[i].type == OPT_LONG ? json_integer(*(const long *)p)
                                               : json_boolean(*(const int *)p);
        json_object_set_new(o, OPTS[i].name, v);
    }
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

char *sf_notifycfg_markdown(void)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, "| option | environment | default | meaning |\n|---|---|---|---|\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const opt *o = &OPTS[i];
        sf_buf_printf(&b, "| `--%s` | %s%s%s | %s%s%s | %s |\n", o->name, o->env ? "`" : "",
                      o->env ? o->env : "-", o->env ? "`" : "", o->def && *o->def ? "`" : "",
                      o->def && *o->def ? o->def : "-", o->def && *o->def ? "`" : "", o->help);
    }
    return sf_buf_steal(&b, NULL);
}
