/*
 * an_cargo: Rust crates from Cargo.lock files (lockfile versions 1 to 4).
 *
 * Every version lists the resolved graph as TOML array-of-tables entries
 *
 *   [[package]]
 *   name = "serde"
 *   version = "1.0.197"
 *   source = "registry+https://github.com/rust-lang/crates.io-index"
 *   checksum = "..."              (v2+; v1 keeps checksums in [metadata])
 *   dependencies = [ "serde_derive", ... ]
 *
 * The file is read as that TOML subset, line by line: a "[[package]]"
 * header opens an entry, any other table header ("[metadata]",
 * "[[patch.unused]]": patches that were not used are not in the graph)
 * closes it, and only the name/version/source keys with basic or literal
 * string values are read; multi-line arrays, comments and other keys are
 * skipped. Nothing is evaluated.
 *
 * Reported (type SF_PT_CARGO, ecosystem crates.io): entries whose source
 * is the crates.io index, in its git ("registry+https://github.com/
 * rust-lang/crates.io-index") or sparse ("sparse+https://index.crates.io/")
 * form. Entries without a source are the workspace's own crates and path
 * dependencies: not reported. Git and other-registry crates are counted
 * in the source's note, not reported (crates.io advisories do not apply).
 * A lockfile also lists dev-dependencies, which Cargo.lock cannot tell
 * apart; they are reported (a known over-report shared with other tools).
 *
 * Which files: Cargo.lock anywhere except inside cargo's own download
 * cache (".../cargo/registry/", ".../cargo/git/"): the lockfiles published
 * inside crates there describe those crates' builds, not the image.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

static int cargo_wants(const sf_entry *e)
{
    if (!sf_an_is_regular(e) || strcmp(sf_an_basename(e->path), "Cargo.lock") != 0)
        return 0;
    return !strstr(e->path, "cargo/registry/") && !strstr(e->path, "cargo/git/");
}

/*
 * A TOML string at s[0..n) (after the '='): "basic" or 'literal'. Basic
 * strings with escapes are refused: no crate name, version or source URL
 * needs one. SF_OK with the value borrowed from s into v and vlen, or
 * SF_EPARSE.
 */
static int toml_string(const char *s, size_t n, const char **v, size_t *vlen)
{
    sf_an_trim(&s, &n);
    if (n < 2 || (s[0] != '"' && s[0] != '\''))
        return SF_EPARSE;
    char q = s[0];
    for (size_t i = 1; i < n; i++) {
        if (q == '"' && s[i] == '\\')
            return SF_EPARSE;
        if (s[i] == q) {
            *v = s + 1;
            *vlen = i - 1;
            return SF_OK;
        }
    }
    return SF_EPARSE;
}

/* One [[package]] entry being read. */
typedef struct lock_ent {
    const char *name, *ver, *source;
    size_t nlen, vlen, slen;
    int open, bad;
} lock_ent;

typedef struct lock_counts {
    size_t skipped, foreign;
} lock_counts;

static int is_crates_io(const char *s, size_t n)
{
    static const char *const idx[] = {"registry+https://github.com/rust-lang/crates.io-index",
                                      "sparse+https://index.crates.io/", NULL};
    for (int i = 0; idx[i]; i++)
        if (n == strlen(idx[i]) && memcmp(s, idx[i], n) == 0)
            return 1;
    return 0;
}

/* Finish the open entry: report it, or count why not. */
static int flush(lock_ent *le, sf_inv_source *src, lock_counts *c, sf_error *err)
{
    if (!le->open)
        return SF_OK;
    le->open = 0;
    if (le->bad || !le->name || !le->ver) {
        c->skipped++;
        return SF_OK;
    }
    if (!le->source)
        return SF_OK; /* a workspace member or path dependency */
    if (!is_crates_io(le->source, le->slen)) {
        c->foreign++;
        return SF_OK;
    }
    return sf_an_take_named(src, SF_PT_CARGO, le->name, le->nlen, le->ver, le->vlen, &c->skipped,
                            err);
}

/* Read one "key = value" line into the open entry. */
static void entry_key(lock_ent *le, const char *line, size_t n)
{
    const char *eq = memchr(line, '=', n);
    if (!eq)
        return;
    const char *k = line, *v;
    size_t kl = (size_t)(eq - line), vl;
    sf_an_trim(&k, &kl);
    const char **dst = NULL;
    size_t *dlen = NULL;
    if (kl == 4 && memcmp(k, "name", 4) == 0)
        dst = &le->name, dlen = &le->nlen;
    else if (kl == 7 && memcmp(k, "version", 7) == 0)
        dst = &le->ver, dlen = &le->vlen;
    else if (kl == 6 && memcmp(k, "source", 6) == 0)
        dst = &le->source, dlen = &le->slen;
    if (!dst)
        return;
    if (*dst || toml_string(eq + 1, (size_t)(line + n - eq - 1), &v, &vl) != SF_OK) {
        le->bad = 1; /* a repeated key or a value that is not a plain string */
        return;
    }
    *dst = v;
    *dlen = vl;
}

int sf_an_cargo_parse_lock(const uint8_t *data, size_t len, sf_inv_source *src, sf_error *err)
{
    sf_an_lines r;
    const char *line;
    size_t n;
    lock_ent le;
    lock_counts c = {0, 0};
    int rc = SF_OK;
    memset(&le, 0, sizeof le);
    sf_an_lines_init(&r, data, len);
    while (rc == SF_OK && sf_an_lines_next(&r, &line, &n)) {
        sf_an_trim(&line, &n);
        if (n == 0 || line[0] == '#')
            continue;
        if (line[0] == '[' && (n < 2 || line[1] != '"')) {
            /* A table header. (A line opening with '[' then '"' would be
             * inside an array; arrays are never at column 0 as values.) */
            rc = flush(&le, src, &c, err);
            if (n >= 11 && memcmp(line, "[[package]]", 11) == 0) {
                memset(&le, 0, sizeof le);
                le.open = 1;
            }
            continue;
        }
        if (le.open)
            entry_key(&le, line, n);
    }
    if (rc == SF_OK)
        rc = flush(&le, src, &c, err);
    if (rc == SF_OK)
        rc = sf_an_rust_note(src, c.skipped, c.foreign, err);
    return rc;
}

static int cargo_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                       sf_error *err)
{
    if (len > SF_LIM_META_FILE_BYTES)
        return sf_error_set(err, SF_ELIMIT, "%s: %zu bytes is too big for a Cargo.lock", e->path,
                            len);
    if (memchr(data, '\0', len))
        return sf_error_set(err, SF_EPARSE, "%s: NUL byte in a Cargo.lock (not TOML)", e->path);
    src->status = SF_SRC_PARSED;
    return sf_an_cargo_parse_lock(data, len, src, err);
}

const sf_analyzer sf_an_cargo = {
    .name = "cargo",
    .version = 1,
    .max_bytes = SF_LIM_META_FILE_BYTES, /* ~100 bytes a crate: 8 MiB is ~80k crates */
    .wants = cargo_wants,
    .sniff = NULL,
    .parse = cargo_parse,
};
