/*
 * an_rpm: installed RPM packages from the SQLite rpm database
 * (var/lib/rpm/rpmdb.sqlite, and usr/lib/sysimage/rpm/rpmdb.sqlite where
 * Fedora 36+ and openSUSE keep it).
 *
 * The database is opened from memory (sqlite3_deserialize, read-only, on
 * a private copy whose header is switched from WAL to rollback mode: a
 * memory database cannot open a WAL one). Each row of the Packages table
 * is an rpm header blob: il and dl (big-endian int32), il index entries of
 * 16 bytes (tag, type, offset, count) and a dl-byte data store. We parse
 * that ourselves, bounds-checking every offset, and keep NAME, VERSION,
 * RELEASE, EPOCH, ARCH, LICENSE and SOURCERPM.
 *
 * Version strings: version is "[EPOCH:]VERSION-RELEASE" (epoch only when
 * the header has one), the EVR string rpm advisories compare. src_name is
 * the SOURCERPM's name ("openssl-1.1.1k-6.el8.src.rpm" -> "openssl") and
 * src_version its "[EPOCH:]V-R" (the binary's epoch, as source rpms carry
 * none), each NULL when equal to the binary's. gpg-pubkey pseudo-packages
 * (imported signing keys) are not packages and are left out.
 *
 * The database file is hostile input too: the schema must have a real
 * Packages table (a view could run forever), SQLite's defensive mode is
 * on, and a progress handler bounds the work of the query.
 *
 * BerkeleyDB (Packages) and ndb (Packages.db) databases are recognised
 * and reported as SF_SRC_UNPARSED with a note, never skipped silently.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

/* Index entries in one header: rpm itself refuses more than 0xffff. */
#define RPM_MAX_TAGS 0xffff
/* Data store of one header: rpm's own cap (headerMaxbytes) is 256 MiB;
 * the blob is also bounded by the file. */
#define RPM_MAX_DATA (256u << 20)
/* SQLite VM steps allowed, in progress-handler ticks of 1000 ops: ~1e9
 * ops is minutes of CPU; a real 2000-package DB needs ~1e6. */
#define RPM_MAX_TICKS 200000

enum { TAG_NAME = 1000, TAG_VERSION = 1001, TAG_RELEASE = 1002, TAG_EPOCH = 1003,
       TAG_LICENSE = 1014, TAG_ARCH = 1022, TAG_SOURCERPM = 1044 };
enum { T_INT32 = 4, T_STRING = 6, T_STRING_ARRAY = 8, T_I18NSTRING = 9 };

static const char *const sqlite_paths[] = {"var/lib/rpm/rpmdb.sqlite",
                                           "usr/lib/sysimage/rpm/rpmdb.sqlite", NULL};
static const char *const other_paths[] = {"var/lib/rpm/Packages", "var/lib/rpm/Packages.db",
                                          "usr/lib/sysimage/rpm/Packages",
                                          "usr/lib/sysimage/rpm/Packages.db", NULL};

static int in_list(const char *path, const char *const *list)
{
    for (int i = 0; list[i]; i++)
        if (strcmp(path, list[i]) == 0)
            return 1;
    return 0;
}

static int rpm_wants(const sf_entry *e)
{
    return sf_an_is_regular(e) && (in_list(e->path, sqlite_paths) || in_list(e->path, other_paths));
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What one header yields, as slices of the blob (NUL-terminated there). */
typedef struct rpmhdr {
    const char *name, *version, *release, *license, *arch, *sourcerpm;
    int has_epoch;
    uint32_t epoch;
} rpmhdr;

/* Parse one header blob; SF_EPARSE when it is malformed anywhere we look. */
static int parse_header(const uint8_t *b, size_t len, rpmhdr *h)
{
    memset(h, 0, sizeof *h);
    if (len < 8)
        return SF_EPARSE;
    uint32_t il = be32(b), dl = be32(b + 4);
    if (il == 0 || il > RPM_MAX_TAGS || dl > RPM_MAX_DATA)
        return SF_EPARSE;
    size_t need = 8 + (size_t)il * 16 + dl; /* no overflow: both bounded above */
    if (need > len)
        return SF_EPARSE;
    const uint8_t *index = b + 8, *data = b + 8 + (size_t)il * 16;
    for (uint32_t i = 0; i < il; i++) {
        const uint8_t *ent = index + (size_t)i * 16;
        uint32_t tag = be32(ent), type = be32(ent + 4), off = be32(ent + 8), count = be32(ent + 12);
        const char **slot = NULL;
        switch (tag) {
        case TAG_NAME: slot = &h->name; break;
        case TAG_VERSION: slot = &h->version; break;
        case TAG_RELEASE: slot = &h->release; break;
        case TAG_LICENSE: slot = &h->license; break;
        case TAG_ARCH: slot = &h->arch; break;
        case TAG_SOURCERPM: slot = &h->sourcerpm; break;
        case TAG_EPOCH:
            if (type != T_INT32 || count < 1 || off > dl || dl - off < 4)
                return SF_EPARSE;
            h->epoch = be32(data + off);
            h->has_epoch = 1;
            continue;
        default: continue;
        }
        if (type != T_STRING && type != T_I18NSTRING && type != T_STRING_ARRAY)
            return SF_EPARSE;
        if (off >= dl || !memchr(data + off, '\0', dl - off))
            return SF_EPARSE;
        *slot = (const char *)data + off; /* first string of an array or i18n table */
    }
    return SF_OK;
}

/* "[E:]V-R" into a new string. */
static int evr(char **out, int has_epoch, uint32_t epoch, const char *v, size_t vlen, const char *r,
               size_t rlen)
{
    sf_buf b;
    sf_buf_init(&b, 3 * SF_AN_FIELD_MAX);
    int rc = SF_OK;
    if (has_epoch)
        rc = sf_buf_printf(&b, "%u:", epoch);
    if (rc == SF_OK)
        rc = sf_buf_printf(&b, "%.*s-%.*s", (int)vlen, v, (int)rlen, r);
    if (rc != SF_OK) {
        sf_buf_free(&b);
        return rc;
    }
    rc = sf_an_dup_field(out, b.data, b.len);
    sf_buf_free(&b);
    return rc;
}

/* SOURCERPM "name-version-release.src.rpm" -> src_name, src_version. */
static int split_sourcerpm(const rpmhdr *h, sf_pkg *p)
{
    const char *s = h->sourcerpm;
    size_t n = strlen(s);
    if (n > 8 && memcmp(s + n - 8, ".src.rpm", 8) == 0)
        n -= 8;
    else if (n > 10 && memcmp(s + n - 10, ".nosrc.rpm", 10) == 0)
        n -= 10;
    else
        return SF_EPARSE;
    const char *rel = memrchr(s, '-', n);
    const char *ver = rel ? memrchr(s, '-', (size_t)(rel - s)) : NULL;
    if (!ver || ver == s)
        return SF_EPARSE;
    size_t nlen = (size_t)(ver - s);
    int rc = SF_OK;
    if (strlen(p->name) != nlen || memcmp(p->name, s, nlen) != 0)
        rc = sf_an_dup_field(&p->src_name, s, nlen);
    if (rc != SF_OK)
        return rc;
    char *sv = NULL;
    rc = evr(&sv, h->has_epoch, h->epoch, ver + 1, (size_t)(rel - ver - 1), rel + 1,
             (size_t)(s + n - rel - 1));
    if (rc == SF_OK && sv && strcmp(sv, p->version) == 0) {
        free(sv);
        sv = NULL;
    }
    p->src_version = sv;
    return rc;
}

static int header_pkg(const rpmhdr *h, sf_pkg *p)
{
    int rc;
    memset(p, 0, sizeof *p);
    p->type = SF_PT_RPM;
    p->layer = -1;
    if (!h->name || !h->version || !h->release)
        return SF_EPARSE;
    if ((rc = sf_an_dup_field(&p->name, h->name, strlen(h->name))) != SF_OK ||
        (rc = evr(&p->version, h->has_epoch, h->epoch, h->version, strlen(h->version), h->release,
                  strlen(h->release))) != SF_OK)
        return rc;
    if (!p->name || !p->version)
        return SF_EPARSE;
    if (h->arch && (rc = sf_an_dup_field(&p->arch, h->arch, strlen(h->arch))) != SF_OK)
        return rc;
    if (h->license && (rc = sf_an_dup_field(&p->license, h->license, strlen(h->license))) != SF_OK)
        p->license = NULL; /* a license we cannot keep does not lose the package */
    if (h->sourcerpm && (rc = split_sourcerpm(h, p)) == SF_ENOMEM)
        return rc;
    return SF_OK;
}

int sf_an_rpm_header_pkg(const uint8_t *blob, size_t len, sf_pkg *out)
{
    rpmhdr h;
    memset(out, 0, sizeof *out);
    out->layer = -1;
    if (parse_header(blob, len, &h) != SF_OK)
        return SF_EPARSE;
    int rc = header_pkg(&h, out);
    if (rc != SF_OK)
        sf_pkg_clear(out);
    return rc;
}

static int progress_cb(void *arg)
{
    unsigned *ticks = arg;
    return ++*ticks > RPM_MAX_TICKS;
}

/* Open data as a read-only in-memory database. */
static int open_db(const uint8_t *data, size_t len, sqlite3 **out, sf_error *err)
{
    sqlite3 *db = NULL;
    *out = NULL;
    if (len < 100 || memcmp(data, "SQLite format 3", 16) != 0)
        return sf_error_set(err, SF_EPARSE, "rpmdb.sqlite: not an SQLite database");
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return sf_error_set(err, SF_ENOMEM, "rpmdb.sqlite: cannot open a memory database");
    }
    unsigned char *copy = sqlite3_malloc64(len);
    if (!copy) {
        sqlite3_close(db);
        return sf_error_set(err, SF_ENOMEM, "rpmdb.sqlite: out of memory (%zu bytes)", len);
    }
    memcpy(copy, data, len);
    /* Bytes 18-19: file format versions; 2 means WAL, which memdb refuses. */
    if (copy[18] == 2)
        copy[18] = 1;
    if (copy[19] == 2)
        copy[19] = 1;
    int rc = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
                                 SQLITE_DESERIALIZE_READONLY | SQLITE_DESERIALIZE_FREEONCLOSE);
    if (rc != SQLITE_OK) {
        sqlite3_close(db);
        return sf_error_set(err, SF_EPARSE, "rpmdb.sqlite: cannot load (%s)", sqlite3_errstr(rc));
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    sqlite3_limit(db, SQLITE_LIMIT_LENGTH, (int)(RPM_MAX_DATA + RPM_MAX_TAGS * 16 + 8));
    *out = db;
    return SF_OK;
}

/* 1 when Packages is a plain table (not a view, which could do anything). */
static int has_packages_table(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (sqlite3_prepare_v2(db, "SELECT type FROM sqlite_schema WHERE name = 'Packages'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        ok = t && strcmp((const char *)t, "table") == 0;
    }
    sqlite3_finalize(st);
    return ok;
}

static int read_packages(sqlite3 *db, sf_inv_source *src, size_t *skipped, sf_error *err)
{
    sqlite3_stmt *st = NULL;
    int rc = SF_OK, s;
    if (sqlite3_prepare_v2(db, "SELECT blob FROM Packages ORDER BY hnum", -1, &st, NULL) != SQLITE_OK) {
        rc = sf_error_set(err, SF_EPARSE, "rpmdb.sqlite: %s", sqlite3_errmsg(db));
        goto done;
    }
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        const uint8_t *blob = sqlite3_column_blob(st, 0);
        int blen = sqlite3_column_bytes(st, 0);
        rpmhdr h;
        sf_pkg p;
        if (!blob || blen <= 0 || parse_header(blob, (size_t)blen, &h) != SF_OK) {
            (*skipped)++;
            continue;
        }
        if (h.name && strcmp(h.name, "gpg-pubkey") == 0)
            continue;
        int prc = header_pkg(&h, &p);
        if (prc == SF_ENOMEM) {
            sf_pkg_clear(&p);
            rc = sf_error_set(err, prc, "out of memory");
            goto done;
        }
        if (prc != SF_OK) {
            sf_pkg_clear(&p);
            (*skipped)++;
            continue;
        }
        if ((rc = sf_an_take_pkg(src, &p, err)) != SF_OK)
            goto done;
    }
    if (s != SQLITE_DONE)
        rc = sf_error_set(err, s == SQLITE_INTERRUPT ? SF_ELIMIT : SF_EPARSE, "rpmdb.sqlite: %s",
                          s == SQLITE_INTERRUPT ? "query took too long" : sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    return rc;
}

static int rpm_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                     sf_error *err)
{
    if (!in_list(e->path, sqlite_paths)) {
        /* Name the format when its magic says it: BerkeleyDB hash (0x061561
         * at offset 12, either byte order) or ndb ("RpmP"). */
        const char *why = "rpm database (unknown format) found, not parsed";
        if (len >= 16 && (memcmp(data + 12, "\x00\x06\x15\x61", 4) == 0 ||
                          memcmp(data + 12, "\x61\x15\x06\x00", 4) == 0))
            why = "rpm BerkeleyDB database found, not parsed";
        else if (len >= 4 && memcmp(data, "RpmP", 4) == 0)
            why = "rpm ndb database found, not parsed";
        int r = sf_an_unparsed(src, why);
        return r == SF_OK ? SF_OK : sf_error_set(err, r, "out of memory");
    }
    sqlite3 *db = NULL;
    unsigned ticks = 0;
    size_t skipped = 0;
    int rc = open_db(data, len, &db, err);
    if (rc != SF_OK)
        goto done;
    sqlite3_progress_handler(db, 1000, progress_cb, &ticks);
    if (!has_packages_table(db)) {
        rc = sf_error_set(err, SF_EPARSE, "rpmdb.sqlite: no Packages table");
        goto done;
    }
    src->status = SF_SRC_PARSED;
    if ((rc = read_packages(db, src, &skipped, err)) != SF_OK)
        goto done;
    if (skipped && sf_an_note(src, "%zu malformed header(s) skipped", skipped) != SF_OK)
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
done:
    sqlite3_close(db);
    return rc;
}

const sf_analyzer sf_an_rpm = {
    .name = "rpm",
    .version = 1,
    .max_bytes = SF_LIM_FILE_BYTES, /* a big rpmdb.sqlite is ~60 MiB */
    .wants = rpm_wants,
    .sniff = NULL,
    .parse = rpm_parse,
};
