/* Fuzz target of the Java analyzer: the input is a jar (zip). */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_entry e = {"opt/app/lib/dep-1.0.jar", size, 0100644};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if (size <= sf_an_java.max_bytes)
        sf_an_java.parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
    return 0;
}
