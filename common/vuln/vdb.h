/*
 * vdb: the compiled vulnerability database, one versioned, checksummed,
 * indexed file (ecosystem + package name -> advisories) that readers
 * memory-map read-only. Built by `scanfarm db import`.
 */
#ifndef SF_VDB_H
#define SF_VDB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct sf_vdb sf_vdb;

/* Map and verify the DB file at path. */
int sf_vdb_open(sf_vdb **out, const char *path, sf_error *err);
void sf_vdb_close(sf_vdb *db);
/* The DB's version string (content hash + build time); borrowed. */
const char *sf_vdb_version(const sf_vdb *db);

#endif
