/*
 * Integration test of the scan engine against the local registry
 * (sf_t_registry(), the stack's) holding the corpus images
 * the stack pushes (corpus/alpine:<version>, corpus/alpine-multiarch,
 * corpus/alpine-zstd, corpus/docker-archive): every Alpine tag's packages
 * equal the ground truth; a manifest list fans out to amd64 and arm64;
 * a zstd layer scans; the pushed docker-archive image gives the same
 * packages as scanning the archive file. Skipped when the registry or
 * the corpus repositories are absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "analyze/scan.h"
#include "bus/msg_result.h"
#include "testutil.h"

#define registry sf_t_registry

/* Scan ref; NULL (test skipped by the caller) when the registry or the
 * repository is not there. */
static sf_scan_report *scan(const char *repo_tag)
{
    char ref[512];
    snprintf(ref, sizeof ref, "%s/%s", registry(), repo_tag);
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    o.max_layer_parallel = 2;
    sf_scan_report *rep = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_scan_ref_insecure(ref, 1, &o, &rep, &e) != SF_OK)
        fail_msg("%s: %s", ref, e.msg);
    int err = sf_scan_report_error(rep, 0);
    if (err == SF_ENET || err == SF_ENOTFOUND || err == SF_ETIMEOUT) {
        fprintf(stderr, "skipping: %s: %s\n", ref, sf_scan_report_result(rep, 0)->error);
        sf_scan_report_free(rep);
        return NULL;
    }
    return rep;
}

static void check_truth(const sf_result *r, const char *image)
{
    if (r->error_code != SF_OK)
        fail_msg("%s: %s", image, r->error);
    json_error_t je;
    json_t *gt = json_load_file(sf_t_corpus("ground-truth/alpine-installed-packages.json"), 0, &je);
    assert_non_null(gt);
    size_t i;
    json_t *img, *want = NULL, *p;
    json_array_foreach(gt, i, img)
    {
        if (strcmp(json_string_value(json_object_get(img, "image")), image) == 0)
            want = json_object_get(img, "packages");
    }
    assert_non_null(want);
    assert_int_equal(r->npkgs, json_array_size(want));
    json_array_foreach(want, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        const char *ver = json_string_value(json_object_get(p, "version"));
        int found = 0;
        for (size_t k = 0; k < r->npkgs && !found; k++)
            found = strcmp(r->pkgs[k].name, name) == 0 && strcmp(r->pkgs[k].version, ver) == 0;
        if (!found)
            fail_msg("%s: %s %s missing", image, name, ver);
    }
    json_decref(gt);
}

static void test_engine_registry__alpine_tags(void **state)
{
    (void)state;
    static const char *tags[] = {"3.6.5", "3.9.6", "3.10.3", "3.10.9", "3.12.12", "3.15.11",
                                 "3.18.9", "3.20.3"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        char rt[128], image[128];
        snprintf(rt, sizeof rt, "corpus/alpine:%s", tags[i]);
        sf_scan_report *rep = scan(rt);
        assert_non_null(rep);
        snprintf(image, sizeof image, "alpine-minirootfs-%s-x86_64.tar.gz", tags[i]);
        check_truth(sf_scan_report_result(rep, 0), image);
        assert_string_equal(sf_scan_report_result(rep, 0)->refs[0] + strlen(registry()) + 1, rt);
        sf_scan_report_free(rep);
    }
}

static void test_engine_registry__multiarch_and_zstd(void **state)
{
    (void)state;
    sf_scan_report *rep = scan("corpus/alpine-multiarch:3.12.12");
    assert_non_null(rep);
    assert_int_equal(sf_scan_report_count(rep), 2);
    for (size_t i = 0; i < 2; i++) {
        const sf_result *r = sf_scan_report_result(rep, i);
        assert_non_null(r->index_digest);
        check_truth(r, strstr(r->platform, "arm64") ? "alpine-minirootfs-3.12.12-aarch64.tar.gz"
                                                    : "alpine-minirootfs-3.12.12-x86_64.tar.gz");
    }
    sf_scan_report_free(rep);
    rep = scan("corpus/alpine-zstd:3.20.3");
    assert_non_null(rep);
    check_truth(sf_scan_report_result(rep, 0), "alpine-minirootfs-3.20.3-x86_64.tar.gz");
    sf_scan_report_free(rep);
}

static void test_engine_registry__pushed_archive_matches_file_scan(void **state)
{
    (void)state;
    sf_scan_report *rep = scan("corpus/docker-archive:alpine-3.10");
    assert_non_null(rep);
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    sf_scan_report *file = NULL;
    sf_error e = SF_ERROR_INIT;
    char ref[4200];
    snprintf(ref, sizeof ref, "docker-archive:%s",
             sf_t_corpus("images/docker-archive/trivy-testdata-alpine-310.docker-archive.tar.gz"));
    assert_int_equal(sf_scan_ref(ref, &o, &file, &e), SF_OK);
    const sf_result *a = sf_scan_report_result(rep, 0), *b = sf_scan_report_result(file, 0);
    assert_int_equal(a->error_code, SF_OK);
    assert_int_equal(a->npkgs, b->npkgs);
    for (size_t i = 0; i < a->npkgs; i++) {
        assert_string_equal(a->pkgs[i].name, b->pkgs[i].name);
        assert_string_equal(a->pkgs[i].version, b->pkgs[i].version);
    }
    assert_string_equal(a->layers[0].diff_id, b->layers[0].diff_id);
    sf_scan_report_free(file);
    sf_scan_report_free(rep);
}

/* The real bookworm-slim rootfs pushed as an image: every package of the
 * corpus's package list, no more. */
static void test_engine_registry__bookworm_slim(void **state)
{
    (void)state;
    sf_scan_report *rep = scan("corpus/debian:bookworm-slim");
    assert_non_null(rep);
    const sf_result *r = sf_scan_report_result(rep, 0);
    if (r->error_code != SF_OK)
        fail_msg("%s", r->error);
    FILE *f = fopen(sf_t_corpus("images/debian/debian-12.15-bookworm-slim-mmdebstrap-amd64.packages.tsv"),
                    "r");
    assert_non_null(f);
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        char *name = line, *ver = strchr(line, '\t');
        if (!ver)
            continue;
        *ver++ = '\0';
        char *end = strchr(ver, '\t');
        if (end)
            *end = '\0';
        n++;
        int found = 0;
        for (size_t k = 0; k < r->npkgs && !found; k++)
            found = strcmp(r->pkgs[k].name, name) == 0 && strcmp(r->pkgs[k].version, ver) == 0;
        if (!found)
            fail_msg("bookworm-slim: %s %s missing", name, ver);
    }
    fclose(f);
    assert_int_equal(r->npkgs, n);
    assert_string_equal(r->os.version_id, "12");
    sf_scan_report_free(rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_registry__alpine_tags),
        cmocka_unit_test(test_engine_registry__multiarch_and_zstd),
        cmocka_unit_test(test_engine_registry__pushed_archive_matches_file_scan),
        cmocka_unit_test(test_engine_registry__bookworm_slim),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
