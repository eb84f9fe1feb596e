/*
 * Alpine (apk) version order: all of apk-tools 2.14's own test vectors
 * from the corpus, plus real version pairs from Alpine package histories.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ver_apk__upstream_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
