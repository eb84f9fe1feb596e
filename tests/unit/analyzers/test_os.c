/* Tests of the OS analyzer (os-release quoting, the single-purpose release
 * files, hostile input) and of the analyzer table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"

static sf_osinfo *run_os(const char *path, const char *text, sf_inv_source *src, int expect_rc)
{
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_os, path, 0100644, text, strlen(text), src, &err), expect_rc);
    return src->os;
}

static void test_analyzers_os__os_release_quoting(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_osinfo *os = run_os("etc/os-release",
                           "# comment\nNAME=\"Debian GNU/Linux\"\nID=debian\n"
                           "VERSION_ID=\"11\"\r\nVERSION_CODENAME=bullseye\n"
                           "PRETTY_NAME=\"Debian \\\"GNU\\\"/Linux \\$11 \\\\ x\"\n"
                           "ID_LIKE='rhel fedora'\nBROKEN=\"unterminated\n  ID_X=1\nnoequals\n",
                           &src, SF_OK);
    assert_string_equal(os->id, "debian");
    assert_string_equal(os->version_id, "11");
    assert_string_equal(os->codename, "bullseye");
    assert_string_equal(os->pretty_name, "Debian \"GNU\"/Linux $11 \\ x");
    assert_string_equal(os->id_like, "rhel fedora");
    assert_int_equal(src.status, SF_SRC_PARSED);
    sf_inv_source_clear(&src);

    os = run_os("usr/lib/os-release", "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n", &src,
                SF_OK);
    char eco[64];
    assert_int_equal(sf_osinfo_osv_ecosystem(os, eco, sizeof eco), SF_OK);
    assert_string_equal(eco, "Ubuntu:22.04");
    sf_inv_source_clear(&src);
}

static void test_analyzers_os__release_files(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_osinfo *os = run_os("etc/alpine-release", "3.10.3\n", &src, SF_OK);
    assert_string_equal(os->id, "alpine");
    assert_string_equal(os->version_id, "3.10.3");
    sf_inv_source_clear(&src);

    os = run_os("etc/debian_version", "11.11\n", &src, SF_OK);
    assert_string_equal(os->id, "debian");
    assert_string_equal(os->version_id, "11.11");
    char eco[64];
    assert_int_equal(sf_osinfo_osv_ecosystem(os, eco, sizeof eco), SF_OK);
    assert_string_equal(eco, "Debian:11");
    sf_inv_source_clear(&src);

    os = run_os("etc/debian_version", "bookworm/sid\n", &src, SF_OK);
    assert_null(os->version_id);
    assert_string_equal(os->codename, "bookworm");
    sf_inv_source_clear(&src);

    os = run_os("etc/redhat-release", "Red Hat Enterprise Linux release 8.4 (Ootpa)\n", &src, SF_OK);
    assert_string_equal(os->id, "rhel");
    assert_string_equal(os->version_id, "8.4");
    assert_string_equal(os->codename, "Ootpa");
    sf_inv_source_clear(&src);
    os = run_os("etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)", &src, SF_OK);
    assert_string_equal(os->id, "centos");
    assert_string_equal(os->version_id, "7.9.2009");
    sf_inv_source_clear(&src);
}

static void test_analyzers_os__hostile_input(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    /* No ID: nothing usable, an error for the walker to record. */
    run_os("etc/os-release", "NAME=x\n", &src, SF_EPARSE);
    assert_null(src.os);
    sf_inv_source_clear(&src);
    run_os("etc/alpine-release", "", &src, SF_EPARSE);
    sf_inv_source_clear(&src);
    run_os("etc/redhat-release", "\x01\x02", &src, SF_EPARSE);
    sf_inv_source_clear(&src);
    /* Invalid UTF-8 and NULs in a value drop that value only. */
    static const char bad[] = "ID=fedora\nPRETTY_NAME=\"\xff\xfe\"\nVERSION_ID=3\0 8\n";
    assert_int_equal(an_run(&sf_an_os, "etc/os-release", 0100644, bad, sizeof bad - 1, &src, &err), SF_OK);
    assert_string_equal(src.os->id, "fedora");
    assert_null(src.os->pretty_name);
    assert_null(src.os->version_id);
    sf_inv_source_clear(&src);
    /* A value longer than any real one is refused. */
    char *big = malloc(70000);
    memset(big, 'a', 70000);
    memcpy(big, "ID=", 3);
    assert_int_equal(an_run(&sf_an_os, "etc/os-release", 0100644, big, 70000, &src, &err), SF_EPARSE);
    sf_inv_source_clear(&src);
    free(big);
}

static void test_analyzers_table__names_and_version(void **state)
{
    (void)state;
    size_t n = 0;
    for (; sf_analyzers[n]; n++) {
        assert_non_null(sf_analyzers[n]->wants);
        assert_non_null(sf_analyzers[n]->parse);
        assert_true(sf_analyzers[n]->max_bytes > 0);
        assert_true(sf_analyzers[n]->version > 0);
        char piece[64];
        snprintf(piece, sizeof piece, ".%s%u", sf_analyzers[n]->name, sf_analyzers[n]->version);
        assert_non_null(strstr(sf_analyzers_version(), piece));
    }
    assert_true(n >= 3);
    assert_true(strncmp(sf_analyzers_version(), "a2.os", 5) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_os__os_release_quoting),
        cmocka_unit_test(test_analyzers_os__release_files),
        cmocka_unit_test(test_analyzers_os__hostile_input),
        cmocka_unit_test(test_analyzers_table__names_and_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
