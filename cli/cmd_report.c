/*
 * cmd_report: `scanfarm report | query | status | aggregate` — the user's
 * view of the fleet, and the alias of the aggregator process
 * (aggregator/agg_cmd.c). All read the fleet view
 * the aggregator keeps in Redis (--redis HOST:PORT[,HOST:PORT...], default
 * $SCANFARM_REDIS or 127.0.0.1:6379; --key-prefix, default
 * $SCANFARM_KEY_PREFIX or "scanfarm"; --prefix and SCANFARM_PREFIX are
 * older spellings that still work).
 */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg_cmd.h"
#include "base/limits.h"
#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cache/keys.h"
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

enum { O_REDIS = 1000, O_PREFIX, O_RUN, O_FORMAT, O_OUT, O_JSON, O_FOLLOW, O_INTERVAL,
       O_KAFKA, O_ONCE_IDLE, O_GROUP, O_RESULTS, O_DLQ, O_FROM, O_METRICS, O_METRICS_ADDR, O_HELP };

/* Options shared by every command; returns 1 when opt was one of them. */
static int common_opt(sf_fleet_conn *c, int opt)
{
    if (opt == O_REDIS)
        c->redis = optarg;
    else if (opt == O_PREFIX)
        c->prefix = optarg;
    else
        return 0;
    return 1;
}

static int open_kv(sf_fleet_conn *c, sf_kv **kv, const char *cmd)
{
    sf_error e = SF_ERROR_INIT;
    if (sf_fleet_conn_open(c, kv, &e) != SF_OK) {
        fprintf(stderr, "scanfarm %s: %s\n", cmd, e.msg);
        return SF_EXIT_USAGE;
    }
    return SF_EXIT_OK;
}

static const char REPORT_USAGE[] =
    "usage: scanfarm report [--run ID] [--format table|json|html|sarif] [--out FILE]\n"
    "                       [--redis HOST:PORT] [--key-prefix P]\n"
    "environment: SCANFARM_REDIS (--redis), SCANFARM_KEY_PREFIX (--key-prefix)\n";

int sf_cmd_report(int argc, char **argv)
{
    static const struct option lo[] = {
        {"redis", 1, 0, O_REDIS}, {"key-prefix", 1, 0, O_PREFIX},
        {"prefix", 1, 0, O_PREFIX}, {"run", 1, 0, O_RUN},
        {"format", 1, 0, O_FORMAT}, {"out", 1, 0, O_OUT}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    sf_fleet_conn c;
    const char *run = NULL, *format = "table", *outp = NULL;
    int opt, ex = SF_EXIT_OK;
    sf_fleet_conn_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (common_opt(&c, opt))
            continue;
        switch (opt) {
        case O_RUN: run = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_OUT: outp = optarg; break;
        case O_HELP: fputs(REPORT_USAGE, stdout); return SF_EXIT_OK;
        default: fputs(REPORT_USAGE, stderr); return SF_EXIT_USAGE;
        }
    }
    int (*render)(const sf_report *, sf_buf *) =
        !strcmp(format, "table") ? sf_report_table : !strcmp(format, "json") ? sf_report_json
        : !strcmp(format, "html") ? sf_report_html : !strcmp(format, "sarif") ? sf_report_sarif
        : NULL;
    if (!render || optind != argc) {
        fputs(REPORT_USAGE, stderr);
        return SF_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_report *r = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf b;
    sf_buf_init(&b, 0);
    if ((ex = open_kv(&c, &kv, "report")) != SF_EXIT_OK)
        goto done;
    if ((ex = sf_report_load(&r, kv, c.prefix, run, &e)) != SF_OK) {
        fprintf(stderr, "scanfarm report: %s\n", e.msg);
        ex = ex == SF_ENOTFOUND ? SF_EXIT_FINDINGS : SF_EXIT_ERROR;
        goto done;
    }
    if (render(r, &b) != SF_OK) {
        fprintf(stderr, "scanfarm report: out of memory\n");
        ex = SF_EXIT_ERROR;
        goto done;
    }
    ex = write_out(outp, &b, "report");
done:
    sf_buf_free(&b);
    sf_report_free(r);
    sf_kv_free(kv);
    return ex;
}

static const char QUERY_USAGE[] =
    "usage: scanfarm query cve <ID> | image <ref|digest> | package <name>\n"
    "                      [--json] [--redis HOST:PORT] [--key-prefix P]\n"
    "       scanfarm query running [--severity S] [--fixable] [--namespace NS] [--json]\n"
    "environment: SCANFARM_REDIS (--redis), SCANFARM_KEY_PREFIX (--key-prefix)\n";

int sf_cmd_query(int argc, char **argv)
{
    enum { O_SEVERITY = 2000, O_FIXABLE, O_NAMESPACE }; /* query running */
    static const struct option lo[] = {{"redis", 1, 0, O_REDIS}, {"key-prefix", 1, 0, O_PREFIX}, {"prefix", 1, 0, O_PREFIX},
                                       {"json", 0, 0, O_JSON},   {"help", 0, 0, O_HELP},
                                       {"severity", 1, 0, O_SEVERITY},
                                       {"fixable", 0, 0, O_FIXABLE},
                                       {"namespace", 1, 0, O_NAMESPACE}, {0, 0, 0, 0}};
    sf_fleet_conn c;
    sf_query_running_opts ro = {.min_sev = -1};
    int opt, json = 0, ex, rc;
    sf_fleet_conn_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (common_opt(&c, opt))
            continue;
        if (opt == O_JSON) {
            json = 1;
        } else if (opt == O_SEVERITY || opt == O_FIXABLE || opt == O_NAMESPACE) {
            if (opt == O_SEVERITY && (ro.min_sev = sf_agg_sev_parse(optarg)) == SF_SEV_UNKNOWN &&
                strcasecmp(optarg, "UNKNOWN") != 0) {
                fprintf(stderr, "scanfarm query: --severity: CRITICAL, HIGH, MEDIUM or LOW\n");
                return SF_EXIT_USAGE;
            }
            ro.fixable |= opt == O_FIXABLE;
            ro.ns = opt == O_NAMESPACE ? optarg : ro.ns;
        } else if (opt == O_HELP) {
            fputs(QUERY_USAGE, stdout);
            return SF_EXIT_OK;
        } else {
            fputs(QUERY_USAGE, stderr);
            return SF_EXIT_USAGE;
        }
    }
    int is_running = argc - optind == 1 && !strcmp(argv[optind], "running");
    if (argc - optind != 2 && !is_running) {
        fputs(QUERY_USAGE, stderr);
        return SF_EXIT_USAGE;
    }
    const char *what = argv[optind], *arg = is_running ? "" : argv[optind + 1];
    if (strcmp(what, "cve") && strcmp(what, "image") && strcmp(what, "package") && !is_running) {
        fputs(QUERY_USAGE, stderr);
        return SF_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf b;
    sf_buf_init(&b, 0);
    if ((ex = open_kv(&c, &kv, "query")) != SF_EXIT_OK)
        goto done;
    if (is_running)
        rc = sf_query_running(kv, c.prefix, &ro, json, &b, &e);
    else if (!strcmp(what, "cve"))
        rc = sf_query_cve(kv, c.prefix, arg, json, &b, &e);
    else if (!strcmp(what, "image"))
        rc = sf_query_image(kv, c.prefix, arg, &b, &e);
    else
        rc = sf_query_package(kv, c.prefix, arg, json, &b, &e);
    if (rc != SF_OK) {
        fprintf(stderr, "scanfarm query: %s\n", e.msg[0] ? e.msg : sf_err_name(rc));
        ex = rc == SF_ENOTFOUND ? SF_EXIT_FINDINGS : SF_EXIT_ERROR;
        goto done;
    }
    ex = write_out(NULL, &b, "query");
    if (ex == SF_EXIT_OK && !strcmp(what, "image")) { /* stdout stays the stored documents */
        sf_buf note;
        sf_buf_init(&note, 0);
        if (sf_query_image_running(kv, c.prefix, &b, &note, NULL) == SF_OK && note.len)
            fputs(note.data, stderr);
        sf_buf_free(&note);
    }
done:
    sf_buf_free(&b);
    sf_kv_free(kv);
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

static const char STATUS_USAGE[] =
    "usage: scanfarm status [--run ID] [--follow] [--interval SECONDS]\n"
    "                       [--redis HOST:PORT] [--key-prefix P]\n"
    "environment: SCANFARM_REDIS (--redis), SCANFARM_KEY_PREFIX (--key-prefix)\n";

int sf_cmd_status(int argc, char **argv)
{
    static const struct option lo[] = {
        {"redis", 1, 0, O_REDIS}, {"key-prefix", 1, 0, O_PREFIX}, {"prefix", 1, 0, O_PREFIX},   {"run", 1, 0, O_RUN},
        {"follow", 0, 0, O_FOLLOW}, {"interval", 1, 0, O_INTERVAL}, {"help", 0, 0, O_HELP},
        {0, 0, 0, 0}};
    sf_fleet_conn c;
    char run[160] = "", line[1024];
    int opt, follow = 0, ex;
    long interval = 2;
    sf_fleet_conn_init(&c);
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (common_opt(&c, opt))
            continue;
        switch (opt) {
        case O_RUN: snprintf(run, sizeof run, "%s", optarg); break;
        case O_FOLLOW: follow = 1; break;
        case O_INTERVAL: interval = strtol(optarg, NULL, 10); break;
        case O_HELP: fputs(STATUS_USAGE, stdout); return SF_EXIT_OK;
        default: fputs(STATUS_USAGE, stderr); return SF_EXIT_USAGE;
        }
    }
    if (optind != argc || interval < 1 || interval > 3600) {
        fputs(STATUS_USAGE, stderr);
        return SF_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    if ((ex = open_kv(&c, &kv, "status")) != SF_EXIT_OK)
        return ex;
    if (!run[0] && sf_agg_latest_run(kv, c.prefix, run, sizeof run, &e) != SF_OK) {
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
        if (sf_agg_progress_get(kv, c.prefix, run, &p, &e) != SF_OK) {
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
    return ex;
}

/* `scanfarm aggregate`: the aggregator daemon (aggregator/agg_cmd.h),
 * kept as an alias of scanfarm-aggregator. */
int sf_cmd_aggregate(int argc, char **argv) { return sf_agg_main(argc, argv, "scanfarm aggregate"); }
