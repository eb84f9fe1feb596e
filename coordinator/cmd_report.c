/* cmd_report: `scanfarm report|query|status` — placeholder until the aggregator lands. */
#include "cli.h"

#include <stdio.h>

static int not_yet(char **argv)
{
    fprintf(stderr, "scanfarm %s: not implemented yet\n", argv[0]);
    return SF_EXIT_ERROR;
}

int sf_cmd_report(int argc, char **argv) { (void)argc; return not_yet(argv); }
int sf_cmd_query(int argc, char **argv) { (void)argc; return not_yet(argv); }
int sf_cmd_status(int argc, char **argv) { (void)argc; return not_yet(argv); }
