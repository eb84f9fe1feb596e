/* Fuzz target of the apk analyzer: the first byte picks which of its
 * files the rest of the input is parsed as. */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"lib/apk/db/installed"};
    const size_t npaths = sizeof paths / sizeof paths[0];
    const char *path = paths[size ? data[0] % npaths : 0];
    if (size) {
        data++;
        size--;
    }
    sf_entry e = {path, size, 0100644};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if (sf_an_apk.wants(&e) && size <= sf_an_apk.max_bytes)
        sf_an_apk.parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
    return 0;
}
