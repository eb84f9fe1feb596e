/* Fuzz target of the Ruby gemspec analyzer: the input is a whole file. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    an_fuzz_run(&sf_an_gem, "usr/local/lib/ruby/gems/3.2.0/specifications/x-1.0.gemspec", 0100644, 1,
                data, size);
    return 0;
}
