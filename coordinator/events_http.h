/*
 * events_http: the coordinator's small HTTP/1.1 server for registry
 * webhooks (events.h holds the routes).
 *
 * Unlike common/base/httpd (GET-only scrapes, one connection at a time)
 * this one reads request bodies and serves connections concurrently: a
 * webhook is answered only after its job is in Kafka (tens of ms to a
 * few hundred with the merge window), and senders such as Harbor or
 * Event Grid deliver in parallel, which is what lets a burst merge. One
 * accept thread; one detached thread per connection, at most
 * SF_EVH_MAX_CONNS at once (more get 503 at once). Each request: head
 * within SF_EVH_HEAD_MAX bytes, a Content-Length body up to the
 * configured cap (413 past it, 411 without a length), the whole request
 * within SF_EVH_READ_TIMEOUT_MS; one request per connection
 * (Connection: close).
 *
 * TLS: when a certificate and key are given, every connection is TLS
 * (OpenSSL); otherwise plain HTTP (meant for loopback or behind a TLS
 * proxy). The files are watched (SF_EVH_TLS_CHECK_MS): a renewed pair is
 * loaded for the next connections without a restart; one that does not
 * load is logged and the old pair stays.
 *
 * Users: the coordinator's push-events listener (events.h) and
 * scanfarm-admission (admission.h).
 *
 * The head parser is exposed for the fuzzer and unit tests.
 */
#ifndef SF_COORD_EVENTS_HTTP_H
#define SF_COORD_EVENTS_HTTP_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h" /* SF_EVH_*: head size, read deadline, connections */

typedef struct sf_evh_req {
    char method[8];
    char path[256];        /* without the query */
    char query[1024];      /* after '?', "" none */
    char auth[1024];       /* Authorization value, "" none */
    char ctype[128];       /* Content-Type */
    char origin[256];      /* WebHook-Request-Origin (CloudEvents handshake) */
    char rate[32];         /* WebHook-Request-Rate */
    long long content_length; /* -1 when absent */
    int chunked;           /* Transfer-Encoding present */
    size_t head_len;       /* bytes of the head, blank line included */
} sf_evh_req;

/*
 * Parse a request head from data[0..len). *complete = 0 while the blank
 * line has not arrived. SF_OK; SF_EPARSE malformed; SF_ELIMIT head or a
 * kept field too long; SF_EUNSUPPORTED not HTTP/1.x.
 */
int sf_evh_parse_head(const char *data, size_t len, sf_evh_req *req, int *complete);

/* The answer a handler fills. */
typedef struct sf_evh_resp {
    int status;
    const char *ctype;     /* NULL = text/plain */
    sf_buf body;           /* initialised by the server, cap 1 MiB */
    char headers[512];     /* extra header lines, each ending "\r\n" */
} sf_evh_resp;

/* Called on a connection thread for each complete request (body may be
 * NULL when empty). Must be thread-safe. */
typedef void (*sf_evh_handler)(void *ctx, const sf_evh_req *req, const char *body, size_t blen,
                               sf_evh_resp *resp);
/* Called for a request refused before the handler (reason = status). */
typedef void (*sf_evh_reject_fn)(void *ctx, int status);

typedef struct sf_evh_opts {
    const char *addr;      /* "127.0.0.1" */
    int port;              /* 0 = any free port */
    size_t max_body;       /* bytes */
    const char *tls_cert;  /* PEM; NULL = plain HTTP */
    const char *tls_key;
    sf_evh_handler handler;
    sf_evh_reject_fn on_reject; /* may be NULL */
    void *ctx;
} sf_evh_opts;

typedef struct sf_evh sf_evh;

int sf_evh_start(sf_evh **out, const sf_evh_opts *o, sf_error *err);
int sf_evh_port(const sf_evh *h);
/* Stop accepting, wait (bounded) for connection threads, free. NULL-safe. */
void sf_evh_stop(sf_evh *h);

/* "host:port" -> host and port (port required). SF_ECONFIG otherwise. */
int sf_evh_split_addr(const char *s, char *host, size_t cap, int *port, sf_error *err);

#endif
