/*
 * db_build: compile advisory sources into a DB file and print what a DB
 * holds — shared by `scanfarm db import` (cmd_db.c) and `scanfarm db
 * update` (db_update.c), so neither of those includes the other.
 */
#include "db_build.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "cli.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_counts(FILE *f, const char *title, const json_t *obj)
{
    const char *k;
    const json_t *v;
    if (!json_is_object(obj) || json_object_size(obj) == 0)
        return;
    fprintf(f, "%s:\n", title);
    json_object_foreach((json_t *)obj, k, v)
        fprintf(f, "  %-58s %8lld\n", k, (long long)json_integer_value(v));
}

void sf_db_print_meta(FILE *f, const char *meta)
{
    json_error_t jerr;
    json_t *m = json_loads(meta, 0, &jerr);
    if (!m) {
        fprintf(f, "meta: unreadable\n");
        return;
    }
    size_t i;
    const json_t *s;
    fprintf(f, "sources:\n");
    json_array_foreach(json_object_get(m, "sources"), i, s)
    {
        long long facts = json_integer_value(json_object_get(s, "cve_facts"));
        fprintf(f, "  %-58s %8lld records (%s)", json_string_value(json_object_get(s, "source")),
                (long long)json_integer_value(json_object_get(s, "records")),
                json_string_value(json_object_get(s, "kind")));
        fprintf(f, facts ? ", %lld CVE facts (NVD/KEV/EPSS)\n" : "\n", facts);
    }
    const json_t *c = json_object_get(m, "cves");
    if (json_is_object(c))
        fprintf(f, "cves:     %lld known (NVD, KEV, EPSS): %lld with CVSS, %lld in CISA KEV, "
                   "%lld with EPSS\n",
                (long long)json_integer_value(json_object_get(c, "total")),
                (long long)json_integer_value(json_object_get(c, "cvss")),
                (long long)json_integer_value(json_object_get(c, "kev")),
                (long long)json_integer_value(json_object_get(c, "epss")));
    print_counts(f, "records per ecosystem", json_object_get(m, "ecosystems"));
    print_counts(f, "skipped (by reason)", json_object_get(m, "skipped"));
    json_decref(m);
}

int sf_db_build_from(const char *out, char **sources, char **labels, int nsources, int quiet)
{
    sf_vdb_builder *b = NULL;
    sf_vdb *db = NULL;
    sf_error err = SF_ERROR_INIT;
    int rc = SF_EXIT_ERROR;
    double t0 = now_s();
    if (sf_vdb_builder_new(&b)) {
        fprintf(stderr, "scanfarm db: out of memory\n");
        return SF_EXIT_ERROR;
    }
    int tty = !quiet && isatty(STDERR_FILENO); /* a progress line on a terminal only */
    for (int i = 0; i < nsources; i++) {
        struct stat st;
        if (tty)
            fprintf(stderr, "\r\033[Kscanfarm db import: source %d/%d: %.100s", i + 1, nsources,
                    labels ? labels[i] : sources[i]);
        const char *kind = labels                                            ? "url"
                           : stat(sources[i], &st) == 0 && S_ISDIR(st.st_mode) ? "directory"
                                                                                : "file";
        if (sf_vdb_builder_source(b, labels ? labels[i] : sources[i], kind) ||
            sf_vdb_import_path(b, sources[i], &err)) {
            fprintf(stderr, "%sscanfarm db import: %s\n", tty ? "\r\033[K" : "",
                    err.msg[0] ? err.msg : "out of memory");
            goto done;
        }
    }
    if (tty)
        fprintf(stderr, "\r\033[K");
    double t1 = now_s();
    if (sf_vdb_builder_write(b, out, &err)) {
        fprintf(stderr, "scanfarm db import: %s\n", err.msg);
        goto done;
    }
    double t2 = now_s();
    if (sf_vdb_open(&db, out, &err)) {
        fprintf(stderr, "scanfarm db import: written DB does not verify: %s\n", err.msg);
        goto done;
    }
    double t3 = now_s();
    if (!quiet) {
        printf("wrote %s: version %s, %zu records, %zu packages, %zu bytes\n", out,
               sf_vdb_version(db), sf_vdb_record_count(db), sf_vdb_package_count(db),
               sf_vdb_size(db));
        printf("import %.3f s, write %.3f s, open+verify %.3f s\n", t1 - t0, t2 - t1, t3 - t2);
        sf_db_print_meta(stdout, sf_vdb_meta(db));
    }
    rc = SF_EXIT_OK;
done:
    sf_vdb_close(db);
    sf_vdb_builder_free(b);
    return rc;
}
