/*
 * agg_cmd: the aggregator process's entry point, shared by the
 * scanfarm-aggregator binary (aggregator_main.c) and the `scanfarm
 * aggregate` alias. prog names the program in usage and messages
 * ("scanfarm-aggregator" or "scanfarm aggregate").
 */
#ifndef SF_AGG_CMD_H
#define SF_AGG_CMD_H

/* argv[0] is the program or subcommand name; returns the exit code
 * (0 ok, 2 failed, 64 bad usage). */
int sf_agg_main(int argc, char **argv, const char *prog);

#endif
