/* Fuzz target of the dpkg analyzer: the first byte picks which of its
 * files the rest of the input is parsed as. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"var/lib/dpkg/status", "var/lib/dpkg/status.d/libc6"};
    const char *path = an_fuzz_pick(paths, sizeof paths / sizeof paths[0], &data, &size);
    an_fuzz_run(&sf_an_dpkg, path, 0100644, 1, data, size);
    return 0;
}
