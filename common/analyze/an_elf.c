/*
 * an_elf: the little ELF reading the binary analyzers share (an_gobin
 * finds .go.buildinfo, an_rustbin finds cargo-auditable's .dep-v0): look
 * a section up by name in the section header table.
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

int sf_an_elf_section(const uint8_t *d, size_t len, const char *name, uint64_t *off, uint64_t *size,
                      int *has_table)
{
    *has_table = 0;
    if (len < 64 || memcmp(d, "\x7f" "ELF", 4) != 0 || (d[4] != 1 && d[4] != 2) || (d[5] != 1 && d[5] != 2))
        return SF_EPARSE;
    int is64 = d[4] == 2, be = d[5] == 2, w = is64 ? 8 : 4;
    uint64_t shoff = sf_an_elf_rd(d + (is64 ? 0x28 : 0x20), w, be);
    uint64_t shentsize = sf_an_elf_rd(d + (is64 ? 0x3a : 0x2e), 2, be);
    uint64_t shnum = sf_an_elf_rd(d + (is64 ? 0x3c : 0x30), 2, be);
    uint64_t shstrndx = sf_an_elf_rd(d + (is64 ? 0x3e : 0x32), 2, be);
    uint64_t minent = is64 ? 64 : 40;
    if (shentsize < minent || shnum == 0 || shstrndx >= shnum || shoff > len ||
        shnum > (len - shoff) / shentsize)
        return SF_EPARSE;
    const uint8_t *strsec = d + shoff + shstrndx * shentsize;
    uint64_t stroff = sf_an_elf_rd(strsec + (is64 ? 0x18 : 0x10), w, be);
    uint64_t strsize = sf_an_elf_rd(strsec + (is64 ? 0x20 : 0x14), w, be);
    if (stroff > len || strsize > len - stroff)
        return SF_EPARSE;
    *has_table = 1;
    size_t nlen = strlen(name) + 1; /* with its NUL: ".dep-v0" is not ".dep-v0x" */
    for (uint64_t i = 0; i < shnum; i++) {
        const uint8_t *sh = d + shoff + i * shentsize;
        uint64_t nm = sf_an_elf_rd(sh, 4, be);
        if (nm >= strsize || strsize - nm < nlen || memcmp(d + stroff + nm, name, nlen) != 0)
            continue;
        *off = sf_an_elf_rd(sh + (is64 ? 0x18 : 0x10), w, be);
        *size = sf_an_elf_rd(sh + (is64 ? 0x20 : 0x14), w, be);
        return SF_OK;
    }
    return SF_ENOTFOUND;
}
