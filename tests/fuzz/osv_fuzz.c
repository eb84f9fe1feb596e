/* Fuzz target of the osv importer: any bytes in, a verified DB image and
 * matching over it out, never a crash or a leak. */
#include <stdint.h>

#include "vuln/osv.h"
#include "vdb_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void import(sf_vdb_builder *b, const char *d, size_t n)
{
    sf_osv_import(b, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_importer(data, size, "osv", import);
}
