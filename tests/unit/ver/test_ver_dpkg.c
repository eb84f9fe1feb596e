/*
 * Debian version order: 500 real pairs (Debian security tracker fixed
 * versions and image source versions, ordered by dpkg itself) and the
 * rules of deb-version(7) on real spellings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "testutil.h"
#include "ver_pairs.h"
#include "vuln/ver.h"

static const ver_pair oracle[] = {
#include "oracle_dpkg.inc"
};

/* Hand-picked real versions for each rule. */
static const ver_pair rules[] = {
    {"1:2.36.1-8+deb11u1", 1, "2.37.2-6"},             /* epoch wins */
    {"2.36.1-8+deb11u1", -1, "1:2.36.1-8"},
    {"0:2.36.1-8", 0, "2.36.1-8"},                      /* epoch 0 is no epoch */
    {"2.2.4-1~bpo11+1", -1, "2.2.4-1"},                 /* backports before release */
    {"2.2.4-1", -1, "2.2.4-1+deb11u1"},
    {"1.1.1n-0+deb11u3", -1, "1.1.1n-0+deb11u4"},
    {"1.1.1n-0+deb10u3", -1, "1.1.1n-0+deb11u1"},
    {"3.0.11-1~deb12u2", -1, "3.0.11-1~deb12u3"},
    {"3.0.11-1~deb12u2", -1, "3.0.11-1"},
    {"102.9.0esr-1~deb11u1", 1, "102.8.0esr-1~deb11u1"},
    {"1.0~rc1", -1, "1.0"},                             /* ~ before the end */
    {"1.0~rc1", 1, "1.0~~"},
    {"1.0~", -1, "1.0"},
    {"1.0", -1, "1.0a"},                                /* end before letters */
    {"1.0a", -1, "1.0+"},                               /* letters before others */
    {"1.0+dfsg", 1, "1.0"},
    {"1.0.0", 1, "1.0"},
    {"1.00", 0, "1.0"},                                 /* numbers by value */
    {"1.0-01", 0, "1.0-1"},
    {"9.0", -1, "10.0"},
    {"2.7.4+git20190218-1", 1, "2.7.4-1"},
    {"2:8.2.2434-3+deb11u1", -1, "2:9.0.1378-2"},
    {"1.2.11.dfsg-2+deb11u2", 1, "1.2.11.dfsg-2+deb11u1"},
    {"4.19.289-2", 1, "4.19.194-3"},
    {"5.10.0-21", -1, "5.10.0-22"},
    {"2.31-13+deb11u5", 1, "2.31-13"},
    {"241-7~deb10u8", -1, "241-7~deb10u9"},
    {"7.64.0-4+deb10u2", -1, "7.74.0-1.3+deb11u1"},
    {"1:1.2.11.dfsg-1+deb10u1", 1, "1:1.2.11.dfsg-1"},
    {"3.6.0-1", -1, "3.6.0-1+b1"},                      /* binNMU */
    {"1.3.1-1", 0, "1.3.1-1"},
    /* Huge numbers do not overflow: compared as digit strings. */
    {"1.99999999999999999999999999", -1, "1.100000000000000000000000000"},
    {"0001.0", 0, "1.0"},
    /* Invalid epochs read as part of the upstream version. */
    {"a:1.0", 1, "1.0"},
    {"", 0, "0"}, /* both read as the number 0 */
};

VER_ORACLE_TEST(dpkg, SF_VS_DPKG, 400)

static void test_ver_dpkg__rules(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_DPKG, rules);
}

static void test_ver_dpkg__valid(void **state)
{
    (void)state;
    static const char *const good[] = {"1:2.36.1-8+deb11u1", "2.2.4-1~bpo11+1", "1.0", "0.9.12+debian-6",
                                       "2:6.0.3.7+dfsg-2+deb11u1", "1.2-3-4"};
    static const char *const bad[] = {"", "a1.0", "1.0-", "x:1.0", "1.0 2", ":1.0", "1.0-a_b", "99999999999:1"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(sf_ver_valid(SF_VS_DPKG, good[i]));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sf_ver_valid(SF_VS_DPKG, bad[i]));
}

/* The corpus's Debian ground truth pairs installed source versions with
 * tracker fixed versions (its verdicts were cross-checked with dpkg):
 * every finding must follow from installed < fixed, every "already
 * fixed" entry from installed >= fixed, equal exactly when it says so. */
static void test_ver_dpkg__ground_truth_verdicts(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *root = json_load_file(sf_t_corpus("ground-truth/debian-ground-truth.json"), 0, &jerr);
    assert_non_null(root);
    int affected = 0, fixed = 0;
    size_t ci;
    json_t *c;
    json_array_foreach(json_object_get(root, "cases"), ci, c) {
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(c, "findings"), i, f) {
            const char *inst = json_string_value(json_object_get(f, "source_version"));
            const char *fix = json_string_value(json_object_get(f, "fixed_version"));
            assert_non_null(inst);
            assert_non_null(fix);
            assert_true(sf_ver_cmp(SF_VS_DPKG, inst, fix) < 0);
            affected++;
        }
        json_array_foreach(json_object_get(c, "already_fixed"), i, f) {
            const char *inst = json_string_value(json_object_get(f, "installed_source_version"));
            const char *fix = json_string_value(json_object_get(f, "fixed_version"));
            int r = sf_ver_cmp(SF_VS_DPKG, inst, fix);
            assert_true(r >= 0);
            assert_int_equal(r == 0, json_is_true(json_object_get(f, "equal")));
            fixed++;
        }
    }
    json_decref(root);
    assert_true(affected >= 20);
    assert_true(fixed >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_dpkg__oracle_pairs),
        cmocka_unit_test(test_ver_dpkg__rules),
        cmocka_unit_test(test_ver_dpkg__valid),
        cmocka_unit_test(test_ver_dpkg__ground_truth_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
