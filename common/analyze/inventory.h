/*
 * inventory: what one layer holds that matters to a scanner, as a
 * self-contained value the worker caches by layer digest.
 *
 * A layer's inventory lists its *sources* (each file that yielded packages
 * or OS facts, with what was parsed from it), its whiteouts and opaque
 * directories, and counters. Sources are kept per file so that assembling
 * layers bottom-up can honour whiteouts and "a package DB in a higher
 * layer replaces the one below" by path alone.
 *
 * Serialisation: JSON (one field list for encode and decode), zstd
 * compressed for the cache (sf_inventory_encode / _decode).
 */
#ifndef SF_INVENTORY_H
#define SF_INVENTORY_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/pkg.h"

typedef enum sf_src_status {
    SF_SRC_PARSED = 0,   /* parsed; pkgs/os hold the result */
    SF_SRC_UNPARSED = 1, /* recognised but not parsed (e.g. rpm BerkeleyDB): reported, never silent */
    SF_SRC_ERROR = 2     /* parsing failed; `note` says why */
} sf_src_status;

/* One file of the layer that an analyzer read. */
typedef struct sf_inv_source {
    char *path;       /* normalised path in the image root, no leading '/' */
    char *analyzer;   /* analyzer name ("dpkg", "apk", "os", "npm", ...) */
    int status;       /* sf_src_status */
    char *note;       /* error text or why unparsed; NULL when parsed */
    sf_osinfo *os;    /* OS facts when this file is an os-release-like file, else NULL */
    sf_pkg *pkgs;     /* packages found in this file */
    size_t npkgs;
    size_t cappkgs;
    /* While an analyzer fills it (not serialised): with limited set, at
     * most room packages are kept; the rest are cleared and counted in
     * dropped (the layer's package cap, SF_LIM_INV_PACKAGES). */
    int limited;
    size_t room, dropped;
    size_t room_bytes;  /* string bytes the kept packages may still use */
} sf_inv_source;

typedef struct sf_inventory {
    char *analyzer_version; /* analyzer-set version this was produced by */
    sf_inv_source *srcs;
    size_t nsrcs, capsrcs;
    char **whiteouts;  /* normalised paths this layer deletes (from .wh.<name>) */
    size_t nwhiteouts, capwhiteouts;
    char **opaques;    /* directories made opaque (.wh..wh..opq) */
    size_t nopaques, capopaques;
    uint64_t entries;  /* tar entries walked */
    uint64_t bytes;    /* decompressed bytes */
    int error_code;    /* SF_OK, or why the layer could not be analysed */
    char *error;       /* message for error_code */
} sf_inventory;

int sf_inventory_new(sf_inventory **out);
void sf_inventory_free(sf_inventory *inv);

/* Append a new empty source for path/analyzer; *out is borrowed from inv. */
int sf_inventory_add_source(sf_inventory *inv, const char *path, const char *analyzer,
                            sf_inv_source **out);
/* Append a package to a source (copies p, sets p->path to the source path if unset). */
int sf_inv_source_add_pkg(sf_inv_source *src, const sf_pkg *p);
/* Move a package into a source (takes ownership of p's strings; p is zeroed).
 * Past the source's room (limited, see above) the package is cleared and
 * counted in dropped, and SF_OK returned: the walk goes on bounded. */
int sf_inv_source_take_pkg(sf_inv_source *src, sf_pkg *p);
int sf_inventory_add_whiteout(sf_inventory *inv, const char *path);
int sf_inventory_add_opaque(sf_inventory *inv, const char *dir);
/* Free the contents of a source (not the struct). */
void sf_inv_source_clear(sf_inv_source *src);

/* JSON text of inv into out (appended). */
int sf_inventory_to_json(const sf_inventory *inv, sf_buf *out);
/* Parse JSON text (untrusted: from the cache) into a new inventory. */
int sf_inventory_from_json(sf_inventory **out, const char *json, size_t len, sf_error *err);
/* Compact form for the cache: zstd-compressed JSON. */
int sf_inventory_encode(const sf_inventory *inv, sf_buf *out);
int sf_inventory_decode(sf_inventory **out, const void *data, size_t len, sf_error *err);

#endif
