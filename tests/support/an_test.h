/*
 * an_test: helpers for the analyzer tests (in the test support library;
 * each test_*.c is its own executable). A miniature layer walker feeds the entries of a
 * real tarball to the analyzers the way the engine's walker does (wants,
 * sniff on the head, parse on the whole entry capped at max_bytes), so
 * the tests check analyzers on the corpus without the engine. The rest is
 * what several analyzer tests share: bad input that must be refused, and
 * the packages found matched end to end against hand-written OSV records
 * in an in-memory DB. These helpers assert (cmocka) as they go, so a
 * failure points at the step that broke.
 */
#ifndef SF_AN_TEST_H
#define SF_AN_TEST_H

#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/an_util.h"
#include "analyze/analyzer.h"
#include "analyze/inventory.h"
#include "base/buf.h"
#include "testutil.h"
#include "vuln/match.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

/* Sources found by a walk. */
typedef struct an_walk {
    sf_inv_source *srcs;
    size_t n, cap;
    size_t entries;
} an_walk;

void an_walk_free(an_walk *w);

/* Run one analyzer on bytes as the walker would; *src is initialised here
 * and must be cleared by the caller. Returns parse's code (or 1 when
 * sniff refused). */
int an_run(const sf_analyzer *a, const char *path, unsigned mode, const void *data,
                         size_t len, sf_inv_source *src, sf_error *err);

const char *an_norm(const char *p);

/* Walk a tarball held in memory or on disk (path) and run every analyzer
 * of the table on the entries they want. A parse error is recorded on its
 * source as the engine does. Nested archives (jars) are passed whole. */
int an_walk_archive(struct archive *ar, an_walk *w);

int an_walk_file(const char *tarball, an_walk *w);

/* The first source of analyzer `name` at `path` (path NULL: any). */
sf_inv_source *an_find(an_walk *w, const char *name, const char *path);

/* Package named `name` in src, or NULL. */
const sf_pkg *an_pkg(const sf_inv_source *src, const char *name);

int an_streq(const char *a, const char *b);

/* A path and whether an analyzer must want it. */
typedef struct an_want {
    const char *path;
    int want;
} an_want;

/* a->wants answers each case's want for a regular file at its path. */
void an_expect_wants(const sf_analyzer *a, const an_want *cases, size_t n);

/* Each input of the NULL-terminated list bad (lens[i] bytes long, or
 * strlen when lens is NULL) fails to parse at path with `code`; when has
 * is not NULL the message is not empty and contains it. */
void an_expect_bad(const sf_analyzer *a, const char *path, const char *const *bad,
                                 const size_t *lens, int code, const char *has);

/* Every proper prefix of text (a file cut short anywhere) fails to parse
 * with `code`, never crashes; has as for an_expect_bad. */
void an_expect_cuts_fail(const sf_analyzer *a, const char *path, const char *text, int code,
                                       const char *has);

/* A vulnerability DB built in memory from OSV documents. */
typedef struct an_db {
    sf_vdb *db;
    void *data; /* the serialized DB the handle reads */
} an_db;

/* Build d from the NULL-terminated OSV documents docs (may be NULL) and,
 * when corpus_rel is not NULL, that corpus file or archive. */
void an_db_open(an_db *d, const char *const *docs, const char *corpus_rel);

void an_db_close(an_db *d);

/* Match the packages of src against d into f (initialised here). */
void an_db_match(const an_db *d, const sf_inv_source *src, sf_findings *f);

/* Run analyzer a on text at path (it must parse) and match what it found
 * against d into f (initialised here; the caller clears it). */
void an_db_match_text(const an_db *d, const sf_analyzer *a, const char *path, const char *text,
                                    sf_findings *f);

#endif
