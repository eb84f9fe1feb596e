/*
 * Scheme dispatch: OSV ecosystem -> scheme, names, NULL and unknown
 * schemes, the generic fallback order, and transitivity of every
 * comparator over one mixed pool of real and hostile strings.
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
#include "base/err.h"
#include "vuln/ver.h"

static void test_ver_scheme__ecosystems(void **state)
{
    (void)state;
    static const struct {
        const char *eco;
        sf_verscheme s;
    } t[] = {
        {"Alpine:v3.10", SF_VS_APK},        {"Alpine:v3.20", SF_VS_APK},
        {"Wolfi", SF_VS_APK},               {"Debian:11", SF_VS_DPKG},
        {"Debian:12", SF_VS_DPKG},          {"Ubuntu:22.04:LTS", SF_VS_DPKG},
        {"Ubuntu:Pro:18.04:LTS", SF_VS_DPKG}, {"Red Hat:enterprise_linux:9::appstream", SF_VS_RPM},
        {"Rocky Linux:8", SF_VS_RPM},       {"AlmaLinux:9", SF_VS_RPM},
        {"openSUSE:Leap 15.5", SF_VS_RPM},  {"SUSE:Linux Enterprise Server 15 SP5", SF_VS_RPM},
        {"Mageia:9", SF_VS_RPM},            {"npm", SF_VS_SEMVER},
        {"crates.io", SF_VS_SEMVER},        {"Packagist", SF_VS_SEMVER},
        {"NuGet", SF_VS_SEMVER},            {"Hex", SF_VS_SEMVER},
        {"Pub", SF_VS_SEMVER},              {"PyPI", SF_VS_PEP440},
        {"Go", SF_VS_GO},                   {"Maven", SF_VS_MAVEN},
        {"RubyGems", SF_VS_GEM},            {"pypi", SF_VS_PEP440},
        {"Hackage", SF_VS_GENERIC},         {"", SF_VS_GENERIC},
        {"Alpinex", SF_VS_GENERIC},         {"GIT", SF_VS_GENERIC},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (sf_ver_scheme_for_ecosystem(t[i].eco) != t[i].s)
            fprintf(stderr, "ecosystem %s\n", t[i].eco);
        assert_int_equal(sf_ver_scheme_for_ecosystem(t[i].eco), t[i].s);
    }
    assert_int_equal(sf_ver_scheme_for_ecosystem(NULL), SF_VS_GENERIC);
    assert_string_equal(sf_ver_scheme_name(SF_VS_DPKG), "dpkg");
    assert_string_equal(sf_ver_scheme_name(SF_VS_PEP440), "pep440");
    assert_string_equal(sf_ver_scheme_name(SF_VS_COUNT), "unknown");
}

static void test_ver_scheme__generic_order(void **state)
{
    (void)state;
    static const ver_pair t[] = {
        {"1.0", -1, "1.0.1"},   {"1.0rc1", -1, "1.0"},  {"1.9", -1, "1.10"},
        {"1.0", 0, "1-0"},      {"2.0beta", -1, "2.0"}, {"1.0a", -1, "1.0b"},
        {"1.0A", 0, "1.0a"},    {"", -1, "0"},          {"r1", -1, "1"},
    };
    VER_CHECK(SF_VS_GENERIC, t);
}

static void test_ver_scheme__null_and_unknown(void **state)
{
    (void)state;
    for (int s = 0; s < SF_VS_COUNT; s++) {
        assert_int_equal(sf_ver_cmp((sf_verscheme)s, NULL, NULL), 0);
        assert_int_equal(sf_ver_cmp((sf_verscheme)s, NULL, ""), 0);
        assert_false(sf_ver_valid((sf_verscheme)s, NULL));
    }
    assert_true(sf_ver_cmp((sf_verscheme)99, "1", "2") < 0);
    assert_int_equal(sf_semver_range_match(NULL, "1.0.0"), SF_EINVAL);
}

/* Every comparator is a total preorder on one pool of real versions of
 * all schemes mixed with hostile strings: check all triples. */
static void test_ver_scheme__total_order_on_pool(void **state)
{
    (void)state;
    static const char *const pool[] = {
        "1:2.36.1-8+deb11u1", "2.2.4-1~bpo11+1", "1.0~rc1", "1.0", "1.0.0", "1.00", "1.0-1",
        "1.0_alpha2-r1", "1.0.01", "1.0bc", "1:1.1.1k-7.el8_6", "1.0^git1", "1.0.0-alpha.1",
        "1.0.0+build", "v2.0.0+incompatible", "v0.0.0-20191109021931-daa7c04131f5", "1!1.0rc1",
        "1.0.post1.dev2+local", "1.0-SNAPSHOT", "1.0-sp1", "1.0.alpha.1", "1-1", "1.0.0.rc1",
        "", "~", "^", "-", ".", "_", "+", "0", "00", "a", "A", "\xff\xfe", "1..2", "1--2",
        "99999999999999999999999999", "1.0-", ":", "1:", "v", "=1.2.3", "1.2.3.4.5",
    };
    const size_t n = sizeof pool / sizeof pool[0];
    for (int s = 0; s < SF_VS_COUNT; s++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++) {
                int ij = ver_sign(sf_ver_cmp((sf_verscheme)s, pool[i], pool[j]));
                assert_int_equal(ij, -ver_sign(sf_ver_cmp((sf_verscheme)s, pool[j], pool[i])));
                if (ij > 0)
                    continue;
                for (size_t k = 0; k < n; k++) {
                    int jk = ver_sign(sf_ver_cmp((sf_verscheme)s, pool[j], pool[k]));
                    if (jk > 0)
                        continue;
                    int ik = ver_sign(sf_ver_cmp((sf_verscheme)s, pool[i], pool[k]));
                    if (ik != ((ij < 0 || jk < 0) ? -1 : 0))
                        fprintf(stderr, "%s: [%s] [%s] [%s]\n", sf_ver_scheme_name((sf_verscheme)s),
                                pool[i], pool[j], pool[k]);
                    assert_int_equal(ik, (ij < 0 || jk < 0) ? -1 : 0);
                }
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_scheme__ecosystems),
        cmocka_unit_test(test_ver_scheme__generic_order),
        cmocka_unit_test(test_ver_scheme__null_and_unknown),
        cmocka_unit_test(test_ver_scheme__total_order_on_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
