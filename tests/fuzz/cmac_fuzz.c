/* Fuzz target of the cache MAC check: an untrusted Redis value is opened
 * under a fixed key and version (it must refuse all but its own seals
 * without reading past the value), stripped as the unauthenticated mode
 * does, and what opened is resealed, which must reproduce the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cmac.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char secret[] = "fuzz-farm-secret-0123456789";
    sf_cmac *m = NULL;
    sf_error err = SF_ERROR_INIT;
    if (sf_cmac_new(&m, secret, sizeof secret - 1, &err) != SF_OK)
        abort();
    const void *pl = NULL;
    size_t pn = 0;
    sf_cmac_strip(data, size, &pl, &pn);
    if (pn > size)
        abort();
    if (sf_cmac_open(m, "fuzz:layer:k", "v1", data, size, &pl, &pn) == SF_OK) {
        sf_buf b;
        sf_buf_init(&b, 0);
        if (sf_cmac_seal(m, "fuzz:layer:k", "v1", pl, pn, &b) != SF_OK || b.len != size ||
            memcmp(b.data, data, size) != 0)
            abort();
        sf_buf_free(&b);
    }
    sf_cmac_free(m);
    return 0;
}
