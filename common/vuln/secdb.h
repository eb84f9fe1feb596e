/*
 * secdb: importer of Alpine secdb JSON (secdb.alpinelinux.org layout:
 * {"distroversion": "v3.10", "packages": [{"pkg": {"name", "secfixes"}}]},
 * and the per-package vuln-list layout {"name", "secfixes",
 * "distroversion"}). The ecosystem is "Alpine:<distroversion>"; when the
 * document lacks distroversion, a "<major>.<minor>/" or "v<major>.<minor>/"
 * directory in its name supplies it.
 *
 * One record per (release, package, id): an ALLBELOW range listing every
 * fixed version under which the id appears (affected when the installed
 * version is below every one). An id also listed under "0" (not affected
 * in this branch) yields no record. Dirty id strings ("CVE 2018-16859",
 * "CVE_2019-2426", "CVE-2018-14461 (LDP)", "CVE-x XSA-y") are normalised
 * and counted.
 */
#ifndef SF_SECDB_H
#define SF_SECDB_H

#include <stddef.h>

#include <jansson.h>

#include "vuln/vdb_build.h"

int sf_secdb_import(sf_vdb_builder *b, const char *data, size_t len, const char *name);

/* Same over an already parsed document (borrowed). */
int sf_secdb_import_json(sf_vdb_builder *b, json_t *doc, const char *name);

#endif
