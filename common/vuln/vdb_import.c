/*
 * vdb_import: the front door of `scanfarm db import`: walk a file,
 * directory or archive, sniff each document's format and hand it to its
 * importer (osv, secdb, debtracker, nodesec, nvd, kev, epss). Archives (.zip, .tar,
 * .tar.gz, ...) are read through base/arch entry by entry into a bounded
 * buffer, never unpacked to disk; every size and count is capped by the
 * limits in base/limits.h.
 */
#include "vuln/vdb_build.h"

#include "base/arch.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/limits.h"
#include "vuln/debtracker.h"
#include "vuln/epss.h"
#include "vuln/kev.h"
#include "vuln/nodesec.h"
#include "vuln/nvd.h"
#include "vuln/osv.h"
#include "vuln/secdb.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Kind of a parsed JSON document. */
static sf_vdb_fmt json_kind(const json_t *doc)
{
    if (json_is_array(doc))
        return SF_VFMT_OSV;
    if (!json_is_object(doc))
        return SF_VFMT_UNKNOWN;
    if (json_is_array(json_object_get(doc, "advisories")))
        return SF_VFMT_GHSA_EXTRACT;
    /* Before OSV: an NVD record has an "id" and (CVE 5.x) "affected". */
    if (sf_kev_is_doc(doc))
        return SF_VFMT_KEV;
    if (sf_nvd_is_doc(doc))
        return SF_VFMT_NVD;
    if (json_object_get(doc, "distroversion") || json_object_get(doc, "secfixes") ||
        (json_object_get(doc, "packages") && json_object_get(doc, "apkurl")))
        return SF_VFMT_SECDB;
    if (json_object_get(doc, "module_name"))
        return SF_VFMT_NODESEC;
    if (json_object_get(doc, "cve") &&
        (json_object_get(doc, "vulnerable") || json_object_get(doc, "reason")))
        return SF_VFMT_NODESEC_CORE;
    if (json_object_get(doc, "id") &&
        (json_object_get(doc, "affected") || json_object_get(doc, "modified") ||
         json_object_get(doc, "schema_version") || json_object_get(doc, "withdrawn")))
        return SF_VFMT_OSV;
    return SF_VFMT_UNKNOWN;
}

/* Does the text start like a tracker list ("[29 Mar 2023] DSA-5380-1 ...")? */
static int looks_like_tracker(const char *data, size_t len)
{
    if (len < 4 || data[0] != '[')
        return 0;
    const char *nl = memchr(data, '\n', len);
    size_t n = nl ? (size_t)(nl - data) : len;
    const char *rb = memchr(data, ']', n);
    if (!rb || rb + 2 >= data + n || rb[1] != ' ')
        return 0;
    const char *id = rb + 2;
    size_t left = (size_t)(data + n - id);
    return (left >= 4 && (memcmp(id, "DSA-", 4) == 0 || memcmp(id, "DLA-", 4) == 0)) ||
           (left >= 5 && memcmp(id, "DTSA-", 5) == 0);
}

sf_vdb_fmt sf_vdb_sniff(const char *name, const char *data, size_t len)
{
    if (name && (ends_with(name, ".yaml") || ends_with(name, ".yml")))
        return SF_VFMT_YAML;
    if (looks_like_tracker(data, len))
        return SF_VFMT_DEBTRACKER;
    if (sf_epss_looks_like(data, len))
        return SF_VFMT_EPSS;
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    sf_vdb_fmt f = doc ? json_kind(doc) : SF_VFMT_UNKNOWN;
    json_decref(doc);
    return f;
}

int sf_vdb_import_buf(sf_vdb_builder *b, const char *name, const char *data, size_t len,
                      sf_error *err)
{
    if (name && (ends_with(name, ".yaml") || ends_with(name, ".yml"))) {
        sf_vdb_builder_skip(b, "YAML document (unsupported: import the OSV JSON form)", 1);
        return SF_OK;
    }
    if (looks_like_tracker(data, len)) {
        sf_vdb_builder_kind(b, "debian");
        return sf_debtracker_import(b, data, len);
    }
    if (sf_epss_looks_like(data, len))
        return sf_epss_import(b, data, len);
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    if (!doc) {
        sf_vdb_builder_skip(b, "not JSON nor a tracker list", 1);
        return SF_OK;
    }
    int rc = SF_OK;
    switch (json_kind(doc)) {
    case SF_VFMT_OSV:
    case SF_VFMT_GHSA_EXTRACT:
        sf_vdb_builder_kind(b, "osv");
        rc = sf_osv_import_json(b, doc);
        break;
    case SF_VFMT_SECDB:
        sf_vdb_builder_kind(b, "secdb");
        rc = sf_secdb_import_json(b, doc, name);
        break;
    case SF_VFMT_NODESEC:
    case SF_VFMT_NODESEC_CORE:
        sf_vdb_builder_kind(b, "nodesec");
        rc = sf_nodesec_import_json(b, doc, name);
        break;
    case SF_VFMT_NVD:
        rc = sf_nvd_import_json(b, doc);
        break;
    case SF_VFMT_KEV:
        rc = sf_kev_import_json(b, doc);
        break;
    default:
        /* security-wg's index.json files only list the records. */
        sf_vdb_builder_skip(b, name && ends_with(name, "/index.json")
                                   ? "index document (no advisories)"
                                   : "JSON document of unknown format",
                            1);
        break;
    }
    json_decref(doc);
    if (rc)
        sf_error_set(err, rc, "vdb: importing %s: %s", name ? name : "(buffer)", sf_err_name(rc));
    return rc;
}

/* Documents inside archives worth reading; licences and READMEs are not. */
static int wanted_entry(const char *name)
{
    return ends_with(name, ".json") || ends_with(name, ".yaml") || ends_with(name, ".yml") ||
           ends_with(name, ".csv") ||
           ends_with(name, "/list") || strcmp(name, "list") == 0 || ends_with(name, "-list");
}

static int is_archive_name(const char *path)
{
    static const char *const ext[] = {".zip", ".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.zst",
                                      ".tar.bz2"};
    for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++)
        if (ends_with(path, ext[i]))
            return 1;
    return ends_with(path, ".csv.gz") || ends_with(path, ".json.gz");
}

/* A single compressed document ("epss_scores-2025-08-25.csv.gz",
 * "nvdcve-2.0-2024.json.gz"): read through the archive reader's raw
 * format. */
static int is_raw_gz(const char *path)
{
    return ends_with(path, ".csv.gz") || ends_with(path, ".json.gz");
}

/* Keeps a document up to its cap; a larger one is still read to its end
 * (it is skipped, but its bytes count against the archive's bound). */
typedef struct doc_sink {
    sf_buf *doc;
    int too_big;
} doc_sink;

static int to_doc(void *ctx, const void *data, size_t n)
{
    doc_sink *d = ctx;
    if (!d->too_big && sf_buf_append(d->doc, data, n))
        d->too_big = 1;
    return SF_OK;
}

static int import_archive(sf_vdb_builder *b, const char *path, sf_error *err)
{
    int raw = is_raw_gz(path);
    char raw_name[SF_LIM_PATH];
    snprintf(raw_name, sizeof raw_name, "%.*s", (int)(strlen(path) - (raw ? 3 : 0)), path);
    /* strict: a header libarchive only warns about ends the import, as
     * it always has here (an advisory DB is built from clean archives). */
    const sf_arch_opts o = {.formats = raw ? SF_ARCH_RAW : SF_ARCH_ANY,
                            .filters = SF_ARCH_FILTER_ALL,
                            .max_entries = SF_LIM_VDB_ARCHIVE_ENTRIES,
                            .max_bytes = SF_LIM_VDB_ARCHIVE_BYTES,
                            .strict = 1};
    sf_error ae = SF_ERROR_INIT;
    sf_arch *a = NULL;
    int rc = sf_arch_open_file(&a, path, &o, &ae);
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "vdb: out of memory");
    if (rc != SF_OK)
        return sf_error_set(err, SF_EIO, "vdb: cannot read archive %s: %s", path, ae.msg);
    sf_buf doc;
    sf_buf_init(&doc, SF_LIM_VDB_DOC_BYTES);
    sf_arch_entry e;
    int r;
    while ((r = sf_arch_next(a, &e, &ae)) == 1) {
        const char *name = raw ? raw_name : e.path;
        if ((!raw && !e.regular) || !name || !wanted_entry(name))
            continue;
        sf_buf_reset(&doc);
        doc_sink ds = {&doc, 0};
        if ((rc = sf_arch_stream(a, to_doc, &ds, &ae)) != SF_OK) {
            rc = rc == SF_ELIMIT ? sf_error_set(err, rc, "vdb: %s: %s", path, ae.msg)
                                 : sf_error_set(err, SF_EIO, "vdb: %s: %s: %s", path, name, ae.msg);
            goto done;
        }
        if (ds.too_big) {
            sf_vdb_builder_skip(b, "document larger than the limit", 1);
            continue;
        }
        if ((rc = sf_vdb_import_buf(b, name, doc.data ? doc.data : "", doc.len, err)))
            goto done;
    }
    if (r < 0)
        rc = sf_error_set(err, r == SF_ELIMIT ? r : SF_EIO, "vdb: %s: %s", path, ae.msg);
done:
    sf_arch_free(a);
    sf_buf_free(&doc);
    return rc;
}

static int import_file(sf_vdb_builder *b, const char *path, sf_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, errno == ENOENT ? SF_ENOTFOUND : SF_EIO, "vdb: cannot open %s: %s",
                            path, strerror(errno));
    sf_buf doc;
    sf_buf_init(&doc, SF_LIM_VDB_DOC_BYTES);
    int rc = SF_OK;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (sf_buf_append(&doc, chunk, n)) {
            rc = SF_ELIMIT;
            break;
        }
    }
    if (!rc && ferror(f))
        rc = sf_error_set(err, SF_EIO, "vdb: reading %s failed", path);
    fclose(f);
    if (rc == SF_ELIMIT) {
        sf_vdb_builder_skip(b, "document larger than the limit", 1);
        rc = SF_OK;
    } else if (!rc) {
        rc = sf_vdb_import_buf(b, path, doc.data ? doc.data : "", doc.len, err);
    }
    sf_buf_free(&doc);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Walk a directory in name order (deterministic DBs from the same tree). */
static int import_dir(sf_vdb_builder *b, const char *path, int depth, sf_error *err)
{
    if (depth > SF_LIM_VDB_DIR_DEPTH)
        return sf_error_set(err, SF_ELIMIT, "vdb: %s: directories nested too deep", path);
    DIR *d = opendir(path);
    if (!d)
        return sf_error_set(err, SF_EIO, "vdb: cannot open directory %s: %s", path,
                            strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = SF_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (SF_ARRAY_RESERVE(names, cap, n, 64, 0) != SF_OK) {
            rc = SF_ENOMEM;
            break;
        }
        if (!(names[n] = strdup(de->d_name))) {
            rc = SF_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (!rc && n)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && !rc; i++) {
        char child[SF_LIM_PATH];
        struct stat st;
        if (snprintf(child, sizeof child, "%s/%s", path, names[i]) >= (int)sizeof child ||
            stat(child, &st)) {
            sf_vdb_builder_skip(b, "unreadable path", 1);
            continue;
        }
        if (S_ISDIR(st.st_mode))
            rc = import_dir(b, child, depth + 1, err);
        else if (S_ISREG(st.st_mode) && is_archive_name(child))
            rc = import_archive(b, child, err);
        else if (S_ISREG(st.st_mode) && wanted_entry(child))
            rc = import_file(b, child, err);
    }
    sf_strarr_free(names, n);
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "vdb: out of memory");
    return rc;
}

int sf_vdb_import_path(sf_vdb_builder *b, const char *path, sf_error *err)
{
    struct stat st;
    if (stat(path, &st))
        return sf_error_set(err, errno == ENOENT ? SF_ENOTFOUND : SF_EIO, "vdb: %s: %s", path,
                            strerror(errno));
    if (S_ISDIR(st.st_mode))
        return import_dir(b, path, 0, err);
    if (is_archive_name(path))
        return import_archive(b, path, err);
    return import_file(b, path, err);
}
