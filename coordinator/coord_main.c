/* scanfarm-coordinator: enumerate registries and publish scan jobs. */
#include <stdio.h>
#include <string.h>

#include "sf_version.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("scanfarm-coordinator %s\n", SF_VERSION_FULL);
            return 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: scanfarm-coordinator [--once] --registry URL... --kafka BROKERS\n");
            return 0;
        }
    }
    fprintf(stderr, "scanfarm-coordinator: not implemented yet\n");
    return 2;
}
