/*
 * auth: registry authentication (private to common/registry, exported
 * for tests). Credentials come from the caller (config / environment) or
 * a Docker config.json; challenges in WWW-Authenticate decide between
 * Basic and Bearer; bearer tokens are fetched from the challenge's realm
 * with the credentials and cached per scope until shortly before they
 * expire. Secrets are never written to logs or error messages, and
 * buffers that held them are wiped before they are freed.
 *
 * Thread safety: sf_auth functions may be called from several threads.
 */
#ifndef SF_REG_AUTH_H
#define SF_REG_AUTH_H

#include <stddef.h>

#include "base/err.h"
#include "registry/http.h"

/* One parsed challenge (the preferred one of a WWW-Authenticate value). */
typedef struct sf_challenge {
    char scheme[16];   /* "bearer" or "basic" (lowercased) */
    char realm[1024];
    char service[256];
    char scope[1024];
    char error[64];    /* e.g. "invalid_token", "insufficient_scope" */
} sf_challenge;

/*
 * Parse a WWW-Authenticate value (possibly several challenges joined by
 * commas, RFC 7235 auth-params with token or quoted-string values) and
 * keep the Bearer challenge if there is one, else the Basic one.
 * SF_EUNSUPPORTED when neither is offered, SF_EPARSE when malformed or a
 * value is longer than its field.
 */
int sf_auth_parse_challenge(const char *hdr, sf_challenge *out, sf_error *err);

/*
 * Look up credentials for registry host ("host[:port]") in the Docker
 * config.json at path: `auths` keyed by host, "https://host",
 * "http://host" or Docker Hub's historical index URL for docker.io, with
 * base64 `auth` ("user:password") or `username` + `password`. The outputs
 * user and pass are malloc'd (wipe with sf_auth_secret_free); both NULL
 * when the file has no entry. SF_ECONFIG on a missing or malformed file.
 */
int sf_auth_docker_config(const char *path, const char *host, char **user, char **pass,
                          sf_error *err);

/* Wipe and free a secret string (NULL is fine). */
void sf_auth_secret_free(char *s);

typedef struct sf_auth sf_auth;

/* New auth state using http for token requests; user/pass may be NULL
 * (anonymous) and are copied. allow_http_realm: accept a token realm
 * over plain HTTP (only when the registry itself is plain HTTP or
 * insecure). */
int sf_auth_new(sf_auth **out, sf_http *http, const char *user, const char *pass,
                int allow_http_realm, sf_error *err);
void sf_auth_free(sf_auth *a);

/*
 * Bind a to the registry it authenticates for: origin is the registry's
 * "scheme://host[:port]" (copied). A Bearer realm on that origin is the
 * registry's own. A realm on another origin (a separate token server,
 * as Docker Hub's) receives the credentials only when strict_realm is 0
 * and the registry's own `/v2/` challenge names exactly that realm
 * (Docker's rule; a's first such realm is looked up once with a GET of
 * origin/v2/); with strict_realm 1 it never does and tokens are asked
 * for anonymously. Without this call any realm is trusted (tests of the
 * parser only).
 */
int sf_auth_set_origin(sf_auth *a, const char *origin, int strict_realm, sf_error *err);

/* 1 when credentials were configured. */
int sf_auth_has_credentials(const sf_auth *a);

/*
 * Authorization value to send for a request needing scope (e.g.
 * "repository:library/alpine:pull", "registry:catalog:*"): NULL before
 * any challenge, "Basic ..." once the registry asked for basic, "Bearer
 * <token>" from the cache, fetching a token first when the registry is
 * known to use bearer tokens and none is cached for scope. *value is
 * malloc'd; free it with sf_auth_secret_free.
 */
int sf_auth_header(sf_auth *a, const char *scope, char **value, sf_error *err);

/*
 * React to a 401 whose WWW-Authenticate is www_auth for a request that
 * needed scope and was sent with (sent_auth=1) or without an
 * Authorization header: switch to basic (SF_EAUTH when there are no
 * credentials, or the request already carried them), or drop the cached
 * token for scope and fetch a new one. from_v2: the 401 answered the
 * registry's own GET /v2/ (its realm is then the registry's word). The
 * caller passes only 401s from the registry's own origin: a 401 from a
 * redirect target is not a challenge. On SF_OK the caller retries the
 * request once.
 */
int sf_auth_on_401(sf_auth *a, const char *www_auth, const char *scope, int sent_auth,
                   int from_v2, sf_error *err);

/* Number of bearer tokens fetched so far (for tests and metrics). */
long sf_auth_tokens_fetched(const sf_auth *a);

#endif
