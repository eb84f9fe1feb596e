/*
 * an_elf: the little ELF reading the binary analyzers share (an_gobin
 * finds .go.buildinfo, an_rustbin finds cargo-auditable's .dep-v0): the
 * identification and one header table, checked once for both the section
 * lookup here and an_gobin's segment walk, and a section looked up by
 * name in the section header table.
 *
 * Input is an untrusted file in memory: every header field is checked
 * against the file length before it is used, 32/64-bit and both byte
 * orders are read, and nothing is allocated.
 */
#include <string.h>

#include "analyze/an_util.h"

uint64_t sf_an_elf_rd(const uint8_t *p, int size, int be)
{
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v |= (uint64_t)p[be ? i : size - 1 - i] << (8 * (size - 1 - i));
    return v;
}

int sf_an_elf_table(const uint8_t *d, size_t len, int segments, sf_an_elf *t)
{
    if (len < 64 || memcmp(d, "\x7f" "ELF", 4) != 0 || (d[4] != 1 && d[4] != 2) || (d[5] != 1 && d[5] != 2))
        return SF_EPARSE;
    t->is64 = d[4] == 2, t->be = d[5] == 2, t->w = t->is64 ? 8 : 4;
    /* e_shoff/e_shentsize/e_shnum, or e_phoff/e_phentsize/e_phnum */
    static const uint8_t at[2][2][3] = {{{0x20, 0x2e, 0x30}, {0x28, 0x3a, 0x3c}},
                                        {{0x1c, 0x2a, 0x2c}, {0x20, 0x36, 0x38}}};
    static const uint64_t minent[2][2] = {{40, 64}, {32, 56}};
    const uint8_t *a = at[segments != 0][t->is64];
    t->off = sf_an_elf_rd(d + a[0], t->w, t->be);
    t->entsize = sf_an_elf_rd(d + a[1], 2, t->be);
    t->num = sf_an_elf_rd(d + a[2], 2, t->be);
    if (t->entsize < minent[segments != 0][t->is64] || t->off > len ||
        t->num > (len - t->off) / t->entsize)
        return SF_EPARSE;
    return SF_OK;
}

int sf_an_elf_section(const uint8_t *d, size_t len, const char *name, uint64_t *off, uint64_t *size,
                      int *has_table)
{
    sf_an_elf t;
    *has_table = 0;
    if (sf_an_elf_table(d, len, 0, &t) != SF_OK)
        return SF_EPARSE;
    uint64_t shstrndx = sf_an_elf_rd(d + (t.is64 ? 0x3e : 0x32), 2, t.be);
    if (t.num == 0 || shstrndx >= t.num)
        return SF_EPARSE;
    const uint8_t *strsec = d + t.off + shstrndx * t.entsize;
    uint64_t stroff = sf_an_elf_rd(strsec + (t.is64 ? 0x18 : 0x10), t.w, t.be);
    uint64_t strsize = sf_an_elf_rd(strsec + (t.is64 ? 0x20 : 0x14), t.w, t.be);
    if (stroff > len || strsize > len - stroff)
        return SF_EPARSE;
    *has_table = 1;
    size_t nlen = strlen(name) + 1; /* with its NUL: ".dep-v0" is not ".dep-v0x" */
    for (uint64_t i = 0; i < t.num; i++) {
        const uint8_t *sh = d + t.off + i * t.entsize;
        uint64_t nm = sf_an_elf_rd(sh, 4, t.be);
        if (nm >= strsize || strsize - nm < nlen || memcmp(d + stroff + nm, name, nlen) != 0)
            continue;
        *off = sf_an_elf_rd(sh + (t.is64 ? 0x18 : 0x10), t.w, t.be);
        *size = sf_an_elf_rd(sh + (t.is64 ? 0x20 : 0x14), t.w, t.be);
        return SF_OK;
    }
    return SF_ENOTFOUND;
}
