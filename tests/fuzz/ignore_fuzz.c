/* Fuzz target of the .scanfarmignore parser (cli/suppress.c),
 * then matching against whatever rules it produced. */
#include <stdint.h>
#include <stdlib.h>

#include "supp_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_supp *s = NULL;
    if (sf_supp_new(&s) != SF_OK)
        return 0;
    int rc = sf_supp_load_ignore(s, (const char *)data, size, "fuzz", "2026-12-02", NULL);
    supp_fuzz_match_and_free(s, rc == SF_OK);
    return 0;
}
