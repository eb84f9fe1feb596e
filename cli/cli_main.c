/* scanfarm: the user's command-line tool (see cli.c). */
#include "cli.h"

int main(int argc, char **argv) { return sf_cli_main(argc, argv); }
