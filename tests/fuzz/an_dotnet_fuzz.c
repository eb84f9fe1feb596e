/* Fuzz target of the .NET deps.json analyzer: the input is a whole file. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    an_fuzz_run(&sf_an_dotnet, "app/MyApp.deps.json", 0100644, 1, data, size);
    return 0;
}
