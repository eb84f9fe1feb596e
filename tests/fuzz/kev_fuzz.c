/* Fuzz target of the CISA KEV catalog importer: any bytes in, a verified DB image
 * (its CVE table validated by the reader) out, never a crash or a leak. */
#include <stdint.h>

#include "vuln/kev.h"
#include "vdb_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void import(sf_vdb_builder *b, const char *d, size_t n)
{
    sf_kev_import(b, d, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_importer(data, size, NULL, import);
}
