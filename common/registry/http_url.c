/*
 * http_url: the URL helpers of the transport, all on libcurl's URL API so
 * that what we compare and resolve is what libcurl will connect to:
 * same-origin (the rule for dropping Authorization on a redirect),
 * reference resolution (Location, Link), query escaping, and the
 * query-less form of a URL that error messages show. Its own file because
 * none of it touches a transfer: registry.c and reglist.c call it as much
 * as http.c does, and the fuzz target drives it alone.
 */
#include "registry/http.h"
#include "registry/http_int.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

static int url_parts(const char *url, char **scheme, char **host, char **port)
{
    CURLU *u = curl_url();
    int rc = -1;
    *scheme = *host = *port = NULL;
    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        rc = 0;
    curl_url_cleanup(u);
    return rc;
}

int sf_http_same_origin(const char *a, const char *b)
{
    char *s1, *h1, *p1, *s2, *h2, *p2;
    int ok1 = url_parts(a, &s1, &h1, &p1);
    int ok2 = url_parts(b, &s2, &h2, &p2);
    int same = ok1 == 0 && ok2 == 0 && strcasecmp(s1, s2) == 0 && strcasecmp(h1, h2) == 0 &&
               strcmp(p1, p2) == 0;
    curl_free(s1), curl_free(h1), curl_free(p1);
    curl_free(s2), curl_free(h2), curl_free(p2);
    return same;
}

int sf_http_resolve_url(const char *base, const char *ref, char *out, size_t outlen,
                        sf_error *err)
{
    CURLU *u = curl_url();
    char *full = NULL, *scheme = NULL;
    int rc = SF_EPARSE;
    if (!u)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, base, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        sf_error_set(err, SF_EPARSE, "malformed URL reference");
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        sf_error_set(err, SF_EPARSE, "URL scheme %.16s not allowed", scheme);
        goto done;
    }
    if (strlen(full) >= outlen) {
        sf_error_set(err, SF_EPARSE, "URL too long");
        goto done;
    }
    memcpy(out, full, strlen(full) + 1);
    rc = SF_OK;
done:
    curl_free(full);
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

int sf_http_query_escape(const char *s, char *out, size_t outlen)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
                    *p == '~';
        size_t need = plain ? 1 : 3;
        if (o + need >= outlen)
            return SF_ELIMIT;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= outlen)
        return SF_ELIMIT;
    out[o] = '\0';
    return SF_OK;
}

/* Strip the query from a URL for error messages (tokens or signatures of
 * blob-storage redirects live there). */
void sf_http__url_for_msg(const char *url, char *out, size_t outlen)
{
    size_t n = strcspn(url, "?#");
    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, url, n);
    out[n] = '\0';
}
