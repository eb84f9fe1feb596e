/*
 * cmd_db: `scanfarm db` — build and inspect the vulnerability DB.
 *
 *   scanfarm db import --out <file> <source>...   compile sources into a DB
 *   scanfarm db update [--out FILE] [--cache DIR] [--url URL]... [--force]
 *                                                 fetch sources, rebuild
 *   scanfarm db info [--db FILE] [--json]          version, sources, counts
 *
 * A source is a file, a directory or an archive of OSV JSON, Alpine
 * secdb JSON, Debian tracker lists, Node.js security-wg records, NVD API
 * 2.0 CVE records (pages or one per file), the CISA KEV catalog or an
 * EPSS CSV (.csv or .csv.gz), each recognised by its content (see
 * vuln/vdb_build.h). Dirty input is counted and reported, never fatal.
 */
#include "cli.h"
#include "db_build.h"
#include "db_update.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#include "base/err.h"
#include "vuln/vdb.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_import(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0 || strcmp(argv[i], "-q") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: scanfarm db import --out <file> [--quiet] <source>...\n");
            return SF_EXIT_OK;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "scanfarm db import: unknown option %s\n", argv[i]);
            return SF_EXIT_USAGE;
        } else {
            first = i;
            break;
        }
    }
    if (!out || first >= argc) {
        fprintf(stderr, "usage: scanfarm db import --out <file> <source>...\n");
        return SF_EXIT_USAGE;
    }
    return sf_db_build_from(out, argv + first, NULL, argc - first, quiet);
}

static int cmd_info(int argc, char **argv)
{
    const char *path = getenv("SCANFARM_DB");
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else {
            fprintf(stderr, "usage: scanfarm db info [--db FILE] [--json]\n");
            return strcmp(argv[i], "--help") == 0 ? SF_EXIT_OK : SF_EXIT_USAGE;
        }
    }
    if (!path || !*path) {
        fprintf(stderr, "scanfarm db info: no DB (use --db FILE or set SCANFARM_DB)\n");
        return SF_EXIT_USAGE;
    }
    sf_vdb *db = NULL;
    sf_error err = SF_ERROR_INIT;
    double t0 = now_s();
    if (sf_vdb_open(&db, path, &err)) {
        fprintf(stderr, "scanfarm db info: %s\n", err.msg);
        return SF_EXIT_ERROR;
    }
    double t1 = now_s();
    if (as_json) {
        printf("{\"path\":\"%s\",\"version\":\"%s\",\"built\":%lld,\"bytes\":%zu,"
               "\"open_seconds\":%.6f,\"meta\":%s}\n",
               path, sf_vdb_version(db), (long long)sf_vdb_built(db), sf_vdb_size(db), t1 - t0,
               sf_vdb_meta(db));
    } else {
        time_t bt = (time_t)sf_vdb_built(db);
        struct tm tm;
        char ts[40] = "?";
        if (gmtime_r(&bt, &tm))
            strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("db:       %s\nversion:  %s\nbuilt:    %s\nsize:     %zu bytes\n"
               "records:  %zu\npackages: %zu\nopened and verified in %.3f ms\n",
               path, sf_vdb_version(db), ts, sf_vdb_size(db), sf_vdb_record_count(db),
               sf_vdb_package_count(db), (t1 - t0) * 1e3);
        sf_db_print_meta(stdout, sf_vdb_meta(db));
    }
    sf_vdb_close(db);
    return SF_EXIT_OK;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: scanfarm db <import|update|info> [options]\n"
               "  import --out <file> <source>...    compile OSV / secdb / Debian tracker /\n"
               "                                     security-wg / NVD / CISA KEV / EPSS sources\n"
               "                                     (files, dirs, archives; found by content)\n"
               "  update [--out FILE] [--cache DIR] [--url URL]... [--force]\n"
               "                                     fetch sources (ETag/If-Modified-Since), rebuild\n"
               "  info [--db FILE] [--json]          version, sources, counts per ecosystem,\n"
               "                                     CVEs with CVSS / KEV / EPSS\n");
}

int sf_cmd_db(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? SF_EXIT_USAGE : SF_EXIT_OK;
    }
    if (strcmp(argv[1], "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(argv[1], "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(argv[1], "update") == 0)
        return sf_db_update_main(argc - 1, argv + 1);
    fprintf(stderr, "scanfarm db: unknown subcommand '%s'\n", argv[1]);
    usage(stderr);
    return SF_EXIT_USAGE;
}
