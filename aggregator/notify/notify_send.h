/*
 * notify_send: one HTTP request of a sink, with the notifier's delivery
 * policy on top of common/registry/http (libcurl): up to max_retries
 * retries on 429, 5xx, timeouts and connection failures, each after an
 * exponential backoff with jitter (sf_http_backoff_ms) raised to the
 * server's Retry-After; 4xx other than 429 fail at once (retrying a
 * rejected body cannot help), except a 403 carrying Retry-After (GitHub's
 * secondary rate limit), which is waited out like a 429. GitHub's primary
 * rate limit: a response with X-RateLimit-Remaining: 0 pauses every request
 * to that host until X-RateLimit-Reset (at most an hour), and a 403/429
 * with the limit spent is retried after the reset without counting as a
 * failed attempt (SF_LIM_NOTIFY_RATELIMIT_*). Errors name the sink's *shown* URL, never
 * the real one (Slack and webhook URLs are secrets).
 *
 * In dry-run mode nothing is sent: the request is printed to the dry-run
 * stream (headers that carry secrets are left out) and answered 200.
 */
#ifndef SF_NOTIFY_SEND_H
#define SF_NOTIFY_SEND_H

#include <stdatomic.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"

typedef struct sf_nsend sf_nsend;

typedef struct sf_nsend_opts {
    int max_retries;        /* retries after the first attempt */
    long backoff_base_ms;   /* first retry delay before jitter */
    long backoff_max_ms;    /* cap of one delay, Retry-After included */
    long timeout_ms;        /* connect + transfer stall bound */
    FILE *dry_run;          /* non-NULL: print instead of sending */
    const atomic_int *cancel;
} sf_nsend_opts;

int sf_nsend_new(sf_nsend **out, const sf_nsend_opts *o, sf_error *err);
void sf_nsend_free(sf_nsend *s);
int sf_nsend_dry(const sf_nsend *s);

/* One request and its outcome. */
typedef struct sf_nreq {
    const char *method;        /* GET, POST, PATCH */
    const char *url;           /* real URL (may be secret) */
    const char *shown;         /* what logs and errors show */
    const char *const *headers; /* extra header lines, NULL-terminated */
    const char *authorization; /* full Authorization value (secret) or NULL */
    const char *body;          /* JSON body or NULL */
    sf_buf *out;               /* 2xx response body, or NULL */
} sf_nreq;

/* SF_OK on a 2xx (*status set; 0 in dry-run); SF_EAUTH (401/403),
 * SF_ENOTFOUND (404), SF_EINVAL (other 4xx) at once; SF_ERATELIMIT,
 * SF_ESERVER, SF_ETIMEOUT, SF_ENET once retries ran out; SF_ECANCELED.
 * *attempts counts the transfers made. */
int sf_nsend_do(sf_nsend *s, const sf_nreq *r, long *status, int *attempts, sf_error *err);

#endif
