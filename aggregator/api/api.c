/*
 * api: see api.h. Routing, authentication, CORS and the error shape; the
 * resources are in api_list.c (lists over the index), api_res.c (single
 * items), api_runs.c (runs, history), api_static.c (web root).
 */
#include "api_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_json.h"
#include "base/log.h"

int api_fail(api_call *c, int status, const char *param, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *code = status == 400   ? "bad_parameter"
                       : status == 401 ? "unauthorized"
                       : status == 404 ? "not_found"
                       : status == 405 ? "method_not_allowed"
                       : status == 503 ? "unavailable"
                                       : "internal";
    sf_jb b = {0};
    json_t *o = api_j_error(&b, status, code, msg, param);
    sf_buf_reset(&c->resp->body);
    if (sf_jb_status(&b) != SF_OK || sf_jutil_dump(o, &c->resp->body) != SF_OK) {
        /* out of memory describing the error: the status still says it,
         * and the body keeps the error shape (no text to escape in it) */
        sf_buf_reset(&c->resp->body);
        sf_buf_printf(&c->resp->body,
                      "{\"error\":{\"status\":%d,\"code\":\"%s\",\"message\":null,"
                      "\"parameter\":null}}",
                      status, code);
    }
    json_decref(o);
    c->resp->status = status;
    c->resp->ctype = "application/json";
    return -1;
}

int api_redis_fail(api_call *c, const sf_error *e)
{
    SF_WARN("api", "redis failed|path=%s err=%s", c->req->path, e->msg);
    return api_fail(c, 503, NULL, "fleet view unavailable (Redis)");
}

void api_ok(api_call *c, sf_jb *b, json_t *o)
{
    int rc = sf_jb_status(b);
    if (rc == SF_OK) /* SF_ELIMIT or SF_ENOMEM leave the body as it was */
        rc = sf_jutil_dump_flags(o, &c->resp->body, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (rc != SF_OK) {
        /* a document missing what failed to be built is never answered */
        SF_WARN("api", "answer not built|path=%s err=%s", c->req->path, sf_err_name(rc));
        api_fail(c, 500, NULL, rc == SF_ELIMIT ? "answer too large" : "out of memory");
        return;
    }
    c->resp->status = 200;
    c->resp->ctype = "application/json";
}

void api_skipped(api_call *c, size_t n, const char *what)
{
    if (n)
        SF_WARN("api", "corrupt stored items left out|path=%s n=%zu what=%s", c->req->path, n,
                what);
}

int api_cmd(sf_api *a, int argc, const char **argv, sf_kv_reply **out, sf_error *err)
{
    return sf_kv_argv(a->kv, a->shard, argc, argv, NULL, out, err);
}

char *api_hget(sf_api *a, const char *hash, const char *field, size_t *len, sf_error *e,
               int *rc)
{
    sf_kv_reply *r = NULL;
    char *s = NULL;
    const char *argv[] = {"HGET", hash, field};
    if (*rc == SF_OK && (*rc = api_cmd(a, 3, argv, &r, e)) == SF_OK && r->type == SF_KV_STR) {
        s = r->str;
        if (len)
            *len = r->len;
        r->str = NULL;
    }
    sf_kv_reply_free(r);
    return s;
}

int api_ix(sf_api *a, char out[SF_KEY_MAX], const char *kind, const char *value)
{
    return sf_keys_agg_ix(out, a->prefix, kind, value, NULL);
}

void api_tmp(sf_api *a, char out[SF_KEY_MAX])
{
    char v[64];
    snprintf(v, sizeof v, "%ld-%lu", (long)getpid(), atomic_fetch_add(&a->seq, 1));
    api_ix(a, out, "tmp", v);
}

static int load_tokens(sf_api *a, const char *path, sf_error *err)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "cannot read tokens file %s", path);
    while (fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        char *t = line + strspn(line, " \t");
        if (!*t || *t == '#')
            continue;
        if (a->ntokens == SF_API_MAX_TOKENS || strlen(t) < 16) {
            fclose(f);
            return sf_error_set(err, SF_ECONFIG,
                                "tokens file %s: more than %d tokens or one under 16 characters",
                                path, SF_API_MAX_TOKENS);
        }
        if (!(a->tokens[a->ntokens++] = sf_strdup(t))) {
            fclose(f);
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        }
    }
    fclose(f);
    if (!a->ntokens)
        return sf_error_set(err, SF_ECONFIG, "tokens file %s lists no token", path);
    return SF_OK;
}

int sf_api_new(sf_api **out, const sf_api_opts *o, sf_error *err)
{
    sf_api *a = calloc(1, sizeof *a);
    int rc;
    *out = NULL;
    if (!a)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    pthread_mutex_init(&a->run_mu, NULL);
    a->kv = o->kv;
    snprintf(a->prefix, sizeof a->prefix, "%s", o->prefix ? o->prefix : SF_KEY_PREFIX_DEFAULT);
    a->max_page = o->max_page > 0 && o->max_page <= SF_API_MAX_PAGE ? o->max_page : SF_API_MAX_PAGE;
    snprintf(a->cors, sizeof a->cors, "%s", o->cors_origin ? o->cors_origin : "");
    if ((rc = sf_keys_agg_shard(a->shard, a->prefix, err)) != SF_OK)
        goto fail;
    if (o->tokens_file && (rc = load_tokens(a, o->tokens_file, err)) != SF_OK)
        goto fail;
    if (o->web_root && *o->web_root && !realpath(o->web_root, a->web_root)) {
        rc = sf_error_set(err, SF_ECONFIG, "web root %s does not exist", o->web_root);
        goto fail;
    }
    /* not fatal: without Redis now, lists fail (and say so) per request */
    sf_error be = {0};
    if (a->kv && api_backfill_names(a, &be) != SF_OK)
        fprintf(stderr, "scanfarm-api: name index backfill: %s\n", be.msg);
    *out = a;
    return SF_OK;
fail:
    sf_api_free(a);
    return rc;
}

void sf_api_free(sf_api *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->ntokens; i++)
        free(a->tokens[i]);
    api_running_free(a);
    pthread_mutex_destroy(&a->run_mu);
    free(a);
}

/* Constant-time comparison, so a token cannot be guessed byte by byte. */
static int token_eq(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static int authorised(const sf_api *a, const sf_api_req *r)
{
    if (!a->ntokens)
        return 1;
    if (strncasecmp(r->auth, "Bearer ", 7) != 0)
        return 0;
    int ok = 0;
    for (size_t i = 0; i < a->ntokens; i++)
        ok |= token_eq(r->auth + 7, a->tokens[i]);
    return ok;
}

static void cors(api_call *c)
{
    const char *o = c->req->origin;
    if (!c->a->cors[0] || !o[0])
        return;
    if (strcmp(c->a->cors, "*") != 0 && strcmp(c->a->cors, o) != 0)
        return;
    snprintf(c->resp->headers, sizeof c->resp->headers,
             "Access-Control-Allow-Origin: %s\r\nVary: Origin\r\n"
             "Access-Control-Allow-Headers: Authorization\r\n"
             "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n",
             strcmp(c->a->cors, "*") == 0 ? "*" : o);
}

static int is(const sf_api_req *r, size_t i, const char *s)
{
    return i < r->nsegs && strcmp(r->segs[i], s) == 0;
}

/* /v1/<resource>... */
static int route_v1(api_call *c)
{
    const sf_api_req *r = c->req;
    size_t n = r->nsegs;
    if (n == 2 && is(r, 1, "openapi.json")) {
        sf_buf_append(&c->resp->body, sf_api_openapi_json, sf_api_openapi_len);
        c->resp->status = 200;
        c->resp->ctype = "application/json";
        return 0;
    }
    if (n == 2 && is(r, 1, "summary"))
        return api_summary(c);
    if (is(r, 1, "images")) {
        if (n == 2)
            return api_images(c, NULL, 0);
        if (n == 3)
            return api_image_get(c, r->segs[2], 0);
        if (n == 4 && is(r, 3, "findings"))
            return api_image_get(c, r->segs[2], 1);
        if (n == 4 && is(r, 3, "packages"))
            return api_image_get(c, r->segs[2], 2);
    }
    if (is(r, 1, "vulnerabilities")) {
        if (n == 2)
            return api_vulns(c);
        if (n == 3)
            return api_vuln_get(c, r->segs[2], 0);
        if (n == 4 && is(r, 3, "images"))
            return api_vuln_get(c, r->segs[2], 1);
    }
    if (is(r, 1, "packages")) {
        if (n == 2)
            return api_pkgs(c);
        if (n == 4)
            return api_pkg_get(c, r->segs[2], r->segs[3], 0);
        if (n == 5 && is(r, 4, "images"))
            return api_pkg_get(c, r->segs[2], r->segs[3], 1);
    }
    if (is(r, 1, "registries") && n <= 3)
        return api_rollup(c, 0, n == 3 ? r->segs[2] : NULL);
    if (is(r, 1, "repositories") && n <= 3)
        return api_rollup(c, 1, n == 3 ? r->segs[2] : NULL);
    if (is(r, 1, "runs") && n <= 3)
        return api_runs(c, n == 3 ? r->segs[2] : NULL);
    if (n == 2 && is(r, 1, "history"))
        return api_history(c);
    return api_fail(c, 404, NULL, "no such resource");
}

void sf_api_handle(void *ctx, const sf_api_req *req, sf_api_resp *resp)
{
    api_call c = {.a = ctx, .req = req, .resp = resp};
    cors(&c);
    if (strcmp(req->method, "OPTIONS") == 0 && c.a->cors[0]) {
        resp->status = 204;
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        snprintf(resp->headers + strlen(resp->headers), sizeof resp->headers - strlen(resp->headers),
                 "Allow: GET, HEAD\r\n");
        api_fail(&c, 405, NULL, "only GET and HEAD are served");
        return;
    }
    if (is(req, 0, "v1")) {
        if (!authorised(c.a, req)) {
            snprintf(resp->headers + strlen(resp->headers),
                     sizeof resp->headers - strlen(resp->headers),
                     "WWW-Authenticate: Bearer realm=\"scanfarm\"\r\n");
            api_fail(&c, 401, NULL, "a bearer token is required");
            return;
        }
        route_v1(&c);
        return;
    }
    api_static(&c);
}
