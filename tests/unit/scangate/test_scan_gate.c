/*
 * `scanfarm scan`'s report filters and exit gates (cli/scan_gate):
 * option parsing in Trivy's spellings, which findings --severity and
 * --ignore-unfixed keep, and which trip --fail-on (severity, UNKNOWN, KEV,
 * EPSS>=x) and with which --exit-code. Includes the regression: an image
 * whose only findings are UNKNOWN used to pass --fail-on LOW.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "scan_gate.h"

static sf_finding mk(const char *sev, const char *fixed, int kev, double epss)
{
    sf_finding f;
    memset(&f, 0, sizeof f);
    f.id = strdup("CVE-2021-0001");
    f.severity = sev ? strdup(sev) : NULL;
    f.fixed = fixed ? strdup(fixed) : NULL;
    f.kev = kev;
    f.epss = epss;
    f.epss_pct = epss;
    return f;
}

/* Exit code of one result holding the findings, under the options. */
static int run(const char *severity, const char *fail_on, const char *exit_code, int unfixed,
               sf_finding *fs, size_t n)
{
    sf_scan_gate g;
    sf_scan_gate_init(&g);
    g.ignore_unfixed = unfixed;
    if (severity)
        assert_int_equal(sf_scan_gate_severity(&g, severity), 0);
    if (fail_on)
        assert_int_equal(sf_scan_gate_fail_on(&g, fail_on), 0);
    if (exit_code)
        assert_int_equal(sf_scan_gate_exit_code(&g, exit_code), 0);
    sf_result r;
    sf_result_init(&r);
    r.vulns.items = calloc(n + 1, sizeof *r.vulns.items);
    for (size_t i = 0; i < n; i++)
        r.vulns.items[i] = mk(fs[i].severity, fs[i].fixed, fs[i].kev, fs[i].epss);
    r.vulns.n = r.vulns.cap = n;
    sf_scan_gate_filter(&g, &r);
    int code = sf_scan_gate_exit(&g, &r);
    sf_result_clear(&r);
    return code;
}

#define F(s_, fx_, k_, e_) {.severity = (char *)(s_), .fixed = (char *)(fx_), .kev = (k_), .epss = (e_)}

static void test_scan_gate__unknown_only_fails_low(void **state)
{
    (void)state;
    sf_finding unk[] = {F("UNKNOWN", "1.2", 0, -1), F("UNKNOWN", NULL, 0, -1)};
    assert_int_equal(run(NULL, "LOW", NULL, 0, unk, 2), 1);     /* the regression */
    assert_int_equal(run(NULL, "UNKNOWN", NULL, 0, unk, 2), 1);
    assert_int_equal(run(NULL, "MEDIUM", NULL, 0, unk, 2), 0);  /* not known to be MEDIUM */
    sf_finding none[] = {F("NONE", "1", 0, -1)};
    assert_int_equal(run(NULL, "LOW", NULL, 0, none, 1), 0);    /* CVSS 0.0: no impact */
}

static void test_scan_gate__severity_kev_epss(void **state)
{
    (void)state;
    sf_finding fs[] = {F("LOW", "1", 0, 0.01), F("MEDIUM", NULL, 1, 0.2), F("HIGH", NULL, 0, 0.6)};
    assert_int_equal(run(NULL, "CRITICAL", NULL, 0, fs, 3), 0);
    assert_int_equal(run(NULL, "HIGH", NULL, 0, fs, 3), 1);
    assert_int_equal(run(NULL, "KEV", NULL, 0, fs, 1), 0);
    assert_int_equal(run(NULL, "KEV", NULL, 0, fs, 2), 1);
    assert_int_equal(run(NULL, "EPSS>=0.5", NULL, 0, fs, 2), 0);
    assert_int_equal(run(NULL, "EPSS>=0.5", NULL, 0, fs, 3), 1);
    assert_int_equal(run(NULL, "EPSS>=0.6", NULL, 0, fs, 3), 1); /* at, not only above */
    assert_int_equal(run(NULL, "CRITICAL,KEV", "7", 0, fs, 2), 7);
    /* --severity filters before the gate: what is not reported cannot fail. */
    assert_int_equal(run("LOW,CRITICAL", "KEV", NULL, 0, fs, 3), 0);
    assert_int_equal(run("MEDIUM", "KEV", NULL, 0, fs, 3), 1);
    /* --ignore-unfixed likewise. */
    assert_int_equal(run(NULL, "MEDIUM", NULL, 1, fs, 3), 0);
    /* --exit-code alone: any reported finding (Trivy). */
    assert_int_equal(run(NULL, NULL, "5", 0, fs, 3), 5);
    assert_int_equal(run("CRITICAL", NULL, "5", 0, fs, 3), 0);
    assert_int_equal(run(NULL, NULL, NULL, 0, fs, 3), 0);
}

static void test_scan_gate__filter_keeps(void **state)
{
    (void)state;
    sf_scan_gate g;
    sf_scan_gate_init(&g);
    assert_int_equal(sf_scan_gate_severity(&g, "HIGH,CRITICAL"), 0);
    sf_finding hi = mk("HIGH", NULL, 0, -1), lo = mk("LOW", "1", 0, -1), un = mk(NULL, NULL, 0, -1);
    assert_true(sf_scan_gate_keeps(&g, &hi));
    assert_false(sf_scan_gate_keeps(&g, &lo));
    assert_false(sf_scan_gate_keeps(&g, &un));
    assert_int_equal(sf_scan_gate_severity(&g, "UNKNOWN"), 0);
    assert_true(sf_scan_gate_keeps(&g, &un));
    sf_finding_clear(&hi);
    sf_finding_clear(&lo);
    sf_finding_clear(&un);
}

static void test_scan_gate__bad_options(void **state)
{
    (void)state;
    sf_scan_gate g;
    sf_scan_gate_init(&g);
    static const char *const bad_sev[] = {"", "HIGH,", ",HIGH", "HIHG", "HIGH,,LOW", "KEV"};
    for (size_t i = 0; i < sizeof bad_sev / sizeof bad_sev[0]; i++)
        assert_int_equal(sf_scan_gate_severity(&g, bad_sev[i]), -1);
    static const char *const bad_fail[] = {"", "EPSS>=", "EPSS>=1.5", "EPSS>=-0.1", "EPSS>=0.5x",
                                           "EPSS>0.5", "KEVS", "HIGH,"};
    for (size_t i = 0; i < sizeof bad_fail / sizeof bad_fail[0]; i++)
        assert_int_equal(sf_scan_gate_fail_on(&g, bad_fail[i]), -1);
    static const char *const bad_code[] = {"", "-1", "256", "1x"};
    for (size_t i = 0; i < sizeof bad_code / sizeof bad_code[0]; i++)
        assert_int_equal(sf_scan_gate_exit_code(&g, bad_code[i]), -1);
    assert_int_equal(sf_scan_gate_fail_on(&g, "epss>=0.25,kev,High"), 0);
    assert_true(g.fail_kev && g.fail_epss == 0.25 && g.fail_rank == 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_gate__unknown_only_fails_low),
        cmocka_unit_test(test_scan_gate__severity_kev_epss),
        cmocka_unit_test(test_scan_gate__filter_keeps),
        cmocka_unit_test(test_scan_gate__bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
