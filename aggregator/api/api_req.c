/*
 * api_req: see api_req.h. The head is parsed in place from the bytes
 * read; a request that does not fit the caps is refused, never cut.
 */
#include "api_req.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/err.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sf_api_pct_decode(const char *s, size_t n, char *out, size_t outlen, int plus_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = hi * 16 + lo;
            i += 2;
            if (c == 0)
                return -1;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        if (o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static int fail(sf_api_req *r, int rc, const char *why)
{
    snprintf(r->why, sizeof r->why, "%s", why);
    return rc;
}

/* Split the path into decoded segments ("/v1/images/x" -> v1 images x). */
static int split_path(sf_api_req *r)
{
    const char *p = r->path;
    if (*p != '/')
        return fail(r, SF_EPARSE, "request target is not an absolute path");
    while (*p) {
        p++;
        size_t n = strcspn(p, "/");
        if (n == 0 && !p[0])
            break;
        if (r->nsegs >= SF_API_MAX_SEGS)
            return fail(r, SF_ELIMIT, "too many path segments");
        if (sf_api_pct_decode(p, n, r->segs[r->nsegs], SF_API_MAX_VALUE, 0) != 0)
            return fail(r, SF_EPARSE, "bad percent-encoding in the path");
        r->nsegs++;
        p += n;
    }
    return SF_OK;
}

static int parse_query(sf_api_req *r, const char *q)
{
    while (*q) {
        size_t n = strcspn(q, "&");
        if (n) {
            const char *eq = memchr(q, '=', n);
            size_t kn = eq ? (size_t)(eq - q) : n;
            sf_api_param *pa;
            if (r->nparams >= SF_API_MAX_PARAMS)
                return fail(r, SF_ELIMIT, "too many query parameters");
            pa = &r->params[r->nparams];
            if (sf_api_pct_decode(q, kn, pa->name, sizeof pa->name, 1) != 0 || !pa->name[0])
                return fail(r, SF_EPARSE, "bad query parameter name");
            if (sf_api_pct_decode(eq ? eq + 1 : q + n, eq ? n - kn - 1 : 0, pa->value,
                                  sizeof pa->value, 1) != 0)
                return fail(r, SF_EPARSE, "bad query parameter value");
            if (sf_api_param_get(r, pa->name))
                return fail(r, SF_EPARSE, "repeated query parameter");
            r->nparams++;
        }
        q += n + (q[n] == '&');
    }
    return SF_OK;
}

const char *sf_api_param_get(const sf_api_req *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value;
    return NULL;
}

/* Copy header value (trimmed) when the line is "name: value". */
static void header(const char *line, size_t n, const char *name, char *out, size_t outlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
        return;
    const char *v = line + k + 1;
    size_t vn = n - k - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    snprintf(out, outlen, "%.*s", (int)(vn < outlen - 1 ? vn : outlen - 1), v);
}

static int request_line(sf_api_req *r, const char *line, size_t n)
{
    const char *sp1 = memchr(line, ' ', n);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - line)) : NULL;
    if (!sp1 || !sp2)
        return fail(r, SF_EPARSE, "malformed request line");
    size_t ml = (size_t)(sp1 - line), tl = (size_t)(sp2 - sp1 - 1), vl = n - (size_t)(sp2 + 1 - line);
    if (ml == 0 || ml >= sizeof r->method)
        return fail(r, SF_EPARSE, "bad method");
    if (tl == 0 || tl >= sizeof r->target)
        return fail(r, SF_ELIMIT, "request target too long");
    if (vl != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' || sp2[8] > '9')
        return fail(r, SF_EUNSUPPORTED, "not HTTP/1.x");
    memcpy(r->method, line, ml);
    r->method[ml] = '\0';
    memcpy(r->target, sp1 + 1, tl);
    r->target[tl] = '\0';
    r->minor = sp2[8] - '0';
    for (size_t i = 0; i < tl; i++)
        if ((unsigned char)r->target[i] <= 0x20 || (unsigned char)r->target[i] >= 0x7f)
            return fail(r, SF_EPARSE, "bad character in the request target");
    size_t pl = strcspn(r->target, "?#");
    if (pl >= sizeof r->path)
        return fail(r, SF_ELIMIT, "path too long");
    memcpy(r->path, r->target, pl);
    r->path[pl] = '\0';
    int rc = split_path(r);
    if (rc == SF_OK && r->target[pl] == '?') {
        char q[sizeof r->target];
        snprintf(q, sizeof q, "%.*s", (int)strcspn(r->target + pl + 1, "#"), r->target + pl + 1);
        rc = parse_query(r, q);
    }
    return rc;
}

int sf_api_req_parse(const char *data, size_t len, sf_api_req *req, int *complete)
{
    memset(req, 0, sizeof *req);
    *complete = 0;
    size_t scan = len < SF_API_MAX_HEAD ? len : SF_API_MAX_HEAD;
    const char *end = NULL;
    for (size_t i = 0; i + 4 <= scan; i++)
        if (memcmp(data + i, "\r\n\r\n", 4) == 0) {
            end = data + i;
            break;
        }
    if (!end)
        return len >= SF_API_MAX_HEAD ? fail(req, SF_ELIMIT, "request head too large") : SF_OK;
    *complete = 1;
    /* CR and LF only as CRLF: bare ones are how requests get smuggled */
    for (const char *q = data; q < end; q++)
        if ((*q == '\n' && (q == data || q[-1] != '\r')) || (*q == '\r' && q[1] != '\n'))
            return fail(req, SF_EPARSE, "bare CR or LF in the request head");
    const char *p = data, *eol = memchr(p, '\r', (size_t)(end - p) + 1);
    if (!eol || eol[1] != '\n')
        return fail(req, SF_EPARSE, "malformed request line");
    int rc = request_line(req, p, (size_t)(eol - p));
    for (p = eol + 2; rc == SF_OK && p < end;) {
        eol = memchr(p, '\r', (size_t)(end - p) + 1);
        if (!eol || eol[1] != '\n')
            return fail(req, SF_EPARSE, "malformed header line");
        size_t n = (size_t)(eol - p);
        if (memchr(p, '\0', n))
            return fail(req, SF_EPARSE, "NUL in a header");
        header(p, n, "authorization", req->auth, sizeof req->auth);
        header(p, n, "origin", req->origin, sizeof req->origin);
        p = eol + 2;
    }
    return rc;
}
