/* Unit tests of the advisory links: each id namespace maps to its own
 * canonical page, distro trackers follow the image's OS, and ids that
 * could break out of a URL (or an HTML attribute) get no link. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vuln/advisory.h"

static void test_advisory_url__each_namespace_has_its_page(void **state)
{
    (void)state;
    static const struct {
        const char *id, *url;
    } CASES[] = {
        {"CVE-2021-3450", "https://nvd.nist.gov/vuln/detail/CVE-2021-3450"},
        {"GHSA-jfh8-c2jp-5v3q", "https://github.com/advisories/GHSA-jfh8-c2jp-5v3q"},
        {"DSA-5000-1", "https://security-tracker.debian.org/tracker/DSA-5000-1"},
        {"DLA-3000-1", "https://security-tracker.debian.org/tracker/DLA-3000-1"},
        {"USN-6000-1", "https://ubuntu.com/security/notices/USN-6000-1"},
        {"RHSA-2024:0001", "https://access.redhat.com/errata/RHSA-2024:0001"},
        {"PYSEC-2021-1", "https://osv.dev/vulnerability/PYSEC-2021-1"},
        {"GO-2022-0001", "https://osv.dev/vulnerability/GO-2022-0001"},
        {"RUSTSEC-2021-0001", "https://osv.dev/vulnerability/RUSTSEC-2021-0001"},
    };
    char url[SF_ADVISORY_URL_MAX];
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        url[0] = '\0';
        assert_int_equal(sf_advisory_url(CASES[i].id, url, sizeof url), 1);
        assert_string_equal(url, CASES[i].url);
    }
}

static void test_advisory_url__hostile_or_unknown_ids_get_no_link(void **state)
{
    (void)state;
    char url[SF_ADVISORY_URL_MAX], longid[SF_ADVISORY_ID_MAX + 8];
    static const char *const BAD[] = {
        "CVE-1\"><script>", "CVE-1 x", "CVE-1/../../x", "CVE-1?q=1", "GHSA-a#b",
        "", "NOPE-1", "cve", "javascript:alert(1)",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        assert_int_equal(sf_advisory_url(BAD[i], url, sizeof url), 0);
    assert_int_equal(sf_advisory_url(NULL, url, sizeof url), 0);
    memset(longid, 'A', sizeof longid - 1);
    memcpy(longid, "CVE-", 4);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(sf_advisory_url(longid, url, sizeof url), 0);
    /* a buffer too small is no link, not a truncated one */
    assert_int_equal(sf_advisory_url("CVE-2021-3450", url, 20), 0);
}

static void test_advisory_osv__any_wellformed_id(void **state)
{
    (void)state;
    char url[SF_ADVISORY_URL_MAX];
    assert_int_equal(sf_advisory_osv_url("CVE-2021-3450", url, sizeof url), 1);
    assert_string_equal(url, "https://osv.dev/vulnerability/CVE-2021-3450");
    assert_int_equal(sf_advisory_osv_url("ALPINE-13661", url, sizeof url), 1);
    assert_string_equal(url, "https://osv.dev/vulnerability/ALPINE-13661");
    assert_int_equal(sf_advisory_osv_url("CVE-1\"><x>", url, sizeof url), 0);
    assert_int_equal(sf_advisory_osv_url(NULL, url, sizeof url), 0);
    assert_int_equal(sf_advisory_osv_url("CVE-2021-3450", url, 20), 0);
}

static void test_advisory_tracker__follows_the_os(void **state)
{
    (void)state;
    char url[SF_ADVISORY_URL_MAX];
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "alpine 3.10.3", url, sizeof url), 1);
    assert_string_equal(url, "https://security.alpinelinux.org/vuln/CVE-2021-3450");
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "debian 12", url, sizeof url), 1);
    assert_string_equal(url, "https://security-tracker.debian.org/tracker/CVE-2021-3450");
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "ubuntu 22.04", url, sizeof url), 1);
    assert_string_equal(url, "https://ubuntu.com/security/CVE-2021-3450");
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "rhel 9.2", url, sizeof url), 1);
    assert_string_equal(url, "https://access.redhat.com/security/cve/CVE-2021-3450");
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "amzn 2023", url, sizeof url), 1);
    assert_string_equal(url, "https://explore.alas.aws.amazon.com/CVE-2021-3450.html");
    /* no tracker: unknown OS, a prefix of a known one, no OS, not a CVE */
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "plan9 4", url, sizeof url), 0);
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", "alp 3", url, sizeof url), 0);
    assert_int_equal(sf_advisory_tracker_url("CVE-2021-3450", NULL, url, sizeof url), 0);
    assert_int_equal(sf_advisory_tracker_url("GHSA-x-y-z", "debian 12", url, sizeof url), 0);
    assert_int_equal(sf_advisory_tracker_url("CVE-1\"x", "debian 12", url, sizeof url), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_advisory_url__each_namespace_has_its_page),
        cmocka_unit_test(test_advisory_url__hostile_or_unknown_ids_get_no_link),
        cmocka_unit_test(test_advisory_tracker__follows_the_os),
        cmocka_unit_test(test_advisory_osv__any_wellformed_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
