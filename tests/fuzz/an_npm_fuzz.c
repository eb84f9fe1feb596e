/* Fuzz target of the npm analyzer: the first byte picks whether the rest
 * is an installed package.json, a package-lock.json or a yarn.lock. */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {"node_modules/a/package.json", "app/package-lock.json",
                                        "yarn.lock"};
    const char *path = paths[size ? data[0] % 3 : 0];
    if (size) {
        data++;
        size--;
    }
    sf_entry e = {path, size, 0100644};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if (sf_an_npm.wants(&e) && size <= sf_an_npm.max_bytes)
        sf_an_npm.parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
    return 0;
}
