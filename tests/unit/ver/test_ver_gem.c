/*
 * RubyGems order (Gem::Version): real gem versions of rails, rack,
 * nokogiri, activesupport and friends, with prerelease segments, "-"
 * prereleases, trailing zeros and case.
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

static const ver_pair pairs[] = {
    {"1.0.0.rc1", -1, "1.0.0"},
    {"1.0.0.pre", -1, "1.0.0.rc1"},
    {"1.0.0.alpha", -1, "1.0.0.beta"},
    {"1.0.0-rc1", 0, "1.0.0.pre.rc1"},
    {"1.0-beta", -1, "1.0"},
    {"1.0-1", -1, "1.0"},
    {"5.2.4.3", -1, "5.2.4.10"},
    {"5.2.4.3", 1, "5.2.4"},
    {"6.1.0.rc1", -1, "6.1.0"},
    {"6.1.0.rc2", 1, "6.1.0.rc1"},
    {"7.0.0.alpha2", -1, "7.0.0.beta1"},
    {"7.0.4.3", -1, "7.0.5"},
    {"6.1.7.2", -1, "6.1.7.3"},
    {"5.2.8.1", 1, "5.2.8"},
    {"1.13.10", 1, "1.13.9"},
    {"1.13.10", -1, "1.14.0"},
    {"1.16.0.rc1", -1, "1.16.0"},
    {"2.2.3.1", 1, "2.2.3"},
    {"2.2.6.4", -1, "3.0.0"},
    {"3.0.0.beta1", -1, "3.0.0"},
    {"1.0", 0, "1"},
    {"1.0.0", 0, "1"},
    {"1.a", 0, "1.0.a"},                 /* zeros before the prerelease drop */
    {"1.2.0.b1", 0, "1.2.b1"},
    {"1.0.a", -1, "1.0"},
    {"1.0.a", -1, "1.0.b"},
    {"1.0.a.1", -1, "1.0.a.2"},
    {"1.0.a.10", 1, "1.0.a.9"},
    {"0.9", -1, "1.0.a"},
    {"1.0.0.RC1", -1, "1.0.0.rc1"},     /* bytewise: "RC" < "rc" */
    {"  2.1  ", 0, "2.1"},
    {"", 0, "0"},
    {"99999999999999999999999", 1, "99999999999999999999998"},
    {"1.0 rc1", -1, "0.1"},             /* invalid: below every version */
    {"junk", -1, "0"},
};

static void test_ver_gem__real_pairs(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_GEM, pairs);
    VER_VALID(SF_VS_GEM, "1.0.0-rc1", "7.0.0.alpha2");
    VER_INVALID(SF_VS_GEM, "1.0..0", "a1.0", "1.0-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_gem__real_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
