/*
 * layer_entry: one tar entry of the layer walk (see layer_int.h) —
 * whiteouts; regular files routed to the analyzers that want them (read
 * once into the walker's buffer, capped per analyzer); hard links (tar
 * type '1') resolved against the files kept for them (layer_links.h);
 * and the per-layer package cap (SF_LIM_INV_*), noted on the source that
 * reached it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/layer_int.h"
#include "base/array.h"
#include "base/limits.h"
#include "base/log.h"

/* ------------------------------------------------------------ entries */

static int add_source(sf_layer *l, const char *path, const sf_analyzer *an, uint64_t seq,
                      sf_inv_source **out)
{
    sf_inventory *inv = l->inv;
    if (SF_ARRAY_RESERVE(l->seq, l->seqcap, inv->nsrcs, 16, 0) != SF_OK)
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    if (sf_inventory_add_source(inv, path, an->name, out) != SF_OK)
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    l->seq[inv->nsrcs - 1] = seq;
    return SF_OK;
}

/* Read up to want bytes of the current entry into l->fbuf at offset *have. */
static int read_data(sf_layer *l, struct archive *a, size_t want, size_t *have)
{
    if (want > l->fcap) {
        uint8_t *nb = realloc(l->fbuf, want ? want : 1);
        if (!nb)
            return sf_error_set(&l->werr, SF_ENOMEM, "layer: out of memory reading a %zu-byte file",
                                want);
        l->fbuf = nb;
        l->fcap = want;
    }
    while (*have < want) {
        la_ssize_t r = archive_read_data(a, l->fbuf + *have, want - *have);
        if (r < 0)
            return sf_error_set(&l->werr, SF_EPARSE, "tar: %s",
                                archive_error_string(a) ? archive_error_string(a) : "read error");
        if (r == 0)
            break;
        *have += (size_t)r;
    }
    return SF_OK;
}

static int note_too_big(sf_layer *l, const sf_entry *e, const sf_analyzer *an, uint64_t cap,
                        uint64_t seq)
{
    sf_inv_source *s;
    int rc = add_source(l, e->path, an, seq, &s);
    if (rc != SF_OK)
        return rc;
    s->status = SF_SRC_ERROR;
    char msg[160];
    snprintf(msg, sizeof msg, "file of %llu bytes exceeds the %s analyzer's limit of %llu bytes; "
             "not read", (unsigned long long)e->size, an->name, (unsigned long long)cap);
    if (!(s->note = strdup(msg)))
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    return SF_OK;
}

/* The source kept fewer packages than its file lists: say so. */
static int note_capped(sf_layer *l, sf_inv_source *s)
{
    char msg[SF_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s%spackage limit per layer reached (%llu packages, %llu MiB "
             "of package text): %zu packages kept, %zu more not read",
             s->note ? s->note : "", s->note ? "; " : "",
             (unsigned long long)SF_LIM_INV_PACKAGES,
             (unsigned long long)(SF_LIM_INV_PKG_BYTES >> 20), s->npkgs, s->dropped);
    char *n = strdup(msg);
    if (!n)
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    free(s->note);
    s->note = n;
    s->status = SF_SRC_ERROR; /* incomplete: reported as a note in the result */
    return SF_OK;
}

static int run_parse(sf_layer *l, const sf_entry *e, const sf_analyzer *an, const uint8_t *data,
                     size_t len, uint64_t seq)
{
    sf_inv_source *s;
    int rc = add_source(l, e->path, an, seq, &s);
    if (rc != SF_OK)
        return rc;
    s->limited = 1;
    s->room = l->npkgs < SF_LIM_INV_PACKAGES ? (size_t)(SF_LIM_INV_PACKAGES - l->npkgs) : 0;
    s->room_bytes = l->pkg_bytes < SF_LIM_INV_PKG_BYTES
                        ? (size_t)(SF_LIM_INV_PKG_BYTES - l->pkg_bytes) : 0;
    size_t room_bytes = s->room_bytes;
    sf_error perr = SF_ERROR_INIT;
    rc = an->parse(e, data, len, s, &perr);
    l->npkgs += s->npkgs;
    l->pkg_bytes += room_bytes - s->room_bytes;
    s->limited = 0;
    if (rc == SF_ENOMEM)
        return sf_error_set(&l->werr, SF_ENOMEM, "%s: out of memory parsing %s", an->name,
                            e->path);
    if (rc != SF_OK) {
        s->status = SF_SRC_ERROR;
        free(s->note);
        s->note = strdup(perr.msg[0] ? perr.msg : sf_err_name(rc));
        if (!s->note)
            return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    }
    return s->dropped ? note_capped(l, s) : SF_OK;
}

/* The analyzers that want entry e, into set (a file over an analyzer's
 * cap is noted on a source of its own instead). */
static int wanting(sf_layer *l, const sf_entry *e, uint64_t seq, const sf_analyzer **set,
                   size_t *nset)
{
    *nset = 0;
    for (size_t i = 0; i < l->nans; i++) {
        const sf_analyzer *an = l->ans[i];
        if (!an->wants(e))
            continue;
        uint64_t cap = an->max_bytes && an->max_bytes < l->lim.max_file_bytes
                           ? an->max_bytes : l->lim.max_file_bytes;
        int rc = e->size > cap ? note_too_big(l, e, an, cap, seq) : SF_OK;
        if (rc != SF_OK)
            return rc;
        if (e->size <= cap)
            set[(*nset)++] = an;
    }
    return SF_OK;
}

/* Drop the analyzers whose sniff refuses the first bytes of the file. */
static size_t sniffed(const sf_entry *e, const sf_analyzer **set, size_t nset,
                      const uint8_t *head, size_t n)
{
    size_t keep = 0;
    for (size_t i = 0; i < nset; i++)
        if (!set[i]->sniff || set[i]->sniff(e, head, n < SNIFF_BYTES ? n : SNIFF_BYTES))
            set[keep++] = set[i];
    return keep;
}

/* Whether a later hard link could make this file matter: the OS analyzers
 * read it (package databases, release files), or it looks like a package
 * database whatever its name. */
static int link_worthy(const sf_analyzer *const *set, size_t nset, const uint8_t *data,
                       size_t len)
{
    static const char *const os_side[] = {"os", "dpkg", "apk", "rpm", NULL};
    if (len > SF_LIM_LINK_FILE_BYTES)
        return 0;
    for (size_t i = 0; i < nset; i++)
        for (int k = 0; os_side[k]; k++)
            if (strcmp(set[i]->name, os_side[k]) == 0)
                return 1;
    return sf_llinks_candidate(data, len);
}

static int keep_for_links(sf_layer *l, const char *path, size_t len)
{
    if (sf_llinks_keep(l->links, path, l->fbuf, len) != SF_OK)
        return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    return SF_OK;
}

static void fbuf_trim(sf_layer *l)
{
    if (l->fcap > FBUF_KEEP) {
        free(l->fbuf);
        l->fbuf = NULL;
        l->fcap = 0;
    }
}

/* A file no analyzer wants by its name: keep it for hard links when it
 * looks like a package database. */
static int maybe_keep(sf_layer *l, struct archive *a, const sf_entry *e)
{
    if (e->size < 2 || e->size > SF_LIM_LINK_FILE_BYTES)
        return SF_OK;
    size_t size = (size_t)e->size, have = 0;
    int rc = read_data(l, a, size < 16 ? size : 16, &have);
    if (rc == SF_OK && sf_llinks_candidate(l->fbuf, have) &&
        (rc = read_data(l, a, size, &have)) == SF_OK)
        rc = keep_for_links(l, e->path, have);
    fbuf_trim(l);
    return rc;
}

/* Route one regular file to the analyzers that want it. */
static int analyze_file(sf_layer *l, struct archive *a, const sf_entry *e, uint64_t seq)
{
    const sf_analyzer *set[MAX_ANALYZERS];
    size_t nset = 0;
    int rc = wanting(l, e, seq, set, &nset);
    if (rc != SF_OK || !nset)
        return rc != SF_OK ? rc : maybe_keep(l, a, e);
    if (++l->wanted_files > l->lim.max_wanted_files)
        return sf_error_set(&l->werr, SF_ELIMIT, "layer: more than %llu files for analyzers",
                            (unsigned long long)l->lim.max_wanted_files);
    size_t size = (size_t)e->size, have = 0;
    rc = read_data(l, a, size < SNIFF_BYTES ? size : SNIFF_BYTES, &have);
    if (rc != SF_OK)
        return rc;
    nset = sniffed(e, set, nset, l->fbuf, have);
    if (nset && (rc = read_data(l, a, size, &have)) != SF_OK)
        return rc;
    for (size_t i = 0; i < nset && rc == SF_OK; i++)
        rc = run_parse(l, e, set[i], l->fbuf, have, seq);
    if (rc == SF_OK && have == size && link_worthy(set, nset, l->fbuf, have))
        rc = keep_for_links(l, e->path, have);
    fbuf_trim(l);
    return rc;
}

/* A hard link at path to an earlier entry target: analysed as that
 * entry's bytes at the link's path, when they were kept; otherwise every
 * analyzer that wants the path reports it unread. */
static int analyze_link(sf_layer *l, struct archive_entry *ae, const char *path, uint64_t seq)
{
    char target[SF_LIM_PATH + 1];
    if (sf_layer_path_normalize(archive_entry_hardlink(ae), target, sizeof target) != SF_OK)
        return SF_OK;
    size_t len = 0;
    const uint8_t *data = sf_llinks_find(l->links, target, &len);
    sf_entry e = {path, data ? len : 0, (archive_entry_mode(ae) & 07777u) | AE_IFREG};
    const sf_analyzer *set[MAX_ANALYZERS];
    size_t nset = 0;
    int rc = wanting(l, &e, seq, set, &nset);
    if (rc != SF_OK || !nset)
        return rc;
    if (data)
        nset = sniffed(&e, set, nset, data, len);
    for (size_t i = 0; i < nset && rc == SF_OK; i++) {
        if (data) {
            rc = run_parse(l, &e, set[i], data, len, seq);
            continue;
        }
        sf_inv_source *s;
        if ((rc = add_source(l, path, set[i], seq, &s)) != SF_OK)
            return rc;
        s->status = SF_SRC_UNPARSED;
        char msg[SF_LIM_PATH + 160];
        snprintf(msg, sizeof msg, "hard link to %s, an earlier entry of the layer whose "
                 "content was not kept; not read", target);
        if (!(s->note = strdup(msg)))
            return sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
    }
    if (strcmp(path, target) != 0)
        sf_llinks_forget(l->links, path); /* path has the target's bytes now */
    return rc;
}

/* A whiteout entry: record it; 1 when the entry was one. */
static int whiteout(sf_layer *l, const char *path, int *was)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dirlen = slash ? (size_t)(slash - path) : 0;
    *was = 0;
    if (strncmp(base, ".wh.", 4) != 0)
        return SF_OK;
    *was = 1;
    char buf[SF_LIM_PATH + 1];
    int rc = SF_OK;
    if (strcmp(base, ".wh..wh..opq") == 0) {
        memcpy(buf, path, dirlen);
        buf[dirlen] = '\0';
        rc = sf_inventory_add_opaque(l->inv, buf);
    } else if (strncmp(base, ".wh..wh.", 8) == 0 || base[4] == '\0') {
        return SF_OK; /* other AUFS metadata (.wh..wh.plnk, ...): not a deletion */
    } else {
        /* dir + '/' + name fits: it is the path minus ".wh.". */
        memcpy(buf, path, dirlen);
        size_t o = dirlen;
        if (dirlen)
            buf[o++] = '/';
        size_t n = strlen(base + 4);
        memcpy(buf + o, base + 4, n + 1);
        rc = sf_inventory_add_whiteout(l->inv, buf);
    }
    if (rc == SF_ELIMIT)
        return sf_error_set(&l->werr, SF_ELIMIT, "layer: too many whiteouts");
    return rc == SF_OK ? SF_OK : sf_error_set(&l->werr, SF_ENOMEM, "out of memory");
}

int sf_layer_walk_entry(sf_layer *l, struct archive *a, struct archive_entry *ae, uint64_t seq)
{
    const char *raw = archive_entry_pathname(ae);
    char path[SF_LIM_PATH + 1];
    if (!raw)
        return SF_OK;
    int rc = sf_layer_path_normalize(raw, path, sizeof path);
    if (rc == SF_ENOTFOUND)
        return SF_OK; /* the root directory itself */
    if (rc != SF_OK) {
        SF_DEBUG("layer", "skipping entry with an overlong path|len=%zu", strlen(raw));
        return SF_OK;
    }
    int was = 0;
    if ((rc = whiteout(l, path, &was)) != SF_OK || was)
        return rc;
    la_int64_t sz = archive_entry_size(ae);
    /* A hard link names an earlier entry of this layer (tar type '1');
     * one with a body of its own (pax) is read like a regular file.
     * Symlinks are never followed: their target may lie in another layer. */
    if (archive_entry_hardlink(ae) && sz <= 0)
        return analyze_link(l, ae, path, seq);
    sf_llinks_forget(l->links, path); /* any kept bytes of path are stale now */
    if (archive_entry_filetype(ae) != AE_IFREG)
        return SF_OK;
    sf_entry e = {path, sz > 0 ? (uint64_t)sz : 0, (unsigned)archive_entry_mode(ae)};
    return analyze_file(l, a, &e, seq);
}

