/*
 * codec: streaming decompression of layer blobs (gzip via ISA-L or zlib,
 * zstd via libzstd, or none), with the input pushed in arbitrary chunks
 * and the output pulled into a caller buffer. The layer walker runs one
 * codec per blob; it alone decides when the stream is complete.
 *
 * Gzip streams may hold several members (pigz, concatenated blobs); each
 * member is checked (CRC and size) by the library. Zstd streams may hold
 * several frames. Trailing zero bytes after the last member are accepted
 * (some tools pad), anything else is an error.
 */
#ifndef SF_CODEC_H
#define SF_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef enum sf_codec_kind {
    SF_CODEC_NONE = 0,
    SF_CODEC_GZIP,
    SF_CODEC_ZSTD
} sf_codec_kind;

/* Which gzip inflater to use: ISA-L when built in (about 2x zlib on this
 * hardware, see bench/tools/inflate_bench.c), else zlib. */
typedef enum sf_inflater {
    SF_INFLATE_AUTO = 0,
    SF_INFLATE_ZLIB,
    SF_INFLATE_ISAL
} sf_inflater;

typedef struct sf_codec sf_codec;

/* Kind from the first bytes of a blob (needs >= 4 bytes; fewer = NONE). */
sf_codec_kind sf_codec_sniff(const uint8_t *head, size_t n);
/* Kind a layer media type announces; -1 when the media type is unknown. */
int sf_codec_from_media_type(const char *media_type);
/* "none", "gzip", "zstd". */
const char *sf_codec_name(sf_codec_kind k);

int sf_codec_new(sf_codec **out, sf_codec_kind kind, sf_inflater inflater);
void sf_codec_free(sf_codec *c);

/*
 * Decompress from in[0..inlen) into out[0..outcap). *consumed and
 * *produced report progress (either may be 0 when the other is not).
 * SF_OK, or SF_EPARSE (corrupt stream, with err filled).
 */
int sf_codec_run(sf_codec *c, const uint8_t *in, size_t inlen, size_t *consumed, uint8_t *out,
                 size_t outcap, size_t *produced, sf_error *err);

/* At end of input: SF_OK when the stream ended cleanly, else SF_EPARSE
 * ("truncated gzip stream"). */
int sf_codec_end(sf_codec *c, sf_error *err);

/* Name of the implementation in use ("isal", "zlib", "zstd", "none"). */
const char *sf_codec_impl(const sf_codec *c);

#endif
