/*
 * agg_cmd: the aggregator process — scanfarm-aggregator, and its alias
 * `scanfarm aggregate` (cli/cmd_report.c): options (one table on the
 * option engine, base/opt.h; docs/aggregator-config.md), the /metrics and
 * /healthz listener, --from replays, and the consumer loop (agg_loop.c).
 */
#include "agg_cmd.h"

#include <signal.h>
#include <stdatomic.h>
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
#include "bus/kconf.h"
#include "cache/kvaddr.h"
#include "fleet/conn.h"

/* The exit codes of the scanfarm command (cli/cli.h), kept for the alias. */
enum { AGG_EXIT_OK = 0, AGG_EXIT_ERROR = 2, AGG_EXIT_USAGE = 64 };

static int route_metrics(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain; version=0.0.4; charset=utf-8";
    return sf_metrics_render(sf_metrics_default(), body) == SF_OK ? 200 : 500;
}

static atomic_int agg_stop;
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

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct agg_cfg {
    char *kafka, *group, *results_topic, *dlq_topic, *from, *metrics_addr;
    long once_idle, metrics_port;
    sf_kprops kprops; /* the Kafka options (taken out of argv first, listed here) */
    sf_fleet_conn r;
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
    {SF_FLEET_CONN_TITLE, SF_FLEET_CONN_OPTS, SF_FLEET_CONN_NOPTS, offsetof(agg_cfg, r)},
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS,
     offsetof(agg_cfg, kprops)},
};
static const sf_opt_spec AGG_SPEC = {
    .prog = "scanfarm-aggregator",
    .summary = "The aggregator: consume results (and DLQ entries) and keep the fleet view in "
               "Redis.\n`scanfarm aggregate` is the same program.",
    .epilog = "exit codes: 0 ok, 2 failed, 64 usage",
    .groups = AGG_GROUPS,
    .ngroups = 3,
};

/* Lines of --from applied together (sf_agg_apply_batch). */
#define AGG_FILE_BATCH 64

typedef struct file_tally {
    size_t n[4], bad, nrefs;
} file_tally;

/* Apply lines[0..k) (line numbers nos[]) as one batch and count them. */
static int file_batch(sf_agg *a, char **lines, const size_t *lens, const size_t *nos, size_t k,
                      file_tally *t, const char *prog)
{
    sf_agg_msg b[AGG_FILE_BATCH];
    sf_error e = SF_ERROR_INIT;
    for (size_t i = 0; i < k; i++)
        b[i].json = lines[i], b[i].len = lens[i];
    if (sf_agg_apply_batch(a, b, k, &e) != SF_OK) {
        fprintf(stderr, "%s: lines %zu-%zu: %s\n", prog, nos[0], nos[k - 1], e.msg);
        return AGG_EXIT_ERROR;
    }
    for (size_t i = 0; i < k; i++) {
        if (b[i].rc != SF_OK) {
            fprintf(stderr, "%s: line %zu skipped: %s\n", prog, nos[i], b[i].err.msg);
            t->bad++;
            continue;
        }
        t->n[b[i].outcome]++;
        t->nrefs += b[i].is_refs == 1;
    }
    return AGG_EXIT_OK;
}

/* --from: one result document per line; blank lines are skipped. */
static int aggregate_file(sf_kv *kv, const char *prefix, const char *path, const char *prog)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    sf_agg *a = NULL;
    sf_error e = SF_ERROR_INIT;
    char *lines[AGG_FILE_BATCH] = {0};
    size_t caps[AGG_FILE_BATCH] = {0}, lens[AGG_FILE_BATCH], nos[AGG_FILE_BATCH];
    size_t k = 0, lineno = 0;
    file_tally t = {{0}, 0, 0};
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
    for (;;) {
        len = agg_stop ? -1 : getline(&lines[k], &caps[k], f);
        if (len >= 0) {
            lineno++;
            if (len <= 1 || (size_t)len > SF_LIM_MESSAGE_BYTES)
                continue;
            lens[k] = (size_t)len, nos[k] = lineno;
            if (++k < AGG_FILE_BATCH)
                continue;
        }
        /* a full batch, or the end */
        if (k && (ex = file_batch(a, lines, lens, nos, k, &t, prog)) != AGG_EXIT_OK)
            break;
        k = 0;
        if (len < 0)
            break;
    }
    fprintf(stderr,
            "%s: %zu applied, %zu duplicates, %zu stale, %zu unusable "
            "(%zu refs messages, %zu without a result)\n",
            prog, t.n[SF_AGG_APPLIED], t.n[SF_AGG_DUPLICATE], t.n[SF_AGG_STALE], t.bad, t.nrefs,
            t.n[SF_AGG_NOVIEW]);
done:
    for (size_t i = 0; i < AGG_FILE_BATCH; i++)
        free(lines[i]);
    sf_agg_free(a);
    if (f != stdin)
        fclose(f);
    return ex;
}

static int agg_run(const agg_cfg *c, const char *prog);

int sf_agg_main(int argc, char **argv, const char *prog)
{
    agg_cfg c;
    sf_opt_cmd cmd;
    sf_error e = SF_ERROR_INIT;
    sf_opt_spec spec = AGG_SPEC; /* the same table under either name */
    spec.prog = prog;
    int ex = AGG_EXIT_OK;
    memset(&c, 0, sizeof c);
    if (sf_opt_load(&spec, &c, argc, argv, &cmd, &e) != SF_OK) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        sf_opt_usage(&spec, stderr);
        ex = AGG_EXIT_USAGE;
    } else if (sf_opt_act(&spec, &c, &cmd, stdout)) {
        ex = AGG_EXIT_OK;
    } else if (!c.from && (!c.kafka || !*c.kafka)) {
        fprintf(stderr, "%s: --kafka (or SCANFARM_KAFKA) is required without --from\n", prog);
        sf_opt_usage(&spec, stderr);
        ex = AGG_EXIT_USAGE;
    } else {
        ex = agg_run(&c, prog);
    }
    sf_kprops_clear(&c.kprops);
    sf_opt_free(&spec, &c);
    return ex;
}

const sf_opt_spec *sf_agg_spec(void)
{
    return &AGG_SPEC;
}

static int agg_run(const agg_cfg *cfg, const char *prog)
{
    sf_agg_loop_opts lo_opts = {.brokers = cfg->kafka, .once_idle_s = (int)cfg->once_idle,
                                .group = cfg->group, .results_topic = cfg->results_topic,
                                .dlq_topic = cfg->dlq_topic};
    const char *from = cfg->from, *maddr = cfg->metrics_addr;
    long mport = cfg->metrics_port;
    const sf_fleet_conn *c = &cfg->r;
    int ex = AGG_EXIT_OK;
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_agg_loop_stats st;
    if (sf_fleet_conn_open(c, &kv, &e) != SF_OK) {
        fprintf(stderr, "%s: %s\n", prog, e.msg);
        return AGG_EXIT_USAGE;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (from) {
        ex = aggregate_file(kv, c->prefix, from, prog);
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
    lo_opts.prefix = c->prefix;
    lo_opts.stop = &agg_stop;
    char redis_shown[512];
    sf_kvaddr_redact(c->redis, redis_shown, sizeof redis_shown);
    SF_INFO("agg", "aggregator starting|brokers=%s redis=%s prefix=%s", lo_opts.brokers,
            redis_shown,
            c->prefix);
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
