/* Fuzz target of common/analyze/inventory (the layer cache's values) and
 * of the scanfarm.result/v1 decoder (the results topic): the first byte
 * picks JSON inventory, zstd inventory, or result document. A decoded
 * inventory must survive an encode/decode round trip. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/inventory.h"
#include "bus/msg_result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int mode = size ? data[0] % 3 : 0;
    if (size) {
        data++;
        size--;
    }
    sf_error e = SF_ERROR_INIT;
    if (mode == 2) {
        sf_result r;
        if (sf_result_decode((const char *)data, size, &r, &e) == SF_OK) {
            sf_buf b;
            sf_buf_init(&b, 0);
            sf_result_encode(&r, &b, NULL);
            sf_buf_free(&b);
        }
        sf_result_clear(&r);
        return 0;
    }
    sf_inventory *inv = NULL;
    int rc = mode == 0 ? sf_inventory_from_json(&inv, (const char *)data, size, &e)
                       : sf_inventory_decode(&inv, data, size, &e);
    if (rc == SF_OK) {
        sf_buf b;
        sf_buf_init(&b, 0);
        sf_inventory *back = NULL;
        if (sf_inventory_encode(inv, &b) != SF_OK ||
            sf_inventory_decode(&back, b.data, b.len, &e) != SF_OK || back->nsrcs != inv->nsrcs)
            abort();
        sf_inventory_free(back);
        sf_buf_free(&b);
    }
    sf_inventory_free(inv);
    return 0;
}
