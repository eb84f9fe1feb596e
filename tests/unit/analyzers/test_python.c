/* Tests of the Python analyzer: METADATA / PKG-INFO headers as written
 * by pip and setuptools, which paths are read, and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"

static void test_analyzers_python__metadata_headers(void **state)
{
    (void)state;
    static const char meta[] =
        "Metadata-Version: 2.1\r\nName: Jinja2\r\nVersion: 2.10.1\r\nSummary: A very fast\r\n"
        "License: BSD-3-Clause\r\nClassifier: X\r\nDescription: first\r\n        continued\r\n"
        "Requires-Dist: MarkupSafe (>=0.23)\r\n\r\n"
        "Name: not-a-header\nVersion: 9\n";
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_python, "usr/lib/python3/site-packages/Jinja2-2.10.1.dist-info/METADATA",
                            0100644, meta, sizeof meta - 1, &src, &err),
                     SF_OK);
    assert_int_equal(src.npkgs, 1);
    assert_string_equal(src.pkgs[0].name, "Jinja2"); /* kept as written, not normalised */
    assert_string_equal(src.pkgs[0].version, "2.10.1");
    assert_string_equal(src.pkgs[0].license, "BSD-3-Clause");
    assert_int_equal(src.pkgs[0].type, SF_PT_PYPI);
    sf_inv_source_clear(&src);

    static const char pkginfo[] = "Metadata-Version: 2.4\nName: zope.interface\nVersion: 5.4.0\n"
                                  "License: \nLicense-Expression: ZPL-2.1\n";
    assert_int_equal(an_run(&sf_an_python, "a/zope.interface.egg-info/PKG-INFO", 0100644, pkginfo,
                            sizeof pkginfo - 1, &src, &err),
                     SF_OK);
    assert_string_equal(src.pkgs[0].name, "zope.interface");
    assert_string_equal(src.pkgs[0].license, "ZPL-2.1");
    sf_inv_source_clear(&src);
}

static void test_analyzers_python__wants(void **state)
{
    (void)state;
    static const an_want cases[] = {
        {"usr/lib/python3.11/site-packages/pip-23.0.dist-info/METADATA", 1},
        {"x.dist-info/METADATA", 1},
        {"METADATA", 0},
        {".dist-info/METADATA", 0},
        {"a/foo.dist-info/RECORD", 0},
        {"a/foo/METADATA", 0},
        {"usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", 1},
        {"usr/lib/python2.7/dist-packages/foo-1.0.egg-info", 1},
        {"src/PKG-INFO", 0},
    };
    an_expect_wants(&sf_an_python, cases, sizeof cases / sizeof cases[0]);
}

static void test_analyzers_python__hostile_input(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    static const char *bad[] = {
        "", "Name: x\n", "Version: 1\n", "Name: \xc3\x28\nVersion: 1\n", "\n\nName: x\nVersion: 1\n",
        "Name x\nVersion 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_error_clear(&err);
        assert_int_equal(an_run(&sf_an_python, "a.dist-info/METADATA", 0100644, bad[i], strlen(bad[i]), &src,
                                &err),
                         SF_EPARSE);
        assert_int_equal(src.npkgs, 0);
        sf_inv_source_clear(&src);
    }
    static const char nul[] = "Name: a\0b\nVersion: 1\n";
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_python, "a.dist-info/METADATA", 0100644, nul, sizeof nul - 1, &src, &err),
                     SF_EPARSE);
    sf_inv_source_clear(&src);
    /* bad license text drops the license only */
    static const char lic[] = "Name: a\nVersion: 1\nLicense: \x01\n";
    assert_int_equal(an_run(&sf_an_python, "a.dist-info/METADATA", 0100644, lic, sizeof lic - 1, &src, &err),
                     SF_OK);
    assert_null(src.pkgs[0].license);
    sf_inv_source_clear(&src);
    size_t big = 9u << 20;
    char *huge = calloc(1, big);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_python, "a.dist-info/METADATA", 0100644, huge, big, &src, &err), SF_ELIMIT);
    sf_inv_source_clear(&src);
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_python__metadata_headers),
        cmocka_unit_test(test_analyzers_python__wants),
        cmocka_unit_test(test_analyzers_python__hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
