/*
 * events_http: see events_http.h. A connection is a socket plus, with
 * TLS, an OpenSSL session; conn_read/conn_write hide which. The accept
 * loop polls with a short timeout so stop is honoured within ~200 ms.
 */
#include "events_http.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/httpd.h"
#include "base/log.h"
#include "base/time.h"

struct sf_evh {
    int fd, port;
    sf_evh_opts o;
    SSL_CTX *tls;           /* only the accept thread reads or swaps it */
    char tls_sig[160];      /* identity of the files it was loaded from */
    long long tls_checked;  /* monotonic ms of the last look at the files */
    atomic_int stop, conns;
    pthread_t thr;
};

typedef struct conn {
    sf_evh *h;
    int fd;
    SSL *ssl;
} conn;

/* ---- head parsing ---- */

static const char *head_end(const char *d, size_t n)
{
    const char *a = memmem(d, n, "\r\n\r\n", 4);
    const char *b = memmem(d, n, "\n\n", 2);
    if (a && (!b || a < b))
        return a + 4;
    return b ? b + 2 : NULL;
}

/* Copy [v, v+n) trimmed into out; SF_ELIMIT when it does not fit. */
static int keep(char *out, size_t cap, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
        n--;
    if (n >= cap)
        return SF_ELIMIT;
    memcpy(out, v, n);
    out[n] = '\0';
    return SF_OK;
}

static int header(sf_evh_req *r, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (!colon || colon == line)
        return SF_EPARSE;
    size_t kn = (size_t)(colon - line);
    const char *v = colon + 1;
    size_t vn = n - kn - 1;
    for (size_t i = 0; i < kn; i++)
        if (line[i] <= 0x20 || line[i] >= 0x7f)
            return SF_EPARSE;
#define IS(name) (kn == sizeof(name) - 1 && strncasecmp(line, name, kn) == 0)
    if (IS("Authorization"))
        return keep(r->auth, sizeof r->auth, v, vn);
    if (IS("Content-Type"))
        return keep(r->ctype, sizeof r->ctype, v, vn);
    if (IS("WebHook-Request-Origin"))
        return keep(r->origin, sizeof r->origin, v, vn);
    if (IS("WebHook-Request-Rate"))
        return keep(r->rate, sizeof r->rate, v, vn);
    if (IS("Transfer-Encoding"))
        r->chunked = 1;
    if (IS("Content-Length")) {
        char num[24];
        if (keep(num, sizeof num, v, vn) != SF_OK || !num[0] || r->content_length >= 0)
            return SF_EPARSE;
        long long x = 0;
        for (const char *p = num; *p; p++) {
            if (*p < '0' || *p > '9' || x > (1LL << 50))
                return SF_EPARSE;
            x = x * 10 + (*p - '0');
        }
        r->content_length = x;
    }
#undef IS
    return SF_OK;
}

/* METHOD SP TARGET SP HTTP/1.x */
static int request_line(sf_evh_req *r, const char *d, size_t n)
{
    const char *sp1 = memchr(d, ' ', n);
    if (!sp1 || sp1 == d || (size_t)(sp1 - d) >= sizeof r->method)
        return SF_EPARSE;
    const char *t = sp1 + 1, *sp2 = memchr(t, ' ', n - (size_t)(t - d));
    if (!sp2 || sp2 == t)
        return SF_EPARSE;
    const char *ver = sp2 + 1;
    size_t vn = n - (size_t)(ver - d);
    if (vn != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1'))
        return SF_EUNSUPPORTED;
    for (const char *p = d; p < sp1; p++)
        if (*p < 'A' || *p > 'Z')
            return SF_EPARSE;
    size_t tn = (size_t)(sp2 - t);
    for (size_t i = 0; i < tn; i++)
        if (t[i] <= 0x20 || t[i] >= 0x7f)
            return SF_EPARSE;
    const char *q = memchr(t, '?', tn);
    size_t pn = q ? (size_t)(q - t) : tn;
    if (pn == 0 || t[0] != '/')
        return SF_EPARSE;
    if (pn >= sizeof r->path || (q && tn - pn - 1 >= sizeof r->query))
        return SF_ELIMIT;
    memcpy(r->method, d, (size_t)(sp1 - d));
    memcpy(r->path, t, pn);
    if (q)
        memcpy(r->query, q + 1, tn - pn - 1);
    return SF_OK;
}

int sf_evh_parse_head(const char *data, size_t len, sf_evh_req *req, int *complete)
{
    memset(req, 0, sizeof *req);
    req->content_length = -1;
    *complete = 0;
    if (len > SF_EVH_HEAD_MAX)
        len = SF_EVH_HEAD_MAX;
    const char *end = head_end(data, len);
    if (!end)
        return len >= SF_EVH_HEAD_MAX ? SF_ELIMIT : SF_OK;
    const char *p = data;
    int rc = SF_OK, first = 1;
    while (rc == SF_OK && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)(nl - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the blank line */
        rc = first ? request_line(req, p, n) : header(req, p, n);
        first = 0;
        p = nl + 1;
    }
    if (rc == SF_OK && first)
        rc = SF_EPARSE;
    req->head_len = (size_t)(end - data);
    *complete = rc == SF_OK;
    return rc;
}

/* ---- connection I/O ---- */

static ssize_t conn_read(conn *c, char *buf, size_t n)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, n > 1 << 30 ? 1 << 30 : (int)n);
        return r > 0 ? r : -1;
    }
    for (;;) {
        ssize_t r = recv(c->fd, buf, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        return r;
    }
}

static void conn_write(conn *c, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w;
        if (c->ssl) {
            int r = SSL_write(c->ssl, p, n > 1 << 30 ? 1 << 30 : (int)n);
            w = r > 0 ? r : -1;
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EINTR)
                continue;
        }
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static const char *reason(int s)
{
    switch (s) {
    case 200: return "OK";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

static void respond(conn *c, sf_evh_resp *r)
{
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
                     "Connection: close\r\n\r\n",
                     r->status, reason(r->status), r->ctype ? r->ctype : "text/plain",
                     r->body.len, r->headers);
    if (n > 0 && (size_t)n < sizeof head)
        conn_write(c, head, (size_t)n);
    if (r->body.len)
        conn_write(c, r->body.data, r->body.len);
}

static void reject(conn *c, int status, const char *why)
{
    sf_evh_resp r = {.status = status};
    sf_buf_init(&r.body, 4096);
    sf_buf_printf(&r.body, "%s\n", why);
    respond(c, &r);
    sf_buf_free(&r.body);
    if (c->h->o.on_reject)
        c->h->o.on_reject(c->h->o.ctx, status);
}

static long ms_since(uint64_t t0) { return (long)(sf_time_mono_ms() - t0); }

/* Read the rest of a body of blen bytes (some already in buf). */
static int read_body(conn *c, char *body, size_t have, size_t blen, uint64_t t0)
{
    while (have < blen) {
        ssize_t r = conn_read(c, body + have, blen - have);
        if (r <= 0 || ms_since(t0) > SF_EVH_READ_TIMEOUT_MS)
            return -1;
        have += (size_t)r;
    }
    return 0;
}

static void serve(conn *c)
{
    char head[SF_EVH_HEAD_MAX];
    size_t n = 0;
    sf_evh_req req;
    int complete = 0, rc = SF_OK;
    uint64_t t0 = sf_time_mono_ms();
    while (!complete && rc == SF_OK) {
        ssize_t r = conn_read(c, head + n, sizeof head - n);
        if (r <= 0 || ms_since(t0) > SF_EVH_READ_TIMEOUT_MS)
            return; /* closed, timed out, or a TLS failure: nothing to answer */
        n += (size_t)r;
        rc = sf_evh_parse_head(head, n, &req, &complete);
    }
    if (rc != SF_OK)
        return reject(c, rc == SF_ELIMIT ? 431 : 400, "malformed request head");
    int has_body = strcmp(req.method, "POST") == 0 || strcmp(req.method, "PUT") == 0;
    if (has_body && (req.chunked || req.content_length < 0))
        return reject(c, 411, "a Content-Length body is required");
    size_t blen = has_body ? (size_t)req.content_length : 0;
    if (blen > c->h->o.max_body)
        return reject(c, 413, "body larger than the configured cap");
    char *body = blen ? malloc(blen + 1) : NULL;
    if (blen && !body)
        return reject(c, 503, "out of memory");
    size_t have = n - req.head_len < blen ? n - req.head_len : blen;
    if (body)
        memcpy(body, head + req.head_len, have);
    if (body && read_body(c, body, have, blen, t0) != 0) {
        free(body);
        return;
    }
    if (body)
        body[blen] = '\0';
    sf_evh_resp resp = {.status = 500};
    sf_buf_init(&resp.body, 1u << 20);
    c->h->o.handler(c->h->o.ctx, &req, body, blen, &resp);
    respond(c, &resp);
    sf_buf_free(&resp.body);
    free(body);
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    struct timeval tv = {SF_EVH_READ_TIMEOUT_MS / 1000, 0};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (c->h->tls) {
        if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_accept(c->ssl) != 1) {
            SSL_free(c->ssl);
            c->ssl = NULL;
            goto done;
        }
    }
    if (!c->h->tls || c->ssl)
        serve(c);
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
done:
    close(c->fd);
    atomic_fetch_sub(&c->h->conns, 1);
    free(c);
    return NULL;
}

static void tls_maybe_reload(sf_evh *h);

static void *accept_main(void *arg)
{
    sf_evh *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {h->fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int fd = accept(h->fd, NULL, NULL);
        if (fd < 0)
            continue;
        conn *c = calloc(1, sizeof *c);
        pthread_t t;
        pthread_attr_t at;
        if (!c || atomic_fetch_add(&h->conns, 1) >= SF_EVH_MAX_CONNS) {
            static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                                       "Retry-After: 1\r\nConnection: close\r\n\r\n";
            if (!h->tls)
                (void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
            close(fd);
            free(c);
            if (c)
                atomic_fetch_sub(&h->conns, 1);
            continue;
        }
        c->h = h, c->fd = fd;
        if (h->tls) {
            tls_maybe_reload(h);
            c->ssl = SSL_new(h->tls);
        }
        pthread_attr_init(&at);
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &at, conn_main, c) != 0) {
            SSL_free(c->ssl);
            close(fd);
            free(c);
            atomic_fetch_sub(&h->conns, 1);
        }
        pthread_attr_destroy(&at);
    }
    return NULL;
}

int sf_evh_split_addr(const char *s, char *host, size_t cap, int *port, sf_error *err)
{
    const char *colon = s ? strrchr(s, ':') : NULL;
    char *end;
    if (!colon || colon == s || (size_t)(colon - s) >= cap)
        return sf_error_set(err, SF_ECONFIG, "listen address must be host:port");
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return sf_error_set(err, SF_ECONFIG, "listen address must be host:port");
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = '\0';
    *port = (int)p;
    return SF_OK;
}

/* What identifies the certificate and key files' contents: a renewal
 * (cert-manager, a kubelet-updated Secret volume's symlink swap) changes
 * the inode, size or mtime of at least one. "" when one is missing. */
static void tls_signature(const sf_evh *h, char *out, size_t n)
{
    struct stat a, b;
    out[0] = '\0';
    if (stat(h->o.tls_cert, &a) == 0 && stat(h->o.tls_key, &b) == 0)
        snprintf(out, n, "%lu:%lld:%lld.%ld|%lu:%lld:%lld.%ld", (unsigned long)a.st_ino,
                 (long long)a.st_size, (long long)a.st_mtim.tv_sec, a.st_mtim.tv_nsec,
                 (unsigned long)b.st_ino, (long long)b.st_size, (long long)b.st_mtim.tv_sec,
                 b.st_mtim.tv_nsec);
}

static SSL_CTX *tls_load(const sf_evh *h, sf_error *err)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
        SSL_CTX_use_certificate_chain_file(ctx, h->o.tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, h->o.tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        char e[160];
        ERR_error_string_n(ERR_get_error(), e, sizeof e);
        ERR_clear_error();
        SSL_CTX_free(ctx);
        sf_error_set(err, SF_ECONFIG, "TLS certificate/key unusable: %s", e);
        return NULL;
    }
    return ctx;
}

static int tls_init(sf_evh *h, sf_error *err)
{
    if (!h->o.tls_cert && !h->o.tls_key)
        return SF_OK;
    if (!h->o.tls_cert || !h->o.tls_key)
        return sf_error_set(err, SF_ECONFIG, "TLS needs both a certificate and a key");
    tls_signature(h, h->tls_sig, sizeof h->tls_sig);
    return (h->tls = tls_load(h, err)) ? SF_OK : err->code;
}

/* At most every SF_EVH_TLS_CHECK_MS: when the files changed, load them
 * and serve new connections with them. A pair that does not load (a
 * half-written renewal) keeps the old one and is tried again. */
static void tls_maybe_reload(sf_evh *h)
{
    long long now = (long long)sf_time_mono_ms();
    if (!h->tls || now - h->tls_checked < SF_EVH_TLS_CHECK_MS)
        return;
    h->tls_checked = now;
    char sig[sizeof h->tls_sig];
    tls_signature(h, sig, sizeof sig);
    if (!sig[0] || !strcmp(sig, h->tls_sig))
        return;
    sf_error e = SF_ERROR_INIT;
    SSL_CTX *ctx = tls_load(h, &e);
    if (!ctx) {
        SF_WARN("events", "TLS files changed but do not load; keeping the old ones|reason=%s",
                e.msg);
        return;
    }
    /* Sessions made with the old context hold their own reference. */
    SSL_CTX_free(h->tls);
    h->tls = ctx;
    snprintf(h->tls_sig, sizeof h->tls_sig, "%s", sig);
    SF_INFO("events", "TLS certificate reloaded|cert=%s", h->o.tls_cert);
}

int sf_evh_start(sf_evh **out, const sf_evh_opts *o, sf_error *err)
{
    *out = NULL;
    sf_evh *h = calloc(1, sizeof *h);
    if (!h)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    h->o = *o;
    h->fd = -1;
    int rc = tls_init(h, err);
    if (rc == SF_OK)
        rc = sf_httpd_listen(o->addr, o->port, 128, &h->fd, &h->port, err);
    if (rc == SF_OK && pthread_create(&h->thr, NULL, accept_main, h) != 0)
        rc = sf_error_set(err, SF_EINTERNAL, "cannot start the events HTTP thread");
    if (rc != SF_OK) {
        if (h->fd >= 0)
            close(h->fd);
        SSL_CTX_free(h->tls);
        free(h);
        return rc;
    }
    *out = h;
    return SF_OK;
}

int sf_evh_port(const sf_evh *h) { return h->port; }

void sf_evh_stop(sf_evh *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->thr, NULL);
    close(h->fd);
    /* Connection threads finish within their read deadline plus the
     * handler's own bound; wait for them so none touches freed state. */
    for (int i = 0; i < 1000 && atomic_load(&h->conns) > 0; i++)
        sf_time_sleep_ms(20, NULL);
    if (atomic_load(&h->conns) > 0) {
        SF_WARN("events", "connections still open at stop|count=%d", atomic_load(&h->conns));
        return; /* leak h rather than free it under a running thread */
    }
    SSL_CTX_free(h->tls);
    free(h);
}
