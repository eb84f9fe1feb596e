/*
 * api: scanfarm-api's request handling over the fleet view. One sf_api is
 * shared by every server thread: it holds only configuration, the Redis
 * client (thread-safe, pooled) and a mutex-guarded running-images cache.
 *
 * Routes (docs/api.md, generated from openapi.json): /v1/summary,
 * /v1/images[/{image}[/findings|/packages]], /v1/vulnerabilities[/{id}
 * [/images]], /v1/packages[/{eco}/{name}[/images]], /v1/registries[/{r}],
 * /v1/repositories[/{rr}], /v1/runs[/{run}], /v1/history,
 * /v1/openapi.json; anything else is a static file of the web root.
 */
#ifndef SF_API_H
#define SF_API_H

#include <stddef.h>

#include "api_http.h"
#include "base/err.h"
#include "cache/kv.h"

/* Page size cap: 500 image summaries are ~0.5 MiB of JSON. */
#define SF_API_MAX_PAGE 500
#define SF_API_DEFAULT_PAGE 50
/* Bearer tokens one tokens file may list. */
#define SF_API_MAX_TOKENS 256

typedef struct sf_api sf_api;

typedef struct sf_api_opts {
    sf_kv *kv;               /* borrowed */
    const char *prefix;      /* key prefix, NULL = "scanfarm" */
    const char *tokens_file; /* one token a line ('#' comments); NULL = no auth */
    const char *cors_origin; /* allowed Origin, NULL = CORS off ("*" any) */
    const char *web_root;    /* static files; NULL = none */
    int max_page;            /* 1..SF_API_MAX_PAGE, 0 = SF_API_MAX_PAGE */
} sf_api_opts;

int sf_api_new(sf_api **out, const sf_api_opts *o, sf_error *err);
void sf_api_free(sf_api *a);
/* The sf_api_handler of the server (ctx = sf_api). */
void sf_api_handle(void *ctx, const sf_api_req *req, sf_api_resp *resp);

/* The web-root-relative file of a static request ("index.html" for "/"):
 * -1 for any "..", ".", hidden, empty or backslash segment. */
int sf_api_static_relpath(const sf_api_req *r, char *out, size_t outlen);

/* The embedded OpenAPI document (api_doc.c, generated at build time). */
extern const char sf_api_openapi_json[];
extern const size_t sf_api_openapi_len;

#endif
