/* Unit tests of scan's output helpers (cli/scan_out.c,
 * sarif_util.c): format names, --insecure-registry host matching, SARIF
 * help URIs per id family, and a rule's help text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "fleet/sarif_util.h"
#include "scan_out.h"

static void test_scan_out_fmt__names(void **state)
{
    (void)state;
    assert_int_equal(sf_scan_fmt_parse("table"), SF_SCAN_FMT_TABLE);
    assert_int_equal(sf_scan_fmt_parse("spdx-json"), SF_SCAN_FMT_SPDX_JSON);
    assert_int_equal(sf_scan_fmt_parse("cyclonedx"), SF_SCAN_FMT_CYCLONEDX);
    assert_int_equal(sf_scan_fmt_parse("spdx"), -1);
    assert_int_equal(sf_scan_fmt_parse(""), -1);
    assert_int_equal(sf_scan_fmt_parse(NULL), -1);
}

static void test_scan_out_hosts__registry_of_ref(void **state)
{
    (void)state;
    assert_true(sf_scan_ref_in_hosts("reg.io:5000/a/b:1", "x.io,reg.io:5000"));
    assert_true(sf_scan_ref_in_hosts("reg.io/a@sha256:00", "reg.io"));
    assert_false(sf_scan_ref_in_hosts("reg.io:5000/a:1", "reg.io"));
    assert_false(sf_scan_ref_in_hosts("reg.io.evil/a:1", "reg.io"));
    assert_false(sf_scan_ref_in_hosts("reg.io/a:1", NULL));
    assert_false(sf_scan_ref_in_hosts("oci:/tmp/layout", "oci:"));
    assert_false(sf_scan_ref_in_hosts("alpine", "alpine"));
}

static void test_scan_out_sarif__help(void **state)
{
    (void)state;
    char u[256];
    sf_sarif_help_uri("CVE-2021-3711", u, sizeof u);
    assert_string_equal(u, "https://nvd.nist.gov/vuln/detail/CVE-2021-3711");
    sf_sarif_help_uri("GHSA-35jh-r3h4-6jhm", u, sizeof u);
    assert_string_equal(u, "https://github.com/advisories/GHSA-35jh-r3h4-6jhm");
    sf_sarif_help_uri("ALPINE 1/../x", u, sizeof u);
    assert_string_equal(u, "https://osv.dev/vulnerability/ALPINE%201/../x");
    json_t *rule = json_object();
    assert_int_equal(sf_sarif_rule_help(rule, "CVE-1", "heap overflow", "openssl", "1.1.1l"), 0);
    const char *text = json_string_value(json_object_get(json_object_get(rule, "help"), "text"));
    assert_non_null(strstr(text, "heap overflow"));
    assert_non_null(strstr(text, "Upgrade openssl to 1.1.1l or later."));
    const char *md = json_string_value(json_object_get(json_object_get(rule, "help"), "markdown"));
    assert_non_null(strstr(md, "[https://nvd.nist.gov/vuln/detail/CVE-1]("));
    json_decref(rule);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_out_fmt__names),
        cmocka_unit_test(test_scan_out_hosts__registry_of_ref),
        cmocka_unit_test(test_scan_out_sarif__help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
