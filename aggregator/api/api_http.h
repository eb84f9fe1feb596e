/*
 * api_http: the small threaded HTTP/1.1 server of scanfarm-api. One
 * thread accepts and queues connections; a fixed pool of threads serves
 * them, one request per connection (Connection: close). Every request head
 * is read against a deadline and a size cap; a full queue is answered 503
 * at once instead of piling up. The handler runs on a pool thread and
 * must be thread-safe.
 */
#ifndef SF_API_HTTP_H
#define SF_API_HTTP_H

#include <stddef.h>

#include "api_req.h"
#include "base/buf.h"
#include "base/err.h"

/* Connections waiting for a pool thread before new ones get 503. */
#define SF_API_QUEUE 256
/* Pool threads at most (the server is I/O bound on Redis). */
#define SF_API_MAX_THREADS 64
/* Response body cap: a 500-item page of images is ~1 MiB; the largest
 * image detail (50k findings) stays under this. */
#define SF_API_MAX_BODY (64u << 20)

typedef struct sf_api_resp {
    int status;
    const char *ctype;  /* static string */
    sf_buf body;
    char headers[1024]; /* extra header lines, each ending "\r\n" */
} sf_api_resp;

/* Fill resp for req (status 0 = 500). */
typedef void (*sf_api_handler)(void *ctx, const sf_api_req *req, sf_api_resp *resp);

typedef struct sf_api_http sf_api_http;

typedef struct sf_api_http_opts {
    const char *addr;      /* IPv4 address to bind */
    int port;              /* 0 = any free one (sf_api_http_port) */
    int threads;           /* pool size, 1..SF_API_MAX_THREADS */
    long read_timeout_ms;  /* deadline for the whole request head */
    sf_api_handler fn;
    void *ctx;
} sf_api_http_opts;

int sf_api_http_start(sf_api_http **out, const sf_api_http_opts *o, sf_error *err);
int sf_api_http_port(const sf_api_http *h);
/* Stop accepting, let the pool finish its requests, free. NULL-safe. */
void sf_api_http_stop(sf_api_http *h);

/* Reason phrase of an HTTP status. */
const char *sf_api_http_reason(int status);

#endif
