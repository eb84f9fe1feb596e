/* Fuzz target of the Python analyzer (METADATA / PKG-INFO headers). */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    an_fuzz_run(&sf_an_python, "usr/lib/python3/site-packages/x-1.dist-info/METADATA", 0100644, 1, data, size);
    return 0;
}
