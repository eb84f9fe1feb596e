/*
 * notify_send: the sinks' HTTP requests with retries (see notify_send.h).
 * The registry transport's own retry loop is switched off (no_retry) so
 * this module counts attempts, keeps secret URLs out of every message,
 * and waits out a Retry-After up to the configured cap instead of
 * failing at once.
 */
#include "notify_send.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "registry/http.h"

struct sf_nsend {
    sf_nsend_opts o;
    sf_http *http;
};

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

static int sleep_ms(long ms, const volatile int *cancel)
{
    while (ms > 0) {
        if (cancel && *cancel)
            return 1;
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        ms -= step;
    }
    return cancel && *cancel;
}

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
    *attempts = 0;
    for (int attempt = 0;; attempt++) {
        sf_http_resp resp;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_http_fetch(s->http, &q, &resp, &e);
        (*attempts)++;
        *status = resp.status;
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
        if (sleep_ms(d, s->o.cancel))
            return sf_error_set(err, SF_ECANCELED, "canceled");
    }
}
