/*
 * arch: the one reader of archive files (tar, tar.gz/zst/xz, zip, a bare
 * compressed document) for the modules that look *inside* one without
 * unpacking it: docker-archive images (analyze/imgsrc), Java archives
 * (analyze/an_java) and advisory archives (vuln/vdb_import). It wraps
 * libarchive behind an open/next/read loop with bounded sizes and errors
 * as codes with a message, so no caller drives libarchive itself.
 *
 * Entry names are only names: nothing here writes to disk, and a name
 * like "../../etc/passwd" or "/abs" is handed back as it is stored, for
 * the caller to compare, never to open.
 *
 * The layer tar streamer (analyze/layer.c) stays on libarchive directly:
 * it feeds libarchive from a ring buffer in a walker thread through custom
 * read callbacks and reads hard-link targets and modes, which this
 * reader's file/memory sources and small entry record do not cover.
 *
 * Threads: an sf_arch belongs to one thread at a time (the caller locks
 * one shared between threads); there is no global state.
 */
#ifndef SF_ARCH_H
#define SF_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

typedef struct sf_arch sf_arch;

/* Container formats to recognise (any mix). */
enum {
    SF_ARCH_TAR = 1u << 0, /* every tar dialect (ustar, pax, GNU) */
    SF_ARCH_ZIP = 1u << 1, /* zip through its central directory (jar, war) */
    SF_ARCH_ANY = 1u << 2, /* every format libarchive reads (zip streamed) */
    SF_ARCH_RAW = 1u << 3  /* no container: one compressed document */
};

/* Compression filters to undo (any mix; none: the bytes are the archive). */
enum {
    SF_ARCH_GZIP = 1u << 0,
    SF_ARCH_ZSTD = 1u << 1,
    SF_ARCH_XZ = 1u << 2,
    SF_ARCH_FILTER_ALL = 1u << 3 /* every filter libarchive has */
};

typedef struct sf_arch_opts {
    unsigned formats;     /* SF_ARCH_TAR ... (0: SF_ARCH_ANY) */
    unsigned filters;     /* SF_ARCH_GZIP ... */
    uint64_t max_entries; /* headers read before SF_ELIMIT (0: SF_LIM_ARCH_ENTRIES) */
    uint64_t max_bytes;   /* decompressed data read over the whole archive
                           * before SF_ELIMIT (0: no bound but the readers') */
    int strict;           /* a header libarchive only warns about is an error */
} sf_arch_opts;

/* One entry's header, valid until the next sf_arch_next or sf_arch_free. */
typedef struct sf_arch_entry {
    const char *path; /* as stored (NULL when it cannot be decoded) */
    int regular;      /* a regular file (not a directory, link, device) */
    int64_t size;     /* bytes the header declares, -1 when it declares none */
} sf_arch_entry;

/* Data sink of sf_arch_stream; non-OK stops the stream. */
typedef int (*sf_arch_sink_fn)(void *ctx, const void *data, size_t n);

/* Open the archive file at path: SF_OK, SF_EIO (cannot open or read it,
 * or no enabled format recognises it), SF_ENOMEM. */
int sf_arch_open_file(sf_arch **out, const char *path, const sf_arch_opts *o, sf_error *err);
/* Open len bytes at data (not copied: they must outlive the reader):
 * SF_OK, SF_EPARSE (not an archive of an enabled format), SF_ENOMEM. */
int sf_arch_open_mem(sf_arch **out, const void *data, size_t len, const sf_arch_opts *o,
                     sf_error *err);
void sf_arch_free(sf_arch *a);

/* Move to the next entry, skipping what is left of the current one:
 * 1 with *e filled, 0 at the end of the archive (and on every call after
 * it), or a negative code:
 * SF_EPARSE (damaged or truncated header), SF_ELIMIT (more than
 * max_entries). After an error the reader is only good for sf_arch_free. */
int sf_arch_next(sf_arch *a, sf_arch_entry *e, sf_error *err);

/* Append the rest of the current entry to out, bounded by out->max:
 * SF_OK; SF_ELIMIT when the entry declares or reaches more than out->max
 * bytes (out then holds a prefix; sf_arch_next skips the rest) or the
 * archive passes max_bytes; SF_EPARSE on damaged or truncated data;
 * SF_ENOMEM. */
int sf_arch_read(sf_arch *a, sf_buf *out, sf_error *err);

/* Stream the rest of the current entry to sink in the reader's own
 * blocks (no copy; holes of a sparse entry come as zeros). SF_EPARSE and
 * SF_ELIMIT as sf_arch_read, with err set; a sink's non-OK code is
 * returned as it is, err untouched (the sink reports its own errors). */
int sf_arch_stream(sf_arch *a, sf_arch_sink_fn sink, void *ctx, sf_error *err);

#endif
