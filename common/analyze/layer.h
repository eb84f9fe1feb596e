/*
 * layer: analyse one layer blob in a single streaming pass.
 *
 *   bytes --feed--> SHA-256 (blob digest) --ring--> [walker thread]
 *       decompress (gzip/zstd/none) -> SHA-256 (diff_id) -> libarchive tar
 *       walk -> path normalisation, whiteouts -> analyzers -> inventory
 *
 * The bytes are pushed (sf_layer_feed), so a libcurl write callback, a
 * file read loop or a docker-archive member reader can all drive it. No
 * layer content is ever written anywhere; only files an analyzer wants
 * are held in memory (each capped), so memory stays bounded whatever the
 * layer's size.
 *
 * A layer whose blob or diff_id digest does not match, whose stream is
 * corrupt, or which hits a limit yields an inventory that carries the
 * error (error_code, error) and no sources at all: nothing of a bad layer
 * is kept.
 */
#ifndef SF_LAYER_H
#define SF_LAYER_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/analyzer.h"
#include "analyze/codec.h"
#include "analyze/inventory.h"
#include "base/err.h"

/* Per-layer limits; sf_layer_limits_default() gives limits.h's values.
 * Callers (config, tests) may lower them; values above the hard limits
 * are clamped down to them. 0 means "the default". */
typedef struct sf_layer_limits {
    uint64_t max_bytes;        /* decompressed bytes (SF_LIM_LAYER_BYTES) */
    uint64_t max_entries;      /* tar entries (SF_LIM_LAYER_ENTRIES) */
    uint64_t max_file_bytes;   /* one wanted file (SF_LIM_FILE_BYTES) */
    uint64_t max_ratio;        /* decompressed/compressed (SF_LIM_RATIO) */
    uint64_t ratio_min_bytes;  /* ratio checked past this (SF_LIM_RATIO_MIN_BYTES) */
    uint64_t max_wanted_files; /* files read for analyzers (SF_LIM_WANTED_FILES) */
} sf_layer_limits;

void sf_layer_limits_default(sf_layer_limits *l);

typedef struct sf_layer_opts {
    const char *digest;     /* blob digest to verify, or NULL (not checked) */
    const char *diff_id;    /* digest of the uncompressed tar, or NULL */
    const char *media_type; /* layer media type, or NULL (detect by magic) */
    sf_layer_limits limits; /* zeroes = defaults */
    const sf_analyzer *const *analyzers; /* NULL-terminated table (required) */
    const char *analyzer_version;        /* stored in the inventory; may be NULL */
    sf_inflater inflater;   /* gzip implementation (AUTO = fastest built in) */
} sf_layer_opts;

typedef struct sf_layer sf_layer;

/* Start analysing a layer: spawns the walker thread. */
int sf_layer_new(sf_layer **out, const sf_layer_opts *opts, sf_error *err);

/*
 * Push the next n bytes of the blob. Blocks while the walker is behind
 * (the ring between them is bounded). Returns SF_OK, or the walker's
 * error code once the layer has failed (the caller should stop sending:
 * e.g. abort the download).
 */
int sf_layer_feed(sf_layer *l, const void *data, size_t n);

/* Sink-shaped wrapper of sf_layer_feed (ctx is the sf_layer). */
int sf_layer_sink(void *ctx, const void *data, size_t n);

/*
 * End of the blob: waits for the walker, checks both digests, and hands
 * the inventory to *out (caller frees; NULL only when out of memory).
 * Returns the inventory's error_code: SF_OK, or why the layer failed (the
 * inventory then holds no sources; err gets the same code and message).
 */
int sf_layer_finish(sf_layer *l, sf_inventory **out, sf_error *err);

/* The blob is incomplete (the transfer failed with code/msg): stop the
 * walker; sf_layer_finish then reports this error. */
void sf_layer_abort(sf_layer *l, int code, const char *msg);

/* Stop and free (safe at any time; a running walker is cancelled). */
void sf_layer_free(sf_layer *l);

/* Convenience: analyse a whole blob from a file descriptor / memory. */
int sf_layer_analyze_fd(int fd, const sf_layer_opts *opts, sf_inventory **out, sf_error *err);
int sf_layer_analyze_mem(const void *data, size_t len, const sf_layer_opts *opts,
                         sf_inventory **out, sf_error *err);

/*
 * Normalise a tar path into out (outlen bytes): strip leading "./" and
 * "/", collapse "//" and ".", resolve ".." without climbing above the
 * root, drop a trailing "/". SF_OK; SF_ENOTFOUND when nothing is left
 * (the root itself); SF_ELIMIT when longer than outlen-1 or SF_LIM_PATH.
 */
int sf_layer_path_normalize(const char *in, char *out, size_t outlen);

#endif
