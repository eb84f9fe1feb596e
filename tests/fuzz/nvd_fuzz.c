/* Fuzz target of the NVD API 2.0 importer (pages and single records): any bytes in, a verified DB image
 * (its CVE table validated by the reader) out, never a crash or a leak. */
#include <stdint.h>

#include "vuln/nvd.h"
#include "vdb_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void import(sf_vdb_builder *b, const char *d, size_t n)
{
    sf_nvd_import(b, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_importer(data, size, NULL, import);
}
