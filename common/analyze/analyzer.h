/*
 * analyzer: the interface every package analyzer implements, and the
 * table of analyzers the layer walker consults.
 *
 * An analyzer is bytes in, packages out: the walker asks each analyzer
 * whether it wants a tar entry (by normalised path, size and mode); the
 * first time one does, the walker reads the entry into memory (capped by
 * the analyzer's max_bytes and the layer limits) and hands the same bytes
 * to every analyzer that wanted it. Analyzers never touch the filesystem
 * and never see the tar.
 *
 * Threads: the table is constant; an analyzer's functions keep no state
 * between calls, so every layer thread calls them at once.
 */
#ifndef SF_ANALYZER_H
#define SF_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "analyze/inventory.h"
#include "base/err.h"

/* A tar entry as analyzers see it. */
typedef struct sf_entry {
    const char *path; /* normalised: no leading "./" or "/", no "//", no ".." */
    uint64_t size;
    unsigned mode;    /* st_mode permission and type bits */
} sf_entry;

typedef struct sf_analyzer {
    const char *name;  /* "os", "dpkg", "apk", "rpm", "npm", "python", "gobin", "java",
                          "rustbin", "cargo", "gem", "composer", "dotnet" */
    unsigned version;  /* bump when output for the same input changes */
    uint64_t max_bytes; /* largest entry it will take; larger ones are reported, not read */
    /* 1 when the entry should be read. Must be cheap: called for every entry. */
    int (*wants)(const sf_entry *e);
    /* Optional: called with the first <= 4096 bytes before the rest is
     * read; 0 means "not mine after all" (e.g. not an ELF file). */
    int (*sniff)(const sf_entry *e, const uint8_t *head, size_t n);
    /* Parse the whole entry into src (path and analyzer already set).
     * Untrusted input: never crash, bound everything. Return SF_OK, or an
     * error code with err filled: the walker records it on the source as
     * SF_SRC_ERROR and goes on with the layer. */
    int (*parse)(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                 sf_error *err);
} sf_analyzer;

/* NULL-terminated table of every analyzer. */
extern const sf_analyzer *const sf_analyzers[];

/* Version string of the analyzer set, e.g. "a1.os1.dpkg1.apk1...": part
 * of every layer cache key so a new analyzer invalidates exactly what it
 * could change. Borrowed, static. */
const char *sf_analyzers_version(void);

#endif
