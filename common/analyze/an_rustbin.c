/*
 * an_rustbin: Rust crates compiled into binaries built with
 * cargo-auditable, which embeds the crate graph in the ELF section
 * ".dep-v0" as zlib-compressed JSON:
 *
 *   {"packages":[{"name":"serde","version":"1.0.197","source":"crates.io",
 *                 "kind":"runtime","dependencies":[3,7],"root":false}, ...]}
 *
 * ("kind" absent means runtime; "root" absent means false; "source" is
 * "crates.io", "local", "git", "registry" or another registry's name.)
 *
 * Which files: regular files with an execute bit and an ELF header, as
 * for Go binaries; most have no .dep-v0 and give a parsed source with no
 * package (droppable, see sf_an_source_droppable).
 *
 * What is reported (type SF_PT_CARGO, OSV ecosystem crates.io): every
 * runtime crate whose source is "crates.io", at its version as written.
 * Not reported:
 *  - build-time crates ("kind":"build": build scripts, proc macros): they
 *    run at compile time and are not part of the shipped code;
 *  - the root package and other "local" crates (path dependencies): the
 *    project's own code, with no advisory namespace;
 *  - crates from git or another registry: a crates.io advisory about a
 *    crate of the same name does not apply to them; their number is said
 *    in the source's note so they are never silently lost.
 *
 * Bounds: the compressed section (SF_LIM_RUST_AUDIT_BYTES) and the
 * decompressed JSON (SF_LIM_RUST_AUDIT_JSON, a zlib bomb stops there).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "analyze/an_util.h"
#include "base/json.h"
#include "base/buf.h"
#include "base/limits.h"

static int rustbin_sniff(const sf_entry *e, const uint8_t *h, size_t n)
{
    (void)e;
    return n >= 4 && memcmp(h, "\x7f" "ELF", 4) == 0;
}

/* Inflate the zlib stream in[0..n) into a new buffer of at most max
 * bytes. SF_EPARSE (corrupt or truncated), SF_ELIMIT, SF_ENOMEM. */
static int inflate_capped(const uint8_t *in, size_t n, size_t max, char **out, size_t *outlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return SF_ENOMEM;
    size_t cap = n * 4 < 65536 ? 65536 : n * 4, used = 0;
    if (cap > max)
        cap = max;
    char *buf = malloc(cap + 1), *grown;
    int rc = buf ? SF_EPARSE : SF_ENOMEM, zr = Z_OK;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    while (buf && zr == Z_OK) {
        if (used == cap) {
            if (cap >= max) {
                rc = SF_ELIMIT;
                break;
            }
            cap = cap > max / 2 ? max : cap * 2;
            if (!(grown = realloc(buf, cap + 1))) {
                rc = SF_ENOMEM;
                break;
            }
            buf = grown;
        }
        z.next_out = (Bytef *)buf + used;
        z.avail_out = (uInt)(cap - used);
        zr = inflate(&z, Z_NO_FLUSH);
        used = cap - z.avail_out;
        if (zr == Z_BUF_ERROR && z.avail_out > 0)
            break; /* input ended before the stream did: truncated */
        if (zr == Z_BUF_ERROR)
            zr = Z_OK; /* output full: grow and go on */
    }
    inflateEnd(&z);
    if (zr == Z_STREAM_END) {
        buf[used] = '\0';
        *out = buf;
        *outlen = used;
        return SF_OK;
    }
    free(buf);
    return rc;
}

/* Counters of what one graph held besides the reported crates. */
typedef struct rust_counts {
    size_t skipped; /* malformed entries */
    size_t foreign; /* git / other-registry crates */
} rust_counts;

/* One entry of "packages": add it, or count why not. */
static int add_crate(const json_t *ent, sf_inv_source *src, rust_counts *c, sf_error *err)
{
    const json_t *name = json_object_get(ent, "name"), *ver = json_object_get(ent, "version");
    const json_t *source = json_object_get(ent, "source"), *kind = json_object_get(ent, "kind");
    if (!json_is_object(ent) || !json_is_string(name) || !json_is_string(ver)) {
        c->skipped++;
        return SF_OK;
    }
    if (json_is_string(kind) && strcmp(json_string_value(kind), "build") == 0)
        return SF_OK;
    const char *s = json_is_string(source) ? json_string_value(source) : "";
    if (strcmp(s, "crates.io") != 0) {
        if (strcmp(s, "local") != 0 && !json_is_true(json_object_get(ent, "root")))
            c->foreign++;
        return SF_OK;
    }
    return sf_an_take_named(src, SF_PT_CARGO, json_string_value(name), json_string_length(name),
                            json_string_value(ver), json_string_length(ver), &c->skipped, err);
}

/* Note what was left out (SF_OK, or SF_ENOMEM with err filled). */
int sf_an_rust_note(sf_inv_source *src, size_t skipped, size_t foreign, sf_error *err)
{
    int rc = SF_OK;
    if (skipped && foreign)
        rc = sf_an_note(src, "%zu malformed crate entr%s skipped; %zu crate(s) from git or other "
                        "registries not reported", skipped, skipped == 1 ? "y" : "ies", foreign);
    else if (skipped)
        rc = sf_an_note(src, "%zu malformed crate entr%s skipped", skipped, skipped == 1 ? "y" : "ies");
    else if (foreign)
        rc = sf_an_note(src, "%zu crate(s) from git or other registries not reported", foreign);
    return rc == SF_OK ? SF_OK : sf_error_set(err, rc, "out of memory");
}

int sf_an_rustbin_parse_json(const char *json, size_t len, sf_inv_source *src, sf_error *err)
{
    json_t *root = NULL;
    rust_counts c = {0, 0};
    const char *what = src->path ? src->path : ".dep-v0";
    int rc = sf_jutil_load(&root, json, len, SF_LIM_RUST_AUDIT_JSON, what, err);
    if (rc != SF_OK)
        return rc;
    const json_t *pkgs = json_object_get(root, "packages");
    if (!json_is_array(pkgs)) {
        rc = sf_error_set(err, SF_EPARSE, "%s: cargo-auditable data without a \"packages\" array",
                          what);
        goto done;
    }
    for (size_t i = 0; i < json_array_size(pkgs) && rc == SF_OK; i++)
        rc = add_crate(json_array_get(pkgs, i), src, &c, err);
    if (rc == SF_OK)
        rc = sf_an_rust_note(src, c.skipped, c.foreign, err);
done:
    json_decref(root);
    return rc;
}

static int rustbin_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                         sf_error *err)
{
    uint64_t off = 0, size = 0;
    int has_table;
    char *json = NULL;
    size_t jlen = 0;
    src->status = SF_SRC_PARSED;
    int rc = sf_an_elf_section(data, len, ".dep-v0", &off, &size, &has_table);
    if (rc != SF_OK)
        return SF_OK; /* not built with cargo-auditable (or no section table) */
    if (off > len || size > len - off)
        return sf_error_set(err, SF_EPARSE, "%s: .dep-v0 section lies outside the file", e->path);
    if (size > SF_LIM_RUST_AUDIT_BYTES)
        return sf_error_set(err, SF_ELIMIT, "%s: .dep-v0 section of %llu bytes exceeds %u", e->path,
                            (unsigned long long)size, SF_LIM_RUST_AUDIT_BYTES);
    rc = inflate_capped(data + off, (size_t)size, SF_LIM_RUST_AUDIT_JSON, &json, &jlen);
    if (rc == SF_ELIMIT)
        return sf_error_set(err, rc, "%s: .dep-v0 decompresses past %u bytes", e->path,
                            SF_LIM_RUST_AUDIT_JSON);
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "out of memory");
    if (rc != SF_OK)
        return sf_error_set(err, rc, "%s: .dep-v0 is not a complete zlib stream", e->path);
    rc = sf_an_rustbin_parse_json(json, jlen, src, err);
    free(json);
    return rc;
}

const sf_analyzer sf_an_rustbin = {
    .name = "rustbin",
    .version = 1,
    .max_bytes = SF_LIM_FILE_BYTES, /* as for Go binaries: big ones are reported, not read */
    .wants = sf_an_is_program,
    .sniff = rustbin_sniff,
    .parse = rustbin_parse,
};
