/*
 * db_update: see db_update.h. One libcurl easy handle fetches each URL in
 * turn (the sources are a handful of large files, so parallelism buys
 * little); bodies stream into a temp file in the cache directory that is
 * renamed into place only after a complete 200, so an interrupted update
 * leaves the previous copy intact. Validators are kept beside each file
 * (<file>.etag, <file>.lastmod).
 */
#include "db_update.h"
#include "db_update_nvd.h"

#include "cli.h"
#include "db_build.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"

/* Default sources: OSV's per-ecosystem exports and Alpine's secdb. */
static const char *const default_urls[] = {
    "https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/npm/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/Maven/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/RubyGems/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/Packagist/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip",
    "https://osv-vulnerabilities.storage.googleapis.com/Ubuntu/all.zip",
    "https://secdb.alpinelinux.org/v3.18/main.json",
    "https://secdb.alpinelinux.org/v3.19/main.json",
    "https://secdb.alpinelinux.org/v3.20/main.json",
    "https://secdb.alpinelinux.org/v3.21/main.json",
};

/* Largest source file accepted (OSV's Debian export is ~200 MiB). */
#define UPDATE_MAX_BYTES (4ULL << 30)

typedef struct fetch {
    FILE *f;
    unsigned long long bytes;
    char etag[512];
    char lastmod[128];
} fetch;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    fetch *ft = ud;
    size_t len = size * n;
    ft->bytes += len;
    if (ft->bytes > UPDATE_MAX_BYTES)
        return 0; /* aborts the transfer */
    return fwrite(p, 1, len, ft->f);
}

/* Keep a header value (trimmed) when it is the one asked for. */
static void keep_header(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    if (len <= nl || strncasecmp(line, name, nl) != 0)
        return;
    const char *v = line + nl, *e = line + len;
    while (v < e && (*v == ' ' || *v == '\t'))
        v++;
    while (e > v && isspace((unsigned char)e[-1]))
        e--;
    if ((size_t)(e - v) < outlen) {
        memcpy(out, v, (size_t)(e - v));
        out[e - v] = '\0';
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    fetch *ft = ud;
    size_t len = size * n;
    /* A new status line (redirect hop) resets what an earlier hop said. */
    if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
        ft->etag[0] = ft->lastmod[0] = '\0';
    }
    keep_header(p, len, "ETag:", ft->etag, sizeof ft->etag);
    keep_header(p, len, "Last-Modified:", ft->lastmod, sizeof ft->lastmod);
    return len;
}

static void read_small(const char *path, char *out, size_t outlen)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    fclose(f);
}

static int write_small(const char *path, const char *s)
{
    if (!*s) {
        unlink(path);
        return 0;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int bad = fputs(s, f) < 0;
    return (fclose(f) || bad) ? -1 : 0;
}

/* Cache file name of a URL: its characters, unsafe ones replaced. */
static void cache_name(const char *dir, const char *url, char *out, size_t outlen)
{
    char name[512];
    size_t n = 0;
    for (const char *p = url; *p && n < sizeof name - 1; p++)
        name[n++] = (isalnum((unsigned char)*p) || *p == '.' || *p == '-') ? *p : '_';
    name[n] = '\0';
    if (snprintf(out, outlen, "%s/%s", dir, name) >= (int)outlen)
        out[0] = '\0';
}

/* Fetch url into path if it changed. Returns 1 when a new copy was stored,
 * 0 when unchanged (304), -1 on failure (message printed). */
static int fetch_one(CURL *c, const char *url, const char *path, long timeout_s)
{
    char tmp[SF_LIM_PATH + 16], etag_path[SF_LIM_PATH + 8], lm_path[SF_LIM_PATH + 8];
    char etag[512], lastmod[128], hdr[700];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    snprintf(etag_path, sizeof etag_path, "%s.etag", path);
    snprintf(lm_path, sizeof lm_path, "%s.lastmod", path);
    struct stat st;
    int have = stat(path, &st) == 0;
    read_small(etag_path, etag, sizeof etag);
    read_small(lm_path, lastmod, sizeof lastmod);
    fetch ft = {0};
    ft.f = fopen(tmp, "wb");
    if (!ft.f) {
        fprintf(stderr, "scanfarm db update: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    struct curl_slist *h = NULL;
    if (have && etag[0]) {
        snprintf(hdr, sizeof hdr, "If-None-Match: %s", etag);
        h = curl_slist_append(h, hdr);
    }
    if (have && lastmod[0]) {
        snprintf(hdr, sizeof hdr, "If-Modified-Since: %s", lastmod);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &ft);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &ft);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "scanfarm-db-update");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    int closed_bad = fclose(ft.f) != 0;
    int rc = -1;
    if (cc != CURLE_OK) {
        fprintf(stderr, "scanfarm db update: %s: %s\n", url, curl_easy_strerror(cc));
    } else if (status == 304 && have) {
        rc = 0;
    } else if (status != 200) {
        fprintf(stderr, "scanfarm db update: %s: HTTP %ld\n", url, status);
    } else if (closed_bad || rename(tmp, path)) {
        fprintf(stderr, "scanfarm db update: storing %s failed\n", path);
    } else if (write_small(etag_path, ft.etag) || write_small(lm_path, ft.lastmod)) {
        fprintf(stderr, "scanfarm db update: storing validators of %s failed\n", path);
        rc = 1;
    } else {
        rc = 1;
    }
    unlink(tmp);
    return rc;
}

static int usage(FILE *f, int code)
{
    fprintf(f,
            "usage: scanfarm db update [--out FILE] [--cache DIR] [--url URL]... [--force]\n"
            "                          [--timeout SECONDS]\n"
            "  --out     DB file (default $SCANFARM_DB)\n"
            "  --cache   download cache (default $SCANFARM_DB_CACHE or <out>.cache)\n"
            "  --url     a source URL; repeatable (default $SCANFARM_DB_URLS, space\n"
            "            separated, else OSV's per-ecosystem exports and Alpine secdb)\n"
            "  --force   rebuild even when no source changed\n"
            "  --nvd     also fetch NVD CVE records (API 2.0) changed since the last update\n"
            "  --nvd-url URL       the API endpoint (default " SF_NVD_API_URL ")\n"
            "  --nvd-api-key KEY   sent as the apiKey header (default $NVD_API_KEY); allows\n"
            "                      50 requests per 30 s instead of 5\n"
            "  --nvd-since DATE    start of the first NVD update (ISO-8601, e.g.\n"
            "                      2024-01-01T00:00:00.000Z); later ones resume from the last\n"
            "  --nvd-delay SECONDS between NVD requests (default 6, or 0.6 with a key)\n"
            "  --nvd-page N        records per page, 1..2000 (default 2000)\n");
    return code;
}

/* The URLs to fetch: --url options, else $SCANFARM_DB_URLS, else defaults. */
static int collect_urls(int argc, char **argv, char ***urls, int *nurls, char **envcopy)
{
    int n = 1; /* room for the NVD cache directory */
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--url") == 0)
            n++;
    const char *env = getenv("SCANFARM_DB_URLS");
    size_t cap = (size_t)n + sizeof default_urls / sizeof default_urls[0] +
                 (env ? strlen(env) / 2 + 1 : 0) + 1;
    char **u = calloc(cap, sizeof *u);
    if (!u)
        return -1;
    int k = 0;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--url") == 0)
            u[k++] = argv[++i];
    if (!k && env && *env) {
        if (!(*envcopy = strdup(env))) {
            free(u);
            return -1;
        }
        for (char *p = *envcopy; *p;) {
            while (*p && isspace((unsigned char)*p))
                *p++ = '\0';
            if (*p)
                u[k++] = p;
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
    }
    for (size_t i = 0; !k && i < sizeof default_urls / sizeof default_urls[0]; i++)
        u[i] = (char *)default_urls[i];
    if (!k)
        k = (int)(sizeof default_urls / sizeof default_urls[0]);
    *urls = u;
    *nurls = k;
    return 0;
}

/* The --nvd* options; 1 when argv[*i] was one (consumed), -1 when bad. */
static int nvd_option(int argc, char **argv, int *i, int *nvd, sf_nvd_update_opts *o)
{
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    char *end = NULL;
    if (strcmp(a, "--nvd") == 0)
        return *nvd = 1;
    if (strncmp(a, "--nvd-", 6) != 0)
        return 0;
    if (!v)
        return -1;
    ++*i;
    *nvd = 1;
    if (strcmp(a, "--nvd-url") == 0)
        o->url = v;
    else if (strcmp(a, "--nvd-api-key") == 0)
        o->api_key = v;
    else if (strcmp(a, "--nvd-since") == 0)
        o->since = v;
    else if (strcmp(a, "--nvd-delay") == 0 && (o->delay_s = strtod(v, &end)) >= 0 && !*end)
        return 1;
    else if (strcmp(a, "--nvd-page") == 0 && (o->page_size = (int)strtol(v, &end, 10)) >= 1 &&
             o->page_size <= 2000 && !*end)
        return 1;
    else
        return -1;
    return 1;
}

int sf_db_update_main(int argc, char **argv)
{
    const char *out = getenv("SCANFARM_DB"), *cache = getenv("SCANFARM_DB_CACHE");
    int force = 0, rc = SF_EXIT_ERROR, nvd = 0;
    long timeout_s = 600;
    sf_nvd_update_opts nopt = {.url = SF_NVD_API_URL, .api_key = getenv("NVD_API_KEY"),
                               .delay_s = -1, .retry_scale = 1, .page_size = 2000};
    const char *scale = getenv("SF_NVD_RETRY_SCALE"); /* tests: no backoff sleeps */
    if (scale)
        nopt.retry_scale = strtod(scale, NULL);
    for (int i = 1; i < argc; i++) {
        int k = nvd_option(argc, argv, &i, &nvd, &nopt);
        if (k < 0)
            return usage(stderr, SF_EXIT_USAGE);
        if (k)
            continue;
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--cache") == 0 && i + 1 < argc)
            cache = argv[++i];
        else if (strcmp(argv[i], "--url") == 0 && i + 1 < argc)
            i++;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_s = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--force") == 0)
            force = 1;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return usage(stdout, SF_EXIT_OK);
        else
            return usage(stderr, SF_EXIT_USAGE);
    }
    if (!out || !*out || timeout_s <= 0)
        return usage(stderr, SF_EXIT_USAGE);
    char cachebuf[SF_LIM_PATH];
    if (!cache || !*cache) {
        snprintf(cachebuf, sizeof cachebuf, "%s.cache", out);
        cache = cachebuf;
    }
    if (mkdir(cache, 0755) && errno != EEXIST) {
        fprintf(stderr, "scanfarm db update: cannot create %s: %s\n", cache, strerror(errno));
        return SF_EXIT_ERROR;
    }
    char **urls = NULL, *envcopy = NULL, **paths = NULL, nvd_dir[SF_LIM_PATH];
    int nurls = 0, changed = 0, failed = 0;
    CURL *c = curl_easy_init();
    if (!c || collect_urls(argc, argv, &urls, &nurls, &envcopy) ||
        !(paths = calloc((size_t)nurls + 1, sizeof *paths)))
        goto done;
    for (int i = 0; i < nurls; i++) {
        char path[SF_LIM_PATH];
        cache_name(cache, urls[i], path, sizeof path);
        if (!path[0]) {
            fprintf(stderr, "scanfarm db update: cache path too long for %s\n", urls[i]);
            goto done;
        }
        if (!(paths[i] = strdup(path)))
            goto done;
        int r = fetch_one(c, urls[i], path, timeout_s);
        printf("%-70s %s\n", urls[i], r > 0 ? "updated" : r == 0 ? "unchanged" : "FAILED");
        changed += r > 0;
        failed += r < 0;
    }
    if (nvd && !failed) {
        int nch = 0;
        if (snprintf(nvd_dir, sizeof nvd_dir, "%s/nvd", cache) >= (int)sizeof nvd_dir) {
            fprintf(stderr, "scanfarm db update: cache path too long: %s\n", cache);
            goto done;
        }
        nopt.cache_dir = nvd_dir;
        nopt.timeout_s = timeout_s;
        if (sf_db_update_nvd(c, &nopt, &nch) != 0)
            failed++;
        changed += nch;
        /* The pages' directory is one more source, named by the API. */
        if (!failed && !(paths[nurls] = strdup(nvd_dir)))
            goto done;
        if (!failed)
            urls[nurls++] = (char *)nopt.url;
    }
    if (failed) {
        /* A partial set would silently drop advisories: keep the old DB. */
        fprintf(stderr, "scanfarm db update: %d source(s) failed; DB not rebuilt\n", failed);
        goto done;
    }
    struct stat st;
    if (!changed && !force && stat(out, &st) == 0) {
        printf("no source changed; %s kept\n", out);
        rc = SF_EXIT_OK;
        goto done;
    }
    rc = sf_db_build_from(out, paths, urls, nurls, 0);
done:
    for (int i = 0; paths && i < nurls; i++)
        free(paths[i]);
    free(paths);
    free(urls);
    free(envcopy);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}
