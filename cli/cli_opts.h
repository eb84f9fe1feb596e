/*
 * cli_opts: what every `scanfarm` command shares on the option engine
 * (base/opt.h): loading its table (a usage error prints the message and
 * the usage line, exit 64; --help, --print-config, --print-docs exit 0).
 * The fleet view's Redis options are fleet/conn.h's rows.
 */
#ifndef SF_CLI_OPTS_H
#define SF_CLI_OPTS_H

#include "base/opt.h"

/* Load cfg (zeroed here) for the command of spec s. 1 when the command
 * is done (*exit: 0 after --help / --print-config / --print-docs, 64 after
 * a usage error, printed with the usage line); 0 to run it. */
int sf_cli_opts_load(const sf_opt_spec *s, void *cfg, size_t size, int argc, char **argv,
                     sf_opt_cmd *cmd, int *exit_code);

#endif
