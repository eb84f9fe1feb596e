/*
 * SemVer 2.0 order and npm ranges: real npm versions (GHSA extract,
 * Node.js security-wg) ordered by node-semver, and every distinct
 * security-wg range evaluated against versions of its package with the
 * answers node-semver gives (2,900+ rows), plus the SemVer spec examples.
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
#include "oracle_semver.inc"
};

/* Rows are {range, want (1 satisfies, 0 not), version}. */
static const ver_pair ranges[] = {
#include "oracle_npm_range.inc"
};

/* semver.org section 11 example chain and build metadata. */
static const ver_pair spec[] = {
    {"1.0.0-alpha", -1, "1.0.0-alpha.1"},
    {"1.0.0-alpha.1", -1, "1.0.0-alpha.beta"},
    {"1.0.0-alpha.beta", -1, "1.0.0-beta"},
    {"1.0.0-beta", -1, "1.0.0-beta.2"},
    {"1.0.0-beta.2", -1, "1.0.0-beta.11"},
    {"1.0.0-beta.11", -1, "1.0.0-rc.1"},
    {"1.0.0-rc.1", -1, "1.0.0"},
    {"1.0.0", -1, "2.0.0"},
    {"2.0.0", -1, "2.1.0"},
    {"2.1.0", -1, "2.1.1"},
    {"1.0.0+20130313144700", 0, "1.0.0"},
    {"1.0.0-beta+exp.sha.5114f85", 0, "1.0.0-beta"},
    {"v1.2.3", 0, "1.2.3"},
    {"4.17.21", 1, "4.17.5"},
    {"10.0.0", 1, "9.99.99"},
    {"2.0.0-alpha8", -1, "2.0.0-rc2"},
    {"5.0.0-beta.5", -1, "5.0.0-beta.10"}, /* numeric identifiers by value */
    {"1.0.0-0", -1, "1.0.0-alpha"},
    {"18446744073709551616.0.0", 1, "18446744073709551615.0.0"}, /* no overflow */
    {"1.2", 0, "1.2.0"},                                          /* lenient */
    {"1.2.3.4", 1, "1.2.3"},                                      /* NuGet's 4th part */
    {"not-a-version", -1, "0.0.0"},                              /* invalid sorts first */
};

VER_ORACLE_TEST(semver, SF_VS_SEMVER, 250)

static void test_ver_semver__spec_order(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_SEMVER, spec);
    VER_VALID(SF_VS_SEMVER, "1.0.0-alpha.1+build.5");
    VER_INVALID(SF_VS_SEMVER, "01.0.0", "1.0.0-01", "1.0", "v1.0.0", "1.0.0-", "1.0.0-a..b",
        "1.0.0+");
}

static void test_ver_semver__security_wg_ranges(void **state)
{
    (void)state;
    int bad = 0;
    size_t n = sizeof ranges / sizeof ranges[0];
    assert_true(n >= 1000);
    for (size_t i = 0; i < n; i++) {
        int got = sf_semver_range_match(ranges[i].a, ranges[i].b);
        if (got != ranges[i].want) {
            fprintf(stderr, "range '%s' version %s: got %d want %d\n", ranges[i].a, ranges[i].b,
                    got, ranges[i].want);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* node-semver's documented desugaring, one row per rule. */
static void test_ver_semver__range_rules(void **state)
{
    (void)state;
    static const struct {
        const char *range, *version;
        int want;
    } t[] = {
        {"1.2.3 - 2.3.4", "2.3.4", 1},   {"1.2.3 - 2.3.4", "2.3.5", 0},
        {"1.2 - 2.3.4", "1.2.0", 1},     {"1.2.3 - 2.3", "2.3.99", 1},
        {"1.2.3 - 2.3", "2.4.0", 0},     {"1.2.3 - 2", "2.99.0", 1},
        {"*", "0.0.0", 1},               {"", "3.4.5", 1},
        {"1.x", "1.99.0", 1},            {"1.x", "2.0.0", 0},
        {"1.2.x", "1.2.7", 1},           {"1.2.x", "1.3.0", 0},
        {"~1.2.3", "1.2.9", 1},          {"~1.2.3", "1.3.0", 0},
        {"~1.2", "1.2.0", 1},            {"~1", "1.9.9", 1},
        {"~0.2.3", "0.3.0", 0},          {"~1.2.3-beta.2", "1.2.3-beta.4", 1},
        {"~1.2.3-beta.2", "1.2.4-beta.2", 0}, /* prerelease on another tuple */
        {"^1.2.3", "1.9.0", 1},          {"^1.2.3", "2.0.0", 0},
        {"^0.2.3", "0.2.9", 1},          {"^0.2.3", "0.3.0", 0},
        {"^0.0.3", "0.0.4", 0},          {"^1.2.x", "1.9.0", 1},
        {"^0.0.x", "0.0.9", 1},          {"^0.0", "0.1.0", 0},
        {"^0.x", "0.9.0", 1},            {"^1.2.3-beta.2", "1.2.3-beta.4", 1},
        {"^1.2.3-beta.2", "1.2.4-beta.2", 0},
        {">1.2", "1.2.9", 0},            {">1.2", "1.3.0", 1},
        {"<=1.2", "1.2.9", 1},           {"<1.2", "1.2.0-rc1", 0},
        {">= 2.0.1 <3.0.2", "3.0.1", 1}, {"< 3.1.3  || >= 4.0.0 <4.1.1", "4.0.5", 1},
        {"<=v2.0.0-alpha7", "2.0.0-alpha6", 1},
        {">=1.2.3", "1.2.4-beta", 0},     /* prerelease excluded by default */
        {">=1.2.3-alpha <1.2.4", "1.2.3-beta", 1},
        {"~>1.2", "1.2.5", 1},           {"=1.2.3", "v1.2.3", 1},
        {">=1.0.0", "not-a-version", 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        int got = sf_semver_range_match(t[i].range, t[i].version);
        if (got != t[i].want)
            fprintf(stderr, "'%s' %s: got %d\n", t[i].range, t[i].version, got);
        assert_int_equal(got, t[i].want);
    }
    static const char *const bad[] = {"latest", ">=", "1.2.3 -", "> <", "1.2.3.4.5", ">=1.2.3 | 2.0.0",
                                      "99999999999999999999.0.0"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_true(sf_semver_range_match(bad[i], "1.0.0") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_semver__oracle_pairs),
        cmocka_unit_test(test_ver_semver__spec_order),
        cmocka_unit_test(test_ver_semver__security_wg_ranges),
        cmocka_unit_test(test_ver_semver__range_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
