/*
 * http_int: what the four files of the http module share. http.c is the
 * transport (handle pool, one exchange, one attempt with its redirects);
 * http_hdr.c parses response headers; http_url.c holds the URL helpers;
 * http_retry.c is sf_http_fetch, the retry policy over attempts. Private
 * to common/registry's http*.c: nothing else includes it.
 */
#ifndef SF_REG_HTTP_INT_H
#define SF_REG_HTTP_INT_H

#include <stddef.h>

#include "base/err.h"
#include "registry/http.h"

/* The options h runs with (its own copy, ca_file and PEMs included);
 * borrowed, valid until sf_http_free. (http.c) */
const sf_http_opts *sf_http__opts(const sf_http *h);

/* One attempt of req: the request and the redirects it leads to, under
 * the deadline that starts at t0 (monotonic seconds). resp->url ends as
 * the last URL asked; *retriable says whether another attempt could help
 * a failure. A non-2xx final answer is SF_OK with resp->status set: the
 * caller judges it. (http.c) */
int sf_http__attempt(sf_http *h, const sf_http_req *req, double t0, sf_http_resp *resp,
                     int *retriable, sf_error *err);

/* Clear r's header fields (status, strings, numbers to "absent") for a
 * new response; delivered and attempts stay. (http_hdr.c) */
void sf_http__resp_reset(sf_http_resp *r);

/* Take one header line buf[0..len) of a response, its CR LF included or
 * not, into r. A status line ("HTTP/...") resets r's headers, sets
 * r->status and returns 1; any other line sets the field it names, if
 * one we keep, and returns 0. *auth_overlong is set when a
 * WWW-Authenticate value did not fit r->www_auth. (http_hdr.c) */
int sf_http__header_line(sf_http_resp *r, const char *buf, size_t len, int *auth_overlong);

/* url without its query and fragment (tokens or signatures of
 * blob-storage redirects live there), truncated to fit out, for error
 * messages. (http_url.c) */
void sf_http__url_for_msg(const char *url, char *out, size_t outlen);

#endif
