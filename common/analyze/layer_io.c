/*
 * layer_io: the parts of the layer module that need none of its
 * internals: tar path normalisation, and feeding a whole blob from memory
 * or a file descriptor (see layer.h).
 */
#include "analyze/layer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/limits.h"

int sf_layer_path_normalize(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    size_t max = outlen ? outlen - 1 : 0;
    if (max > SF_LIM_PATH)
        max = SF_LIM_PATH;
    if (strnlen(in, SF_LIM_PATH * 4 + 1) > SF_LIM_PATH * 4)
        return SF_ELIMIT;
    const char *p = in;
    while (*p) {
        while (*p == '/')
            p++;
        const char *c = p;
        while (*p && *p != '/')
            p++;
        size_t n = (size_t)(p - c);
        if (n == 0 || (n == 1 && c[0] == '.'))
            continue;
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            /* Up one level, never above the root. */
            while (o > 0 && out[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
            continue;
        }
        size_t need = o + (o ? 1 : 0) + n;
        if (need > max)
            return SF_ELIMIT;
        if (o)
            out[o++] = '/';
        memcpy(out + o, c, n);
        o += n;
    }
    if (outlen)
        out[o] = '\0';
    return o ? SF_OK : SF_ENOTFOUND;
}

int sf_layer_analyze_mem(const void *data, size_t len, const sf_layer_opts *opts,
                         sf_inventory **out, sf_error *err)
{
    sf_layer *l = NULL;
    *out = NULL;
    int rc = sf_layer_new(&l, opts, err);
    if (rc != SF_OK)
        return rc;
    /* Feed in network-sized chunks so tests exercise the ring's wrap. */
    const uint8_t *p = data;
    for (size_t off = 0; off < len;) {
        size_t k = len - off < 65521 ? len - off : 65521;
        if (sf_layer_feed(l, p + off, k) != SF_OK)
            break;
        off += k;
    }
    rc = sf_layer_finish(l, out, err);
    sf_layer_free(l);
    return rc;
}

int sf_layer_analyze_fd(int fd, const sf_layer_opts *opts, sf_inventory **out, sf_error *err)
{
    sf_layer *l = NULL;
    *out = NULL;
    int rc = sf_layer_new(&l, opts, err);
    if (rc != SF_OK)
        return rc;
    uint8_t *buf = malloc(256 << 10);
    if (!buf) {
        sf_layer_abort(l, SF_ENOMEM, "out of memory");
    } else {
        for (;;) {
            ssize_t r = read(fd, buf, 256 << 10);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0) {
                sf_layer_abort(l, SF_EIO, "layer: read failed");
                break;
            }
            if (r == 0 || sf_layer_feed(l, buf, (size_t)r) != SF_OK)
                break;
        }
    }
    free(buf);
    rc = sf_layer_finish(l, out, err);
    sf_layer_free(l);
    return rc;
}
