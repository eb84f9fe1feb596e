/*
 * cmd_report: `scanfarm report | query | status | aggregate` — the user's
 * view of the fleet and the aggregator process. All read the fleet view
 * the aggregator keeps in Redis (cli_opts.h: --redis, --key-prefix, Redis
 * AUTH); each command's options are a table on the option engine
 * (base/opt.h), documented in docs/cli-<command>-config.md.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "base/limits.h"
#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cache/keys.h"
#include "cache/kvaddr.h"
#include "bus/kconf.h"
#include "cli_opts.h"
#include "report.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define REDIS_GROUP(type) {SF_CLI_REDIS_TITLE, SF_CLI_REDIS_OPTS, SF_CLI_REDIS_NOPTS, offsetof(type, r)}

static int write_out(const char *path, const sf_buf *b, const char *cmd)
{
    FILE *f = path && strcmp(path, "-") != 0 ? fopen(path, "w") : stdout;
    if (!f) {
        fprintf(stderr, "scanfarm %s: cannot write %s\n", cmd, path);
        return SF_EXIT_ERROR;
    }
    size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    int bad = n != b->len;
    if (f != stdout)
        bad |= fclose(f) != 0;
    else
        bad |= fflush(f) != 0;
    if (bad) {
        fprintf(stderr, "scanfarm %s: write failed\n", cmd);
        return SF_EXIT_ERROR;
    }
    return SF_EXIT_OK;
}

typedef struct report_cfg {
    char *run, *format, *out;
    sf_cli_redis r;
} report_cfg;

static const sf_opt REPORT_OPTS[] = {
    {"run", SF_OT_STR, offsetof(report_cfg, run), NULL, NULL, 0, 0, 0,
     "run id (default: the latest run)", "ID"},
    {"format", SF_OT_STR, offsetof(report_cfg, format), "table", NULL, 0, 0, 0,
     "table, json, html or sarif", "FORMAT"},
    {"out", SF_OT_STR, offsetof(report_cfg, out), NULL, NULL, 0, 0, 0,
     "write the report to FILE (default stdout)", "FILE"},
};
static const sf_opt_group REPORT_GROUPS[] = {
    {NULL, REPORT_OPTS, sizeof REPORT_OPTS / sizeof REPORT_OPTS[0], 0},
    REDIS_GROUP(report_cfg),
};
static const sf_opt_spec REPORT_SPEC = {
    .prog = "scanfarm report",
    .summary = "Fleet summary from the aggregator's view: images, findings, what runs now.",
    .epilog = "exit codes: 0 ok, 1 no such run, 2 error, 64 usage",
    .groups = REPORT_GROUPS,
    .ngroups = 2,
};

const sf_opt_spec *sf_cmd_report_spec(void)
{
    return &REPORT_SPEC;
}

int sf_cmd_report(int argc, char **argv)
{
    report_cfg c;
    sf_opt_cmd cmd;
    int ex = SF_EXIT_OK;
    if (sf_cli_opts_load(&REPORT_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        sf_opt_free(&REPORT_SPEC, &c);
        return ex;
    }
    const char *format = c.format;
    int (*render)(const sf_report *, sf_buf *) =
        !strcmp(format, "table") ? sf_report_table : !strcmp(format, "json") ? sf_report_json
        : !strcmp(format, "html") ? sf_report_html : !strcmp(format, "sarif") ? sf_report_sarif
        : NULL;
    if (!render) {
        fprintf(stderr, "scanfarm report: --format table, json, html or sarif\n");
        sf_opt_free(&REPORT_SPEC, &c);
        return SF_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_report *r = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf b;
    sf_buf_init(&b, 0);
    if ((ex = sf_cli_redis_open(&c.r, &kv, "report")) != SF_EXIT_OK)
        goto done;
    if ((ex = sf_report_load(&r, kv, c.r.key_prefix, c.run, &e)) != SF_OK) {
        fprintf(stderr, "scanfarm report: %s\n", e.msg);
        ex = ex == SF_ENOTFOUND ? SF_EXIT_FINDINGS : SF_EXIT_ERROR;
        goto done;
    }
    if (render(r, &b) != SF_OK) {
        fprintf(stderr, "scanfarm report: out of memory\n");
        ex = SF_EXIT_ERROR;
        goto done;
    }
    ex = write_out(c.out, &b, "report");
done:
    sf_buf_free(&b);
    sf_report_free(r);
    sf_kv_free(kv);
    sf_opt_free(&REPORT_SPEC, &c);
    return ex;
}

typedef struct query_cfg {
    int json, fixable;
    char *severity, *ns;
    sf_cli_redis r;
} query_cfg;

static const sf_opt QUERY_OPTS[] = {
    {"json", SF_OT_BOOL, offsetof(query_cfg, json), "false", NULL, 0, 0, 0, "JSON output"},
    {"severity", SF_OT_STR, offsetof(query_cfg, severity), NULL, NULL, 0, 0, 0,
     "query running: only workloads with a finding at or above CRITICAL, HIGH, MEDIUM or LOW",
     "SEVERITY"},
    {"fixable", SF_OT_BOOL, offsetof(query_cfg, fixable), "false", NULL, 0, 0, 0,
     "query running: only findings with a fixed version"},
    {"namespace", SF_OT_STR, offsetof(query_cfg, ns), NULL, NULL, 0, 0, 0,
     "query running: only this namespace", "NS"},
};
static const sf_opt_group QUERY_GROUPS[] = {
    {NULL, QUERY_OPTS, sizeof QUERY_OPTS / sizeof QUERY_OPTS[0], 0},
    REDIS_GROUP(query_cfg),
};
static const sf_opt_spec QUERY_SPEC = {
    .prog = "scanfarm query",
    .usage = "cve <ID> | image <ref|digest> | package <name> | running [options]",
    .summary = "Ask the fleet view: which images carry a CVE, what one image carries, where a "
               "package is,\nwhich running workloads have findings.",
    .epilog = "exit codes: 0 found, 1 not found, 2 error, 64 usage",
    .groups = QUERY_GROUPS,
    .ngroups = 2,
    .max_args = 2,
};

const sf_opt_spec *sf_cmd_query_spec(void)
{
    return &QUERY_SPEC;
}

int sf_cmd_query(int argc, char **argv)
{
    query_cfg c;
    sf_opt_cmd cmd;
    sf_query_running_opts ro = {.min_sev = -1};
    int ex = SF_EXIT_OK, rc;
    if (sf_cli_opts_load(&QUERY_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        sf_opt_free(&QUERY_SPEC, &c);
        return ex;
    }
    int json = c.json;
    ro.fixable = c.fixable;
    ro.ns = c.ns;
    int is_running = cmd.nargs == 1 && !strcmp(cmd.args[0], "running");
    const char *what = cmd.nargs ? cmd.args[0] : "", *arg = cmd.nargs == 2 ? cmd.args[1] : "";
    if ((cmd.nargs != 2 && !is_running) ||
        (strcmp(what, "cve") && strcmp(what, "image") && strcmp(what, "package") && !is_running)) {
        sf_opt_usage(&QUERY_SPEC, stderr);
        sf_opt_free(&QUERY_SPEC, &c);
        return SF_EXIT_USAGE;
    }
    if (c.severity && (ro.min_sev = sf_agg_sev_parse(c.severity)) == SF_SEV_UNKNOWN &&
        strcasecmp(c.severity, "UNKNOWN") != 0) {
        fprintf(stderr, "scanfarm query: --severity: CRITICAL, HIGH, MEDIUM or LOW\n");
        sf_opt_free(&QUERY_SPEC, &c);
        return SF_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf b;
    sf_buf_init(&b, 0);
    const char *prefix = c.r.key_prefix;
    if ((ex = sf_cli_redis_open(&c.r, &kv, "query")) != SF_EXIT_OK)
        goto done;
    if (is_running)
        rc = sf_query_running(kv, prefix, &ro, json, &b, &e);
    else if (!strcmp(what, "cve"))
        rc = sf_query_cve(kv, prefix, arg, json, &b, &e);
    else if (!strcmp(what, "image"))
        rc = sf_query_image(kv, prefix, arg, &b, &e);
    else
        rc = sf_query_package(kv, prefix, arg, json, &b, &e);
    if (rc != SF_OK) {
        fprintf(stderr, "scanfarm query: %s\n", e.msg[0] ? e.msg : sf_err_name(rc));
        ex = rc == SF_ENOTFOUND ? SF_EXIT_FINDINGS : SF_EXIT_ERROR;
        goto done;
    }
    ex = write_out(NULL, &b, "query");
    if (ex == SF_EXIT_OK && !strcmp(what, "image")) { /* stdout stays the stored documents */
        sf_buf note;
        sf_buf_init(&note, 0);
        if (sf_query_image_running(kv, prefix, &b, &note, NULL) == SF_OK && note.len)
            fputs(note.data, stderr);
        sf_buf_free(&note);
    }
done:
    sf_buf_free(&b);
    sf_kv_free(kv);
    sf_opt_free(&QUERY_SPEC, &c);
    return ex;
}

/* "run R: done/total (pct) · N current · N failed (kinds) · X images/s ·
 * ETA Ys". */
static void status_line(char *out, size_t n, const char *run, const sf_agg_progress *p)
{
    /* A finished run's rate is over its own span; a live one's up to now,
     * so a stalled run shows a falling rate and a growing ETA. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    long long end = p->complete || p->published < 0 ? p->last_ms : now;
    double secs = end > p->first_ms ? (double)(end - p->first_ms) / 1000.0 : 0;
    double rate = secs > 0 ? (double)p->done / secs : 0;
    char total[32], eta[48], fails[600], cur[48] = "";
    if (p->published >= 0)
        snprintf(total, sizeof total, "%lld", p->published);
    else
        snprintf(total, sizeof total, "?");
    if (p->complete)
        snprintf(eta, sizeof eta, "complete");
    else if (p->published >= 0 && rate > 0)
        snprintf(eta, sizeof eta, "ETA %.0fs", (double)(p->published - p->done) / rate);
    else
        snprintf(eta, sizeof eta, "ETA unknown");
    if (p->errors || p->dlq)
        snprintf(fails, sizeof fails, " · %lld failed (%s)", p->errors, p->kinds);
    else
        fails[0] = '\0';
    if (p->current > 0) /* not jobs: their results were already current */
        snprintf(cur, sizeof cur, " · %lld current", p->current);
    double pct = p->published > 0 ? 100.0 * (double)p->done / (double)p->published
                 : p->complete    ? 100.0
                                  : 0;
    snprintf(out, n, "run %s: %lld/%s jobs (%.1f%%)%s%s · %.1f images/s · %s", run, p->done,
             total, pct, cur, fails, rate, eta);
}

typedef struct status_cfg {
    char *run;
    int follow;
    long interval;
    sf_cli_redis r;
} status_cfg;

static const sf_opt STATUS_OPTS[] = {
    {"run", SF_OT_STR, offsetof(status_cfg, run), NULL, NULL, 0, 0, 0,
     "run id (default: the latest run)", "ID"},
    {"follow", SF_OT_BOOL, offsetof(status_cfg, follow), "false", NULL, 0, 0, 0,
     "print again every --interval until the run completes"},
    {"interval", SF_OT_LONG, offsetof(status_cfg, interval), "2", NULL, 0, 1, 3600,
     "seconds between lines with --follow", "SECONDS"},
};
static const sf_opt_group STATUS_GROUPS[] = {
    {NULL, STATUS_OPTS, sizeof STATUS_OPTS / sizeof STATUS_OPTS[0], 0},
    REDIS_GROUP(status_cfg),
};
static const sf_opt_spec STATUS_SPEC = {
    .prog = "scanfarm status",
    .summary = "Progress of a scan run: done/total jobs, failures, rate, ETA.",
    .groups = STATUS_GROUPS,
    .ngroups = 2,
};

const sf_opt_spec *sf_cmd_status_spec(void)
{
    return &STATUS_SPEC;
}

int sf_cmd_status(int argc, char **argv)
{
    status_cfg c;
    sf_opt_cmd cmd;
    char run[160] = "", line[1024];
    int ex = SF_EXIT_OK;
    if (sf_cli_opts_load(&STATUS_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        sf_opt_free(&STATUS_SPEC, &c);
        return ex;
    }
    int follow = c.follow;
    long interval = c.interval;
    const char *prefix = c.r.key_prefix;
    if (c.run)
        snprintf(run, sizeof run, "%s", c.run);
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    if ((ex = sf_cli_redis_open(&c.r, &kv, "status")) != SF_EXIT_OK)
        goto done;
    if (!run[0] && sf_agg_latest_run(kv, prefix, run, sizeof run, &e) != SF_OK) {
        fprintf(stderr, "scanfarm status: %s\n", e.msg);
        ex = SF_EXIT_ERROR;
        goto done;
    }
    if (!run[0]) {
        fprintf(stderr, "scanfarm status: no run seen by the aggregator yet\n");
        ex = SF_EXIT_ERROR;
        goto done;
    }
    int tty = isatty(STDOUT_FILENO);
    for (;;) {
        sf_agg_progress p;
        if (sf_agg_progress_get(kv, prefix, run, &p, &e) != SF_OK) {
            fprintf(stderr, "scanfarm status: %s\n", e.msg);
            ex = SF_EXIT_ERROR;
            break;
        }
        status_line(line, sizeof line, run, &p);
        printf(follow && tty ? "\r\033[K%s" : "%s\n", line);
        fflush(stdout);
        if (!follow || p.complete)
            break;
        sleep((unsigned)interval);
    }
    if (follow && tty)
        putchar('\n');
done:
    sf_kv_free(kv);
    sf_opt_free(&STATUS_SPEC, &c);
    return ex;
}

static int route_metrics(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain; version=0.0.4; charset=utf-8";
    return sf_metrics_render(sf_metrics_default(), body) == SF_OK ? 200 : 500;
}

static volatile sig_atomic_t agg_stop;
static void on_signal(int sig)
{
    (void)sig;
    agg_stop = 1;
}

/* Healthy while the aggregator runs; 503 once it is stopping, so a probe
 * takes it out of service during the final commit. */
static int route_healthz(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain; charset=utf-8";
    int stopping = agg_stop != 0;
    return sf_buf_puts(body, stopping ? "stopping\n" : "ok\n") == SF_OK && !stopping ? 200 : 503;
}

typedef struct agg_cfg {
    char *kafka, *group, *results_topic, *dlq_topic, *from, *metrics_addr;
    long once_idle, metrics_port;
    sf_kprops kprops; /* the Kafka options (taken out by cli.c, listed here) */
    sf_cli_redis r;
} agg_cfg;

#define A(f) offsetof(agg_cfg, f)
static const sf_opt AGG_OPTS[] = {
    {"kafka", SF_OT_STR, A(kafka), NULL, "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers (required without --from)", "BROKERS"},
    {"once_idle", SF_OT_LONG, A(once_idle), "0", NULL, 0, 0, 86400,
     "exit after this many seconds without a result (0 = run until SIGTERM)", "SECONDS"},
    {"group", SF_OT_STR, A(group), SF_AGG_GROUP, NULL, 0, 0, 0, "Kafka consumer group"},
    {"results_topic", SF_OT_STR, A(results_topic), SF_TOPIC_RESULTS, NULL, 0, 0, 0,
     "topic of results (and refs messages)", "TOPIC"},
    {"dlq_topic", SF_OT_STR, A(dlq_topic), SF_TOPIC_DLQ, NULL, 0, 0, 0,
     "dead-letter topic, counted in run progress (\"\" = not consumed)", "TOPIC"},
    {"from", SF_OT_STR, A(from), NULL, NULL, 0, 0, 0,
     "replay archived results (one JSON document per line, e.g. saved with kcat -C -t "
     "scanfarm.results -f '%s\\n'; - = stdin) into the fleet view instead of consuming Kafka",
     "FILE"},
    {"metrics_port", SF_OT_LONG, A(metrics_port), "0", NULL, 0, 0, 65535,
     "serve /metrics and /healthz on this port (0 = off)"},
    {"metrics_addr", SF_OT_STR, A(metrics_addr), "0.0.0.0", "SCANFARM_METRICS_ADDR", 0, 0, 0,
     "listen address of /metrics and /healthz (127.0.0.1 = loopback only)", "ADDR"},
};
#undef A
static const sf_opt_group AGG_GROUPS[] = {
    {NULL, AGG_OPTS, sizeof AGG_OPTS / sizeof AGG_OPTS[0], 0},
    REDIS_GROUP(agg_cfg),
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS,
     offsetof(agg_cfg, kprops)},
};
static const sf_opt_spec AGG_SPEC = {
    .prog = "scanfarm aggregate",
    .summary = "The aggregator: consume results (and DLQ entries) and keep the fleet view in "
               "Redis.",
    .groups = AGG_GROUPS,
    .ngroups = 3,
};

const sf_opt_spec *sf_cmd_aggregate_spec(void)
{
    return &AGG_SPEC;
}

/* --from: one result document per line; blank lines are skipped. */
static int aggregate_file(sf_kv *kv, const char *prefix, const char *path)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    sf_agg *a = NULL;
    sf_error e = SF_ERROR_INIT;
    char *line = NULL;
    size_t cap = 0, n[4] = {0}, bad = 0, lineno = 0, nrefs = 0;
    ssize_t len;
    int ex = SF_EXIT_OK;
    if (!f) {
        fprintf(stderr, "scanfarm aggregate: cannot read %s\n", path);
        return SF_EXIT_ERROR;
    }
    if (sf_agg_new(&a, kv, prefix, &e) != SF_OK) {
        fprintf(stderr, "scanfarm aggregate: %s\n", e.msg);
        ex = SF_EXIT_ERROR;
        goto done;
    }
    while (!agg_stop && (len = getline(&line, &cap, f)) >= 0) {
        sf_agg_outcome oc;
        int is_refs = 0;
        lineno++;
        if (len <= 1 || (size_t)len > SF_LIM_MESSAGE_BYTES)
            continue;
        sf_error le = SF_ERROR_INIT;
        int rc = sf_agg_apply(a, line, (size_t)len, &is_refs, &oc, &le);
        if (rc == SF_EREDIS || rc == SF_ENOMEM) {
            fprintf(stderr, "scanfarm aggregate: line %zu: %s\n", lineno, le.msg);
            ex = SF_EXIT_ERROR;
            break;
        }
        if (rc != SF_OK) {
            fprintf(stderr, "scanfarm aggregate: line %zu skipped: %s\n", lineno, le.msg);
            bad++;
            continue;
        }
        n[oc]++;
        nrefs += is_refs == 1;
    }
    fprintf(stderr,
            "scanfarm aggregate: %zu applied, %zu duplicates, %zu stale, %zu unusable "
            "(%zu refs messages, %zu without a result)\n",
            n[SF_AGG_APPLIED], n[SF_AGG_DUPLICATE], n[SF_AGG_STALE], bad, nrefs,
            n[SF_AGG_NOVIEW]);
done:
    free(line);
    sf_agg_free(a);
    if (f != stdin)
        fclose(f);
    return ex;
}

static int aggregate_run(agg_cfg *cfg, sf_agg_loop_opts *lo, const char *from,
                         const char *maddr, long mport);

static void agg_cfg_free(agg_cfg *c)
{
    sf_kprops_clear(&c->kprops);
    sf_opt_free(&AGG_SPEC, c);
}

int sf_cmd_aggregate(int argc, char **argv)
{
    agg_cfg c;
    sf_opt_cmd cmd;
    int ex = SF_EXIT_OK;
    if (sf_cli_opts_load(&AGG_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        agg_cfg_free(&c);
        return ex;
    }
    sf_agg_loop_opts lo_opts = {.brokers = c.kafka, .once_idle_s = (int)c.once_idle,
                                .group = c.group, .results_topic = c.results_topic,
                                .dlq_topic = c.dlq_topic};
    const char *from = c.from, *maddr = c.metrics_addr;
    long mport = c.metrics_port;
    if (!from && (!lo_opts.brokers || !*lo_opts.brokers)) {
        fprintf(stderr, "scanfarm aggregate: --kafka (or SCANFARM_KAFKA) is required without "
                        "--from\n");
        sf_opt_usage(&AGG_SPEC, stderr);
        agg_cfg_free(&c);
        return SF_EXIT_USAGE;
    }
    ex = aggregate_run(&c, &lo_opts, from, maddr, mport);
    agg_cfg_free(&c);
    return ex;
}

static int aggregate_run(agg_cfg *cfg, sf_agg_loop_opts *lo, const char *from,
                         const char *maddr, long mport)
{
    int ex;
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_agg_loop_stats st;
    if ((ex = sf_cli_redis_open(&cfg->r, &kv, "aggregate")) != SF_EXIT_OK)
        return ex;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (from) {
        ex = aggregate_file(kv, cfg->r.key_prefix, from);
        sf_kv_free(kv);
        return ex;
    }
    sf_httpd *httpd = NULL;
    sf_buildinfo_register(sf_metrics_default(), "scanfarm-aggregate");
    if (mport > 0) {
        sf_httpd_route routes[] = {{"/metrics", route_metrics, NULL},
                                   {"/healthz", route_healthz, NULL}};
        if (sf_httpd_start(&httpd, maddr && *maddr ? maddr : "0.0.0.0", (int)mport, routes, 2,
                           &e) != SF_OK) {
            fprintf(stderr, "scanfarm aggregate: %s\n", e.msg);
            sf_kv_free(kv);
            return SF_EXIT_ERROR;
        }
    }
    lo->kv = kv;
    lo->prefix = cfg->r.key_prefix;
    lo->stop = &agg_stop;
    char redis_shown[512];
    sf_kvaddr_redact(cfg->r.redis, redis_shown, sizeof redis_shown);
    SF_INFO("agg", "aggregator starting|brokers=%s redis=%s prefix=%s", lo->brokers,
            redis_shown,
            cfg->r.key_prefix);
    int rc = sf_agg_loop(lo, &st, &e);
    SF_INFO("agg", "aggregator stopped|results=%llu applied=%llu duplicates=%llu stale=%llu "
                   "bad=%llu dlq=%llu refs=%llu refs_noview=%llu",
            (unsigned long long)st.results, (unsigned long long)st.applied,
            (unsigned long long)st.duplicates, (unsigned long long)st.stale,
            (unsigned long long)st.bad, (unsigned long long)st.dlq, (unsigned long long)st.refs,
            (unsigned long long)st.noview);
    if (rc != SF_OK) {
        fprintf(stderr, "scanfarm aggregate: %s\n", e.msg);
        ex = SF_EXIT_ERROR;
    }
    sf_httpd_stop(httpd);
    sf_kv_free(kv);
    return ex;
}
