/* Tests of the vulnerability DB file and its importers: format round trip,
 * corruption refused, atomic replacement and snapshot swap, name and id
 * normalisation, and complete imports of the corpus's OSV sets (Go,
 * RustSec, PyPA), Alpine secdb and the Debian tracker lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include "base/pkg.h"
#include "testutil.h"
#include "vuln/match.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

/* A small DB with one npm and one Debian advisory. */
static sf_vdb_builder *small_builder(void)
{
    sf_vdb_builder *b = NULL;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    sf_vdb_builder_set_time(b, 1700000000);
    assert_int_equal(sf_vdb_builder_source(b, "test", "file"), SF_OK);
    assert_int_equal(sf_vdb_rec_begin(b, "GHSA-aaaa-bbbb-cccc"), SF_OK);
    assert_int_equal(sf_vdb_rec_alias(b, "CVE-2020-0001"), SF_OK);
    assert_int_equal(sf_vdb_rec_summary(b, "bad thing"), SF_OK);
    assert_int_equal(sf_vdb_rec_severity(b, "moderate"), SF_OK);
    assert_int_equal(sf_vdb_rec_affected(b, "npm", "Left-Pad"), SF_OK);
    assert_int_equal(sf_vdb_rec_range(b, SF_VRNG_SEMVER), SF_OK);
    assert_int_equal(sf_vdb_rec_event(b, SF_VEV_INTRODUCED, "0"), SF_OK);
    assert_int_equal(sf_vdb_rec_event(b, SF_VEV_FIXED, "1.3.0"), SF_OK);
    assert_int_equal(sf_vdb_rec_commit(b), SF_OK);
    assert_int_equal(sf_vdb_rec_begin(b, "DSA-1-1"), SF_OK);
    assert_int_equal(sf_vdb_rec_affected(b, "Debian:11", "zlib"), SF_OK);
    assert_int_equal(sf_vdb_rec_range(b, SF_VRNG_ECOSYSTEM), SF_OK);
    assert_int_equal(sf_vdb_rec_event(b, SF_VEV_INTRODUCED, "0"), SF_OK);
    assert_int_equal(sf_vdb_rec_event(b, SF_VEV_FIXED, "1:1.2.11.dfsg-2+deb11u2"), SF_OK);
    assert_int_equal(sf_vdb_rec_commit(b), SF_OK);
    /* Dropped: no range, unknown ecosystem. */
    assert_int_equal(sf_vdb_rec_begin(b, "X-1"), SF_OK);
    assert_int_equal(sf_vdb_rec_affected(b, "Nope", "x"), SF_EUNSUPPORTED);
    assert_int_equal(sf_vdb_rec_commit(b), SF_OK);
    return b;
}

static void test_vdb_format__roundtrip(void **state)
{
    (void)state;
    sf_vdb_builder *b = small_builder();
    assert_int_equal(sf_vdb_builder_records(b), 2);
    assert_int_equal(sf_vdb_builder_skipped(b, "unknown ecosystem"), 1);
    assert_int_equal(sf_vdb_builder_skipped(b, "no usable affected package"), 1);
    void *data = NULL;
    size_t len = 0;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_serialize(b, &data, &len, &err), SF_OK);
    sf_vdb *db = NULL;
    assert_int_equal(sf_vdb_open_mem(&db, data, len, &err), SF_OK);
    assert_int_equal(sf_vdb_record_count(db), 2);
    assert_int_equal(sf_vdb_package_count(db), 2);
    assert_int_equal(sf_vdb_built(db), 1700000000);
    assert_non_null(strstr(sf_vdb_version(db), "20231114T221320Z-"));
    json_error_t jerr;
    json_t *meta = json_loads(sf_vdb_meta(db), 0, &jerr);
    assert_non_null(meta);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(meta, "ecosystems"), "npm")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(meta, "skipped"), "unknown ecosystem")), 1);
    json_decref(meta);
    /* The npm name was normalised (lowercase) on both sides. */
    sf_pkg p = {.type = SF_PT_NPM, .name = "left-pad", .version = "1.2.9", .layer = 2};
    sf_findings f;
    sf_findings_init(&f);
    assert_int_equal(sf_match_packages(db, NULL, &p, 1, &f, &err), SF_OK);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.items[0].id, "CVE-2020-0001");
    assert_int_equal(f.items[0].naliases, 1);
    assert_string_equal(f.items[0].aliases[0], "GHSA-aaaa-bbbb-cccc");
    assert_string_equal(f.items[0].fixed, "1.3.0");
    assert_string_equal(f.items[0].severity, "MEDIUM");
    assert_string_equal(f.items[0].summary, "bad thing");
    assert_int_equal(f.items[0].layer, 2);
    sf_findings_clear(&f);
    sf_vdb_close(db);
    free(data);
    sf_vdb_builder_free(b);
}

static void test_vdb_format__corruption_refused(void **state)
{
    (void)state;
    sf_vdb_builder *b = small_builder();
    void *data = NULL;
    size_t len = 0;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_serialize(b, &data, &len, &err), SF_OK);
    sf_vdb_builder_free(b);
    unsigned char *bytes = data;
    sf_vdb *db = NULL;
    /* Every single-byte flip anywhere in the file is caught (checksum,
     * header fields, magic). */
    for (size_t i = 0; i < len; i += (len / 97) + 1) {
        bytes[i] ^= 0x5a;
        sf_error e2 = SF_ERROR_INIT;
        assert_int_not_equal(sf_vdb_open_mem(&db, data, len, &e2), SF_OK);
        assert_null(db);
        bytes[i] ^= 0x5a;
    }
    assert_int_equal(sf_vdb_open_mem(&db, data, len - 8, &err), SF_EDB);
    assert_int_equal(sf_vdb_open_mem(&db, data, 100, &err), SF_EDB);
    assert_int_equal(sf_vdb_open_mem(&db, data, len, &err), SF_OK);
    sf_vdb_close(db);
    free(data);
    assert_int_equal(sf_vdb_open(&db, "/nonexistent/x.db", &err), SF_ENOTFOUND);
}

/* small_builder() written to a fresh temp file made from the mkstemp
 * template path (filled in place) and opened as a shared handle in *sh.
 * Returns the builder for the test to extend and rewrite. */
static sf_vdb_builder *shared_small_db(char *path, sf_vdb_shared **sh)
{
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sf_error err = SF_ERROR_INIT;
    sf_vdb_builder *b = small_builder();
    assert_int_equal(sf_vdb_builder_write(b, path, &err), SF_OK);
    assert_int_equal(sf_vdb_shared_new(sh, path, &err), SF_OK);
    return b;
}

static void test_vdb_format__atomic_swap(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-vdb-test-XXXXXX";
    sf_error err = SF_ERROR_INIT;
    sf_vdb_shared *sh = NULL;
    sf_vdb_builder *b = shared_small_db(path, &sh);
    sf_vdb *snap = sf_vdb_shared_get(sh);
    assert_int_equal(sf_vdb_shared_refresh(sh, &err), 0); /* unchanged */
    /* A newer DB with one more record replaces the file. */
    assert_int_equal(sf_vdb_rec_begin(b, "GHSA-xxxx-yyyy-zzzz"), SF_OK);
    assert_int_equal(sf_vdb_rec_affected(b, "PyPI", "Foo_Bar"), SF_OK);
    assert_int_equal(sf_vdb_rec_version(b, "1.0"), SF_OK);
    assert_int_equal(sf_vdb_rec_commit(b), SF_OK);
    sf_vdb_builder_set_time(b, 1700000100);
    assert_int_equal(sf_vdb_builder_write(b, path, &err), SF_OK);
    assert_int_equal(sf_vdb_shared_refresh(sh, &err), 1);
    sf_vdb *snap2 = sf_vdb_shared_get(sh);
    assert_int_equal(sf_vdb_record_count(snap2), 3);
    /* The old snapshot stays valid and unchanged for the scan holding it. */
    assert_int_equal(sf_vdb_record_count(snap), 2);
    sf_pkg p = {.type = SF_PT_PYPI, .name = "foo.bar", .version = "1.0"};
    sf_findings f;
    sf_findings_init(&f);
    assert_int_equal(sf_match_packages(snap2, NULL, &p, 1, &f, &err), SF_OK);
    assert_int_equal(f.n, 1);
    assert_null(f.items[0].fixed);
    sf_findings_clear(&f);
    sf_vdb_close(snap);
    sf_vdb_close(snap2);
    /* reopen_if_changed on a private handle. */
    sf_vdb *mine = NULL;
    assert_int_equal(sf_vdb_open(&mine, path, &err), SF_OK);
    assert_int_equal(sf_vdb_reopen_if_changed(&mine, path, &err), 0);
    sf_vdb_close(mine);
    sf_vdb_shared_free(sh);
    sf_vdb_builder_free(b);
    unlink(path);
}

/* Readers take snapshots and match while another thread rewrites the file
 * and refreshes: every snapshot stays whole (one finding for left-pad),
 * and the refcounts free every old mapping (ASan/LSan check that). */
typedef struct reader_arg {
    sf_vdb_shared *sh;
    int rounds, bad;
} reader_arg;

static void *reader(void *p)
{
    reader_arg *a = p;
    sf_pkg pkg = {.type = SF_PT_NPM, .name = "left-pad", .version = "1.0.0"};
    for (int i = 0; i < a->rounds; i++) {
        sf_vdb *db = sf_vdb_shared_get(a->sh);
        sf_findings f;
        sf_error err = SF_ERROR_INIT;
        sf_findings_init(&f);
        if (sf_match_packages(db, NULL, &pkg, 1, &f, &err) != SF_OK || f.n != 1)
            a->bad++;
        sf_findings_clear(&f);
        sf_vdb_close(db);
    }
    return NULL;
}

static void test_vdb_format__concurrent_refresh(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-vdb-conc-XXXXXX";
    sf_error err = SF_ERROR_INIT;
    sf_vdb_shared *sh = NULL;
    sf_vdb_builder *b = shared_small_db(path, &sh);
    pthread_t th[3];
    reader_arg args[3];
    for (int i = 0; i < 3; i++) {
        args[i] = (reader_arg){sh, 300, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader, &args[i]), 0);
    }
    int swaps = 0;
    for (int i = 0; i < 10; i++) {
        sf_vdb_builder_set_time(b, 1700000000 + i + 1); /* a different file each time */
        assert_int_equal(sf_vdb_builder_write(b, path, &err), SF_OK);
        int rc = sf_vdb_shared_refresh(sh, &err);
        assert_true(rc == 0 || rc == 1);
        swaps += rc;
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].bad, 0);
    }
    assert_true(swaps >= 1);
    sf_vdb_shared_free(sh);
    sf_vdb_builder_free(b);
    unlink(path);
}

static void test_vdb_normalize__names_and_ids(void **state)
{
    (void)state;
    char out[128];
    assert_int_equal(sf_vdb_normalize_name("PyPI", "Foo__Bar.baz-Q", out, sizeof out), SF_OK);
    assert_string_equal(out, "foo-bar-baz-q");
    assert_int_equal(sf_vdb_normalize_name("npm", "@Babel/Core", out, sizeof out), SF_OK);
    assert_string_equal(out, "@babel/core");
    assert_int_equal(sf_vdb_normalize_name("Maven", "org.Apache:Log4j", out, sizeof out), SF_OK);
    assert_string_equal(out, "org.Apache:Log4j");
    assert_int_equal(sf_vdb_normalize_name("Go", "github.com/Foo/bar", out, sizeof out), SF_OK);
    assert_string_equal(out, "github.com/Foo/bar");
    assert_int_equal(sf_vdb_normalize_name("npm", "  ", out, sizeof out), SF_EINVAL);
    assert_int_equal(sf_vdb_normalize_eco("Ubuntu:22.04:LTS", out, sizeof out), SF_OK);
    assert_string_equal(out, "Ubuntu:22.04");
    assert_int_equal(sf_vdb_normalize_eco("Ubuntu:Pro:18.04:LTS", out, sizeof out), SF_OK);
    assert_string_equal(out, "Ubuntu:18.04");
    assert_int_equal(sf_vdb_normalize_eco("crates.io", out, sizeof out), SF_OK);
    assert_int_equal(sf_vdb_normalize_eco("Alpine:v3.10", out, sizeof out), SF_OK);
    assert_int_equal(sf_vdb_normalize_eco("Bogus", out, sizeof out), SF_EUNSUPPORTED);
    static const struct {
        const char *in, *out;
        int rc;
    } ids[] = {
        {"CVE 2018-16859", "CVE-2018-16859", 1}, {"CVE_2019-2426", "CVE-2019-2426", 1},
        {"cve-2019-1234", "CVE-2019-1234", 1},    {"CVE-2019-1234", "CVE-2019-1234", 0},
        {"GHSA-mcqq-fqgf-rxwm", "GHSA-mcqq-fqgf-rxwm", 0},
        {"GHSA-jf66-3q76-h5p5,", "GHSA-jf66-3q76-h5p5", 1},
        {"wnpa-sec-2017-18", "wnpa-sec-2017-18", 0}, {"XPTI", NULL, -1},
        {"CVE-?\?\?\?-?\?\?\?\?", NULL, -1}, {"CVE-20x-1", NULL, -1}, {"", NULL, -1},
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        int rc = sf_vdb_normalize_id(ids[i].in, strlen(ids[i].in), out, sizeof out);
        assert_int_equal(rc, ids[i].rc);
        if (rc >= 0)
            assert_string_equal(out, ids[i].out);
    }
}

/* Count the record files of an OSV archive and the withdrawn ones,
 * independently of the importer. */
static void count_osv_archive(const char *path, long *files, long *withdrawn)
{
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    assert_int_equal(archive_read_open_filename(a, path, 65536), ARCHIVE_OK);
    struct archive_entry *e;
    *files = *withdrawn = 0;
    char *buf = malloc(8 << 20);
    assert_non_null(buf);
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        const char *n = archive_entry_pathname(e);
        size_t l = strlen(n);
        if (archive_entry_filetype(e) != AE_IFREG || l < 5 || strcmp(n + l - 5, ".json") != 0)
            continue;
        ssize_t got = archive_read_data(a, buf, 8 << 20);
        assert_true(got > 0 && got < (8 << 20));
        json_error_t jerr;
        json_t *doc = json_loadb(buf, (size_t)got, 0, &jerr);
        assert_non_null(doc);
        (*files)++;
        *withdrawn += json_object_get(doc, "withdrawn") != NULL;
        json_decref(doc);
    }
    free(buf);
    archive_read_free(a);
}

static void import_complete(const char *rel, const char *eco)
{
    long files = 0, withdrawn = 0;
    count_osv_archive(sf_t_corpus(rel), &files, &withdrawn);
    assert_true(files > 1000);
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    assert_int_equal(sf_vdb_import_path(b, sf_t_corpus(rel), &err), SF_OK);
    uint64_t invalid = sf_vdb_builder_skipped(b, "no usable affected package");
    assert_int_equal(sf_vdb_builder_skipped(b, "osv: withdrawn"), withdrawn);
    /* Every record file is imported, withdrawn or counted as unusable; the
     * unusable ones are the few upstream defects documented in the corpus. */
    assert_int_equal(sf_vdb_builder_records(b) + withdrawn + invalid, files);
    assert_true(invalid <= 2);
    assert_int_equal(sf_vdb_builder_skipped(b, "osv: malformed or missing id"), 0);
    assert_int_equal(sf_vdb_builder_skipped(b, "unknown ecosystem"), 0);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(sf_vdb_builder_serialize(b, &data, &len, &err), SF_OK);
    sf_vdb *db = NULL;
    assert_int_equal(sf_vdb_open_mem(&db, data, len, &err), SF_OK);
    json_error_t jerr;
    json_t *meta = json_loads(sf_vdb_meta(db), 0, &jerr);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(meta, "ecosystems"), eco)),
                     (json_int_t)sf_vdb_builder_records(b));
    json_decref(meta);
    sf_vdb_close(db);
    free(data);
    sf_vdb_builder_free(b);
}

static void test_vdb_import__go_complete(void **state)
{
    (void)state;
    import_complete("vulndb/osv/golang-vulndb-osv.tar.gz", "Go");
}

static void test_vdb_import__rustsec_complete(void **state)
{
    (void)state;
    import_complete("vulndb/osv/rustsec-osv.tar.gz", "crates.io");
}

static void test_vdb_import__pypa_complete(void **state)
{
    (void)state;
    import_complete("vulndb/osv/pypa-advisory-database.osv-json.tar.gz", "PyPI");
}

static void test_vdb_import__pypa_yaml_counted(void **state)
{
    (void)state;
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    assert_int_equal(
        sf_vdb_import_path(b, sf_t_corpus("vulndb/osv/pypa-advisory-database.tar.gz"), &err), SF_OK);
    assert_int_equal(sf_vdb_builder_records(b), 0);
    assert_int_equal(
        sf_vdb_builder_skipped(b, "YAML document (unsupported: import the OSV JSON form)"), 2661);
    sf_vdb_builder_free(b);
}

/* One lookup through the matcher: findings of pkg under os. */
static size_t match_one(const char *src, sf_pkg *p, const sf_osinfo *os, sf_findings *f)
{
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    assert_int_equal(sf_vdb_import_path(b, sf_t_corpus(src), &err), SF_OK);
    void *data = NULL;
    size_t len = 0;
    assert_int_equal(sf_vdb_builder_serialize(b, &data, &len, &err), SF_OK);
    sf_vdb *db = NULL;
    assert_int_equal(sf_vdb_open_mem(&db, data, len, &err), SF_OK);
    sf_findings_init(f);
    assert_int_equal(sf_match_packages(db, os, p, 1, f, &err), SF_OK);
    sf_vdb_close(db);
    free(data);
    sf_vdb_builder_free(b);
    return f->n;
}

static void test_vdb_import__secdb_dirty_ids(void **state)
{
    (void)state;
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    const char *arch = sf_t_corpus("vulndb/alpine-secdb/alpine-secdb-v3.3-v3.11-yaml-and-json.tar.gz");
    assert_int_equal(sf_vdb_import_path(b, arch, &err), SF_OK);
    assert_true(sf_vdb_builder_skipped(b, "dirty id normalised") >= 2);
    assert_true(sf_vdb_builder_skipped(b, "secdb: id token dropped (not an id)") > 0);
    assert_true(sf_vdb_builder_records(b) > 10000);
    sf_vdb_builder_free(b);
    /* "CVE 2018-16859" (v3.9 ansible) is found under its clean id. */
    sf_osinfo os = {.id = "alpine", .version_id = "3.9.4"};
    sf_pkg p = {.type = SF_PT_APK, .name = "ansible", .version = "2.0.0-r0"};
    sf_findings f;
    match_one("vulndb/alpine-secdb/alpine-secdb-v3.3-v3.11-yaml-and-json.tar.gz", &p, &os, &f);
    int found = 0;
    for (size_t i = 0; i < f.n; i++)
        found |= sf_t_finding_has_id(&f.items[i], "CVE-2018-16859");
    assert_true(found);
    sf_findings_clear(&f);
}

static void test_vdb_import__debian_tracker(void **state)
{
    (void)state;
    /* DSA-5147-1 dpkg: [buster] fixed in 1.19.8. */
    sf_osinfo os = {.id = "debian", .version_id = "10", .codename = "buster"};
    sf_pkg p = {.type = SF_PT_DPKG, .name = "dpkg", .version = "1.19.7"};
    sf_findings f;
    match_one("vulndb/debian-security-tracker/DSA-list", &p, &os, &f);
    const sf_finding *hit = NULL;
    for (size_t i = 0; i < f.n; i++)
        if (sf_t_finding_has_id(&f.items[i], "DSA-5147-1"))
            hit = &f.items[i];
    assert_non_null(hit);
    assert_string_equal(hit->id, "CVE-2022-1664");
    assert_string_equal(hit->fixed, "1.19.8");
    assert_string_equal(hit->ecosystem, "Debian:10");
    assert_string_equal(hit->severity, "UNKNOWN");
    sf_findings_clear(&f);
    /* Equal version = fixed. */
    p.version = "1.19.8";
    match_one("vulndb/debian-security-tracker/DSA-list", &p, &os, &f);
    for (size_t i = 0; i < f.n; i++)
        assert_false(sf_t_finding_has_id(&f.items[i], "DSA-5147-1"));
    sf_findings_clear(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vdb_format__roundtrip),
        cmocka_unit_test(test_vdb_format__corruption_refused),
        cmocka_unit_test(test_vdb_format__atomic_swap),
        cmocka_unit_test(test_vdb_format__concurrent_refresh),
        cmocka_unit_test(test_vdb_normalize__names_and_ids),
        cmocka_unit_test(test_vdb_import__go_complete),
        cmocka_unit_test(test_vdb_import__rustsec_complete),
        cmocka_unit_test(test_vdb_import__pypa_complete),
        cmocka_unit_test(test_vdb_import__pypa_yaml_counted),
        cmocka_unit_test(test_vdb_import__secdb_dirty_ids),
        cmocka_unit_test(test_vdb_import__debian_tracker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
