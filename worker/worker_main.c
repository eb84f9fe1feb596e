/* scanfarm-worker: consume scan jobs, scan, publish results. */
#include <stdio.h>
#include <string.h>

#include "sf_version.h"

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) {
            printf("scanfarm-worker %s\n", SF_VERSION_FULL);
            return 0;
        }
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: scanfarm-worker --kafka BROKERS --redis HOST:PORT\n");
            return 0;
        }
    }
    fprintf(stderr, "scanfarm-worker: not implemented yet\n");
    return 2;
}
