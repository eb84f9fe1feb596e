/*
 * reglist: the list endpoints of the distribution API, /v2/_catalog and
 * /v2/<repo>/tags/list, paged with `n=` and Link rel="next". A hostile or
 * broken registry must not keep a walk going forever or stop it with one
 * bad name, so a walk
 *  - fails when a next link repeats a page (a `last=` value, or the whole
 *    URL when it has none, seen before in this walk: that catches pages
 *    alternating between two links, not only a page linking to itself);
 *  - for the catalog, fails unless `last` strictly increases (the spec
 *    returns repositories in lexical order, so a catalog going back is
 *    looping);
 *  - fails past the registry's page and entry caps (endless catalogs that
 *    invent a new `last` on every page);
 *  - skips, counts and logs (escaped) names that are not valid: invalid
 *    UTF-8 and raw control bytes are rewritten to the text `\xNN` before
 *    the page is parsed, so one such name no longer fails the whole page,
 *    and names holding NUL (`\u0000`) are caught by their length.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "base/log.h"
#include "registry/reg_int.h"

#define LIST_MAX_BAD_BYTES SF_LIM_LIST_BAD_BYTES
/* Invalid names quoted in the log line of one walk. */
#define LIST_SHOWN_BAD 3
/* Bytes of one quoted name (escaped). */
#define LIST_SHOWN_LEN 96

/* ---- Link header ---- */

int sf_reg_parse_link_next(const char *hdr, char *out, size_t outlen)
{
    const char *p = hdr ? hdr : "";
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        if (*p != '<')
            return SF_EPARSE;
        const char *u = ++p, *ue = strchr(p, '>');
        if (!ue)
            return SF_EPARSE;
        p = ue + 1;
        int is_next = 0;
        /* link-params: ; name[=value] */
        for (;;) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p != ';')
                break;
            p++;
            while (*p == ' ' || *p == '\t')
                p++;
            const char *n = p;
            while (*p && *p != '=' && *p != ';' && *p != ',' && *p != ' ')
                p++;
            size_t nlen = (size_t)(p - n);
            while (*p == ' ' || *p == '\t')
                p++;
            char val[256];
            size_t vl = 0;
            if (*p == '=') {
                p++;
                while (*p == ' ' || *p == '\t')
                    p++;
                int quoted = *p == '"';
                if (quoted)
                    p++;
                while (*p && (quoted ? *p != '"' : (*p != ';' && *p != ',' && *p != ' '))) {
                    if (vl + 1 >= sizeof val)
                        return SF_EPARSE;
                    val[vl++] = *p++;
                }
                if (quoted) {
                    if (*p != '"')
                        return SF_EPARSE;
                    p++;
                }
            }
            val[vl] = '\0';
            if (nlen == 3 && strncasecmp(n, "rel", 3) == 0) {
                /* rel may list several relation types. */
                for (char *t = val; *t;) {
                    size_t tl = strcspn(t, " \t");
                    if (tl == 4 && strncasecmp(t, "next", 4) == 0)
                        is_next = 1;
                    t += tl;
                    while (*t == ' ' || *t == '\t')
                        t++;
                }
            }
        }
        if (*p && *p != ',')
            return SF_EPARSE;
        if (is_next) {
            size_t ul = (size_t)(ue - u);
            if (ul == 0 || ul >= outlen)
                return SF_EPARSE;
            memcpy(out, u, ul);
            out[ul] = '\0';
            return 1;
        }
    }
}

/* ---- bytes: UTF-8 repair and escaping ---- */

/* Length of the valid UTF-8 sequence at p (n bytes left), 0 if invalid
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (len == 0 || c > 0xf4 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
        (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
        return 0;
    return len;
}

/* 1 when byte c (a single byte, not part of a valid sequence) cannot
 * appear raw in JSON text. */
static int raw_bad(unsigned char c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; }

/* Copy in to out replacing invalid UTF-8 and raw control bytes with the
 * JSON text `\\xNN` (a literal backslash in the decoded string, which no
 * valid name holds). *nbad counts them; SF_ELIMIT past the page's cap. */
static int repair_utf8(const sf_buf *in, sf_buf *out, long *nbad)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)(in->data ? in->data : "");
    size_t n = in->len, i = 0;
    int rc = SF_OK;
    *nbad = 0;
    while (i < n && rc == SF_OK) {
        size_t l = utf8_len(p + i, n - i);
        if (l == 1 && raw_bad(p[i]))
            l = 0;
        if (l) {
            rc = sf_buf_append(out, p + i, l);
            i += l;
            continue;
        }
        if (++*nbad > LIST_MAX_BAD_BYTES)
            return SF_ELIMIT;
        char esc[5] = {'\\', '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15]};
        rc = sf_buf_append(out, esc, sizeof esc);
        i++;
    }
    return rc;
}

/* Printable form of len bytes of s for a log line: printable ASCII as is
 * (but '"' and '|'), everything else \xNN; truncated to fit cap. */
static void escape_bytes(const char *s, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '|') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\', out[o++] = 'x';
            out[o++] = hex[c >> 4], out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
}

/* ---- one walk ---- */

typedef struct walk {
    sf_reg *r;
    const char *key;   /* "repositories" or "tags" */
    const char *what;  /* "catalog" or "tags list", for messages */
    int ordered;       /* `last` must strictly increase */
    int (*valid)(const char *);
    long pages, entries, skipped;
    uint64_t *seen;    /* open-addressing set of page keys (0 = empty) */
    size_t cap, nseen;
    char *prev_last;   /* decoded `last` of the current page ("" = first) */
    char bad[LIST_SHOWN_BAD][LIST_SHOWN_LEN];
    int nbad;
} walk;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h ? h : 1;
}

/* Add key to the walk's set: 1 when it was new, 0 when seen before,
 * SF_ENOMEM. 64-bit hashes: a false "seen" needs ~2^32 pages. */
static int seen_add(walk *w, const char *key)
{
    if (2 * (w->nseen + 1) > w->cap) {
        size_t nc = w->cap ? w->cap * 2 : 64;
        uint64_t *ns = calloc(nc, sizeof *ns);
        if (!ns)
            return SF_ENOMEM;
        for (size_t i = 0; i < w->cap; i++)
            for (size_t j = w->seen[i] % nc; w->seen[i]; j = (j + 1) % nc)
                if (!ns[j]) {
                    ns[j] = w->seen[i];
                    break;
                }
        free(w->seen);
        w->seen = ns, w->cap = nc;
    }
    uint64_t h = fnv1a(key);
    for (size_t j = h % w->cap;; j = (j + 1) % w->cap) {
        if (w->seen[j] == h)
            return 0;
        if (!w->seen[j]) {
            w->seen[j] = h;
            w->nseen++;
            return 1;
        }
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The percent-decoded `last` query parameter of url into out: 1 found,
 * 0 absent. */
static int query_last(const char *url, char *out, size_t cap)
{
    const char *q = strchr(url, '?');
    for (const char *p = q; p && *p; p = strchr(p + 1, '&')) {
        if (strncmp(p + 1, "last=", 5) != 0)
            continue;
        size_t o = 0;
        for (const char *v = p + 6; *v && *v != '&' && *v != '#' && o + 1 < cap; v++) {
            int hi = v[0] == '%' ? hexval(v[1]) : -1, lo = hi >= 0 ? hexval(v[2]) : -1;
            if (lo >= 0) {
                out[o++] = (char)(hi * 16 + lo);
                v += 2;
            } else {
                out[o++] = *v == '+' ? ' ' : *v;
            }
        }
        out[o] = '\0';
        return 1;
    }
    return 0;
}

/* Check that moving to next makes progress; remember it. */
static int walk_advance(walk *w, const char *next, sf_error *err)
{
    char last[REG_URL_MAX], shown[LIST_SHOWN_LEN], prev[LIST_SHOWN_LEN];
    int has = query_last(next, last, sizeof last);
    if (has)
        escape_bytes(last, strlen(last), shown, sizeof shown);
    int fresh = seen_add(w, has ? last : next);
    if (fresh < 0)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (!fresh)
        return sf_error_set(err, SF_EPARSE, "%s: %s pagination loops (next page %s%s seen before)",
                            w->r->host, w->what, has ? "last=" : "link", has ? shown : "");
    if (has && w->ordered && strcmp(last, w->prev_last) <= 0) {
        escape_bytes(w->prev_last, strlen(w->prev_last), prev, sizeof prev);
        return sf_error_set(err, SF_EPARSE,
                            "%s: %s does not progress (next last=%s after last=%s; the "
                            "catalog is in lexical order)",
                            w->r->host, w->what, shown, prev);
    }
    if (has)
        memcpy(w->prev_last, last, strlen(last) + 1);
    if (++w->pages >= w->r->max_pages)
        return sf_error_set(err, SF_ELIMIT, "%s: %s has more than %ld pages (page cap)",
                            w->r->host, w->what, w->r->max_pages);
    return SF_OK;
}

/* Hand one array entry to cb, or skip it as invalid. */
static int walk_entry(walk *w, json_t *v, sf_reg_name_cb cb, void *ctx, sf_error *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (++w->entries > w->r->max_entries)
        return sf_error_set(err, SF_ELIMIT, "%s: %s has more than %ld entries (entry cap)",
                            w->r->host, w->what, w->r->max_entries);
    if (!s || strlen(s) != len || !w->valid(s)) {
        if (w->nbad < LIST_SHOWN_BAD) {
            if (s)
                escape_bytes(s, len, w->bad[w->nbad], LIST_SHOWN_LEN);
            else
                snprintf(w->bad[w->nbad], LIST_SHOWN_LEN, "(not a string)");
            w->nbad++;
        }
        w->skipped++;
        return SF_OK;
    }
    int rc = cb(ctx, s);
    return rc ? sf_error_set(err, rc, "enumeration stopped by caller") : SF_OK;
}

/* Parse one page body and hand its names over; *n gets the array size. */
static int walk_page(walk *w, const sf_buf *body, sf_reg_name_cb cb, void *ctx, size_t *n,
                     sf_error *err)
{
    sf_buf fixed;
    long nbad = 0;
    json_error_t je;
    sf_buf_init(&fixed, 0);
    int rc = repair_utf8(body, &fixed, &nbad);
    if (rc) {
        sf_buf_free(&fixed);
        return sf_error_set(err, rc == SF_ELIMIT ? SF_EPARSE : rc,
                            "%s: malformed %s list (more than %d invalid bytes)", w->r->host,
                            w->key, LIST_MAX_BAD_BYTES);
    }
    json_t *doc = json_loadb(fixed.data ? fixed.data : "", fixed.len, JSON_ALLOW_NUL, &je);
    sf_buf_free(&fixed);
    json_t *arr = json_object_get(doc, w->key);
    *n = json_array_size(arr);
    if (!doc || (arr && !json_is_array(arr) && !json_is_null(arr))) {
        json_decref(doc);
        return sf_error_set(err, SF_EPARSE, "%s: malformed %s list", w->r->host, w->key);
    }
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if ((rc = walk_entry(w, v, cb, ctx, err)))
            break;
    }
    json_decref(doc);
    return rc;
}

static void walk_report(walk *w)
{
    if (!w->skipped)
        return;
    __atomic_add_fetch(&w->r->names_skipped, w->skipped, __ATOMIC_RELAXED);
    SF_WARN("registry",
            "skipped invalid names|registry=%s list=%s count=%ld names=\"%s%s%s%s%s\"%s",
            w->r->host, w->key, w->skipped, w->bad[0], w->nbad > 1 ? "\",\"" : "",
            w->nbad > 1 ? w->bad[1] : "", w->nbad > 2 ? "\",\"" : "",
            w->nbad > 2 ? w->bad[2] : "", w->skipped > w->nbad ? " more=1" : "");
}

/* Page through a list endpoint: key is the JSON array field. */
static int paginate(walk *w, const char *first, const char *scope, sf_reg_name_cb cb,
                    void *ctx, sf_error *err)
{
    char *url = malloc(REG_URL_MAX), *next = malloc(REG_URL_MAX), *link = malloc(REG_URL_MAX);
    sf_http_resp *resp = malloc(sizeof *resp);
    sf_buf body;
    int rc = SF_OK;
    sf_buf_init(&body, SF_LIM_MANIFEST_BYTES);
    w->prev_last = calloc(1, REG_URL_MAX);
    if (!url || !next || !link || !resp || !w->prev_last || seen_add(w, first) < 0) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    snprintf(url, REG_URL_MAX, "%s", first);
    for (;;) {
        size_t n = 0;
        sf_http_req req = {.method = "GET", .url = url, .body = &body};
        if ((rc = sf_reg__fetch(w->r, scope, &req, resp, err)))
            goto done;
        if ((rc = walk_page(w, &body, cb, ctx, &n, err)))
            goto done;
        int has = resp->link[0] ? sf_reg_parse_link_next(resp->link, link, REG_URL_MAX) : 0;
        if (has < 0) {
            rc = sf_error_set(err, SF_EPARSE, "%s: malformed Link header", w->r->host);
            goto done;
        }
        if (has == 0 || n == 0)
            break; /* an empty page with a next link would loop forever */
        if ((rc = sf_http_resolve_url(resp->url, link, next, REG_URL_MAX, err)))
            goto done;
        if (!sf_http_same_origin(next, w->r->base)) {
            rc = sf_error_set(err, SF_EPARSE, "%s: next page link leaves the registry",
                              w->r->host);
            goto done;
        }
        if (strcmp(next, url) == 0) {
            rc = sf_error_set(err, SF_EPARSE, "%s: next page link points at itself", w->r->host);
            goto done;
        }
        if ((rc = walk_advance(w, next, err)))
            goto done;
        memcpy(url, next, strlen(next) + 1);
    }
done:
    walk_report(w);
    sf_buf_free(&body);
    free(url), free(next), free(link), free(resp);
    free(w->seen), free(w->prev_last);
    return rc;
}

int sf_reg__parse_names(sf_reg *r, int catalog, const void *data, size_t n, sf_reg_name_cb cb,
                        void *ctx, sf_error *err)
{
    walk w = {.r = r, .key = catalog ? "repositories" : "tags",
              .what = catalog ? "catalog" : "tags list", .ordered = catalog,
              .valid = catalog ? sf_reg_valid_repo : sf_reg_valid_tag};
    sf_buf body = {.data = (char *)data, .len = n, .cap = n, .max = n};
    size_t count = 0;
    int rc = walk_page(&w, &body, cb, ctx, &count, err);
    walk_report(&w);
    return rc;
}

int sf_reg_catalog(sf_reg *r, int page_size, sf_reg_name_cb cb, void *ctx, sf_error *err)
{
    char url[REG_URL_MAX];
    walk w = {.r = r, .key = "repositories", .what = "catalog", .ordered = 1,
              .valid = sf_reg_valid_repo};
    snprintf(url, sizeof url, "%s/v2/_catalog?n=%d", r->base,
             page_size > 0 ? page_size : REG_DEFAULT_PAGE);
    return paginate(&w, url, "registry:catalog:*", cb, ctx, err);
}

int sf_reg_tags(sf_reg *r, const char *repo, int page_size, sf_reg_name_cb cb, void *ctx,
                sf_error *err)
{
    char url[REG_URL_MAX], scope[300];
    walk w = {.r = r, .key = "tags", .what = "tags list", .ordered = 0,
              .valid = sf_reg_valid_tag};
    if (!sf_reg_valid_repo(repo))
        return sf_error_set(err, SF_EINVAL, "invalid repository name");
    snprintf(url, sizeof url, "%s/v2/%s/tags/list?n=%d", r->base, repo,
             page_size > 0 ? page_size : REG_DEFAULT_PAGE);
    snprintf(scope, sizeof scope, "repository:%s:pull", repo);
    return paginate(&w, url, scope, cb, ctx, err);
}
