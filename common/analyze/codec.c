/* codec: see codec.h. */
#include "analyze/codec.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#ifdef SF_HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

/* ST_START: nothing seen yet; ST_MEMBER: inside a gzip member / zstd
 * frame; ST_BETWEEN: after one; ST_TRAILER: in zero padding at the end. */
typedef enum { ST_START = 0, ST_MEMBER, ST_BETWEEN, ST_TRAILER } codec_state;

struct sf_codec {
    sf_codec_kind kind;
    int use_isal;
    codec_state st;
    z_stream zs;
    int zs_init;
#ifdef SF_HAVE_ISAL
    struct inflate_state *isal;
#endif
    ZSTD_DStream *zd;
};

sf_codec_kind sf_codec_sniff(const uint8_t *h, size_t n)
{
    if (n >= 2 && h[0] == 0x1f && h[1] == 0x8b)
        return SF_CODEC_GZIP;
    if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
        return SF_CODEC_ZSTD;
    return SF_CODEC_NONE;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && memcmp(s + a - b, suf, b) == 0;
}

int sf_codec_from_media_type(const char *mt)
{
    if (!mt || !*mt)
        return -1;
    /* Only image layer types: other tar+gzip artifacts (Helm charts,
     * WASM modules) are not root filesystems. */
    if (strncmp(mt, "application/vnd.oci.image.layer.", 32) != 0 &&
        strncmp(mt, "application/vnd.docker.image.rootfs.", 36) != 0 &&
        strcmp(mt, "application/x-tar") != 0)
        return -1;
    /* OCI: application/vnd.oci.image.layer[.nondistributable].v1.tar[+gzip|+zstd];
     * Docker: application/vnd.docker.image.rootfs[.foreign].diff.tar[.gzip|.zstd]. */
    if (ends_with(mt, "tar+gzip") || ends_with(mt, "tar.gzip"))
        return SF_CODEC_GZIP;
    if (ends_with(mt, "tar+zstd") || ends_with(mt, "tar.zstd"))
        return SF_CODEC_ZSTD;
    if (ends_with(mt, ".tar") || strcmp(mt, "application/x-tar") == 0)
        return SF_CODEC_NONE;
    return -1;
}

const char *sf_codec_name(sf_codec_kind k)
{
    switch (k) {
    case SF_CODEC_GZIP:
        return "gzip";
    case SF_CODEC_ZSTD:
        return "zstd";
    default:
        return "none";
    }
}

const char *sf_codec_impl(const sf_codec *c)
{
    if (c->kind == SF_CODEC_GZIP)
        return c->use_isal ? "isal" : "zlib";
    return sf_codec_name(c->kind);
}

int sf_codec_new(sf_codec **out, sf_codec_kind kind, sf_inflater inflater)
{
    *out = NULL;
    sf_codec *c = calloc(1, sizeof *c);
    if (!c)
        return SF_ENOMEM;
    c->kind = kind;
    if (kind == SF_CODEC_GZIP) {
#ifdef SF_HAVE_ISAL
        c->use_isal = inflater != SF_INFLATE_ZLIB;
#else
        (void)inflater;
#endif
        if (c->use_isal) {
#ifdef SF_HAVE_ISAL
            if (!(c->isal = malloc(sizeof *c->isal)))
                goto fail;
            isal_inflate_init(c->isal);
            c->isal->crc_flag = ISAL_GZIP;
#endif
        } else {
            /* 15 + 16: gzip wrapper only (a zlib or raw stream is not a layer). */
            if (inflateInit2(&c->zs, 15 + 16) != Z_OK)
                goto fail;
            c->zs_init = 1;
        }
    } else if (kind == SF_CODEC_ZSTD) {
        if (!(c->zd = ZSTD_createDStream()))
            goto fail;
        ZSTD_initDStream(c->zd);
    }
    *out = c;
    return SF_OK;
fail:
    sf_codec_free(c);
    return SF_ENOMEM;
}

void sf_codec_free(sf_codec *c)
{
    if (!c)
        return;
    if (c->zs_init)
        inflateEnd(&c->zs);
#ifdef SF_HAVE_ISAL
    free(c->isal);
#endif
    ZSTD_freeDStream(c->zd);
    free(c);
}

/* Between members: skip zero padding; the next byte that is not zero
 * must start a new member of the same format. */
static int between(sf_codec *c, const uint8_t *in, size_t inlen, size_t *consumed, sf_error *err)
{
    size_t i = 0;
    if (c->st == ST_TRAILER) {
        while (i < inlen && in[i] == 0)
            i++;
        *consumed = i;
        if (i < inlen)
            return sf_error_set(err, SF_EPARSE, "%s: garbage after the end of the stream",
                                sf_codec_name(c->kind));
        return SF_OK;
    }
    if (inlen == 0)
        return SF_OK;
    if (in[0] == 0) {
        c->st = ST_TRAILER;
        return between(c, in, inlen, consumed, err);
    }
    /* A new member starts: its magic is checked by the library. */
    c->st = ST_MEMBER;
    if (c->kind == SF_CODEC_GZIP) {
#ifdef SF_HAVE_ISAL
        if (c->use_isal) {
            isal_inflate_reset(c->isal);
            c->isal->crc_flag = ISAL_GZIP;
            return SF_OK;
        }
#endif
        if (inflateReset(&c->zs) != Z_OK)
            return sf_error_set(err, SF_EINTERNAL, "gzip: cannot reset inflater");
    } else {
        ZSTD_DCtx_reset(c->zd, ZSTD_reset_session_only);
    }
    return SF_OK;
}

static int run_zlib(sf_codec *c, const uint8_t *in, size_t inlen, size_t *consumed, uint8_t *out,
                    size_t outcap, size_t *produced, sf_error *err)
{
    /* zlib counts in uInt: feed at most 1 GiB per call. */
    uInt ilen = inlen > (1u << 30) ? (1u << 30) : (uInt)inlen;
    uInt olen = outcap > (1u << 30) ? (1u << 30) : (uInt)outcap;
    c->zs.next_in = (Bytef *)in;
    c->zs.avail_in = ilen;
    c->zs.next_out = out;
    c->zs.avail_out = olen;
    int zr = inflate(&c->zs, Z_NO_FLUSH);
    *consumed = ilen - c->zs.avail_in;
    *produced = olen - c->zs.avail_out;
    if (zr == Z_STREAM_END) {
        c->st = ST_BETWEEN;
        return SF_OK;
    }
    if (zr == Z_OK || zr == Z_BUF_ERROR)
        return SF_OK;
    return sf_error_set(err, SF_EPARSE, "gzip: corrupt stream (%s)",
                        c->zs.msg ? c->zs.msg : "inflate error");
}

#ifdef SF_HAVE_ISAL
static int run_isal(sf_codec *c, const uint8_t *in, size_t inlen, size_t *consumed, uint8_t *out,
                    size_t outcap, size_t *produced, sf_error *err)
{
    uint32_t ilen = inlen > (1u << 30) ? (1u << 30) : (uint32_t)inlen;
    uint32_t olen = outcap > (1u << 30) ? (1u << 30) : (uint32_t)outcap;
    struct inflate_state *s = c->isal;
    s->next_in = (uint8_t *)in;
    s->avail_in = ilen;
    s->next_out = out;
    s->avail_out = olen;
    int r = isal_inflate(s);
    *consumed = ilen - s->avail_in;
    *produced = olen - s->avail_out;
    if (r < 0)
        return sf_error_set(err, SF_EPARSE, "gzip: corrupt stream (isa-l error %d%s)", r,
                            r == ISAL_INCORRECT_CHECKSUM ? ": CRC mismatch" : "");
    if (s->block_state == ISAL_BLOCK_FINISH)
        c->st = ST_BETWEEN;
    return SF_OK;
}
#endif

static int run_zstd(sf_codec *c, const uint8_t *in, size_t inlen, size_t *consumed, uint8_t *out,
                    size_t outcap, size_t *produced, sf_error *err)
{
    ZSTD_inBuffer ib = {in, inlen, 0};
    ZSTD_outBuffer ob = {out, outcap, 0};
    size_t r = ZSTD_decompressStream(c->zd, &ob, &ib);
    *consumed = ib.pos;
    *produced = ob.pos;
    if (ZSTD_isError(r))
        return sf_error_set(err, SF_EPARSE, "zstd: corrupt stream (%s)", ZSTD_getErrorName(r));
    if (r == 0)
        c->st = ST_BETWEEN;
    return SF_OK;
}

int sf_codec_run(sf_codec *c, const uint8_t *in, size_t inlen, size_t *consumed, uint8_t *out,
                 size_t outcap, size_t *produced, sf_error *err)
{
    *consumed = 0;
    *produced = 0;
    if (c->kind == SF_CODEC_NONE) {
        size_t n = inlen < outcap ? inlen : outcap;
        memcpy(out, in, n);
        *consumed = *produced = n;
        return SF_OK;
    }
    if (c->st == ST_START && inlen > 0) {
        c->st = ST_MEMBER;
    } else if (c->st != ST_MEMBER) {
        size_t skip = 0;
        int rc = between(c, in, inlen, &skip, err);
        *consumed = skip;
        /* When a new member starts at in[skip], return so the caller
         * calls again with the rest. */
        return rc;
    }
    if (c->kind == SF_CODEC_ZSTD)
        return run_zstd(c, in, inlen, consumed, out, outcap, produced, err);
#ifdef SF_HAVE_ISAL
    if (c->use_isal)
        return run_isal(c, in, inlen, consumed, out, outcap, produced, err);
#endif
    return run_zlib(c, in, inlen, consumed, out, outcap, produced, err);
}

int sf_codec_end(sf_codec *c, sf_error *err)
{
    if (c->kind == SF_CODEC_NONE)
        return SF_OK;
    if (c->st == ST_START)
        return sf_error_set(err, SF_EPARSE, "%s: empty stream", sf_codec_name(c->kind));
    if (c->st == ST_MEMBER)
        return sf_error_set(err, SF_EPARSE, "%s: truncated stream (ends inside a %s)",
                            sf_codec_name(c->kind),
                            c->kind == SF_CODEC_GZIP ? "member" : "frame");
    return SF_OK;
}
