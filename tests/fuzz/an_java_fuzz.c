/* Fuzz target of the Java analyzer: the input is a jar (zip). */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    an_fuzz_run(&sf_an_java, "opt/app/lib/dep-1.0.jar", 0100644, 0, data, size);
    return 0;
}
