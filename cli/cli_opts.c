/* cli_opts: see cli_opts.h. */
#include "cli_opts.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

int sf_cli_opts_load(const sf_opt_spec *s, void *cfg, size_t size, int argc, char **argv,
                     sf_opt_cmd *cmd, int *exit_code)
{
    sf_error e = SF_ERROR_INIT;
    memset(cfg, 0, size);
    if (sf_opt_load(s, cfg, argc, argv, cmd, &e) != SF_OK) {
        fprintf(stderr, "%s: %s\n", s->prog, e.msg);
        sf_opt_usage(s, stderr);
        *exit_code = SF_EXIT_USAGE;
        return 1;
    }
    if (sf_opt_act(s, cfg, cmd, stdout)) {
        *exit_code = SF_EXIT_OK;
        return 1;
    }
    return 0;
}

