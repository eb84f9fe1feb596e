/*
 * Go module versions: real versions from golang/vulndb OSV events
 * (releases, +incompatible, pre-releases, pseudo-versions), with and
 * without the "v", ordered by golang.org/x/mod/semver.
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
#include "oracle_go.inc"
};

static const ver_pair rules[] = {
    {"v0.0.0-20191109021931-daa7c04131f5", -1, "v0.0.0-20200101000000-000000000000"},
    {"v0.0.0-20191109021931-daa7c04131f5", -1, "v0.0.1"},
    {"v1.2.4-0.20191109021931-daa7c04131f5", 1, "v1.2.3"},
    {"v1.2.4-0.20191109021931-daa7c04131f5", -1, "v1.2.4"},
    {"v1.2.4-pre.0.20191109021931-daa7c04131f5", 1, "v1.2.4-pre"},
    {"v2.0.0+incompatible", 0, "v2.0.0"},
    {"v17.0.0+incompatible", 1, "v2.0.0"},
    {"v1", 0, "v1.0.0"},                /* x/mod shorthands */
    {"v1.2", 0, "v1.2.0"},
    {"1.20.3", 0, "v1.20.3"},           /* OSV spelling */
    {"1.20.3", -1, "1.21.0-rc.1"},
    {"go1.20.3", 0, "1.20.3"},          /* toolchain spellings (stdlib) */
    {"go1.21rc2", 0, "1.21.0-rc.2"},
    {"go1.21rc2", -1, "go1.21.0"},
    {"go1.9beta1", 0, "1.9.0-beta.1"},
    {"go1.20", 0, "1.20.0"},
    {"go1.19.13", -1, "go1.20"},
    {"v1.2.3.4", -1, "v0.0.1"},         /* invalid: below every version */
    {"v1.2-pre", -1, "v0.0.0"},
};

VER_ORACLE_TEST(go, SF_VS_GO, 400)

static void test_ver_go__pseudo_and_incompatible(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_GO, rules);
    VER_VALID(SF_VS_GO, "v0.0.0-20191109021931-daa7c04131f5", "v2.0.0+incompatible", "1.20.3",
        "v1.2", "go1.20", "go1.21rc2");
    VER_INVALID(SF_VS_GO, "v1.2-pre", "v01.2.3", "go1.21rc", "gox1.2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_go__oracle_pairs),
        cmocka_unit_test(test_ver_go__pseudo_and_incompatible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
