/* Tests of the apk analyzer: every Alpine image of the corpus (the nine
 * minirootfs tarballs and the docker-archive's layer) against the
 * installed-packages ground truth, and hostile databases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "an_test.h"
#include "testutil.h"

/* Walk the layer.tar inside a gzipped `docker save` archive. */
static int walk_docker_archive(const char *path, an_walk *w)
{
    size_t len = 0;
    char *layer = NULL;
    struct archive *ar = archive_read_new();
    struct archive_entry *ae;
    archive_read_support_filter_all(ar);
    archive_read_support_format_tar(ar);
    if (archive_read_open_filename(ar, path, 1 << 16) != ARCHIVE_OK)
        return -1;
    while (!layer && archive_read_next_header(ar, &ae) == ARCHIVE_OK) {
        if (!sf_an_has_suffix(archive_entry_pathname(ae), "/layer.tar"))
            continue;
        len = (size_t)archive_entry_size(ae);
        layer = malloc(len);
        if (archive_read_data(ar, layer, len) != (la_ssize_t)len)
            return -1;
    }
    archive_read_free(ar);
    if (!layer)
        return -1;
    memset(w, 0, sizeof *w);
    ar = archive_read_new();
    archive_read_support_format_tar(ar);
    int rc = archive_read_open_memory(ar, layer, len) == ARCHIVE_OK ? an_walk_archive(ar, w) : -1;
    archive_read_free(ar);
    free(layer);
    return rc;
}

static void test_analyzers_apk__corpus_matches_ground_truth(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *gt = json_load_file(sf_t_corpus("ground-truth/alpine-installed-packages.json"), 0, &jerr);
    assert_non_null(gt);
    size_t i, images = 0;
    json_t *img;
    json_array_foreach(gt, i, img) {
        const char *name = json_string_value(json_object_get(img, "image"));
        char rel[512];
        an_walk w;
        if (strstr(name, "docker-archive")) {
            /* docker save: the one layer is a layer.tar member */
            snprintf(rel, sizeof rel, "images/docker-archive/%s", name);
            assert_int_equal(walk_docker_archive(sf_t_corpus(rel), &w), 0);
        } else {
            snprintf(rel, sizeof rel, "images/alpine/%s", name);
            assert_int_equal(an_walk_file(sf_t_corpus(rel), &w), 0);
        }
        sf_inv_source *src = an_find(&w, "apk", "lib/apk/db/installed");
        assert_non_null(src);
        assert_int_equal(src->status, SF_SRC_PARSED);
        assert_null(src->note);
        json_t *pkgs = json_object_get(img, "packages");
        assert_int_equal(src->npkgs, json_array_size(pkgs));
        size_t k;
        json_t *jp;
        json_array_foreach(pkgs, k, jp) {
            const sf_pkg *p = &src->pkgs[k]; /* same order as the database */
            assert_string_equal(p->name, json_string_value(json_object_get(jp, "name")));
            assert_string_equal(p->version, json_string_value(json_object_get(jp, "version")));
            assert_string_equal(sf_pkg_src_name(p), json_string_value(json_object_get(jp, "origin")));
            assert_string_equal(p->arch, json_string_value(json_object_get(jp, "arch")));
            assert_string_equal(p->license, json_string_value(json_object_get(jp, "license")));
            assert_int_equal(p->type, SF_PT_APK);
            assert_string_equal(p->path, "lib/apk/db/installed");
        }
        /* os-release and alpine-release both name the release. */
        const char *rel_ver = json_string_value(json_object_get(img, "alpine_release"));
        sf_inv_source *os = an_find(&w, "os", "etc/os-release");
        assert_non_null(os);
        assert_non_null(os->os);
        assert_string_equal(os->os->id, "alpine");
        assert_string_equal(os->os->version_id, rel_ver);
        os = an_find(&w, "os", "etc/alpine-release");
        assert_non_null(os);
        assert_string_equal(os->os->version_id, rel_ver);
        an_walk_free(&w);
        images++;
    }
    assert_int_equal(images, 10);
    json_decref(gt);
}

static void test_analyzers_apk__hostile_records(void **state)
{
    (void)state;
    static const char db[] =
        "C:Q1abc\nP:good\nV:1.0-r0\nA:x86_64\no:goodsrc\nL:MIT\n\n\n\n"
        "P:noversion\nA:x86_64\n\n"
        "P:bad\xff\xfe\nV:1\n\n"
        "P:ctl\x01\nV:1\n\n"
        "V:2\n\n"
        "X\n:\nP:\nV:\n\n"
        "P:same\nV:3\no:same\n"; /* last record without a trailing newline */
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_apk, "lib/apk/db/installed", 0100644, db, sizeof db - 1, &src, &err),
                     SF_OK);
    assert_int_equal(src.npkgs, 2);
    assert_string_equal(src.pkgs[0].name, "good");
    assert_string_equal(src.pkgs[0].src_name, "goodsrc");
    assert_string_equal(src.pkgs[1].name, "same");
    assert_null(src.pkgs[1].src_name); /* origin equal to the name is not repeated */
    assert_non_null(src.note);
    assert_non_null(strstr(src.note, "skipped"));
    sf_inv_source_clear(&src);

    /* NULs, a huge line, and an empty file. */
    size_t big = 4u << 20;
    char *huge = malloc(big);
    memset(huge, 'A', big);
    memcpy(huge, "P:x\nV:", 6);
    huge[100] = '\0';
    assert_int_equal(an_run(&sf_an_apk, "lib/apk/db/installed", 0100644, huge, big, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    sf_inv_source_clear(&src);
    free(huge);
    assert_int_equal(an_run(&sf_an_apk, "lib/apk/db/installed", 0100644, "", 0, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    assert_int_equal(src.status, SF_SRC_PARSED);
    sf_inv_source_clear(&src);
}

static void test_analyzers_apk__wants(void **state)
{
    (void)state;
    sf_entry e = {"lib/apk/db/installed", 10, 0100644};
    assert_true(sf_an_apk.wants(&e));
    e.mode = 0120777; /* a symlink has no content to read */
    assert_false(sf_an_apk.wants(&e));
    e.mode = 0100644;
    e.path = "usr/lib/apk/db/installed";
    assert_false(sf_an_apk.wants(&e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_apk__corpus_matches_ground_truth),
        cmocka_unit_test(test_analyzers_apk__hostile_records),
        cmocka_unit_test(test_analyzers_apk__wants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
