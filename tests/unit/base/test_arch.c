/*
 * base/arch: archives built here with libarchive's writer are read back
 * through sf_arch: a tar (names, kinds, sizes, bytes), a tar.gz from a
 * file, a zip from memory (what an_java reads), the bounds (an entry over
 * the buffer, the whole-archive byte bound, the entry count), truncated
 * archives, and names that try to escape (returned verbatim, nothing
 * written anywhere).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arch.h"

typedef struct tfile {
    const char *name;
    const char *data; /* NULL: a directory */
    size_t len;       /* 0: strlen(data) */
} tfile;

enum { FMT_TAR, FMT_ZIP };

/* An archive of the files in memory (gzip-filtered when gz); caller frees. */
static uint8_t *build(int fmt, int gz, const tfile *f, size_t n, size_t *len)
{
    size_t cap = 1 << 16;
    for (size_t i = 0; i < n; i++)
        cap += (f[i].data ? (f[i].len ? f[i].len : strlen(f[i].data)) : 0) + 2048;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    struct archive *a = archive_write_new();
    if (fmt == FMT_ZIP)
        archive_write_set_format_zip(a);
    else
        archive_write_set_format_pax_restricted(a);
    if (gz)
        archive_write_add_filter_gzip(a);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        size_t l = f[i].data ? (f[i].len ? f[i].len : strlen(f[i].data)) : 0;
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, f[i].name);
        archive_entry_set_filetype(e, f[i].data ? AE_IFREG : AE_IFDIR);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, (la_int64_t)l);
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (l)
            assert_int_equal(archive_write_data(a, f[i].data, l), (la_ssize_t)l);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *len = used;
    return buf;
}

/* Read every entry of a: names joined by '|', regular files' bytes by '|'. */
static int read_all(sf_arch *a, char *names, char *bytes, size_t max, sf_error *err)
{
    sf_arch_entry e;
    int r;
    names[0] = bytes[0] = '\0';
    while ((r = sf_arch_next(a, &e, err)) == 1) {
        strcat(names, e.path);
        strcat(names, e.regular ? "|" : "(dir)|");
        if (!e.regular)
            continue;
        sf_buf b;
        sf_buf_init(&b, max);
        int rc = sf_arch_read(a, &b, err);
        if (rc != SF_OK) {
            sf_buf_free(&b);
            return rc;
        }
        assert_int_equal((int64_t)b.len, e.size);
        strncat(bytes, b.data ? b.data : "", b.len);
        strcat(bytes, "|");
        sf_buf_free(&b);
    }
    return r;
}

/* n bytes of c, for entries of a known size (one buffer: one use at a time). */
static const char *bytes_of(char c, size_t n)
{
    static char buf[300000];
    assert_true(n <= sizeof buf);
    memset(buf, c, n);
    return buf;
}

/* A reader of the formats and filters over len bytes at d; it must open. */
static sf_arch *open_ok(const uint8_t *d, size_t len, unsigned formats, unsigned filters)
{
    sf_arch *a = NULL;
    sf_error err = SF_ERROR_INIT;
    sf_arch_opts o = {.formats = formats, .filters = filters};
    assert_int_equal(sf_arch_open_mem(&a, d, len, &o, &err), SF_OK);
    assert_non_null(a);
    return a;
}

/* read_all to the end of the archive, which must end cleanly; frees a. */
static void walk_ok(sf_arch *a, char *names, char *bytes)
{
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(read_all(a, names, bytes, 1024, &err), 0);
    assert_int_equal(err.code, SF_OK);
    sf_arch_free(a);
}

/* Build an uncompressed archive of f and walk_ok it from memory. */
static void walk_built(int fmt, const tfile *f, size_t n, char *names, char *bytes)
{
    size_t len;
    uint8_t *d = build(fmt, 0, f, n, &len);
    walk_ok(open_ok(d, len, fmt == FMT_ZIP ? SF_ARCH_ZIP : SF_ARCH_TAR, 0), names, bytes);
    free(d);
}

static const tfile three[] = {
    {"etc", NULL, 0},
    {"etc/os-release", "ID=alpine\n", 0},
    {"usr/lib/empty", "", 0},
    {"app/data.json", "{\"k\": 1}", 0},
};

static void test_arch__tar_entries_and_bytes(void **state)
{
    (void)state;
    size_t len;
    uint8_t *tar = build(FMT_TAR, 0, three, 4, &len);
    sf_arch *a = open_ok(tar, len, SF_ARCH_TAR, 0);
    sf_error err = SF_ERROR_INIT;
    char names[512], bytes[512];
    assert_int_equal(read_all(a, names, bytes, 1024, &err), 0);
    assert_string_equal(names, "etc/(dir)|etc/os-release|usr/lib/empty|app/data.json|");
    assert_string_equal(bytes, "ID=alpine\n||{\"k\": 1}|");
    /* The end stays the end. */
    sf_arch_entry e;
    assert_int_equal(sf_arch_next(a, &e, &err), 0);
    assert_int_equal(err.code, SF_OK);
    sf_arch_free(a);
    free(tar);
}

static void test_arch__tar_gz_from_file(void **state)
{
    (void)state;
    size_t len;
    uint8_t *tgz = build(FMT_TAR, 1, three, 4, &len);
    assert_true(tgz[0] == 0x1f && tgz[1] == 0x8b);
    char path[] = "/tmp/sf-arch-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, tgz, len), (ssize_t)len);
    close(fd);
    sf_arch *a = NULL;
    sf_error err = SF_ERROR_INIT;
    sf_arch_opts o = {.formats = SF_ARCH_TAR, .filters = SF_ARCH_GZIP | SF_ARCH_ZSTD};
    assert_int_equal(sf_arch_open_file(&a, path, &o, &err), SF_OK);
    char names[512], bytes[512];
    assert_int_equal(read_all(a, names, bytes, 1024, &err), 0);
    assert_string_equal(names, "etc/(dir)|etc/os-release|usr/lib/empty|app/data.json|");
    assert_string_equal(bytes, "ID=alpine\n||{\"k\": 1}|");
    sf_arch_free(a);
    /* Without the gzip filter the same file is not a tar. */
    sf_arch_opts plain = {.formats = SF_ARCH_TAR};
    a = NULL;
    assert_int_equal(sf_arch_open_file(&a, path, &plain, &err), SF_EIO);
    assert_null(a);
    assert_true(err.msg[0] != '\0');
    /* Nor is a missing file anything. */
    sf_error_clear(&err);
    assert_int_equal(sf_arch_open_file(&a, "/nonexistent/sf-arch.tar", &o, &err), SF_EIO);
    unlink(path);
    free(tgz);
}

static void test_arch__zip_from_memory(void **state)
{
    (void)state;
    static const tfile jar[] = {
        {"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n", 0},
        {"META-INF/maven/g/a/pom.properties", "groupId=g\nartifactId=a\nversion=1\n", 0},
        {"lib/inner.jar", "PK\x05\x06", 4},
    };
    char names[512], bytes[512];
    walk_built(FMT_ZIP, jar, 3, names, bytes);
    assert_string_equal(names,
                        "META-INF/MANIFEST.MF|META-INF/maven/g/a/pom.properties|lib/inner.jar|");
    assert_string_equal(bytes, "Manifest-Version: 1.0\r\n|groupId=g\nartifactId=a\nversion=1\n|PK\x05\x06|");
    sf_arch *a = NULL;
    sf_error err = SF_ERROR_INIT;
    sf_arch_opts o = {.formats = SF_ARCH_ZIP};
    /* A zip-only reader does not take a tar (libarchive may only find
     * out at the first header), nor bytes that are no archive. */
    size_t tlen;
    uint8_t *tar = build(FMT_TAR, 0, three, 4, &tlen);
    sf_arch_entry e;
    int rc = sf_arch_open_mem(&a, tar, tlen, &o, &err);
    if (rc == SF_OK)
        rc = sf_arch_next(a, &e, &err);
    assert_int_equal(rc, SF_EPARSE);
    assert_true(err.msg[0] != '\0');
    sf_arch_free(a);
    static const char junk[] = "this is not an archive at all, just text";
    sf_error_clear(&err);
    rc = sf_arch_open_mem(&a, junk, sizeof junk, &o, &err);
    if (rc == SF_OK)
        rc = sf_arch_next(a, &e, &err);
    assert_int_equal(rc, SF_EPARSE);
    sf_arch_free(a);
    /* A failed open leaves no reader behind. */
    a = (sf_arch *)1;
    assert_int_equal(sf_arch_open_file(&a, "/nonexistent/x.zip", &o, &err), SF_EIO);
    assert_null(a);
    free(tar);
}

static void test_arch__entry_over_the_buffer(void **state)
{
    (void)state;
    const tfile f[] = {{"big", bytes_of('x', 5000), 5000}, {"small", "ok", 0}};
    size_t len;
    uint8_t *tar = build(FMT_TAR, 1, f, 2, &len);
    sf_error err = SF_ERROR_INIT;
    sf_arch *a = open_ok(tar, len, SF_ARCH_TAR, SF_ARCH_GZIP);
    sf_arch_entry e;
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(e.size, 5000);
    sf_buf b;
    sf_buf_init(&b, 4999);
    /* The header says 5000: refused before a byte is read. */
    assert_int_equal(sf_arch_read(a, &b, &err), SF_ELIMIT);
    assert_int_equal(b.len, 0);
    assert_non_null(strstr(err.msg, "5000"));
    sf_buf_free(&b);
    /* The reader goes on with the next entry. */
    sf_error_clear(&err);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_string_equal(e.path, "small");
    sf_buf_init(&b, 2);
    assert_int_equal(sf_arch_read(a, &b, &err), SF_OK);
    assert_memory_equal(b.data, "ok", 2);
    sf_buf_free(&b);
    sf_arch_free(a);

    /* The whole-archive bound counts bytes streamed across entries. */
    sf_arch_opts o = {.formats = SF_ARCH_TAR, .filters = SF_ARCH_GZIP, .max_bytes = 5001};
    assert_int_equal(sf_arch_open_mem(&a, tar, len, &o, &err), SF_OK);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    sf_buf_init(&b, 0);
    assert_int_equal(sf_arch_read(a, &b, &err), SF_OK);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(sf_arch_read(a, &b, &err), SF_ELIMIT);
    assert_string_equal(err.msg, "archive too large");
    sf_buf_free(&b);
    sf_arch_free(a);

    /* And the entry count: the third header is one too many. */
    sf_error_clear(&err);
    const tfile many[] = {{"a", "1", 0}, {"b", "2", 0}, {"c", "3", 0}};
    uint8_t *t3 = build(FMT_TAR, 0, many, 3, &len);
    sf_arch_opts two = {.formats = SF_ARCH_TAR, .max_entries = 2};
    assert_int_equal(sf_arch_open_mem(&a, t3, len, &two, &err), SF_OK);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(sf_arch_next(a, &e, &err), SF_ELIMIT);
    assert_string_equal(err.msg, "more than 2 entries");
    sf_arch_free(a);
    free(t3);
    free(tar);
}

static void test_arch__truncated(void **state)
{
    (void)state;
    const tfile f[] = {{"first", "1", 0}, {"big", bytes_of('y', 3000), 3000}, {"last", "z", 0}};
    size_t len;
    uint8_t *tar = build(FMT_TAR, 0, f, 3, &len);
    /* Cut inside the second entry's data: its read fails. The pax
     * restricted writer puts one 512-byte header before each file here. */
    size_t cut = 512 + 512 + 512 + 1000;
    sf_error err = SF_ERROR_INIT;
    sf_arch *a = open_ok(tar, cut, SF_ARCH_TAR, 0);
    sf_arch_entry e;
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(sf_arch_read(a, &b, &err), SF_OK);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_string_equal(e.path, "big");
    sf_buf_reset(&b);
    assert_int_equal(sf_arch_read(a, &b, &err), SF_EPARSE);
    assert_true(b.len < 3000);
    assert_true(err.msg[0] != '\0');
    sf_buf_free(&b);
    sf_arch_free(a);

    /* Cut inside the third header: the walk fails there, not silently. */
    sf_error_clear(&err);
    cut = 512 + 512 + 512 + 3072 + 100;
    a = open_ok(tar, cut, SF_ARCH_TAR, 0);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    assert_int_equal(sf_arch_next(a, &e, &err), SF_EPARSE);
    sf_arch_free(a);

    /* A tar.gz cut short fails as well (the gzip stream ends early). */
    sf_error_clear(&err);
    uint8_t *tgz = build(FMT_TAR, 1, f, 3, &len);
    sf_arch_opts gz = {.formats = SF_ARCH_TAR, .filters = SF_ARCH_GZIP};
    int r = 1, rc = sf_arch_open_mem(&a, tgz, len / 2, &gz, &err);
    sf_buf_init(&b, 0);
    while (rc == SF_OK && (r = sf_arch_next(a, &e, &err)) == 1)
        rc = sf_arch_read(a, &b, &err);
    assert_true(r == SF_EPARSE || rc == SF_EPARSE);
    assert_true(err.msg[0] != '\0');
    sf_buf_free(&b);
    sf_arch_free(a);
    free(tgz);
    free(tar);
}

static int dir_empty(const char *path)
{
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n == 0;
}

static void test_arch__escaping_names_are_only_names(void **state)
{
    (void)state;
    char dir[] = "/tmp/sf-arch-esc-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[64], outside[96];
    snprintf(sub, sizeof sub, "%s/in", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(outside, sizeof outside, "%s/escaped", dir);
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(sub), 0);
    const tfile f[] = {
        {"../escaped", "parent", 0},
        {"/tmp/sf-arch-absolute-escape", "absolute", 0},
        {"a/../../escaped", "dotdot", 0},
        {"./ok/../../../escaped", "deep", 0},
    };
    char names[512], bytes[512];
    walk_built(FMT_TAR, f, 4, names, bytes);
    assert_int_equal(chdir(cwd), 0);
    /* Names come back as stored, bytes as written ... */
    assert_string_equal(names, "../escaped|/tmp/sf-arch-absolute-escape|a/../../escaped|"
                               "./ok/../../../escaped|");
    assert_string_equal(bytes, "parent|absolute|dotdot|deep|");
    /* ... and nothing reached the disk, inside or outside. */
    struct stat st;
    assert_true(dir_empty(sub));
    assert_int_not_equal(stat(outside, &st), 0);
    assert_int_not_equal(stat("/tmp/sf-arch-absolute-escape", &st), 0);
    rmdir(sub);
    rmdir(dir);
}

typedef struct sink_rec {
    size_t n, calls;
    int fail_at;
} sink_rec;

static int rec_sink(void *ctx, const void *data, size_t n)
{
    (void)data;
    sink_rec *r = ctx;
    if (++r->calls == (size_t)r->fail_at)
        return SF_ECANCELED;
    r->n += n;
    return SF_OK;
}

static void test_arch__stream_to_a_sink(void **state)
{
    (void)state;
    const tfile f[] = {{"layer.tar", bytes_of('q', 300000), 300000}};
    size_t len;
    uint8_t *tar = build(FMT_TAR, 1, f, 1, &len);
    sf_error err = SF_ERROR_INIT;
    sf_arch_entry e;
    sf_arch *a = open_ok(tar, len, SF_ARCH_TAR, SF_ARCH_GZIP);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    sink_rec r = {0, 0, 0};
    assert_int_equal(sf_arch_stream(a, rec_sink, &r, &err), SF_OK);
    assert_int_equal(r.n, 300000);
    sf_arch_free(a);
    /* A sink's failure comes back as its own code, err untouched. */
    a = open_ok(tar, len, SF_ARCH_TAR, SF_ARCH_GZIP);
    assert_int_equal(sf_arch_next(a, &e, &err), 1);
    sink_rec r2 = {0, 0, 1};
    assert_int_equal(sf_arch_stream(a, rec_sink, &r2, &err), SF_ECANCELED);
    assert_int_equal(err.code, SF_OK);
    assert_string_equal(err.msg, "");
    sf_arch_free(a);
    free(tar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arch__tar_entries_and_bytes),
        cmocka_unit_test(test_arch__tar_gz_from_file),
        cmocka_unit_test(test_arch__zip_from_memory),
        cmocka_unit_test(test_arch__entry_over_the_buffer),
        cmocka_unit_test(test_arch__truncated),
        cmocka_unit_test(test_arch__escaping_names_are_only_names),
        cmocka_unit_test(test_arch__stream_to_a_sink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
