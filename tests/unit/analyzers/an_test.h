/*
 * an_test: helpers for the analyzer tests (header-only: each test_*.c is
 * its own executable). A miniature layer walker feeds the entries of a
 * real tarball to the analyzers the way the engine's walker does (wants,
 * sniff on the head, parse on the whole entry capped at max_bytes), so
 * the tests check analyzers on the corpus without the engine.
 */
#ifndef SF_AN_TEST_H
#define SF_AN_TEST_H

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/analyzer.h"
#include "analyze/inventory.h"
#include "base/buf.h"

/* Sources found by a walk. */
typedef struct an_walk {
    sf_inv_source *srcs;
    size_t n, cap;
    size_t entries;
} an_walk;

static inline void an_walk_free(an_walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        sf_inv_source_clear(&w->srcs[i]);
    free(w->srcs);
    memset(w, 0, sizeof *w);
}

/* Run one analyzer on bytes as the walker would; *src is initialised here
 * and must be cleared by the caller. Returns parse's code (or 1 when
 * sniff refused). */
static inline int an_run(const sf_analyzer *a, const char *path, unsigned mode, const void *data,
                         size_t len, sf_inv_source *src, sf_error *err)
{
    sf_entry e = {path, len, mode};
    memset(src, 0, sizeof *src);
    src->path = strdup(path);
    src->analyzer = strdup(a->name);
    if (a->sniff && !a->sniff(&e, data, len < 4096 ? len : 4096))
        return 1;
    return a->parse(&e, data, len, src, err);
}

static inline const char *an_norm(const char *p)
{
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    while (p[0] == '/')
        p++;
    return p;
}

/* Walk a tarball held in memory or on disk (path) and run every analyzer
 * of the table on the entries they want. A parse error is recorded on its
 * source as the engine does. Nested archives (jars) are passed whole. */
static inline int an_walk_archive(struct archive *ar, an_walk *w)
{
    struct archive_entry *ae;
    while (archive_read_next_header(ar, &ae) == ARCHIVE_OK) {
        w->entries++;
        const char *path = an_norm(archive_entry_pathname(ae));
        sf_entry e = {path, (uint64_t)archive_entry_size(ae), (unsigned)archive_entry_mode(ae)};
        uint8_t *data = NULL;
        size_t len = 0;
        int have = 0;
        for (int i = 0; sf_analyzers[i]; i++) {
            const sf_analyzer *a = sf_analyzers[i];
            if (!a->wants(&e) || e.size > a->max_bytes)
                continue;
            if (!have) {
                len = (size_t)e.size;
                data = malloc(len ? len : 1);
                if (!data)
                    return -1;
                la_ssize_t got = archive_read_data(ar, data, len);
                if (got < 0 || (size_t)got != len) {
                    free(data);
                    return -1;
                }
                have = 1;
            }
            if (a->sniff && !a->sniff(&e, data, len < 4096 ? len : 4096))
                continue;
            if (w->n == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 32;
                w->srcs = realloc(w->srcs, w->cap * sizeof *w->srcs);
            }
            sf_inv_source *src = &w->srcs[w->n++];
            memset(src, 0, sizeof *src);
            src->path = strdup(path);
            src->analyzer = strdup(a->name);
            sf_error err = SF_ERROR_INIT;
            if (a->parse(&e, data, len, src, &err) != SF_OK) {
                src->status = SF_SRC_ERROR;
                free(src->note);
                src->note = strdup(err.msg);
            }
        }
        free(data);
    }
    return 0;
}

static inline int an_walk_file(const char *tarball, an_walk *w)
{
    memset(w, 0, sizeof *w);
    struct archive *ar = archive_read_new();
    archive_read_support_filter_all(ar);
    archive_read_support_format_tar(ar);
    archive_read_support_format_gnutar(ar);
    int rc = -1;
    if (archive_read_open_filename(ar, tarball, 1 << 16) == ARCHIVE_OK)
        rc = an_walk_archive(ar, w);
    archive_read_free(ar);
    return rc;
}

/* The first source of analyzer `name` at `path` (path NULL: any). */
static inline sf_inv_source *an_find(an_walk *w, const char *name, const char *path)
{
    for (size_t i = 0; i < w->n; i++)
        if (strcmp(w->srcs[i].analyzer, name) == 0 && (!path || strcmp(w->srcs[i].path, path) == 0))
            return &w->srcs[i];
    return NULL;
}

/* Package named `name` in src, or NULL. */
static inline const sf_pkg *an_pkg(const sf_inv_source *src, const char *name)
{
    for (size_t i = 0; src && i < src->npkgs; i++)
        if (strcmp(src->pkgs[i].name, name) == 0)
            return &src->pkgs[i];
    return NULL;
}

static inline int an_streq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

#endif
