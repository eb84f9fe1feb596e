/*
 * an_gobin: Go modules compiled into Go binaries, from the build info the
 * Go linker embeds (what `go version -m` prints).
 *
 * Which files: regular files with an execute bit whose first bytes are an
 * ELF, Mach-O or PE header. Most are not Go binaries; those give a parsed
 * source with no package (the walker may drop such empty gobin sources).
 *
 * Where: the 32-byte header "\xff Go buildinf:" + pointer size + flags,
 * 16-byte aligned at the start of the ELF section .go.buildinfo; without
 * section headers (stripped, Mach-O, PE) the first 16-byte aligned match
 * in the file that parses. Go >= 1.18 (flags bit 2) stores two
 * varint-length strings right after the header: the Go version and the
 * module info. Go 1.13-1.17 store two pointers to Go string headers
 * instead, which we follow through the ELF program headers (PT_LOAD
 * segments map addresses to file offsets); the pointer format in Mach-O
 * and PE files is reported as SF_SRC_UNPARSED with a note.
 *
 * Module info lines: "path", "mod" (main module), "dep" (dependency), "=>"
 * (replacement of the line before), "build" (settings, ignored).
 *
 * What is reported (type SF_PT_GO):
 *  - "stdlib" at the toolchain version in the form Go's OSV advisories
 *    use: "go1.21.3" -> "1.21.3", "go1.20" -> "1.20.0", "go1.21rc2" ->
 *    "1.21.0-rc.2"; experiment suffixes (" X:boringcrypto") are dropped.
 *    A "devel" toolchain gives no stdlib package (nothing to compare).
 *  - the main module at its version as written ("(devel)" kept).
 *  - each dependency at its version as written ("v1.2.3"; the matcher
 *    strips the "v" for OSV). A replacement "=> path version" is reported
 *    instead of the module it replaces; a local replacement (a directory:
 *    "=> ./dep (devel)", or an empty version before Go 1.2x) keeps the
 *    original path with version "(devel)".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

#define BI_MAGIC "\xff Go buildinf:"
#define BI_MAGIC_LEN 14
#define BI_HEADER 32
#define BI_MAX_MODINFO SF_LIM_GO_MODINFO
#define BI_MAX_VERSION SF_LIM_GO_VERSION

static int gobin_sniff(const sf_entry *e, const uint8_t *h, size_t n)
{
    (void)e;
    if (n < 4)
        return 0;
    if (memcmp(h, "\x7f" "ELF", 4) == 0)
        return 1;
    static const uint8_t macho[4][4] = {
        {0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xce, 0xfa, 0xed, 0xfe}, {0xcf, 0xfa, 0xed, 0xfe}};
    for (int i = 0; i < 4; i++)
        if (memcmp(h, macho[i], 4) == 0)
            return 1;
    return h[0] == 'M' && h[1] == 'Z';
}

/* File offset of ELF section ".go.buildinfo", or SIZE_MAX; *has_table is
 * set when the file has a usable section table (then a missing section
 * means "not a Go binary"). */
static size_t elf_buildinfo(const uint8_t *d, size_t len, int *has_table)
{
    uint64_t off, size;
    if (sf_an_elf_section(d, len, ".go.buildinfo", &off, &size, has_table) != SF_OK)
        return SIZE_MAX;
    return off <= len ? (size_t)off : SIZE_MAX;
}

/* Unsigned LEB128 at *p (< end): SF_OK and *p advanced, or SF_EPARSE. */
static int uvarint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return SF_OK;
        }
    }
    return SF_EPARSE;
}

/* The two inline strings after a header at off. */
static int inline_strings(const uint8_t *d, size_t len, size_t off, const char **ver, size_t *vlen,
                          const char **mod, size_t *mlen)
{
    const uint8_t *p = d + off + BI_HEADER, *end = d + len;
    uint64_t n;
    if (uvarint(&p, end, &n) != SF_OK || n > BI_MAX_VERSION || n > (uint64_t)(end - p))
        return SF_EPARSE;
    *ver = (const char *)p;
    *vlen = (size_t)n;
    p += n;
    if (uvarint(&p, end, &n) != SF_OK || n > BI_MAX_MODINFO || n > (uint64_t)(end - p))
        return SF_EPARSE;
    *mod = (const char *)p;
    *mlen = (size_t)n;
    /* Module info is framed by two 16-byte sentinels. */
    if (*mlen >= 33 && (*mod)[*mlen - 17] == '\n') {
        *mod += 16;
        *mlen -= 32;
    }
    return SF_OK;
}

/* Offset of the build info header: .go.buildinfo, else (no ELF section
 * table: stripped ELF, Mach-O, PE) the first aligned magic. SIZE_MAX when
 * none. An ELF file whose section table lacks .go.buildinfo is not a Go
 * >= 1.13 binary and is not scanned: most ELF files are not Go. */
static size_t find_header(const uint8_t *d, size_t len)
{
    int has_table;
    size_t off = elf_buildinfo(d, len, &has_table);
    if (off != SIZE_MAX && len - off >= BI_HEADER && memcmp(d + off, BI_MAGIC, BI_MAGIC_LEN) == 0)
        return off;
    if (has_table)
        return SIZE_MAX;
    const uint8_t *p = d, *end = d + len;
    while (p < end) {
        const uint8_t *m = memmem(p, (size_t)(end - p), BI_MAGIC, BI_MAGIC_LEN);
        if (!m)
            break;
        off = (size_t)(m - d);
        if (off % 16 == 0 && len - off >= BI_HEADER)
            return off;
        p = m + 1;
    }
    return SIZE_MAX;
}

int sf_an_gobin_stdlib_version(const char *gover, size_t n, char *out, size_t outlen)
{
    size_t i = 2, o = 0, dots = 0;
    if (n < 3 || memcmp(gover, "go", 2) != 0 || gover[2] < '0' || gover[2] > '9')
        return SF_EPARSE; /* "devel ..." or not a release */
    const char *sp = memchr(gover, ' ', n);
    if (sp)
        n = (size_t)(sp - gover); /* " X:boringcrypto" and other experiments */
    for (; i < n && ((gover[i] >= '0' && gover[i] <= '9') || gover[i] == '.'); i++) {
        if (o + 1 >= outlen)
            return SF_EPARSE;
        dots += gover[i] == '.';
        out[o++] = gover[i];
    }
    if (dots == 0 || dots > 2 || out[o - 1] == '.')
        return SF_EPARSE;
    const char *pre = NULL;
    size_t plen = 0;
    if (i < n) { /* "rc2" / "beta1" -> "-rc.2" / "-beta.1" */
        plen = n - i >= 2 && memcmp(gover + i, "rc", 2) == 0 ? 2
               : n - i >= 4 && memcmp(gover + i, "beta", 4) == 0 ? 4 : 0;
        if (!plen || i + plen >= n)
            return SF_EPARSE;
        pre = gover + i;
        for (size_t k = i + plen; k < n; k++)
            if (gover[k] < '0' || gover[k] > '9')
                return SF_EPARSE;
    }
    int w = snprintf(out + o, outlen - o, "%s%s%.*s%s%.*s", dots == 1 ? ".0" : "", pre ? "-" : "",
                     (int)plen, pre ? pre : "", pre ? "." : "", pre ? (int)(n - i - plen) : 0,
                     pre ? pre + plen : "");
    return w < 0 || (size_t)w >= outlen - o ? SF_EPARSE : SF_OK;
}

/* Split a tab-separated line into at most 4 fields. */
static size_t split_tabs(const char *line, size_t n, const char **f, size_t *fl)
{
    size_t k = 0;
    const char *p = line, *end = line + n;
    while (k < 4) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        f[k] = p;
        fl[k] = (size_t)((tab ? tab : end) - p);
        k++;
        if (!tab)
            break;
        p = tab + 1;
    }
    return k;
}

/* A module line waiting for a possible "=>" replacement. */
typedef struct pending {
    const char *path, *ver;
    size_t plen, vlen;
    int set;
} pending;

static int flush(sf_inv_source *src, pending *pd, size_t *skipped, sf_error *err)
{
    if (!pd->set)
        return SF_OK;
    pd->set = 0;
    if (pd->vlen == 0) {
        pd->ver = "(devel)";
        pd->vlen = 7;
    }
    return sf_an_take_named(src, SF_PT_GO, pd->path, pd->plen, pd->ver, pd->vlen, skipped, err);
}

static int parse_modinfo(const char *mod, size_t mlen, sf_inv_source *src, size_t *skipped,
                         sf_error *err)
{
    sf_an_lines r;
    const char *line;
    size_t n;
    pending pd = {0};
    int rc = SF_OK;
    sf_an_lines_init(&r, (const uint8_t *)mod, mlen);
    while (rc == SF_OK && sf_an_lines_next(&r, &line, &n)) {
        const char *f[4];
        size_t fl[4] = {0, 0, 0, 0};
        size_t k = split_tabs(line, n, f, fl);
        if (k >= 2 && fl[0] == 2 && memcmp(f[0], "=>", 2) == 0) {
            /* A local directory ("./x", "../x", "/x"; version empty or
             * "(devel)") keeps the original path without a version; a
             * module replacement takes the new path and version. */
            int local = fl[1] == 0 || f[1][0] == '.' || f[1][0] == '/';
            if (pd.set && !local && k >= 3 && fl[2] > 0)
                pd.path = f[1], pd.plen = fl[1], pd.ver = f[2], pd.vlen = fl[2];
            else if (pd.set)
                pd.vlen = 0;
            continue;
        }
        int is_mod = fl[0] == 3 && memcmp(f[0], "mod", 3) == 0;
        int is_dep = fl[0] == 3 && memcmp(f[0], "dep", 3) == 0;
        if (!is_mod && !is_dep)
            continue;
        rc = flush(src, &pd, skipped, err);
        if (k < 2 || fl[1] == 0) {
            (*skipped)++;
            continue;
        }
        pd = (pending){f[1], k >= 3 ? f[2] : "", fl[1], k >= 3 ? fl[2] : 0, 1};
    }
    if (rc == SF_OK)
        rc = flush(src, &pd, skipped, err);
    return rc;
}

/* File offset of need bytes at virtual address addr of an ELF file, via
 * its PT_LOAD segments; SF_EPARSE when unmapped or out of the file. */
static int elf_map(const uint8_t *d, size_t len, uint64_t addr, uint64_t need, size_t *off)
{
    sf_an_elf t;
    if (sf_an_elf_table(d, len, 1, &t) != SF_OK)
        return SF_EPARSE;
    for (uint64_t i = 0; i < t.num; i++) {
        const uint8_t *ph = d + t.off + i * t.entsize;
        if (sf_an_elf_rd(ph, 4, t.be) != 1) /* PT_LOAD */
            continue;
        uint64_t poff = sf_an_elf_rd(ph + (t.is64 ? 0x08 : 0x04), t.w, t.be);
        uint64_t vaddr = sf_an_elf_rd(ph + (t.is64 ? 0x10 : 0x08), t.w, t.be);
        uint64_t filesz = sf_an_elf_rd(ph + (t.is64 ? 0x20 : 0x10), t.w, t.be);
        if (addr < vaddr || addr - vaddr > filesz || need > filesz - (addr - vaddr))
            continue;
        uint64_t o = poff + (addr - vaddr);
        if (o < poff || o > len || need > len - o)
            return SF_EPARSE;
        *off = (size_t)o;
        return SF_OK;
    }
    return SF_EPARSE;
}

/* A Go string header (data pointer, length) at addr, resolved to bytes. */
static int go_string(const uint8_t *d, size_t len, uint64_t addr, int ptr, int be, size_t max,
                     const char **s, size_t *n)
{
    size_t off;
    if (elf_map(d, len, addr, 2 * (uint64_t)ptr, &off) != SF_OK)
        return SF_EPARSE;
    uint64_t sp = sf_an_elf_rd(d + off, ptr, be), sl = sf_an_elf_rd(d + off + ptr, ptr, be);
    if (sl > max)
        return SF_EPARSE;
    *s = "";
    *n = 0;
    if (sl == 0)
        return SF_OK;
    if (elf_map(d, len, sp, sl, &off) != SF_OK)
        return SF_EPARSE;
    *s = (const char *)d + off;
    *n = (size_t)sl;
    return SF_OK;
}

/* The two strings of the Go 1.13-1.17 pointer format (ELF only). */
static int pointer_strings(const uint8_t *d, size_t len, size_t off, const char **ver, size_t *vlen,
                           const char **mod, size_t *mlen)
{
    int ptr = d[off + 14], be = d[off + 15] & 1;
    if ((ptr != 4 && ptr != 8) || len - off < 16 + 2 * (size_t)ptr)
        return SF_EPARSE;
    uint64_t vaddr = sf_an_elf_rd(d + off + 16, ptr, be);
    uint64_t maddr = sf_an_elf_rd(d + off + 16 + ptr, ptr, be);
    if (go_string(d, len, vaddr, ptr, be, BI_MAX_VERSION, ver, vlen) != SF_OK ||
        go_string(d, len, maddr, ptr, be, BI_MAX_MODINFO, mod, mlen) != SF_OK)
        return SF_EPARSE;
    if (*mlen >= 33 && (*mod)[*mlen - 17] == '\n') {
        *mod += 16;
        *mlen -= 32;
    }
    return SF_OK;
}

static int gobin_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                       sf_error *err)
{
    size_t skipped = 0;
    int rc;
    src->status = SF_SRC_PARSED;
    size_t off = find_header(data, len);
    if (off == SIZE_MAX)
        return SF_OK; /* not a Go binary */
    uint8_t flags = data[off + 15];
    const char *ver, *mod;
    size_t vlen, mlen;
    if (!(flags & 2) && memcmp(data, "\x7f" "ELF", 4) != 0) {
        rc = sf_an_unparsed(src, "Go build info in the pre-1.18 pointer format outside ELF, not parsed");
        return rc == SF_OK ? SF_OK : sf_error_set(err, rc, "out of memory");
    }
    if ((flags & 2 ? inline_strings : pointer_strings)(data, len, off, &ver, &vlen, &mod, &mlen) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "%s: truncated or corrupt Go build info", e->path);
    char stdv[64];
    if (sf_an_gobin_stdlib_version(ver, vlen, stdv, sizeof stdv) == SF_OK)
        rc = sf_an_take_named(src, SF_PT_GO, "stdlib", 6, stdv, strlen(stdv), &skipped, err);
    else
        rc = sf_an_note(src, "Go toolchain version not a release; no stdlib package");
    if (rc == SF_OK)
        rc = parse_modinfo(mod, mlen, src, &skipped, err);
    if (rc == SF_OK && skipped)
        rc = sf_an_note(src, "%zu invalid module line(s) skipped", skipped);
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "out of memory");
    return rc;
}

const sf_analyzer sf_an_gobin = {
    .name = "gobin",
    .version = 1,
    .max_bytes = SF_LIM_FILE_BYTES, /* Go binaries reach ~150 MiB (kubelet-like); past the cap they are reported */
    .wants = sf_an_is_program,
    .sniff = gobin_sniff,
    .parse = gobin_parse,
};
