/*
 * cli: dispatch of `scanfarm <command>` to its subcommand, and the
 * top-level --help / --version.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "bus/kconf.h"
#include "sf_version.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"scan", sf_cmd_scan, "scan one image (registry ref, oci:<dir>, docker-archive:<file>)"},
    {"db", sf_cmd_db, "vulnerability DB: import, update, info"},
    {"report", sf_cmd_report, "fleet summary (table, json, html, sarif)"},
    {"query", sf_cmd_query, "query the fleet: cve <ID> | image <ref> | package <name>"},
    {"status", sf_cmd_status, "progress of a scan run"},
    {"aggregate", sf_cmd_aggregate, "run the aggregator (results consumer -> fleet view)"},
    {"rematch", sf_cmd_rematch, "re-match cached inventories against a new DB, publish deltas"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: scanfarm <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n  scanfarm <command> --help   options of a command\n"
               "  scanfarm --version\n"
               "\nKafka options of every command that talks to Kafka:\n");
    sf_buf b;
    sf_buf_init(&b, 1u << 16);
    if (sf_kconf_help(&b) == SF_OK && b.data)
        fwrite(b.data, 1, b.len, f);
    sf_buf_free(&b);
}

int sf_cli_main(int argc, char **argv)
{
    sf_log_init_from_env();
    if (argc < 2) {
        usage(stderr);
        return SF_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SF_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("scanfarm %s\n", SF_VERSION_FULL);
        return SF_EXIT_OK;
    }
    /* Kafka security and tuning are the same for every command that talks
     * to Kafka: taken out of argv here, before the command's getopt. */
    sf_error kerr = SF_ERROR_INIT;
    if (sf_kconf_from_args(&argc, argv, &kerr) != SF_OK) {
        fprintf(stderr, "scanfarm: %s\n", kerr.msg);
        return SF_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        /* every command answers --version, whatever its own options */
        for (int k = 2; k < argc && strcmp(argv[k], "--") != 0; k++)
            if (strcmp(argv[k], "--version") == 0) {
                printf("scanfarm %s\n", SF_VERSION_FULL);
                return SF_EXIT_OK;
            }
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "scanfarm: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return SF_EXIT_USAGE;
}
