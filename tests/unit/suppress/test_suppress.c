/* Unit tests of scan suppressions (cli/suppress.c, vex.c): the
 * .scanfarmignore grammar, expiry, purl and package matching, OpenVEX
 * v0.0.1 / v0.2.0 and CycloneDX VEX statements, what is moved out of a
 * result, and clear errors (no crash, no leak) on bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suppress.h"

#define TODAY "2026-12-02"

static sf_supp *ignore(const char *text, int want_rc, sf_error *err)
{
    sf_supp *s = NULL;
    assert_int_equal(sf_supp_new(&s), SF_OK);
    assert_int_equal(sf_supp_load_ignore(s, text, strlen(text), "ign", TODAY, err), want_rc);
    return s;
}

static sf_finding finding(const char *id, const char *alias, const char *pkg, const char *src)
{
    static char *aliases[1];
    sf_finding f;
    memset(&f, 0, sizeof f);
    f.id = (char *)id;
    f.pkg_name = (char *)pkg;
    f.src_name = (char *)src;
    if (alias) {
        aliases[0] = (char *)alias;
        f.aliases = aliases;
        f.naliases = 1;
    }
    return f;
}

static void test_suppress_ignore__grammar(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = ignore("# comment\n\n  CVE-2021-3711 openssl exp:2027-01-01 reason: no TLS here\r\n"
                        "GHSA-aaaa-bbbb-cccc pkg:npm/lodash@4.17.20 reason: dev only # note\n"
                        "CVE-2020-1 exp:2020-01-01 reason: old\n",
                        SF_OK, &e);
    assert_int_equal(sf_supp_count(s), 3);
    const sf_supp_rule *r = sf_supp_rule_at(s, 0);
    assert_string_equal(r->id, "CVE-2021-3711");
    assert_string_equal(r->package, "openssl");
    assert_string_equal(r->expires, "2027-01-01");
    assert_string_equal(r->reason, "no TLS here");
    assert_string_equal(r->source, "ign:3");
    assert_false(r->expired);
    r = sf_supp_rule_at(s, 1);
    assert_int_equal(r->npurls, 1);
    assert_string_equal(r->purls[0], "pkg:npm/lodash@4.17.20");
    assert_string_equal(r->reason, "dev only # note");
    assert_true(sf_supp_rule_at(s, 2)->expired);
    sf_supp_free(s);
}

static void test_suppress_ignore__bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
        int rc;
    } BAD[] = {
        {"CVE-2021-3711\n", "needs a reason", SF_EPARSE},
        {"CVE-2021-3711 openssl reason:   \n", "needs a reason", SF_EPARSE},
        {"CVE-1 exp:2027-01-01 openssl reason: x\n", "expected ID", SF_EPARSE},
        {"not/an/id reason: x\n", "not an advisory id", SF_EPARSE},
        {"CVE-1 exp:2027-13-01 reason: x\n", "exp:YYYY-MM-DD", SF_EPARSE},
        {"CVE-1 exp:2027-01-01 exp:2027-01-02 reason: x\n", "exp:YYYY-MM-DD", SF_EPARSE},
        {"CVE-1 a b reason: x\n", "expected ID", SF_EPARSE},
        {"reason: x\n", "starts with an advisory id", SF_EPARSE},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        sf_error e = SF_ERROR_INIT;
        sf_supp *s = ignore(BAD[i].text, BAD[i].rc, &e);
        assert_non_null(strstr(e.msg, BAD[i].msg));
        assert_non_null(strstr(e.msg, "ign:1"));
        sf_supp_free(s);
    }
    char *big = malloc(5000);
    memset(big, 'A', 4999);
    big[4999] = '\0';
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = ignore(big, SF_ELIMIT, &e);
    sf_supp_free(s);
    free(big);
    const char nul[] = "CVE-1 reason: a\0b\n";
    s = NULL;
    assert_int_equal(sf_supp_new(&s), SF_OK);
    assert_int_equal(sf_supp_load_ignore(s, nul, sizeof nul - 1, "ign", TODAY, &e), SF_EPARSE);
    sf_supp_free(s);
}

static void test_suppress_match__packages_purls_aliases(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = ignore("CVE-1 openssl reason: a\n"
                        "CVE-2 pkg:apk/alpine/musl reason: b\n"
                        "CVE-3 pkg:apk/alpine/musl@1.2-r0 reason: c\n"
                        "GHSA-x reason: d\n"
                        "CVE-9 exp:2001-01-01 reason: gone\n",
                        SF_OK, &e);
    sf_finding f = finding("CVE-1", NULL, "libssl3", "openssl");
    assert_non_null(sf_supp_match(s, &f, NULL)); /* by source name */
    f = finding("CVE-1", NULL, "zlib", NULL);
    assert_null(sf_supp_match(s, &f, NULL));
    f = finding("CVE-2", NULL, "musl", NULL);
    assert_non_null(sf_supp_match(s, &f, "pkg:apk/alpine/musl@1.1-r3?arch=x86_64"));
    assert_null(sf_supp_match(s, &f, "pkg:apk/alpine/musl-utils@1.1-r3"));
    assert_null(sf_supp_match(s, &f, NULL));
    f = finding("CVE-3", NULL, "musl", NULL);
    assert_non_null(sf_supp_match(s, &f, "pkg:apk/alpine/musl@1.2-r0?arch=x86_64"));
    assert_null(sf_supp_match(s, &f, "pkg:apk/alpine/musl@1.2-r1"));
    f = finding("CVE-2022-5", "GHSA-x", "lodash", NULL);
    assert_string_equal(sf_supp_match(s, &f, NULL)->reason, "d"); /* by alias */
    f = finding("CVE-9", NULL, "a", NULL);
    assert_null(sf_supp_match(s, &f, NULL)); /* expired */
    sf_supp_free(s);
}

static sf_supp *vex(const char *doc, int want_rc, sf_error *err)
{
    sf_supp *s = NULL;
    assert_int_equal(sf_supp_new(&s), SF_OK);
    assert_int_equal(sf_supp_load_vex(s, doc, strlen(doc), "v.json", err), want_rc);
    return s;
}

static void test_suppress_vex__openvex(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = vex(
        "{\"@context\":\"https://openvex.dev/ns/v0.2.0\",\"statements\":["
        "{\"vulnerability\":{\"name\":\"CVE-1\",\"aliases\":[\"GHSA-1\"]},\"products\":[{\"@id\":"
        "\"pkg:oci/app\",\"subcomponents\":[{\"@id\":\"pkg:npm/a@1\"}]}],\"status\":"
        "\"not_affected\",\"justification\":\"vulnerable_code_not_present\"},"
        "{\"vulnerability\":{\"name\":\"CVE-2\"},\"products\":[{\"@id\":\"pkg:oci/app\"}],"
        "\"status\":\"fixed\"},"
        "{\"vulnerability\":{\"name\":\"CVE-3\"},\"status\":\"affected\"},"
        "{\"vulnerability\":{\"name\":\"CVE-4\"},\"status\":\"under_investigation\"}]}",
        SF_OK, &e);
    assert_int_equal(sf_supp_count(s), 3); /* CVE-1, GHSA-1, CVE-2 */
    sf_finding f = finding("CVE-1", NULL, "a", NULL);
    const sf_supp_rule *r = sf_supp_match(s, &f, "pkg:npm/a@1");
    assert_non_null(r);
    assert_string_equal(r->status, "not_affected");
    assert_string_equal(r->justification, "vulnerable_code_not_present");
    assert_null(sf_supp_match(s, &f, "pkg:npm/b@1"));
    f = finding("CVE-2", NULL, "z", NULL);
    assert_string_equal(sf_supp_match(s, &f, "pkg:npm/z@3")->status, "fixed"); /* image-wide */
    f = finding("CVE-3", NULL, "a", NULL);
    assert_null(sf_supp_match(s, &f, "pkg:npm/a@1"));
    sf_supp_free(s);
    /* v0.0.1: vulnerability and products as strings */
    s = vex("{\"@context\":\"https://openvex.dev/ns\",\"statements\":[{\"vulnerability\":"
            "\"CVE-7\",\"products\":[\"pkg:deb/debian/bash@5.1\"],\"status\":\"not_affected\","
            "\"impact_statement\":\"not used\"}]}",
            SF_OK, &e);
    f = finding("CVE-7", NULL, "bash", NULL);
    assert_string_equal(sf_supp_match(s, &f, "pkg:deb/debian/bash@5.1?arch=amd64")->reason,
                        "not used");
    sf_supp_free(s);
}

static void test_suppress_vex__cyclonedx(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = vex(
        "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":[{\"bom-ref\":"
        "\"c1\",\"name\":\"x\",\"purl\":\"pkg:pypi/django@3.2\",\"components\":[{\"bom-ref\":"
        "\"c2\",\"purl\":\"pkg:pypi/six\"}]}],\"vulnerabilities\":["
        "{\"id\":\"CVE-1\",\"analysis\":{\"state\":\"not_affected\",\"justification\":"
        "\"code_not_reachable\",\"detail\":\"d\"},\"affects\":[{\"ref\":\"urn:cdx:abc/1#c1\"}]},"
        "{\"id\":\"CVE-2\",\"analysis\":{\"state\":\"resolved\"},\"affects\":[{\"ref\":\"c2\"}]},"
        "{\"id\":\"CVE-3\",\"analysis\":{\"state\":\"exploitable\"}},"
        "{\"id\":\"CVE-4\",\"analysis\":{\"state\":\"false_positive\"},\"affects\":[{\"ref\":"
        "\"pkg:pypi/flask\"}]}]}",
        SF_OK, &e);
    assert_int_equal(sf_supp_count(s), 3);
    sf_finding f = finding("CVE-1", NULL, "django", NULL);
    assert_non_null(sf_supp_match(s, &f, "pkg:pypi/django@3.2"));
    assert_null(sf_supp_match(s, &f, "pkg:pypi/django@4.0"));
    f = finding("CVE-2", NULL, "six", NULL);
    assert_string_equal(sf_supp_match(s, &f, "pkg:pypi/six@1.16")->status, "fixed");
    f = finding("CVE-4", NULL, "flask", NULL);
    assert_string_equal(sf_supp_match(s, &f, "pkg:pypi/flask@2")->justification,
                        "false_positive");
    sf_supp_free(s);
}

static void test_suppress_vex__bad_documents(void **state)
{
    (void)state;
    static const struct {
        const char *doc, *msg;
    } BAD[] = {
        {"not json", "not JSON"},
        {"[]", "neither OpenVEX"},
        {"{\"@context\":\"https://openvex.dev/ns\"}", "without statements"},
        {"{\"@context\":\"https://openvex.dev/ns\",\"statements\":[1]}", "not an object"},
        {"{\"@context\":\"https://openvex.dev/ns\",\"statements\":[{\"vulnerability\":"
         "\"CVE-1\"}]}", "no status"},
        {"{\"@context\":\"https://openvex.dev/ns\",\"statements\":[{\"status\":"
         "\"fixed\"}]}", "names no vulnerability"},
        {"{\"@context\":\"https://openvex.dev/ns\",\"statements\":[{\"status\":\"fixed\","
         "\"vulnerability\":\"CVE-1\",\"products\":[7]}]}", "bad product"},
        {"{\"bomFormat\":\"CycloneDX\"}", "without vulnerabilities"},
        {"{\"bomFormat\":\"CycloneDX\",\"vulnerabilities\":[{\"analysis\":{\"state\":"
         "\"resolved\"}}]}", "has no id"},
        {"{\"a\":1,\"a\":2}", "not JSON"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        sf_error e = SF_ERROR_INIT;
        sf_supp *s = vex(BAD[i].doc, SF_EPARSE, &e);
        assert_non_null(strstr(e.msg, BAD[i].msg));
        assert_non_null(strstr(e.msg, "v.json"));
        sf_supp_free(s);
    }
}

static void test_suppress_apply__moves_findings(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = ignore("CVE-2 reason: r\n", SF_OK, &e);
    sf_result r;
    sf_result_init(&r);
    r.vulns.cap = r.vulns.n = 3;
    r.vulns.items = calloc(3, sizeof *r.vulns.items);
    const char *ids[] = {"CVE-1", "CVE-2", "CVE-3"};
    for (size_t i = 0; i < 3; i++) {
        r.vulns.items[i].id = strdup(ids[i]);
        r.vulns.items[i].pkg_name = strdup("p");
    }
    sf_suppressed x;
    sf_suppressed_init(&x);
    assert_int_equal(sf_supp_apply(s, &r, 1, &x), SF_OK);
    assert_int_equal(r.vulns.n, 2);
    assert_string_equal(r.vulns.items[0].id, "CVE-1");
    assert_string_equal(r.vulns.items[1].id, "CVE-3");
    assert_int_equal(x.findings.n, 1);
    assert_string_equal(x.findings.items[0].id, "CVE-2");
    assert_int_equal(x.plat[0], 1);
    assert_string_equal(x.rules[0]->reason, "r");
    sf_suppressed_clear(&x);
    sf_result_clear(&r);
    sf_supp_free(s);
}

static void test_suppress_load_file__missing_file(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_supp *s = NULL;
    assert_int_equal(sf_supp_new(&s), SF_OK);
    assert_int_equal(sf_supp_load_file(s, "/nonexistent/.scanfarmignore", 0, TODAY, &e), SF_EIO);
    assert_non_null(strstr(e.msg, "cannot read /nonexistent/.scanfarmignore"));
    sf_supp_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suppress_ignore__grammar),
        cmocka_unit_test(test_suppress_ignore__bad_lines),
        cmocka_unit_test(test_suppress_match__packages_purls_aliases),
        cmocka_unit_test(test_suppress_vex__openvex),
        cmocka_unit_test(test_suppress_vex__cyclonedx),
        cmocka_unit_test(test_suppress_vex__bad_documents),
        cmocka_unit_test(test_suppress_apply__moves_findings),
        cmocka_unit_test(test_suppress_load_file__missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
