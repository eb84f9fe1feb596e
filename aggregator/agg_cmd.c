/*
 * agg_cmd: the aggregator process — scanfarm-aggregator, and its alias
 * `scanfarm aggregate` (cli/cmd_report.c): options, the /metrics and
 * /healthz listener, --from replays, and the consumer loop (agg_loop.c).
 */
#include "agg_cmd.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg.h"
#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/metrics.h"
#include "cache/kvaddr.h"
#include "fleet/conn.h"

/* The exit codes of the scanfarm command (cli/cli.h), kept for the alias. */
enum { AGG_EXIT_OK = 0, AGG_EXIT_ERROR = 2, AGG_EXIT_USAGE = 64 };

enum { O_REDIS = 1000, O_PREFIX, O_KAFKA, O_ONCE_IDLE, O_GROUP, O_RESULTS, O_DLQ, O_FROM,
       O_METRICS, O_METRICS_ADDR, O_HELP };

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

static void usage(FILE *f, const char *prog)
{
    int w = (int)strlen(prog);
    fprintf(f, "usage: %s --kafka BROKERS --redis HOST:PORT [--once-idle SECONDS]\n", prog);
    fprintf(f, "       %*s [--group G] [--results-topic T] [--dlq-topic T] [--key-prefix P]\n", w, "");
    fprintf(f, "       %*s [--metrics-port N] [--metrics-addr ADDR]\n", w, "");
    fprintf(f, "       %s --from FILE|- --redis HOST:PORT [--key-prefix P]\n", prog);
    fputs(
    "  --metrics-port N    serve /metrics and /healthz on port N (0 = off, the default)\n"
    "  --metrics-addr ADDR their listen address (default 0.0.0.0; 127.0.0.1 = loopback)\n"
    "  --from replays archived results (one JSON document per line, e.g. saved\n"
    "  with kcat -C -t scanfarm.results -f '%s\\n') into the fleet view.\n"
    "environment: SCANFARM_KAFKA (--kafka), SCANFARM_REDIS (--redis, default\n"
    "  127.0.0.1:6379; or redis://[user:pass@]host:port/db), SCANFARM_KEY_PREFIX (--key-prefix,\n"
    "  default scanfarm), SCANFARM_REDIS_USERNAME, SCANFARM_REDIS_PASSWORD(_FILE) (Redis AUTH),\n"
    "  SCANFARM_METRICS_ADDR (--metrics-addr)\n", f);
}

/* --from: one result document per line; blank lines are skipped. */
static int aggregate_file(sf_kv *kv, const char *prefix, const char *path, const char *prog)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    sf_agg *a = NULL;
    sf_error e = SF_ERROR_INIT;
    char *line = NULL;
    size_t cap = 0, n[4] = {0}, bad = 0, lineno = 0, nrefs = 0;
    ssize_t len;
    int ex = AGG_EXIT_OK;
    if (!f) {
        fprintf(stderr, "%s: cannot read %s\n", prog, path);
        return AGG_EXIT_ERROR;
    }
    if (sf_agg_new(&a, kv, prefix, &e) != SF_OK) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        ex = AGG_EXIT_ERROR;
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
            fprintf(stderr, "%s: line %zu: %s\n", prog, lineno, le.msg);
            ex = AGG_EXIT_ERROR;
            break;
        }
        if (rc != SF_OK) {
            fprintf(stderr, "%s: line %zu skipped: %s\n", prog, lineno, le.msg);
            bad++;
            continue;
        }
        n[oc]++;
        nrefs += is_refs == 1;
    }
    fprintf(stderr,
            "%s: %zu applied, %zu duplicates, %zu stale, %zu unusable "
            "(%zu refs messages, %zu without a result)\n",
            prog, n[SF_AGG_APPLIED], n[SF_AGG_DUPLICATE], n[SF_AGG_STALE], bad, nrefs,
            n[SF_AGG_NOVIEW]);
done:
    free(line);
    sf_agg_free(a);
    if (f != stdin)
        fclose(f);
    return ex;
}

int sf_agg_main(int argc, char **argv, const char *prog)
{
    static const struct option lo[] = {
        {"redis", 1, 0, O_REDIS},        {"key-prefix", 1, 0, O_PREFIX}, {"prefix", 1, 0, O_PREFIX},
        {"kafka", 1, 0, O_KAFKA},        {"once-idle", 1, 0, O_ONCE_IDLE},
        {"group", 1, 0, O_GROUP},        {"results-topic", 1, 0, O_RESULTS},
        {"dlq-topic", 1, 0, O_DLQ},      {"from", 1, 0, O_FROM},
        {"metrics-port", 1, 0, O_METRICS}, {"metrics-addr", 1, 0, O_METRICS_ADDR},
        {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    sf_fleet_conn c;
    sf_agg_loop_opts lo_opts = {0};
    const char *from = NULL, *maddr = getenv("SCANFARM_METRICS_ADDR");
    long mport = 0;
    int opt, ex = AGG_EXIT_OK; /* the Kafka path sets it only on failure */
    sf_fleet_conn_init(&c);
    lo_opts.brokers = getenv("SCANFARM_KAFKA");
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case O_REDIS: c.redis = optarg; break;
        case O_PREFIX: c.prefix = optarg; break;
        case O_KAFKA: lo_opts.brokers = optarg; break;
        case O_ONCE_IDLE: lo_opts.once_idle_s = (int)strtol(optarg, NULL, 10); break;
        case O_GROUP: lo_opts.group = optarg; break;
        case O_RESULTS: lo_opts.results_topic = optarg; break;
        case O_DLQ: lo_opts.dlq_topic = optarg; break;
        case O_FROM: from = optarg; break;
        case O_METRICS: mport = strtol(optarg, NULL, 10); break;
        case O_METRICS_ADDR: maddr = optarg; break;
        case O_HELP: usage(stdout, prog); return AGG_EXIT_OK;
        default: usage(stderr, prog); return AGG_EXIT_USAGE;
        }
    }
    if (optind != argc || (!from && (!lo_opts.brokers || !*lo_opts.brokers)) ||
        lo_opts.once_idle_s < 0 || mport < 0 || mport > 65535) {
        usage(stderr, prog);
        return AGG_EXIT_USAGE;
    }
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_agg_loop_stats st;
    if (sf_fleet_conn_open(&c, &kv, &e) != SF_OK) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        return AGG_EXIT_USAGE;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (from) {
        ex = aggregate_file(kv, c.prefix, from, prog);
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
            fprintf(stderr, "%s: %s\n", prog, e.msg);
            sf_kv_free(kv);
            return AGG_EXIT_ERROR;
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
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        ex = AGG_EXIT_ERROR;
    }
    sf_httpd_stop(httpd);
    sf_kv_free(kv);
    return ex;
}
