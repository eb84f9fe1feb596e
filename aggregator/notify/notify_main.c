/*
 * scanfarm-notify: consume `scanfarm.findings/v1` deltas and notify the
 * policy's sinks (notify.h). At-least-once: a message's offset is
 * committed only after every notification it causes is acknowledged by
 * its sink, deduplicated, or in the DLQ; a message whose outcome cannot
 * be made durable (Redis or the DLQ down) is retried in place with
 * backoff, never skipped.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/httpd.h"
#include "base/time.h"
#include "base/log.h"
#include "bus/kcons.h"
#include "notify.h"
#include "notify_cfg.h"

static atomic_int stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static long long mono_ms(void)
{
    return (long long)sf_time_mono_ms();
}

static void nap_ms(long ms) { sf_time_sleep_ms(ms, &stop_flag); }

/* A results-topic message (a result, or a refs/unref message), not a delta. */
static int from_results(const char *v, size_t len)
{
    const char *s = memmem(v, len < 256 ? len : 256, "\"schema\":\"scanfarm.", 19);
    return s && strncmp(s + 19, "findings/", 9) != 0;
}

/* Handle until durable (or stopped): SF_OK means the offset may be committed. */
static int handle_durably(sf_notify *n, const char *v, size_t len)
{
    long wait = 1000;
    int result = from_results(v, len);
    for (;;) {
        sf_error e = SF_ERROR_INIT;
        int rc = result ? sf_notify_result(n, v, len, &e) : sf_notify_handle(n, v, len, &e);
        if (rc == SF_OK || stop_flag)
            return rc;
        SF_WARN("notify", "not durable, retrying|code=%s reason=%s wait_ms=%ld",
                sf_err_name(rc), e.msg, wait);
        nap_ms(wait);
        wait = wait * 2 > 30000 ? 30000 : wait * 2;
    }
}

static int run_file(sf_notify *n, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "scanfarm-notify: cannot open %s\n", path);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = SF_OK;
    while (rc == SF_OK && !stop_flag && (got = getline(&line, &cap, f)) > 0) {
        if (got > 1)
            rc = handle_durably(n, line, (size_t)got);
    }
    free(line);
    fclose(f);
    sf_error fe = SF_ERROR_INIT;
    if (rc == SF_OK && sf_notify_flush(n, &fe) != SF_OK) {
        fprintf(stderr, "scanfarm-notify: digest not flushed: %s\n", fe.msg);
        rc = fe.code;
    }
    return rc == SF_OK ? 0 : 1;
}

/* One message of consumer kc, handled; 1 when one came, -1 on a fatal error. */
static int step(sf_notify *n, sf_kcons *kc, int wait_ms)
{
    sf_kmsg *m = NULL;
    sf_error e = SF_ERROR_INIT;
    if (!kc)
        return 0;
    if (sf_kcons_poll(kc, wait_ms, &m, &e) != SF_OK) {
        fprintf(stderr, "scanfarm-notify: %s\n", e.msg);
        return -1;
    }
    if (!m)
        return 0;
    if (handle_durably(n, m->value, m->len) == SF_OK)
        sf_kcons_done(kc, m);
    else
        sf_kcons_release(kc, m);
    return 1;
}

static int run_kafka(sf_notify *n, const sf_notifycfg *c)
{
    sf_kcons *kc = NULL, *kr = NULL;
    sf_error e = SF_ERROR_INIT;
    char rgroup[300];
    sf_kcons_opts ko = {.brokers = c->kafka, .group = c->group, .topic = c->topic,
                        .client_id = "scanfarm-notify", .max_in_flight = 1,
                        .session_timeout_ms = (int)c->session_timeout_ms};
    /* First scans: a group of its own, starting at the end of the topic
     * (a new notifier does not announce the fleet's history). */
    snprintf(rgroup, sizeof rgroup, "%s.results", c->group);
    sf_kcons_opts kro = ko;
    kro.group = rgroup, kro.topic = c->results_topic, kro.offset_reset = "latest";
    if (sf_kcons_new(&kc, &ko, &e) != SF_OK ||
        (c->results_topic && *c->results_topic && sf_kcons_new(&kr, &kro, &e) != SF_OK)) {
        fprintf(stderr, "scanfarm-notify: %s\n", e.msg);
        sf_kcons_close(kc);
        return 1;
    }
    /* Until the first message, allow for the group join: after a crash
     * the broker holds the rebalance until the dead member's session
     * expires, and a new group waits its initial rebalance delay (3 s). */
    long long idle_since = mono_ms() + c->session_timeout_ms + 3000, flushed = 0;
    int ex = 0;
    while (!stop_flag) {
        if (mono_ms() - flushed >= 1000) { /* digests whose window passed */
            sf_error fe = SF_ERROR_INIT;
            if (sf_notify_flush(n, &fe) != SF_OK)
                SF_WARN("notify", "digest not flushed, retrying|reason=%s", fe.msg);
            flushed = mono_ms();
        }
        int a = step(n, kc, kr ? 100 : 200), b = a < 0 ? 0 : step(n, kr, 100);
        if (a < 0 || b < 0) {
            ex = 1;
            break;
        }
        if (a || b)
            idle_since = mono_ms();
        else if (c->exit_idle_ms > 0 && mono_ms() - idle_since > c->exit_idle_ms)
            break;
    }
    sf_kcons_close(kr);
    sf_kcons_close(kc);
    return ex;
}

static int route_healthz(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain";
    return sf_buf_puts(body, "ok\n") == SF_OK ? 200 : 500;
}

static int route_metrics(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain; version=0.0.4; charset=utf-8";
    return sf_metrics_render(sf_metrics_default(), body) == SF_OK ? 200 : 500;
}

/* Split "h:p,h:p" (in place) into nodes. */
static size_t split_nodes(char *s, const char **nodes, size_t max)
{
    size_t n = 0;
    for (char *p = s; p && *p && n < max;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*p)
            nodes[n++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return n;
}

typedef struct services {
    sf_nrules *rules;
    sf_nsend *send;
    sf_kv *kv;
    sf_kprod *dlq;
    sf_httpd *httpd;
    char *redis;
} services;

static int open_services(services *s, const sf_notifycfg *c, sf_error *e)
{
    int rc = sf_nrules_load(&s->rules, c->config, e);
    sf_nsend_opts so = {(int)c->max_retries, c->backoff_base_ms, c->backoff_max_ms,
                        c->timeout_ms, c->dry_run ? stdout : NULL, &stop_flag};
    if (rc == SF_OK)
        rc = sf_nsend_new(&s->send, &so, e);
    const char *nodes[SF_KV_MAX_NODES];
    size_t nn = 0;
    if (rc == SF_OK && !c->dry_run && c->redis && *c->redis) {
        if (!(s->redis = strdup(c->redis)))
            return sf_error_set(e, SF_ENOMEM, "out of memory");
        nn = split_nodes(s->redis, nodes, SF_KV_MAX_NODES);
        sf_kv_opts ko = {.nodes = nodes, .nnodes = nn, .pool_size = 2};
        sf_fleet_conn_kv_opts(&c->r, &ko); /* AUTH, TLS, cluster: options, then env */
        rc = sf_kv_new(&s->kv, &ko, e);
    }
    if (rc == SF_OK && !c->dry_run && !s->kv)
        SF_WARN("notify", "no --redis: redelivered deltas will be notified again");
    if (rc == SF_OK && !c->dry_run && !c->from) {
        sf_kprod_opts po = {.brokers = c->kafka, .client_id = "scanfarm-notify"};
        rc = sf_kprod_new(&s->dlq, &po, e);
    }
    if (rc == SF_OK && c->metrics_port > 0) {
        static const sf_httpd_route routes[] = {{"/metrics", route_metrics, NULL},
                                                {"/healthz", route_healthz, NULL}};
        rc = sf_httpd_start(&s->httpd, "0.0.0.0", (int)c->metrics_port, routes, 2, e);
    }
    return rc;
}

/* One line per sink with its counters, when the notifier stops. */
static void log_totals(sf_notify *n, const sf_nrules *r)
{
    for (size_t i = 0; n && r && i < r->nsinks; i++) {
        const char *k = r->sinks[i].name;
        SF_INFO("notify", "totals|sink=%s sent=%.0f failed=%.0f deduplicated=%.0f", k,
                sf_notify_count(n, k, "sent"), sf_notify_count(n, k, "failed"),
                sf_notify_count(n, k, "deduplicated"));
    }
}

static void close_services(services *s)
{
    sf_httpd_stop(s->httpd);
    sf_kprod_free(s->dlq);
    sf_kv_free(s->kv);
    sf_nsend_free(s->send);
    sf_nrules_free(s->rules);
    free(s->redis);
}

int main(int argc, char **argv)
{
    sf_notifycfg c;
    sf_error e = SF_ERROR_INIT;
    int action = 0, ex = 1;
    /* The Kafka options first (flags and SCANFARM_KAFKA_*), as for the
     * aggregator: installed for every client this process makes. */
    if (sf_kconf_from_args(&argc, argv, &e) != SF_OK) {
        fprintf(stderr, "scanfarm-notify: %s\n", e.msg);
        return 2;
    }
    if (sf_notifycfg_load(&c, argc, argv, &action, &e) != SF_OK) {
        fprintf(stderr, "scanfarm-notify: %s\n", e.msg);
        return 2;
    }
    if (action) {
        sf_notifycfg_act(&c, action, stdout);
        sf_notifycfg_free(&c);
        return 0;
    }
    sf_log_level lvl;
    if (sf_log_parse_level(c.log_level, &lvl) == SF_OK)
        sf_log_set_level(lvl);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    services s = {0};
    sf_notify *n = NULL;
    sf_notify_opts no = {NULL, NULL, NULL, c.key_prefix, c.dedup_ttl_s * 1000LL, NULL,
                         c.dlq_topic, NULL, NULL};
    if (open_services(&s, &c, &e) == SF_OK) {
        no.rules = s.rules;
        no.send = s.send;
        no.kv = s.kv;
        no.dlq = s.dlq;
        if (sf_notify_new(&n, &no, &e) == SF_OK)
            ex = c.from ? run_file(n, c.from) : run_kafka(n, &c);
        log_totals(n, s.rules);
    }
    if (e.code)
        fprintf(stderr, "scanfarm-notify: %s\n", e.msg);
    sf_notify_free(n);
    close_services(&s);
    sf_notifycfg_free(&c);
    return ex;
}
