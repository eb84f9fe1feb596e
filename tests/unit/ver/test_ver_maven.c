/*
 * Maven order: every pair within real release histories (log4j,
 * jackson-databind, Spring, Hibernate, Netty, Guava, Struts, Jetty,
 * Tomcat, ...) ordered by Maven 3.8.7 ComparableVersion itself.
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
#include "oracle_maven.inc"
};

static const ver_pair rules[] = {
    {"1.0-alpha1", -1, "1.0-beta1"},
    {"1.0-beta1", -1, "1.0-milestone1"},
    {"1.0-m1", -1, "1.0-rc1"},
    {"1.0-cr1", 0, "1.0-rc1"},
    {"1.0-rc1", -1, "1.0-SNAPSHOT"},
    {"1.0-SNAPSHOT", -1, "1.0"},
    {"1.0", 0, "1.0.0.GA"},
    {"1.0", 0, "1.0.Final"},
    {"1.0.RELEASE", 0, "1"},
    {"1.0", -1, "1.0-sp1"},
    {"1.0-sp1", -1, "1.0-foo"},          /* unknown qualifiers after sp */
    {"1.0-abc", -1, "1.0-xyz"},
    {"1.0.0.Alpha1", -1, "1.0"},
    {"1-1", -1, "1.1"},
    {"2.12.7.1", 1, "2.12.7"},
    {"9.4.43.v20210629", 1, "9.4.41.v20210516"},
    {"1.0-1", 1, "1.0"},
    {"123456789012345678901234567890", 1, "123456789012345678901234567889"},
};

VER_ORACLE_TEST(maven, SF_VS_MAVEN, 400)

static void test_ver_maven__qualifiers(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_MAVEN, rules);
    assert_true(sf_ver_valid(SF_VS_MAVEN, "2.13.4.2"));
    assert_false(sf_ver_valid(SF_VS_MAVEN, "latest"));
}

/* Versions far past the fixed parse bounds still compare, deterministically. */
static void test_ver_maven__bounds(void **state)
{
    (void)state;
    char deep[2048], deep2[2048];
    size_t n = 0;
    for (int i = 0; i < 300 && n + 4 < sizeof deep; i++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "%d-a", i % 10);
    memcpy(deep2, deep, n + 1);
    deep2[n - 1] = 'b';
    assert_int_equal(sf_ver_cmp(SF_VS_MAVEN, deep, deep), 0);
    assert_true(sf_ver_cmp(SF_VS_MAVEN, deep, "1.0") < 0);
    assert_int_equal(sf_ver_cmp(SF_VS_MAVEN, deep, deep2), -sf_ver_cmp(SF_VS_MAVEN, deep2, deep));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_maven__oracle_pairs),
        cmocka_unit_test(test_ver_maven__qualifiers),
        cmocka_unit_test(test_ver_maven__bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
