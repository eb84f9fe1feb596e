/* Fuzz target of the EPSS CSV importer: any bytes in, a verified DB image
 * (its CVE table validated by the reader) out, never a crash or a leak. */
#include <stdint.h>

#include "vuln/epss.h"
#include "vdb_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_vdb_builder *b = NULL;
    if (size > (1u << 20) || sf_vdb_builder_new(&b) != SF_OK)
        return 0;
    sf_epss_import(b, (const char *)data, size);
    fuzz_check_db(b);
    sf_vdb_builder_free(b);
    return 0;
}
