/*
 * http_hdr: a response's header lines into sf_http_resp (status, the
 * fields the registry client reads, their caps and the overlong flag),
 * and Retry-After's two forms. Its own file because it is the parser of
 * what the server sends: bytes in, fields out, no curl handle and no
 * transfer state, so it can be read, tested and fuzzed on its own. The
 * transport's header callback (http.c) feeds it line by line.
 */
#include "registry/http.h"
#include "registry/http_int.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>
#include <time.h>

long sf_http_parse_retry_after(const char *v, long long now_s)
{
    if (!v)
        return -1;
    while (*v == ' ' || *v == '\t')
        v++;
    if (*v >= '0' && *v <= '9') {
        long long secs = 0;
        const char *p = v;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (secs < 86400)
                secs = secs * 10 + (*p - '0');
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p)
            return -1;
        if (secs > 86400)
            secs = 86400; /* a day is "much later"; callers cap anyway */
        return (long)(secs * 1000);
    }
    time_t t = curl_getdate(v, NULL);
    if (t < 0)
        return -1;
    long long d = (long long)t - now_s;
    if (d < 0)
        d = 0;
    if (d > 86400)
        d = 86400;
    return (long)(d * 1000);
}

static void copy_hdr(char *dst, size_t cap, const char *v, size_t n, int append, int *overlong)
{
    size_t cur = append ? strlen(dst) : 0;
    size_t extra = (append && cur) ? 2 : 0;
    if (cur + extra + n >= cap) {
        *overlong = 1;
        return;
    }
    if (extra)
        memcpy(dst + cur, ", ", 2);
    memcpy(dst + cur + extra, v, n);
    dst[cur + extra + n] = '\0';
}

void sf_http__resp_reset(sf_http_resp *r)
{
    r->status = 0;
    r->content_type[0] = r->digest[0] = r->www_auth[0] = r->link[0] = r->location[0] = '\0';
    r->etag[0] = r->last_modified[0] = '\0';
    r->retry_after_ms = -1;
    r->content_length = -1;
    r->rl_remaining = -1;
    r->rl_reset_s = -1;
}

/* A header value of decimal digits only; -1 otherwise (or past 2^50). */
static long long hdr_number(const char *v, size_t vlen)
{
    long long n = 0;
    size_t i = 0;
    while (vlen && (*v == ' ' || *v == '\t'))
        v++, vlen--;
    for (; i < vlen && v[i] >= '0' && v[i] <= '9' && n < (1LL << 50); i++)
        n = n * 10 + (v[i] - '0');
    return i && i == vlen ? n : -1;
}

/* One "name: value" header (value trimmed) into r. */
static void on_header(sf_http_resp *r, int *auth_overlong, const char *name, size_t nlen,
                      const char *v, size_t vlen)
{
#define IS(h) (nlen == sizeof(h) - 1 && strncasecmp(name, h, nlen) == 0)
    if (IS("content-type")) {
        size_t n = 0;
        while (n < vlen && v[n] != ';' && v[n] != ' ')
            n++;
        copy_hdr(r->content_type, sizeof r->content_type, v, n, 0, &r->overlong);
    } else if (IS("docker-content-digest")) {
        char d[SF_DIGEST_MAX];
        int dummy = 0;
        d[0] = '\0';
        copy_hdr(d, sizeof d, v, vlen, 0, &dummy);
        if (!dummy && sf_digest_validate(d, NULL) == SF_OK)
            memcpy(r->digest, d, strlen(d) + 1);
    } else if (IS("www-authenticate")) {
        int over = 0;
        copy_hdr(r->www_auth, sizeof r->www_auth, v, vlen, 1, &over);
        if (over)
            r->overlong = *auth_overlong = 1;
    } else if (IS("link")) {
        copy_hdr(r->link, sizeof r->link, v, vlen, 1, &r->overlong);
    } else if (IS("location")) {
        copy_hdr(r->location, sizeof r->location, v, vlen, 0, &r->overlong);
    } else if (IS("retry-after")) {
        char tmp[128];
        int dummy = 0;
        tmp[0] = '\0';
        copy_hdr(tmp, sizeof tmp, v, vlen, 0, &dummy);
        r->retry_after_ms = sf_http_parse_retry_after(tmp, (long long)time(NULL));
    } else if (IS("etag") || IS("last-modified")) {
        /* Too long to keep means absent (no conditional request), not
         * overlong: registries never depend on these. */
        int dummy = 0;
        if (IS("etag"))
            copy_hdr(r->etag, sizeof r->etag, v, vlen, 0, &dummy);
        else
            copy_hdr(r->last_modified, sizeof r->last_modified, v, vlen, 0, &dummy);
    } else if (IS("x-ratelimit-remaining")) {
        r->rl_remaining = (long)hdr_number(v, vlen);
    } else if (IS("x-ratelimit-reset")) {
        r->rl_reset_s = hdr_number(v, vlen);
    } else if (IS("content-length")) {
        long long n = 0;
        size_t i = 0;
        for (; i < vlen && v[i] >= '0' && v[i] <= '9' && n < (1LL << 50); i++)
            n = n * 10 + (v[i] - '0');
        r->content_length = i ? n : -1;
    }
#undef IS
}

int sf_http__header_line(sf_http_resp *r, const char *buf, size_t len, int *auth_overlong)
{
    while (len && (buf[len - 1] == '\r' || buf[len - 1] == '\n'))
        len--;
    if (len >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new response (after 100-continue or an auth hop) resets all. */
        sf_http__resp_reset(r);
        const char *sp = memchr(buf, ' ', len);
        long st = 0;
        if (sp)
            for (sp++; sp < buf + len && *sp >= '0' && *sp <= '9' && st < 1000; sp++)
                st = st * 10 + (*sp - '0');
        r->status = st;
        return 1;
    }
    const char *colon = memchr(buf, ':', len);
    if (!colon)
        return 0;
    const char *v = colon + 1, *end = buf + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    on_header(r, auth_overlong, buf, (size_t)(colon - buf), v, (size_t)(end - v));
    return 0;
}
