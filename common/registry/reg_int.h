/*
 * reg_int: internals shared by registry.c (requests, manifests, blobs)
 * and reglist.c (catalog and tags pagination). Private to
 * common/registry.
 */
#ifndef SF_REG_INT_H
#define SF_REG_INT_H

#include "registry/auth.h"
#include "registry/http.h"
#include "registry/registry.h"

/* Longest URL we build or follow (Link targets included). */
#define REG_URL_MAX 4096
/* Page size when the caller passes 0 (the distribution default cap). */
#define REG_DEFAULT_PAGE 1000

struct sf_reg {
    sf_http *http;
    sf_auth *auth;
    char base[512];     /* "scheme://host[:port]" without trailing slash */
    char host[300];     /* "host[:port]" as written in image refs */
    long max_pages;     /* pages of one list walk */
    long max_entries;   /* names of one list walk */
    long names_skipped; /* atomic: invalid names skipped by list walks */
};

/* Perform req for a request needing token scope, answering the
 * registry's auth challenges (see registry.c). Non-2xx finals become
 * error codes with a message naming the URL without its query. */
int sf_reg__fetch(sf_reg *r, const char *scope, sf_http_req *req, sf_http_resp *resp,
                  sf_error *err);

/* Parse one list page body (catalog=1: "repositories", else "tags") as a
 * walk does: invalid names skipped and counted, cb per valid name. For
 * the fuzz target and tests. */
int sf_reg__parse_names(sf_reg *r, int catalog, const void *data, size_t n, sf_reg_name_cb cb,
                        void *ctx, sf_error *err);

#endif
