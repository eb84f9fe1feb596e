/*
 * CVSS scoring: real advisories' vectors with the base scores NVD
 * publishes for them (v3.1, v3.0 and v2, scope changed and unchanged),
 * the v3.1 Roundup's float-safety, v4 passthrough, malformed vectors,
 * and every CVSS vector in the corpus's PyPA and RustSec OSV records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <jansson.h>

#include "base/err.h"
#include "testutil.h"
#include "vuln/cvss.h"

typedef struct cvss_case {
    const char *what;
    const char *vector;
    double score;
    const char *severity;
} cvss_case;

static const cvss_case published[] = {
    {"CVE-2021-3711 openssl SM2", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
    {"CVE-2021-44228 log4shell", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "Critical"},
    {"CVE-2020-1472 zerologon", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "Critical"},
    {"CVE-2014-0160 heartbleed", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "High"},
    {"CVE-2021-3449 openssl", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", 5.9, "Medium"},
    {"CVE-2022-0778 openssl", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "High"},
    {"CVE-2023-0286 openssl", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", 7.4, "High"},
    {"CVE-2019-1563 openssl", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", 3.7, "Low"},
    {"CVE-2021-33910 systemd", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5, "Medium"},
    {"CVE-2021-4034 pkexec", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "High"},
    {"CVE-2018-3721 lodash", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", 6.5, "Medium"},
    {"CVE-2019-10744 lodash", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H", 9.1, "Critical"},
    {"CVE-2019-11358 jquery", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "Medium"},
    {"CVE-2019-5736 runc", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 8.6, "High"},
    {"CVE-2017-5753 spectre", "CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:N/A:N", 5.6, "Medium"},
    {"CVE-2018-3639 spectre v4", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5, "Medium"},
    {"CVE-2022-22965 spring4shell", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
    {"CVE-2016-5195 dirty cow", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "High"},
    {"CVE-2022-42889 text4shell", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
    {"CVE-2021-22555 netfilter", "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "High"},
    {"CVE-2022-2509 gnutls", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
    {"CVE-2021-23337 lodash template", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "High"},
    {"CVE-2020-8203 lodash", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", 7.4, "High"},
    {"CVE-2018-16487 lodash", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
    {"CVE-2017-5638 struts (v3.0)", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "Critical"},
    {"CVE-2018-11776 struts (v3.0)", "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", 8.1, "High"},
    {"CVE-2020-15168 node-fetch", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L", 5.3, "Medium"},
    {"CVE-2022-24785 moment (S:C, PR:L)", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "Medium"},
    {"CVE-2021-23358 underscore", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "High"},
    {"CVE-2019-9512 scope changed PR:H", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H", 9.1, "Critical"},
    {"no impact", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "None"},
    {"with temporal + env metrics", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L",
     9.8, "Critical"},
    /* CVSS v2 with NVD's v2 scores. */
    {"CVE-2014-0160 v2", "AV:N/AC:L/Au:N/C:P/I:N/A:N", 5.0, "Medium"},
    {"CVE-2014-6271 shellshock v2", "AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, "High"},
    {"CVE-2016-5195 v2", "AV:L/AC:L/Au:N/C:C/I:C/A:C", 7.2, "High"},
    {"CVE-2019-11358 v2", "AV:N/AC:M/Au:N/C:N/I:P/A:N", 4.3, "Medium"},
    {"CVE-2018-3721 v2", "AV:N/AC:L/Au:S/C:N/I:P/A:N", 4.0, "Medium"},
    {"CVE-2017-5638 v2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, "High"},
    {"CVE-2021-3449 v2", "AV:N/AC:M/Au:N/C:N/I:N/A:P", 4.3, "Medium"},
    {"CVE-2019-1563 v2", "AV:N/AC:M/Au:N/C:P/I:N/A:N", 4.3, "Medium"},
    {"CVE-2021-33910 v2", "AV:L/AC:L/Au:N/C:N/I:N/A:C", 4.9, "Medium"},
    {"CVE-2017-5753 v2", "AV:L/AC:M/Au:N/C:C/I:N/A:N", 4.7, "Medium"},
    {"v2 in parentheses", "(AV:N/AC:M/Au:N/C:P/I:P/A:P)", 6.8, "Medium"},
    {"v2 prefixed, with temporal", "CVSS:2.0/AV:N/AC:L/Au:S/C:P/I:P/A:P/E:POC/RL:OF/RC:C", 6.5, "Medium"},
    {"v2 local low", "AV:L/AC:L/Au:N/C:P/I:N/A:N", 2.1, "Low"},
    {"v2 no impact", "AV:N/AC:L/Au:N/C:N/I:N/A:N", 0.0, "Low"},
};

static void test_cvss_score__published_scores(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < sizeof published / sizeof published[0]; i++) {
        double s = -1;
        char sev[16];
        int rc = sf_cvss_score(published[i].vector, &s, sev, sizeof sev);
        if (rc != SF_OK || fabs(s - published[i].score) > 1e-9 ||
            strcmp(sev, published[i].severity) != 0) {
            fprintf(stderr, "%s: %s -> rc %d score %.1f %s, want %.1f %s\n", published[i].what,
                    published[i].vector, rc, s, sev, published[i].score, published[i].severity);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void test_cvss_score__roundup31(void **state)
{
    (void)state;
    assert_true(sf_cvss_roundup31(4.000000000000001) == 4.0); /* the spec's example */
    assert_true(sf_cvss_roundup31(4.02) == 4.1);
    assert_true(sf_cvss_roundup31(4.0) == 4.0);
    assert_true(sf_cvss_roundup31(0.0) == 0.0);
    assert_true(sf_cvss_roundup31(9.99) == 10.0);
    assert_string_equal(sf_cvss_severity3(0.1), "Low");
    assert_string_equal(sf_cvss_severity3(3.9), "Low");
    assert_string_equal(sf_cvss_severity3(4.0), "Medium");
    assert_string_equal(sf_cvss_severity3(8.9), "High");
    assert_string_equal(sf_cvss_severity3(9.0), "Critical");
}

/* CVSS v4.0 vectors with the scores published for them: FIRST's
 * specification and examples, and NVD's record of CVE-2024-0012 (a CNA
 * vector with every threat, environmental and supplemental metric X or
 * set). */
static const cvss_case published4[] = {
    {"spec: network, no interaction, full VS impact",
     "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, "Critical"},
    {"spec: full VS and SS impact", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
     10.0, "Critical"},
    {"FIRST example log4shell (E:A)",
     "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A", 10.0, "Critical"},
    {"low impacts", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9, "Medium"},
    {"NVD CVE-2024-0012 (Palo Alto, Secondary)",
     "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:L/SI:N/SA:N/E:X/CR:X/IR:X/AR:X/MAV:X/"
     "MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X/S:X/AU:N/R:U/V:C/RE:H/U:Red",
     9.3, "Critical"},
    {"no impact at all", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0,
     "None"},
};

static void test_cvss_score__v4_published(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof published4 / sizeof published4[0]; i++) {
        double s = -1;
        char sev[16];
        assert_int_equal(sf_cvss_score(published4[i].vector, &s, sev, sizeof sev), SF_OK);
        if (fabs(s - published4[i].score) > 1e-9)
            fail_msg("%s: %s scored %.1f, published %.1f", published4[i].what,
                     published4[i].vector, s, published4[i].score);
        assert_string_equal(sev, published4[i].severity);
    }
    /* Threat and environmental metrics move the score the way the
     * specification says: unreported exploitation (E:U) lowers it, a
     * modified base metric replaces the base one, MSI:S (safety) raises
     * the subsequent-system class. */
    double base, e_u, mav, safety;
    const char *v = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    assert_int_equal(sf_cvss4_score(v, &base), SF_OK);
    assert_int_equal(sf_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
                                    &e_u), SF_OK);
    assert_int_equal(sf_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:P",
                                    &mav), SF_OK);
    assert_int_equal(sf_cvss4_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S",
                                    &safety), SF_OK);
    assert_true(e_u < base && mav < base && safety > base);
}

static void test_cvss_score__v4_and_malformed(void **state)
{
    (void)state;
    double s;
    char sev[4] = "zz";
    static const char *const bad4[] = {
        "CVSS:4.0/", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/",
        "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Purple",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MAV:XX",
    };
    for (size_t i = 0; i < sizeof bad4 / sizeof bad4[0]; i++)
        if (sf_cvss_score(bad4[i], &s, sev, sizeof sev) != SF_EPARSE)
            fail_msg("accepted: %s", bad4[i]);
    assert_int_equal(sf_cvss_score("CVSS:5.0/AV:N", &s, sev, sizeof sev), SF_EUNSUPPORTED);
    static const char *const bad[] = {
        "", "CVSS:3.1/", "CVSS:3.1/AV:N", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:NN/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1", "AV:N/AC:L/Au:N/C:P/I:P",
        "AV:N/AC:L/Au:N/C:P/I:P/A:P/E:XX", "CVSS:3.1/AV:/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "garbage",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E", "(AV:N/AC:L/Au:N/C:P/I:P/A:P",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sf_cvss_score(bad[i], &s, sev, sizeof sev) != SF_EPARSE)
            fprintf(stderr, "accepted: %s\n", bad[i]);
        assert_int_equal(sf_cvss_score(bad[i], &s, sev, sizeof sev), SF_EPARSE);
    }
    assert_int_equal(sf_cvss_score(NULL, &s, NULL, 0), SF_EINVAL);
    /* A short severity buffer truncates, never overflows. */
    assert_int_equal(sf_cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s, sev, sizeof sev), SF_OK);
    assert_string_equal(sev, "Cri");
}

/* Every severity vector of the PyPA and RustSec OSV records must score
 * within 0-10 with a matching band (v3 and v4). */
static int scan_archive(const char *rel, int *v3, int *v4)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    if (archive_read_open_filename(a, sf_t_corpus(rel), 65536) != ARCHIVE_OK)
        return -1;
    struct archive_entry *e;
    int bad = 0;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        size_t n = (size_t)archive_entry_size(e);
        if (!strstr(name, ".json") || n == 0 || n > (8u << 20))
            continue;
        char *buf = malloc(n);
        if (!buf || archive_read_data(a, buf, n) != (la_ssize_t)n) {
            free(buf);
            continue;
        }
        json_t *j = json_loadb(buf, n, 0, NULL);
        free(buf);
        size_t i;
        json_t *sv;
        json_array_foreach(json_object_get(j, "severity"), i, sv) {
            const char *vec = json_string_value(json_object_get(sv, "score"));
            const char *type = json_string_value(json_object_get(sv, "type"));
            double s = -1;
            char sev[16];
            int rc = sf_cvss_score(vec ? vec : "", &s, sev, sizeof sev);
            if (type && strcmp(type, "CVSS_V4") == 0) {
                int ok = rc == SF_OK && s >= 0.0 && s <= 10.0 &&
                         strcmp(sev, sf_cvss_severity3(s)) == 0;
                if (!ok)
                    fprintf(stderr, "%s: %s rc %d\n", name, vec, rc);
                bad += !ok;
                (*v4)++;
            } else if (type && strcmp(type, "CVSS_V3") == 0) {
                int ok = rc == SF_OK && s >= 0.0 && s <= 10.0 &&
                         strcmp(sev, sf_cvss_severity3(s)) == 0;
                if (!ok)
                    fprintf(stderr, "%s: %s rc %d\n", name, vec, rc);
                bad += !ok;
                (*v3)++;
            }
        }
        json_decref(j);
    }
    archive_read_free(a);
    return bad;
}

static void test_cvss_score__corpus_vectors(void **state)
{
    (void)state;
    int v3 = 0, v4 = 0;
    assert_int_equal(scan_archive("vulndb/osv/rustsec-osv.tar.gz", &v3, &v4), 0);
    assert_int_equal(scan_archive("vulndb/osv/pypa-advisory-database.osv-json.tar.gz", &v3, &v4), 0);
    fprintf(stderr, "corpus: %d v3 vectors scored, %d v4 scored\n", v3, v4);
    assert_true(v3 >= 500);
    assert_true(v4 >= 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvss_score__published_scores),
        cmocka_unit_test(test_cvss_score__roundup31),
        cmocka_unit_test(test_cvss_score__v4_published),
        cmocka_unit_test(test_cvss_score__v4_and_malformed),
        cmocka_unit_test(test_cvss_score__corpus_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
