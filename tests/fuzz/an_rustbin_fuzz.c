/* Fuzz target of the cargo-auditable analyzer. The first byte picks what
 * the rest is: 0 a whole file (ELF header, section table, .dep-v0 and its
 * zlib stream all fuzzed), 1 the .dep-v0 payload wrapped in a valid ELF
 * (reaches the inflater and the JSON reader quickly), 2 the decompressed
 * JSON itself. */
#include <stdlib.h>

#include "an_fuzz_common.h"

/* A minimal ELF64 whose only section besides .shstrtab is .dep-v0. */
static uint8_t *wrap_elf(const uint8_t *p, size_t n, size_t *len)
{
    static const char names[] = "\0.shstrtab\0.dep-v0";
    size_t shoff = 0x100 + ((n + 15) & ~(size_t)15), size = shoff + 3 * 64;
    uint8_t *d = calloc(1, size);
    if (!d)
        return NULL;
    memcpy(d, "\x7f" "ELF\x02\x01\x01", 7);
    memcpy(d + 0x40, names, sizeof names);
    if (n)
        memcpy(d + 0x100, p, n);
    uint64_t v = shoff;
    memcpy(d + 0x28, &v, 8);
    d[0x3a] = 64, d[0x3c] = 3, d[0x3e] = 1;
    uint8_t *sh = d + shoff + 64;
    uint32_t nm = 1;
    memcpy(sh, &nm, 4);
    v = 0x40, memcpy(sh + 0x18, &v, 8);
    v = sizeof names, memcpy(sh + 0x20, &v, 8);
    sh += 64;
    nm = 11;
    memcpy(sh, &nm, 4);
    v = 0x100, memcpy(sh + 0x18, &v, 8);
    v = n, memcpy(sh + 0x20, &v, 8);
    *len = size;
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int mode = size ? data[0] % 3 : 0;
    if (size) {
        data++;
        size--;
    }
    if (mode == 0) {
        an_fuzz_run(&sf_an_rustbin, "usr/local/bin/app", 0100755, 0, data, size);
    } else if (mode == 1) {
        size_t len;
        uint8_t *elf = wrap_elf(data, size, &len);
        if (elf)
            an_fuzz_run(&sf_an_rustbin, "usr/local/bin/app", 0100755, 0, elf, len);
        free(elf);
    } else {
        sf_inv_source src;
        memset(&src, 0, sizeof src);
        sf_error err = SF_ERROR_INIT;
        sf_an_rustbin_parse_json((const char *)data, size, &src, &err);
        sf_inv_source_clear(&src);
    }
    return 0;
}
