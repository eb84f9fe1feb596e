/*
 * an_util: helpers shared by the package analyzers (an_*.c): a bounded
 * line reader over in-memory text, an RFC822-style field reader (dpkg
 * status, Python METADATA), text validation (package fields end up in
 * JSON, so they must be valid UTF-8 without control characters), and
 * small wrappers that fill an sf_inv_source.
 *
 * Everything here works on untrusted bytes that may hold NULs, invalid
 * UTF-8 or lines of any length; nothing here allocates more than the
 * field it copies.
 */
#ifndef SF_AN_UTIL_H
#define SF_AN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analyzer.h"
#include "analyze/inventory.h"
#include "base/limits.h"
#include "base/pkg.h"

/* Longest package field kept (see SF_LIM_PKG_FIELD). */
#define SF_AN_FIELD_MAX SF_LIM_PKG_FIELD

/* Cursor over the lines of an in-memory text. */
typedef struct sf_an_lines {
    const char *p;   /* next unread byte */
    const char *end; /* one past the last byte */
} sf_an_lines;

/* Start reading data[0..len). */
void sf_an_lines_init(sf_an_lines *r, const uint8_t *data, size_t len);
/* Next line without its "\n" (and a trailing "\r"): 1, or 0 at the end. */
int sf_an_lines_next(sf_an_lines *r, const char **line, size_t *len);

/* One "Key: value" field; value is trimmed and is its first line only
 * (continuation lines are skipped: no kept field is multi-line). */
typedef struct sf_an_field {
    const char *key;
    size_t klen;
    const char *val;
    size_t vlen;
} sf_an_field;

/*
 * Next field of the current RFC822-style stanza: 1 with *f filled, or 0 at
 * the stanza's end (blank line or end of text). Lines without a colon are
 * skipped. Call sf_an_lines_eof() to tell the last stanza from the others.
 */
int sf_an_field_next(sf_an_lines *r, sf_an_field *f);
/* 1 when no bytes are left. */
int sf_an_lines_eof(const sf_an_lines *r);

/* 1 when key of f equals k (ASCII case-insensitive, as RFC822 keys are). */
int sf_an_key_is(const sf_an_field *f, const char *k);

/* Trim ASCII spaces and tabs at both ends of [*s, *s+*n). */
void sf_an_trim(const char **s, size_t *n);

/* 1 when s[0..n) is valid UTF-8 without NULs or control characters. */
int sf_an_text_ok(const char *s, size_t n);

/*
 * Copy a trimmed field into *out (caller frees). Empty gives *out = NULL
 * and SF_OK. SF_EPARSE when the text is not valid UTF-8, holds control
 * characters or is longer than SF_AN_FIELD_MAX; SF_ENOMEM.
 */
int sf_an_dup_field(char **out, const char *s, size_t n);

/* 1 when the entry is a regular file (or its type is unknown). */
int sf_an_is_regular(const sf_entry *e);
/* 1 when path ends with suffix. */
int sf_an_has_suffix(const char *path, const char *suffix);
/* Last path component (borrowed, inside path). */
const char *sf_an_basename(const char *path);

/* 1 when e may be a compiled program worth opening (an_gobin, an_rustbin):
 * a regular file with an execute bit, of 4 KiB or more (smaller than any
 * Go or Rust binary: the Go runtime alone is > 1 MiB, Rust's std ~300
 * KiB), and not named as a shared library ("libx.so", "libx.so.1.2":
 * those are often 0755 and some are huge, GPU runtimes; neither
 * toolchain's programs are built as them). */
int sf_an_is_program(const sf_entry *e);

/* Replace src->note with printf-style text (keeps the old note on ENOMEM). */
int sf_an_note(sf_inv_source *src, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Move p into src (sf_inv_source_take_pkg), refusing past SF_LIM_PACKAGES
 * packages with SF_ELIMIT and err filled (past the layer's package cap the
 * package is dropped and counted instead). p is cleared in every case.
 */
int sf_an_take_pkg(sf_inv_source *src, sf_pkg *p, sf_error *err);

/* For package databases (one record per package): add p, which a record
 * parser has just built and returned rc for. SF_OK: p is taken as by
 * sf_an_take_pkg. SF_ENOMEM: p is cleared, SF_ENOMEM "out of memory".
 * Any other rc means a malformed record: p is cleared, *skipped counted
 * and SF_OK returned so the walk goes on. */
int sf_an_take_built(sf_inv_source *src, int rc, sf_pkg *p, size_t *skipped, sf_error *err);

/* Build p (initialised here) of type from a name and a version (n and vn
 * bytes, copied with sf_an_dup_field): SF_OK; SF_EPARSE when either is
 * missing or unusable; SF_ENOMEM. p owns what was copied in every case
 * (for sf_an_take_built, or the caller's sf_pkg_clear). */
int sf_an_named_pkg(sf_pkg *p, sf_pkg_type type, const char *name, size_t n, const char *ver,
                    size_t vn);

/* For files that describe one package (a gemspec, Python METADATA): p
 * built with rc. SF_OK: src is marked parsed and p taken as by
 * sf_an_take_pkg. Otherwise p is cleared and rc returned: SF_ENOMEM with
 * "out of memory", any other code with err as the caller set it. */
int sf_an_take_single(sf_inv_source *src, int rc, sf_pkg *p, sf_error *err);

/* For records that name a package by a name and a version (n and vn
 * bytes, checked as sf_an_dup_field does): add one of type, as
 * sf_an_take_built does; a name or version that is missing or unusable
 * counts the record in *skipped. SF_OK or SF_ENOMEM. */
int sf_an_take_named(sf_inv_source *src, sf_pkg_type type, const char *name, size_t n,
                     const char *ver, size_t vn, size_t *skipped, sf_error *err);

/* When skipped > 0, note "<skipped> malformed <what>(s) skipped" on src.
 * SF_ENOMEM "out of memory" when the note cannot be made. */
int sf_an_note_skipped(sf_inv_source *src, size_t skipped, const char *what, sf_error *err);

/* Mark src as recognised but not parsed, with a note saying why. */
int sf_an_unparsed(sf_inv_source *src, const char *why);

/*
 * 1 when the walker may drop src from the inventory: a parsed source of
 * a file-per-package analyzer (gobin, java, npm, python) that found
 * nothing and says nothing (most ELF files are not Go binaries). Sources
 * of package databases and OS files are never droppable: an empty dpkg
 * status in a higher layer still replaces the one below.
 */
int sf_an_source_droppable(const sf_inv_source *src);

/* npm: 1 when path is a lockfile the npm analyzer reads (package-lock.json,
 * npm-shrinkwrap.json, yarn.lock outside node_modules). */
int sf_an_npm_is_lockfile(const char *path);
/*
 * npm reconciliation rule for the assembler: 1 when installed_path is an
 * installed package.json inside the node_modules of lock_path's directory
 * (e.g. "app/package-lock.json" and "app/node_modules/x/package.json").
 * When any such package exists in the final image, the lockfile's own
 * packages are dropped: the installed tree is the truth; a lockfile counts
 * only where nothing is installed beside it.
 */
int sf_an_npm_lock_shadowed(const char *lock_path, const char *installed_path);

/* gobin: the stdlib version Go's OSV advisories use for a toolchain
 * version string ("go1.21.3" -> "1.21.3", "go1.20" -> "1.20.0",
 * "go1.21rc2" -> "1.21.0-rc.2"); SF_EPARSE for "devel" and garbage. */
int sf_an_gobin_stdlib_version(const char *gover, size_t n, char *out, size_t outlen);

/* rpm: one header blob (as stored in rpmdb.sqlite) to a package in *out
 * (caller clears it): SF_OK, SF_EPARSE when malformed or incomplete,
 * SF_ENOMEM. Exposed for the fuzz target and tests. */
int sf_an_rpm_header_pkg(const uint8_t *blob, size_t len, sf_pkg *out);

/* ELF (an_elf.c): an unsigned field of size bytes (2, 4 or 8) at p, big
 * endian when be. */
uint64_t sf_an_elf_rd(const uint8_t *p, int size, int be);
/* An ELF file's class and byte order, and one of its header tables. */
typedef struct sf_an_elf {
    int is64, be, w;            /* 64-bit class, big endian, address bytes (8 or 4) */
    uint64_t off, entsize, num; /* the table: file offset, entry size, entries */
} sf_an_elf;
/* Check the ELF identification of d[0..len) and locate its section header
 * table (segments 0) or program header table (segments 1) in *t: SF_OK
 * when the table lies inside the file with entries no smaller than the
 * class needs; SF_EPARSE otherwise (not ELF, or a bad table). */
int sf_an_elf_table(const uint8_t *d, size_t len, int segments, sf_an_elf *t);
/*
 * ELF section lookup by exact name in the section header table of the
 * file d[0..len). SF_OK with the section's raw file offset and size in
 * *off / *size (NOT checked against len: the caller bounds them);
 * SF_ENOTFOUND when the table is valid but has no such section;
 * SF_EPARSE when d is not ELF or has no usable section table. *has_table
 * is 1 when the table (and its string table) lie inside the file.
 */
int sf_an_elf_section(const uint8_t *d, size_t len, const char *name, uint64_t *off, uint64_t *size,
                      int *has_table);

/* rust (an_rustbin.c, an_cargo.c): note on src what a crate graph left
 * out: malformed entries, and crates from git or other registries (not
 * reported). SF_OK or SF_ENOMEM with err filled. */
int sf_an_rust_note(sf_inv_source *src, size_t skipped, size_t foreign, sf_error *err);
/* rustbin: the decompressed .dep-v0 JSON to crates.io packages on src.
 * SF_OK, SF_EPARSE/SF_ELIMIT (err filled), SF_ENOMEM. For the fuzz target. */
int sf_an_rustbin_parse_json(const char *json, size_t len, sf_inv_source *src, sf_error *err);
/* cargo: a Cargo.lock's text to crates.io packages on src. SF_OK or
 * SF_ENOMEM / SF_ELIMIT (err filled); malformed entries are counted. */
int sf_an_cargo_parse_lock(const uint8_t *data, size_t len, sf_inv_source *src, sf_error *err);

/* composer: an installed.json text (Composer 1 or 2) to Packagist
 * packages on src. SF_OK, SF_EPARSE/SF_ELIMIT (err filled), SF_ENOMEM.
 * For the fuzz target and tests. */
int sf_an_composer_parse_json(const char *text, size_t len, sf_inv_source *src, sf_error *err);

/* dotnet: a .deps.json text to NuGet packages on src. SF_OK,
 * SF_EPARSE/SF_ELIMIT (err filled), SF_ENOMEM. For the fuzz target. */
int sf_an_dotnet_parse_json(const char *text, size_t len, sf_inv_source *src, sf_error *err);

/* The analyzers (each defined in its an_<name>.c), for analyzers.c and tests. */
extern const sf_analyzer sf_an_os;
extern const sf_analyzer sf_an_dpkg;
extern const sf_analyzer sf_an_apk;
extern const sf_analyzer sf_an_rpm;
extern const sf_analyzer sf_an_npm;
extern const sf_analyzer sf_an_python;
extern const sf_analyzer sf_an_gobin;
extern const sf_analyzer sf_an_java;
extern const sf_analyzer sf_an_rustbin;
extern const sf_analyzer sf_an_cargo;
extern const sf_analyzer sf_an_gem;
extern const sf_analyzer sf_an_composer;
extern const sf_analyzer sf_an_dotnet;

#endif
