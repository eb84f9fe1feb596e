/*
 * The one severity scale (model/severity.h): the order every counter and
 * comparison relies on, the words both ways, report order, and the
 * strict rank --fail-on validates with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "model/severity.h"

static void test_order(void **state)
{
    (void)state;
    assert_true(SF_SEV_UNKNOWN < SF_SEV_LOW);
    assert_true(SF_SEV_LOW < SF_SEV_MEDIUM);
    assert_true(SF_SEV_MEDIUM < SF_SEV_HIGH);
    assert_true(SF_SEV_HIGH < SF_SEV_CRITICAL);
    assert_int_equal(SF_SEV_N, 5);
    /* report order: most severe first, every severity once */
    static const sf_sev want[] = {SF_SEV_CRITICAL, SF_SEV_HIGH, SF_SEV_MEDIUM, SF_SEV_LOW,
                                  SF_SEV_UNKNOWN};
    for (int i = 0; i < SF_SEV_N; i++)
        assert_int_equal(sf_sev_at(i), want[i]);
}

static void test_words(void **state)
{
    (void)state;
    static const char *const words[] = {"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    for (int s = 0; s < SF_SEV_N; s++) {
        assert_string_equal(sf_sev_name(s), words[s]);
        assert_int_equal(sf_sev_parse(words[s]), s);
        assert_int_equal(sf_severity_rank(words[s], 1), s);
    }
    assert_string_equal(sf_sev_name(-1), "UNKNOWN");
    assert_string_equal(sf_sev_name(SF_SEV_N), "UNKNOWN");
    assert_int_equal(sf_sev_parse("critical"), SF_SEV_CRITICAL);
    assert_int_equal(sf_sev_parse("Moderate"), SF_SEV_MEDIUM);
    assert_int_equal(sf_sev_parse("IMPORTANT"), SF_SEV_UNKNOWN);
    assert_int_equal(sf_sev_parse(NULL), SF_SEV_UNKNOWN);
    /* the rank knows the exact words only; strict rejects the rest */
    assert_int_equal(sf_severity_rank("high", 0), SF_SEV_HIGH);
    assert_int_equal(sf_severity_rank("MODERATE", 0), SF_SEV_UNKNOWN);
    assert_int_equal(sf_severity_rank("MODERATE", 1), -1);
    assert_int_equal(sf_severity_rank("unknown", 1), SF_SEV_UNKNOWN);
    assert_int_equal(sf_severity_rank(NULL, 1), -1);
    assert_int_equal(sf_severity_rank(NULL, 0), SF_SEV_UNKNOWN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_order), cmocka_unit_test(test_words)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
