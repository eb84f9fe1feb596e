/* cmd_db: `scanfarm db` — placeholder until its module lands. */
#include "cli.h"

#include <stdio.h>

int sf_cmd_db(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "scanfarm %s: not implemented yet\n", argv[0]);
    return SF_EXIT_ERROR;
}
