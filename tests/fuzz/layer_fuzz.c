/* Fuzz target of common/analyze/layer: the input is a layer blob (gzip,
 * zstd or plain tar, detected by magic), walked with every analyzer under
 * lowered limits. Whatever happens, the inventory must be consistent:
 * an error means no sources. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/layer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_layer_opts o;
    memset(&o, 0, sizeof o);
    o.analyzers = sf_analyzers;
    o.limits.max_bytes = 64 << 20;
    o.limits.max_entries = 10000;
    o.limits.max_file_bytes = 4 << 20;
    o.limits.ratio_min_bytes = 1 << 20;
    sf_inventory *inv = NULL;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_layer_analyze_mem(data, size, &o, &inv, &e);
    if (inv && rc != SF_OK && (inv->nsrcs || inv->error_code != rc))
        abort();
    sf_inventory_free(inv);
    return 0;
}
