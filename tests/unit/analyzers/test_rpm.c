/* Tests of the rpm analyzer: an rpmdb.sqlite built here from hand-made
 * header blobs (rollback and WAL mode), BerkeleyDB Packages files built by
 * hand and by the real library, ndb Packages.db files, corrupt headers
 * and databases, and the "found, not parsed" report of unknown formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "an_test.h"
#include "testutil.h"

typedef struct tagval {
    uint32_t tag, type;
    const char *s; /* string value, or NULL for INT32 */
    uint32_t i;
} tagval;

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Build an rpm header blob (as rpm stores it in rpmdb.sqlite): il, dl,
 * index entries, data store. A leading region entry (tag 63) like rpm's. */
static uint8_t *make_header(const tagval *tv, size_t n, size_t *len)
{
    size_t il = n + 1, dl = 16;
    for (size_t i = 0; i < n; i++)
        dl += tv[i].s ? strlen(tv[i].s) + 1 : 8;
    uint8_t *b = calloc(1, 8 + il * 16 + dl);
    put32(b, (uint32_t)il);
    put32(b + 4, (uint32_t)dl);
    uint8_t *idx = b + 8, *data = b + 8 + il * 16;
    put32(idx, 63), put32(idx + 4, 7), put32(idx + 8, 0), put32(idx + 12, 16);
    size_t off = 16;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = idx + (i + 1) * 16;
        put32(e, tv[i].tag);
        put32(e + 4, tv[i].type);
        put32(e + 12, 1);
        if (tv[i].s) {
            put32(e + 8, (uint32_t)off);
            memcpy(data + off, tv[i].s, strlen(tv[i].s) + 1);
            off += strlen(tv[i].s) + 1;
        } else {
            off = (off + 3) & ~(size_t)3;
            put32(e + 8, (uint32_t)off);
            put32(data + off, tv[i].i);
            off += 4;
        }
    }
    *len = 8 + il * 16 + dl;
    return b;
}

#define S(tag, str) {tag, 6, str, 0}
static const tagval openssl[] = {
    S(1000, "openssl-libs"), S(1001, "1.1.1k"), S(1002, "6.el8"), {1003, 4, NULL, 1},
    S(1022, "x86_64"), S(1014, "OpenSSL and ASL 2.0"), S(1044, "openssl-1.1.1k-6.el8.src.rpm"),
};
static const tagval bash[] = {
    S(1000, "bash"), S(1001, "4.4.20"), S(1002, "1.el8_4"), S(1022, "x86_64"), {1014, 9, "GPLv3+", 0},
    S(1044, "bash-4.4.20-1.el8_4.src.rpm"),
};
static const tagval pubkey[] = {S(1000, "gpg-pubkey"), S(1001, "fd431d51"), S(1002, "4ae0493b")};
static const tagval noname[] = {S(1001, "1"), S(1002, "1")};

/* Build rpmdb.sqlite with rpm's schema, in WAL mode when wal, and return
 * its bytes. extra_sql runs last (to corrupt it). */
static uint8_t *make_db(int wal, const char *extra_sql, size_t *len)
{
    char path[] = "/tmp/sf-an-rpmdb-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (wal)
        assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, "
                                  "blob BLOB NOT NULL);"
                                  "CREATE TABLE Name (key TEXT NOT NULL, hnum INTEGER NOT NULL);",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    const struct {
        const tagval *tv;
        size_t n;
    } rows[] = {{openssl, 7}, {bash, 6}, {pubkey, 3}, {noname, 2}};
    for (size_t r = 0; r < 4; r++) {
        size_t blen;
        uint8_t *blob = make_header(rows[r].tv, rows[r].n, &blen);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO Packages(blob) VALUES (?)", -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_blob(st, 1, blob, (int)blen, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_finalize(st);
        free(blob);
    }
    /* a truncated header and a header whose offsets point outside */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO Packages(blob) VALUES (x'0000000100');"
                                      "INSERT INTO Packages(blob) VALUES "
                                      "(x'00000001000000040000"
                                      "03E80000000600FFFFFF0000000141424300');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    if (extra_sql)
        assert_int_equal(sqlite3_exec(db, extra_sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    uint8_t *bytes = (uint8_t *)sf_t_read_file(path, len);
    unlink(path);
    char wal_path[64];
    snprintf(wal_path, sizeof wal_path, "%s-wal", path);
    unlink(wal_path);
    snprintf(wal_path, sizeof wal_path, "%s-shm", path);
    unlink(wal_path);
    assert_non_null(bytes);
    return bytes;
}

static void check_packages(const sf_inv_source *src)
{
    assert_int_equal(src->status, SF_SRC_PARSED);
    assert_int_equal(src->npkgs, 2); /* gpg-pubkey left out, the 3 bad headers skipped */
    const sf_pkg *p = an_pkg(src, "openssl-libs");
    assert_non_null(p);
    assert_int_equal(p->type, SF_PT_RPM);
    assert_string_equal(p->version, "1:1.1.1k-6.el8");
    assert_string_equal(p->arch, "x86_64");
    assert_string_equal(p->license, "OpenSSL and ASL 2.0");
    assert_string_equal(p->src_name, "openssl");
    assert_null(p->src_version); /* "1:1.1.1k-6.el8" too */
    p = an_pkg(src, "bash");
    assert_string_equal(p->version, "4.4.20-1.el8_4");
    assert_null(p->src_name);
    assert_null(p->src_version);
    assert_string_equal(p->license, "GPLv3+");
    assert_string_equal(src->note, "3 malformed header(s) skipped");
}

static void test_analyzers_rpm__sqlite_db(void **state)
{
    (void)state;
    for (int wal = 0; wal < 2; wal++) {
        size_t len;
        uint8_t *db = make_db(wal, NULL, &len);
        if (wal)
            assert_int_equal(db[18], 2); /* really a WAL-mode file */
        sf_inv_source src;
        sf_error err = SF_ERROR_INIT;
        assert_int_equal(an_run(&sf_an_rpm, wal ? "usr/lib/sysimage/rpm/rpmdb.sqlite"
                                                : "var/lib/rpm/rpmdb.sqlite",
                                0100644, db, len, &src, &err),
                         SF_OK);
        check_packages(&src);
        sf_inv_source_clear(&src);
        free(db);
    }
}

static void test_analyzers_rpm__corrupt_db(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    size_t len;
    uint8_t *db = make_db(0, NULL, &len);
    /* Truncations, flipped bytes, garbage: an error or fewer packages, never a crash. */
    size_t cuts[] = {0, 50, 100, 1024, 4096, len / 2, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        sf_error_clear(&err);
        int rc = an_run(&sf_an_rpm, "var/lib/rpm/rpmdb.sqlite", 0100644, db, cuts[i], &src, &err);
        if (rc != SF_OK)
            assert_true(err.msg[0] != '\0');
        assert_true(src.npkgs <= 2);
        sf_inv_source_clear(&src);
    }
    for (size_t pos = 0; pos < len; pos += 97) {
        uint8_t *copy = malloc(len);
        memcpy(copy, db, len);
        copy[pos] ^= 0x5a;
        sf_error_clear(&err);
        an_run(&sf_an_rpm, "var/lib/rpm/rpmdb.sqlite", 0100644, copy, len, &src, &err);
        assert_true(src.npkgs <= 2);
        sf_inv_source_clear(&src);
        free(copy);
    }
    free(db);

    /* A Packages view (could be an endless recursive query) is refused. */
    db = make_db(0, "DROP TABLE Packages; CREATE VIEW Packages AS WITH RECURSIVE c(x) AS "
                    "(SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT x AS hnum, x AS blob FROM c;",
                 &len);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/rpmdb.sqlite", 0100644, db, len, &src, &err),
                     SF_EPARSE);
    assert_non_null(strstr(err.msg, "Packages"));
    sf_inv_source_clear(&src);
    free(db);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/rpmdb.sqlite", 0100644, "not sqlite", 10, &src, &err),
                     SF_EPARSE);
    sf_inv_source_clear(&src);
}

/* The header parser alone: every truncation of a valid blob is refused,
 * flipped index bytes never read outside the blob (ASan watches). */
static void test_analyzers_rpm__header_blob_bounds(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = make_header(openssl, 7, &len);
    sf_pkg p;
    assert_int_equal(sf_an_rpm_header_pkg(b, len, &p), SF_OK);
    assert_string_equal(p.name, "openssl-libs");
    sf_pkg_clear(&p);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *t = malloc(cut ? cut : 1);
        memcpy(t, b, cut);
        assert_int_equal(sf_an_rpm_header_pkg(t, cut, &p), SF_EPARSE);
        sf_pkg_clear(&p);
        free(t);
    }
    for (size_t pos = 0; pos < 8 + 8 * 16; pos++) {
        for (int bit = 0; bit < 8; bit++) {
            b[pos] ^= (uint8_t)(1u << bit);
            if (sf_an_rpm_header_pkg(b, len, &p) == SF_OK)
                assert_non_null(p.name);
            sf_pkg_clear(&p);
            b[pos] ^= (uint8_t)(1u << bit);
        }
    }
    free(b);
}

/* Rows for the BerkeleyDB tests: real-size headers (a 3000-byte
 * description pushes them onto overflow pages, as real ones are). */
static uint8_t *big_header(const tagval *tv, size_t n, size_t *len)
{
    static char desc[3001];
    memset(desc, 'd', 3000);
    tagval all[16];
    memcpy(all, tv, n * sizeof *tv);
    all[n] = (tagval){1005, 6, desc, 0};
    return make_header(all, n + 1, len);
}

static void put32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

/* A little-endian BerkeleyDB hash file by hand: meta page, one hash page
 * with (key, keydata) and (key, offpage) pairs, overflow chains. */
static uint8_t *make_bdb(size_t *len)
{
    const size_t ps = 1024;
    size_t l1, l2;
    uint8_t *h1 = big_header(openssl, 7, &l1), *h2 = big_header(bash, 6, &l2);
    size_t per = ps - 26, n1 = (l1 + per - 1) / per, n2 = (l2 + per - 1) / per;
    size_t npages = 2 + n1 + n2;
    uint8_t *d = calloc(npages, ps);
    put32le(d + 12, 0x061561);
    put32le(d + 20, (uint32_t)ps);
    d[25] = 8;
    put32le(d + 32, (uint32_t)(npages - 1));
    uint8_t *hp = d + ps;
    hp[25] = 13;
    hp[20] = 6; /* three key/data pairs */
    uint16_t off = (uint16_t)ps;
    const uint8_t *blobs[2] = {h1, h2};
    size_t lens[2] = {l1, l2}, first[2] = {2, 2 + n1};
    for (int k = 0; k < 3; k++) {
        off -= 5; /* key: H_KEYDATA + 4-byte instance */
        hp[off] = 1;
        put32le(hp + off + 1, (uint32_t)k);
        hp[26 + 4 * k] = (uint8_t)off, hp[27 + 4 * k] = (uint8_t)(off >> 8);
        if (k == 0) { /* rpm's record 0: inline data, not a header */
            off -= 5;
            hp[off] = 1;
        } else {
            off -= 12;
            hp[off] = 3;
            put32le(hp + off + 4, (uint32_t)first[k - 1]);
            put32le(hp + off + 8, (uint32_t)lens[k - 1]);
        }
        hp[28 + 4 * k] = (uint8_t)off, hp[29 + 4 * k] = (uint8_t)(off >> 8);
    }
    for (int k = 0; k < 2; k++) {
        size_t done = 0, pg = first[k];
        while (done < lens[k]) {
            uint8_t *p = d + pg * ps;
            size_t take = lens[k] - done < per ? lens[k] - done : per;
            p[25] = 7;
            p[22] = (uint8_t)take, p[23] = (uint8_t)(take >> 8);
            memcpy(p + 26, blobs[k] + done, take);
            done += take;
            put32le(p + 16, done < lens[k] ? (uint32_t)(pg + 1) : 0);
            pg++;
        }
    }
    free(h1);
    free(h2);
    *len = npages * ps;
    return d;
}

static void check_bdb(const uint8_t *db, size_t len)
{
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, db, len, &src, &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_PARSED);
    assert_int_equal(src.npkgs, 2);
    assert_string_equal(an_pkg(&src, "openssl-libs")->version, "1:1.1.1k-6.el8");
    assert_string_equal(an_pkg(&src, "openssl-libs")->src_name, "openssl");
    assert_string_equal(an_pkg(&src, "bash")->version, "4.4.20-1.el8_4");
    assert_null(src.note);
    sf_inv_source_clear(&src);
}

static void test_analyzers_rpm__berkeleydb_handmade(void **state)
{
    (void)state;
    size_t len;
    uint8_t *db = make_bdb(&len);
    check_bdb(db, len);
    /* corruption anywhere: fewer packages or an error, never a crash */
    sf_inv_source src;
    for (size_t pos = 0; pos < len; pos += 7) {
        uint8_t saved = db[pos];
        db[pos] ^= 0xa5;
        sf_error err = SF_ERROR_INIT;
        an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, db, len, &src, &err);
        assert_true(src.npkgs <= 2);
        sf_inv_source_clear(&src);
        db[pos] = saved;
    }
    for (size_t cut = 0; cut < len; cut += 97) {
        sf_error err = SF_ERROR_INIT;
        an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, db, cut, &src, &err);
        sf_inv_source_clear(&src);
    }
    /* broken overflow chains: a page past the end, an empty page looping
     * on itself (a loop of full pages is bounded by the item's length) */
    static const struct {
        size_t at;
        uint32_t val;
    } breaks[] = {{1024 * 3 + 16, 9999}, {1024 * 3 + 22, 0}};
    for (size_t k = 0; k < 2; k++) {
        uint8_t *copy = malloc(len);
        memcpy(copy, db, len);
        if (k == 1)
            put32le(copy + 1024 * 3 + 16, 3);
        copy[breaks[k].at] = (uint8_t)breaks[k].val, copy[breaks[k].at + 1] = (uint8_t)(breaks[k].val >> 8);
        sf_error err = SF_ERROR_INIT;
        assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, copy, len, &src, &err), SF_OK);
        assert_int_equal(src.npkgs, 1);
        assert_string_equal(src.note, "1 malformed header(s) skipped");
        sf_inv_source_clear(&src);
        free(copy);
    }
    /* every offpage item pointing at the same long chain: the copy budget stops it */
    uint8_t *hp = db + 1024;
    size_t off2 = (size_t)hp[28 + 4 * 2] | (size_t)hp[29 + 4 * 2] << 8;
    uint8_t *big = calloc(1, 64 * 1024);
    memcpy(big, db, len);
    uint8_t *bhp = big + 1024;
    bhp[20] = 200; /* 100 pairs, all pointing at the same offpage item */
    for (int k = 0; k < 200; k++)
        bhp[26 + 2 * k] = (uint8_t)off2, bhp[27 + 2 * k] = (uint8_t)(off2 >> 8);
    put32le(big + 32, 63);
    put32le(bhp + off2 + 8, 60 * 1024); /* claims nearly the whole file */
    for (size_t p = 2; p < 63; p++) {
        uint8_t *pg = big + p * 1024;
        pg[25] = 7;
        pg[22] = (uint8_t)998, pg[23] = (uint8_t)(998 >> 8);
        put32le(pg + 16, (uint32_t)(p + 1));
    }
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, big, 64 * 1024, &src, &err), SF_ELIMIT);
    sf_inv_source_clear(&src);
    free(big);
    free(db);
}

/* The same rows written by the real BerkeleyDB library (db5.3_load from
 * db5.3-util), when it is installed. */
static void test_analyzers_rpm__berkeleydb_real_library(void **state)
{
    (void)state;
    if (system("command -v db5.3_load >/dev/null 2>&1") != 0)
        skip();
    char dir[] = "/tmp/sf-an-bdb-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], cmd[512];
    snprintf(path, sizeof path, "%s/in.txt", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    const tagval *rows[3] = {openssl, bash, pubkey};
    size_t nrows[3] = {7, 6, 3};
    fprintf(f, "\\00\\00\\00\\00\n\\02\\00\\00\\00\n"); /* rpm's record 0 */
    for (int r = 0; r < 3; r++) {
        size_t blen;
        uint8_t *blob = big_header(rows[r], nrows[r], &blen);
        fprintf(f, "\\%02x\\00\\00\\00\n", r + 1);
        for (size_t i = 0; i < blen; i++)
            fprintf(f, "\\%02x", blob[i]);
        fprintf(f, "\n");
        free(blob);
    }
    fclose(f);
    snprintf(cmd, sizeof cmd, "db5.3_load -T -t hash -c db_pagesize=4096 -f %s/in.txt %s/Packages", dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/Packages", dir);
    size_t len;
    uint8_t *db = (uint8_t *)sf_t_read_file(path, &len);
    assert_non_null(db);
    check_bdb(db, len);
    free(db);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* An ndb Packages.db by hand: header, one slot page, two blobs. */
static uint8_t *make_ndb(size_t *len)
{
    size_t l1, l2;
    uint8_t *h1 = make_header(openssl, 7, &l1), *h2 = make_header(bash, 6, &l2);
    size_t b1 = (16 + l1 + 12 + 15) / 16, b2 = (16 + l2 + 12 + 15) / 16;
    size_t total = 4096 + (b1 + b2) * 16;
    uint8_t *d = calloc(1, total);
    memcpy(d, "RpmP", 4);
    put32le(d + 12, 1);
    for (size_t o = 32; o < 4096; o += 16)
        memcpy(d + o, "Slot", 4);
    const uint8_t *hs[2] = {h1, h2};
    size_t ls[2] = {l1, l2}, offs[2] = {256, 256 + b1}, cnts[2] = {b1, b2};
    for (int k = 0; k < 2; k++) {
        uint8_t *slot = d + 32 + 16 * (size_t)(k * 5); /* not adjacent: free slots between */
        put32le(slot + 4, (uint32_t)(k + 1));
        put32le(slot + 8, (uint32_t)offs[k]);
        put32le(slot + 12, (uint32_t)cnts[k]);
        uint8_t *blob = d + offs[k] * 16;
        memcpy(blob, "BlbS", 4);
        put32le(blob + 4, (uint32_t)(k + 1));
        put32le(blob + 12, (uint32_t)ls[k]);
        memcpy(blob + 16, hs[k], ls[k]);
        memcpy(blob + 16 + ls[k] + 8, "BlbE", 4);
    }
    free(h1);
    free(h2);
    *len = total;
    return d;
}

static void test_analyzers_rpm__ndb_handmade(void **state)
{
    (void)state;
    size_t len;
    uint8_t *db = make_ndb(&len);
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_rpm, "usr/lib/sysimage/rpm/Packages.db", 0100644, db, len, &src, &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_PARSED);
    assert_int_equal(src.npkgs, 2);
    assert_string_equal(an_pkg(&src, "openssl-libs")->version, "1:1.1.1k-6.el8");
    assert_string_equal(an_pkg(&src, "bash")->arch, "x86_64");
    assert_null(src.note);
    sf_inv_source_clear(&src);
    /* a blob whose index does not match its slot is skipped */
    db[4096 + 4] = 9;
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages.db", 0100644, db, len, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 1);
    assert_string_equal(src.note, "1 malformed header(s) skipped");
    sf_inv_source_clear(&src);
    db[4096 + 4] = 1;
    for (size_t cut = 0; cut < len; cut += 61) {
        sf_error_clear(&err);
        an_run(&sf_an_rpm, "var/lib/rpm/Packages.db", 0100644, db, cut, &src, &err);
        assert_true(src.npkgs <= 2);
        sf_inv_source_clear(&src);
    }
    for (size_t pos = 0; pos < len; pos += 5) {
        uint8_t saved = db[pos];
        db[pos] ^= 0x5a;
        sf_error_clear(&err);
        an_run(&sf_an_rpm, "var/lib/rpm/Packages.db", 0100644, db, len, &src, &err);
        assert_true(src.npkgs <= 2);
        sf_inv_source_clear(&src);
        db[pos] = saved;
    }
    free(db);
}

static void test_analyzers_rpm__other_formats_reported(void **state)
{
    (void)state;
    uint8_t bdb[64] = {0};
    memcpy(bdb + 12, "\x61\x15\x06\x00", 4);
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, bdb, sizeof bdb, &src, &err),
                     SF_EPARSE);
    assert_non_null(strstr(err.msg, "BerkeleyDB"));
    sf_inv_source_clear(&src);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages.db", 0100644, "RpmP\0\0\0\0", 8, &src, &err),
                     SF_EPARSE);
    sf_inv_source_clear(&src);
    /* neither BerkeleyDB nor ndb: reported, never silently skipped */
    static const uint8_t other[64] = "something else entirely";
    assert_int_equal(an_run(&sf_an_rpm, "var/lib/rpm/Packages", 0100644, other, sizeof other, &src, &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_UNPARSED);
    assert_string_equal(src.note, "rpm database (unknown format) found, not parsed");
    sf_inv_source_clear(&src);
    sf_entry e = {"var/lib/rpm/Packages", 1, 0100644};
    assert_true(sf_an_rpm.wants(&e));
    e.path = "var/lib/rpm/Basenames";
    assert_false(sf_an_rpm.wants(&e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_rpm__sqlite_db),
        cmocka_unit_test(test_analyzers_rpm__corrupt_db),
        cmocka_unit_test(test_analyzers_rpm__header_blob_bounds),
        cmocka_unit_test(test_analyzers_rpm__berkeleydb_handmade),
        cmocka_unit_test(test_analyzers_rpm__berkeleydb_real_library),
        cmocka_unit_test(test_analyzers_rpm__ndb_handmade),
        cmocka_unit_test(test_analyzers_rpm__other_formats_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
