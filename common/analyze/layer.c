/*
 * layer: see layer.h.
 *
 * Why a thread. The bytes of a blob are *pushed* (libcurl's write
 * callback, a docker-archive member loop), but libarchive *pulls* its
 * input through a read callback and keeps its parser state on the stack
 * of archive_read_next_header()/archive_read_data(). Feeding libarchive
 * chunk by chunk with archive_read_open_memory() would restart the parser
 * on every chunk, and writing our own push tar parser would duplicate
 * libarchive's pax/GNU/sparse handling. So each layer gets one walker
 * thread that owns libarchive and pulls from a bounded ring buffer (1 MiB)
 * that the pushing thread fills: memory is bounded by the ring, the
 * decompression buffer and the largest wanted file; the feeder blocks
 * while the ring is full, which is the backpressure the network needs.
 * It also pipelines the work on two cores: the feeder hashes the
 * compressed bytes (blob digest) while the walker inflates, hashes the
 * tar (diff_id) and walks it.
 *
 * Decompression is done here (codec.c), not by libarchive's filters, so
 * that the diff_id hash, the byte and ratio limits, and the choice of
 * inflater (ISA-L) are ours; libarchive only sees a plain tar stream.
 *
 * Why libarchive directly, not base/arch (the reader imgsrc, an_java and
 * vdb_import share). This walker feeds libarchive through its own read
 * callback from the ring (archive_read_open2), reads hard-link targets
 * and modes off each header (layer_entry.c), and reads file data in
 * pieces sized by the analyzers' caps; base/arch opens files and memory
 * only and hands back a small entry record, and widening it to this one
 * caller's needs would make it the libarchive API again.
 *
 * Nothing of a failed layer is kept: on any error the inventory's
 * sources, whiteouts and opaques are dropped and only the error remains.
 */
#include "analyze/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/digest.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/thread.h"

#include "analyze/layer_int.h"


void sf_layer_limits_default(sf_layer_limits *l)
{
    l->max_bytes = SF_LIM_LAYER_BYTES;
    l->max_entries = SF_LIM_LAYER_ENTRIES;
    l->max_file_bytes = SF_LIM_FILE_BYTES;
    l->max_ratio = SF_LIM_RATIO;
    l->ratio_min_bytes = SF_LIM_RATIO_MIN_BYTES;
    l->max_wanted_files = SF_LIM_WANTED_FILES;
}

/* A caller's value, or the default when 0, never above the hard limit. */
static uint64_t lim_pick(uint64_t v, uint64_t hard)
{
    return v == 0 || v > hard ? hard : v;
}

static void limits_resolve(sf_layer_limits *dst, const sf_layer_limits *src)
{
    sf_layer_limits d;
    sf_layer_limits_default(&d);
    dst->max_bytes = lim_pick(src->max_bytes, d.max_bytes);
    dst->max_entries = lim_pick(src->max_entries, d.max_entries);
    dst->max_file_bytes = lim_pick(src->max_file_bytes, d.max_file_bytes);
    dst->max_ratio = lim_pick(src->max_ratio, d.max_ratio);
    /* The ratio threshold may be lowered (tests) but is not a hard cap. */
    dst->ratio_min_bytes = src->ratio_min_bytes ? src->ratio_min_bytes : d.ratio_min_bytes;
    dst->max_wanted_files = lim_pick(src->max_wanted_files, d.max_wanted_files);
}

/* ------------------------------------------------------------ ring */

/* Walker: wait for at least min bytes (or the end of input); p and n =
 * contiguous readable bytes (n == 0 at end of input). SF_ECANCELED when the layer was aborted. */
static int ring_peek(sf_layer *l, size_t min, const uint8_t **p, size_t *n)
{
    pthread_mutex_lock(&l->mu);
    while (l->rlen < min && !l->eof && !l->cancel)
        pthread_cond_wait(&l->cv_data, &l->mu);
    int cancel = l->cancel;
    size_t head = l->rhead, len = l->rlen;
    pthread_mutex_unlock(&l->mu);
    if (cancel)
        return sf_error_set(&l->werr, SF_ECANCELED, "layer: analysis cancelled");
    *p = l->ring + head;
    *n = len < RING_BYTES - head ? len : RING_BYTES - head;
    return SF_OK;
}

static void ring_release(sf_layer *l, size_t n)
{
    if (n == 0)
        return;
    pthread_mutex_lock(&l->mu);
    l->rhead = (l->rhead + n) % RING_BYTES;
    l->rlen -= n;
    pthread_cond_signal(&l->cv_space);
    pthread_mutex_unlock(&l->mu);
}

/* Walker: choose the codec once the first bytes are there. The media
 * type says what to expect; the magic bytes must agree. */
static int pick_codec(sf_layer *l, const uint8_t *p, size_t n)
{
    sf_codec_kind magic = sf_codec_sniff(p, n);
    int announced = sf_codec_from_media_type(l->media_type);
    if (announced == SF_CODEC_GZIP || announced == SF_CODEC_ZSTD) {
        if (magic != (sf_codec_kind)announced)
            return sf_error_set(&l->werr, SF_EPARSE,
                                "layer: media type %s announces %s but the blob is %s",
                                l->media_type, sf_codec_name((sf_codec_kind)announced),
                                magic == SF_CODEC_NONE ? "not compressed" : sf_codec_name(magic));
    } else if (announced == SF_CODEC_NONE && magic != SF_CODEC_NONE) {
        /* docker save and some registries compress "tar" layers: follow
         * the content, which the diff_id check still pins down. */
        SF_DEBUG("layer", "media type says uncompressed tar, content is %s",
                 sf_codec_name(magic));
    }
    if (sf_codec_new(&l->codec, magic, l->inflater) != SF_OK)
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    return SF_OK;
}

static int check_limits(sf_layer *l)
{
    if (l->out_bytes > l->lim.max_bytes)
        return sf_error_set(&l->werr, SF_ELIMIT,
                            "layer: decompressed size exceeds the limit of %llu bytes",
                            (unsigned long long)l->lim.max_bytes);
    if (l->out_bytes >= l->lim.ratio_min_bytes && l->in_bytes &&
        l->out_bytes / l->in_bytes > l->lim.max_ratio)
        return sf_error_set(&l->werr, SF_ELIMIT,
                            "layer: compression ratio above %llu:1 (%llu bytes from %llu): "
                            "decompression bomb",
                            (unsigned long long)l->lim.max_ratio,
                            (unsigned long long)l->out_bytes, (unsigned long long)l->in_bytes);
    return SF_OK;
}

/* Walker: the next chunk of the decompressed tar; *n = 0 at its end. */
static int produce(sf_layer *l, const uint8_t **out, size_t *n)
{
    *n = 0;
    while (!l->stream_done) {
        const uint8_t *p = NULL;
        size_t avail = 0;
        /* The codec is picked from the first 4 bytes (magic). */
        int rc = ring_peek(l, l->codec ? 1 : 4, &p, &avail);
        if (rc != SF_OK)
            return rc;
        if (!l->codec && (rc = pick_codec(l, p, avail)) != SF_OK)
            return rc;
        if (avail == 0) {
            l->stream_done = 1;
            return sf_codec_end(l->codec, &l->werr);
        }
        size_t used = 0, made = 0;
        rc = sf_codec_run(l->codec, p, avail, &used, l->obuf, OBUF_BYTES, &made, &l->werr);
        ring_release(l, used);
        l->in_bytes += used;
        if (rc != SF_OK)
            return rc;
        if (made) {
            l->out_bytes += made;
            if (l->diff_h && sf_hasher_update(l->diff_h, l->obuf, made) != SF_OK)
                return sf_error_set(&l->werr, SF_EINTERNAL, "layer: hash failed");
            if ((rc = check_limits(l)) != SF_OK)
                return rc;
            *out = l->obuf;
            *n = made;
            return SF_OK;
        }
    }
    return SF_OK;
}

static la_ssize_t la_read(struct archive *a, void *ud, const void **buf)
{
    (void)a;
    sf_layer *l = ud;
    const uint8_t *p = NULL;
    size_t n = 0;
    if (produce(l, &p, &n) != SF_OK)
        return -1;
    *buf = p;
    return (la_ssize_t)n;
}

/* ------------------------------------------------------------ walker */

typedef struct src_ref {
    const char *path;
    uint64_t seq;
    size_t idx;
} src_ref;

static int src_ref_cmp(const void *a, const void *b)
{
    const src_ref *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A path that occurs twice in one tar: the later entry wins (as when
 * extracting), so drop sources of earlier occurrences. */
static int dedup_sources(sf_layer *l)
{
    sf_inventory *inv = l->inv;
    if (inv->nsrcs < 2)
        return SF_OK;
    src_ref *r = malloc(inv->nsrcs * sizeof *r);
    uint8_t *drop = calloc(inv->nsrcs, 1);
    if (!r || !drop) {
        free(r);
        free(drop);
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < inv->nsrcs; i++)
        r[i] = (src_ref){inv->srcs[i].path, l->seq[i], i};
    qsort(r, inv->nsrcs, sizeof *r, src_ref_cmp);
    /* Sorted by (path, seq): the last of each path group has the
     * highest entry number; every source of that path with a lower one
     * came from an earlier, overwritten entry. */
    for (size_t i = 0; i < inv->nsrcs;) {
        size_t j = i;
        while (j + 1 < inv->nsrcs && strcmp(r[j + 1].path, r[i].path) == 0)
            j++;
        for (size_t k = i; k <= j; k++)
            if (r[k].seq != r[j].seq)
                drop[r[k].idx] = 1;
        i = j + 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < inv->nsrcs; i++) {
        if (drop[i])
            sf_inv_source_clear(&inv->srcs[i]);
        else
            inv->srcs[o++] = inv->srcs[i];
    }
    inv->nsrcs = o;
    free(r);
    free(drop);
    return SF_OK;
}

/* A blob that decompresses to nothing is an empty layer, not a bad tar. */
static int empty_stream(const sf_layer *l) { return l->stream_done && l->out_bytes == 0; }

static int walk_tar(sf_layer *l)
{
    struct archive *a = archive_read_new();
    if (!a)
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    int rc = SF_OK;
    archive_read_support_format_tar(a);
    if (archive_read_open2(a, l, NULL, la_read, NULL, NULL) != ARCHIVE_OK) {
        if (l->werr.code == SF_OK && !empty_stream(l))
            sf_error_set(&l->werr, SF_EPARSE, "tar: %s", archive_error_string(a));
        rc = l->werr.code;
        goto done;
    }
    for (uint64_t seq = 0;; seq++) {
        struct archive_entry *ae;
        int r = archive_read_next_header(a, &ae);
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN && l->werr.code == SF_OK && empty_stream(l))
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            rc = sf_error_set(&l->werr, SF_EPARSE, "tar: %s",
                              archive_error_string(a) ? archive_error_string(a) : "bad header");
            goto done;
        }
        if (++l->inv->entries > l->lim.max_entries) {
            rc = sf_error_set(&l->werr, SF_ELIMIT, "layer: more than %llu tar entries",
                              (unsigned long long)l->lim.max_entries);
            goto done;
        }
        if ((rc = sf_layer_walk_entry(l, a, ae, seq)) != SF_OK)
            goto done;
    }
    rc = dedup_sources(l);
done:
    archive_read_free(a);
    return l->werr.code != SF_OK ? l->werr.code : rc;
}

/* After the tar's end marker: the rest of the stream still counts for
 * the diff_id and must be consumed so the feeder is not blocked. */
static int drain(sf_layer *l)
{
    for (;;) {
        const uint8_t *p = NULL;
        size_t n = 0;
        int rc = produce(l, &p, &n);
        if (rc != SF_OK || n == 0)
            return rc;
    }
}

static int verify_diff_id(sf_layer *l)
{
    if (!l->diff_h)
        return SF_OK;
    char got[SF_DIGEST_MAX];
    if (sf_hasher_final(l->diff_h, got) != SF_OK)
        return sf_error_set(&l->werr, SF_EINTERNAL, "layer: hash failed");
    if (strcmp(got, l->diff_id) != 0)
        return sf_error_set(&l->werr, SF_EDIGEST,
                            "layer: uncompressed content %s does not match diff_id %s", got,
                            l->diff_id);
    return SF_OK;
}

static void *walker_main(void *arg)
{
    sf_layer *l = arg;
    int rc = walk_tar(l);
    if (rc == SF_OK)
        rc = drain(l);
    if (rc == SF_OK)
        rc = verify_diff_id(l);
    pthread_mutex_lock(&l->mu);
    l->walk_rc = rc != SF_OK ? rc : l->werr.code;
    l->walker_done = 1;
    pthread_cond_broadcast(&l->cv_space);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

/* ------------------------------------------------------------ API */

void sf_layer_free(sf_layer *l)
{
    if (!l)
        return;
    if (l->th_started && !l->th_joined)
        sf_thread_stop(l->th, &l->mu, &l->cv_data, &l->cancel);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv_data);
    pthread_cond_destroy(&l->cv_space);
    free(l->digest);
    free(l->diff_id);
    free(l->media_type);
    free(l->an_version);
    sf_hasher_free(l->blob_h);
    sf_hasher_free(l->diff_h);
    sf_codec_free(l->codec);
    free(l->ring);
    free(l->obuf);
    free(l->fbuf);
    free(l->seq);
    sf_llinks_free(l->links);
    sf_inventory_free(l->inv);
    free(l);
}

static int layer_init(sf_layer *l, const sf_layer_opts *o, sf_error *err)
{
    limits_resolve(&l->lim, &o->limits);
    l->inflater = o->inflater;
    l->ans = o->analyzers;
    while (l->ans && l->ans[l->nans])
        l->nans++;
    if (l->nans > MAX_ANALYZERS)
        return sf_error_set(err, SF_EINVAL, "layer: more than %d analyzers", MAX_ANALYZERS);
    if ((o->digest && sf_digest_validate(o->digest, err) != SF_OK) ||
        (o->diff_id && sf_digest_validate(o->diff_id, err) != SF_OK))
        return err ? err->code : SF_EPARSE;
    if ((o->digest && !(l->digest = strdup(o->digest))) ||
        (o->diff_id && !(l->diff_id = strdup(o->diff_id))) ||
        (o->media_type && !(l->media_type = strdup(o->media_type))) ||
        (o->analyzer_version && !(l->an_version = strdup(o->analyzer_version))) ||
        !(l->ring = malloc(RING_BYTES)) || !(l->obuf = malloc(OBUF_BYTES)) ||
        sf_inventory_new(&l->inv) != SF_OK || sf_llinks_new(&l->links) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if ((l->digest && sf_hasher_new(&l->blob_h, l->digest) != SF_OK) ||
        (l->diff_id && sf_hasher_new(&l->diff_h, l->diff_id) != SF_OK))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (l->an_version && !(l->inv->analyzer_version = strdup(l->an_version)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}

int sf_layer_new(sf_layer **out, const sf_layer_opts *o, sf_error *err)
{
    *out = NULL;
    sf_layer *l = calloc(1, sizeof *l);
    if (!l)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv_data, NULL);
    pthread_cond_init(&l->cv_space, NULL);
    int rc = layer_init(l, o, err);
    if (rc != SF_OK)
        goto fail;
    if (pthread_create(&l->th, NULL, walker_main, l) != 0) {
        rc = sf_error_set(err, SF_ENOMEM, "layer: cannot start the walker thread");
        goto fail;
    }
    l->th_started = 1;
    *out = l;
    return SF_OK;
fail:
    sf_layer_free(l);
    return rc;
}

int sf_layer_feed(sf_layer *l, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (l->blob_h && n && sf_hasher_update(l->blob_h, p, n) != SF_OK)
        return SF_EINTERNAL;
    l->fed += n;
    pthread_mutex_lock(&l->mu);
    while (n > 0) {
        while (l->rlen == RING_BYTES && !l->walker_done && !l->cancel)
            pthread_cond_wait(&l->cv_space, &l->mu);
        if (l->walker_done || l->cancel) {
            int rc = l->walk_rc != SF_OK ? l->walk_rc : SF_ECANCELED;
            l->refused = 1;
            pthread_mutex_unlock(&l->mu);
            return rc;
        }
        size_t tail = (l->rhead + l->rlen) % RING_BYTES;
        size_t k = RING_BYTES - l->rlen;
        if (k > RING_BYTES - tail)
            k = RING_BYTES - tail;
        if (k > n)
            k = n;
        /* The free region belongs to the feeder: copy without the lock. */
        pthread_mutex_unlock(&l->mu);
        memcpy(l->ring + tail, p, k);
        pthread_mutex_lock(&l->mu);
        l->rlen += k;
        p += k;
        n -= k;
        pthread_cond_signal(&l->cv_data);
    }
    pthread_mutex_unlock(&l->mu);
    return SF_OK;
}

int sf_layer_sink(void *ctx, const void *data, size_t n) { return sf_layer_feed(ctx, data, n); }

void sf_layer_abort(sf_layer *l, int code, const char *msg)
{
    pthread_mutex_lock(&l->mu);
    if (!l->abort_code) {
        l->abort_code = code ? code : SF_EIO;
        snprintf(l->abort_msg, sizeof l->abort_msg, "%s", msg ? msg : sf_err_name(code));
    }
    l->cancel = 1;
    pthread_cond_broadcast(&l->cv_data);
    pthread_cond_broadcast(&l->cv_space);
    pthread_mutex_unlock(&l->mu);
}

/* Drop everything the layer yielded and keep only the error. */
static int fail_inventory(sf_inventory *inv, int code, const char *msg)
{
    for (size_t i = 0; i < inv->nsrcs; i++)
        sf_inv_source_clear(&inv->srcs[i]);
    inv->nsrcs = 0;
    for (size_t i = 0; i < inv->nwhiteouts; i++)
        free(inv->whiteouts[i]);
    inv->nwhiteouts = 0;
    for (size_t i = 0; i < inv->nopaques; i++)
        free(inv->opaques[i]);
    inv->nopaques = 0;
    inv->error_code = code;
    free(inv->error);
    inv->error = strdup(msg);
    return code;
}

int sf_layer_finish(sf_layer *l, sf_inventory **out, sf_error *err)
{
    *out = NULL;
    sf_thread_stop(l->th, &l->mu, &l->cv_data, &l->eof);
    l->th_joined = 1;

    int code = SF_OK;
    char msg[SF_ERRMSG_MAX] = "";
    if (l->abort_code) {
        code = l->abort_code;
        snprintf(msg, sizeof msg, "%s", l->abort_msg);
    } else {
        /* The blob digest first: a blob that is not what was asked for
         * explains any later failure (when all of it was seen). */
        char got[SF_DIGEST_MAX];
        if (l->blob_h && !l->refused) {
            if (sf_hasher_final(l->blob_h, got) != SF_OK) {
                code = SF_EINTERNAL;
                snprintf(msg, sizeof msg, "layer: hash failed");
            } else if (strcmp(got, l->digest) != 0) {
                code = SF_EDIGEST;
                snprintf(msg, sizeof msg, "layer: blob content %s does not match digest %s",
                         got, l->digest);
            }
        }
        if (code == SF_OK && l->walk_rc != SF_OK) {
            code = l->walk_rc;
            snprintf(msg, sizeof msg, "%s", l->werr.msg[0] ? l->werr.msg : sf_err_name(code));
        }
    }
    l->inv->bytes = l->out_bytes;
    if (code != SF_OK) {
        fail_inventory(l->inv, code, msg);
        sf_error_set(err, code, "%s", msg);
    }
    *out = l->inv;
    l->inv = NULL;
    return code;
}
