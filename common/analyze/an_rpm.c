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
 * BerkeleyDB hash databases (var/lib/rpm/Packages, rpm < 4.16) and ndb
 * databases (Packages.db, SUSE) are read with our own bounded readers
 * (below); a Packages file in neither format is reported as
 * SF_SRC_UNPARSED with a note, never skipped silently.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

#define RPM_MAX_TAGS SF_LIM_RPM_TAGS
#define RPM_MAX_DATA SF_LIM_RPM_DATA
#define RPM_MAX_TICKS SF_LIM_RPM_SQL_TICKS

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

/* One header blob to a package in src; unusable blobs count in *skipped. */
static int add_blob(const uint8_t *blob, size_t blen, sf_inv_source *src, size_t *skipped,
                    sf_error *err)
{
    rpmhdr h;
    sf_pkg p;
    if (!blob || blen == 0 || parse_header(blob, blen, &h) != SF_OK) {
        (*skipped)++;
        return SF_OK;
    }
    if (h.name && strcmp(h.name, "gpg-pubkey") == 0)
        return SF_OK;
    int rc = header_pkg(&h, &p);
    return sf_an_take_built(src, rc, &p, skipped, err);
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
        if ((rc = add_blob(blob, blen > 0 ? (size_t)blen : 0, src, skipped, err)) != SF_OK)
            goto done;
    }
    if (s != SQLITE_DONE)
        rc = sf_error_set(err, s == SQLITE_INTERRUPT ? SF_ELIMIT : SF_EPARSE, "rpmdb.sqlite: %s",
                          s == SQLITE_INTERRUPT ? "query took too long" : sqlite3_errmsg(db));
done:
    sqlite3_finalize(st);
    return rc;
}

/*
 * BerkeleyDB hash database (rpm's "Packages" before rpm 4.16: RHEL/CentOS
 * 7-8, UBI 8, Amazon Linux 2). Page 0 is the hash metadata (magic
 * 0x061561 at byte 12, in the writer's byte order; page size at 20; last
 * page number at 32). Hash pages (type 13, or 2 before BDB 4.6) hold an
 * index of 2-byte offsets to key/data items in pairs; rpm headers are
 * data items of type H_OFFPAGE (3): first overflow page and total length,
 * the bytes spread over a chain of overflow pages (type 7; bytes used on
 * each page in hf_offset, next page at byte 16). Every page number,
 * offset and length is checked; chains are bounded by the page count and
 * all copying by a budget proportional to the file, so a hostile file
 * cannot make us loop or copy its bytes over and over.
 */
#define BDB_PAGE_HDR 26
enum { BDB_HASH_UNSORTED = 2, BDB_OVERFLOW = 7, BDB_HASHMETA = 8, BDB_HASH = 13, BDB_OFFPAGE = 3 };

typedef struct bdb {
    const uint8_t *d;
    size_t len;
    size_t pagesize;
    uint64_t npages;
    int be;          /* written on a big-endian host */
    uint64_t budget; /* overflow bytes we still accept to copy */
} bdb;

static uint32_t bdb32(const bdb *b, const uint8_t *p)
{
    return b->be ? be32(p) : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t bdb16(const bdb *b, const uint8_t *p)
{
    return b->be ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static int bdb_open(bdb *b, const uint8_t *d, size_t len)
{
    memset(b, 0, sizeof *b);
    b->d = d;
    b->len = len;
    if (len < 512)
        return SF_EPARSE;
    if (be32(d + 12) == 0x061561)
        b->be = 1;
    else if (!(d[12] == 0x61 && d[13] == 0x15 && d[14] == 0x06 && d[15] == 0))
        return SF_EPARSE;
    uint32_t ps = bdb32(b, d + 20);
    if (ps < 512 || ps > 65536 || (ps & (ps - 1)) || ps > len || d[25] != BDB_HASHMETA || d[24] != 0)
        return SF_EPARSE; /* d[24]: encryption, never used by rpm */
    b->pagesize = ps;
    uint64_t last = bdb32(b, d + 32);
    b->npages = last + 1 < len / ps ? last + 1 : len / ps; /* a truncated file: what is there */
    b->budget = 2 * (uint64_t)len + (1u << 20);
    return SF_OK;
}

static const uint8_t *bdb_page(const bdb *b, uint64_t pgno)
{
    return pgno < b->npages ? b->d + pgno * b->pagesize : NULL;
}

/* Collect tlen bytes of an overflow chain starting at pgno into out. */
static int bdb_overflow(bdb *b, uint32_t pgno, uint32_t tlen, sf_buf *out)
{
    if (tlen > b->budget)
        return SF_ELIMIT;
    b->budget -= tlen;
    sf_buf_reset(out);
    for (uint64_t steps = 0; out->len < tlen; steps++) {
        const uint8_t *pg = bdb_page(b, pgno);
        if (!pg || steps >= b->npages || pg[25] != BDB_OVERFLOW)
            return SF_EPARSE;
        size_t n = bdb16(b, pg + 22);
        if (n > b->pagesize - BDB_PAGE_HDR)
            return SF_EPARSE;
        size_t take = n < tlen - out->len ? n : tlen - out->len;
        if (take == 0)
            return SF_EPARSE; /* an empty overflow page: the chain could loop forever */
        int rc = sf_buf_append(out, pg + BDB_PAGE_HDR, take);
        if (rc != SF_OK)
            return rc;
        pgno = bdb32(b, pg + 16);
        if (out->len < tlen && pgno == 0)
            return SF_EPARSE;
    }
    return SF_OK;
}

/* The data items of one hash page. */
static int bdb_hash_page(bdb *b, const uint8_t *pg, sf_buf *blob, sf_inv_source *src, size_t *skipped,
                         sf_error *err)
{
    size_t nent = bdb16(b, pg + 20);
    if (BDB_PAGE_HDR + 2 * nent > b->pagesize) {
        (*skipped)++;
        return SF_OK;
    }
    for (size_t i = 1; i < nent; i += 2) { /* odd entries are the data of key/data pairs */
        size_t off = bdb16(b, pg + BDB_PAGE_HDR + 2 * i);
        if (off >= b->pagesize || pg[off] != BDB_OFFPAGE)
            continue; /* inline data: rpm's small bookkeeping records, not headers */
        if (off + 12 > b->pagesize) {
            (*skipped)++;
            continue;
        }
        int rc = bdb_overflow(b, bdb32(b, pg + off + 4), bdb32(b, pg + off + 8), blob);
        if (rc == SF_ELIMIT)
            return sf_error_set(err, rc, "rpm BerkeleyDB: overflow chains reused past the file size");
        if (rc == SF_ENOMEM)
            return sf_error_set(err, rc, "out of memory");
        if (rc != SF_OK) {
            (*skipped)++;
            continue;
        }
        if ((rc = add_blob((const uint8_t *)blob->data, blob->len, src, skipped, err)) != SF_OK)
            return rc;
    }
    return SF_OK;
}

static int parse_bdb(const uint8_t *data, size_t len, sf_inv_source *src, size_t *skipped, sf_error *err)
{
    bdb b;
    sf_buf blob;
    int rc = SF_OK;
    if (bdb_open(&b, data, len) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "rpm BerkeleyDB: not a hash database");
    sf_buf_init(&blob, RPM_MAX_DATA + RPM_MAX_TAGS * 16 + 8);
    src->status = SF_SRC_PARSED;
    for (uint64_t pgno = 1; pgno < b.npages && rc == SF_OK; pgno++) {
        const uint8_t *pg = bdb_page(&b, pgno);
        if (pg[25] == BDB_HASH || pg[25] == BDB_HASH_UNSORTED)
            rc = bdb_hash_page(&b, pg, &blob, src, skipped, err);
    }
    sf_buf_free(&blob);
    return rc;
}

/*
 * ndb (rpm's own format, "Packages.db": SUSE 15, and rpm built without
 * BerkeleyDB): a 32-byte header ("RpmP", version 0, generation, number
 * of 4 KiB slot pages), then slots of 16 bytes ("Slot", package index,
 * block offset, block count; offset 0 = free) filling the slot pages, and
 * blobs addressed in 16-byte blocks: "BlbS", package index, timestamp,
 * length, the header blob, then a 12-byte tail. All little-endian.
 */
#define NDB_PAGE 4096
#define NDB_BLK 16

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static int parse_ndb(const uint8_t *d, size_t len, sf_inv_source *src, size_t *skipped, sf_error *err)
{
    if (len < 32 || memcmp(d, "RpmP", 4) != 0 || le32(d + 4) != 0)
        return sf_error_set(err, SF_EPARSE, "rpm ndb: bad header");
    uint64_t npages = le32(d + 12), fileblks = len / NDB_BLK;
    if (npages == 0 || npages > len / NDB_PAGE)
        return sf_error_set(err, SF_EPARSE, "rpm ndb: %llu slot pages do not fit the file",
                            (unsigned long long)npages);
    src->status = SF_SRC_PARSED;
    for (uint64_t o = 32; o < npages * NDB_PAGE; o += 16) {
        const uint8_t *slot = d + o;
        if (memcmp(slot, "Slot", 4) != 0)
            return sf_error_set(err, SF_EPARSE, "rpm ndb: bad slot at byte %llu", (unsigned long long)o);
        uint64_t pkgidx = le32(slot + 4), blkoff = le32(slot + 8), blkcnt = le32(slot + 12);
        if (blkoff == 0)
            continue; /* free slot */
        if (blkoff < npages * (NDB_PAGE / NDB_BLK) || blkcnt < 2 || blkoff > fileblks ||
            blkcnt > fileblks - blkoff) {
            (*skipped)++;
            continue;
        }
        const uint8_t *blob = d + blkoff * NDB_BLK;
        uint64_t blen = le32(blob + 12);
        if (memcmp(blob, "BlbS", 4) != 0 || le32(blob + 4) != pkgidx || blen + 16 + 12 > blkcnt * NDB_BLK) {
            (*skipped)++;
            continue;
        }
        int rc = add_blob(blob + 16, (size_t)blen, src, skipped, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

static int rpm_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                     sf_error *err)
{
    if (!in_list(e->path, sqlite_paths)) {
        size_t skipped = 0;
        int rc;
        if (len >= 16 && (memcmp(data + 12, "\x00\x06\x15\x61", 4) == 0 ||
                          memcmp(data + 12, "\x61\x15\x06\x00", 4) == 0)) {
            if ((rc = parse_bdb(data, len, src, &skipped, err)) == SF_OK && skipped)
                rc = sf_an_note(src, "%zu malformed header(s) skipped", skipped);
            return rc == SF_ENOMEM ? sf_error_set(err, rc, "out of memory") : rc;
        }
        if (len >= 4 && memcmp(data, "RpmP", 4) == 0) {
            if ((rc = parse_ndb(data, len, src, &skipped, err)) == SF_OK && skipped)
                rc = sf_an_note(src, "%zu malformed header(s) skipped", skipped);
            return rc == SF_ENOMEM ? sf_error_set(err, rc, "out of memory") : rc;
        }
        rc = sf_an_unparsed(src, "rpm database (unknown format) found, not parsed");
        return rc == SF_OK ? SF_OK : sf_error_set(err, rc, "out of memory");
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
