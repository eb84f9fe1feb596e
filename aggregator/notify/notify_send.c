/*
 * notify_send: the sinks' HTTP requests with retries (see notify_send.h).
 * The registry transport's own retry loop is switched off (no_retry) so
 * this module counts attempts, keeps secret URLs out of every message,
 * and waits out a Retry-After up to the configured cap instead of
 * failing at once.
 */
#include "notify_send.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "registry/http.h"

/* Hosts whose rate limit is spent (X-RateLimit-Remaining: 0): no request
 * goes to them before their X-RateLimit-Reset. */
#define PAUSED_HOSTS SF_LIM_NOTIFY_PAUSED_HOSTS

struct sf_nsend {
    sf_nsend_opts o;
    sf_http *http;
    struct {
        char host[256];
        long long until_ms; /* wall clock */
    } paused[PAUSED_HOSTS];
};

/* "scheme://host[:port]/..." -> "host[:port]" into out ("" when odd). */
static void url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t len = strcspn(p, "/?#");
    snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), p);
}

static long long *pause_slot(sf_nsend *s, const char *host, int create)
{
    size_t free_at = PAUSED_HOSTS;
    for (size_t i = 0; i < PAUSED_HOSTS; i++) {
        if (s->paused[i].host[0] && !strcmp(s->paused[i].host, host))
            return &s->paused[i].until_ms;
        if (free_at == PAUSED_HOSTS && s->paused[i].until_ms <= (long long)sf_time_wall_ms())
            free_at = i;
    }
    if (!create || free_at == PAUSED_HOSTS)
        return NULL;
    snprintf(s->paused[free_at].host, sizeof s->paused[free_at].host, "%s", host);
    return &s->paused[free_at].until_ms;
}

/* Remember a spent limit; returns the wait until its reset (0 = none). */
static long note_limit(sf_nsend *s, const char *host, const sf_http_resp *resp)
{
    if (resp->rl_remaining != 0 || resp->rl_reset_s <= 0)
        return 0;
    long long now = (long long)sf_time_wall_ms(), until = resp->rl_reset_s * 1000 + 1000; /* a second of slack */
    if (until - now > SF_LIM_NOTIFY_RATELIMIT_WAIT_MS)
        until = now + SF_LIM_NOTIFY_RATELIMIT_WAIT_MS;
    long long *slot = pause_slot(s, host, 1);
    if (slot)
        *slot = until;
    return until > now ? (long)(until - now) : 0;
}

int sf_nsend_new(sf_nsend **out, const sf_nsend_opts *o, sf_error *err)
{
    *out = NULL;
    sf_nsend *s = calloc(1, sizeof *s);
    if (!s)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    s->o = *o;
    sf_http_opts ho;
    sf_http_opts_default(&ho);
    ho.max_conns = 2;
    ho.max_retries = 0;
    ho.cancel = o->cancel;
    if (o->timeout_ms > 0) {
        ho.connect_timeout_ms = o->timeout_ms;
        ho.stall_timeout_ms = o->timeout_ms;
        ho.deadline_base_ms = o->timeout_ms;
    }
    int rc = sf_http_new(&s->http, &ho, err);
    if (rc != SF_OK) {
        free(s);
        return rc;
    }
    *out = s;
    return SF_OK;
}

void sf_nsend_free(sf_nsend *s)
{
    if (!s)
        return;
    sf_http_free(s->http);
    free(s);
}

int sf_nsend_dry(const sf_nsend *s) { return s->o.dry_run != NULL; }

static int final_status(long st, const sf_nreq *r, int attempts, sf_error *err)
{
    if (st >= 200 && st < 300)
        return SF_OK;
    int rc = st == 401 || st == 403 ? SF_EAUTH : st == 404 ? SF_ENOTFOUND : SF_EINVAL;
    return sf_error_set(err, rc, "%s %s: HTTP %ld (not retried; %d attempt%s)", r->method,
                        r->shown, st, attempts, attempts == 1 ? "" : "s");
}

static int retriable(int rc)
{
    return rc == SF_ESERVER || rc == SF_ERATELIMIT || rc == SF_ETIMEOUT || rc == SF_ENET;
}

static int dry(sf_nsend *s, const sf_nreq *r, long *status, int *attempts)
{
    fprintf(s->o.dry_run, "DRY-RUN %s %s\n%s\n", r->method, r->shown, r->body ? r->body : "");
    fflush(s->o.dry_run);
    *status = 0;
    *attempts = 0;
    if (r->out)
        sf_buf_reset(r->out);
    return SF_OK;
}

/* Wait out a spent rate limit of host before sending to it. */
static int wait_limit(sf_nsend *s, const char *host, const char *shown)
{
    long long *slot = pause_slot(s, host, 0), left = slot ? *slot - (long long)sf_time_wall_ms() : 0;
    if (left <= 0)
        return 0;
    SF_INFO("notify", "rate limit spent, waiting for its reset|url=%s wait_ms=%lld", shown, left);
    return sf_time_sleep_ms((long)left, s->o.cancel) != SF_OK;
}

int sf_nsend_do(sf_nsend *s, const sf_nreq *r, long *status, int *attempts, sf_error *err)
{
    if (s->o.dry_run)
        return dry(s, r, status, attempts);
    sf_http_req q = {0};
    q.method = r->method;
    q.url = r->url;
    q.accept = NULL;
    q.authorization = r->authorization;
    q.body = r->out;
    q.no_retry = 1;
    q.headers = r->headers;
    q.send = r->body;
    q.send_len = r->body ? strlen(r->body) : 0;
    char host[256];
    int limit_waits = 0;
    url_host(r->url, host, sizeof host);
    *attempts = 0;
    for (int attempt = 0;; attempt++) {
        sf_http_resp resp;
        sf_error e = SF_ERROR_INIT;
        if (wait_limit(s, host, r->shown))
            return sf_error_set(err, SF_ECANCELED, "canceled");
        int rc = sf_http_fetch(s->http, &q, &resp, &e);
        (*attempts)++;
        *status = resp.status;
        long reset_wait = rc == SF_ECANCELED ? 0 : note_limit(s, host, &resp);
        /* GitHub's primary rate limit: 403 or 429 with the limit spent.
         * Waiting for the reset is not a failed attempt (bounded). */
        if ((resp.status == 403 || resp.status == 429) && reset_wait > 0 &&
            limit_waits < SF_LIM_NOTIFY_RATELIMIT_WAITS) {
            limit_waits++;
            attempt--;
            continue;
        }
        /* GitHub's secondary rate limits answer 403 with Retry-After:
         * that is a wait, not a refusal. */
        if (rc == SF_OK && resp.status == 403 && resp.retry_after_ms >= 0)
            rc = SF_ERATELIMIT;
        if (rc == SF_OK)
            return final_status(resp.status, r, *attempts, err);
        if (rc == SF_ECANCELED || !retriable(rc) || attempt >= s->o.max_retries) {
            /* e.msg may hold the real URL: report the shown one only. */
            return sf_error_set(err, rc, "%s %s: %s%s%ld after %d attempt%s", r->method, r->shown,
                                sf_err_name(rc), resp.status ? ", HTTP " : ", status ",
                                resp.status, *attempts, *attempts == 1 ? "" : "s");
        }
        long ra = resp.retry_after_ms;
        if (ra > s->o.backoff_max_ms)
            ra = s->o.backoff_max_ms;
        long d = sf_http_backoff_ms(attempt, s->o.backoff_base_ms, s->o.backoff_max_ms, ra,
                                    (uint32_t)random());
        SF_INFO("notify", "retrying|url=%s code=%s status=%ld attempt=%d delay_ms=%ld", r->shown,
                sf_err_name(rc), resp.status, attempt + 1, d);
        if (sf_time_sleep_ms(d, s->o.cancel) != SF_OK)
            return sf_error_set(err, SF_ECANCELED, "canceled");
    }
}
