/* Tests of the Rust analyzers: cargo-auditable binaries (hand-made ELF
 * files with a .dep-v0 section, and /bin/true with one added by objcopy
 * when binutils are installed), Cargo.lock v1 and v3/v4, corrupt and
 * hostile input, and the crates found matched end to end against OSV
 * records (hand-written, and the real RustSec set from the corpus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"

static const char audit_json[] =
    "{\"packages\":["
    "{\"name\":\"app\",\"version\":\"0.1.0\",\"source\":\"local\",\"dependencies\":[1,2,3,4],"
    "\"root\":true},"
    "{\"name\":\"smallvec\",\"version\":\"1.6.0\",\"source\":\"crates.io\"},"
    "{\"name\":\"itoa\",\"version\":\"1.0.11\",\"source\":\"crates.io\",\"kind\":\"runtime\"},"
    "{\"name\":\"cc\",\"version\":\"1.0.83\",\"source\":\"crates.io\",\"kind\":\"build\"},"
    "{\"name\":\"forked\",\"version\":\"0.3.0\",\"source\":\"git\"},"
    "{\"name\":\"helper\",\"version\":\"0.1.0\",\"source\":\"local\"}"
    "]}";

/* zlib-compress text into a new buffer. */
static uint8_t *zcomp(const void *text, size_t n, size_t *out)
{
    uLongf cap = compressBound((uLong)n);
    uint8_t *z = malloc(cap);
    assert_non_null(z);
    assert_int_equal(compress2(z, &cap, text, (uLong)n, 9), Z_OK);
    *out = cap;
    return z;
}

/*
 * A little-endian ELF64 file with a section table: [0] null, [1]
 * .shstrtab, [2] `name` holding payload (plen bytes) at offset 0x1000.
 */
static uint8_t *make_elf(const char *name, const void *payload, size_t plen, size_t *len)
{
    size_t shoff = 0x1000 + ((plen + 15) & ~(size_t)15), size = shoff + 3 * 64;
    uint8_t *d = calloc(1, size);
    memcpy(d, "\x7f" "ELF\x02\x01\x01", 7);
    char names[64] = "\0.shstrtab";
    size_t nlen = strlen(name);
    memcpy(names + 11, name, nlen + 1);
    memcpy(d + 0x800, names, 11 + nlen + 1);
    memcpy(d + 0x1000, payload, plen);
    memcpy(d + 0x28, &(uint64_t){shoff}, 8);
    d[0x3a] = 64;
    d[0x3c] = 3;
    d[0x3e] = 1;
    uint8_t *sh = d + shoff + 64;
    memcpy(sh, &(uint32_t){1}, 4);
    memcpy(sh + 0x18, &(uint64_t){0x800}, 8);
    memcpy(sh + 0x20, &(uint64_t){11 + nlen + 1}, 8);
    sh += 64;
    memcpy(sh, &(uint32_t){11}, 4);
    memcpy(sh + 0x18, &(uint64_t){0x1000}, 8);
    memcpy(sh + 0x20, &(uint64_t){plen}, 8);
    *len = size;
    return d;
}

static uint8_t *make_auditable(const char *json, size_t *len)
{
    size_t zl;
    uint8_t *z = zcomp(json, strlen(json), &zl);
    uint8_t *d = make_elf(".dep-v0", z, zl, len);
    free(z);
    return d;
}

static void check_audit_crates(const sf_inv_source *src)
{
    assert_int_equal(src->status, SF_SRC_PARSED);
    assert_int_equal(src->npkgs, 2);
    assert_string_equal(an_pkg(src, "smallvec")->version, "1.6.0");
    assert_string_equal(an_pkg(src, "itoa")->version, "1.0.11");
    assert_int_equal(an_pkg(src, "itoa")->type, SF_PT_CARGO);
    assert_null(an_pkg(src, "app"));    /* the root: the project itself */
    assert_null(an_pkg(src, "cc"));     /* build-time only */
    assert_null(an_pkg(src, "helper")); /* path dependency */
    assert_null(an_pkg(src, "forked")); /* git: counted, not reported */
    assert_non_null(src->note);
    assert_non_null(strstr(src->note, "1 crate(s) from git"));
}

static void test_analyzers_rust__auditable_elf(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    uint8_t *d = make_auditable(audit_json, &len);
    assert_int_equal(an_run(&sf_an_rustbin, "usr/local/bin/app", 0100755, d, len, &src, &err), SF_OK);
    check_audit_crates(&src);
    assert_false(sf_an_source_droppable(&src));
    sf_inv_source_clear(&src);
    /* the Go analyzer, which reads the same files, finds nothing in it */
    assert_int_equal(an_run(&sf_an_gobin, "usr/local/bin/app", 0100755, d, len, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    sf_inv_source_clear(&src);
    free(d);
    /* an ELF without .dep-v0 (nor a near name): parsed, empty, droppable */
    d = make_elf(".dep-v00", "x", 1, &len);
    assert_int_equal(an_run(&sf_an_rustbin, "usr/bin/x", 0100755, d, len, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    assert_true(sf_an_source_droppable(&src));
    sf_inv_source_clear(&src);
    free(d);
    /* which entries: executables with an ELF head, not shared libraries */
    sf_entry e = {"usr/bin/rg", 100000, 0100755};
    assert_true(sf_an_rustbin.wants(&e));
    assert_true(sf_an_rustbin.sniff(&e, (const uint8_t *)"\x7f" "ELF", 4));
    assert_false(sf_an_rustbin.sniff(&e, (const uint8_t *)"#!/bin/sh", 9));
    e.path = "usr/lib/libfoo.so.1";
    assert_false(sf_an_rustbin.wants(&e));
    e.path = "usr/bin/rg";
    e.mode = 0100644;
    assert_false(sf_an_rustbin.wants(&e));
}

/* A real ELF program (/bin/true) with the section added by objcopy, as
 * cargo-auditable's linker step does; skipped without binutils. */
static void test_analyzers_rust__objcopy_section(void **state)
{
    (void)state;
    if (system("objcopy --version >/dev/null 2>&1") != 0 || access("/bin/true", X_OK) != 0)
        skip();
    char dir[] = "/tmp/sf-an-rust-XXXXXX", path[256], cmd[1024];
    assert_non_null(mkdtemp(dir));
    size_t zl, len;
    uint8_t *z = zcomp(audit_json, strlen(audit_json), &zl);
    snprintf(path, sizeof path, "%s/dep.z", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(z, 1, zl, f), zl);
    fclose(f);
    free(z);
    snprintf(cmd, sizeof cmd,
             "cp /bin/true %s/app && objcopy --add-section .dep-v0=%s/dep.z "
             "--set-section-flags .dep-v0=noload,readonly %s/app",
             dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/app", dir);
    char *bin = sf_t_read_file(path, &len);
    assert_non_null(bin);
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_rustbin, "usr/bin/app", 0100755, bin, len, &src, &err), SF_OK);
    check_audit_crates(&src);
    sf_inv_source_clear(&src);
    free(bin);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static const char lock_v1[] =
    "# This file is automatically @generated by Cargo.\n"
    "[[package]]\n"
    "name = \"app\"\n"
    "version = \"0.1.0\"\n"
    "dependencies = [\n"
    " \"time 0.1.43 (registry+https://github.com/rust-lang/crates.io-index)\",\n"
    "]\n"
    "\n"
    "[[package]]\n"
    "name = \"time\"\n"
    "version = \"0.1.43\"\n"
    "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
    "\n"
    "[metadata]\n"
    "\"checksum time 0.1.43 (registry+https://github.com/rust-lang/crates.io-index)\" = \"ca8a\"\n";

static const char lock_v4[] =
    "version = 4\r\n"
    "\r\n"
    "[[package]]\r\n"
    "name = \"app\"\r\n"
    "version = \"0.1.0\"\r\n"
    "dependencies = [\r\n \"smallvec\",\r\n \"mine\",\r\n]\r\n"
    "[[package]]\r\n"
    "name = 'smallvec'  # literal string\r\n"
    "version = \"1.6.0\"\r\n"
    "source = \"sparse+https://index.crates.io/\"\r\n"
    "checksum = \"fe0f\"\r\n"
    "[[package]]\r\n"
    "name = \"forked\"\r\n"
    "version = \"2.0.0\"\r\n"
    "source = \"git+https://example.com/forked?branch=x#abc\"\r\n"
    "[[package]]\r\n"
    "name = \"private\"\r\n"
    "version = \"1.0.0\"\r\n"
    "source = \"registry+https://crates.example.com/index\"\r\n"
    "[[package]]\r\n"
    "name = \"bad\\u0041\"\r\n"
    "version = \"1.0.0\"\r\n"
    "source = \"sparse+https://index.crates.io/\"\r\n"
    "[[package]]\r\n"
    "name = \"twice\"\r\n"
    "name = \"again\"\r\n"
    "version = \"1.0.0\"\r\n"
    "source = \"sparse+https://index.crates.io/\"\r\n"
    "[[patch.unused]]\r\n"
    "name = \"unused\"\r\n"
    "version = \"9.9.9\"\r\n"
    "source = \"sparse+https://index.crates.io/\"\r\n";

static void test_analyzers_rust__cargo_lock(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_cargo, "app/Cargo.lock", 0100644, lock_v1, strlen(lock_v1), &src,
                            &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_PARSED);
    assert_int_equal(src.npkgs, 1);
    assert_string_equal(an_pkg(&src, "time")->version, "0.1.43");
    assert_int_equal(an_pkg(&src, "time")->type, SF_PT_CARGO);
    assert_null(src.note);
    sf_inv_source_clear(&src);
    assert_int_equal(an_run(&sf_an_cargo, "Cargo.lock", 0100644, lock_v4, strlen(lock_v4), &src, &err),
                     SF_OK);
    assert_int_equal(src.npkgs, 1);
    assert_string_equal(an_pkg(&src, "smallvec")->version, "1.6.0");
    assert_null(an_pkg(&src, "unused"));
    assert_non_null(src.note);
    assert_non_null(strstr(src.note, "2 malformed crate entries"));
    assert_non_null(strstr(src.note, "2 crate(s) from git or other registries"));
    sf_inv_source_clear(&src);
    /* which files */
    sf_entry e = {"usr/src/app/Cargo.lock", 100, 0100644};
    assert_true(sf_an_cargo.wants(&e));
    e.path = "usr/local/cargo/registry/src/index.crates.io-6f17d22bba15001f/rg-14.1.0/Cargo.lock";
    assert_false(sf_an_cargo.wants(&e));
    e.path = "root/.cargo/git/checkouts/x-1/abc/Cargo.lock";
    assert_false(sf_an_cargo.wants(&e));
    e.path = "app/Cargo.toml";
    assert_false(sf_an_cargo.wants(&e));
}

/* Truncated, corrupt and hostile input: an error on the source (never a
 * crash or a leak; the ASan build checks the latter). */
static void test_analyzers_rust__bad_input(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len, zl;
    /* a truncated zlib stream */
    uint8_t *z = zcomp(audit_json, strlen(audit_json), &zl);
    uint8_t *d = make_elf(".dep-v0", z, zl / 2, &len);
    assert_int_equal(an_run(&sf_an_rustbin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
    assert_non_null(strstr(err.msg, "zlib"));
    sf_inv_source_clear(&src);
    free(d);
    /* garbage instead of zlib */
    d = make_elf(".dep-v0", "not zlib at all", 15, &len);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_rustbin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
    sf_inv_source_clear(&src);
    free(d);
    /* a section whose size runs past the end of the file */
    d = make_elf(".dep-v0", z, zl, &len);
    memcpy(d + len - 64 + 0x20, &(uint64_t){1ULL << 40}, 8);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_rustbin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
    assert_non_null(strstr(err.msg, "outside the file"));
    sf_inv_source_clear(&src);
    /* cut at many points: header, section data, section table */
    for (size_t cut = 0; cut < len; cut += 13) {
        sf_error_clear(&err);
        an_run(&sf_an_rustbin, "app", 0100755, d, cut, &src, &err);
        sf_inv_source_clear(&src);
    }
    free(d);
    free(z);
    /* a zlib bomb: 9 MiB of spaces compress to ~9 KiB; inflation stops at the cap */
    size_t big = 9u << 20;
    char *sp = malloc(big);
    memset(sp, ' ', big);
    z = zcomp(sp, big, &zl);
    free(sp);
    assert_true(zl < 65536);
    d = make_elf(".dep-v0", z, zl, &len);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_rustbin, "app", 0100755, d, len, &src, &err), SF_ELIMIT);
    assert_non_null(strstr(err.msg, "decompresses past"));
    sf_inv_source_clear(&src);
    free(d);
    free(z);
    /* valid zlib, wrong JSON */
    static const char *const docs[] = {"[1,2]", "{\"packages\":{}}", "{\"packages\":[", "\"x\"", NULL};
    for (int i = 0; docs[i]; i++) {
        d = make_auditable(docs[i], &len);
        sf_error_clear(&err);
        assert_int_equal(an_run(&sf_an_rustbin, "app", 0100755, d, len, &src, &err), SF_EPARSE);
        sf_inv_source_clear(&src);
        free(d);
    }
    /* entries of the wrong shape are counted, the good one kept */
    d = make_auditable("{\"packages\":[1,{\"name\":7},{\"name\":\"a\\u0001\",\"version\":\"1\","
                       "\"source\":\"crates.io\"},{\"name\":\"ok\",\"version\":\"1.0.0\","
                       "\"source\":\"crates.io\"}]}", &len);
    assert_int_equal(an_run(&sf_an_rustbin, "app", 0100755, d, len, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 1);
    assert_non_null(strstr(src.note, "3 malformed crate entries"));
    sf_inv_source_clear(&src);
    free(d);
    /* Cargo.lock: NUL bytes, and truncation anywhere */
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_cargo, "Cargo.lock", 0100644, "[[package]]\0", 12, &src, &err),
                     SF_EPARSE);
    sf_inv_source_clear(&src);
    for (size_t cut = 0; cut < strlen(lock_v4); cut++) {
        sf_error_clear(&err);
        assert_int_equal(an_run(&sf_an_cargo, "Cargo.lock", 0100644, lock_v4, cut, &src, &err), SF_OK);
        assert_true(src.npkgs <= 1);
        sf_inv_source_clear(&src);
    }
}

/* The OSV records of the end-to-end test, in the OSV schema. */
static const char osv_smallvec[] =
    "{\"schema_version\":\"1.6.0\",\"id\":\"TEST-RUST-0001\",\"modified\":\"2024-01-01T00:00:00Z\","
    "\"aliases\":[\"CVE-2021-25900\"],\"summary\":\"smallvec insert_many overflow\","
    "\"affected\":[{\"package\":{\"ecosystem\":\"crates.io\",\"name\":\"smallvec\"},"
    "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0.3.0\"},{\"fixed\":\"0.6.14\"},"
    "{\"introduced\":\"1.0.0\"},{\"fixed\":\"1.6.1\"}]}]}]}";

/* Match the crates of src against a DB built from the OSV documents. */
static void match_src(const sf_inv_source *src, const char *const *docs, const char *corpus_rel,
                      sf_findings *f)
{
    an_db db;
    an_db_open(&db, docs, corpus_rel);
    an_db_match(&db, src, f);
    an_db_close(&db);
}

static const sf_finding *finding(const sf_findings *f, const char *id, const char *pkg)
{
    for (size_t i = 0; i < f->n; i++)
        if (sf_t_finding_has_id(&f->items[i], id) && strcmp(f->items[i].pkg_name, pkg) == 0)
            return &f->items[i];
    return NULL;
}

static void test_analyzers_rust__osv_match(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    sf_findings f;
    static const char *const docs[] = {osv_smallvec, NULL};
    /* smallvec 1.6.0 from a binary: affected; ecosystem crates.io */
    uint8_t *d = make_auditable(audit_json, &len);
    assert_int_equal(an_run(&sf_an_rustbin, "usr/bin/app", 0100755, d, len, &src, &err), SF_OK);
    free(d);
    match_src(&src, docs, NULL, &f);
    const sf_finding *hit = finding(&f, "TEST-RUST-0001", "smallvec");
    assert_non_null(hit);
    assert_string_equal(hit->ecosystem, "crates.io");
    assert_string_equal(hit->installed, "1.6.0");
    assert_string_equal(hit->fixed, "1.6.1");
    assert_int_equal(f.n, 1);
    sf_findings_clear(&f);
    sf_inv_source_clear(&src);
    /* smallvec 1.6.1 (the fix) and 0.6.14: not affected */
    static const char fixed_json[] =
        "{\"packages\":[{\"name\":\"smallvec\",\"version\":\"1.6.1\",\"source\":\"crates.io\"},"
        "{\"name\":\"smallvec\",\"version\":\"0.6.14\",\"source\":\"crates.io\"},"
        "{\"name\":\"smallvec\",\"version\":\"0.6.9\",\"source\":\"crates.io\"}]}";
    d = make_auditable(fixed_json, &len);
    assert_int_equal(an_run(&sf_an_rustbin, "usr/bin/app", 0100755, d, len, &src, &err), SF_OK);
    free(d);
    match_src(&src, docs, NULL, &f);
    assert_int_equal(f.n, 1);
    assert_string_equal(f.items[0].installed, "0.6.9");
    sf_findings_clear(&f);
    sf_inv_source_clear(&src);
    /* Cargo.lock v1 with time 0.1.43 against the real RustSec set */
    assert_int_equal(an_run(&sf_an_cargo, "Cargo.lock", 0100644, lock_v1, strlen(lock_v1), &src, &err),
                     SF_OK);
    match_src(&src, NULL, "vulndb/osv/rustsec-osv.tar.gz", &f);
    hit = finding(&f, "RUSTSEC-2020-0071", "time");
    assert_non_null(hit);
    assert_string_equal(hit->ecosystem, "crates.io");
    sf_findings_clear(&f);
    sf_inv_source_clear(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_rust__auditable_elf),
        cmocka_unit_test(test_analyzers_rust__objcopy_section),
        cmocka_unit_test(test_analyzers_rust__cargo_lock),
        cmocka_unit_test(test_analyzers_rust__bad_input),
        cmocka_unit_test(test_analyzers_rust__osv_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
