/* Fuzz target of sf_evp_harbor (coordinator/events_parse.h). */
#include "events_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_events_fuzz_one(sf_evp_harbor, data, size);
    return 0;
}
