/*
 * api_http: see api_http.h. Threads hand connections over through one
 * mutex-guarded ring; the accept thread polls with a short timeout so a
 * stop is noticed within 200 ms.
 */
#include "api_http.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/httpd.h"
#include "base/log.h"
#include "base/time.h"

struct sf_api_http {
    sf_api_http_opts o;
    int fd, port;
    atomic_int stop;
    pthread_t acceptor, pool[SF_API_MAX_THREADS];
    int npool;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int q[SF_API_QUEUE];
    size_t qh, qn;
};

const char *sf_api_http_reason(int s)
{
    switch (s) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return s >= 500 ? "Internal Server Error" : "Error";
    }
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w, n -= (size_t)w;
    }
}

static void respond(int fd, int head_only, sf_api_resp *r)
{
    char h[2048];
    if (r->status == 0)
        r->status = 500;
    int n = snprintf(h, sizeof h,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\n%s\r\n",
                     r->status, sf_api_http_reason(r->status),
                     r->ctype ? r->ctype : "application/json", r->body.len, r->headers);
    if (n > 0 && (size_t)n < sizeof h)
        write_all(fd, h, (size_t)n);
    if (!head_only && r->body.len)
        write_all(fd, r->body.data, r->body.len);
}

/* A bare error for what never reached the handler. */
static void early_error(int fd, int status, const char *why)
{
    sf_api_resp r = {.status = status, .ctype = "application/json"};
    sf_buf_init(&r.body, 4096);
    sf_buf_printf(&r.body, "{\"error\":{\"status\":%d,\"code\":\"%s\",\"message\":\"%s\"}}",
                  status, status == 408 ? "timeout" : status == 503 ? "unavailable"
                          : status >= 413 && status != 505 ? "too_large" : "bad_parameter",
                  why);
    respond(fd, 0, &r);
    sf_buf_free(&r.body);
}

/* Read the head against the deadline; *status != 0 when refused. */
static int read_head(sf_api_http *h, int fd, char *buf, sf_api_req *req, int *status)
{
    size_t len = 0;
    int64_t deadline = (int64_t)sf_time_mono_ms() + h->o.read_timeout_ms;
    for (;;) {
        int complete = 0, rc = sf_api_req_parse(buf, len, req, &complete);
        if (rc != SF_OK) {
            *status = rc == SF_ELIMIT ? (strstr(req->why, "head") ? 431 : 414)
                      : rc == SF_EUNSUPPORTED ? 505 : 400;
            return -1;
        }
        if (complete)
            return 0;
        int64_t left = deadline - (int64_t)sf_time_mono_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            *status = 408;
            snprintf(req->why, sizeof req->why, "request head not received in time");
            return -1;
        }
        ssize_t n = recv(fd, buf + len, SF_API_MAX_HEAD - len, 0);
        if (n <= 0)
            return -2; /* the client went away */
        len += (size_t)n;
    }
}

static void serve(sf_api_http *h, int fd, char *buf, sf_api_req *req)
{
    int status = 0, r = read_head(h, fd, buf, req, &status);
    if (r == -1)
        early_error(fd, status, req->why);
    if (r != 0)
        return;
    sf_api_resp resp = {0};
    sf_buf_init(&resp.body, SF_API_MAX_BODY);
    h->o.fn(h->o.ctx, req, &resp);
    respond(fd, strcmp(req->method, "HEAD") == 0, &resp);
    sf_buf_free(&resp.body);
}

static void *pool_main(void *arg)
{
    sf_api_http *h = arg;
    char *buf = malloc(SF_API_MAX_HEAD + 1);
    sf_api_req *req = malloc(sizeof *req);
    for (;;) {
        pthread_mutex_lock(&h->mu);
        while (h->qn == 0 && !atomic_load(&h->stop))
            pthread_cond_wait(&h->cv, &h->mu);
        if (h->qn == 0) {
            pthread_mutex_unlock(&h->mu);
            break;
        }
        int fd = h->q[h->qh];
        h->qh = (h->qh + 1) % SF_API_QUEUE, h->qn--;
        pthread_mutex_unlock(&h->mu);
        if (buf && req)
            serve(h, fd, buf, req);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    free(buf);
    free(req);
    return NULL;
}

static void *accept_main(void *arg)
{
    sf_api_http *h = arg;
    while (!atomic_load(&h->stop)) {
        struct pollfd p = {.fd = h->fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        struct timeval tv = {.tv_sec = 10};
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        pthread_mutex_lock(&h->mu);
        int full = h->qn == SF_API_QUEUE;
        if (!full) {
            h->q[(h->qh + h->qn) % SF_API_QUEUE] = c;
            h->qn++;
            pthread_cond_signal(&h->cv);
        }
        pthread_mutex_unlock(&h->mu);
        if (full) {
            early_error(c, 503, "server busy");
            close(c);
        }
    }
    return NULL;
}

int sf_api_http_start(sf_api_http **out, const sf_api_http_opts *o, sf_error *err)
{
    *out = NULL;
    if (o->threads < 1 || o->threads > SF_API_MAX_THREADS || !o->fn)
        return sf_error_set(err, SF_EINVAL, "API server threads must be 1..%d",
                            SF_API_MAX_THREADS);
    sf_api_http *h = calloc(1, sizeof *h);
    if (!h)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    h->o = *o;
    if (h->o.read_timeout_ms <= 0)
        h->o.read_timeout_ms = 5000;
    int rc = sf_httpd_listen(o->addr, o->port, 128, &h->fd, &h->port, err);
    if (rc != SF_OK) {
        free(h);
        return rc;
    }
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    for (; h->npool < o->threads; h->npool++)
        if (pthread_create(&h->pool[h->npool], NULL, pool_main, h) != 0)
            break;
    if (h->npool == 0 || pthread_create(&h->acceptor, NULL, accept_main, h) != 0) {
        atomic_store(&h->stop, 1);
        pthread_cond_broadcast(&h->cv);
        for (int i = 0; i < h->npool; i++)
            pthread_join(h->pool[i], NULL);
        close(h->fd);
        free(h);
        return sf_error_set(err, SF_EIO, "cannot start the API server threads");
    }
    *out = h;
    return SF_OK;
}

int sf_api_http_port(const sf_api_http *h) { return h->port; }

void sf_api_http_stop(sf_api_http *h)
{
    if (!h)
        return;
    atomic_store(&h->stop, 1);
    pthread_join(h->acceptor, NULL);
    pthread_mutex_lock(&h->mu);
    pthread_cond_broadcast(&h->cv);
    pthread_mutex_unlock(&h->mu);
    for (int i = 0; i < h->npool; i++)
        pthread_join(h->pool[i], NULL);
    close(h->fd);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h);
}
