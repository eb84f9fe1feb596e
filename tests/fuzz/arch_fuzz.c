/* Fuzz target of common/base/arch: the first byte picks the reader (tar
 * with the docker-archive filters, zip as an_java opens it, every format
 * and filter as vdb_import opens it, a raw compressed document); the rest
 * is the archive, walked to its end with each entry read into a bounded
 * buffer or streamed. Whatever happens, a read never passes its buffer's
 * bound nor the archive's byte bound, and the reader stops at its entry
 * bound. */
#include <stdint.h>
#include <stdlib.h>

#include "base/arch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENTRY_MAX (1u << 20)
#define TOTAL_MAX (8u << 20)
#define ENTRIES_MAX 1000u

static int counting(void *ctx, const void *d, size_t n)
{
    (void)d;
    *(uint64_t *)ctx += n;
    return SF_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sf_arch_opts kinds[] = {
        {SF_ARCH_TAR, SF_ARCH_GZIP | SF_ARCH_ZSTD | SF_ARCH_XZ, ENTRIES_MAX, TOTAL_MAX, 0},
        {SF_ARCH_ZIP, 0, ENTRIES_MAX, TOTAL_MAX, 0},
        {SF_ARCH_ANY, SF_ARCH_FILTER_ALL, ENTRIES_MAX, TOTAL_MAX, 1},
        {SF_ARCH_RAW, SF_ARCH_FILTER_ALL, ENTRIES_MAX, TOTAL_MAX, 1},
    };
    if (size < 1)
        return 0;
    const sf_arch_opts *o = &kinds[data[0] % 4];
    int stream = (data[0] >> 2) & 1;
    sf_arch *a = NULL;
    sf_error err = SF_ERROR_INIT;
    if (sf_arch_open_mem(&a, data + 1, size - 1, o, &err) != SF_OK) {
        if (a)
            abort();
        return 0;
    }
    sf_arch_entry e;
    uint64_t entries = 0, total = 0;
    int r;
    while ((r = sf_arch_next(a, &e, &err)) == 1) {
        if (++entries > ENTRIES_MAX)
            abort();
        int rc;
        if (stream) {
            rc = sf_arch_stream(a, counting, &total, &err);
        } else {
            sf_buf b;
            sf_buf_init(&b, ENTRY_MAX);
            rc = sf_arch_read(a, &b, &err);
            if (b.len > ENTRY_MAX)
                abort();
            total += b.len;
            sf_buf_free(&b);
        }
        if (total > TOTAL_MAX)
            abort();
        if (rc != SF_OK && rc != SF_ELIMIT && rc != SF_EPARSE && rc != SF_ENOMEM)
            abort();
        if (rc != SF_OK && rc != SF_ELIMIT)
            break;
    }
    if (r < 0 && r != SF_EPARSE && r != SF_ELIMIT)
        abort();
    sf_arch_free(a);
    return 0;
}
