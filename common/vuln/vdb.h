/*
 * vdb: the compiled vulnerability database, one versioned, checksummed,
 * indexed file (ecosystem + package name -> advisories) that readers
 * memory-map read-only. Built by `scanfarm db import` (see vdb_build.h);
 * the byte layout is documented in vdb_int.h.
 *
 * Thread rules: an open sf_vdb is immutable and may be read by any number
 * of threads at once. It is reference-counted (sf_vdb_ref / sf_vdb_close,
 * atomic), so a scan keeps the snapshot it started with while another
 * thread swaps in a newer file. Workers share one sf_vdb_shared: each scan
 * takes a reference with sf_vdb_shared_get() and drops it with
 * sf_vdb_close() when done; one thread (any) calls sf_vdb_shared_refresh()
 * now and then, which opens a newer file if the path changed and swaps
 * the pointer under a mutex. Writers replace the file atomically (temp
 * file + fsync + rename), so an open never sees a partial file and an old
 * mapping stays valid after the rename.
 */
#ifndef SF_VDB_H
#define SF_VDB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sf_vdb sf_vdb;

/* Kinds of range events (OSV semantics). */
typedef enum sf_vev_kind {
    SF_VEV_INTRODUCED = 0,
    SF_VEV_FIXED = 1,
    SF_VEV_LAST_AFFECTED = 2,
    SF_VEV_LIMIT = 3
} sf_vev_kind;

/* Range types. */
typedef enum sf_vrng_type {
    SF_VRNG_ECOSYSTEM = 0, /* OSV ECOSYSTEM: ordered by the ecosystem's scheme */
    SF_VRNG_SEMVER = 1,    /* OSV SEMVER: semver 2.0 ordering */
    SF_VRNG_ALLBELOW = 2,  /* Alpine secdb: affected when below EVERY fixed event */
    SF_VRNG_NPMRANGE = 3,  /* npm range text: INTRODUCED = vulnerable range,
                              FIXED = patched range (optional) */
    SF_VRNG_COUNT
} sf_vrng_type;

/* Map and verify (size, format, sha256, every offset) the DB file at path.
 * SF_ENOTFOUND when absent, SF_EDB when corrupt or of another format. */
int sf_vdb_open(sf_vdb **out, const char *path, sf_error *err);
/* Same over a caller's buffer (borrowed: it must outlive the handle and
 * be 8-byte aligned, as malloc'd memory is). For tests and fuzzing. */
int sf_vdb_open_mem(sf_vdb **out, const void *data, size_t len, sf_error *err);
/* Drop one reference; the last one unmaps. NULL is a no-op. */
void sf_vdb_close(sf_vdb *db);
/* Take one more reference; returns db. */
sf_vdb *sf_vdb_ref(sf_vdb *db);
/* The DB's version string ("<UTC build time>-<12 hex of sha256>"); borrowed. */
const char *sf_vdb_version(const sf_vdb *db);
/* Build time, unix seconds. */
int64_t sf_vdb_built(const sf_vdb *db);
/* The build's meta JSON (sources, per-ecosystem counts, skipped counts by
 * reason); borrowed. */
const char *sf_vdb_meta(const sf_vdb *db);
/* Numbers of records (advisories) and of indexed (ecosystem, package) keys. */
size_t sf_vdb_record_count(const sf_vdb *db);
size_t sf_vdb_package_count(const sf_vdb *db);
/* Bytes of the file. */
size_t sf_vdb_size(const sf_vdb *db);

/*
 * If the file at path is not the one db was opened from (device, inode,
 * size or mtime differ), open it and, on success, replace *db (dropping
 * the caller's reference to the old one). Returns 1 when swapped, 0 when
 * unchanged, or a negative code (the old *db is kept). The caller owns
 * *db exclusively (one thread); for sharing use sf_vdb_shared.
 */
int sf_vdb_reopen_if_changed(sf_vdb **db, const char *path, sf_error *err);

/* A DB path shared by threads; see the thread rules above. */
typedef struct sf_vdb_shared sf_vdb_shared;
/* Open path now (it must exist and verify). */
int sf_vdb_shared_new(sf_vdb_shared **out, const char *path, sf_error *err);
/* The current snapshot with a reference the caller drops by sf_vdb_close. */
sf_vdb *sf_vdb_shared_get(sf_vdb_shared *s);
/* Swap to a newer file if the path changed: 1 swapped, 0 unchanged, <0
 * error (the current snapshot stays). Thread-safe. */
int sf_vdb_shared_refresh(sf_vdb_shared *s, sf_error *err);
void sf_vdb_shared_free(sf_vdb_shared *s);

/*
 * Normalise an OSV ecosystem string into out: known ecosystems only
 * ("Ubuntu:22.04:LTS" -> "Ubuntu:22.04", "crates.io", "Alpine:v3.10").
 * SF_EUNSUPPORTED for an unknown ecosystem, SF_ELIMIT if out is too small.
 */
int sf_vdb_normalize_eco(const char *eco, char *out, size_t outlen);
/*
 * Normalise a package name by its ecosystem's rules: PyPI per PEP 503
 * (lowercase, runs of -_. -> -), npm and Packagist lowercase (scopes
 * kept), Maven "group:artifact" and Go module paths and distro source
 * names as-is. SF_EINVAL for an empty name, SF_ELIMIT if out is too small.
 */
int sf_vdb_normalize_name(const char *eco, const char *name, char *out, size_t outlen);

#endif
