/*
 * PEP 440 order: real PyPI versions from the PyPA OSV records ordered by
 * the packaging library, alternative spellings of real versions that
 * must normalise equal, and the ordering rules of the spec.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "ver_pairs.h"
#include "vuln/ver.h"

static const ver_pair oracle[] = {
#include "oracle_pep440.inc"
};

static const ver_pair rules[] = {
    {"1.0.dev1", -1, "1.0a1"},        /* dev of a final before its pre-releases */
    {"1.0a1.dev1", -1, "1.0a1"},
    {"1.0a1", -1, "1.0a2"},
    {"1.0a2", -1, "1.0b1"},
    {"1.0b1", -1, "1.0rc1"},
    {"1.0rc1", -1, "1.0"},
    {"1.0", -1, "1.0.post1.dev1"},
    {"1.0.post1.dev1", -1, "1.0.post1"},
    {"1.0.post1", -1, "1.1.dev1"},
    {"1.0", -1, "1.0+local.1"},
    {"1.0+local.1", -1, "1.0+local.2"},
    {"1.0+abc", -1, "1.0+1"},          /* numeric local segments above words */
    {"1.0+ubuntu1", -1, "1.0+ubuntu1.1"},
    {"1!0.1", 1, "2023.10"},           /* epoch first */
    {"1.0", 0, "1.0.0"},
    {"1.0", 0, "v1.0"},
    {"1.0RC1", 0, "1.0rc1"},
    {"1.0-rc-1", 0, "1.0rc1"},
    {"1.0c1", 0, "1.0rc1"},
    {"1.0pre1", 0, "1.0rc1"},
    {"1.0preview1", 0, "1.0rc1"},
    {"1.0alpha", 0, "1.0a0"},
    {"1.0-post1", 0, "1.0.post1"},
    {"1.0-1", 0, "1.0.post1"},
    {"1.0.rev1", 0, "1.0.post1"},
    {"1.0r", 0, "1.0.post0"},
    {"1.0.DEV", 0, "1.0.dev0"},
    {" 1.0 ", 0, "1.0"},
    {"2.10", 1, "2.9"},
    {"0.99999999999999999999999", 1, "0.9"},
    {"not a version", -1, "0"},
    {"1.0+", -1, "0.1"},               /* invalid local: below every version */
};

VER_ORACLE_TEST(pep440, SF_VS_PEP440, 400)

static void test_ver_pep440__rules_and_spellings(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_PEP440, rules);
    VER_VALID(SF_VS_PEP440, "1!2.0rc1.post2.dev3+local.7", "1.0-1");
    VER_INVALID(SF_VS_PEP440, "1.0+", "1.0.x", "dev", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_pep440__oracle_pairs),
        cmocka_unit_test(test_ver_pep440__rules_and_spellings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
