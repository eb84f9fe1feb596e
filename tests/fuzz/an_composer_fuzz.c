/* Fuzz target of the Composer analyzer: the input is a whole
 * vendor/composer/installed.json. */
#include "an_fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    an_fuzz_run(&sf_an_composer, "var/www/html/vendor/composer/installed.json", 0100644, 1, data, size);
    return 0;
}
