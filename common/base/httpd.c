/*
 * httpd: see httpd.h. The accept loop polls the listening socket with a
 * short timeout so sf_httpd_stop() is honoured within ~200 ms without
 * signals; each connection gets SO_RCVTIMEO/SO_SNDTIMEO so a slow or
 * silent client cannot hold the thread past its deadline.
 */
#include "base/httpd.h"
#include "base/limits.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/time.h"

#define MAX_ROUTES SF_LIM_HTTPD_ROUTES

struct sf_httpd {
    int fd;
    int port;
    sf_httpd_route routes[MAX_ROUTES];
    size_t nroutes;
    atomic_int stop;
    pthread_t thr;
};

/* Find the end of the request head ("\r\n\r\n", or "\n\n" from lax clients). */
static const char *head_end(const char *d, size_t n)
{
    const char *a = memmem(d, n, "\r\n\r\n", 4);
    const char *b = memmem(d, n, "\n\n", 2);
    if (a && (!b || a < b))
        return a + 4;
    return b ? b + 2 : NULL;
}

static int token_char(char c) { return c > 0x20 && c < 0x7f; }

int sf_httpd_parse_request(const char *data, size_t len, sf_http_req *req, int *complete)
{
    memset(req, 0, sizeof *req);
    *complete = 0;
    if (len > SF_HTTPD_MAX_REQUEST)
        len = SF_HTTPD_MAX_REQUEST;
    const char *end = head_end(data, len);
    if (!end) {
        /* A full buffer with no end of head is too long, not incomplete. */
        if (len >= SF_HTTPD_MAX_REQUEST)
            return SF_ELIMIT;
        return SF_OK;
    }
    const char *eol = memchr(data, '\n', (size_t)(end - data));
    size_t llen = (size_t)(eol - data);
    if (llen > 0 && data[llen - 1] == '\r')
        llen--;
    /* Request line: METHOD SP TARGET SP HTTP/1.x */
    const char *sp1 = memchr(data, ' ', llen);
    if (!sp1 || sp1 == data)
        return SF_EPARSE;
    size_t mlen = (size_t)(sp1 - data);
    if (mlen >= sizeof req->method)
        return SF_EPARSE;
    const char *tgt = sp1 + 1;
    const char *sp2 = memchr(tgt, ' ', llen - (size_t)(tgt - data));
    if (!sp2 || sp2 == tgt)
        return SF_EPARSE;
    const char *ver = sp2 + 1;
    size_t vlen = llen - (size_t)(ver - data);
    if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1'))
        return SF_EUNSUPPORTED;
    for (size_t i = 0; i < mlen; i++)
        if (data[i] < 'A' || data[i] > 'Z')
            return SF_EPARSE;
    size_t tlen = (size_t)(sp2 - tgt);
    const char *q = memchr(tgt, '?', tlen);
    size_t plen = q ? (size_t)(q - tgt) : tlen;
    if (plen == 0 || tgt[0] != '/')
        return SF_EPARSE;
    if (plen >= sizeof req->path)
        return SF_ELIMIT;
    for (size_t i = 0; i < tlen; i++)
        if (!token_char(tgt[i]))
            return SF_EPARSE;
    memcpy(req->method, data, mlen);
    memcpy(req->path, tgt, plen);
    req->minor = ver[7] - '0';
    *complete = 1;
    return SF_OK;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void respond(int fd, int status, const char *ctype, const sf_buf *body, int head_only)
{
    const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found"
                       : status == 405 ? "Method Not Allowed" : status == 400 ? "Bad Request"
                       : status == 431 ? "Request Header Fields Too Large"
                       : status == 503 ? "Service Unavailable" : "Internal Server Error";
    char head[256];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, reason, ctype, body ? body->len : 0);
    send_all(fd, head, (size_t)n);
    if (body && body->len && !head_only)
        send_all(fd, body->data, body->len);
}

/* Read the head within the deadline, route, answer. */
static void serve(sf_httpd *h, int fd)
{
    char buf[SF_HTTPD_MAX_REQUEST];
    size_t n = 0;
    sf_http_req req;
    int complete = 0, rc = SF_OK;
    uint64_t t0 = sf_time_mono_ms();
    while (!complete) {
        ssize_t r = recv(fd, buf + n, sizeof buf - n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return; /* closed, timed out or reset: nothing to answer */
        n += (size_t)r;
        rc = sf_httpd_parse_request(buf, n, &req, &complete);
        if (rc != SF_OK)
            break;
        if (sf_time_mono_ms() - t0 > SF_HTTPD_READ_TIMEOUT_MS)
            return;
    }
    if (rc != SF_OK) {
        respond(fd, rc == SF_ELIMIT ? 431 : 400, "text/plain", NULL, 0);
        return;
    }
    int head_only = strcmp(req.method, "HEAD") == 0;
    if (!head_only && strcmp(req.method, "GET") != 0) {
        respond(fd, 405, "text/plain", NULL, 0);
        return;
    }
    for (size_t i = 0; i < h->nroutes; i++) {
        if (strcmp(h->routes[i].path, req.path) != 0)
            continue;
        sf_buf body;
        const char *ctype = "text/plain; charset=utf-8";
        sf_buf_init(&body, 64u << 20);
        int status = h->routes[i].fn(h->routes[i].ctx, &req, &body, &ctype);
        respond(fd, status, ctype, &body, head_only);
        sf_buf_free(&body);
        return;
    }
    respond(fd, 404, "text/plain", NULL, 0);
}

static void *httpd_main(void *arg)
{
    sf_httpd *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {h->fd, POLLIN, 0};
        int r = poll(&p, 1, 200);
        if (r <= 0)
            continue;
        int c = accept(h->fd, NULL, NULL);
        if (c < 0)
            continue;
        struct timeval tv = {SF_HTTPD_READ_TIMEOUT_MS / 1000, 0};
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        serve(h, c);
        close(c);
    }
    return NULL;
}

int sf_httpd_listen(const char *addr, int port, int backlog, int *fd, int *bound, sf_error *err)
{
    *fd = -1;
    if (port < 0 || port > 65535)
        return sf_error_set(err, SF_EINVAL, "bad HTTP server port %d", port);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr ? addr : "127.0.0.1", &sa.sin_addr) != 1)
        return sf_error_set(err, SF_ECONFIG, "bad listen address '%.64s'", addr);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    socklen_t sl = sizeof sa;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, backlog) != 0 ||
        getsockname(s, (struct sockaddr *)&sa, &sl) != 0) {
        int e = errno;
        if (s >= 0)
            close(s);
        return sf_error_set(err, SF_EIO, "cannot listen on %s:%d: %s", addr ? addr : "127.0.0.1",
                            port, strerror(e));
    }
    *fd = s;
    *bound = ntohs(sa.sin_port);
    return SF_OK;
}

int sf_httpd_start(sf_httpd **out, const char *addr, int port, const sf_httpd_route *routes,
                   size_t nroutes, sf_error *err)
{
    *out = NULL;
    if (nroutes > MAX_ROUTES)
        return sf_error_set(err, SF_EINVAL, "bad HTTP server arguments");
    sf_httpd *h = calloc(1, sizeof *h);
    if (!h)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = sf_httpd_listen(addr, port, 16, &h->fd, &h->port, err);
    if (rc != SF_OK) {
        free(h);
        return rc;
    }
    memcpy(h->routes, routes, nroutes * sizeof *routes);
    h->nroutes = nroutes;
    if (pthread_create(&h->thr, NULL, httpd_main, h) != 0) {
        close(h->fd);
        free(h);
        return sf_error_set(err, SF_EINTERNAL, "cannot start the HTTP thread");
    }
    *out = h;
    return SF_OK;
}

int sf_httpd_port(const sf_httpd *h) { return h->port; }

void sf_httpd_stop(sf_httpd *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->thr, NULL);
    close(h->fd);
    free(h);
}
