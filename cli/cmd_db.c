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
#include "base/time.h"
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
#include "cli_opts.h"
#include "vuln/vdb.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct import_cfg {
    char *out;
    int quiet;
} import_cfg;

static const sf_opt IMPORT_OPTS[] = {
    {"out", SF_OT_STR, offsetof(import_cfg, out), NULL, NULL, 0, 0, 0,
     "the DB file to write (required)", "FILE"},
    {"quiet", SF_OT_BOOL, offsetof(import_cfg, quiet), "false", NULL, 0, 0, 0,
     "no progress line and no summary", NULL, NULL, 'q'},
};
static const sf_opt_group IMPORT_GROUPS[] = {{NULL, IMPORT_OPTS, 2, 0}};
static const sf_opt_spec IMPORT_SPEC = {
    .prog = "scanfarm db import",
    .usage = "--out <file> [options] <source>...",
    .summary = "Compile vulnerability sources into one DB file. A source is a file, a directory "
               "or an\narchive of OSV JSON, Alpine secdb JSON, Debian tracker lists, Node.js "
               "security-wg\nrecords, NVD API 2.0 CVE records, the CISA KEV catalog or an EPSS "
               "CSV, each\nrecognised by its content.",
    .groups = IMPORT_GROUPS,
    .ngroups = 1,
    .max_args = -1,
};

typedef struct info_cfg {
    char *db;
    int json;
} info_cfg;

static const sf_opt INFO_OPTS[] = {
    {"db", SF_OT_STR, offsetof(info_cfg, db), NULL, "SCANFARM_DB", 0, 0, 0, "the DB file",
     "FILE"},
    {"json", SF_OT_BOOL, offsetof(info_cfg, json), "false", NULL, 0, 0, 0, "JSON output"},
};
static const sf_opt_group INFO_GROUPS[] = {{NULL, INFO_OPTS, 2, 0}};
static const sf_opt_spec INFO_SPEC = {
    .prog = "scanfarm db info",
    .summary = "Version, sources, counts per ecosystem, CVEs with CVSS / KEV / EPSS of a DB.",
    .groups = INFO_GROUPS,
    .ngroups = 1,
};

const sf_opt_spec *sf_cmd_db_import_spec(void)
{
    return &IMPORT_SPEC;
}

const sf_opt_spec *sf_cmd_db_info_spec(void)
{
    return &INFO_SPEC;
}

static int info_run(const char *path, int as_json);

static int cmd_import(int argc, char **argv)
{
    import_cfg c;
    sf_opt_cmd cmd;
    int ex = SF_EXIT_OK;
    if (sf_cli_opts_load(&IMPORT_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        sf_opt_free(&IMPORT_SPEC, &c);
        return ex;
    }
    if (!c.out || !*c.out || cmd.nargs < 1) {
        fprintf(stderr, "scanfarm db import: --out <file> and at least one source\n");
        sf_opt_usage(&IMPORT_SPEC, stderr);
        ex = SF_EXIT_USAGE;
    } else {
        ex = sf_db_build_from(c.out, cmd.args, NULL, cmd.nargs, c.quiet);
    }
    sf_opt_free(&IMPORT_SPEC, &c);
    return ex;
}

static int cmd_info(int argc, char **argv)
{
    info_cfg c;
    sf_opt_cmd cmd;
    int ex = SF_EXIT_OK;
    if (sf_cli_opts_load(&INFO_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        sf_opt_free(&INFO_SPEC, &c);
        return ex;
    }
    ex = info_run(c.db, c.json);
    sf_opt_free(&INFO_SPEC, &c);
    return ex;
}

static int info_run(const char *path, int as_json)
{
    if (!path || !*path) {
        fprintf(stderr, "scanfarm db info: no DB (use --db FILE or set SCANFARM_DB)\n");
        return SF_EXIT_USAGE;
    }
    sf_vdb *db = NULL;
    sf_error err = SF_ERROR_INIT;
    double t0 = sf_time_mono_s();
    if (sf_vdb_open(&db, path, &err)) {
        fprintf(stderr, "scanfarm db info: %s\n", err.msg);
        return SF_EXIT_ERROR;
    }
    double t1 = sf_time_mono_s();
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
