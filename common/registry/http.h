/*
 * http: the libcurl transport under the registry client (private to
 * common/registry). One sf_http per registry owns a curl share handle
 * (DNS, TLS sessions), a pool of easy handles (each with its own
 * connections) whose size is the registry's concurrency limit, and a
 * token bucket for its request rate. It follows redirects itself so it
 * can drop Authorization when a redirect leaves the registry's origin
 * (blob storage), and it retries 429/5xx/network failures with capped
 * exponential backoff and full jitter, honouring Retry-After.
 *
 * Thread safety: every function may be called from several threads on
 * the same sf_http.
 */
#ifndef SF_REG_HTTP_H
#define SF_REG_HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/err.h"

/* Longest header value kept from a response (WWW-Authenticate, Link,
 * Location). Real values are < 1 KiB; a longer one is treated as absent
 * and flagged in sf_http_resp.overlong. */
#define SF_HTTP_HDR_MAX 4096
/* Longest ETag kept (opaque; real ones are digests of < 100 bytes). */
#define SF_HTTP_ETAG_MAX 512

typedef struct sf_http sf_http;

typedef struct sf_http_opts {
    int insecure;            /* skip TLS verification, allow redirects to http:// */
    int max_conns;           /* concurrent transfers (easy handles), >= 1 */
    double rate;             /* requests per second, 0 = unlimited */
    int max_retries;         /* retries after the first attempt */
    long connect_timeout_ms; /* TCP+TLS connect */
    long stall_timeout_ms;   /* abort when < 1 byte/s flows for this long */
    long backoff_base_ms;    /* first retry delay (before jitter) */
    long backoff_max_ms;     /* cap of any one delay, Retry-After included */
    const atomic_int *cancel; /* non-zero: abort sleeps and transfers */
    const char *ca_file;     /* CA bundle (PEM) replacing the system's, or NULL */
    /* Overall deadline of each attempt of a request (its redirects
     * included): deadline_base_ms plus the request's size at
     * min_rate_bps, the size being the declared one, else the response's
     * Content-Length, else the body cap (0 without a body). A streamed
     * body of unknown size has none (the stall timeout remains).
     * min_rate_bps 0 = no deadline. */
    long min_rate_bps;
    long deadline_base_ms;
    const struct sf_netpol *netpol; /* connect-time address policy; NULL = default
                                     * (no link-local / metadata address) */
    /* PEM text given in memory (copied; the key is wiped on free), for
     * clients whose credentials are not files (a kubeconfig's -data
     * fields): CA bundle replacing the system's, client certificate and
     * its private key. NULL = none. */
    const char *ca_pem;
    const char *cert_pem;
    const char *key_pem;
} sf_http_opts;

/* What one response said. Filled by sf_http_fetch. */
typedef struct sf_http_resp {
    long status;                     /* final HTTP status, 0 when none */
    char content_type[128];          /* media type without parameters */
    char digest[SF_DIGEST_MAX];      /* Docker-Content-Digest, "" when absent/invalid */
    char www_auth[SF_HTTP_HDR_MAX];  /* WWW-Authenticate (first one) */
    char link[SF_HTTP_HDR_MAX];      /* Link */
    char location[SF_HTTP_HDR_MAX];  /* Location (redirects) */
    char url[SF_HTTP_HDR_MAX];       /* URL that produced the final response */
    long retry_after_ms;             /* Retry-After, -1 when absent */
    long long content_length;        /* -1 when unknown */
    uint64_t delivered;              /* body bytes handed to the sink */
    int overlong;                    /* some header exceeded SF_HTTP_HDR_MAX */
    int attempts;                    /* transfers made (retries + redirects) */
    /* Validators for conditional requests (scanfarm db update); "" when
     * absent or longer than the field (then simply not kept). A 304 is a
     * final response like any other: status 304, nothing to the sinks. */
    char etag[SF_HTTP_ETAG_MAX];     /* ETag, quotes included */
    char last_modified[64];          /* Last-Modified (an HTTP-date) */
    /* GitHub-style rate-limit headers (the notifier's GitHub sinks): */
    long rl_remaining;               /* X-RateLimit-Remaining, -1 when absent */
    long long rl_reset_s;            /* X-RateLimit-Reset (epoch seconds), -1 when absent */
} sf_http_resp;

typedef struct sf_http_req {
    const char *method;        /* "GET", "HEAD", or one sending `send` (POST, PATCH) */
    const char *url;           /* absolute http(s) URL */
    const char *accept;        /* Accept value or NULL */
    const char *authorization; /* full Authorization value or NULL; never logged */
    sf_buf *body;              /* 2xx body sink (capped) or NULL */
    int (*sink)(void *ctx, const void *data, size_t n); /* streaming 2xx sink */
    void *sink_ctx;
    int no_retry;              /* 1: one attempt only */
    int sized;                 /* 1: size is the body's declared size */
    uint64_t size;             /* a longer body (or Content-Length) is SF_EDIGEST */
    /* Added for scanfarm-notify (aggregator/notify/notify_send.c): */
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated; never logged */
    const void *send;          /* request body of any other method (POST, PATCH) */
    size_t send_len;
    /* Added for scanfarm db update (cli/db_update*.c): */
    long deadline_ms;          /* > 0: each attempt's deadline, replacing the computed one */
    int decompress;            /* 1: offer every encoding libcurl decodes (big JSON feeds) */
    int retry_forbidden;       /* 1: 403 is throttling (NVD's API), retried like 429 */
    /* Called before each retry's sleep with why and the delay (progress
     * lines of a CLI); NULL = silent. */
    void (*on_retry)(void *ctx, const char *why, long delay_ms);
    void *retry_ctx;
} sf_http_req;

/* Fill opts with the defaults (8 conns, 5 retries, 10 s connect, 30 s
 * stall, 200 ms base, 60 s cap, deadline 60 s + size at 256 KiB/s). */
void sf_http_opts_default(sf_http_opts *o);

int sf_http_new(sf_http **out, const sf_http_opts *opts, sf_error *err);
void sf_http_free(sf_http *h);

/*
 * Perform req: wait for a connection slot and a rate token, follow up to
 * 5 redirects (dropping Authorization when the origin changes), and retry
 * 429/5xx/network errors up to max_retries times unless a body byte was
 * already delivered or Retry-After asks for more than backoff_max_ms. Returns SF_OK whenever a final HTTP response arrived
 * (resp->status tells which, non-2xx bodies are never given to the sinks);
 * SF_ERATELIMIT / SF_ESERVER when retries ran out on 429 / 5xx; SF_ENET,
 * SF_ETIMEOUT on transport failures and past the overall deadline;
 * SF_ELIMIT when the body passed its cap (at once when Content-Length
 * says it will) or a response header was too large; SF_EDIGEST when it
 * passed its declared size; the sink's code when the sink aborted;
 * SF_ECANCELED on cancel.
 */
int sf_http_fetch(sf_http *h, const sf_http_req *req, sf_http_resp *resp, sf_error *err);

/* Transfers made so far (every attempt, redirect and token request). */
long sf_http_transfers(const sf_http *h);

/*
 * Delay before retry number `attempt` (0 = first retry): a uniformly
 * random value in [d/2, d] where d = min(base * 2^attempt, max) ("equal
 * jitter", so delays never collapse to 0), raised to retry_after_ms when
 * the server asked for more, and capped at max. rnd is a uniform 32-bit
 * random number (passed in so tests can pin it).
 */
long sf_http_backoff_ms(int attempt, long base_ms, long max_ms, long retry_after_ms,
                        uint32_t rnd);

/* Parse a Retry-After value (delta-seconds or an HTTP-date) into
 * milliseconds from now_s (epoch seconds); -1 when unparseable. */
long sf_http_parse_retry_after(const char *v, long long now_s);

/* 1 when a and b (absolute URLs) share scheme, host and port. */
int sf_http_same_origin(const char *a, const char *b);

/* Resolve ref (absolute, or relative such as "/v2/_catalog?last=x")
 * against base into out; SF_EPARSE when either is malformed or the
 * result is not http(s). */
int sf_http_resolve_url(const char *base, const char *ref, char *out, size_t outlen,
                        sf_error *err);

/* Percent-encode s for use in a query value into out; SF_ELIMIT when it
 * does not fit. */
int sf_http_query_escape(const char *s, char *out, size_t outlen);

#endif
