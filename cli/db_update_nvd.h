/*
 * db_update_nvd: incremental fetch of NVD's CVE API 2.0 for `scanfarm db
 * update --nvd`: every record modified since the previous update
 * (lastModStartDate / lastModEndDate in windows of at most 120 days,
 * startIndex / resultsPerPage paging), spaced by the public rate limit,
 * with the optional API key in the `apiKey` header. Pages land in the
 * cache directory; the DB rebuild imports them with the other sources.
 * Requests go through registry/http (its own sf_http, retries included).
 */
#ifndef SF_DB_UPDATE_NVD_H
#define SF_DB_UPDATE_NVD_H

#include <time.h>

#define SF_NVD_API_URL "https://services.nvd.nist.gov/rest/json/cves/2.0"

typedef struct sf_nvd_update_opts {
    const char *url;       /* API endpoint (SF_NVD_API_URL) */
    const char *api_key;   /* NULL or "": none (and the slower rate) */
    const char *cache_dir; /* pages and the .watermark */
    const char *since;     /* start of the first update, ISO-8601 */
    double delay_s;        /* between requests; < 0: 6 s, 0.6 s with a key */
    double retry_scale;    /* multiplies retry backoffs (1; tests use 0) */
    int page_size;         /* resultsPerPage, 1..2000 */
    long timeout_s;        /* per request */
    time_t now;            /* end of this update; 0 = now */
} sf_nvd_update_opts;

/* Fetch what changed since the watermark; *changed = 1 when a page with
 * records was stored. 0, or -1 with a message (the watermark is kept). */
int sf_db_update_nvd(const sf_nvd_update_opts *o, int *changed);

#endif
