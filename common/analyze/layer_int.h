/*
 * layer_int: the layer walker's state, shared by layer.c (ring, codec,
 * walker thread, API) and layer_entry.c (routing tar entries to the
 * analyzers: wanted files, hard links, the package cap). Not an API.
 */
#ifndef SF_LAYER_INT_H
#define SF_LAYER_INT_H

#include <archive.h>
#include <archive_entry.h>
#include <pthread.h>
#include <stdint.h>

#include "analyze/layer.h"
#include "analyze/layer_links.h"
#include "base/digest.h"

#define RING_BYTES (1u << 20)
#define OBUF_BYTES (256u << 10)
#define SNIFF_BYTES 4096
#define MAX_ANALYZERS 64
/* A wanted-file buffer above this is released after use so an idle
 * walker does not hold a big file's memory. */
#define FBUF_KEEP (8u << 20)

struct sf_layer {
    /* configuration (owned copies) */
    char *digest, *diff_id, *media_type, *an_version;
    sf_layer_limits lim;
    const sf_analyzer *const *ans;
    size_t nans;
    sf_inflater inflater;

    /* feeder side */
    sf_hasher *blob_h;
    uint64_t fed;
    int refused; /* feed refused bytes: the blob hash is incomplete */

    /* ring between feeder and walker (guarded by mu) */
    pthread_mutex_t mu;
    pthread_cond_t cv_data, cv_space;
    uint8_t *ring;
    size_t rhead, rlen;
    int eof, cancel, walker_done, walk_rc;
    int abort_code;
    char abort_msg[SF_ERRMSG_MAX];
    pthread_t th;
    int th_started, th_joined;

    /* walker side (walker thread only) */
    sf_codec *codec;
    uint8_t *obuf;
    sf_hasher *diff_h;
    uint64_t in_bytes, out_bytes;
    int stream_done;
    sf_inventory *inv;
    sf_error werr;
    uint8_t *fbuf;
    size_t fcap;
    uint64_t wanted_files;
    uint64_t *seq;  /* entry number of each inventory source (dedup) */
    size_t seqcap;
    uint64_t npkgs;     /* packages kept so far (cap SF_LIM_INV_PACKAGES) */
    uint64_t pkg_bytes; /* their string bytes (cap SF_LIM_INV_PKG_BYTES) */
    sf_llinks *links;   /* files a later hard link may name */
};

/* Route one tar entry (entry number seq) of the walk: whiteouts, files
 * the analyzers want, hard links. Walker thread only. SF_OK or the
 * layer's error (l->werr filled). */
int sf_layer_walk_entry(sf_layer *l, struct archive *a, struct archive_entry *ae, uint64_t seq);

#endif
