/*
 * db_update_nvd: the NVD part of `scanfarm db update` (see
 * db_update_nvd.h). NVD's CVE API 2.0 is paged (startIndex,
 * resultsPerPage <= 2000) and filtered by last modification
 * (lastModStartDate / lastModEndDate, both given, at most 120 days apart),
 * so an update asks for what changed since the previous one, window by
 * window, page by page, and keeps each page as a file in the cache: the
 * import takes the newest copy of every CVE (vdb_cve.c), so old pages need
 * no rewriting. The watermark (the end of the last complete update) is
 * written only when every page arrived, so a failed update is redone from
 * the same point. Requests are spaced by the public rate limit (5 per 30 s
 * without a key, 50 per 30 s with one) and retried on 403/429/5xx by
 * registry/http (Retry-After honoured).
 */
#include "db_update_nvd.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/limits.h"
#include "base/time.h"
#include "registry/http.h"

/* NVD caps a lastMod range at 120 days. */
#define NVD_WINDOW_S (120LL * 86400)
/* A page of 2000 records is ~15 MB; nothing legitimate is 10x that. */
#define NVD_PAGE_MAX_BYTES (256ULL << 20)
#define NVD_RETRIES 4

/* Through base/time (restarted on EINTR), not a private clock. */
static void sleep_s(double s)
{
    if (s > 0)
        sf_time_sleep_ms((long)(s * 1000.0 + 0.5), NULL);
}

/* "2026-12-02T13:59:00.000Z" (NVD's extended ISO-8601). */
static void iso(time_t t, char *out, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

static int parse_iso(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e)
        return -1;
    *out = timegm(&tm);
    return 0;
}

typedef struct nvd_run {
    sf_http *h;
    const sf_nvd_update_opts *o;
    double delay;
    int requests;
} nvd_run;

static void on_retry(void *ctx, const char *why, long delay_ms)
{
    (void)ctx;
    fprintf(stderr, "scanfarm db update: %s, retrying in %ld ms\n", why, delay_ms);
}

/* One GET into body, retried by sf_http on throttling (403, 429) and
 * server errors; the HTTP status, or -1 on a transport error. */
static long get_retry(nvd_run *r, const char *url, sf_buf *body)
{
    char hdr[300];
    const char *hdrs[2] = {NULL, NULL};
    if (r->o->api_key && *r->o->api_key) {
        snprintf(hdr, sizeof hdr, "apiKey: %s", r->o->api_key);
        hdrs[0] = hdr;
    }
    if (r->requests++)
        sleep_s(r->delay); /* the public rate limit, between requests */
    sf_http_req req = {.method = "GET", .url = url, .body = body, .headers = hdrs,
                       .deadline_ms = r->o->timeout_s * 1000, .decompress = 1,
                       .retry_forbidden = 1, .on_retry = on_retry};
    sf_http_resp *resp = malloc(sizeof *resp);
    sf_error e = SF_ERROR_INIT;
    long st = -1;
    if (!resp)
        fprintf(stderr, "scanfarm db update: out of memory\n");
    else if (sf_http_fetch(r->h, &req, resp, &e) != SF_OK)
        fprintf(stderr, "scanfarm db update: %s\n", e.msg);
    else
        st = resp->status;
    free(resp);
    return st;
}

/* Store one page; its record count in *n and totalResults in *total. */
static int store_page(const sf_buf *body, const char *path, size_t *n, long long *total)
{
    json_error_t je;
    json_t *j = json_loadb(body->data ? body->data : "", body->len, 0, &je);
    const json_t *v = json_object_get(j, "vulnerabilities"), *t = json_object_get(j, "totalResults");
    int ok = json_is_array(v) && json_is_integer(t);
    if (ok) {
        *n = json_array_size(v);
        *total = json_integer_value(t);
    }
    json_decref(j);
    if (!ok)
        return -1;
    if (*n == 0)
        return 0;
    char tmp[SF_LIM_PATH + 8];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    FILE *f = fopen(tmp, "wb");
    int bad = !f || fwrite(body->data, 1, body->len, f) != body->len;
    if (f && fclose(f))
        bad = 1;
    if (bad || rename(tmp, path)) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Every page of one lastMod window; pages stored counted in *pages. */
static int fetch_window(nvd_run *r, time_t from, time_t to, int *pages)
{
    char a[32], b[32], url[4096], path[SF_LIM_PATH];
    iso(from, a, sizeof a);
    iso(to, b, sizeof b);
    sf_buf body;
    sf_buf_init(&body, NVD_PAGE_MAX_BYTES);
    long long start = 0, total = 0;
    int rc = 0;
    do {
        snprintf(url, sizeof url, "%s%slastModStartDate=%s&lastModEndDate=%s&startIndex=%lld"
                 "&resultsPerPage=%d",
                 r->o->url, strchr(r->o->url, '?') ? "&" : "?", a, b, start, r->o->page_size);
        long st = get_retry(r, url, &body);
        size_t n = 0;
        snprintf(path, sizeof path, "%s/nvd-%lld-%06lld.json", r->o->cache_dir, (long long)from,
                 start);
        if (st != 200 || store_page(&body, path, &n, &total) != 0) {
            fprintf(stderr, "scanfarm db update: NVD %s: %s\n", url,
                    st == 200 ? "not an NVD API 2.0 page" : "request failed");
            rc = -1;
            break;
        }
        *pages += n > 0;
        start += (long long)n;
        if (n == 0)
            break;
    } while (start < total);
    sf_buf_free(&body);
    return rc;
}

/* The client of one update: retries spaced at least by the rate-limit
 * delay (equal jitter halves the base, hence twice it), doubling from
 * max(delay, 1 s) scaled by retry_scale as before. */
static int nvd_http(const sf_nvd_update_opts *o, double delay, sf_http **h)
{
    sf_http_opts ho;
    sf_http_opts_default(&ho);
    ho.max_conns = 1;
    ho.connect_timeout_ms = 15000;
    ho.max_retries = NVD_RETRIES - 1;
    double back = (delay > 1 ? delay : 1) * o->retry_scale * 1000.0;
    ho.backoff_base_ms = (long)(back > 2 * delay * 1000.0 ? back : 2 * delay * 1000.0) + 1;
    ho.backoff_max_ms = ho.backoff_base_ms * 8 > 120000 ? ho.backoff_base_ms * 8 : 120000;
    sf_error e = SF_ERROR_INIT;
    if (sf_http_new(h, &ho, &e) != SF_OK) {
        fprintf(stderr, "scanfarm db update: %s\n", e.msg);
        return -1;
    }
    return 0;
}

int sf_db_update_nvd(const sf_nvd_update_opts *o, int *changed)
{
    char mark_path[SF_LIM_PATH + 16], mark[64] = "", now_s[32];
    *changed = 0;
    if (mkdir(o->cache_dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "scanfarm db update: cannot create %s: %s\n", o->cache_dir,
                strerror(errno));
        return -1;
    }
    snprintf(mark_path, sizeof mark_path, "%s/.watermark", o->cache_dir);
    FILE *f = fopen(mark_path, "r");
    if (f) {
        if (!fgets(mark, sizeof mark, f))
            mark[0] = '\0';
        mark[strcspn(mark, "\r\n")] = '\0';
        fclose(f);
    }
    const char *since = mark[0] ? mark : o->since;
    time_t from, to = o->now ? o->now : time(NULL);
    if (!since || parse_iso(since, &from) != 0 || from > to) {
        fprintf(stderr, "scanfarm db update: NVD needs a start (--nvd-since DATE, e.g. "
                        "2024-01-01T00:00:00.000Z) before its first update\n");
        return -1;
    }
    nvd_run r = {NULL, o, o->delay_s >= 0 ? o->delay_s : (o->api_key && *o->api_key ? 0.6 : 6.0), 0};
    int pages = 0;
    if (nvd_http(o, r.delay, &r.h) != 0)
        return -1;
    for (time_t w = from; w < to; w += NVD_WINDOW_S) {
        time_t e = w + NVD_WINDOW_S < to ? w + NVD_WINDOW_S : to;
        if (fetch_window(&r, w, e, &pages) != 0) {
            sf_http_free(r.h);
            return -1; /* the watermark stays: the next update redoes this */
        }
    }
    long transfers = sf_http_transfers(r.h);
    sf_http_free(r.h);
    iso(to, now_s, sizeof now_s);
    f = fopen(mark_path, "w");
    int bad = !f || fprintf(f, "%s\n", now_s) < 0;
    if (f && fclose(f))
        bad = 1;
    if (bad) {
        fprintf(stderr, "scanfarm db update: cannot write %s\n", mark_path);
        return -1;
    }
    printf("%-70s %s (%d page%s, %ld request%s, since %s)\n", o->url,
           pages ? "updated" : "unchanged", pages, pages == 1 ? "" : "s", transfers,
           transfers == 1 ? "" : "s", since);
    *changed = pages > 0;
    return 0;
}
