/* Fuzz target of the VEX readers (cli/vex.c: OpenVEX and
 * CycloneDX VEX), then matching against the rules produced. */
#include <stdint.h>
#include <stdlib.h>

#include "supp_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_supp *s = NULL;
    if (sf_supp_new(&s) != SF_OK)
        return 0;
    supp_fuzz_match_and_free(s, sf_supp_load_vex(s, (const char *)data, size, "fuzz", NULL) ==
                                    SF_OK);
    return 0;
}
