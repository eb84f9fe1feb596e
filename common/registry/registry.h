/*
 * registry: client for the OCI distribution API of one registry (base
 * URL, credentials, TLS policy, concurrency and rate limits), over libcurl
 * with connection reuse. Handles auth challenges (basic, bearer tokens
 * cached per scope), retries 429/5xx with backoff and Retry-After, and
 * drops Authorization on cross-host redirects; a 401 from a redirect
 * target is an error, never a challenge, and a token realm on another
 * host gets the credentials only by Docker's /v2/ rule (docs/security.md).
 * Credentials never reach logs or error messages.
 *
 * Thread safety: one sf_reg may be used from several threads at once.
 */
#ifndef SF_REGISTRY_H
#define SF_REGISTRY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/err.h"

typedef struct sf_reg sf_reg;

typedef struct sf_reg_opts {
    const char *url;       /* "https://host[:port]" or "http://..." ; no scheme = https */
    const char *username;  /* NULL = anonymous (or from docker config) */
    const char *password;
    const char *docker_config; /* path of a Docker config.json for credentials, or NULL */
    int insecure;          /* 1: allow plain HTTP and skip TLS verification */
    int max_conns;         /* concurrent requests to this registry (0 = default 8) */
    double rate;           /* requests per second (0 = unlimited) */
    int max_retries;       /* retries on 429/5xx/network errors (-1 = default 5) */
    long connect_timeout_ms; /* 0 = default 10000 */
    long stall_timeout_ms;   /* abort when no byte flows for this long (0 = 30000) */
    /* Added after the first version of this header: */
    long backoff_base_ms;    /* first retry delay before jitter (0 = 200) */
    long backoff_max_ms;     /* cap of one retry delay, Retry-After included (0 = 60000) */
    const atomic_int *cancel; /* when it becomes non-zero, calls stop with SF_ECANCELED */
    const char *ca_file;     /* PEM bundle of CAs to trust instead of the system's, or NULL */
    /* Overall deadline of each request: deadline_base_ms plus its size
     * (declared, Content-Length or cap) at min_rate_bps; see http.h. */
    long min_rate_bps;       /* 0 = default 262144 (256 KiB/s), < 0 = no deadline */
    long deadline_base_ms;   /* 0 = default 60000 */
    /* Trust boundaries (docs/security.md): */
    const struct sf_netpol *netpol; /* connect-time address policy (borrowed; NULL =
                                     * default: no link-local / metadata address) */
    int strict_realm;        /* 1: a token realm on another origin never receives the
                              * credentials (tokens from it are asked anonymously); 0:
                              * Docker's rule, it does when the registry's own /v2/
                              * challenge names that realm */
    long list_max_pages;     /* pages of one catalog or tags walk (0 = SF_LIM_LIST_PAGES) */
    long list_max_entries;   /* names of one catalog walk (0 = SF_LIM_CATALOG_ENTRIES) */
} sf_reg_opts;

int sf_reg_new(sf_reg **out, const sf_reg_opts *opts, sf_error *err);
void sf_reg_free(sf_reg *r);
/* "host[:port]" of the registry as used in image refs; borrowed. */
const char *sf_reg_host(const sf_reg *r);

/* Accept header value listing OCI manifest, OCI index, Docker schema2 and
 * Docker manifest list. */
extern const char *const SF_REG_MANIFEST_ACCEPT;

/*
 * GET a manifest by tag or digest. body receives the bytes (capped at
 * SF_LIM_MANIFEST_BYTES); media_type the Content-Type (or the document's
 * mediaType); digest the sha256 of the body. When ref is a digest the body
 * is verified against it (SF_EDIGEST on mismatch).
 */
int sf_reg_get_manifest(sf_reg *r, const char *repo, const char *ref, sf_buf *body,
                        char *media_type, size_t mtlen, char digest[SF_DIGEST_MAX],
                        sf_error *err);

/* HEAD a manifest: digest from Docker-Content-Digest, falling back to GET
 * and hashing the body where the header is missing. */
int sf_reg_resolve(sf_reg *r, const char *repo, const char *tag, char digest[SF_DIGEST_MAX],
                   char *media_type, size_t mtlen, sf_error *err);

/* Streaming sink: return SF_OK to go on, or an error code to abort. */
typedef int (*sf_sink_fn)(void *ctx, const void *data, size_t n);

/* GET a blob and stream its bytes to sink as they arrive (no buffering of
 * the whole blob). Retries only before the first byte was delivered. The
 * caller verifies the digest (it sees every byte). */
int sf_reg_get_blob(sf_reg *r, const char *repo, const char *digest, sf_sink_fn sink,
                    void *ctx, sf_error *err);
/* The same for a blob whose descriptor declares size bytes: a body that
 * announces or delivers more fails with SF_EDIGEST at once, and the size
 * sets the request's deadline. */
int sf_reg_get_blob_sized(sf_reg *r, const char *repo, const char *digest, uint64_t size,
                          sf_sink_fn sink, void *ctx, sf_error *err);

/* Page through /v2/_catalog (n per page, Link rel="next"); cb per repo.
 * cb returns SF_OK to go on. A walk that does not progress (a `last=`
 * seen before; for the catalog, `last` not strictly increasing, as the
 * distribution spec orders it) fails with SF_EPARSE, one past
 * list_max_pages pages or list_max_entries names with SF_ELIMIT. Names
 * that are not valid (bad UTF-8, NUL, not a repository name) are skipped,
 * counted (sf_reg_names_skipped) and logged escaped; they do not fail the
 * walk. */
typedef int (*sf_reg_name_cb)(void *ctx, const char *name);
int sf_reg_catalog(sf_reg *r, int page_size, sf_reg_name_cb cb, void *ctx, sf_error *err);
/* Page through /v2/<repo>/tags/list. */
int sf_reg_tags(sf_reg *r, const char *repo, int page_size, sf_reg_name_cb cb, void *ctx,
                sf_error *err);

/* Check that the registry answers the API: GET /v2/ (following an auth
 * challenge). SF_OK when it answers 200 (or 401 without credentials to
 * offer: the registry is alive, access is decided per request);
 * SF_ENET / SF_ETIMEOUT / SF_ESERVER / SF_ERATELIMIT after retries, and
 * SF_EAUTH when configured credentials are refused. */
int sf_reg_ping(sf_reg *r, sf_error *err);

/* 1 when name is a valid repository name of the distribution spec
 * (lowercase path components joined by '/', at most 255 bytes). Names from
 * a catalog are untrusted: they are checked before they reach a URL. */
int sf_reg_valid_repo(const char *name);
/* 1 when tag is a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{0,127}). */
int sf_reg_valid_tag(const char *tag);

/*
 * Find the target of the rel="next" link in a Link header value
 * (`<url>; rel="next"`, several links separated by commas, rel values may
 * list several space-separated relations). Returns 1 and copies the
 * target (as written: relative or absolute) into out, 0 when there is no
 * next link, SF_EPARSE when malformed or longer than outlen.
 */
int sf_reg_parse_link_next(const char *hdr, char *out, size_t outlen);

/* Names skipped as invalid by catalog and tags walks of r so far. */
long sf_reg_names_skipped(const sf_reg *r);

/* HTTP transfers made by r so far (retries, redirects, token requests
 * included): the "raw request" count for measurements. */
long sf_reg_requests(const sf_reg *r);

#endif
