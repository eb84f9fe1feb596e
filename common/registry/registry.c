/*
 * registry: the OCI distribution API on top of http (transport, retries,
 * redirects) and auth (challenges, tokens). Every request names the
 * token scope it needs, so a bearer registry gets one token per
 * repository, fetched up front once the registry's realm is known.
 * Repository names, tags and digests from untrusted sources are validated
 * before they are put into a URL.
 */
#include "registry/registry.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "registry/auth.h"
#include "registry/http.h"
#include "registry/reg_int.h"

const char *const SF_REG_MANIFEST_ACCEPT =
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

/* ---- validation ---- */

static int is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

int sf_reg_valid_repo(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 255)
        return 0;
    /* Each component: alnum runs joined by '.', '_', '__' or '-'+. */
    const char *p = name;
    for (;;) {
        if (!is_lower_alnum(*p))
            return 0;
        while (is_lower_alnum(*p))
            p++;
        if (*p == '\0')
            return 1;
        if (*p == '/') {
            p++;
            continue;
        }
        if (*p == '.') {
            p++;
        } else if (*p == '_') {
            p += p[1] == '_' ? 2 : 1;
        } else if (*p == '-') {
            while (*p == '-')
                p++;
        } else {
            return 0;
        }
    }
}

int sf_reg_valid_tag(const char *tag)
{
    /* [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (the distribution spec's tag) */
    static const char first[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
                      rest[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
    return sf_str_token_ok(tag, 128, first, rest);
}

/* ---- construction ---- */

static int parse_base(sf_reg *r, const char *url, sf_error *err)
{
    char full[600];
    char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *path = NULL, *query = NULL;
    int rc = SF_ECONFIG;
    CURLU *u = curl_url();
    if (!u)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (!strstr(url, "://"))
        snprintf(full, sizeof full, "https://%s", url);
    else
        snprintf(full, sizeof full, "%s", url);
    if (curl_url_set(u, CURLUPART_URL, full, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        sf_error_set(err, rc, "registry URL is malformed");
        goto done;
    }
    curl_url_get(u, CURLUPART_PORT, &port, 0);
    curl_url_get(u, CURLUPART_PATH, &path, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        /* Never echo the URL: it holds a secret. */
        sf_error_set(err, rc, "registry URL must not contain credentials; use the config");
        goto done;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        sf_error_set(err, rc, "registry URL scheme must be http or https");
        goto done;
    }
    if ((path && strcmp(path, "/") != 0 && strcmp(path, "/v2/") != 0 &&
         strcmp(path, "/v2") != 0) || query) {
        sf_error_set(err, rc, "registry URL must be scheme://host[:port] without a path");
        goto done;
    }
    snprintf(r->host, sizeof r->host, "%s%s%s", host, port ? ":" : "", port ? port : "");
    snprintf(r->base, sizeof r->base, "%s://%s", scheme, r->host);
    if (strcmp(r->host, "registry-1.docker.io") == 0 || strcmp(r->host, "index.docker.io") == 0)
        snprintf(r->host, sizeof r->host, "docker.io");
    else if (strcmp(r->host, "docker.io") == 0)
        snprintf(r->base, sizeof r->base, "https://registry-1.docker.io");
    rc = SF_OK;
done:
    curl_free(scheme), curl_free(host), curl_free(port);
    curl_free(user), curl_free(path), curl_free(query);
    curl_url_cleanup(u);
    return rc;
}

int sf_reg_new(sf_reg **out, const sf_reg_opts *opts, sf_error *err)
{
    char *du = NULL, *dp = NULL;
    int rc;
    *out = NULL;
    if (!opts || !opts->url)
        return sf_error_set(err, SF_EINVAL, "registry URL missing");
    sf_reg *r = calloc(1, sizeof *r);
    if (!r)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    rc = parse_base(r, opts->url, err);
    if (rc)
        goto fail;
    sf_http_opts ho;
    sf_http_opts_default(&ho);
    ho.insecure = opts->insecure;
    if (opts->max_conns > 0)
        ho.max_conns = opts->max_conns;
    ho.rate = opts->rate > 0 ? opts->rate : 0;
    if (opts->max_retries >= 0)
        ho.max_retries = opts->max_retries;
    if (opts->connect_timeout_ms > 0)
        ho.connect_timeout_ms = opts->connect_timeout_ms;
    if (opts->stall_timeout_ms > 0)
        ho.stall_timeout_ms = opts->stall_timeout_ms;
    if (opts->backoff_base_ms > 0)
        ho.backoff_base_ms = opts->backoff_base_ms;
    if (opts->backoff_max_ms > 0)
        ho.backoff_max_ms = opts->backoff_max_ms;
    if (opts->min_rate_bps != 0)
        ho.min_rate_bps = opts->min_rate_bps > 0 ? opts->min_rate_bps : 0;
    if (opts->deadline_base_ms > 0)
        ho.deadline_base_ms = opts->deadline_base_ms;
    ho.cancel = opts->cancel;
    ho.ca_file = opts->ca_file;
    ho.netpol = opts->netpol;
    r->max_pages = opts->list_max_pages > 0 ? opts->list_max_pages : SF_LIM_LIST_PAGES;
    r->max_entries = opts->list_max_entries > 0 ? opts->list_max_entries
                                                : SF_LIM_CATALOG_ENTRIES;
    rc = sf_http_new(&r->http, &ho, err);
    if (rc)
        goto fail;
    const char *user = opts->username, *pass = opts->password;
    if ((!user || !*user) && opts->docker_config) {
        rc = sf_auth_docker_config(opts->docker_config, r->host, &du, &dp, err);
        if (rc)
            goto fail;
        user = du, pass = dp;
    }
    int plain = strncmp(r->base, "http://", 7) == 0;
    rc = sf_auth_new(&r->auth, r->http, user, pass, plain || opts->insecure, err);
    if (!rc)
        rc = sf_auth_set_origin(r->auth, r->base, opts->strict_realm, err);
    if (rc)
        goto fail;
    int loopback = strncmp(r->host, "127.", 4) == 0 || strncmp(r->host, "localhost", 9) == 0 ||
                   strncmp(r->host, "[::1]", 5) == 0;
    if (plain && !loopback && user && *user)
        SF_WARN("registry", "credentials will cross plain HTTP|registry=%s", r->host);
    sf_auth_secret_free(du);
    sf_auth_secret_free(dp);
    *out = r;
    return SF_OK;
fail:
    sf_auth_secret_free(du);
    sf_auth_secret_free(dp);
    sf_reg_free(r);
    return rc;
}

void sf_reg_free(sf_reg *r)
{
    if (!r)
        return;
    sf_auth_free(r->auth);
    sf_http_free(r->http);
    free(r);
}

const char *sf_reg_host(const sf_reg *r) { return r->host; }

long sf_reg_requests(const sf_reg *r) { return sf_http_transfers(r->http); }

long sf_reg_names_skipped(const sf_reg *r)
{
    return __atomic_load_n(&r->names_skipped, __ATOMIC_RELAXED);
}

/* ---- requests ---- */

static int status_code(long st)
{
    if (st >= 200 && st < 300)
        return SF_OK;
    if (st == 401 || st == 403)
        return SF_EAUTH;
    if (st == 404)
        return SF_ENOTFOUND;
    if (st == 429)
        return SF_ERATELIMIT;
    if (st >= 500)
        return SF_ESERVER;
    return SF_EINVAL;
}

/* Message for a failed request: method and URL without its query. */
static int fetch_error(int rc, const sf_http_req *req, const sf_http_resp *resp,
                       const char *why, sf_error *err)
{
    char shown[512];
    size_t n = strcspn(resp->url, "?#");
    snprintf(shown, sizeof shown, "%.*s", (int)(n < 400 ? n : 400), resp->url);
    return sf_error_set(err, rc, "%s %s: HTTP %ld%s", req->method, shown, resp->status, why);
}

/* Run req with the Authorization scope needs; on a 401 let auth react to
 * the challenge and try once more. Non-2xx finals become error codes.
 * Only the registry's own origin can challenge: a 401 from a redirect
 * target (blob storage, CDN) names a realm of that target's choosing, so
 * it is an error and never reaches auth (credentials and the remembered
 * realm stay the registry's). */
int sf_reg__fetch(sf_reg *r, const char *scope, sf_http_req *req, sf_http_resp *resp,
                  sf_error *err)
{
    char v2[600];
    snprintf(v2, sizeof v2, "%s/v2/", r->base);
    for (int round = 0;; round++) {
        char *authz = NULL;
        int rc = sf_auth_header(r->auth, scope, &authz, err);
        if (rc)
            return rc;
        int sent = authz != NULL;
        req->authorization = authz;
        rc = sf_http_fetch(r->http, req, resp, err);
        req->authorization = NULL;
        sf_auth_secret_free(authz);
        if (rc)
            return rc;
        if (resp->status == 401 && !sf_http_same_origin(resp->url, r->base))
            return fetch_error(SF_EAUTH, req, resp,
                               " from a redirect target outside the registry (not a "
                               "registry challenge; no credentials sent)",
                               err);
        if (resp->status == 401 && round == 0) {
            rc = sf_auth_on_401(r->auth, resp->www_auth, scope, sent,
                                strcmp(req->url, v2) == 0, err);
            if (rc)
                return rc;
            continue;
        }
        rc = status_code(resp->status);
        if (rc == SF_EAUTH && sent)
            return sf_error_set(err, rc, "%s: credentials refused (HTTP %ld)", r->host,
                                resp->status);
        if (rc)
            return fetch_error(rc, req, resp, "", err);
        return SF_OK;
    }
}

static void repo_scope(const char *repo, char *out, size_t n)
{
    snprintf(out, n, "repository:%s:pull", repo);
}

static int is_generic_type(const char *t)
{
    return !*t || strcmp(t, "application/json") == 0 ||
           strcmp(t, "application/octet-stream") == 0 || strcmp(t, "text/plain") == 0;
}

/* Media type of a manifest document: Content-Type unless generic, else
 * its mediaType field, else schema1 when schemaVersion is 1. */
static void manifest_type(const char *ctype, const sf_buf *body, char *out, size_t outlen)
{
    if (!out || !outlen)
        return;
    if (!is_generic_type(ctype)) {
        snprintf(out, outlen, "%s", ctype);
        return;
    }
    json_error_t je;
    json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, &je);
    const char *mt = json_string_value(json_object_get(doc, "mediaType"));
    if (mt)
        snprintf(out, outlen, "%s", mt);
    else if (json_integer_value(json_object_get(doc, "schemaVersion")) == 1)
        snprintf(out, outlen, "application/vnd.docker.distribution.manifest.v1+json");
    else
        snprintf(out, outlen, "%s", ctype);
    json_decref(doc);
}

static int check_ref(const char *repo, const char *ref, int *is_digest, sf_error *err)
{
    if (!sf_reg_valid_repo(repo))
        return sf_error_set(err, SF_EINVAL, "invalid repository name");
    *is_digest = ref && strchr(ref, ':') != NULL;
    if (*is_digest ? sf_digest_validate(ref, NULL) != SF_OK : !sf_reg_valid_tag(ref))
        return sf_error_set(err, SF_EINVAL, "invalid tag or digest");
    return SF_OK;
}

int sf_reg_get_manifest(sf_reg *r, const char *repo, const char *ref, sf_buf *body,
                        char *media_type, size_t mtlen, char digest[SF_DIGEST_MAX],
                        sf_error *err)
{
    char url[REG_URL_MAX], scope[300], computed[SF_DIGEST_MAX];
    int is_digest, rc = check_ref(repo, ref, &is_digest, err);
    if (rc)
        return rc;
    if (body->max == 0 || body->max > SF_LIM_MANIFEST_BYTES)
        body->max = SF_LIM_MANIFEST_BYTES;
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", r->base, repo, ref);
    repo_scope(repo, scope, sizeof scope);
    sf_http_resp *resp = malloc(sizeof *resp);
    if (!resp)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    sf_http_req req = {.method = "GET", .url = url, .accept = SF_REG_MANIFEST_ACCEPT,
                       .body = body};
    rc = sf_reg__fetch(r, scope, &req, resp, err);
    if (rc)
        goto done;
    sf_hasher *h = NULL;
    rc = sf_hasher_new(&h, is_digest ? ref : (resp->digest[0] ? resp->digest : "sha256"));
    if (!rc)
        rc = sf_hasher_update(h, body->data ? body->data : "", body->len);
    if (!rc)
        rc = sf_hasher_final(h, computed);
    sf_hasher_free(h);
    if (rc) {
        sf_error_set(err, rc, "cannot hash manifest");
        goto done;
    }
    const char *want = is_digest ? ref : resp->digest;
    if (want[0] && strcmp(want, computed) != 0) {
        rc = sf_error_set(err, SF_EDIGEST, "manifest %s@%s: digest mismatch (got %s)", repo,
                          want, computed);
        goto done;
    }
    if (digest)
        memcpy(digest, computed, strlen(computed) + 1);
    manifest_type(resp->content_type, body, media_type, mtlen);
done:
    free(resp);
    return rc;
}

int sf_reg_resolve(sf_reg *r, const char *repo, const char *tag, char digest[SF_DIGEST_MAX],
                   char *media_type, size_t mtlen, sf_error *err)
{
    char url[REG_URL_MAX], scope[300];
    int is_digest, rc = check_ref(repo, tag, &is_digest, err);
    if (rc)
        return rc;
    snprintf(url, sizeof url, "%s/v2/%s/manifests/%s", r->base, repo, tag);
    repo_scope(repo, scope, sizeof scope);
    sf_http_resp *resp = malloc(sizeof *resp);
    if (!resp)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    sf_http_req req = {.method = "HEAD", .url = url, .accept = SF_REG_MANIFEST_ACCEPT};
    sf_error e = SF_ERROR_INIT;
    rc = sf_reg__fetch(r, scope, &req, resp, &e);
    if (rc == SF_OK && resp->digest[0]) {
        memcpy(digest, resp->digest, strlen(resp->digest) + 1);
        if (media_type && mtlen)
            snprintf(media_type, mtlen, "%s", resp->content_type);
        goto done;
    }
    /* Errors that a GET would only repeat are final. */
    if (rc == SF_ENOTFOUND || rc == SF_EAUTH || rc == SF_ECANCELED ||
        sf_err_kind(rc) == SF_KIND_RETRIABLE) {
        sf_error_set(err, rc, "%s", e.msg);
        goto done;
    }
    /* No Docker-Content-Digest (or HEAD refused): GET and hash the body. */
    sf_buf body;
    sf_buf_init(&body, SF_LIM_MANIFEST_BYTES);
    rc = sf_reg_get_manifest(r, repo, tag, &body, media_type, mtlen, digest, err);
    sf_buf_free(&body);
done:
    free(resp);
    return rc;
}

static int get_blob(sf_reg *r, const char *repo, const char *digest, int sized, uint64_t size,
                    sf_sink_fn sink, void *ctx, sf_error *err)
{
    char url[REG_URL_MAX], scope[300];
    if (!sf_reg_valid_repo(repo))
        return sf_error_set(err, SF_EINVAL, "invalid repository name");
    if (sf_digest_validate(digest, NULL) != SF_OK)
        return sf_error_set(err, SF_EINVAL, "invalid blob digest");
    snprintf(url, sizeof url, "%s/v2/%s/blobs/%s", r->base, repo, digest);
    repo_scope(repo, scope, sizeof scope);
    sf_http_resp *resp = malloc(sizeof *resp);
    if (!resp)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    sf_http_req req = {.method = "GET", .url = url, .sink = sink, .sink_ctx = ctx,
                       .sized = sized, .size = size};
    int rc = sf_reg__fetch(r, scope, &req, resp, err);
    free(resp);
    return rc;
}

int sf_reg_get_blob(sf_reg *r, const char *repo, const char *digest, sf_sink_fn sink,
                    void *ctx, sf_error *err)
{
    return get_blob(r, repo, digest, 0, 0, sink, ctx, err);
}

int sf_reg_get_blob_sized(sf_reg *r, const char *repo, const char *digest, uint64_t size,
                          sf_sink_fn sink, void *ctx, sf_error *err)
{
    return get_blob(r, repo, digest, 1, size, sink, ctx, err);
}

int sf_reg_ping(sf_reg *r, sf_error *err)
{
    char url[REG_URL_MAX];
    snprintf(url, sizeof url, "%s/v2/", r->base);
    sf_http_resp *resp = malloc(sizeof *resp);
    if (!resp)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    sf_http_req req = {.method = "GET", .url = url};
    sf_error e = SF_ERROR_INIT;
    /* The base endpoint has no scope; a bearer registry grants it to any
     * token, so the catalog scope stands in. */
    int rc = sf_reg__fetch(r, "registry:catalog:*", &req, resp, &e);
    if (rc == SF_EAUTH && !sf_auth_has_credentials(r->auth))
        rc = SF_OK;
    if (rc)
        sf_error_set(err, rc, "%s", e.msg);
    free(resp);
    return rc;
}

