/* kvaddr: see kvaddr.h. */
#include "cache/kvaddr.h"

#include "base/opt.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

void sf_kvaddr_clear(sf_kvaddr *a)
{
    free(a->user);
    sf_secret_free(a->pass);
    a->user = a->pass = NULL;
}

/* host:port, [v6]:port or host, n bytes of s. */
static int parse_hostport(sf_kvaddr *a, const char *s, size_t len, const char *shown,
                          sf_error *err)
{
    if (len == 0 || len >= sizeof a->host)
        return sf_error_set(err, SF_ECONFIG, "bad Redis address '%.64s'", shown);
    memcpy(a->name, s, len);
    a->name[len] = '\0';
    const char *hs = a->name, *he, *colon, *end = a->name + len;
    if (hs[0] == '[') {
        he = memchr(hs, ']', len);
        if (!he)
            return sf_error_set(err, SF_ECONFIG, "bad Redis address '%.64s'", shown);
        hs++;
        colon = he + 1 < end && he[1] == ':' ? he + 1 : NULL;
        if (he + 1 < end && !colon)
            return sf_error_set(err, SF_ECONFIG, "bad Redis address '%.64s'", shown);
    } else {
        colon = strrchr(a->name, ':');
        he = colon ? colon : end;
    }
    if (he == hs)
        return sf_error_set(err, SF_ECONFIG, "bad Redis address '%.64s'", shown);
    memcpy(a->host, hs, (size_t)(he - hs));
    a->host[he - hs] = '\0';
    a->port = 6379;
    if (colon) {
        char *pe = NULL;
        errno = 0;
        long p = strtol(colon + 1, &pe, 10);
        if (errno || !pe || *pe || pe == colon + 1 || p < 1 || p > 65535)
            return sf_error_set(err, SF_ECONFIG, "bad port in Redis address '%.64s'", shown);
        a->port = (int)p;
    }
    return SF_OK;
}

static int hexval(char c)
{
    return isdigit((unsigned char)c) ? c - '0'
           : isxdigit((unsigned char)c) ? (tolower((unsigned char)c) - 'a' + 10) : -1;
}

/* Percent-decode n bytes of s into a new string; NULL when malformed. */
static char *pct_decode(const char *s, size_t n)
{
    char *o = malloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; o && i < n; i++) {
        if (s[i] != '%') {
            o[k++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1, lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        int h = hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        if (h <= 0) { /* malformed, or %00 (would cut the string) */
            explicit_bzero(o, k);
            free(o);
            return NULL;
        }
        o[k++] = (char)h;
        i += 2;
    }
    if (o)
        o[k] = '\0';
    return o;
}

/* user:pass of a URL (n bytes at s). */
static int parse_userinfo(sf_kvaddr *a, const char *s, size_t n, const char *shown,
                          sf_error *err)
{
    const char *c = memchr(s, ':', n);
    size_t ul = c ? (size_t)(c - s) : n;
    if (!c) /* redis://secret@host: the one field is the password (redis-cli's reading) */
        return (a->pass = pct_decode(s, n))
                   ? SF_OK
                   : sf_error_set(err, SF_ECONFIG, "Redis URL '%.40s...': bad %%-escape",
                                  shown);
    if (ul && !(a->user = pct_decode(s, ul)))
        return sf_error_set(err, SF_ECONFIG, "Redis URL '%.40s...': bad %%-escape in the user",
                            shown);
    if (!(a->pass = pct_decode(c + 1, n - ul - 1)))
        return sf_error_set(err, SF_ECONFIG,
                            "Redis URL of %s: bad %%-escape in the password", a->user ? a->user : "(no user)");
    return SF_OK;
}

static int parse_url(sf_kvaddr *a, const char *s, sf_error *err)
{
    const char *p = s + strlen("redis://");
    const char *path = strchr(p, '/');
    size_t auth_len = path ? (size_t)(path - p) : strlen(p);
    const char *at = NULL;
    for (size_t i = 0; i < auth_len; i++)
        if (p[i] == '@')
            at = p + i; /* the last '@': an unescaped one in a password still parses */
    /* Shown in errors: the scheme and host part only, never the userinfo. */
    const char *shown = at ? at + 1 : p;
    int rc = SF_OK;
    /* Node lists are comma-separated everywhere (flags, env, logs): a raw
     * ',' in the credentials would split one URL in two. */
    if (at && memchr(p, ',', (size_t)(at - p)))
        return sf_error_set(err, SF_ECONFIG, "Redis URL of %.64s: write ',' in the user or "
                            "password as %%2C", shown);
    if (at)
        rc = parse_userinfo(a, p, (size_t)(at - p), shown, err);
    if (rc == SF_OK)
        rc = parse_hostport(a, shown, (size_t)(p + auth_len - shown), shown, err);
    if (rc == SF_OK && path && path[1]) {
        char *e = NULL;
        errno = 0;
        long db = strtol(path + 1, &e, 10);
        if (errno || !e || *e || !isdigit((unsigned char)path[1]) || db > 1000000)
            rc = sf_error_set(err, SF_ECONFIG, "Redis URL '%.64s': bad database number", shown);
        a->db = (int)db;
    }
    return rc;
}

int sf_kvaddr_parse(sf_kvaddr *a, const char *s, sf_error *err)
{
    memset(a, 0, sizeof *a);
    a->db = -1;
    int rc;
    if (strncasecmp(s, "rediss://", 9) == 0) {
        a->tls = 1;
        rc = parse_url(a, s + 1, err); /* "ediss://...": the same URL one byte on */
    } else if (strncasecmp(s, "redis://", 8) == 0)
        rc = parse_url(a, s, err);
    else if (strstr(s, "://"))
        rc = sf_error_set(err, SF_ECONFIG, "Redis address: unknown scheme in '%.32s'",
                          strchr(s, '@') ? "(hidden)" : s);
    else
        rc = parse_hostport(a, s, strlen(s), s, err);
    if (rc != SF_OK)
        sf_kvaddr_clear(a);
    return rc;
}

/* The password of any scheme://user:pass@ address hidden: the option
 * engine's rule, so --print-config and the logs redact alike. */
void sf_kvaddr_redact(const char *s, char *out, size_t cap)
{
    sf_opt_redact_url(s, out, cap);
}
