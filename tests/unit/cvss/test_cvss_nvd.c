/*
 * CVSS scores against NVD: every CVSS metric of every NVD record in the
 * corpus (../shared/corpus/vulndb/nvd/, exact copies of public records)
 * is scored from its vector, and the score must equal the baseScore NVD
 * states for it, the band its baseSeverity (v4.0, v3.1, v3.0 and v2;
 * Primary and Secondary). The MANIFEST names every file, so a record
 * missing from the directory fails too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <jansson.h>

#include "testutil.h"
#include "vuln/cvss.h"

static const char *const metric_keys[] = {"cvssMetricV40", "cvssMetricV31", "cvssMetricV30",
                                          "cvssMetricV2"};

/* Check one record's metrics; counts scored metrics per key. */
static int check_record(const char *file, const json_t *rec, int counts[4])
{
    int bad = 0;
    for (int k = 0; k < 4; k++) {
        size_t i;
        const json_t *m;
        json_array_foreach(json_object_get(json_object_get(rec, "metrics"), metric_keys[k]), i, m)
        {
            const json_t *d = json_object_get(m, "cvssData");
            const char *vec = json_string_value(json_object_get(d, "vectorString"));
            const char *stated_sev = json_string_value(json_object_get(d, "baseSeverity"));
            if (!stated_sev) /* v2 keeps it beside cvssData */
                stated_sev = json_string_value(json_object_get(m, "baseSeverity"));
            double stated = json_number_value(json_object_get(d, "baseScore")), s = -1;
            char sev[16] = "";
            int rc = sf_cvss_score(vec ? vec : "", &s, sev, sizeof sev);
            if (rc != SF_OK || fabs(s - stated) > 1e-9 || !stated_sev ||
                strcasecmp(sev, stated_sev) != 0) {
                fprintf(stderr, "%s: %s scored %.1f %s (rc %d), NVD states %.1f %s\n", file,
                        vec ? vec : "(none)", s, sev, rc, stated, stated_sev ? stated_sev : "?");
                bad++;
            }
            counts[k]++;
        }
    }
    return bad;
}

static void test_cvss_nvd__every_corpus_metric_matches_nvd(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s", sf_t_corpus("vulndb/nvd/MANIFEST.tsv"));
    FILE *mf = fopen(path, "r");
    assert_non_null(mf);
    char line[1024];
    int files = 0, bad = 0, counts[4] = {0};
    while (fgets(line, sizeof line, mf)) {
        char *tab = strchr(line, '\t');
        if (!tab || strncmp(line, "CVE-", 4) != 0)
            continue;
        *tab = '\0';
        json_error_t je;
        char rel[1100];
        snprintf(rel, sizeof rel, "vulndb/nvd/%s", line);
        json_t *rec = json_load_file(sf_t_corpus(rel), 0, &je);
        if (!rec)
            fail_msg("%s: %s", line, je.text);
        bad += check_record(line, rec, counts);
        json_decref(rec);
        files++;
    }
    fclose(mf);
    fprintf(stderr, "nvd corpus: %d records; metrics v4.0 %d, v3.1 %d, v3.0 %d, v2 %d\n", files,
            counts[0], counts[1], counts[2], counts[3]);
    assert_int_equal(bad, 0);
    assert_true(files >= 55);
    assert_true(counts[1] >= 50 && counts[2] >= 3 && counts[3] >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cvss_nvd__every_corpus_metric_matches_nvd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
