/* Fuzz target of the VEX readers (coordinator/vex.c: OpenVEX and
 * CycloneDX VEX), then matching a finding against the rules produced. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suppress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_supp *s = NULL;
    sf_error err = SF_ERROR_INIT;
    if (sf_supp_new(&s) != SF_OK)
        return 0;
    if (sf_supp_load_vex(s, (const char *)data, size, "fuzz", &err) == SF_OK &&
        sf_supp_count(s) > 0) {
        sf_finding f;
        memset(&f, 0, sizeof f);
        f.id = sf_supp_rule_at(s, 0)->id;
        f.pkg_name = "a";
        (void)sf_supp_match(s, &f, "pkg:npm/a@1.0.0");
        (void)sf_supp_match(s, &f, NULL);
    }
    sf_supp_free(s);
    return 0;
}
