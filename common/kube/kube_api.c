/*
 * kube_api: see kube_api.h. A watch body is read as it streams: bytes go
 * into a line buffer capped at one object, and each complete line is
 * parsed and handed over before the next chunk is read, so memory stays
 * at one event however long the watch lasts.
 */
#include "kube/kube_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "registry/http.h"

/* Longest "Bearer <token>" (service-account JWTs are ~1 KiB). */
#define KAPI_AUTH_MAX 16384

struct sf_kapi {
    const sf_kcfg *cfg;
    sf_http *http;
    long watch_timeout_s;
};

int sf_kapi_name_ok(const char *s)
{
    static const char name[] = "abcdefghijklmnopqrstuvwxyz0123456789-.";
    return sf_str_token_ok(s, 253, name, name);
}

int sf_kapi_new(sf_kapi **out, const sf_kapi_opts *o, sf_error *err)
{
    sf_http_opts ho;
    *out = NULL;
    sf_kapi *a = calloc(1, sizeof *a);
    if (!a)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    a->cfg = o->cfg;
    a->watch_timeout_s = o->watch_timeout_s > 0 ? o->watch_timeout_s : 300;
    sf_http_opts_default(&ho);
    ho.insecure = o->cfg->insecure;
    ho.max_conns = 2;
    ho.max_retries = o->max_retries < 0 ? 3 : o->max_retries;
    ho.cancel = o->cancel;
    /* A watch is quiet between events and bookmarks; the server ends it
     * after timeoutSeconds, so silence past that (plus slack) is a dead
     * connection. */
    ho.stall_timeout_ms = (a->watch_timeout_s + 30) * 1000;
    ho.ca_pem = o->cfg->ca_pem;
    ho.cert_pem = o->cfg->cert_pem;
    ho.key_pem = o->cfg->key_pem;
    int rc = sf_http_new(&a->http, &ho, err);
    if (rc) {
        free(a);
        return rc;
    }
    *out = a;
    return SF_OK;
}

void sf_kapi_free(sf_kapi *a)
{
    if (!a)
        return;
    sf_http_free(a->http);
    free(a);
}

const char *sf_kapi_server(const sf_kapi *a) { return a->cfg->server; }

/* server + path into url. */
static int make_url(sf_kapi *a, char *url, size_t n, const char *path, sf_error *err)
{
    const char *s = a->cfg->server;
    size_t sl = strlen(s);
    while (sl > 0 && s[sl - 1] == '/')
        sl--;
    int w = snprintf(url, n, "%.*s%s", (int)sl, s, path);
    if (w < 0 || (size_t)w >= n)
        return sf_error_set(err, SF_ELIMIT, "API URL too long");
    return SF_OK;
}

static int pods_path(char *out, size_t n, const char *ns)
{
    if (ns && !sf_kapi_name_ok(ns))
        return SF_EINVAL;
    int w = ns ? snprintf(out, n, "/api/v1/namespaces/%s/pods", ns)
               : snprintf(out, n, "/api/v1/pods");
    return w < 0 || (size_t)w >= n ? SF_ELIMIT : SF_OK;
}

/* One request; auth is wiped afterwards. */
static int fetch(sf_kapi *a, const char *path, sf_buf *body,
                 int (*sink)(void *, const void *, size_t), void *sctx, int no_retry,
                 long *status, sf_error *err)
{
    char url[8192], auth[KAPI_AUTH_MAX];
    sf_http_resp resp;
    int rc = make_url(a, url, sizeof url, path, err);
    if (!rc)
        rc = sf_kcfg_bearer(a->cfg, auth, sizeof auth, err);
    if (rc)
        return rc;
    sf_http_req req = {.method = "GET", .url = url, .accept = "application/json",
                       .authorization = auth[0] ? auth : NULL, .body = body, .sink = sink,
                       .sink_ctx = sctx, .no_retry = no_retry};
    rc = sf_http_fetch(a->http, &req, &resp, err);
    explicit_bzero(auth, sizeof auth);
    *status = resp.status;
    if (!rc && (resp.status == 401 || resp.status == 403))
        rc = sf_error_set(err, SF_EAUTH, "%s: HTTP %ld (credentials refused)", path,
                          resp.status);
    return rc;
}

/* Parses a 2xx answer's body (json, len) into the caller's out. */
typedef int (*body_parse_fn)(const char *json, size_t len, void *out, sf_error *err);

/* GET path, its body capped at max, and parse it into out when the answer
 * is 2xx; *status is the HTTP status either way (0 when none came). */
static int get_parsed(sf_kapi *a, const char *path, size_t max, body_parse_fn parse, void *out,
                      long *status, sf_error *err)
{
    sf_buf body;
    sf_buf_init(&body, max);
    int rc = fetch(a, path, &body, NULL, NULL, 0, status, err);
    if (!rc && *status / 100 == 2)
        rc = parse(body.data ? body.data : "", body.len, out, err);
    sf_buf_free(&body);
    return rc;
}

static int parse_pod_list(const char *json, size_t len, void *out, sf_error *err)
{
    return sf_kpod_list_parse(json, len, out, err);
}

int sf_kapi_list_pods(sf_kapi *a, const char *ns, long limit, const char *cont,
                      sf_kpod_list *out, long *status, sf_error *err)
{
    char path[4096], esc[2048] = "";
    memset(out, 0, sizeof *out);
    if (pods_path(path, sizeof path, ns) != SF_OK)
        return sf_error_set(err, SF_EINVAL, "bad namespace");
    if (cont && sf_http_query_escape(cont, esc, sizeof esc) != SF_OK)
        return sf_error_set(err, SF_ELIMIT, "continue token too long");
    size_t pl = strlen(path);
    snprintf(path + pl, sizeof path - pl, "?limit=%ld%s%s", limit > 0 ? limit : 500,
             cont ? "&continue=" : "", esc);
    return get_parsed(a, path, SF_LIM_KUBE_LIST_BYTES, parse_pod_list, out, status, err);
}

typedef struct wstream {
    sf_buf line;
    sf_kapi_event_fn fn;
    void *ctx;
    sf_error *err;
    long events;
} wstream;

static int deliver(wstream *w, const char *s, size_t n)
{
    sf_kev ev;
    while (n && (s[n - 1] == '\r' || s[n - 1] == ' '))
        n--;
    if (n == 0)
        return SF_OK;
    int rc = sf_kev_parse(s, n, &ev, w->err);
    if (rc)
        return rc;
    w->events++;
    rc = w->fn(w->ctx, &ev);
    sf_kev_clear(&ev);
    return rc;
}

/* Split the stream into lines; a line longer than one object is refused. */
static int wsink(void *ctx, const void *data, size_t n)
{
    wstream *w = ctx;
    const char *p = data, *end = p + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t take = nl ? (size_t)(nl - p) : (size_t)(end - p);
        int rc = sf_buf_append(&w->line, p, take);
        if (rc)
            return sf_error_set(w->err, SF_ELIMIT, "watch event longer than %u bytes",
                                SF_LIM_KUBE_OBJECT_BYTES);
        if (!nl)
            return SF_OK;
        rc = deliver(w, w->line.data ? w->line.data : "", w->line.len);
        sf_buf_reset(&w->line);
        if (rc)
            return rc;
        p = nl + 1;
    }
    return SF_OK;
}

int sf_kapi_watch_pods(sf_kapi *a, const char *ns, const char *rv, sf_kapi_event_fn fn,
                       void *ctx, long *status, sf_error *err)
{
    char path[4096], esc[512] = "";
    if (pods_path(path, sizeof path, ns) != SF_OK)
        return sf_error_set(err, SF_EINVAL, "bad namespace");
    if (rv && sf_http_query_escape(rv, esc, sizeof esc) != SF_OK)
        return sf_error_set(err, SF_ELIMIT, "resourceVersion too long");
    size_t pl = strlen(path);
    snprintf(path + pl, sizeof path - pl,
             "?watch=1&allowWatchBookmarks=true&timeoutSeconds=%ld%s%s", a->watch_timeout_s,
             rv ? "&resourceVersion=" : "", esc);
    wstream w = {.fn = fn, .ctx = ctx, .err = err};
    sf_buf_init(&w.line, SF_LIM_KUBE_OBJECT_BYTES);
    int rc = fetch(a, path, NULL, wsink, &w, 1, status, err);
    /* a last event without its newline (the server closed right after) */
    if (!rc && w.line.len)
        rc = deliver(&w, w.line.data, w.line.len);
    sf_buf_free(&w.line);
    SF_DEBUG("kube", "watch ended|server=%s status=%ld events=%ld rc=%d", a->cfg->server,
             *status, w.events, rc);
    return rc;
}

static int parse_owner(const char *json, size_t len, void *out, sf_error *err)
{
    return sf_kpod_owner_parse(json, len, out, err);
}

int sf_kapi_get_owner(sf_kapi *a, const char *ns, const char *kind, const char *name,
                      sf_kpod_owner *out, long *status, sf_error *err)
{
    char path[1024];
    int res = strcmp(kind, "ReplicaSet") == 0 || strcmp(kind, "Job") == 0;
    memset(out, 0, sizeof *out);
    *status = 0;
    if (!res)
        return sf_error_set(err, SF_EUNSUPPORTED, "owner kind %.32s is not walked", kind);
    if (!sf_kapi_name_ok(ns) || !sf_kapi_name_ok(name))
        return sf_error_set(err, SF_EINVAL, "bad owner name");
    if (strcmp(kind, "Job") == 0)
        snprintf(path, sizeof path, "/apis/batch/v1/namespaces/%s/jobs/%s", ns, name);
    else
        snprintf(path, sizeof path, "/apis/apps/v1/namespaces/%s/replicasets/%s", ns, name);
    return get_parsed(a, path, SF_LIM_KUBE_OBJECT_BYTES, parse_owner, out, status, err);
}

/* Where sf_knode_platform_parse writes. */
typedef struct platform_out {
    char *s;
    size_t len;
} platform_out;

static int parse_platform(const char *json, size_t len, void *out, sf_error *err)
{
    platform_out *p = out;
    return sf_knode_platform_parse(json, len, p->s, p->len, err);
}

int sf_kapi_node_platform(sf_kapi *a, const char *name, char *out, size_t outlen, long *status,
                          sf_error *err)
{
    char path[512];
    platform_out po = {out, outlen};
    out[0] = '\0';
    *status = 0;
    if (!sf_kapi_name_ok(name))
        return sf_error_set(err, SF_EINVAL, "bad node name");
    snprintf(path, sizeof path, "/api/v1/nodes/%s", name);
    return get_parsed(a, path, SF_LIM_KUBE_OBJECT_BYTES, parse_platform, &po, status, err);
}
