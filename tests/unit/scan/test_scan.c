/*
 * Whole-image tests of common/analyze/scan on the corpus: every Alpine
 * minirootfs as a one-layer image (packages must equal the ground truth
 * exactly), the real docker-archive (gzipped and not), the real OCI
 * layout, the Debian dpkg layers, the two distroless-style layers, a
 * two-platform index with platform selection, broken images (wrong blob,
 * malformed and schema1 manifests), the checked-in result example, and
 * the `scanfarm scan` binary end to end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <jansson.h>

#include "analyze/scan.h"
#include "bus/msg_result.h"
#include "scanfix.c"
#include "testutil.h"

static char *corpus_dup(const char *rel) { return strdup(sf_t_corpus(rel)); }

static sf_scan_report *scan_ok(const char *ref, const char *const *plats, size_t nplats)
{
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    o.platforms = plats;
    o.nplatforms = nplats;
    o.max_layer_parallel = 2;
    o.run_id = "test-run";
    sf_scan_report *rep = NULL;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_scan_ref(ref, &o, &rep, &e);
    if (rc != SF_OK)
        fail_msg("scan %s: %s", ref, e.msg);
    return rep;
}

/* The result's (name, version, origin) set equals the ground truth's. */
static void check_alpine_truth(const sf_result *r, const char *image)
{
    json_error_t je;
    json_t *gt = json_load_file(sf_t_corpus("ground-truth/alpine-installed-packages.json"), 0, &je);
    assert_non_null(gt);
    size_t i;
    json_t *img, *want = NULL;
    json_array_foreach(gt, i, img)
    {
        if (strcmp(json_string_value(json_object_get(img, "image")), image) == 0)
            want = json_object_get(img, "packages");
    }
    assert_non_null(want);
    assert_int_equal(r->npkgs, json_array_size(want));
    json_t *p;
    json_array_foreach(want, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        const char *ver = json_string_value(json_object_get(p, "version"));
        const char *origin = json_string_value(json_object_get(p, "origin"));
        int found = 0;
        for (size_t k = 0; k < r->npkgs && !found; k++) {
            const sf_pkg *q = &r->pkgs[k];
            found = q->type == SF_PT_APK && strcmp(q->name, name) == 0 &&
                    strcmp(q->version, ver) == 0 && strcmp(sf_pkg_src_name(q), origin) == 0 &&
                    q->layer == 0;
        }
        if (!found)
            fail_msg("%s: %s %s (origin %s) not found", image, name, ver, origin);
    }
    json_decref(gt);
}

static void test_scan_corpus__alpine_images_match_ground_truth(void **state)
{
    (void)state;
    static const struct {
        const char *file, *arch, *version;
    } imgs[] = {
        {"alpine-minirootfs-3.6.5-x86_64.tar.gz", "amd64", "3.6.5"},
        {"alpine-minirootfs-3.9.6-x86_64.tar.gz", "amd64", "3.9.6"},
        {"alpine-minirootfs-3.10.3-x86_64.tar.gz", "amd64", "3.10.3"},
        {"alpine-minirootfs-3.10.9-x86_64.tar.gz", "amd64", "3.10.9"},
        {"alpine-minirootfs-3.12.12-x86_64.tar.gz", "amd64", "3.12.12"},
        {"alpine-minirootfs-3.12.12-aarch64.tar.gz", "arm64", "3.12.12"},
        {"alpine-minirootfs-3.15.11-x86_64.tar.gz", "amd64", "3.15.11"},
        {"alpine-minirootfs-3.18.9-x86_64.tar.gz", "amd64", "3.18.9"},
        {"alpine-minirootfs-3.20.3-x86_64.tar.gz", "amd64", "3.20.3"},
    };
    for (size_t i = 0; i < sizeof imgs / sizeof imgs[0]; i++) {
        char rel[256], ref[300], md[1][SF_DIGEST_MAX];
        snprintf(rel, sizeof rel, "images/alpine/%s", imgs[i].file);
        char *layer = corpus_dup(rel), *dir = fix_tmpdir();
        const char *layers[] = {layer};
        fix_image fi = {layers, 1, "linux", imgs[i].arch, NULL};
        fix_layout(dir, &fi, 1, md);
        snprintf(ref, sizeof ref, "oci:%s", dir);
        sf_scan_report *rep = scan_ok(ref, NULL, 0);
        assert_int_equal(sf_scan_report_count(rep), 1);
        const sf_result *r = sf_scan_report_result(rep, 0);
        if (r->error_code != SF_OK)
            fail_msg("%s: %s", imgs[i].file, r->error);
        assert_string_equal(r->digest, md[0]);
        assert_string_equal(r->os.id, "alpine");
        assert_string_equal(r->os.version_id, imgs[i].version);
        assert_string_equal(r->layers[0].cache, "uncached");
        check_alpine_truth(r, imgs[i].file);
        sf_scan_report_free(rep);
        fix_rmtree(dir);
        free(dir);
        free(layer);
    }
}

static void test_scan_corpus__docker_archive_gz_and_plain(void **state)
{
    (void)state;
    char *gz = corpus_dup("images/docker-archive/trivy-testdata-alpine-310.docker-archive.tar.gz");
    char *dir = fix_tmpdir(), plain[4096], ref[4200];
    /* Gunzip to a temp file (the corpus README's form of the archive). */
    snprintf(plain, sizeof plain, "%s/alpine310.tar", dir);
    gzFile g = gzopen(gz, "rb");
    FILE *f = fopen(plain, "wb");
    char buf[65536];
    int n;
    while ((n = gzread(g, buf, sizeof buf)) > 0)
        fwrite(buf, 1, (size_t)n, f);
    gzclose(g);
    fclose(f);
    const char *files[] = {gz, plain};
    for (size_t k = 0; k < 2; k++) {
        snprintf(ref, sizeof ref, "docker-archive:%s", files[k]);
        sf_scan_report *rep = scan_ok(ref, NULL, 0);
        const sf_result *r = sf_scan_report_result(rep, 0);
        if (r->error_code != SF_OK)
            fail_msg("%s: %s", ref, r->error);
        assert_string_equal(r->os.version_id, "3.10.4");
        assert_string_equal(r->platform, "linux/amd64");
        assert_int_equal(r->nrefs, 1);
        assert_string_equal(r->refs[0], "alpine:3.10");
        /* The archive's single layer.tar is its diff_id. */
        assert_string_equal(r->layers[0].diff_id,
                            "sha256:531743b7098cb2aaf615641007a129173f63ed86ca32fe7b5a246a1c47286028");
        check_alpine_truth(r, "trivy-testdata-alpine-310.docker-archive.tar.gz");
        sf_scan_report_free(rep);
    }
    fix_rmtree(dir);
    free(dir);
    free(gz);
}

/* Extract a .tar.gz into dir with libarchive (test side only). */
static void extract(const char *archive, const char *dir)
{
    struct archive *a = archive_read_new(), *w = archive_write_disk_new();
    archive_read_support_format_tar(a);
    archive_read_support_filter_gzip(a);
    archive_write_disk_set_options(w, ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_SECURE_SYMLINKS);
    assert_int_equal(archive_read_open_filename(a, archive, 65536), ARCHIVE_OK);
    struct archive_entry *e;
    char p[4096];
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        snprintf(p, sizeof p, "%s/%s", dir, archive_entry_pathname(e));
        archive_entry_set_pathname(e, p);
        assert_true(archive_write_header(w, e) >= ARCHIVE_WARN);
        const void *b;
        size_t n;
        la_int64_t off;
        while (archive_read_data_block(a, &b, &n, &off) == ARCHIVE_OK)
            archive_write_data_block(w, b, n, off);
    }
    archive_read_free(a);
    archive_write_free(w);
}

static void test_scan_corpus__oci_layout(void **state)
{
    (void)state;
    char *dir = fix_tmpdir(), ref[4200];
    extract(sf_t_corpus("images/oci-layout/trivy-testdata-hello-world.oci-layout.tar.gz"), dir);
    snprintf(ref, sizeof ref, "oci:%s/test.oci", dir);
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    assert_int_equal(sf_scan_report_count(rep), 1);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != SF_OK)
        fail_msg("%s", r->error);
    assert_string_equal(r->digest,
                        "sha256:afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab");
    assert_string_equal(r->platform, "linux/amd64");
    assert_int_equal(r->nlayers, 1);
    assert_int_equal(r->npkgs, 0); /* hello-world: one static binary */
    assert_false(r->has_os);
    sf_scan_report_free(rep);
    /* A tag that the layout does not have. */
    snprintf(ref, sizeof ref, "oci:%s/test.oci:nope", dir);
    sf_scan_report *bad = NULL;
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_scan_ref(ref, &o, &bad, &e), SF_OK);
    assert_int_equal(sf_scan_report_error(bad, 0), SF_ENOTFOUND);
    sf_scan_report_free(bad);
    fix_rmtree(dir);
    free(dir);
}

/* Debian: every package of the layer's packages.json, with its source. */
static void check_debian(const char *layer_rel, const char *truth_rel, const char *codename)
{
    char *layer = corpus_dup(layer_rel), *dir = fix_tmpdir(), ref[4200], md[1][SF_DIGEST_MAX];
    const char *layers[] = {layer};
    fix_image fi = {layers, 1, "linux", "amd64", NULL};
    fix_layout(dir, &fi, 1, md);
    snprintf(ref, sizeof ref, "oci:%s", dir);
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != SF_OK)
        fail_msg("%s", r->error);
    assert_string_equal(r->os.id, "debian");
    assert_string_equal(r->os.codename, codename);
    json_error_t je;
    json_t *gt = json_load_file(sf_t_corpus(truth_rel), 0, &je);
    json_t *pk = json_object_get(gt, "packages"), *p;
    assert_int_equal(r->npkgs, json_array_size(pk));
    size_t i;
    json_array_foreach(pk, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "package"));
        const char *ver = json_string_value(json_object_get(p, "version"));
        int found = 0;
        for (size_t k = 0; k < r->npkgs && !found; k++)
            found = r->pkgs[k].type == SF_PT_DPKG && strcmp(r->pkgs[k].name, name) == 0 &&
                    strcmp(r->pkgs[k].version, ver) == 0;
        if (!found)
            fail_msg("%s: %s %s missing", layer_rel, name, ver);
    }
    json_decref(gt);
    sf_scan_report_free(rep);
    fix_rmtree(dir);
    free(dir);
    free(layer);
}

static void test_scan_corpus__debian_layers(void **state)
{
    (void)state;
    check_debian("images/debian/debian-10.10-buster-20210621-amd64.dpkg-layer.tar.gz",
                 "images/debian/debian-10.10-buster-20210621-amd64.packages.json", "buster");
    check_debian("images/debian/debian-11.11-bullseye-20241202-amd64.dpkg-layer.tar.gz",
                 "images/debian/debian-11.11-bullseye-20241202-amd64.packages.json", "bullseye");
}

static int has_pkg(const sf_result *r, const char *name, int layer)
{
    for (size_t k = 0; k < r->npkgs; k++)
        if (strcmp(r->pkgs[k].name, name) == 0 && r->pkgs[k].layer == layer)
            return 1;
    return 0;
}

static void test_scan_corpus__distroless_two_layers(void **state)
{
    (void)state;
    char *l0 = corpus_dup("images/distroless-style/distroless-style-static-debian12.layer.tar.gz");
    char *l1 = corpus_dup("images/distroless-style/distroless-style-base-debian12.addon-layer.tar.gz");
    char *dir = fix_tmpdir(), ref[4200], md[1][SF_DIGEST_MAX];
    const char *layers[] = {l0, l1};
    fix_image fi = {layers, 2, "linux", "amd64", NULL};
    fix_layout(dir, &fi, 1, md);
    snprintf(ref, sizeof ref, "oci:%s", dir);
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != SF_OK)
        fail_msg("%s", r->error);
    /* static: base-files netbase tzdata media-types ca-certificates;
     * base adds libc6 and libssl3 in the second layer. */
    assert_int_equal(r->npkgs, 7);
    assert_true(has_pkg(r, "base-files", 0));
    assert_true(has_pkg(r, "tzdata", 0));
    assert_true(has_pkg(r, "ca-certificates", 0));
    assert_true(has_pkg(r, "libc6", 1));
    assert_true(has_pkg(r, "libssl3", 1));
    assert_string_equal(r->os.id, "debian");
    assert_int_equal(r->nlayers, 2);
    sf_scan_report_free(rep);
    fix_rmtree(dir);
    free(dir);
    free(l0);
    free(l1);
}

/* The npm fixture tree as a layer: all 32 installed packages once each,
 * nested ones included, the lockfile shadowed by the installed tree. */
static void test_scan_corpus__npm_tree(void **state)
{
    (void)state;
    char *layer = corpus_dup("lang/npm/npm-vuln-fixture.tar.gz"), *dir = fix_tmpdir();
    char ref[4200], md[1][SF_DIGEST_MAX];
    const char *layers[] = {layer};
    fix_image fi = {layers, 1, "linux", "amd64", NULL};
    fix_layout(dir, &fi, 1, md);
    snprintf(ref, sizeof ref, "oci:%s", dir);
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != SF_OK)
        fail_msg("%s", r->error);
    json_error_t je;
    json_t *ls = json_load_file(sf_t_corpus("lang/npm/npm-vuln-fixture.package-lock.json"), 0, &je);
    json_t *pk = json_object_get(ls, "packages"), *v;
    const char *key;
    size_t want = 0;
    json_object_foreach(pk, key, v)
    {
        if (!*key)
            continue; /* the root project itself */
        want++;
        const char *name = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
        const char *ver = json_string_value(json_object_get(v, "version"));
        int found = 0;
        for (size_t k = 0; k < r->npkgs && !found; k++)
            found = r->pkgs[k].type == SF_PT_NPM && strcmp(r->pkgs[k].name, name) == 0 &&
                    strcmp(r->pkgs[k].version, ver) == 0 && strstr(r->pkgs[k].path, key);
        if (!found)
            fail_msg("npm %s %s (%s) not found", name, ver, key);
    }
    assert_int_equal(want, 32);
    assert_int_equal(r->npkgs, 32);
    json_decref(ls);
    sf_scan_report_free(rep);
    fix_rmtree(dir);
    free(dir);
    free(layer);
}

/* A memo like the fleet cache: inventories stored encoded (zstd JSON)
 * by blob digest; failed analyses are never stored. */
typedef struct test_memo {
    char digest[8][SF_DIGEST_MAX];
    sf_buf val[8];
    size_t n;
    int analyses;
} test_memo;

static int memo_get(void *ctx, const char *digest, const char *diff_id,
                    sf_layer_analyze_fn analyze, void *actx, sf_inventory **out,
                    const char **state, sf_error *err)
{
    test_memo *m = ctx;
    assert_non_null(diff_id);
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->digest[i], digest) == 0) {
            *state = "hit";
            return sf_inventory_decode(out, m->val[i].data, m->val[i].len, err);
        }
    }
    m->analyses++;
    *state = "miss";
    int rc = analyze(actx, out, err);
    if (rc != SF_OK)
        return rc;
    assert_true(m->n < 8);
    snprintf(m->digest[m->n], SF_DIGEST_MAX, "%s", digest);
    sf_buf_init(&m->val[m->n], 0);
    assert_int_equal(sf_inventory_encode(*out, &m->val[m->n]), SF_OK);
    m->n++;
    return SF_OK;
}

static void test_scan_memo__second_scan_hits_and_matches(void **state)
{
    (void)state;
    char *l0 = corpus_dup("images/distroless-style/distroless-style-static-debian12.layer.tar.gz");
    char *l1 = corpus_dup("images/distroless-style/distroless-style-base-debian12.addon-layer.tar.gz");
    char *dir = fix_tmpdir(), ref[4200], md[1][SF_DIGEST_MAX];
    const char *layers[] = {l0, l1};
    fix_image fi = {layers, 2, "linux", "amd64", NULL};
    fix_layout(dir, &fi, 1, md);
    snprintf(ref, sizeof ref, "oci:%s", dir);
    test_memo tm;
    memset(&tm, 0, sizeof tm);
    sf_layer_memo memo = {&tm, memo_get};
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    o.memo = &memo;
    o.max_layer_parallel = 1;
    sf_scan_report *a = NULL, *b = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_scan_ref(ref, &o, &a, &e), SF_OK);
    assert_int_equal(sf_scan_ref(ref, &o, &b, &e), SF_OK);
    assert_int_equal(tm.analyses, 2);
    const sf_result *ra = sf_scan_report_result(a, 0), *rb = sf_scan_report_result(b, 0);
    assert_string_equal(ra->layers[1].cache, "miss");
    assert_string_equal(rb->layers[0].cache, "hit");
    assert_string_equal(rb->layers[1].cache, "hit");
    assert_int_equal(ra->npkgs, rb->npkgs);
    for (size_t i = 0; i < ra->npkgs; i++) {
        assert_string_equal(ra->pkgs[i].name, rb->pkgs[i].name);
        assert_int_equal(ra->pkgs[i].layer, rb->pkgs[i].layer);
    }
    sf_scan_report_free(a);
    sf_scan_report_free(b);
    /* A layer that fails to analyse is not stored: both scans analyse it. */
    test_memo bad;
    memset(&bad, 0, sizeof bad);
    memo.ctx = &bad;
    char p[4096], ldig[SF_DIGEST_MAX];
    size_t sz;
    file_digest(l1, ldig, &sz);
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, ldig + 7);
    unlink(p);
    assert_int_equal(symlink(l0, p), 0);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(sf_scan_ref(ref, &o, &a, &e), SF_OK);
        assert_int_equal(sf_scan_report_error(a, 0), SF_EDIGEST);
        sf_scan_report_free(a);
    }
    assert_int_equal(bad.analyses, 3); /* layer 0 once, the bad layer twice */
    for (size_t i = 0; i < tm.n; i++)
        sf_buf_free(&tm.val[i]);
    for (size_t i = 0; i < bad.n; i++)
        sf_buf_free(&bad.val[i]);
    fix_rmtree(dir);
    free(dir);
    free(l0);
    free(l1);
}

static void test_scan_index__platform_selection(void **state)
{
    (void)state;
    char *amd = corpus_dup("images/alpine/alpine-minirootfs-3.12.12-x86_64.tar.gz");
    char *arm = corpus_dup("images/alpine/alpine-minirootfs-3.12.12-aarch64.tar.gz");
    char *dir = fix_tmpdir(), ref[4200], md[2][SF_DIGEST_MAX];
    const char *la[] = {amd}, *lb[] = {arm};
    fix_image fi[2] = {{la, 1, "linux", "amd64", NULL}, {lb, 1, "linux", "arm64", "v8"}};
    fix_layout(dir, fi, 2, md);
    snprintf(ref, sizeof ref, "oci:%s", dir);
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    assert_int_equal(sf_scan_report_count(rep), 2);
    assert_string_equal(sf_scan_report_result(rep, 0)->platform, "linux/amd64");
    assert_string_equal(sf_scan_report_result(rep, 1)->platform, "linux/arm64/v8");
    assert_non_null(sf_scan_report_result(rep, 1)->index_digest);
    assert_string_equal(sf_scan_report_result(rep, 1)->pkgs[0].arch, "aarch64");
    sf_scan_report_free(rep);
    const char *want[] = {"linux/arm64"};
    rep = scan_ok(ref, want, 1);
    assert_int_equal(sf_scan_report_count(rep), 1);
    assert_string_equal(sf_scan_report_digest(rep, 0), md[1]);
    sf_scan_report_free(rep);
    const char *none[] = {"linux/s390x"};
    rep = scan_ok(ref, none, 1);
    assert_int_equal(sf_scan_report_count(rep), 1);
    assert_int_equal(sf_scan_report_error(rep, 0), SF_ENOTFOUND);
    sf_scan_report_free(rep);
    fix_rmtree(dir);
    free(dir);
    free(amd);
    free(arm);
}

/* An index document listing one child of media type mt (linux/amd64). */
static void index_doc(char *out, size_t cap, const char *mt, const char *digest, size_t size)
{
    snprintf(out, cap, "{\"schemaVersion\":2,\"mediaType\":"
             "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":"
             "\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\","
             "\"architecture\":\"amd64\"}}]}", mt, digest, size);
}

/* Root the layout at an index (blob) whose one child has media type mt. */
static void index_layout(const char *dir, const char *mt)
{
    static const char *empty = "{\"schemaVersion\":2,\"mediaType\":"
                               "\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";
    char child[SF_DIGEST_MAX], root[SF_DIGEST_MAX], doc[1024], p[4200];
    fix_write_blob(dir, empty, strlen(empty), child);
    index_doc(doc, sizeof doc, mt, child, strlen(empty));
    fix_write_blob(dir, doc, strlen(doc), root);
    size_t n = strlen(doc);
    index_doc(doc, sizeof doc, "application/vnd.oci.image.index.v1+json", root, n);
    snprintf(p, sizeof p, "%s/index.json", dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(doc, f);
    fclose(f);
}

static void expect_index_error(const char *ref, const char *needle)
{
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    assert_int_equal(sf_scan_report_count(rep), 1);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != SF_EUNSUPPORTED || !strstr(r->error, needle))
        fail_msg("want '%s', got %s: %s", needle, sf_err_name(r->error_code), r->error);
    sf_scan_report_free(rep);
}

/* An index offering only a nested index, or a child of another media
 * type, says so: not "no manifest for the requested platform(s)". */
static void test_scan_index__nested_and_mistyped_children_named(void **state)
{
    (void)state;
    char *dir = fix_tmpdir(), ref[4200];
    snprintf(ref, sizeof ref, "oci:%s", dir);
    index_layout(dir, "application/vnd.oci.image.index.v1+json");
    expect_index_error(ref, "1 are nested indexes");
    index_layout(dir, "text/html");
    expect_index_error(ref, "another media type (text/html)");
    fix_rmtree(dir);
    free(dir);
}

/* Replace blob `digest` of the layout with other bytes. */
static void clobber(const char *dir, const char *digest, const char *bytes)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, digest + 7);
    unlink(p);
    FILE *f = fopen(p, "wb");
    fputs(bytes, f);
    fclose(f);
}

static void expect_error(const char *ref, int code, const char *needle)
{
    sf_scan_report *rep = scan_ok(ref, NULL, 0);
    assert_int_equal(sf_scan_report_count(rep), 1);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != code || !strstr(r->error, needle))
        fail_msg("%s: got %s: %s", ref, sf_err_name(r->error_code), r->error);
    assert_int_equal(r->npkgs, 0);
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_result_encode(sf_scan_report_result(rep, 0), &b, NULL), SF_OK);
    assert_non_null(strstr(b.data, "\"error\":{\"code\":"));
    sf_buf_free(&b);
    sf_scan_report_free(rep);
}

static void test_scan_bad__broken_images_give_typed_errors(void **state)
{
    (void)state;
    char *layer = corpus_dup("images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz");
    char *dir = fix_tmpdir(), ref[4200], md[1][SF_DIGEST_MAX];
    const char *layers[] = {layer};
    fix_image fi = {layers, 1, "linux", "amd64", NULL};
    snprintf(ref, sizeof ref, "oci:%s", dir);
    /* The layer blob's bytes are not its digest. */
    fix_layout(dir, &fi, 1, md);
    char ldig[SF_DIGEST_MAX];
    size_t sz;
    file_digest(layer, ldig, &sz);
    clobber(dir, ldig, "this is not the layer you are looking for");
    expect_error(ref, SF_EDIGEST, "layer 0");
    /* Same size but wrong content: gzip of other data -> digest error. */
    fix_layout(dir, &fi, 1, md);
    char other[4096];
    snprintf(other, sizeof other, "%s/blobs/sha256/%s", dir, ldig + 7);
    unlink(other);
    assert_int_equal(symlink(sf_t_corpus("images/alpine/alpine-minirootfs-3.10.9-x86_64.tar.gz"),
                             other), 0);
    expect_error(ref, SF_EDIGEST, "does not match digest");
    /* A truncated gzip layer whose digest is right: the walker's own
     * message reaches the result. */
    {
        size_t blen;
        char *blob = sf_t_read_file(layer, &blen), tpath[4200];
        char *tdir = fix_tmpdir(), tref[4300], tmd[1][SF_DIGEST_MAX];
        snprintf(tpath, sizeof tpath, "%s/truncated.tar.gz", tdir);
        FILE *tf = fopen(tpath, "wb");
        fwrite(blob, 1, blen / 2, tf);
        fclose(tf);
        const char *tl[] = {tpath};
        fix_image ti = {tl, 1, "linux", "amd64", NULL};
        /* fix_layout gunzips for the diff_id: give it the full file's. */
        mkdir(tdir, 0755);
        fix_layout_nodiff = 1;
        fix_layout(tdir, &ti, 1, tmd);
        fix_layout_nodiff = 0;
        snprintf(tref, sizeof tref, "oci:%s", tdir);
        expect_error(tref, SF_EPARSE, "truncated");
        fix_rmtree(tdir);
        free(tdir);
        free(blob);
    }
    /* Malformed manifest JSON. */
    fix_layout(dir, &fi, 1, md);
    clobber(dir, md[0], "{\"schemaVersion\":2,\"layers\":[");
    expect_error(ref, SF_EDIGEST, "mismatch"); /* the manifest blob no longer matches */
    fix_rmtree(dir);
    free(dir);
    dir = fix_tmpdir();
    snprintf(ref, sizeof ref, "oci:%s", dir);
    char d[SF_DIGEST_MAX], idx[1024];
    const char *bad = "{\"schemaVersion\":2,\"layers\":[";
    fix_write_blob(dir, bad, strlen(bad), d);
    snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
             "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu}]}",
             d, strlen(bad));
    char p[4200];
    snprintf(p, sizeof p, "%s/index.json", dir);
    FILE *f = fopen(p, "wb");
    fputs(idx, f);
    fclose(f);
    expect_error(ref, SF_EPARSE, "invalid JSON");
    /* Docker schema1. */
    const char *s1 = "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}";
    fix_write_blob(dir, s1, strlen(s1), d);
    snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"%s\",\"size\":%zu}]}",
             d, strlen(s1));
    f = fopen(p, "wb");
    fputs(idx, f);
    fclose(f);
    expect_error(ref, SF_EUNSUPPORTED, "schema1");
    fix_rmtree(dir);
    free(dir);
    free(layer);
    /* Unparseable references and missing sources fail up front. */
    sf_scan_report *rep = NULL;
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    sf_error e = SF_ERROR_INIT;
    assert_int_not_equal(sf_scan_ref("docker-archive:/nonexistent.tar", &o, &rep, &e), SF_OK);
    assert_null(rep);
    sf_error_clear(&e);
    assert_int_equal(sf_scan_ref("localhost:5000/UPPER/case:tag", &o, &rep, &e), SF_EINVAL);
}

/* The checked-in example decodes, re-encodes to the same content, and
 * carries every field DESIGN.md lists. */
static void test_scan_result__example_document(void **state)
{
    (void)state;
    size_t len;
    char *doc = sf_t_read_file(sf_t_src("tests/unit/scan/result-example.json"), &len);
    assert_non_null(doc);
    sf_result r;
    sf_error e = SF_ERROR_INIT;
    if (sf_result_decode(doc, len, &r, &e) != SF_OK)
        fail_msg("%s", e.msg);
    assert_string_equal(r.digest, "sha256:af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e");
    assert_int_equal(r.npkgs, 14);
    assert_true(r.vulns.n >= 1);
    assert_string_equal(r.vulns.items[0].fixed, "1.1.22-r4");
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_result_encode(&r, &b, &e), SF_OK);
    json_error_t je;
    json_t *a = json_loadb(doc, len, 0, &je), *c = json_loadb(b.data, b.len, 0, &je);
    static const char *keys[] = {"schema", "run_id", "digest", "index_digest", "platform", "refs",
                                 "os", "packages", "vulnerabilities", "summary", "layers",
                                 "db_version", "timings", "error"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        assert_non_null(json_object_get(a, keys[i]));
        if (!json_equal(json_object_get(a, keys[i]), json_object_get(c, keys[i])))
            fail_msg("field %s changed in a decode/encode round trip", keys[i]);
    }
    static const char *vkeys[] = {"id", "aliases", "package", "ecosystem", "installed", "fixed",
                                  "severity", "cvss"};
    json_t *v0 = json_array_get(json_object_get(a, "vulnerabilities"), 0);
    for (size_t i = 0; i < sizeof vkeys / sizeof vkeys[0]; i++)
        assert_non_null(json_object_get(v0, vkeys[i]));
    json_decref(a);
    json_decref(c);
    sf_buf_free(&b);
    sf_result_clear(&r);
    free(doc);
    /* Wrong schema and junk are refused. */
    assert_int_equal(sf_result_decode("{\"schema\":\"scanfarm.job/v1\"}", 28, &r, &e), SF_EPARSE);
    sf_result_clear(&r);
}

static void test_scan_cli__docker_archive_json(void **state)
{
    (void)state;
    char *dir = fix_tmpdir(), plain[4096], cmd[8192];
    snprintf(plain, sizeof plain, "%s/a.tar", dir);
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' > '%s'",
             sf_t_corpus("images/docker-archive/trivy-testdata-alpine-310.docker-archive.tar.gz"),
             plain);
    assert_int_equal(system(cmd), 0);
    const char *bin = getenv("SF_BIN");
    snprintf(cmd, sizeof cmd, "'%s/scanfarm' scan docker-archive:%s --format json",
             bin ? bin : "bin", plain);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t je;
    json_t *j = json_loadf(p, 0, &je);
    int st = pclose(p);
    assert_int_equal(WEXITSTATUS(st), 0);
    if (!j)
        fail_msg("not JSON: %s", je.text);
    assert_string_equal(json_string_value(json_object_get(j, "schema")), "scanfarm.result/v1");
    sf_result r;
    sf_error e = SF_ERROR_INIT;
    char *text = json_dumps(j, 0);
    assert_int_equal(sf_result_decode(text, strlen(text), &r, &e), SF_OK);
    check_alpine_truth(&r, "trivy-testdata-alpine-310.docker-archive.tar.gz");
    sf_result_clear(&r);
    free(text);
    json_decref(j);
    /* Usage errors and a missing file give the documented exit codes. */
    snprintf(cmd, sizeof cmd, "'%s/scanfarm' scan --format xml x 2>/dev/null", bin ? bin : "bin");
    assert_int_equal(WEXITSTATUS(system(cmd)), 64);
    snprintf(cmd, sizeof cmd, "'%s/scanfarm' scan docker-archive:/nonexistent 2>/dev/null",
             bin ? bin : "bin");
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    fix_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_corpus__alpine_images_match_ground_truth),
        cmocka_unit_test(test_scan_corpus__docker_archive_gz_and_plain),
        cmocka_unit_test(test_scan_corpus__oci_layout),
        cmocka_unit_test(test_scan_corpus__debian_layers),
        cmocka_unit_test(test_scan_corpus__distroless_two_layers),
        cmocka_unit_test(test_scan_corpus__npm_tree),
        cmocka_unit_test(test_scan_memo__second_scan_hits_and_matches),
        cmocka_unit_test(test_scan_index__platform_selection),
        cmocka_unit_test(test_scan_index__nested_and_mistyped_children_named),
        cmocka_unit_test(test_scan_bad__broken_images_give_typed_errors),
        cmocka_unit_test(test_scan_result__example_document),
        cmocka_unit_test(test_scan_cli__docker_archive_json),
    };
    if (getenv("SF_TEST_FILTER"))
        cmocka_set_test_filter(getenv("SF_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
