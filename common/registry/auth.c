/*
 * auth: see auth.h. The token cache is a small array with expiry times:
 * a crawl touches one scope per repository in turn, so a bounded cache
 * with eviction of the soonest-expiring entry is enough and keeps memory
 * flat however many repositories a registry has.
 */
#include "registry/auth.h"
#include "base/time.h"
#include "base/limits.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"

#define AUTH_CACHE_MAX SF_LIM_AUTH_CACHE
#define AUTH_TOKEN_BODY_MAX SF_LIM_AUTH_TOKEN_BODY
/* Token lifetime when the server does not say (the token spec's minimum). */
#define AUTH_DEFAULT_TTL_S 60

enum { MODE_NONE = 0, MODE_BASIC, MODE_BEARER };

typedef struct tok_entry {
    char *scope;
    char *token;
    double expires; /* monotonic seconds */
} tok_entry;

struct sf_auth {
    sf_http *http;
    char *user, *pass;
    int allow_http_realm;
    pthread_mutex_t mu;
    int mode;
    char realm[1024];
    char service[256];
    int realm_creds;      /* 1: the credentials may be sent to realm */
    char origin[512];     /* the registry's scheme://host[:port]; "" = unbound */
    int strict_realm;
    int v2_asked;         /* the registry's /v2/ challenge was looked up */
    char v2_realm[1024];  /* the realm it names ("" = none) */
    tok_entry cache[AUTH_CACHE_MAX];
    int ncache;
    long fetched;
};

void sf_auth_secret_free(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* ---- challenge parsing ---- */

static int is_tchar(int c)
{
    return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Read a token or quoted-string at p into out (cap bytes); returns the
 * position after it, or NULL when malformed or too long. */
static const char *read_value(const char *p, char *out, size_t cap)
{
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1])
                p++;
            if (n + 1 >= cap)
                return NULL;
            out[n++] = *p;
        }
        if (*p != '"')
            return NULL;
        p++;
    } else {
        while (is_tchar((unsigned char)*p) || *p == '/' || *p == '=' || *p == ':') {
            if (n + 1 >= cap)
                return NULL;
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return p;
}

static void set_param(sf_challenge *c, const char *name, size_t nlen, const char *val, int *bad)
{
    struct {
        const char *n;
        char *dst;
        size_t cap;
    } f[] = {{"realm", c->realm, sizeof c->realm},
             {"service", c->service, sizeof c->service},
             {"scope", c->scope, sizeof c->scope},
             {"error", c->error, sizeof c->error}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        if (strlen(f[i].n) == nlen && strncasecmp(name, f[i].n, nlen) == 0) {
            if (strlen(val) >= f[i].cap)
                *bad = 1;
            else
                memcpy(f[i].dst, val, strlen(val) + 1);
        }
    }
}

int sf_auth_parse_challenge(const char *hdr, sf_challenge *out, sf_error *err)
{
    sf_challenge cur, best;
    char val[1024];
    int have = 0; /* 0 none, 1 basic, 2 bearer */
    const char *p = hdr ? hdr : "";
    memset(out, 0, sizeof *out);
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *s = p;
        while (is_tchar((unsigned char)*p))
            p++;
        size_t slen = (size_t)(p - s);
        if (slen == 0 || (*p && *p != ' ' && *p != '\t' && *p != ','))
            return sf_error_set(err, SF_EPARSE, "malformed WWW-Authenticate header");
        memset(&cur, 0, sizeof cur);
        if (slen < sizeof cur.scheme)
            for (size_t i = 0; i < slen; i++)
                cur.scheme[i] = (char)tolower((unsigned char)s[i]);
        int bad = 0;
        /* auth-params until a token that is not followed by '=' (the
         * next challenge's scheme) or the end. */
        for (;;) {
            p = skip_ws(p);
            while (*p == ',' || *p == ' ' || *p == '\t')
                p++;
            const char *n = p;
            while (is_tchar((unsigned char)*p))
                p++;
            size_t nlen = (size_t)(p - n);
            const char *q = skip_ws(p);
            if (nlen == 0 || *q != '=') {
                p = n;
                break;
            }
            q = skip_ws(q + 1);
            q = read_value(q, val, sizeof val);
            if (!q)
                return sf_error_set(err, SF_EPARSE, "malformed or overlong challenge parameter");
            set_param(&cur, n, nlen, val, &bad);
            p = q;
            if (*p && *p != ',' && *p != ' ' && *p != '\t')
                return sf_error_set(err, SF_EPARSE, "malformed WWW-Authenticate header");
        }
        if (bad)
            return sf_error_set(err, SF_EPARSE, "challenge parameter too long");
        if (strcmp(cur.scheme, "bearer") == 0 && have < 2) {
            best = cur, have = 2;
        } else if (strcmp(cur.scheme, "basic") == 0 && have < 1) {
            best = cur, have = 1;
        }
        if (p == s) /* no progress: cannot happen, but never loop forever */
            return sf_error_set(err, SF_EPARSE, "malformed WWW-Authenticate header");
    }
    if (!have)
        return sf_error_set(err, SF_EUNSUPPORTED, "no Basic or Bearer challenge offered");
    if (have == 2 && !best.realm[0])
        return sf_error_set(err, SF_EPARSE, "Bearer challenge without realm");
    *out = best;
    return SF_OK;
}

/* ---- Docker config.json ---- */

static int b64_decode(const char *in, char **out)
{
    size_t n = strlen(in);
    *out = NULL;
    if (n == 0 || n % 4 != 0 || n > 8192)
        return SF_EPARSE;
    unsigned char *buf = malloc(n / 4 * 3 + 1);
    if (!buf)
        return SF_ENOMEM;
    int len = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)n);
    if (len < 0) {
        free(buf);
        return SF_EPARSE;
    }
    /* EVP_DecodeBlock counts padding as zero bytes. */
    if (n >= 1 && in[n - 1] == '=')
        len--;
    if (n >= 2 && in[n - 2] == '=')
        len--;
    buf[len] = '\0';
    if (memchr(buf, '\0', (size_t)len)) {
        explicit_bzero(buf, (size_t)len);
        free(buf);
        return SF_EPARSE;
    }
    *out = (char *)buf;
    return SF_OK;
}

static json_t *find_auth_entry(json_t *auths, const char *host)
{
    static const char *pre[] = {"", "https://", "http://", "https://", "https://"};
    static const char *post[] = {"", "", "", "/v1/", "/v2/"};
    char key[512];
    const char *h = host;
    /* docker.io credentials live under Docker Hub's historical index key. */
    if (strcmp(host, "docker.io") == 0 || strcmp(host, "registry-1.docker.io") == 0 ||
        strcmp(host, "index.docker.io") == 0) {
        json_t *e = json_object_get(auths, "https://index.docker.io/v1/");
        if (e)
            return e;
        h = "docker.io";
    }
    for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
        snprintf(key, sizeof key, "%s%s%s", pre[i], h, post[i]);
        json_t *e = json_object_get(auths, key);
        if (json_is_object(e))
            return e;
    }
    return NULL;
}

int sf_auth_docker_config(const char *path, const char *host, char **user, char **pass,
                          sf_error *err)
{
    json_error_t je;
    char *dec = NULL;
    int rc = SF_OK;
    *user = *pass = NULL;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return sf_error_set(err, SF_ECONFIG, "docker config %s: %s", path, je.text);
    json_t *e = find_auth_entry(json_object_get(root, "auths"), host);
    if (!e)
        goto done;
    const char *a = json_string_value(json_object_get(e, "auth"));
    const char *u = json_string_value(json_object_get(e, "username"));
    const char *pw = json_string_value(json_object_get(e, "password"));
    if (a && *a) {
        rc = b64_decode(a, &dec);
        char *colon = dec ? strchr(dec, ':') : NULL;
        if (rc || !colon) {
            rc = sf_error_set(err, SF_ECONFIG, "docker config %s: bad auth entry for %s", path,
                              host);
            goto done;
        }
        *user = sf_strndup(dec, (size_t)(colon - dec));
        *pass = sf_strdup(colon + 1);
    } else if (u && pw) {
        *user = sf_strdup(u);
        *pass = sf_strdup(pw);
    }
    if ((a || (u && pw)) && (!*user || !*pass)) {
        sf_auth_secret_free(*user);
        sf_auth_secret_free(*pass);
        *user = *pass = NULL;
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    }
done:
    sf_auth_secret_free(dec);
    json_decref(root);
    return rc;
}

/* ---- auth state ---- */

int sf_auth_new(sf_auth **out, sf_http *http, const char *user, const char *pass,
                int allow_http_realm, sf_error *err)
{
    *out = NULL;
    sf_auth *a = calloc(1, sizeof *a);
    if (!a)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    a->http = http;
    a->allow_http_realm = allow_http_realm;
    pthread_mutex_init(&a->mu, NULL);
    if (user && *user) {
        a->user = sf_strdup(user);
        a->pass = sf_strdup(pass ? pass : "");
        if (!a->user || !a->pass) {
            sf_auth_free(a);
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        }
    }
    *out = a;
    return SF_OK;
}

void sf_auth_free(sf_auth *a)
{
    if (!a)
        return;
    for (int i = 0; i < a->ncache; i++) {
        free(a->cache[i].scope);
        sf_auth_secret_free(a->cache[i].token);
    }
    sf_auth_secret_free(a->user);
    sf_auth_secret_free(a->pass);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

int sf_auth_set_origin(sf_auth *a, const char *origin, int strict_realm, sf_error *err)
{
    if (!origin || strlen(origin) >= sizeof a->origin)
        return sf_error_set(err, SF_EINVAL, "registry origin too long");
    memcpy(a->origin, origin, strlen(origin) + 1);
    a->strict_realm = strict_realm;
    return SF_OK;
}

int sf_auth_has_credentials(const sf_auth *a) { return a->user != NULL; }

long sf_auth_tokens_fetched(const sf_auth *a) { return a->fetched; }

/* "Basic base64(user:pass)", malloc'd. */
static char *basic_value(const sf_auth *a)
{
    size_t ul = strlen(a->user), pl = strlen(a->pass), n = ul + 1 + pl;
    char *raw = malloc(n + 1);
    char *out = malloc(6 + 4 * ((n + 2) / 3) + 1);
    if (raw && out) {
        memcpy(raw, a->user, ul);
        raw[ul] = ':';
        memcpy(raw + ul + 1, a->pass, pl);
        memcpy(out, "Basic ", 6);
        EVP_EncodeBlock((unsigned char *)out + 6, (unsigned char *)raw, (int)n);
    } else {
        free(out);
        out = NULL;
    }
    if (raw) {
        explicit_bzero(raw, n);
        free(raw);
    }
    return out;
}

static int cache_find(sf_auth *a, const char *scope)
{
    for (int i = 0; i < a->ncache; i++)
        if (strcmp(a->cache[i].scope, scope) == 0)
            return i;
    return -1;
}

static void cache_drop(sf_auth *a, int i)
{
    free(a->cache[i].scope);
    sf_auth_secret_free(a->cache[i].token);
    a->cache[i] = a->cache[--a->ncache];
}

/* Store token for scope, evicting the entry that expires first when full. */
static void cache_put(sf_auth *a, const char *scope, char *token, double expires)
{
    int i = cache_find(a, scope);
    if (i >= 0)
        cache_drop(a, i);
    if (a->ncache == AUTH_CACHE_MAX) {
        int soonest = 0;
        for (int j = 1; j < a->ncache; j++)
            if (a->cache[j].expires < a->cache[soonest].expires)
                soonest = j;
        cache_drop(a, soonest);
    }
    char *s = sf_strdup(scope);
    if (!s) {
        sf_auth_secret_free(token);
        return;
    }
    a->cache[a->ncache++] = (tok_entry){s, token, expires};
}

/* Build the token URL: realm?service=..&scope=..(&scope=.. per scope). */
static int token_url(const char *realm, const char *service, const char *scope, sf_buf *u)
{
    char esc[2048];
    int rc = sf_buf_puts(u, realm);
    char sep = strchr(realm, '?') ? '&' : '?';
    if (!rc && service[0]) {
        if (sf_http_query_escape(service, esc, sizeof esc))
            return SF_ELIMIT;
        rc = sf_buf_printf(u, "%cservice=%s", sep, esc);
        sep = '&';
    }
    /* The challenge may carry several space-separated scopes. */
    const char *p = scope;
    while (!rc && *p) {
        size_t n = strcspn(p, " ");
        if (n) {
            char one[1024];
            if (n >= sizeof one)
                return SF_ELIMIT;
            memcpy(one, p, n);
            one[n] = '\0';
            if (sf_http_query_escape(one, esc, sizeof esc))
                return SF_ELIMIT;
            rc = sf_buf_printf(u, "%cscope=%s", sep, esc);
            sep = '&';
        }
        p += n;
        while (*p == ' ')
            p++;
    }
    return rc;
}

/* Fetch a token for scope from the realm (credentials as Basic if any). */
static int fetch_token(sf_auth *a, const char *realm, const char *service, const char *scope,
                       int creds, char **token, double *expires, sf_error *err)
{
    sf_buf url, body;
    char *authz = NULL;
    json_t *doc = NULL;
    sf_http_resp *resp = malloc(sizeof *resp);
    int rc;
    *token = NULL;
    sf_buf_init(&url, 8192);
    sf_buf_init(&body, AUTH_TOKEN_BODY_MAX);
    if (!resp) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if (token_url(realm, service, scope, &url)) {
        rc = sf_error_set(err, SF_EPARSE, "token request URL too long");
        goto done;
    }
    if (creds && a->user && !(authz = basic_value(a))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    sf_http_req req = {.method = "GET", .url = url.data, .authorization = authz, .body = &body};
    rc = sf_http_fetch(a->http, &req, resp, err);
    if (rc)
        goto done;
    if (resp->status == 401 || resp->status == 403) {
        rc = sf_error_set(err, SF_EAUTH, "token server refused %s (HTTP %ld)",
                          authz ? "the credentials" : "anonymous access", resp->status);
        goto done;
    }
    if (resp->status != 200) {
        rc = sf_error_set(err, SF_EAUTH, "token server answered HTTP %ld", resp->status);
        goto done;
    }
    json_error_t je;
    doc = json_loadb(body.data ? body.data : "", body.len, 0, &je);
    const char *t = json_string_value(json_object_get(doc, "token"));
    if (!t || !*t)
        t = json_string_value(json_object_get(doc, "access_token"));
    if (!t || !*t || strlen(t) > 16384 || strpbrk(t, "\r\n")) {
        rc = sf_error_set(err, SF_EAUTH, "token server response has no usable token");
        goto done;
    }
    json_int_t ttl = json_integer_value(json_object_get(doc, "expires_in"));
    if (ttl < AUTH_DEFAULT_TTL_S)
        ttl = AUTH_DEFAULT_TTL_S;
    if (ttl > 86400)
        ttl = 86400;
    /* Renew a little early so a token never expires mid-request. */
    *expires = sf_time_mono_s() + (double)ttl - (ttl >= 100 ? 10.0 : (double)ttl / 10.0);
    *token = sf_strdup(t);
    rc = *token ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
done:
    if (body.data)
        explicit_bzero(body.data, body.len);
    json_decref(doc); /* jansson does not wipe; the body copy above is */
    sf_buf_free(&body);
    sf_buf_free(&url);
    sf_auth_secret_free(authz);
    free(resp);
    return rc;
}

static int bearer_value(const char *token, char **value)
{
    size_t n = strlen(token);
    *value = malloc(n + 8);
    if (!*value)
        return SF_ENOMEM;
    memcpy(*value, "Bearer ", 7);
    memcpy(*value + 7, token, n + 1);
    return SF_OK;
}

/* Fetch a token for scope with the known realm and cache it. */
static int refresh(sf_auth *a, const char *req_scope, const char *ch_scope, sf_error *err)
{
    char realm[1024], service[256], *token = NULL;
    double expires = 0;
    pthread_mutex_lock(&a->mu);
    memcpy(realm, a->realm, sizeof realm);
    memcpy(service, a->service, sizeof service);
    int creds = a->realm_creds;
    pthread_mutex_unlock(&a->mu);
    int rc = fetch_token(a, realm, service, ch_scope, creds, &token, &expires, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    a->fetched++;
    cache_put(a, req_scope, token, expires);
    pthread_mutex_unlock(&a->mu);
    SF_DEBUG("registry", "token fetched|scope=%s", req_scope);
    return SF_OK;
}

int sf_auth_header(sf_auth *a, const char *scope, char **value, sf_error *err)
{
    *value = NULL;
    for (int round = 0; round < 2; round++) {
        pthread_mutex_lock(&a->mu);
        int mode = a->mode;
        if (mode == MODE_BASIC) {
            pthread_mutex_unlock(&a->mu);
            *value = basic_value(a);
            return *value ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
        }
        if (mode == MODE_NONE) {
            pthread_mutex_unlock(&a->mu);
            return SF_OK;
        }
        int i = cache_find(a, scope);
        if (i >= 0 && a->cache[i].expires > sf_time_mono_s()) {
            int rc = bearer_value(a->cache[i].token, value);
            pthread_mutex_unlock(&a->mu);
            return rc ? sf_error_set(err, rc, "out of memory") : SF_OK;
        }
        if (i >= 0)
            cache_drop(a, i);
        pthread_mutex_unlock(&a->mu);
        if (round == 0) {
            /* Bearer registry, new scope: get its token up front rather
             * than paying a 401 round trip per repository. */
            int rc = refresh(a, scope, scope, err);
            if (rc)
                return rc;
        }
    }
    return SF_OK;
}

/* The realm the registry's own GET /v2/ challenge names, looked up once
 * (without credentials) and kept; "" when it names none. */
static void v2_realm(sf_auth *a, char *out, size_t cap)
{
    char url[600];
    pthread_mutex_lock(&a->mu);
    int asked = a->v2_asked;
    snprintf(out, cap, "%s", a->v2_realm);
    pthread_mutex_unlock(&a->mu);
    if (asked)
        return;
    sf_http_resp *resp = malloc(sizeof *resp);
    sf_error e = SF_ERROR_INIT;
    sf_challenge ch;
    char found[1024] = "";
    snprintf(url, sizeof url, "%s/v2/", a->origin);
    sf_http_req req = {.method = "GET", .url = url, .no_retry = 1};
    int got = resp && sf_http_fetch(a->http, &req, resp, &e) == SF_OK;
    /* Only the registry's own answer counts (not one after a redirect). */
    if (got && resp->status == 401 && sf_http_same_origin(resp->url, a->origin) &&
        sf_auth_parse_challenge(resp->www_auth, &ch, &e) == SF_OK &&
        strcmp(ch.scheme, "bearer") == 0)
        memcpy(found, ch.realm, sizeof found);
    pthread_mutex_lock(&a->mu);
    if (got && !a->v2_asked) {
        a->v2_asked = 1;
        memcpy(a->v2_realm, found, sizeof a->v2_realm);
    }
    snprintf(out, cap, "%s", a->v2_realm);
    pthread_mutex_unlock(&a->mu);
    free(resp);
}

/* Decide whether realm (from a challenge of the registry's own origin)
 * may receive the credentials (*creds) or is refused outright. */
static int judge_realm(sf_auth *a, const char *realm, int from_v2, int *creds, sf_error *err)
{
    char v2[1024], shown[300];
    *creds = 1;
    if (!a->origin[0] || sf_http_same_origin(realm, a->origin))
        return SF_OK;
    if (a->strict_realm) {
        *creds = 0;
        return SF_OK;
    }
    if (from_v2) {
        pthread_mutex_lock(&a->mu);
        a->v2_asked = 1;
        snprintf(a->v2_realm, sizeof a->v2_realm, "%s", realm);
        pthread_mutex_unlock(&a->mu);
        return SF_OK;
    }
    v2_realm(a, v2, sizeof v2);
    if (v2[0] && strcmp(v2, realm) == 0)
        return SF_OK;
    snprintf(shown, sizeof shown, "%.*s", (int)strcspn(realm, "?#"), realm);
    return sf_error_set(err, SF_EAUTH,
                        "token realm %.200s is on another host and is not the one the "
                        "registry's /v2/ challenge names; credentials withheld",
                        shown);
}

int sf_auth_on_401(sf_auth *a, const char *www_auth, const char *scope, int sent_auth,
                   int from_v2, sf_error *err)
{
    sf_challenge ch;
    sf_error e = SF_ERROR_INIT;
    if (sf_auth_parse_challenge(www_auth, &ch, &e))
        return sf_error_set(err, SF_EAUTH, "unauthorized (%s)", e.msg);
    if (strcmp(ch.scheme, "basic") == 0) {
        if (!a->user)
            return sf_error_set(err, SF_EAUTH, "registry requires credentials (basic auth)");
        pthread_mutex_lock(&a->mu);
        int was = a->mode;
        a->mode = MODE_BASIC;
        pthread_mutex_unlock(&a->mu);
        if (was == MODE_BASIC && sent_auth)
            return sf_error_set(err, SF_EAUTH, "registry refused the credentials");
        return SF_OK;
    }
    if (strncmp(ch.realm, "https://", 8) != 0 &&
        !(a->allow_http_realm && strncmp(ch.realm, "http://", 7) == 0))
        return sf_error_set(err, SF_EAUTH, "token realm must be https");
    int creds, rc = judge_realm(a, ch.realm, from_v2, &creds, err);
    if (rc)
        return rc;
    pthread_mutex_lock(&a->mu);
    a->mode = MODE_BEARER;
    memcpy(a->realm, ch.realm, sizeof a->realm);
    memcpy(a->service, ch.service, sizeof a->service);
    a->realm_creds = creds;
    int i = cache_find(a, scope);
    int had = i >= 0;
    if (had)
        cache_drop(a, i);
    pthread_mutex_unlock(&a->mu);
    if (had && strcmp(ch.error, "insufficient_scope") == 0 && !ch.scope[0])
        return sf_error_set(err, SF_EAUTH, "token lacks the scope %s", scope);
    return refresh(a, scope, ch.scope[0] ? ch.scope : scope, err);
}
