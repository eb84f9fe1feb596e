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

#define NCOMMANDS (sizeof commands / sizeof commands[0])

/* `scanfarm --help`: the commands, then the Kafka options every command
 * that talks to Kafka takes (cli_main strips them before the command). */
static void usage(FILE *f)
{
    char summary[2048];
    size_t k = (size_t)snprintf(summary, sizeof summary, "commands:\n");
    for (size_t i = 0; i < NCOMMANDS && k < sizeof summary; i++)
        k += (size_t)snprintf(summary + k, sizeof summary - k, "  %-9s %s\n", commands[i].name,
                              commands[i].help);
    if (k < sizeof summary)
        snprintf(summary + k, sizeof summary - k,
                 "\nRun `scanfarm <command> --help` for a command's options.");
    static const sf_opt_group groups[] = {
        {"Kafka options of every command that talks to Kafka", SF_KCONF_OPTS, SF_KCONF_NOPTS, 0}};
    const sf_opt_spec spec = {.prog = "scanfarm", .usage = "<command> [options]",
                              .summary = summary, .groups = groups, .ngroups = 1};
    sf_opt_help(&spec, f);
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
    for (size_t i = 0; i < NCOMMANDS; i++) {
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
