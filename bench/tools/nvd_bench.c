/*
 * nvd_bench: how fast an NVD API 2.0 page imports into the DB builder, next
 * to the floor of the same work: jansson parsing the same bytes and doing
 * nothing with them. Also the DB's size growth per CVE.
 *
 * The page is built from the corpus's real NVD records
 * ($SF_CORPUS/vulndb/nvd, default ../shared/corpus), cycled and renamed
 * CVE-2030-NNNNNN so every record is distinct, in the API's paged shape
 * ({"resultsPerPage":…,"vulnerabilities":[{"cve":…}]}).
 *
 *   parse     json_loadb of the page, then freed (the floor)
 *   import    sf_vdb_import_buf of the page into a fresh builder (sniff
 *             parse + import parse + CVE table)
 *   write     serialising that builder to a DB image (its first large
 *             allocation makes glibc consolidate the freed JSON tree, which
 *             is most of this figure: perf shows malloc_consolidate on top)
 *
 * Size growth: DB images with 0, 1 and --pages pages of CVEs; bytes per
 * CVE from the largest, scaled to 100k CVEs (the growth is linear: a CVE
 * costs its entry, its metrics and its interned strings).
 *
 * usage: sf-nvd_bench [--records N] [--reps R] [--pages P] [--out page.json]
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>

#include "vuln/vdb_build.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *load_records(const char *dir)
{
    json_t *recs = json_array();
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[8192];
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "CVE-", 4) != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        json_t *r = json_load_file(path, 0, NULL);
        if (r)
            json_array_append_new(recs, r);
    }
    if (d)
        closedir(d);
    return recs;
}

/* A page of n records numbered from first. */
static char *make_page(const json_t *recs, size_t n, size_t first, size_t *len)
{
    json_t *vulns = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_deep_copy(json_array_get(recs, i % json_array_size(recs)));
        char id[32];
        snprintf(id, sizeof id, "CVE-2030-%06zu", first + i);
        json_object_set_new(r, "id", json_string(id));
        json_array_append_new(vulns, json_pack("{s:o}", "cve", r));
    }
    json_t *page = json_pack("{s:I,s:I,s:I,s:s,s:s,s:s,s:o}", "resultsPerPage", (json_int_t)n,
                             "startIndex", (json_int_t)first, "totalResults", (json_int_t)n,
                             "format", "NVD_CVE", "version", "2.0", "timestamp",
                             "2026-12-01T00:00:00.000", "vulnerabilities", vulns);
    char *s = json_dumps(page, JSON_COMPACT);
    json_decref(page);
    *len = s ? strlen(s) : 0;
    return s;
}

static size_t db_size(sf_vdb_builder *b)
{
    void *img = NULL;
    size_t len = 0;
    sf_error err = SF_ERROR_INIT;
    if (sf_vdb_builder_serialize(b, &img, &len, &err) != SF_OK)
        return 0;
    free(img);
    return len;
}

int main(int argc, char **argv)
{
    size_t nrec = 2000, reps = 5, pages = 5;
    const char *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
            nrec = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--pages") == 0 && i + 1 < argc)
            pages = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: sf-nvd_bench [--records N] [--reps R] [--pages P] [--out F]\n");
            return 64;
        }
    }
    const char *corpus = getenv("SF_CORPUS") ? getenv("SF_CORPUS") : "../shared/corpus";
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/vulndb/nvd", corpus);
    json_t *recs = load_records(dir);
    if (!recs || json_array_size(recs) == 0 || nrec == 0 || reps == 0) {
        fprintf(stderr, "sf-nvd_bench: no NVD records in %s\n", dir);
        return 2;
    }
    size_t len;
    char *page = make_page(recs, nrec, 0, &len);
    if (out) {
        FILE *f = fopen(out, "w");
        if (f) {
            fwrite(page, 1, len, f);
            fclose(f);
        }
    }
    double best_parse = 1e9, best_import = 1e9, best_write = 1e9;
    size_t cves = 0, bytes = 0;
    for (size_t r = 0; r < reps; r++) {
        double t0 = now();
        json_t *j = json_loadb(page, len, 0, NULL);
        double t1 = now();
        json_decref(j);
        sf_vdb_builder *b = NULL;
        sf_error err = SF_ERROR_INIT;
        sf_vdb_builder_new(&b);
        double t2 = now();
        sf_vdb_import_buf(b, "page.json", page, len, &err);
        double t3 = now();
        bytes = db_size(b);
        double t4 = now();
        sf_vdb_cve_stats st;
        sf_vdb_builder_cve_stats(b, &st);
        cves = st.total;
        sf_vdb_builder_free(b);
        best_parse = t1 - t0 < best_parse ? t1 - t0 : best_parse;
        best_import = t3 - t2 < best_import ? t3 - t2 : best_import;
        best_write = t4 - t3 < best_write ? t4 - t3 : best_write;
    }
    printf("NVD API 2.0 page: %zu records (from %zu corpus records), %.1f MB of JSON\n", nrec,
           json_array_size(recs), (double)len / 1e6);
    printf("  %-36s %8.1f ms  %8.0f records/s\n", "parse only (jansson, the floor)",
           best_parse * 1e3, (double)nrec / best_parse);
    printf("  %-36s %8.1f ms  %8.0f records/s  (%.2fx the floor)\n", "import (sniff + import)",
           best_import * 1e3, (double)nrec / best_import, best_import / best_parse);
    printf("  %-36s %8.1f ms\n", "serialise the DB image", best_write * 1e3);
    printf("  CVEs in the DB: %zu (%zu B image); best of %zu runs\n", cves, bytes, reps);
    free(page);

    /* Size growth. */
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    sf_vdb_builder_new(&b);
    size_t empty = db_size(b), one = 0, all = 0;
    for (size_t p = 0; p < pages; p++) {
        char *pg = make_page(recs, nrec, p * nrec, &len);
        sf_vdb_import_buf(b, "page.json", pg, len, &err);
        free(pg);
        if (p == 0)
            one = db_size(b);
    }
    all = db_size(b);
    double per = (double)(all - empty) / (double)(pages * nrec);
    printf("DB size: empty %zu B, %zu CVEs %zu B, %zu CVEs %zu B: %.0f B per CVE, "
           "%.1f MB per 100k CVEs\n",
           empty, nrec, one, pages * nrec, all, per, per * 1e5 / 1e6);
    sf_vdb_builder_free(b);
    json_decref(recs);
    return 0;
}
