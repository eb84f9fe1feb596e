/*
 * The per-CVE sources of the DB: NVD API 2.0 records (the corpus's one
 * record per file, and an API page built from them), the real CISA KEV
 * catalog, EPSS CSV; how a CVE imported twice resolves; bad input of each
 * (counted, never fatal, no leak); and the refusal of a format-2 file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vuln/epss.h"
#include "vuln/kev.h"
#include "vuln/nvd.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"
#include "vuln/vdb_int.h"

typedef struct built {
    void *img;
    sf_vdb *db;
} built;

static void build(sf_vdb_builder *b, built *out)
{
    size_t len;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_serialize(b, &out->img, &len, &err), SF_OK);
    if (sf_vdb_open_mem(&out->db, out->img, len, &err) != SF_OK)
        fail_msg("%s", err.msg);
}

static void built_free(built *x)
{
    sf_vdb_close(x->db);
    free(x->img);
}

/* Each test imports into a fresh, empty builder in *state. */
static int setup(void **state)
{
    sf_vdb_builder *b = NULL;
    if (sf_vdb_builder_new(&b) != SF_OK)
        return -1;
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    sf_vdb_builder_free(*state);
    return 0;
}

/* Import the corpus folder rel into b and return its CVE counts. */
static sf_vdb_cve_stats import_corpus(sf_vdb_builder *b, const char *rel)
{
    sf_error err = SF_ERROR_INIT;
    if (sf_vdb_import_path(b, sf_t_corpus(rel), &err) != SF_OK)
        fail_msg("%s: %s", rel, err.msg);
    sf_vdb_cve_stats st;
    sf_vdb_builder_cve_stats(b, &st);
    return st;
}

static const sf_vdb_cve *cve_of(const built *x, const char *id)
{
    return sf_vdb__cve(sf_vdb__view(x->db), id);
}

/* Build b into x; the DB's view in *v and CVE id's record, which must
 * be there. */
static const sf_vdb_cve *build_cve(sf_vdb_builder *b, built *x, const struct sf_vdb_view **v,
                                   const char *id)
{
    build(b, x);
    *v = sf_vdb__view(x->db);
    const sf_vdb_cve *c = cve_of(x, id);
    if (!c)
        fail_msg("%s not in the built DB", id);
    return c;
}

static void test_cve_nvd__corpus_records_one_per_file(void **state)
{
    sf_vdb_builder *b = *state;
    sf_vdb_cve_stats st = import_corpus(b, "vulndb/nvd");
    assert_int_equal(st.total, 55);
    assert_int_equal(st.with_cvss, 54); /* CVE-2023-42364 is "Received": not scored yet */
    assert_int_equal(sf_vdb_builder_records(b), 0); /* NVD records are not advisories */
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: computed CVSS score differs from the stated baseScore"), 0);
    built x;
    const struct sf_vdb_view *v;
    const sf_vdb_cve *c = build_cve(b, &x, &v, "CVE-2021-42386");
    assert_string_equal(v->str + c->published, "2021-11-15T21:15:08.173");
    assert_string_equal(v->str + c->status, "Modified");
    assert_int_equal(c->cwe_count, 1);
    assert_string_equal(v->str + v->u32[c->cwe_first], "CWE-416");
    /* V31 Primary + Secondary, V2 Primary, in the record's order. */
    assert_int_equal(c->cvss_count, 3);
    const sf_vdb_cvss *m = &v->cvss[c->cvss_first];
    assert_int_equal(m[0].version, 31);
    assert_int_equal(m[0].type, SF_VCVSS_PRIMARY);
    assert_int_equal(m[0].score10, 72);
    assert_int_equal(m[0].stated10, 72);
    assert_string_equal(v->str + m[0].source, "nvd@nist.gov");
    assert_int_equal(m[1].type, SF_VCVSS_SECONDARY);
    assert_int_equal(m[2].version, 20);
    assert_int_equal(m[2].score10, 65);
    const sf_vdb_cve *r = cve_of(&x, "CVE-2023-42364");
    assert_non_null(r);
    assert_int_equal(r->cvss_count, 0);
    assert_null(cve_of(&x, "CVE-1999-0001"));
    built_free(&x);
}

/* An API page made of two corpus records; then an older copy of one. */
static void test_cve_nvd__api_page_and_newest_copy_wins(void **state)
{
    sf_vdb_builder *b = *state;
    json_error_t je;
    json_t *r1 = json_load_file(sf_t_corpus("vulndb/nvd/CVE-2017-15874.json"), 0, &je);
    json_t *r2 = json_load_file(sf_t_corpus("vulndb/nvd/CVE-2020-6096.json"), 0, &je);
    assert_non_null(r1);
    assert_non_null(r2);
    json_t *page = json_pack("{s:i,s:i,s:i,s:s,s:s,s:s,s:[{s:O},{s:O}]}", "resultsPerPage", 2,
                             "startIndex", 0, "totalResults", 2, "format", "NVD_CVE", "version",
                             "2.0", "timestamp", "2026-12-01T00:00:00.000", "vulnerabilities",
                             "cve", r1, "cve", r2);
    char *text = json_dumps(page, JSON_COMPACT);
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_sniff("page.json", text, strlen(text)), SF_VFMT_NVD);
    assert_int_equal(sf_vdb_import_buf(b, "page.json", text, strlen(text), &err), SF_OK);
    /* The same record, modified earlier: the imported copy stays. */
    json_t *old = json_deep_copy(r1);
    json_object_set_new(old, "lastModified", json_string("2019-01-01T00:00:00.000"));
    json_object_set_new(old, "metrics", json_object());
    char *otext = json_dumps(old, JSON_COMPACT);
    assert_int_equal(sf_vdb_import_buf(b, "old.json", otext, strlen(otext), &err), SF_OK);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: older copy of a record already imported"), 1);
    built x;
    const struct sf_vdb_view *v;
    const sf_vdb_cve *c = build_cve(b, &x, &v, "CVE-2017-15874");
    assert_int_equal(c->cvss_count, 3); /* v3.1 Secondary, v3.0 Primary, v2 Primary */
    int primary30 = 0;
    for (uint32_t i = 0; i < c->cvss_count; i++) {
        const sf_vdb_cvss *m = &v->cvss[c->cvss_first + i];
        primary30 |= m->version == 30 && m->type == SF_VCVSS_PRIMARY && m->score10 == 55;
    }
    assert_true(primary30);
    assert_non_null(cve_of(&x, "CVE-2020-6096"));
    built_free(&x);
    free(text);
    free(otext);
    json_decref(old);
    json_decref(page);
    json_decref(r1);
    json_decref(r2);
}

static void test_cve_kev__real_catalog(void **state)
{
    sf_vdb_builder *b = *state;
    sf_vdb_cve_stats st = import_corpus(b, "vulndb/kev");
    assert_int_equal(st.with_kev, 1404); /* the catalog's "count" */
    assert_int_equal(st.total, 1404);
    /* The schema file beside it is neither KEV nor anything else. */
    assert_int_equal(sf_vdb_builder_skipped(b, "JSON document of unknown format"), 1);
    built x;
    const struct sf_vdb_view *v;
    const sf_vdb_cve *c = build_cve(b, &x, &v, "CVE-2021-44228");
    assert_true(c->flags & SF_VCVE_F_KEV);
    assert_string_equal(v->str + c->kev_added, "2021-12-10");
    size_t ransomware = 0;
    for (uint32_t i = 0; i < v->ncve; i++)
        ransomware += (v->cve[i].flags & SF_VCVE_F_RANSOMWARE) != 0;
    assert_int_equal(ransomware, 293); /* knownRansomwareCampaignUse "Known" */
    built_free(&x);
}

static const char epss_csv[] =
    "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z\n"
    "cve,epss,percentile\r\n"
    "CVE-2021-44228,0.94358,0.99957\n"
    "CVE-2020-28928,0.00043,0.11816\n"
    "CVE-2021-3999,not-a-number,0.5\n"
    "CVE-2021-4209,1.5,0.5\n"
    "cve-junk,0.1,0.1\n"
    "CVE-2021-36159,0.00734\n"
    "\n";

static void test_cve_epss__csv_with_comment_line(void **state)
{
    sf_vdb_builder *b = *state;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_sniff("epss.csv", epss_csv, sizeof epss_csv - 1), SF_VFMT_EPSS);
    assert_int_equal(sf_vdb_import_buf(b, "epss.csv", epss_csv, sizeof epss_csv - 1, &err), SF_OK);
    assert_int_equal(sf_vdb_builder_skipped(b, "epss: malformed row"), 2);
    assert_int_equal(sf_vdb_builder_skipped(b, "epss: score or percentile outside [0, 1]"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "cve: malformed CVE id"), 1);
    built x;
    const struct sf_vdb_view *v;
    const sf_vdb_cve *c = build_cve(b, &x, &v, "CVE-2021-44228");
    assert_true(c->flags & SF_VCVE_F_EPSS);
    assert_true(c->epss > 0.9435f && c->epss < 0.9436f);
    assert_true(c->epss_pct > 0.9995f);
    assert_string_equal(v->str + c->epss_date, "2025-08-25T12:55:00Z");
    assert_non_null(cve_of(&x, "CVE-2020-28928"));
    assert_null(cve_of(&x, "CVE-2021-3999"));
    built_free(&x);
    /* Without the header it is not EPSS at all. */
    static const char nohdr[] = "CVE-2021-44228,0.9,0.9\n";
    assert_int_equal(sf_epss_looks_like(nohdr, sizeof nohdr - 1), 0);
    assert_int_equal(sf_epss_import(b, nohdr, sizeof nohdr - 1), SF_OK);
    assert_int_equal(sf_vdb_builder_skipped(b, "epss: no cve,epss,percentile header"), 1);
}

/* Hostile or broken documents: counted, never fatal, no leak (ASan). */
static void test_cve_bad__input_is_counted(void **state)
{
    sf_vdb_builder *b = *state;
    static const char *const nvd_bad[] = {
        "{\"vulnerabilities\":[{\"cve\":{\"id\":\"CVE-2021-1\",\"vulnStatus\":\"x\"}}],"
        "\"format\":\"NVD_CVE\"}",
        "{\"vulnerabilities\":[{\"cve\":17},{\"cve\":{\"id\":7}}],\"format\":\"NVD_CVE\"}",
        "{\"id\":\"CVE-2021-0001\",\"vulnStatus\":\"Analyzed\",\"metrics\":{\"cvssMetricV31\":"
        "[{\"type\":\"Primary\",\"cvssData\":\"x\"},{\"type\":\"Primary\",\"cvssData\":{"
        "\"version\":\"3.1\",\"vectorString\":\"CVSS:3.1/AV:N\",\"baseScore\":\"9\"}},"
        "{\"type\":\"Primary\",\"cvssData\":{\"version\":\"3.0\",\"vectorString\":"
        "\"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\",\"baseScore\":9.8}},"
        "{\"type\":\"Primary\",\"cvssData\":{\"version\":\"3.1\",\"vectorString\":"
        "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\",\"baseScore\":5.0}}]},"
        "\"weaknesses\":[{\"description\":[{\"value\":7},{\"value\":\"CWE-79\"}]}]}",
        "{\"id\":\"CVE-2021-0002\",\"lastModified\":\"x\",\"metrics\":[1,2]}",
        "{\"vulnerabilities\":[{\"cve\":{\"id\":\"CVE-2021-0003\",\"lastModified\":\"x\"",
    };
    for (size_t i = 0; i < sizeof nvd_bad / sizeof nvd_bad[0]; i++)
        assert_int_equal(sf_nvd_import(b, nvd_bad[i], strlen(nvd_bad[i])), SF_OK);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: missing or malformed CVE id"), 2); /* "CVE-2021-1" (too short) and a number */
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: record is not an object"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: malformed CVSS metric"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: CVSS vector that cannot be scored and no stated score"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: CVSS metric filed under another version"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: computed CVSS score differs from the stated baseScore"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "nvd: invalid JSON"), 1);
    static const char *const kev_bad[] = {
        "{\"catalogVersion\":\"1\",\"vulnerabilities\":[{\"cveID\":\"CVE-2021-44228\"},"
        "{\"cveID\":\"CVE-2021-44228\",\"dateAdded\":\"2021-12-1\"},{\"cveID\":5,"
        "\"dateAdded\":\"2021-12-10\"},{\"cveID\":\"CVE-X\",\"dateAdded\":\"2021-12-10\"},"
        "{\"cveID\":\"CVE-2021-44228\",\"dateAdded\":\"2021-12-10\",\"dueDate\":\"soon\"}]}",
        "{\"catalogVersion\":\"1\",\"vulnerabilities\":7}",
        "[{\"cveID\":\"CVE-2021-44228\"}]",
        "{\"catalogVersion\"",
    };
    for (size_t i = 0; i < sizeof kev_bad / sizeof kev_bad[0]; i++)
        assert_int_equal(sf_kev_import(b, kev_bad[i], strlen(kev_bad[i])), SF_OK);
    assert_int_equal(sf_vdb_builder_skipped(b, "kev: entry without cveID or dateAdded"), 3);
    assert_int_equal(sf_vdb_builder_skipped(b, "cve: malformed CVE id"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "kev: JSON document of another format"), 2);
    assert_int_equal(sf_vdb_builder_skipped(b, "kev: invalid JSON"), 1);
    static const char *const epss_bad[] = {
        "#model_version:v1\n",
        ("cve,epss,percentile\nCVE-2021-44228,,\n,0.1,0.1\n"
         "CVE-2021-44228,0.1,0.2,0.3\nCVE-2021-44228,1e308,0.5\nCVE-2021-44228,0.1,-0\n"),
        "cve,epss,percentile\nCVE-2021-44228,0.123456789012345678901234567890123,0.5\n",
    };
    for (size_t i = 0; i < sizeof epss_bad / sizeof epss_bad[0]; i++)
        assert_int_equal(sf_epss_import(b, epss_bad[i], strlen(epss_bad[i])), SF_OK);
    built x;
    build(b, &x);
    const sf_vdb_cve *c = cve_of(&x, "CVE-2021-0001");
    assert_non_null(c);
    assert_int_equal(c->cvss_count, 1); /* only the v3.1 one whose stated score disagrees */
    assert_int_equal(c->cwe_count, 1);
    const sf_vdb_cve *k = cve_of(&x, "CVE-2021-44228");
    assert_non_null(k);
    assert_true(k->flags & SF_VCVE_F_KEV);
    assert_int_equal(k->kev_due, 0); /* "soon" is no date */
    assert_true(k->epss_pct == 0.0f); /* "-0" is a percentile of 0 */
    built_free(&x);
}

/* A format-2 file is refused with a message that says what to do. */
static void test_cve_format__old_db_refused(void **state)
{
    sf_vdb_builder *b = *state;
    void *img = NULL;
    size_t len;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_serialize(b, &img, &len, &err), SF_OK);
    sf_vdb_hdr h;
    memcpy(&h, img, sizeof h);
    assert_int_equal(h.format, 3);
    h.format = 2;
    memcpy(img, &h, sizeof h);
    sf_vdb *db = NULL;
    assert_int_equal(sf_vdb_open_mem(&db, img, len, &err), SF_EDB);
    assert_non_null(strstr(err.msg, "format 2, this build reads 3"));
    assert_non_null(strstr(err.msg, "scanfarm db import"));
    free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cve_nvd__corpus_records_one_per_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cve_nvd__api_page_and_newest_copy_wins, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cve_kev__real_catalog, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cve_epss__csv_with_comment_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cve_bad__input_is_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cve_format__old_db_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
