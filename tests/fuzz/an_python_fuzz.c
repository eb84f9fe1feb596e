/* Fuzz target of the Python analyzer (METADATA / PKG-INFO headers). */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_entry e = {"usr/lib/python3/site-packages/x-1.dist-info/METADATA", size, 0100644};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if (sf_an_python.wants(&e) && size <= sf_an_python.max_bytes)
        sf_an_python.parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
    return 0;
}
