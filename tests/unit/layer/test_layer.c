/*
 * Unit tests of common/analyze/layer: the streaming pass over real corpus
 * layers (gzip through both inflaters, zstd, plain tar) and over hostile
 * layers generated here (bombs, truncated streams, wrong digests, escaping
 * paths, link loops, a million entries, a 100 MB package.json), all
 * checked for a clear error and no kept content.
 *
 * A small probe analyzer stands in for the real ones so these tests pin
 * down the walker itself: it counts apk "P:" lines and reads os-release ID.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "analyze/analyzer.h"
#include "analyze/layer.h"
#include "base/digest.h"
#include "base/limits.h"
#include "testutil.h"

/* ------------------------------------------------------------ probe analyzer */

static int probe_wants(const sf_entry *e)
{
    size_t n = strlen(e->path);
    return strcmp(e->path, "lib/apk/db/installed") == 0 || strcmp(e->path, "etc/os-release") == 0 ||
           (n >= 12 && strcmp(e->path + n - 12, "package.json") == 0);
}

static int probe_parse(const sf_entry *e, const uint8_t *d, size_t len, sf_inv_source *src,
                       sf_error *err)
{
    if (strstr(e->path, "os-release")) {
        src->os = calloc(1, sizeof *src->os);
        const uint8_t *id = len >= 3 && memcmp(d, "ID=", 3) == 0 ? d : memmem(d, len, "\nID=", 4);
        if (!id)
            return sf_error_set(err, SF_EPARSE, "probe: no ID");
        id += (id == d) ? 3 : 4;
        size_t k = 0;
        while (id + k < d + len && id[k] != '\n')
            k++;
        src->os->id = strndup((const char *)id, k);
        return SF_OK;
    }
    if (strstr(e->path, "package.json"))
        return sf_error_set(err, SF_EPARSE, "probe: not parsing json");
    for (size_t i = 0; i + 2 < len; i++) {
        if ((i == 0 || d[i - 1] == '\n') && d[i] == 'P' && d[i + 1] == ':') {
            size_t k = i + 2;
            while (k < len && d[k] != '\n')
                k++;
            char *name = strndup((const char *)d + i + 2, k - i - 2);
            sf_pkg p = {.type = SF_PT_APK, .name = name, .layer = -1};
            int rc = sf_inv_source_add_pkg(src, &p);
            free(name);
            if (rc != SF_OK)
                return rc;
        }
    }
    return SF_OK;
}

static const sf_analyzer probe = {
    .name = "probe", .version = 1, .max_bytes = 8 << 20, .wants = probe_wants,
    .parse = probe_parse,
};
static const sf_analyzer *const probe_table[] = {&probe, NULL};

static sf_layer_opts opts_for(const char *digest, const char *diff_id, const char *mt)
{
    sf_layer_opts o;
    memset(&o, 0, sizeof o);
    o.digest = digest;
    o.diff_id = diff_id;
    o.media_type = mt;
    o.analyzers = probe_table;
    o.analyzer_version = "test1";
    return o;
}

static size_t count_pkgs(const sf_inventory *inv)
{
    size_t n = 0;
    for (size_t i = 0; i < inv->nsrcs; i++)
        n += inv->srcs[i].npkgs;
    return n;
}

/* Analyse blob with o: the return code must be rc; an error keeps no
 * source and its message names err; on success the inventory holds pkgs
 * packages (-1: not checked) in srcs sources (-1: not checked). */
static void expect_layer(const void *blob, size_t len, const sf_layer_opts *o, int rc,
                         long pkgs, long srcs, const char *err)
{
    sf_inventory *inv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_layer_analyze_mem(blob, len, o, &inv, &e), rc);
    if (rc != SF_OK)
        assert_int_equal(inv->nsrcs, 0);
    if (err && !strstr(inv->error, err))
        fail_msg("error \"%s\" does not name \"%s\"", inv->error, err);
    if (pkgs >= 0)
        assert_int_equal(count_pkgs(inv), (size_t)pkgs);
    if (srcs >= 0)
        assert_int_equal(inv->nsrcs, (size_t)srcs);
    sf_inventory_free(inv);
}

static const sf_inv_source *find_src(const sf_inventory *inv, const char *path)
{
    for (size_t i = 0; i < inv->nsrcs; i++)
        if (strcmp(inv->srcs[i].path, path) == 0)
            return &inv->srcs[i];
    return NULL;
}

/* ------------------------------------------------------------ helpers */

#define ALPINE "images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz"
#define GZ_MT "application/vnd.oci.image.layer.v1.tar+gzip"
#define TAR_MT "application/vnd.oci.image.layer.v1.tar"
#define ZSTD_MT "application/vnd.oci.image.layer.v1.tar+zstd"

static char *read_corpus(const char *rel, size_t *len)
{
    char *d = sf_t_read_file(sf_t_corpus(rel), len);
    if (!d)
        fail_msg("corpus file missing: %s (SF_CORPUS)", rel);
    return d;
}

/* Gunzip in memory (test-side oracle for the diff_id). */
static uint8_t *gunzip(const void *in, size_t inlen, size_t *outlen)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    size_t cap = inlen * 8, n = 0;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)inlen;
    int r;
    do {
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
        zs.next_out = out + n;
        zs.avail_out = (uInt)(cap - n);
        r = inflate(&zs, Z_NO_FLUSH);
        n = cap - zs.avail_out;
    } while (r == Z_OK);
    assert_int_equal(r, Z_STREAM_END);
    inflateEnd(&zs);
    *outlen = n;
    return out;
}

/* A tar written with libarchive, either into memory or straight into a
 * layer (so huge generated layers never exist whole anywhere). */
typedef struct twriter {
    struct archive *a;
    sf_buf mem;
    sf_layer *layer;
    int stopped; /* the layer refused more input */
} twriter;

static la_ssize_t tw_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    twriter *w = ud;
    if (w->layer) {
        if (!w->stopped && sf_layer_feed(w->layer, buf, n) != SF_OK)
            w->stopped = 1;
        return (la_ssize_t)n; /* keep libarchive quiet; we stop generating */
    }
    return sf_buf_append(&w->mem, buf, n) == SF_OK ? (la_ssize_t)n : -1;
}

static void tw_open(twriter *w, int gzip, sf_layer *layer)
{
    memset(w, 0, sizeof *w);
    sf_buf_init(&w->mem, 0);
    w->layer = layer;
    w->a = archive_write_new();
    archive_write_set_format_pax_restricted(w->a);
    if (gzip)
        archive_write_add_filter_gzip(w->a);
    archive_write_set_bytes_in_last_block(w->a, 1);
    assert_int_equal(archive_write_open2(w->a, w, NULL, tw_write, NULL, NULL), ARCHIVE_OK);
}

static void tw_entry(twriter *w, const char *path, int type, const char *data, size_t size,
                     const char *link)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, (unsigned)type);
    archive_entry_set_perm(e, 0644);
    if (type == AE_IFLNK)
        archive_entry_set_symlink(e, link);
    if (type == AE_IFREG && link)
        archive_entry_set_hardlink(e, link);
    archive_entry_set_size(e, type == AE_IFREG && !link ? (la_int64_t)size : 0);
    assert_int_equal(archive_write_header(w->a, e), ARCHIVE_OK);
    if (type == AE_IFREG && !link && data)
        assert_int_equal(archive_write_data(w->a, data, size), (la_ssize_t)size);
    archive_entry_free(e);
}

/* Header of a regular file of `size` bytes whose data the caller then
 * streams with archive_write_data (too big to hold in memory). */
static void tw_big_header(twriter *w, const char *path, la_int64_t size)
{
    struct archive_entry *ae = archive_entry_new();
    archive_entry_set_pathname(ae, path);
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_size(ae, size);
    archive_write_header(w->a, ae);
    archive_entry_free(ae);
}

/* A file of `size` bytes of c, streamed (never held whole): the header
 * then 64 KiB writes until done or the layer refused input. */
static void tw_big_file(twriter *w, const char *path, uint64_t size, char c)
{
    static char chunk[1 << 16];
    memset(chunk, c, sizeof chunk);
    tw_big_header(w, path, (la_int64_t)size);
    for (uint64_t off = 0; off < size && !w->stopped; off += sizeof chunk)
        archive_write_data(w->a, chunk, sizeof chunk);
}

/* The closed writer's tar analysed with o: must succeed; the caller
 * frees the inventory. */
static sf_inventory *tw_inventory(const twriter *w, const sf_layer_opts *o)
{
    sf_inventory *inv = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_layer_analyze_mem(w->mem.data, w->mem.len, o, &inv, &e) != SF_OK)
        fail_msg("layer refused: %s", e.msg);
    return inv;
}

static void tw_file(twriter *w, const char *path, const char *text)
{
    tw_entry(w, path, AE_IFREG, text, strlen(text), NULL);
}

static void tw_close(twriter *w)
{
    /* A stopped generator must not pad its entry to the declared size. */
    if (w->stopped)
        archive_write_fail(w->a);
    archive_write_close(w->a);
    archive_write_free(w->a);
}

static const char *APK_DB = "C:Q1x\nP:musl\nV:1.1.22-r3\n\nC:Q1y\nP:busybox\nV:1.30.1-r2\n\n";

/* The corpus' Alpine 3.10 layer as a registry serves it: the gzip blob,
 * the tar inside, and their digests (digest of the blob, diff_id of the tar). */
typedef struct alpine_layer {
    char *blob;
    size_t len;
    uint8_t *tar;
    size_t tlen;
    char digest[SF_DIGEST_MAX], diff_id[SF_DIGEST_MAX];
} alpine_layer;

static void alpine_load(alpine_layer *a)
{
    a->blob = read_corpus(ALPINE, &a->len);
    a->tar = gunzip(a->blob, a->len, &a->tlen);
    assert_int_equal(sf_digest_sha256(a->blob, a->len, a->digest), SF_OK);
    assert_int_equal(sf_digest_sha256(a->tar, a->tlen, a->diff_id), SF_OK);
}

static void alpine_free(alpine_layer *a)
{
    free(a->tar);
    free(a->blob);
}

/* ------------------------------------------------------------ corpus layers */

static void test_layer_corpus__alpine_gzip_both_inflaters(void **state)
{
    (void)state;
    alpine_layer a;
    alpine_load(&a);
    sf_inflater which[] = {SF_INFLATE_ZLIB, SF_INFLATE_ISAL};
    for (size_t k = 0; k < 2; k++) {
        sf_layer_opts o = opts_for(a.digest, a.diff_id, GZ_MT);
        o.inflater = which[k];
        sf_inventory *inv = NULL;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_layer_analyze_mem(a.blob, a.len, &o, &inv, &e), SF_OK);
        /* Alpine 3.10.3 minirootfs: 14 installed packages (ground truth). */
        assert_int_equal(count_pkgs(inv), 14);
        const sf_inv_source *os = find_src(inv, "etc/os-release");
        assert_non_null(os);
        assert_string_equal(os->os->id, "alpine");
        assert_true(inv->entries > 400);
        assert_int_equal(inv->bytes, a.tlen);
        assert_string_equal(inv->analyzer_version, "test1");
        sf_inventory_free(inv);
    }
    alpine_free(&a);
}

static void test_layer_corpus__plain_and_zstd_same_result(void **state)
{
    (void)state;
    alpine_layer a;
    alpine_load(&a);
    char zdig[SF_DIGEST_MAX];
    /* Uncompressed: blob digest == diff_id. */
    sf_layer_opts o = opts_for(a.diff_id, a.diff_id, TAR_MT);
    expect_layer(a.tar, a.tlen, &o, SF_OK, 14, -1, NULL);
    /* zstd, as two frames to exercise multi-frame streams. */
    size_t half = a.tlen / 2, bound = ZSTD_compressBound(a.tlen) + 64;
    uint8_t *z = malloc(bound);
    size_t z1 = ZSTD_compress(z, bound, a.tar, half, 3);
    size_t z2 = ZSTD_compress(z + z1, bound - z1, a.tar + half, a.tlen - half, 3);
    assert_false(ZSTD_isError(z1) || ZSTD_isError(z2));
    sf_digest_sha256(z, z1 + z2, zdig);
    o = opts_for(zdig, a.diff_id, ZSTD_MT);
    expect_layer(z, z1 + z2, &o, SF_OK, 14, -1, NULL);
    /* zstd truncated. */
    o = opts_for(NULL, NULL, ZSTD_MT);
    expect_layer(z, z1 + z2 / 2, &o, SF_EPARSE, -1, -1, NULL);
    free(z);
    alpine_free(&a);
}

/* ------------------------------------------------------------ bad blobs */

static void test_layer_bad__wrong_digests_keep_nothing(void **state)
{
    (void)state;
    alpine_layer a;
    alpine_load(&a);
    const char *other = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    const char *cases[][2] = {{other, a.diff_id}, {a.digest, other}};
    for (size_t k = 0; k < 2; k++) {
        sf_layer_opts o = opts_for(cases[k][0], cases[k][1], GZ_MT);
        sf_inventory *inv = NULL;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_layer_analyze_mem(a.blob, a.len, &o, &inv, &e), SF_EDIGEST);
        assert_int_equal(inv->error_code, SF_EDIGEST);
        assert_non_null(strstr(inv->error, k == 0 ? "does not match digest" : "diff_id"));
        assert_int_equal(inv->nsrcs, 0);
        assert_int_equal(count_pkgs(inv), 0);
        assert_int_equal(e.code, SF_EDIGEST);
        sf_inventory_free(inv);
    }
    /* A malformed expected digest is refused up front. */
    sf_layer *l = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_layer_opts o = opts_for("sha256:../../x", NULL, GZ_MT);
    assert_int_equal(sf_layer_new(&l, &o, &e), SF_EPARSE);
    assert_null(l);
    alpine_free(&a);
}

static void test_layer_bad__truncated_and_mislabelled(void **state)
{
    (void)state;
    alpine_layer a;
    alpine_load(&a);
    sf_inventory *inv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_layer_opts o = opts_for(NULL, NULL, GZ_MT);
    expect_layer(a.blob, a.len - 1000, &o, SF_EPARSE, -1, -1, "truncated");
    /* Corrupt bytes in the middle: CRC or deflate error, never a crash. */
    char *bad = malloc(a.len);
    memcpy(bad, a.blob, a.len);
    for (size_t i = a.len / 2; i < a.len / 2 + 64; i++)
        bad[i] ^= 0x5a;
    sf_error_clear(&e);
    assert_int_not_equal(sf_layer_analyze_mem(bad, a.len, &o, &inv, &e), SF_OK);
    assert_int_equal(inv->nsrcs, 0);
    sf_inventory_free(inv);
    /* gzip media type, plain tar content. */
    expect_layer(a.tar, a.tlen, &o, SF_EPARSE, -1, -1, "announces gzip");
    /* Not a tar at all. */
    o = opts_for(NULL, NULL, TAR_MT);
    expect_layer("hello world, not a tar archive", 30, &o, SF_EPARSE, -1, -1, "tar");
    /* Empty blob and an empty tar are empty layers. */
    expect_layer("", 0, &o, SF_OK, -1, 0, NULL);
    free(bad);
    alpine_free(&a);
}

/* Gzip `total` zeros as one tar entry, streamed into a layer. */
static void test_layer_bad__decompression_bomb(void **state)
{
    (void)state;
    sf_layer_opts o = opts_for(NULL, NULL, GZ_MT);
    o.limits.ratio_min_bytes = 4 << 20;
    o.limits.max_ratio = 100;
    sf_layer *l = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_layer_new(&l, &o, &e), SF_OK);
    twriter w;
    tw_open(&w, 1, l);
    /* 2 GiB of zeros would be ~2 MB gzipped; the layer must stop long
     * before: the writer stops as soon as the layer refuses input. */
    tw_big_file(&w, "zeros", 2ULL << 30, 0);
    assert_true(w.stopped);
    sf_inventory *inv = NULL;
    assert_int_equal(sf_layer_finish(l, &inv, &e), SF_ELIMIT);
    assert_non_null(strstr(inv->error, "bomb"));
    assert_true(inv->bytes < (64u << 20));
    sf_inventory_free(inv);
    sf_layer_free(l);
    tw_close(&w);
}

static void test_layer_bad__byte_and_entry_limits(void **state)
{
    (void)state;
    /* 10^6 empty files, generated straight into the layer. */
    sf_layer_opts o = opts_for(NULL, NULL, TAR_MT);
    o.limits.max_entries = 100000;
    sf_layer *l = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_layer_new(&l, &o, &e), SF_OK);
    twriter w;
    tw_open(&w, 0, l);
    char name[32];
    for (int i = 0; i < 1000000 && !w.stopped; i++) {
        snprintf(name, sizeof name, "d/f%07d", i);
        tw_entry(&w, name, AE_IFREG, NULL, 0, NULL);
    }
    assert_true(w.stopped);
    sf_inventory *inv = NULL;
    assert_int_equal(sf_layer_finish(l, &inv, &e), SF_ELIMIT);
    assert_non_null(strstr(inv->error, "tar entries"));
    sf_inventory_free(inv);
    sf_layer_free(l);
    tw_close(&w);

    /* Decompressed byte limit. */
    o = opts_for(NULL, NULL, TAR_MT);
    o.limits.max_bytes = 1 << 20;
    twriter m;
    tw_open(&m, 0, NULL);
    static char blob[3 << 20];
    tw_entry(&m, "big", AE_IFREG, blob, sizeof blob, NULL);
    tw_close(&m);
    sf_error_clear(&e);
    assert_int_equal(sf_layer_analyze_mem(m.mem.data, m.mem.len, &o, &inv, &e), SF_ELIMIT);
    assert_non_null(strstr(inv->error, "decompressed size"));
    sf_inventory_free(inv);
    sf_buf_free(&m.mem);
}

/* A 100 MB package.json of spaces: reported as too big, never read, and
 * never materialised by the test either. */
static void test_layer_bad__huge_wanted_file(void **state)
{
    (void)state;
    sf_layer_opts o = opts_for(NULL, NULL, TAR_MT);
    sf_layer *l = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_layer_new(&l, &o, &e), SF_OK);
    twriter w;
    tw_open(&w, 0, l);
    tw_big_file(&w, "app/node_modules/x/package.json", 100u << 20, ' ');
    tw_file(&w, "lib/apk/db/installed", APK_DB);
    tw_close(&w);
    assert_false(w.stopped);
    sf_inventory *inv = NULL;
    assert_int_equal(sf_layer_finish(l, &inv, &e), SF_OK);
    const sf_inv_source *s = find_src(inv, "app/node_modules/x/package.json");
    assert_non_null(s);
    assert_int_equal(s->status, SF_SRC_ERROR);
    assert_non_null(strstr(s->note, "exceeds"));
    assert_int_equal(count_pkgs(inv), 2);
    sf_inventory_free(inv);
    sf_layer_free(l);
}

/* ------------------------------------------------------------ tar semantics */

static void test_layer_tar__escaping_paths_links_whiteouts(void **state)
{
    (void)state;
    twriter w;
    tw_open(&w, 1, NULL);
    tw_file(&w, "../../../etc/os-release", "NAME=x\nID=escaped\n");
    tw_file(&w, "/lib/apk/db/installed", APK_DB);
    tw_entry(&w, "loop/a", AE_IFLNK, NULL, 0, "b");
    tw_entry(&w, "loop/b", AE_IFLNK, NULL, 0, "a");
    tw_entry(&w, "app/package.json", AE_IFLNK, NULL, 0, "/etc/shadow");
    tw_entry(&w, "hard/os-release", AE_IFREG, NULL, 0, "etc/os-release");
    tw_file(&w, "usr/.wh.lib", "");
    tw_file(&w, "./var//cache/./.wh..wh..opq", "");
    tw_file(&w, "x/.wh..wh.plnk", "");
    tw_file(&w, "srv/package.json", "{}");
    tw_close(&w);
    sf_layer_opts o = opts_for(NULL, NULL, GZ_MT);
    sf_inventory *inv = tw_inventory(&w, &o);
    assert_int_equal(inv->entries, 10);
    const sf_inv_source *os = find_src(inv, "etc/os-release");
    assert_non_null(os);
    assert_string_equal(os->os->id, "escaped");
    assert_non_null(find_src(inv, "lib/apk/db/installed"));
    /* Links are never analysed (nor followed). */
    assert_null(find_src(inv, "app/package.json"));
    assert_null(find_src(inv, "hard/os-release"));
    assert_int_equal(inv->nwhiteouts, 1);
    assert_string_equal(inv->whiteouts[0], "usr/lib");
    assert_int_equal(inv->nopaques, 1);
    assert_string_equal(inv->opaques[0], "var/cache");
    /* Parse errors are kept on the source, the layer goes on. */
    const sf_inv_source *pj = find_src(inv, "srv/package.json");
    assert_int_equal(pj->status, SF_SRC_ERROR);
    assert_string_equal(pj->note, "probe: not parsing json");
    assert_int_equal(inv->nsrcs, 3);
    sf_inventory_free(inv);
    sf_buf_free(&w.mem);
}

static void test_layer_tar__later_duplicate_wins(void **state)
{
    (void)state;
    twriter w;
    tw_open(&w, 0, NULL);
    tw_file(&w, "lib/apk/db/installed", APK_DB);
    tw_file(&w, "etc/os-release", "ID=first\n");
    tw_file(&w, "./lib/apk/db/installed", "P:only\nV:1\n\n");
    tw_close(&w);
    sf_layer_opts o = opts_for(NULL, NULL, NULL);
    sf_inventory *inv = tw_inventory(&w, &o);
    assert_int_equal(inv->nsrcs, 2);
    const sf_inv_source *s = find_src(inv, "lib/apk/db/installed");
    assert_int_equal(s->npkgs, 1);
    assert_string_equal(s->pkgs[0].name, "only");
    assert_string_equal(s->pkgs[0].path, "lib/apk/db/installed");
    sf_inventory_free(inv);
    sf_buf_free(&w.mem);
}

/* Hard links with the real analyzers: a link to a file the OS analyzers
 * read is analysed at the link's path; a link to an entry that a later
 * entry of the same path overwrote gets the later bytes' fate (here: not
 * kept, so a note), never the stale ones. */
static void test_layer_tar__hard_links_resolved_or_noted(void **state)
{
    (void)state;
    twriter w;
    tw_open(&w, 0, NULL);
    tw_file(&w, "etc/os-release", "ID=alpine\nVERSION_ID=3.10.3\n");
    tw_entry(&w, "usr/lib/os-release", AE_IFREG, NULL, 0, "etc/os-release");
    tw_file(&w, "opt/db", APK_DB);
    tw_file(&w, "opt/db", "overwritten: not a database\n");
    tw_entry(&w, "lib/apk/db/installed", AE_IFREG, NULL, 0, "opt/db");
    tw_close(&w);
    sf_layer_opts o = opts_for(NULL, NULL, NULL);
    o.analyzers = sf_analyzers;
    sf_inventory *inv = tw_inventory(&w, &o);
    const sf_inv_source *os = find_src(inv, "usr/lib/os-release");
    assert_non_null(os);
    assert_non_null(os->os);
    assert_string_equal(os->os->version_id, "3.10.3");
    const sf_inv_source *apk = find_src(inv, "lib/apk/db/installed");
    assert_non_null(apk);
    assert_int_equal(apk->npkgs, 0);
    assert_int_equal(apk->status, SF_SRC_UNPARSED);
    assert_non_null(strstr(apk->note, "hard link to opt/db"));
    sf_inventory_free(inv);
    sf_buf_free(&w.mem);
}

static void test_layer_path__normalize(void **state)
{
    (void)state;
    static const char *cases[][2] = {
        {"./etc/os-release", "etc/os-release"},
        {"/etc//os-release", "etc/os-release"},
        {"a/b/../../../../etc/passwd", "etc/passwd"},
        {"../x", "x"},
        {"a/./b/", "a/b"},
        {"a/b/..", "a"},
        {"usr/lib/../lib64/x", "usr/lib64/x"},
        {"...", "..."},
        {"a/..b", "a/..b"},
    };
    char out[SF_LIM_PATH + 1];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(sf_layer_path_normalize(cases[i][0], out, sizeof out), SF_OK);
        assert_string_equal(out, cases[i][1]);
    }
    assert_int_equal(sf_layer_path_normalize("./", out, sizeof out), SF_ENOTFOUND);
    assert_int_equal(sf_layer_path_normalize("../..", out, sizeof out), SF_ENOTFOUND);
    char small[8];
    assert_int_equal(sf_layer_path_normalize("abcdefghij", small, sizeof small), SF_ELIMIT);
    char *longp = malloc(SF_LIM_PATH + 10);
    memset(longp, 'a', SF_LIM_PATH + 9);
    longp[SF_LIM_PATH + 9] = '\0';
    assert_int_equal(sf_layer_path_normalize(longp, out, sizeof out), SF_ELIMIT);
    free(longp);
}

static void test_layer_api__abort_and_free_midway(void **state)
{
    (void)state;
    size_t len;
    char *blob = read_corpus(ALPINE, &len);
    sf_layer_opts o = opts_for(NULL, NULL, GZ_MT);
    sf_layer *l = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_layer_new(&l, &o, &e), SF_OK);
    assert_int_equal(sf_layer_feed(l, blob, len / 3), SF_OK);
    sf_layer_abort(l, SF_ENET, "connection reset");
    sf_inventory *inv = NULL;
    assert_int_equal(sf_layer_finish(l, &inv, &e), SF_ENET);
    assert_string_equal(inv->error, "connection reset");
    assert_int_equal(inv->nsrcs, 0);
    sf_inventory_free(inv);
    sf_layer_free(l);
    /* Freed without finish while the walker waits for input. */
    assert_int_equal(sf_layer_new(&l, &o, &e), SF_OK);
    assert_int_equal(sf_layer_feed(l, blob, len / 2), SF_OK);
    sf_layer_free(l);
    free(blob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_corpus__alpine_gzip_both_inflaters),
        cmocka_unit_test(test_layer_corpus__plain_and_zstd_same_result),
        cmocka_unit_test(test_layer_bad__wrong_digests_keep_nothing),
        cmocka_unit_test(test_layer_bad__truncated_and_mislabelled),
        cmocka_unit_test(test_layer_bad__decompression_bomb),
        cmocka_unit_test(test_layer_bad__byte_and_entry_limits),
        cmocka_unit_test(test_layer_bad__huge_wanted_file),
        cmocka_unit_test(test_layer_tar__escaping_paths_links_whiteouts),
        cmocka_unit_test(test_layer_tar__later_duplicate_wins),
        cmocka_unit_test(test_layer_tar__hard_links_resolved_or_noted),
        cmocka_unit_test(test_layer_path__normalize),
        cmocka_unit_test(test_layer_api__abort_and_free_midway),
    };
    /* SF_TEST_FILTER=<glob> runs a subset (debugging). */
    if (getenv("SF_TEST_FILTER"))
        cmocka_set_test_filter(getenv("SF_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
