/*
 * db_update: see db_update.h. One sf_http (registry/http.h: retries with
 * backoff and Retry-After, deadlines, the CA and proxy settings of every
 * other client) fetches each URL in turn (the sources are a handful of large files, so parallelism buys
 * little); bodies stream into a temp file in the cache directory that is
 * renamed into place only after a complete 200, so an interrupted update
 * leaves the previous copy intact. Validators are kept beside each file
 * (<file>.etag, <file>.lastmod).
 */
#include "db_update.h"
#include "db_update_nvd.h"

#include "cli.h"
#include "cli_opts.h"
#include "db_build.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "registry/http.h"

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

/* The file a body streams into, and its cap. */
typedef struct fetch {
    FILE *f;
    unsigned long long bytes;
} fetch;

static int on_body(void *ud, const void *p, size_t len)
{
    fetch *ft = ud;
    ft->bytes += len;
    if (ft->bytes > UPDATE_MAX_BYTES)
        return SF_ELIMIT;
    return fwrite(p, 1, len, ft->f) == len ? SF_OK : SF_EIO;
}

/* A retry is worth a line: a slow source otherwise looks hung. */
static void on_retry(void *ctx, const char *why, long delay_ms)
{
    (void)ctx;
    fprintf(stderr, "scanfarm db update: %s, retrying in %ld ms\n", why, delay_ms);
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
static int fetch_one(sf_http *h, const char *url, const char *path, long timeout_s)
{
    char tmp[SF_LIM_PATH + 16], etag_path[SF_LIM_PATH + 8], lm_path[SF_LIM_PATH + 8];
    char etag[SF_HTTP_ETAG_MAX], lastmod[64], inm[SF_HTTP_ETAG_MAX + 32], ims[96];
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
    const char *hdrs[3] = {NULL, NULL, NULL};
    int nh = 0;
    if (have && etag[0]) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
        hdrs[nh++] = inm;
    }
    if (have && lastmod[0]) {
        snprintf(ims, sizeof ims, "If-Modified-Since: %s", lastmod);
        hdrs[nh++] = ims;
    }
    sf_http_req req = {.method = "GET", .url = url, .sink = on_body, .sink_ctx = &ft,
                       .headers = hdrs, .deadline_ms = timeout_s * 1000, .decompress = 1,
                       .on_retry = on_retry};
    sf_http_resp *resp = malloc(sizeof *resp); /* ~18 KiB of header fields */
    sf_error e = SF_ERROR_INIT;
    int frc = resp ? sf_http_fetch(h, &req, resp, &e) : SF_ENOMEM;
    int closed_bad = fclose(ft.f) != 0;
    int rc = -1;
    if (frc != SF_OK) {
        fprintf(stderr, "scanfarm db update: %s: %s\n", url, resp ? e.msg : "out of memory");
    } else if (resp->status == 304 && have) {
        rc = 0;
    } else if (resp->status != 200) {
        fprintf(stderr, "scanfarm db update: %s: HTTP %ld\n", url, resp->status);
    } else if (closed_bad || rename(tmp, path)) {
        fprintf(stderr, "scanfarm db update: storing %s failed\n", path);
    } else if (write_small(etag_path, resp->etag) || write_small(lm_path, resp->last_modified)) {
        fprintf(stderr, "scanfarm db update: storing validators of %s failed\n", path);
        rc = 1;
    } else {
        rc = 1;
    }
    free(resp);
    unlink(tmp);
    return rc;
}

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct update_cfg {
    char *out, *cache, *nvd_url, *nvd_api_key, *nvd_since, *nvd_delay, *nvd_page;
    sf_strlist url;
    int force, nvd;
    long timeout;
} update_cfg;

#define U(f) offsetof(update_cfg, f)
static const sf_opt UPDATE_OPTS[] = {
    {"out", SF_OT_STR, U(out), NULL, "SCANFARM_DB", 0, 0, 0, "DB file (required)", "FILE"},
    {"cache", SF_OT_STR, U(cache), NULL, "SCANFARM_DB_CACHE", 0, 0, 0,
     "download cache (default <out>.cache)", "DIR"},
    {"url", SF_OT_LIST, U(url), NULL, NULL, 0, 0, 1000,
     "a source URL; repeatable (default $SCANFARM_DB_URLS, space separated, else OSV's "
     "per-ecosystem exports and Alpine secdb)", "URL"},
    {"timeout", SF_OT_LONG, U(timeout), "600", NULL, 0, 1, 86400, "seconds per download",
     "SECONDS"},
    {"force", SF_OT_BOOL, U(force), "false", NULL, 0, 0, 0,
     "rebuild even when no source changed"},
    {"nvd", SF_OT_BOOL, U(nvd), "false", NULL, 0, 0, 0,
     "also fetch NVD CVE records (API 2.0) changed since the last update (any --nvd-* option "
     "implies it)"},
    {"nvd_url", SF_OT_STR, U(nvd_url), NULL, NULL, 0, 0, 0,
     "the API endpoint (default " SF_NVD_API_URL ")", "URL"},
    {"nvd_api_key", SF_OT_STR, U(nvd_api_key), NULL, "NVD_API_KEY", SF_OPT_MASKED, 0, 0,
     "sent as the apiKey header; allows 50 requests per 30 s instead of 5", "KEY"},
    {"nvd_since", SF_OT_STR, U(nvd_since), NULL, NULL, 0, 0, 0,
     "start of the first NVD update (ISO-8601, e.g. 2024-01-01T00:00:00.000Z); later ones "
     "resume from the last", "DATE"},
    {"nvd_delay", SF_OT_STR, U(nvd_delay), NULL, NULL, 0, 0, 0,
     "between NVD requests (default 6, or 0.6 with a key)", "SECONDS"},
    {"nvd_page", SF_OT_STR, U(nvd_page), NULL, NULL, 0, 0, 0,
     "records per page, 1..2000 (default 2000)", "N"},
};
#undef U
static const sf_opt_group UPDATE_GROUPS[] = {
    {NULL, UPDATE_OPTS, sizeof UPDATE_OPTS / sizeof UPDATE_OPTS[0], 0}};
static const sf_opt_spec UPDATE_SPEC = {
    .prog = "scanfarm db update",
    .summary = "Fetch the sources (ETag / If-Modified-Since), rebuild the DB when one changed.",
    .groups = UPDATE_GROUPS,
    .ngroups = 1,
};

const sf_opt_spec *sf_cmd_db_update_spec(void)
{
    return &UPDATE_SPEC;
}

/* The --nvd* options into o; -1 with the reason printed when bad. */
static int nvd_options(const update_cfg *c, int *nvd, sf_nvd_update_opts *o)
{
    char *end = NULL;
    const char *env_key = getenv("NVD_API_KEY"); /* the variable alone does not imply --nvd */
    *nvd = c->nvd || c->nvd_url || c->nvd_since || c->nvd_delay || c->nvd_page ||
           (c->nvd_api_key && (!env_key || strcmp(env_key, c->nvd_api_key) != 0));
    if (c->nvd_url)
        o->url = c->nvd_url;
    if (c->nvd_api_key)
        o->api_key = c->nvd_api_key;
    o->since = c->nvd_since;
    if (c->nvd_delay && ((o->delay_s = strtod(c->nvd_delay, &end)) < 0 || *end || end == c->nvd_delay)) {
        fprintf(stderr, "scanfarm db update: --nvd-delay: seconds, at least 0\n");
        return -1;
    }
    if (c->nvd_page && ((o->page_size = (int)strtol(c->nvd_page, &end, 10)) < 1 ||
                        o->page_size > 2000 || *end || end == c->nvd_page)) {
        fprintf(stderr, "scanfarm db update: --nvd-page: 1..2000\n");
        return -1;
    }
    return 0;
}

/* The URLs to fetch: --url options, else $SCANFARM_DB_URLS, else defaults. */
static int collect_urls(const sf_strlist *given, char ***urls, int *nurls, char **envcopy)
{
    int n = 1 + (int)given->n; /* room for the NVD cache directory */
    const char *env = getenv("SCANFARM_DB_URLS");
    size_t cap = (size_t)n + sizeof default_urls / sizeof default_urls[0] +
                 (env ? strlen(env) / 2 + 1 : 0) + 1;
    char **u = calloc(cap, sizeof *u);
    if (!u)
        return -1;
    int k = 0;
    for (size_t i = 0; i < given->n; i++)
        u[k++] = given->v[i];
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

static int update_run(update_cfg *uc, const char *out, const char *cache, int nvd,
                      sf_nvd_update_opts *nopt);

int sf_db_update_main(int argc, char **argv)
{
    update_cfg c;
    sf_opt_cmd cmd;
    int ex = SF_EXIT_OK, nvd = 0;
    if (sf_cli_opts_load(&UPDATE_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        sf_opt_free(&UPDATE_SPEC, &c);
        return ex;
    }
    sf_nvd_update_opts nopt = {.url = SF_NVD_API_URL, .api_key = NULL, .delay_s = -1,
                               .retry_scale = 1, .page_size = 2000};
    const char *scale = getenv("SF_NVD_RETRY_SCALE"); /* tests: no backoff sleeps */
    if (scale)
        nopt.retry_scale = strtod(scale, NULL);
    if (nvd_options(&c, &nvd, &nopt) != 0 || !c.out || !*c.out) {
        if (!c.out || !*c.out)
            fprintf(stderr, "scanfarm db update: no DB (--out FILE or SCANFARM_DB)\n");
        sf_opt_usage(&UPDATE_SPEC, stderr);
        sf_opt_free(&UPDATE_SPEC, &c);
        return SF_EXIT_USAGE;
    }
    ex = update_run(&c, c.out, c.cache, nvd, &nopt);
    sf_opt_free(&UPDATE_SPEC, &c);
    return ex;
}

static int update_run(update_cfg *uc, const char *out, const char *cache, int nvd,
                      sf_nvd_update_opts *nopt)
{
    int force = uc->force, rc = SF_EXIT_ERROR;
    long timeout_s = uc->timeout;
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
    sf_http *c = NULL;
    sf_http_opts ho;
    sf_http_opts_default(&ho);
    ho.max_conns = 1;
    ho.connect_timeout_ms = 15000;
    sf_error he = SF_ERROR_INIT;
    if (sf_http_new(&c, &ho, &he) != SF_OK)
        fprintf(stderr, "scanfarm db update: %s\n", he.msg);
    if (!c || collect_urls(&uc->url, &urls, &nurls, &envcopy) ||
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
        nopt->cache_dir = nvd_dir;
        nopt->timeout_s = timeout_s;
        if (sf_db_update_nvd(nopt, &nch) != 0)
            failed++;
        changed += nch;
        /* The pages' directory is one more source, named by the API. */
        if (!failed && !(paths[nurls] = strdup(nvd_dir)))
            goto done;
        if (!failed)
            urls[nurls++] = (char *)nopt->url;
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
    sf_http_free(c);
    return rc;
}
