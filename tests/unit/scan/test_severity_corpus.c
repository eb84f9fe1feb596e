/*
 * Issue 13's "done when", on the corpus: the corpus images (every Alpine
 * minirootfs, the Debian buster and bullseye layers, the distroless
 * two-layer image) are scanned against the quickstart's DB, once without
 * and once with vulndb/nvd/ and vulndb/kev/.
 *
 *   1. With NVD, the share of findings whose severity is UNKNOWN equals
 *      the share of findings that neither carry their own rating (vendor,
 *      advisory) nor name a CVE NVD has scored, computed here straight
 *      from the NVD record files (a CVE NVD "has not scored" is one without
 *      a record in nvd/ or whose record has no Primary CVSS metric).
 *   2. Every ground-truth CVE (Alpine and Debian ground truths) NVD scored
 *      gets NVD's Primary baseSeverity (v3.1, else v3.0, v4.0, v2) on every
 *      finding naming it when no vendor rating exists; a finding naming
 *      several (a DLA listing 14 CVEs) gets the highest of theirs.
 *   3. The UNKNOWN share drops (it is printed before and after).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "analyze/scan.h"
#include "bus/msg_result.h"
#include "testutil.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

#include "scanfix.h"

/* The quickstart's sources (deploy/local/quickstart), corpus-relative. */
static const char *const base_sources[] = {
    "vulndb/alpine-secdb/alpine-secdb-v3.3-v3.11-yaml-and-json.tar.gz",
    "vulndb/alpine-vuln-list-subset/secdb-v3.10-main.subset.json",
    "vulndb/alpine-vuln-list-subset/secdb-v3.20-main.subset.json",
    "vulndb/debian-security-tracker/DSA-list",
    "vulndb/debian-security-tracker/DLA-list",
    "vulndb/nodejs-security-wg/nodejs-security-wg-vuln.tar.gz",
    "vulndb/osv/ghsa-npm-subset.extract.json",
    "vulndb/osv/pypa-advisory-database.osv-json.tar.gz",
    NULL,
};
static const char *const nvd_sources[] = {"vulndb/nvd", "vulndb/kev", NULL};

typedef struct db {
    void *img;
    sf_vdb *db;
} db;

static void db_build(db *d, int with_nvd)
{
    sf_vdb_builder *b = NULL;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    assert_int_equal(sf_vdb_builder_new(&b), SF_OK);
    for (const char *const *s = base_sources; *s; s++)
        if (sf_vdb_import_path(b, sf_t_corpus(*s), &err) != SF_OK)
            fail_msg("%s: %s", *s, err.msg);
    for (const char *const *s = nvd_sources; with_nvd && *s; s++)
        if (sf_vdb_import_path(b, sf_t_corpus(*s), &err) != SF_OK)
            fail_msg("%s: %s", *s, err.msg);
    assert_int_equal(sf_vdb_builder_serialize(b, &d->img, &len, &err), SF_OK);
    assert_int_equal(sf_vdb_open_mem(&d->db, d->img, len, &err), SF_OK);
    sf_vdb_builder_free(b);
}

/* NVD's Primary verdict per CVE, read from the record files. */
typedef struct nvd_fact {
    char id[32];
    int scored;         /* a Primary CVSS metric exists */
    char severity[16];  /* its baseSeverity, first of v3.1, v3.0, v4.0, v2 */
} nvd_fact;

static nvd_fact facts[128];
static size_t nfacts;

static void load_nvd(void)
{
    static const char *const keys[] = {"cvssMetricV31", "cvssMetricV30", "cvssMetricV40",
                                       "cvssMetricV2"};
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", sf_t_corpus("vulndb/nvd"));
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    nfacts = 0;
    while ((de = readdir(d)) && nfacts < sizeof facts / sizeof facts[0]) {
        if (strncmp(de->d_name, "CVE-", 4) != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        json_t *rec = json_load_file(path, 0, NULL);
        assert_non_null(rec);
        nvd_fact *f = &facts[nfacts++];
        memset(f, 0, sizeof *f);
        snprintf(f->id, sizeof f->id, "%s", json_string_value(json_object_get(rec, "id")));
        for (int k = 0; k < 4 && !f->scored; k++) {
            size_t i;
            json_t *m;
            json_array_foreach(json_object_get(json_object_get(rec, "metrics"), keys[k]), i, m)
            {
                const char *type = json_string_value(json_object_get(m, "type"));
                const json_t *data = json_object_get(m, "cvssData");
                const char *sev = json_string_value(json_object_get(data, "baseSeverity"));
                if (!sev)
                    sev = json_string_value(json_object_get(m, "baseSeverity"));
                if (type && strcmp(type, "Primary") == 0 && sev) {
                    f->scored = 1;
                    snprintf(f->severity, sizeof f->severity, "%s", sev);
                    break;
                }
            }
        }
        json_decref(rec);
    }
    closedir(d);
}

static const nvd_fact *fact_of(const char *id)
{
    for (size_t i = 0; i < nfacts; i++)
        if (strcmp(facts[i].id, id) == 0)
            return &facts[i];
    return NULL;
}

/* The highest NVD Primary severity among the finding's CVEs, or NULL. */
static const char *nvd_severity(const sf_finding *f)
{
    const char *best = NULL;
    for (size_t i = 0; i <= f->naliases; i++) {
        const char *id = i == 0 ? f->id : f->aliases[i - 1];
        const nvd_fact *n = fact_of(id);
        if (n && n->scored && (!best || sf_severity_rank(n->severity, 0) > sf_severity_rank(best, 0)))
            best = n->severity;
    }
    return best;
}

/* One scanned image's result, kept for the checks. */
static sf_scan_report *reports[16];
static size_t nreports;

static void scan_layers(const char *const *rels, size_t n, const sf_vdb *vdb)
{
    char *paths[4], *dir = fix_tmpdir(), ref[4200], md[1][SF_DIGEST_MAX];
    const char *layers[4];
    for (size_t i = 0; i < n; i++)
        layers[i] = paths[i] = strdup(sf_t_corpus(rels[i]));
    fix_image fi = {layers, n, "linux", strstr(rels[0], "aarch64") ? "arm64" : "amd64", NULL};
    fix_layout(dir, &fi, 1, md);
    snprintf(ref, sizeof ref, "oci:%s", dir);
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    o.db = (sf_vdb *)vdb;
    sf_error e = SF_ERROR_INIT;
    sf_scan_report *rep = NULL;
    if (sf_scan_ref(ref, &o, &rep, &e) != SF_OK)
        fail_msg("%s: %s", rels[0], e.msg);
    assert_int_equal(sf_scan_report_error(rep, 0), SF_OK);
    reports[nreports++] = rep;
    fix_rmtree(dir);
    free(dir);
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
}

static void scan_corpus(const sf_vdb *vdb)
{
    static const char *const alpine[] = {
        "images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.10.9-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.12.12-aarch64.tar.gz",
        "images/alpine/alpine-minirootfs-3.12.12-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.15.11-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.18.9-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.6.5-x86_64.tar.gz",
        "images/alpine/alpine-minirootfs-3.9.6-x86_64.tar.gz",
        "images/debian/debian-10.10-buster-20210621-amd64.dpkg-layer.tar.gz",
        "images/debian/debian-11.11-bullseye-20241202-amd64.dpkg-layer.tar.gz",
    };
    static const char *const distroless[] = {
        "images/distroless-style/distroless-style-static-debian12.layer.tar.gz",
        "images/distroless-style/distroless-style-base-debian12.addon-layer.tar.gz",
    };
    nreports = 0;
    for (size_t i = 0; i < sizeof alpine / sizeof alpine[0]; i++)
        scan_layers(&alpine[i], 1, vdb);
    scan_layers(distroless, 2, vdb);
}

static void free_reports(void)
{
    for (size_t i = 0; i < nreports; i++)
        sf_scan_report_free(reports[i]);
    nreports = 0;
}

static size_t count_unknown(size_t *total)
{
    size_t unk = 0;
    *total = 0;
    for (size_t i = 0; i < nreports; i++) {
        const sf_result *r = sf_scan_report_result(reports[i], 0);
        for (size_t k = 0; k < r->vulns.n; k++, (*total)++)
            unk += strcmp(r->vulns.items[k].severity, "UNKNOWN") == 0;
    }
    return unk;
}

static int own_rating(const sf_finding *f)
{
    return f->severity_source && (strcmp(f->severity_source, "vendor") == 0 ||
                                  strcmp(f->severity_source, "advisory") == 0);
}

/* Ground-truth CVE ids (Alpine ids, Debian advisories' CVE lists). */
static int in_ground_truth(const char *id)
{
    static json_t *gt[2];
    if (!gt[0]) {
        gt[0] = json_load_file(sf_t_corpus("ground-truth/alpine-ground-truth.json"), 0, NULL);
        gt[1] = json_load_file(sf_t_corpus("ground-truth/debian-ground-truth.json"), 0, NULL);
    }
    for (int g = 0; g < 2; g++) {
        size_t i, j, k;
        json_t *c, *f, *cv;
        json_array_foreach(json_object_get(gt[g], "cases"), i, c)
        {
            json_array_foreach(json_object_get(c, "findings"), j, f)
            {
                const char *fid = json_string_value(json_object_get(f, "id"));
                if (fid && strcmp(fid, id) == 0)
                    return 1;
                json_array_foreach(json_object_get(f, "cves"), k, cv)
                    if (strcmp(json_string_value(cv), id) == 0)
                        return 1;
            }
        }
    }
    return 0;
}

static void test_severity_corpus__unknown_share_is_nvd_unscored_share(void **state)
{
    (void)state;
    load_nvd();
    assert_true(nfacts >= 55);
    db before, after;
    size_t total0, total;
    db_build(&before, 0);
    scan_corpus(before.db);
    size_t unk0 = count_unknown(&total0);
    free_reports();
    db_build(&after, 1);
    scan_corpus(after.db);
    size_t unk = count_unknown(&total);
    /* The same findings either way: NVD and KEV add facts, never matches. */
    assert_int_equal(total, total0);
    size_t unscored = 0, gt_checked = 0;
    for (size_t i = 0; i < nreports; i++) {
        const sf_result *r = sf_scan_report_result(reports[i], 0);
        for (size_t k = 0; k < r->vulns.n; k++) {
            const sf_finding *f = &r->vulns.items[k];
            const char *nvd = nvd_severity(f);
            unscored += !own_rating(f) && !nvd;
            if (getenv("SF_T_VERBOSE"))
                fprintf(stderr, "  %-16s %-14s %-18s %-8s %-9s %s (+%zu)\n", r->os.id, f->pkg_name,
                        f->id, f->severity, f->severity_source ? f->severity_source : "-",
                        nvd ? nvd : "-", f->naliases);
            if (!nvd || (f->severity_source && strcmp(f->severity_source, "vendor") == 0))
                continue;
            int gt = in_ground_truth(f->id);
            for (size_t a = 0; !gt && a < f->naliases; a++)
                gt = in_ground_truth(f->aliases[a]);
            if (!gt || own_rating(f))
                continue;
            gt_checked++;
            if (strcasecmp(f->severity, nvd) != 0)
                fail_msg("%s (%s %s): severity %s from %s, NVD Primary says %s", f->id,
                         f->pkg_name, f->installed, f->severity,
                         f->severity_source ? f->severity_source : "nothing", nvd);
        }
    }
    fprintf(stderr,
            "corpus images: %zu findings; UNKNOWN without NVD %zu (%.1f%%), with NVD+KEV %zu "
            "(%.1f%%); findings NVD has not scored (and without their own rating) %zu "
            "(%.1f%%); ground-truth findings checked against NVD %zu\n",
            total, unk0, 100.0 * (double)unk0 / (double)total, unk,
            100.0 * (double)unk / (double)total, unscored, 100.0 * (double)unscored / (double)total,
            gt_checked);
    assert_int_equal(unk, unscored);
    assert_true(unk < unk0);
    assert_true(gt_checked >= 16); /* 16 on the corpus of 2026-12: Alpine and Debian */
    free_reports();
    sf_vdb_close(before.db);
    free(before.img);
    sf_vdb_close(after.db);
    free(after.img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_severity_corpus__unknown_share_is_nvd_unscored_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
