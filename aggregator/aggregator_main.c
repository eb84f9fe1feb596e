/*
 * scanfarm-aggregator: results and DLQ consumer -> fleet view (agg_cmd.h).
 * The same program as `scanfarm aggregate`, with the same options: the
 * Kafka options every scanfarm command takes (bus/kconf.h) are taken out
 * of argv first, and --version answers as the CLI's commands do.
 */
#include <stdio.h>
#include <string.h>

#include "agg_cmd.h"
#include "base/log.h"
#include "bus/kconf.h"
#include "sf_version.h"

int main(int argc, char **argv)
{
    sf_log_init_from_env();
    for (int k = 1; k < argc && strcmp(argv[k], "--") != 0; k++)
        if (strcmp(argv[k], "--version") == 0) {
            printf("scanfarm-aggregator %s\n", SF_VERSION_FULL);
            return 0;
        }
    sf_error kerr = SF_ERROR_INIT;
    if (sf_kconf_from_args(&argc, argv, &kerr) != SF_OK) {
        fprintf(stderr, "scanfarm-aggregator: %s\n", kerr.msg);
        return 64;
    }
    return sf_agg_main(argc, argv, "scanfarm-aggregator");
}
