/* Fuzz target of the Go binary analyzer: the input is a whole file. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    an_fuzz_run(&sf_an_gobin, "usr/local/bin/app", 0100755, 0, data, size);
    return 0;
}
