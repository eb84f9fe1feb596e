/* arch: see arch.h. */
#include "base/arch.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>

#include "base/limits.h"

/* Bytes libarchive reads from a file at a time: a tuning, not a bound
 * (large enough that a multi-GiB docker save is not read in crumbs). */
#define ARCH_FILE_BLOCK (256u << 10)

struct sf_arch {
    struct archive *ar;
    uint64_t entries, max_entries;
    uint64_t bytes, max_bytes;
    int64_t cur_size; /* the current entry's declared size, -1: none */
    int strict;
    int at_end; /* libarchive refuses a header call after its end */
};

/* libarchive's message; it may have none to give. */
static const char *why(const sf_arch *a)
{
    const char *s = archive_error_string(a->ar);
    return s ? s : "unknown archive error";
}

typedef struct support {
    unsigned bit;
    int (*enable)(struct archive *);
} support;

static const support formats[] = {
    {SF_ARCH_TAR, archive_read_support_format_tar},
    {SF_ARCH_ZIP, archive_read_support_format_zip_seekable},
    {SF_ARCH_ANY, archive_read_support_format_all},
    {SF_ARCH_RAW, archive_read_support_format_raw},
};
static const support filters[] = {
    {SF_ARCH_GZIP, archive_read_support_filter_gzip},
    {SF_ARCH_ZSTD, archive_read_support_filter_zstd},
    {SF_ARCH_XZ, archive_read_support_filter_xz},
    {SF_ARCH_FILTER_ALL, archive_read_support_filter_all},
};

static int arch_new(sf_arch **out, const sf_arch_opts *o, sf_error *err)
{
    *out = NULL;
    sf_arch *a = calloc(1, sizeof *a);
    if (!a || !(a->ar = archive_read_new())) {
        free(a);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    unsigned fmt = o && o->formats ? o->formats : SF_ARCH_ANY;
    unsigned fil = o ? o->filters : 0;
    if (fil & SF_ARCH_FILTER_ALL) /* each filter registered once */
        fil = SF_ARCH_FILTER_ALL;
    a->max_entries = o && o->max_entries ? o->max_entries : SF_LIM_ARCH_ENTRIES;
    a->max_bytes = o ? o->max_bytes : 0;
    a->strict = o && o->strict;
    a->cur_size = -1;
    /* The support calls only fail for a format or filter this libarchive
     * was built without (or one it would run as an outside program); the
     * open then fails with libarchive's reason, which is the useful one. */
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (fmt & formats[i].bit)
            formats[i].enable(a->ar);
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        if (fil & filters[i].bit)
            filters[i].enable(a->ar);
    *out = a;
    return SF_OK;
}

/* Finish an open that libarchive answered with r: keep a, or free it and
 * fail with code and libarchive's reason. */
static int opened(sf_arch *a, int r, int code, sf_arch **out, sf_error *err)
{
    if (r != ARCHIVE_OK) {
        int rc = sf_error_set(err, code, "%s", why(a));
        sf_arch_free(a);
        return rc;
    }
    *out = a;
    return SF_OK;
}

int sf_arch_open_file(sf_arch **out, const char *path, const sf_arch_opts *o, sf_error *err)
{
    sf_arch *a;
    *out = NULL;
    int rc = arch_new(&a, o, err);
    if (rc != SF_OK)
        return rc;
    return opened(a, archive_read_open_filename(a->ar, path, ARCH_FILE_BLOCK), SF_EIO, out, err);
}

int sf_arch_open_mem(sf_arch **out, const void *data, size_t len, const sf_arch_opts *o,
                     sf_error *err)
{
    sf_arch *a;
    *out = NULL;
    int rc = arch_new(&a, o, err);
    if (rc != SF_OK)
        return rc;
    /* libarchive takes a non-const pointer but only reads through it. */
    return opened(a, archive_read_open_memory(a->ar, (void *)(uintptr_t)data, len), SF_EPARSE,
                  out, err);
}

void sf_arch_free(sf_arch *a)
{
    if (!a)
        return;
    archive_read_free(a->ar);
    free(a);
}

int sf_arch_next(sf_arch *a, sf_arch_entry *e, sf_error *err)
{
    struct archive_entry *ae;
    a->cur_size = -1;
    if (a->at_end)
        return 0;
    int r = archive_read_next_header(a->ar, &ae);
    if (r == ARCHIVE_EOF) {
        a->at_end = 1;
        return 0;
    }
    /* A warning (an undecodable name, an odd extension header) still
     * leaves a usable entry, unless the caller wants none of those. */
    if (r != ARCHIVE_OK && (r != ARCHIVE_WARN || a->strict))
        return sf_error_set(err, SF_EPARSE, "%s", why(a));
    if (++a->entries > a->max_entries)
        return sf_error_set(err, SF_ELIMIT, "more than %llu entries",
                            (unsigned long long)a->max_entries);
    e->path = archive_entry_pathname(ae);
    e->regular = archive_entry_filetype(ae) == AE_IFREG;
    e->size = archive_entry_size_is_set(ae) ? (int64_t)archive_entry_size(ae) : -1;
    a->cur_size = e->size;
    return 1;
}

/* Count n more decompressed bytes against max_bytes. */
static int count(sf_arch *a, size_t n, sf_error *err)
{
    a->bytes += n;
    if (a->max_bytes && a->bytes > a->max_bytes)
        return sf_error_set(err, SF_ELIMIT, "archive too large");
    return SF_OK;
}

/* The zeros of a sparse entry's hole, len bytes, in slices. */
static int holes(sf_arch *a, uint64_t len, sf_arch_sink_fn sink, void *ctx, sf_error *err)
{
    static const char zero[16384];
    while (len) {
        size_t n = len < sizeof zero ? (size_t)len : sizeof zero;
        int rc = count(a, n, err);
        if (rc != SF_OK || (rc = sink(ctx, zero, n)) != SF_OK)
            return rc;
        len -= n;
    }
    return SF_OK;
}

int sf_arch_stream(sf_arch *a, sf_arch_sink_fn sink, void *ctx, sf_error *err)
{
    int64_t pos = 0;
    for (;;) {
        const void *buf;
        size_t n;
        la_int64_t off;
        int r = archive_read_data_block(a->ar, &buf, &n, &off);
        if (r == ARCHIVE_EOF)
            return SF_OK;
        if (r != ARCHIVE_OK)
            return sf_error_set(err, SF_EPARSE, "%s", why(a));
        int rc = SF_OK;
        if (off > pos)
            rc = holes(a, (uint64_t)(off - pos), sink, ctx, err);
        if (rc == SF_OK)
            rc = count(a, n, err);
        if (rc == SF_OK && n)
            rc = sink(ctx, buf, n);
        if (rc != SF_OK)
            return rc;
        if (off + (la_int64_t)n > pos)
            pos = off + (la_int64_t)n;
    }
}

static int to_buf(void *ctx, const void *data, size_t n)
{
    return sf_buf_append(ctx, data, n);
}

int sf_arch_read(sf_arch *a, sf_buf *out, sf_error *err)
{
    size_t room = out->max - out->len;
    if (a->cur_size >= 0 && (uint64_t)a->cur_size > room)
        return sf_error_set(err, SF_ELIMIT, "entry of %lld bytes passes %zu",
                            (long long)a->cur_size, room);
    sf_error se = SF_ERROR_INIT;
    int rc = sf_arch_stream(a, to_buf, out, &se);
    if (rc == SF_OK)
        return SF_OK;
    if (se.code != SF_OK)
        return sf_error_set(err, rc, "%s", se.msg);
    if (rc == SF_ELIMIT)
        return sf_error_set(err, rc, "entry passes %zu bytes", room);
    return sf_error_set(err, rc, "out of memory");
}
