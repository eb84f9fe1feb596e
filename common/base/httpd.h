/*
 * httpd: a tiny HTTP/1.x server thread for /metrics and /healthz.
 *
 * One thread accepts and serves connections one at a time (scrapes are a
 * few per minute); every request is read with a deadline and a size cap,
 * answered, and closed. Only GET and HEAD are served. Binding to
 * 127.0.0.1 keeps it loopback-only; "0.0.0.0" exposes it to a scraper.
 *
 * The request parser is exposed for the fuzzer and unit tests.
 */
#ifndef SF_HTTPD_H
#define SF_HTTPD_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Request head limit: a scrape request is ~200 bytes; browsers send ~2 KiB. */
#define SF_HTTPD_MAX_REQUEST 8192
/* Time a client gets to send its request head. */
#define SF_HTTPD_READ_TIMEOUT_MS 2000

typedef struct sf_http_req {
    char method[8];   /* "GET", "HEAD" */
    char path[512];   /* path without the query string */
    int minor;        /* HTTP/1.<minor> */
} sf_http_req;

/*
 * Parse a request head from data[0..len). *complete = 0 when the blank
 * line ending the head has not arrived yet (read more). SF_OK, SF_EPARSE
 * (malformed), SF_ELIMIT (head or a field too long), SF_EUNSUPPORTED
 * (not HTTP/1.x).
 */
int sf_httpd_parse_request(const char *data, size_t len, sf_http_req *req, int *complete);

/* A route: fills body and content type; returns the HTTP status. */
typedef int (*sf_httpd_handler)(void *ctx, const sf_http_req *req, sf_buf *body,
                                const char **content_type);

typedef struct sf_httpd_route {
    const char *path;
    sf_httpd_handler fn;
    void *ctx;
} sf_httpd_route;

typedef struct sf_httpd sf_httpd;

/* Listen on addr:port (port 0 picks a free one, see sf_httpd_port) and
 * start the server thread. routes is borrowed (nroutes <= 16). */
int sf_httpd_start(sf_httpd **out, const char *addr, int port, const sf_httpd_route *routes,
                   size_t nroutes, sf_error *err);
/* A listening TCP socket on addr:port (port 0 picks a free one, written
 * to *bound), close-on-exec, SO_REUSEADDR. Shared with the coordinator's
 * events listener. SF_ECONFIG bad address, SF_EIO bind/listen failed. */
int sf_httpd_listen(const char *addr, int port, int backlog, int *fd, int *bound, sf_error *err);

/* The port actually bound. */
int sf_httpd_port(const sf_httpd *h);
/* Stop the thread, close the socket, free. NULL-safe. */
void sf_httpd_stop(sf_httpd *h);

#endif
