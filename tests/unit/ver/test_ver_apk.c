/*
 * Alpine (apk) version order: all of apk-tools 2.14's own test vectors
 * from the corpus, the Alpine ground truth's verdicts, and real version
 * pairs from Alpine package histories (installed vs secdb fixed).
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

/*
 * apk-tools-2.14-version.data: one "A op B" per line (op one of < > =),
 * optionally followed by "# comment". Every line must hold in both
 * directions. The file's one commented line ("1.0 < 1.0bc # invalid. do
 * string sort") has an invalid right side: apk stops at the bad token and
 * orders by what precedes it, which we reproduce.
 */
static void test_ver_apk__upstream_vectors(void **state)
{
    (void)state;
    size_t len = 0;
    char *data = sf_t_read_file(sf_t_corpus("testvectors/apk-tools-2.14-version.data"), &len);
    assert_non_null(data);
    int lines = 0, bad = 0;
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char a[256], op[4], b[256];
        if (sscanf(line, "%255s %3s %255s", a, op, b) != 3)
            continue;
        int want = op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0;
        assert_true(strcmp(op, "<") == 0 || strcmp(op, ">") == 0 || strcmp(op, "=") == 0);
        ver_pair p = {a, want, b};
        bad += ver_check_pairs(SF_VS_APK, &p, 1);
        lines++;
    }
    free(data);
    assert_int_equal(lines, 733);
    assert_int_equal(bad, 0);
}

/* Every affected verdict of the Alpine ground truth: the installed
 * version is below every fixed version listed for the advisory. */
static void test_ver_apk__ground_truth_verdicts(void **state)
{
    (void)state;
    json_t *root = json_load_file(sf_t_corpus("ground-truth/alpine-ground-truth.json"), 0, NULL);
    assert_non_null(root);
    int n = 0;
    size_t ci, fi, vi;
    json_t *c, *f, *v;
    json_array_foreach(json_object_get(root, "cases"), ci, c) {
        json_array_foreach(json_object_get(c, "findings"), fi, f) {
            const char *inst = json_string_value(json_object_get(f, "version"));
            assert_non_null(inst);
            assert_string_equal(json_string_value(json_object_get(f, "status")), "affected");
            json_array_foreach(json_object_get(f, "fixed_versions"), vi, v) {
                assert_true(sf_ver_cmp(SF_VS_APK, inst, json_string_value(v)) < 0);
                n++;
            }
        }
    }
    json_decref(root);
    assert_true(n >= 20);
}

/* Installed versions of the corpus images against secdb fixed versions. */
static const ver_pair alpine_real[] = {
    {"1.1.1d-r0", -1, "1.1.1d-r2"},   {"1.1.1d-r0", -1, "1.1.1g-r0"},
    {"1.1.1g-r0", 1, "1.1.1d-r3"},    {"1.1.1k-r0", 1, "1.1.1j-r0"},
    {"1.30.1-r2", -1, "1.30.1-r5"},   {"1.31.1-r9", -1, "1.31.1-r10"},
    {"1.1.22-r3", -1, "1.1.22-r4"},   {"1.2.4-r1", -1, "1.2.4_git20230717-r4"},
    {"1.2.5-r0", 1, "1.2.4_git20230717-r4"}, {"2.10.4-r2", -1, "2.10.4-r3"},
    {"2.10.8-r0", 1, "2.10.5-r1"},    {"3.1.7-r0", -1, "3.1.7-r1"},
    {"3.3.2-r0", 1, "3.1.7-r1"},      {"1.36.1-r29", 1, "1.36.1-r2"},
    {"1.2.11-r1", -1, "1.2.12-r0"},   {"1.2.13-r0", 1, "1.2.12-r2"},
    {"1.2.3_pre2-r0", -1, "1.2.3-r0"}, {"1.2.3_p1-r0", 1, "1.2.3-r0"},
    {"1.2.3_rc1", -1, "1.2.3_p0"},    {"2.14.4-r0", 0, "2.14.4-r0"},
    {"8.2.1-r0", -1, "8.2.1_p0-r0"},  {"9.3_p2-r0", 1, "9.3_p1-r3"},
};

static void test_ver_apk__real_pairs(void **state)
{
    (void)state;
    VER_CHECK(SF_VS_APK, alpine_real);
    VER_VALID(SF_VS_APK, "1.2.4_git20230717-r4", "1.0_alpha2_p3-r10");
    VER_INVALID(SF_VS_APK, "1.0bc", "1.0_foo", "1.0-r1-r2", "v1.0");
    /* apk semantics for invalid input, documented in ver_apk.c. */
    assert_int_equal(sf_ver_cmp(SF_VS_APK, "1.0_foo", "1.0_bar"), 0);
    assert_true(sf_ver_cmp(SF_VS_APK, "1.0_foo", "1.0") < 0);
    assert_true(sf_ver_cmp(SF_VS_APK, "junk", "0") < 0);
    assert_true(sf_ver_cmp(SF_VS_APK, "1.99999999999999999999999", "1.99999999999999999999998") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_apk__upstream_vectors),
        cmocka_unit_test(test_ver_apk__ground_truth_verdicts),
        cmocka_unit_test(test_ver_apk__real_pairs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
