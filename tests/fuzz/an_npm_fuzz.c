/* Fuzz target of the npm analyzer: the first byte picks whether the rest
 * is an installed package.json, a package-lock.json or a yarn.lock. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"node_modules/a/package.json", "app/package-lock.json", "yarn.lock"};
    const char *path = an_fuzz_pick(paths, sizeof paths / sizeof paths[0], &data, &size);
    an_fuzz_run(&sf_an_npm, path, 0100644, 1, data, size);
    return 0;
}
