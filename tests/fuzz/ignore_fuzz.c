/* Fuzz target of the .scanfarmignore parser (coordinator/suppress.c),
 * then matching a finding against whatever rules it produced. */
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
    if (sf_supp_load_ignore(s, (const char *)data, size, "fuzz", "2026-12-02", &err) == SF_OK &&
        sf_supp_count(s) > 0) {
        sf_finding f;
        memset(&f, 0, sizeof f);
        f.id = sf_supp_rule_at(s, 0)->id;
        f.pkg_name = "openssl";
        (void)sf_supp_match(s, &f, "pkg:apk/alpine/openssl@1.1.1k-r0?arch=x86_64");
    }
    sf_supp_free(s);
    return 0;
}
