/* Tests of the Go binary analyzer: hand-made ELF files with a
 * .go.buildinfo section (and without section headers), the Go 1.13-1.17
 * pointer format, corrupt build info, and, when a Go toolchain is
 * installed, a real binary built here checked against `go version -m`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"

/* Sentinels framing module info in real binaries (runtime/debug). */
static const char sent_start[] = "0w\xaf\x0c\x92t\x08\x02" "A\xe1\xc1\x07\xe6\xd6\x18\xe6";
static const char sent_end[] = "\xf9" "2C1\x86\x18 r\x00\x82" "B\x10" "A\x16\xd8\xf2";

static size_t put_uvarint(uint8_t *p, size_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/*
 * A little-endian ELF64 file: header, a ".go.buildinfo" section at offset
 * 0x1000 (or no section table when !sections, or the magic misplaced by
 * `shift`), holding the 1.18+ inline build info for version/modinfo.
 */
static uint8_t *make_elf(const char *gover, const char *modinfo, int sections, int flags, size_t shift,
                         size_t *len)
{
    size_t size = 0x3000;
    uint8_t *d = calloc(1, size);
    memcpy(d, "\x7f" "ELF\x02\x01\x01", 7);
    size_t bi = 0x1000 + shift;
    memcpy(d + bi, "\xff Go buildinf:", 14);
    d[bi + 14] = 8;
    d[bi + 15] = (uint8_t)flags;
    size_t o = bi + 32;
    o += put_uvarint(d + o, strlen(gover));
    memcpy(d + o, gover, strlen(gover));
    o += strlen(gover);
    size_t ml = strlen(modinfo) + 32;
    o += put_uvarint(d + o, ml);
    memcpy(d + o, sent_start, 16);
    memcpy(d + o + 16, modinfo, strlen(modinfo));
    memcpy(d + o + 16 + strlen(modinfo), sent_end, 16);
    if (sections) {
        /* section table at 0x2000: [0] null, [1] .shstrtab, [2] .go.buildinfo */
        static const char names[] = "\0.shstrtab\0.go.buildinfo";
        memcpy(d + 0x1f00, names, sizeof names);
        uint64_t shoff = 0x2000;
        memcpy(d + 0x28, &shoff, 8);
        d[0x3a] = 64;
        d[0x3c] = 3;
        d[0x3e] = 1;
        uint8_t *sh = d + 0x2000 + 64;
        uint32_t nm = 1;
        uint64_t off = 0x1f00, sz = sizeof names;
        memcpy(sh, &nm, 4), memcpy(sh + 0x18, &off, 8), memcpy(sh + 0x20, &sz, 8);
        sh += 64;
        nm = 11, off = 0x1000, sz = 0x100;
        memcpy(sh, &nm, 4), memcpy(sh + 0x18, &off, 8), memcpy(sh + 0x20, &sz, 8);
    }
    *len = size;
    return d;
}

static const char modinfo[] = "path\texample.com/app/cmd/app\n"
                              "mod\texample.com/app\t(devel)\t\n"
                              "dep\tgolang.org/x/net\tv0.17.0\th1:abc=\n"
                              "dep\tgithub.com/old/lib\tv1.0.0\th1:x=\n"
                              "=>\tgithub.com/new/lib\tv1.2.3\th1:y=\n"
                              "dep\texample.com/local\tv0.0.0\t\n"
                              "=>\t../local\t\t\n"
                              "build\t-compiler=gc\nbuild\tGOOS=linux\n";

static void check_modules(const sf_inv_source *src, const char *stdlib)
{
    assert_int_equal(src->status, SF_SRC_PARSED);
    assert_int_equal(src->npkgs, 5);
    assert_string_equal(an_pkg(src, "stdlib")->version, stdlib);
    assert_string_equal(an_pkg(src, "example.com/app")->version, "(devel)");
    assert_string_equal(an_pkg(src, "golang.org/x/net")->version, "v0.17.0");
    assert_null(an_pkg(src, "github.com/old/lib"));
    assert_string_equal(an_pkg(src, "github.com/new/lib")->version, "v1.2.3");
    assert_string_equal(an_pkg(src, "example.com/local")->version, "(devel)");
    for (size_t i = 0; i < src->npkgs; i++)
        assert_int_equal(src->pkgs[i].type, SF_PT_GO);
}

static void test_analyzers_gobin__handmade_elf(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    uint8_t *d = make_elf("go1.21.3", modinfo, 1, 2, 0, &len);
    assert_int_equal(an_run(&sf_an_gobin, "usr/local/bin/app", 0100755, d, len, &src, &err), SF_OK);
    check_modules(&src, "1.21.3");
    sf_inv_source_clear(&src);
    free(d);
    /* no section headers: found by scanning for the aligned magic */
    d = make_elf("go1.20 X:boringcrypto", modinfo, 0, 2, 0, &len);
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_OK);
    check_modules(&src, "1.20.0");
    sf_inv_source_clear(&src);
    free(d);
    /* a magic that is not 16-byte aligned is not build info */
    d = make_elf("go1.21.3", modinfo, 0, 2, 8, &len);
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    sf_inv_source_clear(&src);
    free(d);
    /* an ELF section table without .go.buildinfo: not Go, not scanned */
    d = make_elf("go1.21.3", modinfo, 1, 2, 0, &len);
    d[0x1f00 + 23] = 'x'; /* ".go.buildinfo" -> ".go.buildinfx" */
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    sf_inv_source_clear(&src);
    free(d);
    /* pointer format outside ELF (Mach-O): reported, not silently empty */
    d = make_elf("go1.16", modinfo, 0, 0, 0, &len);
    memcpy(d, "\xcf\xfa\xed\xfe", 4);
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_UNPARSED);
    assert_non_null(strstr(src.note, "pointer format"));
    sf_inv_source_clear(&src);
    free(d);
}

static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Go 1.13-1.17 layout: the header holds pointers to string headers; one
 * PT_LOAD segment maps the file at 0x400000. */
static uint8_t *make_elf_ptr(const char *gover, const char *mod, uint64_t mod_len_override, size_t *len)
{
    size_t size = 0x3000;
    uint64_t base = 0x400000;
    uint8_t *d = calloc(1, size);
    memcpy(d, "\x7f" "ELF\x02\x01\x01", 7);
    put64(d + 0x20, 0x40); /* e_phoff */
    d[0x36] = 56;          /* e_phentsize */
    d[0x38] = 1;           /* e_phnum */
    d[0x40] = 1;           /* PT_LOAD */
    put64(d + 0x40 + 0x08, 0);
    put64(d + 0x40 + 0x10, base);
    put64(d + 0x40 + 0x20, size);
    memcpy(d + 0x1000, "\xff Go buildinf:", 14);
    d[0x100e] = 8;
    d[0x100f] = 0;
    put64(d + 0x1010, base + 0x1800);
    put64(d + 0x1018, base + 0x1810);
    put64(d + 0x1800, base + 0x1900);
    put64(d + 0x1808, strlen(gover));
    memcpy(d + 0x1900, gover, strlen(gover));
    put64(d + 0x1810, base + 0x1a00);
    put64(d + 0x1818, mod_len_override ? mod_len_override : strlen(mod) + 32);
    memcpy(d + 0x1a00, sent_start, 16);
    memcpy(d + 0x1a10, mod, strlen(mod));
    memcpy(d + 0x1a10 + strlen(mod), sent_end, 16);
    *len = size;
    return d;
}

static void test_analyzers_gobin__pointer_format(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    uint8_t *d = make_elf_ptr("go1.16.5", modinfo, 0, &len);
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_OK);
    check_modules(&src, "1.16.5");
    sf_inv_source_clear(&src);
    free(d);
    /* a length pointing past the segment, and an unmapped pointer */
    d = make_elf_ptr("go1.16.5", modinfo, 0x100000, &len);
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
    sf_inv_source_clear(&src);
    put64(d + 0x1010, 0x10);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
    sf_inv_source_clear(&src);
    free(d);
}

static void test_analyzers_gobin__stdlib_versions(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"go1.21.3", "1.21.3"},  {"go1.20", "1.20.0"},       {"go1.21rc2", "1.21.0-rc.2"},
        {"go1.9beta1", "1.9.0-beta.1"}, {"go1.22.1 X:nocoverageredesign", "1.22.1"},
        {"devel go1.23-abc", NULL}, {"go", NULL}, {"go1", NULL}, {"go1.2.3.4", NULL}, {"go1.21x", NULL},
        {"go1.21rc", NULL}, {"go1.", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        int rc = sf_an_gobin_stdlib_version(cases[i].in, strlen(cases[i].in), out, sizeof out);
        if (cases[i].out) {
            assert_int_equal(rc, SF_OK);
            assert_string_equal(out, cases[i].out);
        } else {
            assert_int_equal(rc, SF_EPARSE);
        }
    }
}

static void test_analyzers_gobin__corrupt_build_info(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    uint8_t *d = make_elf("go1.21.3", modinfo, 1, 2, 0, &len);
    /* a version length past the end of the file */
    d[0x1000 + 32] = 0xff, d[0x1000 + 33] = 0xff, d[0x1000 + 34] = 0xff, d[0x1000 + 35] = 0x7f;
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
    sf_inv_source_clear(&src);
    /* truncated right after the header, and at every byte of the section table */
    for (size_t cut = 0x1000; cut < len; cut += 7) {
        sf_error_clear(&err);
        an_run(&sf_an_gobin, "app", 0100755, d, cut, &src, &err);
        sf_inv_source_clear(&src);
    }
    free(d);
    /* sniff: only executables with a binary header */
    sf_entry e = {"usr/bin/x", 100000, 0100755};
    assert_true(sf_an_gobin.wants(&e));
    assert_true(sf_an_gobin.sniff(&e, (const uint8_t *)"\x7f" "ELF", 4));
    assert_true(sf_an_gobin.sniff(&e, (const uint8_t *)"\xcf\xfa\xed\xfe", 4));
    assert_false(sf_an_gobin.sniff(&e, (const uint8_t *)"#!/bin/sh\n", 10));
    e.path = "usr/lib/x86_64-linux-gnu/libcudnn.so.8.9.2";
    assert_false(sf_an_gobin.wants(&e));
    e.path = "usr/lib/libx.so";
    assert_false(sf_an_gobin.wants(&e));
    e.path = "usr/bin/x";
    e.mode = 0100644;
    assert_false(sf_an_gobin.wants(&e));
    /* a non-Go ELF: parsed, nothing found, droppable by the walker */
    static const uint8_t plain[64] = "\x7f" "ELF\x02\x01\x01";
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, plain, sizeof plain, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    assert_true(sf_an_source_droppable(&src));
    sf_inv_source_clear(&src);
    /* an empty dpkg status is not: it replaces the database below */
    assert_int_equal(an_run(&sf_an_dpkg, "var/lib/dpkg/status", 0100644, "", 0, &src, &err), SF_OK);
    assert_false(sf_an_source_droppable(&src));
    sf_inv_source_clear(&src);
}

/* Build a real binary with the installed toolchain (skipped without one)
 * and compare with `go version -m`. */
static void test_analyzers_gobin__real_binary(void **state)
{
    (void)state;
    if (system("go version >/dev/null 2>&1") != 0)
        skip();
    char dir[] = "/tmp/sf-an-gobin-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "cd %s && mkdir -p dep && printf 'module example.com/dep\\ngo 1.18\\n' > dep/go.mod && "
             "printf 'package dep\\nfunc X() int { return 1 }\\n' > dep/dep.go && "
             "printf 'module example.com/app\\ngo 1.18\\nrequire example.com/dep v1.0.0\\n"
             "replace example.com/dep => ./dep\\n' > go.mod && "
             "printf 'package main\\nimport \"example.com/dep\"\\nfunc main() { println(dep.X()) }\\n' > main.go && "
             "GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local go build -o app . && go version -m app > info.txt",
             dir);
    if (system(cmd) != 0) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
        skip(); /* a toolchain that cannot build offline */
    }
    char path[512];
    snprintf(path, sizeof path, "%s/app", dir);
    size_t len, ilen;
    char *bin = sf_t_read_file(path, &len);
    snprintf(path, sizeof path, "%s/info.txt", dir);
    char *info = sf_t_read_file(path, &ilen);
    assert_non_null(bin);
    assert_non_null(info);
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_gobin, "app", 0100755, bin, len, &src, &err), SF_OK);
    /* "app: go1.26.8" -> stdlib 1.26.8 */
    char *colon = strstr(info, ": go");
    assert_non_null(colon);
    char want[64];
    size_t vl = strcspn(colon + 2, "\n");
    assert_int_equal(sf_an_gobin_stdlib_version(colon + 2, vl, want, sizeof want), SF_OK);
    assert_string_equal(an_pkg(&src, "stdlib")->version, want);
    assert_string_equal(an_pkg(&src, "example.com/app")->version, "(devel)");
    assert_non_null(strstr(info, "\tdep\texample.com/dep\tv1.0.0"));
    assert_non_null(strstr(info, "\t=>\t./dep"));
    assert_string_equal(an_pkg(&src, "example.com/dep")->version, "(devel)");
    assert_int_equal(src.npkgs, 3);
    sf_inv_source_clear(&src);
    free(bin);
    free(info);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_gobin__handmade_elf),
        cmocka_unit_test(test_analyzers_gobin__pointer_format),
        cmocka_unit_test(test_analyzers_gobin__stdlib_versions),
        cmocka_unit_test(test_analyzers_gobin__corrupt_build_info),
        cmocka_unit_test(test_analyzers_gobin__real_binary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
