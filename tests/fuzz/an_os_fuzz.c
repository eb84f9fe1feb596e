/* Fuzz target of the os analyzer: the first byte picks which of its
 * files the rest of the input is parsed as. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"etc/os-release", "etc/alpine-release",
                                        "etc/debian_version", "etc/redhat-release"};
    const char *path = an_fuzz_pick(paths, sizeof paths / sizeof paths[0], &data, &size);
    an_fuzz_run(&sf_an_os, path, 0100644, 1, data, size);
    return 0;
}
