/*
 * Bounds and links of the scan engine on generated docker-archives
 * (issue 12):
 *  - item 9: a layer whose apk database lists 100,000 packages is scanned
 *    by `scanfarm scan` in a child process; its peak RSS (wait4's
 *    ru_maxrss) stays under 128 MiB and the result says the package cap
 *    was reached;
 *  - item 10: lib/apk/db/installed and var/lib/dpkg/status stored as hard
 *    links (tar type '1') to earlier entries are analysed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <jansson.h>

#include "analyze/scan.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/limits.h"
#include "bus/msg_result.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define SF_T_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SF_T_ASAN 1
#endif
#endif

/* ------------------------------------------------------------ archives */

static la_ssize_t mem_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    return sf_buf_append(ud, buf, n) == SF_OK ? (la_ssize_t)n : -1;
}

static struct archive *tar_open(sf_buf *out)
{
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open2(a, out, NULL, mem_write, NULL, NULL), ARCHIVE_OK);
    return a;
}

/* A regular file, or (link != NULL) a hard link to the earlier entry link. */
static void tar_add(struct archive *a, const char *path, const void *data, size_t n,
                    const char *link)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    if (link)
        archive_entry_set_hardlink(e, link);
    archive_entry_set_size(e, link ? 0 : (la_int64_t)n);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (!link && n)
        assert_int_equal(archive_write_data(a, data, n), (la_ssize_t)n);
    archive_entry_free(e);
}

static void tar_close(struct archive *a)
{
    archive_write_close(a);
    archive_write_free(a);
}

/* Write a one-layer docker-archive with the (uncompressed) layer tar to
 * path. */
static void write_archive(const char *path, const sf_buf *layer)
{
    char diff[SF_DIGEST_MAX], cdg[SF_DIGEST_MAX], cname[SF_DIGEST_MAX + 8];
    assert_int_equal(sf_digest_sha256(layer->data, layer->len, diff), SF_OK);
    char cfg[400];
    snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
             "{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", diff);
    assert_int_equal(sf_digest_sha256(cfg, strlen(cfg), cdg), SF_OK);
    snprintf(cname, sizeof cname, "%s.json", cdg + 7);
    char man[400];
    snprintf(man, sizeof man, "[{\"Config\":\"%s\",\"RepoTags\":[\"t:1\"],\"Layers\":"
             "[\"layer.tar\"]}]", cname);
    sf_buf out;
    sf_buf_init(&out, 0);
    struct archive *a = tar_open(&out);
    tar_add(a, "layer.tar", layer->data, layer->len, NULL);
    tar_add(a, cname, cfg, strlen(cfg), NULL);
    tar_add(a, "manifest.json", man, strlen(man), NULL);
    tar_close(a);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(out.data, 1, out.len, f), out.len);
    fclose(f);
    sf_buf_free(&out);
}

/* ------------------------------------------------------------ item 9 */

/* Run `scanfarm scan docker-archive:<tar> --format json > out`; returns
 * the child's peak RSS in KiB. */
static long scan_child(const char *tar, const char *out)
{
    char ref[300], bin[400];
    snprintf(ref, sizeof ref, "docker-archive:%s", tar);
    snprintf(bin, sizeof bin, "%s/scanfarm", getenv("SF_BIN") ? getenv("SF_BIN") : "bin");
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout))
            _exit(126);
        execl(bin, "scanfarm", "scan", ref, "--format", "json", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    struct rusage ru;
    assert_int_equal(wait4(pid, &st, 0, &ru), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return ru.ru_maxrss;
}

static void test_scan_bounds__apk_100k_packages_rss_and_cap_note(void **state)
{
    (void)state;
    /* 100,000 records as Alpine writes them (name, version, arch, origin,
     * license): 4.6 MiB. */
    sf_buf db, layer;
    sf_buf_init(&db, 0);
    sf_buf_init(&layer, 0);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(sf_buf_printf(&db, "C:Q1%08d=\nP:pkg%d\nV:1.%d-r0\nA:x86_64\no:src%d\n"
                                            "L:MIT\n\n", i, i, i, i / 10),
                         SF_OK);
    struct archive *a = tar_open(&layer);
    tar_add(a, "lib/apk/db/installed", db.data, db.len, NULL);
    tar_close(a);
    char tar[] = "/tmp/sf-bounds-XXXXXX", out[64];
    int fd = mkstemp(tar);
    assert_true(fd >= 0);
    close(fd);
    snprintf(out, sizeof out, "%s.json", tar);
    write_archive(tar, &layer);
    long kib = scan_child(tar, out);
    fprintf(stderr, "peak RSS of the scan: %ld KiB\n", kib);
#ifndef SF_T_ASAN /* ASan's shadow memory and quarantine are no RSS to bound */
    assert_true(kib < 128 * 1024);
#endif
    json_error_t je;
    json_t *r = json_load_file(out, 0, &je);
    assert_non_null(r);
    assert_int_equal(json_array_size(json_object_get(r, "packages")), SF_LIM_INV_PACKAGES);
    json_t *note = json_array_get(json_object_get(r, "notes"), 0);
    assert_string_equal(json_string_value(json_object_get(note, "path")), "lib/apk/db/installed");
    const char *text = json_string_value(json_object_get(note, "note"));
    assert_non_null(text);
    assert_non_null(strstr(text, "package limit per layer reached"));
    assert_non_null(strstr(text, "20000 packages kept, 80000 more not read"));
    json_decref(r);
    unlink(tar);
    unlink(out);
    sf_buf_free(&db);
    sf_buf_free(&layer);
}

/* ------------------------------------------------------------ item 10 */

static const char APK[] = "C:Q1x=\nP:musl\nV:1.1.22-r3\nA:x86_64\n\n"
                          "C:Q1y=\nP:busybox\nV:1.30.1-r2\nA:x86_64\n\n";
static const char DPKG[] = "Package: libc6\nStatus: install ok installed\nSource: glibc\n"
                           "Version: 2.28-10\nArchitecture: amd64\n\n"
                           "Package: zlib1g\nStatus: install ok installed\nSource: zlib\n"
                           "Version: 1:1.2.11.dfsg-1\nArchitecture: amd64\n\n";

static int has(const sf_result *r, const char *name, const char *version)
{
    for (size_t i = 0; i < r->npkgs; i++)
        if (strcmp(r->pkgs[i].name, name) == 0 && strcmp(r->pkgs[i].version, version) == 0)
            return 1;
    return 0;
}

/* Scan the one-layer docker-archive of layer in process (report freed by
 * the caller); the archive file is removed again. */
static sf_scan_report *scan_layer(const sf_buf *layer)
{
    char tar[] = "/tmp/sf-links-XXXXXX";
    int fd = mkstemp(tar);
    assert_true(fd >= 0);
    close(fd);
    write_archive(tar, layer);
    char ref[64];
    snprintf(ref, sizeof ref, "docker-archive:%s", tar);
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    sf_scan_report *rep = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_scan_ref(ref, &o, &rep, &e), SF_OK);
    unlink(tar);
    assert_int_equal(sf_scan_report_result(rep, 0)->error_code, SF_OK);
    return rep;
}

/* The package databases are hard links (tar type '1') to earlier entries
 * of other names, as `ln` plus a layer tar writer produce them. Before
 * the fix: 0 packages. */
static void test_scan_bounds__hard_linked_package_dbs(void **state)
{
    (void)state;
    sf_buf layer;
    sf_buf_init(&layer, 0);
    struct archive *a = tar_open(&layer);
    tar_add(a, "etc/apk/installed.snapshot", APK, sizeof APK - 1, NULL);
    tar_add(a, "usr/share/misc/filler", "not a database\n", 15, NULL);
    tar_add(a, "lib/apk/db/installed", NULL, 0, "etc/apk/installed.snapshot");
    tar_add(a, "var/backups/dpkg.status.0", DPKG, sizeof DPKG - 1, NULL);
    tar_add(a, "var/lib/dpkg/status", NULL, 0, "var/backups/dpkg.status.0");
    tar_close(a);
    sf_scan_report *rep = scan_layer(&layer);
    const sf_result *r = sf_scan_report_result(rep, 0);
    assert_true(has(r, "musl", "1.1.22-r3"));
    assert_true(has(r, "busybox", "1.30.1-r2"));
    assert_true(has(r, "libc6", "2.28-10"));
    assert_true(has(r, "zlib1g", "1:1.2.11.dfsg-1"));
    assert_int_equal(r->npkgs, 4);
    for (size_t i = 0; i < r->npkgs; i++) /* found at the link's path */
        assert_true(strcmp(r->pkgs[i].path, "lib/apk/db/installed") == 0 ||
                    strcmp(r->pkgs[i].path, "var/lib/dpkg/status") == 0);
    sf_scan_report_free(rep);
    sf_buf_free(&layer);
}

/* A link whose target was not kept (it looked like nothing an analyzer
 * reads when it streamed past) is reported on the result, not lost. */
static void test_scan_bounds__unresolved_hard_link_is_noted(void **state)
{
    (void)state;
    sf_buf layer;
    sf_buf_init(&layer, 0);
    struct archive *a = tar_open(&layer);
    tar_add(a, "opt/blob", "# not a package database\nP:x\n", 29, NULL);
    tar_add(a, "lib/apk/db/installed", NULL, 0, "opt/blob");
    tar_add(a, "var/lib/dpkg/status", NULL, 0, "no/such/entry");
    tar_close(a);
    sf_scan_report *rep = scan_layer(&layer);
    const sf_result *r = sf_scan_report_result(rep, 0);
    assert_int_equal(r->npkgs, 0);
    assert_int_equal(r->nnotes, 2);
    for (size_t i = 0; i < r->nnotes; i++) {
        assert_int_equal(r->notes[i].status, 1); /* unparsed */
        assert_non_null(strstr(r->notes[i].note, "hard link to "));
    }
    sf_scan_report_free(rep);
    sf_buf_free(&layer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_bounds__apk_100k_packages_rss_and_cap_note),
        cmocka_unit_test(test_scan_bounds__hard_linked_package_dbs),
        cmocka_unit_test(test_scan_bounds__unresolved_hard_link_is_noted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
