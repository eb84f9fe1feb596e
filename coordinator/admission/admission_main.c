/*
 * scanfarm-admission: the Kubernetes validating admission webhook
 * (admission.h) on the shared HTTPS server of events_http.h.
 *
 * A program of its own rather than a mode of scanfarm-notify: it sits on
 * the API server's critical path (every pod creation waits for it), so it
 * runs as several replicas behind a Service, answers within 200 ms and is
 * sized for latency, while the notifier is one Kafka consumer group
 * member that may spend minutes in backoff against a slow sink. Sharing a
 * process would let a sink's retry storm or a rebalance stall admissions,
 * and would mount sink tokens into a pod that needs none.
 *
 * Routes: POST /v1/admission (AdmissionReview), GET /healthz (alive),
 * GET /readyz (the fleet view's Redis answers), GET /metrics.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "admission_cfg.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "events_http.h"

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct app {
    sf_adm *adm;
    sf_kv *kv;
} app;

static void handle(void *ctx, const sf_evh_req *req, const char *body, size_t blen,
                   sf_evh_resp *resp)
{
    app *a = ctx;
    int get = !strcmp(req->method, "GET");
    if (!strcmp(req->path, "/v1/admission")) {
        if (strcmp(req->method, "POST")) {
            resp->status = 405;
            sf_buf_puts(&resp->body, "POST an AdmissionReview\n");
            return;
        }
        sf_adm_handle(a->adm, body, blen, &resp->body, &resp->status);
        resp->ctype = resp->status == 200 ? "application/json" : NULL;
    } else if (get && !strcmp(req->path, "/healthz")) {
        resp->status = 200;
        sf_buf_puts(&resp->body, "ok\n");
    } else if (get && !strcmp(req->path, "/readyz")) {
        sf_error e = SF_ERROR_INIT;
        int up = sf_kv_ping(a->kv, 0, &e) == SF_OK;
        resp->status = up ? 200 : 503;
        sf_buf_printf(&resp->body, "%s\n", up ? "ready" : e.msg);
    } else if (get && !strcmp(req->path, "/metrics")) {
        resp->ctype = "text/plain; version=0.0.4; charset=utf-8";
        resp->status = sf_metrics_render(sf_metrics_default(), &resp->body) == SF_OK ? 200 : 500;
    } else {
        resp->status = 404;
        sf_buf_puts(&resp->body, "not found\n");
    }
}

static int open_kv(const sf_admcfg *c, sf_kv **kv, sf_error *err)
{
    /* A Redis call may take the whole budget, never more: past it the
     * API server would give up on the review anyway. */
    sf_kv_opts ko = {.nodes = (const char *const *)c->redis.v, .nnodes = c->redis.n,
                     .connect_timeout_ms = c->budget_ms, .command_timeout_ms = c->budget_ms,
                     .pool_size = 16};
    sf_fleet_conn_kv_opts(&c->r, &ko); /* AUTH, TLS, cluster: options, then env */
    return sf_kv_new(kv, &ko, err);
}

static int run(const sf_admcfg *c, sf_error *err)
{
    app a = {0};
    sf_kprod *jobs = NULL;
    sf_evh *srv = NULL;
    char host[256];
    int port, rc = sf_evh_split_addr(c->listen, host, sizeof host, &port, err);
    if (rc == SF_OK)
        rc = open_kv(c, &a.kv, err);
    if (rc == SF_OK && c->unscanned_policy == SF_ADM_UNSCANNED_SCAN) {
        sf_kprod_opts po = {.brokers = c->kafka, .client_id = "scanfarm-admission"};
        rc = sf_kprod_new(&jobs, &po, err);
    }
    sf_adm_opts ao = {.kv = a.kv, .prefix = c->key_prefix, .min_sev = c->min_sev,
                      .fixable_only = c->fixable, .unscanned = c->unscanned_policy,
                      .audit = c->audit, .exempt = (const char *const *)c->exempt_namespaces.v,
                      .nexempt = c->exempt_namespaces.n, .budget_ms = c->budget_ms,
                      .tag_ttl_ms = c->tag_cache_ttl_s * 1000, .resolve_tags = c->resolve_tags,
                      .insecure = (const char *const *)c->insecure_registries.v,
                      .ninsecure = c->insecure_registries.n, .docker_config = c->docker_config,
                      .ca_file = c->registry_ca_file, .jobs = jobs, .jobs_topic = c->jobs_topic};
    if (rc == SF_OK)
        rc = sf_adm_new(&a.adm, &ao, err);
    sf_evh_opts so = {.addr = host, .port = port, .max_body = SF_LIM_ADM_BODY_BYTES,
                      .tls_cert = c->tls_cert, .tls_key = c->tls_key, .handler = handle,
                      .ctx = &a};
    if (rc == SF_OK)
        rc = sf_evh_start(&srv, &so, err);
    if (rc == SF_OK) {
        SF_INFO("admission", "listening|addr=%s port=%d unscanned=%s audit=%d", host,
                sf_evh_port(srv), c->unscanned, c->audit);
        while (!stop_flag) {
            sf_time_sleep_ms(100, NULL);
            if (jobs)
                sf_kprod_poll(jobs);
        }
    }
    sf_evh_stop(srv);
    if (jobs) {
        sf_error fe = SF_ERROR_INIT;
        (void)sf_kprod_flush(jobs, 5000, &fe);
    }
    sf_adm_free(a.adm);
    sf_kprod_free(jobs);
    sf_kv_free(a.kv);
    return rc;
}

int main(int argc, char **argv)
{
    sf_admcfg cfg;
    sf_error err = SF_ERROR_INIT;
    sf_opt_cmd cmd;
    int status = 0;
    sf_log_init_from_env();
    /* The Kafka options first (flags and SCANFARM_KAFKA_*), as for the
     * aggregator: installed for the allow-and-scan producer. */
    if (sf_kconf_from_args(&argc, argv, &err) != SF_OK) {
        fprintf(stderr, "scanfarm-admission: %s\n", err.msg);
        return 64;
    }
    if (sf_admcfg_load(&cfg, argc, argv, &cmd, &err)) {
        fprintf(stderr, "scanfarm-admission: %s\n", err.msg);
        sf_admcfg_free(&cfg);
        return 64;
    }
    if (!sf_opt_act(sf_admcfg_spec(), &cfg, &cmd, stdout)) {
        sf_log_level lvl;
        if (cfg.log_level && sf_log_parse_level(cfg.log_level, &lvl) == 0)
            sf_log_set_level(lvl);
        signal(SIGINT, on_signal); /* stop: finish the reviews in hand, then exit */
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        if (run(&cfg, &err) != SF_OK) {
            fprintf(stderr, "scanfarm-admission: %s\n", err.msg);
            status = 2;
        }
    }
    sf_admcfg_free(&cfg);
    return status;
}
