/* Fuzz target of the Go binary analyzer: the input is a whole file. */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_entry e = {"usr/local/bin/app", size, 0100755};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if (size <= sf_an_gobin.max_bytes)
        sf_an_gobin.parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
    return 0;
}
