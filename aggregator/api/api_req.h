/*
 * api_req: the untrusted half of scanfarm-api's HTTP: the request head
 * (request line, the headers the API reads), the path split into
 * percent-decoded segments, and the query string into decoded
 * name/value pairs. Everything is bounded; nothing here allocates.
 */
#ifndef SF_API_REQ_H
#define SF_API_REQ_H

#include <stddef.h>

#include "base/err.h"

/* Request head cap: a browser's request with cookies is ~2-4 KiB. */
#define SF_API_MAX_HEAD 16384
/* Path segments and query parameters of one request (the deepest route
 * has 5 segments; a list takes ~12 parameters). */
#define SF_API_MAX_SEGS 8
#define SF_API_MAX_PARAMS 24
/* A decoded segment or parameter value (an image ref is <= 1 KiB). */
#define SF_API_MAX_VALUE 1100

typedef struct sf_api_param {
    char name[32];
    char value[SF_API_MAX_VALUE];
} sf_api_param;

typedef struct sf_api_req {
    char method[8];
    char target[4096];          /* raw request target */
    char path[2048];            /* raw path (no query) */
    char segs[SF_API_MAX_SEGS][SF_API_MAX_VALUE]; /* decoded path segments */
    size_t nsegs;
    sf_api_param params[SF_API_MAX_PARAMS];
    size_t nparams;
    char auth[512];             /* Authorization header value, "" none */
    char origin[256];           /* Origin header value, "" none */
    int minor;                  /* HTTP/1.<minor> */
    char why[128];              /* reason when parsing failed */
} sf_api_req;

/*
 * Parse a request head data[0..len). *complete = 0: the head has not
 * ended yet (read more). SF_OK; SF_EPARSE malformed (req->why says what),
 * SF_ELIMIT too long / too many parts, SF_EUNSUPPORTED not HTTP/1.x.
 */
int sf_api_req_parse(const char *data, size_t len, sf_api_req *req, int *complete);

/* Percent-decode s[0..n) into out (NUL-terminated); '+' is a space only
 * when plus_space. -1 on a bad escape, an encoded NUL or no room. */
int sf_api_pct_decode(const char *s, size_t n, char *out, size_t outlen, int plus_space);

/* Value of query parameter name, NULL when absent (first one wins;
 * sf_api_req_parse rejects repeated names). */
const char *sf_api_param_get(const sf_api_req *req, const char *name);

#endif
