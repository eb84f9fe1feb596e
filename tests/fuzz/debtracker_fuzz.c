/* Fuzz target of the debtracker importer: any bytes in, a verified DB image and
 * matching over it out, never a crash or a leak. */
#include <stdint.h>

#include "vuln/debtracker.h"
#include "vdb_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_vdb_builder *b = NULL;
    if (size > (1u << 20) || sf_vdb_builder_new(&b) != SF_OK)
        return 0;
    sf_vdb_builder_kind(b, "debtracker");
    sf_debtracker_import(b, (const char *)data, size);
    fuzz_check_db(b);
    sf_vdb_builder_free(b);
    return 0;
}
