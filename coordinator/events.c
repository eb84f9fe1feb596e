/*
 * events: see events.h. This file holds the routes, authentication,
 * counters and the life cycle; events_merge.c the merge window and Kafka.
 */
#include "events.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/digest.h"
#include "base/log.h"
#include "events_int.h"

static const char *const SRC_NAMES[SF_SRC_N] = {"distribution", "harbor", "acr", "cloudevents"};
static int (*const PARSERS[SF_SRC_N])(const char *, size_t, sf_evlist *, sf_error *) = {
    sf_evp_distribution, sf_evp_harbor, sf_evp_acr, sf_evp_cloudevents};

/* ---- authentication ---- */

/* Constant-time equality of a and b[0..bn): both are hashed first, so
 * neither the content nor the length of the token leaks through timing. */
static int secret_eq(const char *a, const char *b, size_t bn)
{
    char ha[SF_DIGEST_MAX] = {0}, hb[SF_DIGEST_MAX] = {0};
    if (sf_digest_sha256(a, strlen(a), ha) != SF_OK || sf_digest_sha256(b, bn, hb) != SF_OK)
        return 0;
    return CRYPTO_memcmp(ha, hb, sizeof ha) == 0;
}

/* The value of `token=` in a query string (not decoded: tokens are
 * URL-safe), or NULL. */
static const char *query_token(const char *q, size_t *n)
{
    for (const char *p = q; p && *p;) {
        size_t seg = strcspn(p, "&");
        if (seg > 6 && strncmp(p, "token=", 6) == 0) {
            *n = seg - 6;
            return p + 6;
        }
        p += seg + (p[seg] == '&');
    }
    return NULL;
}

int sf_events_auth_ok(const char *token, const char *auth, const char *query)
{
    size_t qn = 0;
    const char *qt = query ? query_token(query, &qn) : NULL;
    int ok = 0;
    if (!token || !*token)
        return 0;
    /* Every candidate is compared, so the time does not tell which one
     * (or whether any) was present. */
    if (auth && *auth) {
        const char *b = strncasecmp(auth, "Bearer ", 7) == 0 ? auth + 7 : auth;
        ok |= secret_eq(token, auth, strlen(auth));
        ok |= secret_eq(token, b, strlen(b));
    }
    if (qt)
        ok |= secret_eq(token, qt, qn);
    return ok;
}

/* ---- routes ---- */

static void text(sf_evh_resp *r, int status, const char *msg)
{
    r->status = status;
    sf_buf_puts(&r->body, msg);
    sf_buf_puts(&r->body, "\n");
}

static void count_request(sf_events *ev, const char *src, int status)
{
    char s[8];
    snprintf(s, sizeof s, "%d", status);
    sf_metric_add(ev->m_requests, SF_LV(src, s), 1);
}

/* CloudEvents abuse protection: allow the origin that asks. */
static void handshake(const sf_evh_req *req, sf_evh_resp *r)
{
    char origin[256];
    /* Echo only header-safe characters. */
    size_t n = 0;
    for (const char *p = req->origin; *p && n + 1 < sizeof origin; p++)
        if (*p > 0x20 && *p < 0x7f)
            origin[n++] = *p;
    origin[n] = '\0';
    r->status = 200;
    snprintf(r->headers, sizeof r->headers,
             "WebHook-Allowed-Origin: %s\r\nWebHook-Allowed-Rate: *\r\nAllow: POST, OPTIONS\r\n",
             n ? origin : "*");
}

static void validation_reply(const sf_evlist *l, sf_evh_resp *r)
{
    r->status = 200;
    r->ctype = "application/json";
    sf_buf_printf(&r->body, "{\"validationResponse\":\"%s\"}", l->vcode);
}

/* Parse, queue, wait for delivery, answer. */
static void post_events(sf_events *ev, int src, const char *body, size_t blen, sf_evh_resp *r)
{
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    ev_ticket *t = NULL;
    uint64_t t0 = sf_ev_now_ms();
    int rc = PARSERS[src](body ? body : "", blen, &l, &e);
    for (size_t i = 0; rc == SF_OK && i < l.n && ev->cfg->events.allow_hosts.n; i++) {
        int ok = 0;
        for (size_t k = 0; k < ev->cfg->events.allow_hosts.n; k++)
            ok |= strcmp(ev->cfg->events.allow_hosts.v[k], l.v[i].registry) == 0;
        if (!ok)
            rc = sf_error_set(&e, SF_EPARSE, "registry %.200s is not in events_allow_hosts",
                              l.v[i].registry);
    }
    if (rc != SF_OK) {
        sf_ev_count(ev, ST_MALFORMED, 1);
        sf_metric_add(ev->m_events, SF_LV(SRC_NAMES[src], "malformed"), 1);
        SF_WARN("events", "malformed event|source=%s error=\"%s\"", SRC_NAMES[src], e.msg);
        text(r, 400, e.msg);
        goto done;
    }
    size_t pushes = 0;
    for (size_t i = 0; i < l.n; i++)
        pushes += l.v[i].action == SF_EV_PUSH;
    sf_ev_count(ev, ST_PUSHES, pushes);
    sf_ev_count(ev, ST_DELETES, l.n - pushes);
    sf_ev_count(ev, ST_IGNORED, l.ignored);
    sf_metric_add(ev->m_events, SF_LV(SRC_NAMES[src], "push"), (double)pushes);
    sf_metric_add(ev->m_events, SF_LV(SRC_NAMES[src], "delete"), (double)(l.n - pushes));
    sf_metric_add(ev->m_events, SF_LV(SRC_NAMES[src], "ignored"), (double)l.ignored);
    if (l.vcode[0] && l.n == 0) {
        validation_reply(&l, r);
        goto done;
    }
    if (l.n && (rc = sf_ev_submit(ev, &l, &t)) == SF_OK)
        rc = sf_ev_wait(ev, t, ev->cfg->events.ack_timeout_ms);
    if (rc != SF_OK) {
        char m[128];
        snprintf(m, sizeof m, "not delivered to Kafka yet (%s): retry", sf_err_name(rc));
        text(r, 503, m);
        goto done;
    }
    sf_metric_observe(ev->m_ack_s, NULL, (double)(sf_ev_now_ms() - t0) / 1000.0);
    r->status = 200;
    r->ctype = "application/json";
    sf_buf_printf(&r->body, "{\"accepted\":%zu,\"ignored\":%zu}", l.n, l.ignored);
done:
    sf_evlist_clear(&l);
}

static int source_of(const char *path)
{
    static const char pre[] = "/v1/events/";
    if (strncmp(path, pre, sizeof pre - 1) != 0)
        return -1;
    for (int i = 0; i < SF_SRC_N; i++)
        if (strcmp(path + sizeof pre - 1, SRC_NAMES[i]) == 0)
            return i;
    return -1;
}

static void healthz(sf_events *ev, sf_evh_resp *r)
{
    sf_error e = SF_ERROR_INIT;
    int bad = sf_kprod_fatal(ev->prod, &e) != SF_OK;
    r->status = bad ? 503 : 200;
    sf_buf_printf(&r->body, "%s\n", bad ? e.msg : "ok");
}

static void handle(void *ctx, const sf_evh_req *req, const char *body, size_t blen,
                   sf_evh_resp *r)
{
    sf_events *ev = ctx;
    int src = source_of(req->path);
    sf_ev_count(ev, ST_REQUESTS, 1);
    if (src < 0) {
        if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/healthz") == 0)
            return healthz(ev, r);
        if (strcmp(req->method, "GET") == 0 && strcmp(req->path, "/metrics") == 0) {
            r->status = sf_metrics_render(sf_metrics_default(), &r->body) == SF_OK ? 200 : 500;
            r->ctype = "text/plain; version=0.0.4; charset=utf-8";
            return;
        }
        return text(r, 404, "no such route");
    }
    int post = strcmp(req->method, "POST") == 0;
    int options = strcmp(req->method, "OPTIONS") == 0 && src == SF_SRC_CLOUDEVENTS;
    if (!post && !options)
        text(r, 405, "POST only");
    else if (!ev->token[src])
        text(r, 403, "no token configured for these events");
    else if (!sf_events_auth_ok(ev->token[src], req->auth, req->query)) {
        sf_ev_count(ev, ST_UNAUTH, 1);
        text(r, 401, "missing or wrong token");
    } else if (options)
        handshake(req, r);
    else
        post_events(ev, src, body, blen, r);
    count_request(ev, SRC_NAMES[src], r->status);
}

static void on_reject(void *ctx, int status)
{
    sf_events *ev = ctx;
    sf_ev_count(ev, ST_REQUESTS, 1);
    if (status == 413)
        sf_ev_count(ev, ST_TOO_LARGE, 1);
    count_request(ev, "-", status);
}

/* ---- life cycle ---- */

/* The token of a source: the secret option, else the first line of its
 * file. NULL when neither is set. */
static int load_token(const char *value, const char *file, char **out, sf_error *err)
{
    char line[1024];
    *out = NULL;
    if (value && *value)
        return (*out = sf_strdup(value)) ? SF_OK : sf_error_set(err, SF_ENOMEM, "oom");
    if (!file)
        return SF_OK;
    FILE *f = fopen(file, "r");
    if (!f || !fgets(line, sizeof line, f)) {
        if (f)
            fclose(f);
        return sf_error_set(err, SF_ECONFIG, "events token file %.200s unreadable or empty",
                            file);
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (!line[0])
        return sf_error_set(err, SF_ECONFIG, "events token file %.200s is empty", file);
    *out = sf_strdup(line);
    explicit_bzero(line, sizeof line);
    return *out ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
}

static int load_tokens(sf_events *ev, sf_error *err)
{
    const sf_eventscfg *c = &ev->cfg->events;
    const char *vals[SF_SRC_N] = {c->token_distribution, c->token_harbor, c->token_acr,
                                  c->token_cloudevents};
    const char *files[SF_SRC_N] = {c->token_file_distribution, c->token_file_harbor,
                                   c->token_file_acr, c->token_file_cloudevents};
    int rc = SF_OK, any = 0;
    for (int i = 0; rc == SF_OK && i < SF_SRC_N; i++) {
        rc = load_token(vals[i], files[i], &ev->token[i], err);
        any |= ev->token[i] != NULL;
    }
    if (rc == SF_OK && !any)
        rc = sf_error_set(err, SF_ECONFIG, "events_listen is set but no events_token_* is: "
                                           "every request would be refused");
    return rc;
}

static void init_metrics(sf_events *ev)
{
    sf_metrics *m = sf_metrics_default();
    ev->m_requests = sf_metrics_counter(m, "scanfarm_events_requests_total",
                                        "Webhook requests by source and HTTP status",
                                        "source,status");
    ev->m_events = sf_metrics_counter(m, "scanfarm_events_total",
                                      "Registry events by source and outcome (push, delete, "
                                      "ignored, malformed)", "source,outcome");
    ev->m_msgs = sf_metrics_counter(m, "scanfarm_events_messages_total",
                                    "Messages delivered for events (job, refs, unref)", "kind");
    ev->m_ack_s = sf_metrics_histogram(m, "scanfarm_events_ack_seconds",
                                       "From a webhook request to its delivered answer", NULL,
                                       NULL, 0);
}

int sf_events_new(sf_events **out, const sf_events_opts *o, sf_error *err)
{
    const sf_eventscfg *c = &o->cfg->events;
    char host[128];
    int port = 0, rc;
    *out = NULL;
    if ((rc = sf_evh_split_addr(c->listen, host, sizeof host, &port, err)) != SF_OK)
        return rc;
    if (!c->priority_topic || !*c->priority_topic)
        return sf_error_set(err, SF_ECONFIG, "events_priority_topic not set");
    sf_events *ev = calloc(1, sizeof *ev);
    if (!ev)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    ev->cfg = o->cfg, ev->sched = o->sched;
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    init_metrics(ev);
    sf_kprod_opts po = {.brokers = o->cfg->kafka, .client_id = "scanfarm-coordinator-events",
                        .linger_ms = 1, .on_delivery = sf_ev_on_delivery, .on_delivery_ctx = ev,
                        /* Past the ack timeout the request got its 503 and the
                         * registry will send the event again: a message still
                         * queued then is better failed than delivered late
                         * twice, and shutdown is not held up by it. */
                        .delivery_timeout_ms = c->ack_timeout_ms};
    if ((rc = load_tokens(ev, err)) == SF_OK && (rc = sf_kprod_new(&ev->prod, &po, err)) == SF_OK) {
        if (pthread_create(&ev->merger, NULL, sf_ev_merger_main, ev) == 0)
            ev->have_merger = 1;
        else
            rc = sf_error_set(err, SF_EINTERNAL, "cannot start the events merger");
    }
    sf_evh_opts ho = {.addr = host, .port = port, .max_body = (size_t)c->max_body,
                      .tls_cert = c->tls_cert, .tls_key = c->tls_key, .handler = handle,
                      .on_reject = on_reject, .ctx = ev};
    if (rc == SF_OK)
        rc = sf_evh_start(&ev->http, &ho, err);
    if (rc != SF_OK) {
        sf_events_free(ev);
        return rc;
    }
    SF_INFO("events", "listening|addr=%s:%d tls=%s priority_topic=%s merge_ms=%ld", host,
            sf_evh_port(ev->http), c->tls_cert ? "on" : "off", c->priority_topic, c->merge_ms);
    *out = ev;
    return SF_OK;
}

int sf_events_port(const sf_events *ev) { return sf_evh_port(ev->http); }

void sf_events_stats_get(sf_events *ev, sf_events_stats *out)
{
#define L(i) atomic_load(&ev->st[i])
    *out = (sf_events_stats){L(ST_REQUESTS), L(ST_UNAUTH), L(ST_MALFORMED), L(ST_TOO_LARGE),
                             L(ST_PUSHES), L(ST_DELETES), L(ST_IGNORED), L(ST_JOBS), L(ST_REFS),
                             L(ST_UNREFS), L(ST_MERGED), L(ST_FAILED)};
#undef L
}

void sf_events_free(sf_events *ev)
{
    if (!ev)
        return;
    sf_evh_stop(ev->http); /* no new requests; waiting ones finish or time out */
    pthread_mutex_lock(&ev->mu);
    ev->stopping = 1;
    pthread_cond_broadcast(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    if (ev->have_merger)
        pthread_join(ev->merger, NULL);
    sf_error e = SF_ERROR_INIT;
    if (ev->prod && sf_kprod_flush(ev->prod, ev->cfg->events.ack_timeout_ms + 1000, &e) != SF_OK)
        SF_WARN("events", "messages undelivered at exit: the registries will retry|error=\"%s\"",
                e.msg);
    sf_kprod_free(ev->prod);
    for (int i = 0; i < SF_SRC_N; i++) {
        if (ev->token[i])
            explicit_bzero(ev->token[i], strlen(ev->token[i]));
        free(ev->token[i]);
    }
    pthread_mutex_destroy(&ev->mu);
    pthread_cond_destroy(&ev->cv);
    free(ev);
}
