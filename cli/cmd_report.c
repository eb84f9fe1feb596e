/*
 * cmd_report: `scanfarm report | query | status | aggregate` — the user's
 * view of the fleet, and the alias of the aggregator process
 * (aggregator/agg_cmd.c). All read the fleet view the aggregator keeps in
 * Redis (fleet/conn.h: --redis, --key-prefix, Redis AUTH); each command's
 * options are a table on the option engine (base/opt.h), documented in
 * docs/cli-<command>-config.md.
 */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_cmd.h"
#include "base/limits.h"
#include "base/time.h"
#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cache/keys.h"
#include "cli_opts.h"
#include "fleet/conn.h"
#include "fleet/report.h"
#include "fleet/runs.h"

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

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define FLEET_GROUP(type) {SF_FLEET_CONN_TITLE, SF_FLEET_CONN_OPTS, SF_FLEET_CONN_NOPTS, offsetof(type, r)}

static int open_kv(const sf_fleet_conn *c, sf_kv **kv, const char *cmd)
{
    sf_error e = SF_ERROR_INIT;
    if (sf_fleet_conn_open(c, kv, &e) != SF_OK) {
        fprintf(stderr, "scanfarm %s: %s\n", cmd, e.msg);
        return SF_EXIT_USAGE;
    }
    return SF_EXIT_OK;
}

typedef struct report_cfg {
    char *run, *format, *out;
    sf_fleet_conn r;
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
    FLEET_GROUP(report_cfg),
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
    if ((ex = open_kv(&c.r, &kv, "report")) != SF_EXIT_OK)
        goto done;
    if ((ex = sf_report_load(&r, kv, c.r.prefix, c.run, &e)) != SF_OK) {
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
    sf_fleet_conn r;
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
    FLEET_GROUP(query_cfg),
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
    const char *prefix = c.r.prefix;
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf b;
    sf_buf_init(&b, 0);
    if ((ex = open_kv(&c.r, &kv, "query")) != SF_EXIT_OK)
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
    long long now = (long long)sf_time_wall_ms();
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
    sf_fleet_conn r;
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
    FLEET_GROUP(status_cfg),
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
    const char *prefix = c.r.prefix;
    if (c.run)
        snprintf(run, sizeof run, "%s", c.run);
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    if ((ex = open_kv(&c.r, &kv, "status")) != SF_EXIT_OK)
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
        sf_time_sleep_ms(interval * 1000L, NULL);
    }
    if (follow && tty)
        putchar('\n');
done:
    sf_kv_free(kv);
    sf_opt_free(&STATUS_SPEC, &c);
    return ex;
}

/* `scanfarm aggregate`: the aggregator daemon (aggregator/agg_cmd.h),
 * kept as an alias of scanfarm-aggregator. */
int sf_cmd_aggregate(int argc, char **argv) { return sf_agg_main(argc, argv, "scanfarm aggregate"); }
