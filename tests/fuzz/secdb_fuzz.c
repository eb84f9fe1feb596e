/* Fuzz target of the secdb importer: any bytes in, a verified DB image and
 * matching over it out, never a crash or a leak. */
#include <stdint.h>

#include "vuln/secdb.h"
#include "vdb_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void import(sf_vdb_builder *b, const char *d, size_t n)
{
    sf_secdb_import(b, d, n, "3.10/main/x.json");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_importer(data, size, "secdb", import);
}
