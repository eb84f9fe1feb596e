/*
 * http_retry: the retry policy of sf_http_fetch. An attempt (http.c: one
 * request and its redirects) that fails on the network or answers 429,
 * 408 or 5xx (403 when the request says so) is made again after a capped
 * exponential backoff with jitter, no sooner than Retry-After asks, up to
 * max_retries times; a streamed body already delivered, a request that
 * opted out, or a Retry-After past the cap ends it at once. Its own file
 * because it is the one place that decides "again or not": the transport
 * below it knows nothing of attempts.
 */
#include "registry/http.h"
#include "registry/http_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/time.h"

static uint32_t rand32(void)
{
    static __thread uint64_t s;
    if (!s) {
        /* Its own clock read: the nanoseconds are the seed. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&s;
        s |= 1;
    }
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint32_t)(s >> 16);
}

long sf_http_backoff_ms(int attempt, long base_ms, long max_ms, long retry_after_ms,
                        uint32_t rnd)
{
    if (base_ms < 1)
        base_ms = 1;
    if (max_ms < base_ms)
        max_ms = base_ms;
    long d = base_ms;
    for (int i = 0; i < attempt && d < max_ms; i++)
        d = d > max_ms / 2 ? max_ms : d * 2;
    if (d > max_ms)
        d = max_ms;
    long lo = d / 2;
    long v = lo + (long)(rnd % (uint32_t)(d - lo + 1));
    if (retry_after_ms > v)
        v = retry_after_ms;
    return v > max_ms ? max_ms : v;
}

static int status_retriable(const sf_http_req *req, long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504 || st == 408 ||
           (st == 403 && req->retry_forbidden);
}

int sf_http_fetch(sf_http *h, const sf_http_req *req, sf_http_resp *resp, sf_error *err)
{
    const sf_http_opts *o = sf_http__opts(h);
    memset(resp, 0, sizeof *resp);
    for (int attempt = 0;; attempt++) {
        double t0 = sf_time_mono_s(); /* each attempt is a transfer with its deadline */
        int retriable = 0;
        sf_error e = SF_ERROR_INIT;
        if (req->body)
            sf_buf_reset(req->body);
        int rc = sf_http__attempt(h, req, t0, resp, &retriable, &e);
        if (rc == SF_OK && !status_retriable(req, resp->status))
            return SF_OK;
        char shown[512];
        sf_http__url_for_msg(resp->url[0] ? resp->url : req->url, shown, sizeof shown);
        if (rc == SF_OK) {
            rc = resp->status == 429 || resp->status == 403 ? SF_ERATELIMIT : SF_ESERVER;
            snprintf(e.msg, sizeof e.msg, "%.8s %.200s: HTTP %ld", req->method, shown,
                     resp->status);
            e.code = rc;
            retriable = 1;
        }
        int can = retriable && !req->no_retry && attempt < o->max_retries &&
                  (resp->delivered == 0 || !req->sink);
        if (!can) {
            if (retriable && attempt > 0)
                return sf_error_set(err, rc, "%s (after %d attempts)", e.msg, attempt + 1);
            return sf_error_set(err, rc, "%s", e.msg);
        }
        long ra = (rc == SF_ERATELIMIT || rc == SF_ESERVER) ? resp->retry_after_ms : -1;
        long d = sf_http_backoff_ms(attempt, o->backoff_base_ms, o->backoff_max_ms, ra,
                                    rand32());
        /* A server asking for more than the cap (hours, days) will not
         * answer after the capped wait either: fail now, not after
         * max_retries capped waits. */
        if (ra > o->backoff_max_ms)
            return sf_error_set(err, rc, "%s (no retry: Retry-After %ld s is past the %ld s cap)",
                                e.msg, ra / 1000, o->backoff_max_ms / 1000);
        SF_DEBUG("registry", "retrying|url=%s code=%s status=%ld attempt=%d delay_ms=%ld",
                 shown, sf_err_name(rc), resp->status, attempt + 1, d);
        if (req->on_retry)
            req->on_retry(req->retry_ctx, e.msg, d);
        if (sf_time_sleep_ms(d, o->cancel))
            return sf_error_set(err, SF_ECANCELED, "canceled");
        resp->delivered = 0;
    }
}
