/*
 * cmd_report: `scanfarm report | query | status | aggregate` — the user's
 * view of the fleet and the aggregator process. All read the fleet view
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

#include "agg.h"
#include "base/limits.h"
#include "bus/kconf.h"
#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cache/keys.h"
#include "cache/kvaddr.h"
#include "report.h"

#define MAX_NODES 16

typedef struct common_opts {
    const char *redis;
    const char *prefix;
    char nodebuf[1024];
    const char *nodes[MAX_NODES];
    size_t nnodes;
} common_opts;

static void common_init(common_opts *c)
{
    memset(c, 0, sizeof *c);
    c->redis = getenv("SCANFARM_REDIS");
    if (!c->redis || !*c->redis)
        c->redis = "127.0.0.1:6379";
    /* SCANFARM_KEY_PREFIX, as the worker and coordinator spell it; the
     * older SCANFARM_PREFIX still works */
    c->prefix = getenv("SCANFARM_KEY_PREFIX");
    if (!c->prefix || !*c->prefix)
        c->prefix = getenv("SCANFARM_PREFIX");
    if (!c->prefix || !*c->prefix)
        c->prefix = SF_KEY_PREFIX_DEFAULT;
}

static int open_kv(common_opts *c, sf_kv **kv, const char *cmd)
{
    sf_error e = SF_ERROR_INIT;
    snprintf(c->nodebuf, sizeof c->nodebuf, "%s", c->redis);
    c->nnodes = 0;
    for (char *p = c->nodebuf; p && *p && c->nnodes < MAX_NODES;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        c->nodes[c->nnodes++] = p;
        p = comma ? comma + 1 : NULL;
    }
    if (sf_keys_check_prefix(c->prefix, &e) != SF_OK) {
        fprintf(stderr, "scanfarm %s: %s\n", cmd, e.msg);
        return SF_EXIT_USAGE;
    }
    /* Redis AUTH, TLS and cluster mode as for the services: in the URL,
     * or from the environment (sf_kv_opts_env). */
    sf_kv_opts o = {.nodes = c->nodes, .nnodes = c->nnodes, .pool_size = 2,
                    .command_timeout_ms = 30000};
    sf_kv_opts_env(&o);
    if (sf_kv_new(kv, &o, &e) != SF_OK) {
        fprintf(stderr, "scanfarm %s: %s\n", cmd, e.msg);
        return SF_EXIT_USAGE;
    }
    return SF_EXIT_OK;
}

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
static int common_opt(common_opts *c, int opt)
{
    if (opt == O_REDIS)
        c->redis = optarg;
    else if (opt == O_PREFIX)
        c->prefix = optarg;
    else
        return 0;
    return 1;
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
    common_opts c;
    const char *run = NULL, *format = "table", *outp = NULL;
    int opt, ex = SF_EXIT_OK;
    common_init(&c);
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
    common_opts c;
    sf_query_running_opts ro = {.min_sev = -1};
    int opt, json = 0, ex, rc;
    common_init(&c);
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
    common_opts c;
    char run[160] = "", line[1024];
    int opt, follow = 0, ex;
    long interval = 2;
    common_init(&c);
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

static const char AGG_USAGE[] =
    "usage: scanfarm aggregate --kafka BROKERS --redis HOST:PORT [--once-idle SECONDS]\n"
    "                          [--group G] [--results-topic T] [--dlq-topic T] [--key-prefix P]\n"
    "                          [--metrics-port N] [--metrics-addr ADDR]\n"
    "       scanfarm aggregate --from FILE|- --redis HOST:PORT [--key-prefix P]\n"
    "  --metrics-port N    serve /metrics and /healthz on port N (0 = off, the default)\n"
    "  --metrics-addr ADDR their listen address (default 0.0.0.0; 127.0.0.1 = loopback)\n"
    "  --from replays archived results (one JSON document per line, e.g. saved\n"
    "  with kcat -C -t scanfarm.results -f '%s\\n') into the fleet view.\n"
    "environment: SCANFARM_KAFKA (--kafka), SCANFARM_REDIS (--redis, default\n"
    "  127.0.0.1:6379; or redis://[user:pass@]host:port/db), SCANFARM_KEY_PREFIX (--key-prefix,\n"
    "  default scanfarm), SCANFARM_REDIS_USERNAME, SCANFARM_REDIS_PASSWORD,\n"
    "  SCANFARM_REDIS_PASSWORD_FILE (Redis AUTH), SCANFARM_REDIS_TLS_CA_FILE, SCANFARM_REDIS_TLS_CERT_FILE, SCANFARM_REDIS_TLS_KEY_FILE,\n"
    "  SCANFARM_REDIS_TLS_SERVER_NAME (TLS of rediss:// nodes), SCANFARM_REDIS_CLUSTER=1 (Redis\n"
    "  Cluster), SCANFARM_METRICS_ADDR (--metrics-addr)\n";

/* The usage and the Kafka options every command takes (bus/kconf.h). */
static void agg_help(void)
{
    sf_buf b;
    fputs(AGG_USAGE, stdout);
    sf_buf_init(&b, 1u << 16);
    if (sf_kconf_help(&b) == SF_OK && b.data) {
        fputs("Kafka options (as for every command):\n", stdout);
        fwrite(b.data, 1, b.len, stdout);
    }
    sf_buf_free(&b);
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

int sf_cmd_aggregate(int argc, char **argv)
{
    static const struct option lo[] = {
        {"redis", 1, 0, O_REDIS},        {"key-prefix", 1, 0, O_PREFIX}, {"prefix", 1, 0, O_PREFIX},
        {"kafka", 1, 0, O_KAFKA},        {"once-idle", 1, 0, O_ONCE_IDLE},
        {"group", 1, 0, O_GROUP},        {"results-topic", 1, 0, O_RESULTS},
        {"dlq-topic", 1, 0, O_DLQ},      {"from", 1, 0, O_FROM},
        {"metrics-port", 1, 0, O_METRICS}, {"metrics-addr", 1, 0, O_METRICS_ADDR},
        {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    common_opts c;
    sf_agg_loop_opts lo_opts = {0};
    const char *from = NULL, *maddr = getenv("SCANFARM_METRICS_ADDR");
    long mport = 0;
    int opt, ex;
    common_init(&c);
    lo_opts.brokers = getenv("SCANFARM_KAFKA");
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (common_opt(&c, opt))
            continue;
        switch (opt) {
        case O_KAFKA: lo_opts.brokers = optarg; break;
        case O_ONCE_IDLE: lo_opts.once_idle_s = (int)strtol(optarg, NULL, 10); break;
        case O_GROUP: lo_opts.group = optarg; break;
        case O_RESULTS: lo_opts.results_topic = optarg; break;
        case O_DLQ: lo_opts.dlq_topic = optarg; break;
        case O_FROM: from = optarg; break;
        case O_METRICS: mport = strtol(optarg, NULL, 10); break;
        case O_METRICS_ADDR: maddr = optarg; break;
        case O_HELP: agg_help(); return SF_EXIT_OK;
        default: fputs(AGG_USAGE, stderr); return SF_EXIT_USAGE;
        }
    }
    if (optind != argc || (!from && (!lo_opts.brokers || !*lo_opts.brokers)) ||
        lo_opts.once_idle_s < 0 || mport < 0 || mport > 65535) {
        fputs(AGG_USAGE, stderr);
        return SF_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_agg_loop_stats st;
    if ((ex = open_kv(&c, &kv, "aggregate")) != SF_EXIT_OK)
        return ex;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (from) {
        ex = aggregate_file(kv, c.prefix, from);
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
    lo_opts.kv = kv;
    lo_opts.prefix = c.prefix;
    lo_opts.stop = &agg_stop;
    char redis_shown[512];
    sf_kvaddr_redact(c.redis, redis_shown, sizeof redis_shown);
    SF_INFO("agg", "aggregator starting|brokers=%s redis=%s prefix=%s", lo_opts.brokers,
            redis_shown,
            c.prefix);
    int rc = sf_agg_loop(&lo_opts, &st, &e);
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
