/* cmd_scan: `scanfarm scan` — placeholder until its module lands. */
#include "cli.h"

#include <stdio.h>

int sf_cmd_scan(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "scanfarm %s: not implemented yet\n", argv[0]);
    return SF_EXIT_ERROR;
}
