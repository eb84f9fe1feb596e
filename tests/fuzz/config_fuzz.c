/* Fuzz target: the coordinator's configuration file loader (JSON from
 * an operator, but still parsed defensively), including redacted dump. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_coordcfg c;
    sf_error e = SF_ERROR_INIT;
    if (sf_coordcfg_load_text(&c, (const char *)data, size, &e) == SF_OK) {
        char *s = sf_coordcfg_dump(&c);
        free(s);
    }
    sf_coordcfg_free(&c);
    return 0;
}
