/*
 * scanfarm-inventory: which image digests run where. One thread per
 * watched scope (a cluster, or one namespace of it) runs the list+watch
 * loop of kinv.h; they share the Redis client, the Kafka producer and the
 * scheduler's "is current" check. SIGTERM/SIGINT end the watches; with
 * --once every scope is listed once and the program exits.
 *
 * Exit status: 0 success, 2 a scope failed (with --once, or at its first
 * list for a reason waiting cannot fix), 64 usage.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buildinfo.h"
#include "base/httpd.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/sig.h"
#include "bus/kprod.h"
#include "cache/kv.h"
#include "kinv.h"
#include "kinv_conf.h"
#include "schedule.h"
#include "sf_version.h"
#include "vuln/vdb.h"

static atomic_int g_cancel;

typedef struct scope {
    pthread_t th;
    sf_kinv_opts o;
    sf_kcfg kcfg;
    sf_kinv_stats st;
    int started;
    int rc;
    sf_error err;
} scope;

static atomic_int g_scopes_down; /* watch threads that ended (/healthz) */

static void *scope_main(void *arg)
{
    scope *s = arg;
    s->rc = sf_kinv_run(&s->o, &s->st, &s->err);
    atomic_fetch_add(&g_scopes_down, 1);
    if (s->rc)
        SF_ERROR("inventory", "scope stopped|cluster=%s namespace=%s error=\"%s\"", s->o.cluster,
                 s->o.ns ? s->o.ns : "*", s->err.msg);
    else
        SF_INFO("inventory", "scope done|cluster=%s namespace=%s lists=%ld watches=%ld "
                             "events=%ld gone=%ld drops=%ld pods_put=%ld pods_del=%ld jobs=%ld "
                             "current=%ld", s->o.cluster, s->o.ns ? s->o.ns : "*",
                s->st.lists, s->st.watches, s->st.events, s->st.gone, s->st.drops,
                s->st.pods_put, s->st.pods_del, s->st.jobs, s->st.current);
    return NULL;
}

/* The scheduler skips a digest only on an image entry sealed under the
 * farm's cache secret (docs/security.md); *mac must outlive it. */
static sf_sched *make_sched(const sf_kinvcfg *c, sf_kv *kv, sf_cmac **mac)
{
    sf_sched *s = NULL;
    sf_vdb *db = NULL;
    sf_error err = SF_ERROR_INIT;
    if (sf_cmac_load(mac, c->cache_secret_file, c->cache_secret, &err) != SF_OK) {
        SF_WARN("inventory", "cache secret unusable, every digest gets a job|error=\"%s\"",
                err.msg);
        return NULL;
    }
    if (!*mac && !c->cache_unauthenticated)
        SF_WARN("inventory", "no cache secret: cached results are not trusted, every running "
                             "digest gets a job|");
    if (c->db && sf_vdb_open(&db, c->db, &err) != SF_OK)
        SF_WARN("inventory", "vulnerability DB unreadable, every digest gets a job|db=%s "
                             "error=\"%s\"", c->db, err.msg);
    sf_sched_opts so = {.kv = kv, .prefix = c->key_prefix,
                        .db_version = db ? sf_vdb_version(db) : NULL, .mac = *mac,
                        .unauthenticated = c->cache_unauthenticated};
    if (sf_sched_new(&s, &so, &err) != SF_OK)
        SF_WARN("inventory", "no scheduler, every digest gets a job|error=\"%s\"", err.msg);
    sf_vdb_close(db);
    return s;
}

/* Scopes of every cluster: all namespaces, or one per namespace listed. */
static int make_scopes(const sf_kinvcfg *c, scope **out, size_t *n, sf_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < c->nclusters; i++) {
        const sf_strlist *ns = c->clusters[i].namespaces.n ? &c->clusters[i].namespaces
                                                           : &c->namespaces;
        total += ns->n ? ns->n : 1;
    }
    scope *v = calloc(total, sizeof *v);
    if (!v)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    *out = v;
    *n = 0;
    for (size_t i = 0; i < c->nclusters; i++) {
        const sf_kinv_cluster *k = &c->clusters[i];
        const sf_strlist *ns = k->namespaces.n ? &k->namespaces : &c->namespaces;
        for (size_t j = 0; j < (ns->n ? ns->n : 1); j++) {
            scope *s = &v[(*n)++];
            int rc = k->in_cluster ? sf_kcfg_in_cluster(&s->kcfg, c->sa_dir, err)
                                   : sf_kcfg_load(&s->kcfg, k->kubeconfig, k->context, err);
            if (rc)
                return rc;
            s->o = (sf_kinv_opts){.cluster = k->name, .kcfg = &s->kcfg,
                                  .ns = ns->n ? ns->v[j] : NULL, .prefix = c->key_prefix,
                                  .page_size = c->page_size,
                                  .watch_timeout_s = c->watch_timeout_s,
                                  .resolve_owners = c->resolve_owners,
                                  .resolve_nodes = c->resolve_nodes, .topic = c->topic,
                                  .once = c->once, .backoff_max_ms = c->backoff_max_s * 1000,
                                  .cancel = &g_cancel};
            s->err = (sf_error)SF_ERROR_INIT;
        }
    }
    return SF_OK;
}

/* /healthz: 200 while every watch thread runs, 503 once one has ended
 * (a fatal error: the pod is restarted) or a stop was asked for. */
static int route_healthz(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain; charset=utf-8";
    int bad = g_cancel || atomic_load(&g_scopes_down) > 0;
    return sf_buf_puts(body, bad ? "stopping\n" : "ok\n") == SF_OK && !bad ? 200 : 503;
}

static int route_metrics(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    (void)ctx;
    (void)req;
    *ct = "text/plain; version=0.0.4; charset=utf-8";
    return sf_metrics_render(sf_metrics_default(), body) == SF_OK ? 200 : 500;
}

static int start_httpd(const sf_kinvcfg *c, sf_httpd **out, sf_error *err)
{
    static const sf_httpd_route routes[] = {{"/healthz", route_healthz, NULL},
                                            {"/metrics", route_metrics, NULL}};
    *out = NULL;
    sf_buildinfo_register(sf_metrics_default(), "scanfarm-inventory");
    if (c->metrics_port <= 0)
        return SF_OK;
    return sf_httpd_start(out, c->metrics_addr, (int)c->metrics_port, routes, 2, err);
}

static int run(const sf_kinvcfg *c, sf_error *err)
{
    sf_httpd *httpd = NULL;
    sf_kv *kv = NULL;
    sf_kprod *prod = NULL;
    sf_sched *sched = NULL;
    sf_cmac *mac = NULL;
    scope *sc = NULL;
    size_t n = 0;
    int status = 0;
    sf_kv_opts ko = {.nodes = (const char *const *)c->redis.v, .nnodes = c->redis.n};
    sf_kv_opts_env(&ko); /* AUTH, TLS, cluster: SCANFARM_REDIS_* */
    int rc = start_httpd(c, &httpd, err);
    if (!rc)
        rc = sf_kv_new(&kv, &ko, err);
    sf_kprod_opts po = {.brokers = c->kafka, .client_id = "scanfarm-inventory"};
    if (!rc && c->jobs)
        rc = sf_kprod_new(&prod, &po, err);
    if (!rc && c->jobs)
        sched = make_sched(c, kv, &mac);
    if (!rc)
        rc = make_scopes(c, &sc, &n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        sc[i].o.kv = kv;
        sc[i].o.prod = prod;
        sc[i].o.sched = sched;
        if (pthread_create(&sc[i].th, NULL, scope_main, &sc[i]))
            rc = sf_error_set(err, SF_EINTERNAL, "cannot start a thread");
        else
            sc[i].started = 1;
    }
    if (rc) /* a scope could not start: stop the others */
        g_cancel = 1;
    for (size_t i = 0; i < n; i++) {
        if (!sc[i].started)
            continue;
        pthread_join(sc[i].th, NULL);
        status |= sc[i].rc != SF_OK;
    }
    if (prod && sf_kprod_flush(prod, 30000, err) != SF_OK && !rc)
        rc = SF_EKAFKA;
    for (size_t i = 0; sc && i < n; i++)
        sf_kcfg_clear(&sc[i].kcfg);
    free(sc);
    sf_sched_free(sched);
    sf_cmac_free(mac);
    sf_kprod_free(prod);
    sf_kv_free(kv);
    sf_httpd_stop(httpd);
    return rc ? rc : (status ? SF_EINTERNAL : SF_OK);
}

int main(int argc, char **argv)
{
    sf_kinvcfg cfg;
    sf_error err = SF_ERROR_INIT;
    int status = 0;
    sf_opt_cmd cmd;
    sf_log_init_from_env();
    if (sf_kinvcfg_load(&cfg, argc, argv, &cmd, &err)) {
        fprintf(stderr, "scanfarm-inventory: %s\n", err.msg);
        sf_kinvcfg_free(&cfg);
        return 64;
    }
    if (sf_opt_act(sf_kinvcfg_spec(), &cfg, &cmd, stdout)) {
        status = 0;
    } else {
        sf_log_level lvl;
        if (cfg.log_level && sf_log_parse_level(cfg.log_level, &lvl) == 0)
            sf_log_set_level(lvl);
        if (cfg.debug)
            sf_log_set_debug(cfg.debug);
        sf_sig_install_cancel(&g_cancel);
        if (run(&cfg, &err) != SF_OK) {
            fprintf(stderr, "scanfarm-inventory: %s\n", err.msg[0] ? err.msg : "a scope failed");
            status = 2;
        }
    }
    sf_kinvcfg_free(&cfg);
    return status;
}
