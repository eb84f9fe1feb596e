/*
 * cli: the `scanfarm` command-line tool's subcommands. Each subcommand is
 * a function taking the arguments after its name (argv[0] is the
 * subcommand) and returning the process exit code.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

/* Exit codes shared by every subcommand. */
enum {
    SF_EXIT_OK = 0,       /* success, nothing at or above --fail-on */
    SF_EXIT_FINDINGS = 1, /* success, findings at or above --fail-on */
    SF_EXIT_ERROR = 2,    /* the command failed */
    SF_EXIT_USAGE = 64    /* bad usage (EX_USAGE) */
};

int sf_cli_main(int argc, char **argv);

int sf_cmd_scan(int argc, char **argv);   /* cmd_scan.c */
int sf_cmd_db(int argc, char **argv);     /* cmd_db.c */
int sf_cmd_report(int argc, char **argv); /* cmd_report.c */
int sf_cmd_query(int argc, char **argv);  /* cmd_report.c */
int sf_cmd_status(int argc, char **argv); /* cmd_report.c */
int sf_cmd_aggregate(int argc, char **argv); /* cmd_report.c */
int sf_cmd_rematch(int argc, char **argv);   /* cmd_rematch.c */

#endif
