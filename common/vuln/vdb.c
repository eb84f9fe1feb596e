/*
 * vdb: open a compiled DB file (layout in vdb_int.h): map it read-only,
 * check magic/format/size, verify its sha256, then validate every section
 * bound, slice and string offset once, so that lookups never need checks
 * and a corrupt or hostile file is refused with SF_EDB instead of being
 * read out of bounds. Also: the reference-counted snapshot and the shared
 * handle that swaps to a newer file (thread rules in vdb.h), and the
 * ecosystem/name normalisation used by both the builder and the matcher.
 */
#include "vuln/vdb.h"

#include "vuln/vdb_int.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

struct sf_vdb {
    atomic_int refs;
    const unsigned char *base;
    size_t size;
    int mapped;         /* 1: munmap on close */
    struct stat st;     /* identity of the file at open (path opens only) */
    int64_t built;
    uint32_t meta;
    struct sf_vdb_view v;
    char version[64];
};

const struct sf_vdb_view *sf_vdb__view(const sf_vdb *db) { return &db->v; }

int sf_vdb_checksum(const void *file, size_t size, unsigned char out[32])
{
    static const unsigned char zero[32];
    const unsigned char *p = file;
    const size_t at = offsetof(sf_vdb_hdr, sha256);
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && size >= SF_VDB_HDR_SIZE && EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(c, p, at) && EVP_DigestUpdate(c, zero, sizeof zero) &&
             EVP_DigestUpdate(c, p + at + 32, size - at - 32) &&
             EVP_DigestFinal_ex(c, out, &mdlen) && mdlen == 32;
    EVP_MD_CTX_free(c);
    return ok ? 0 : -1;
}

/* Check a section: inside the file, count*elem bytes, fits in u32 count. */
static int sec_ok(const sf_vdb_hdr *h, int s, size_t elem, size_t size)
{
    uint64_t off = h->sec[s].off, cnt = h->sec[s].count, bytes;
    if (off < SF_VDB_HDR_SIZE || off % 8 || cnt > UINT32_MAX)
        return 0;
    if (__builtin_mul_overflow(cnt, (uint64_t)elem, &bytes) || bytes > size || off > size - bytes)
        return 0;
    return 1;
}

/* Section s of the mapped file p, once sec_ok has passed it: its first
 * element, and its count in *n (sec_ok bounds it to 32 bits). */
static const void *sec_at(const unsigned char *p, const sf_vdb_hdr *h, int s, uint32_t *n)
{
    *n = (uint32_t)h->sec[s].count;
    return p + h->sec[s].off;
}

static int slice_ok(uint32_t first, uint32_t count, uint32_t n)
{
    return first <= n && count <= n - first;
}

#define STR_OK(o) ((o) < v->str_len)

/* The CVE table: strings, slices, and sorted unique ids (binary search). */
static int cves_validate(const struct sf_vdb_view *v)
{
    for (uint32_t i = 0; i < v->ncve; i++) {
        const sf_vdb_cve *c = &v->cve[i];
        if (!STR_OK(c->id) || !STR_OK(c->published) || !STR_OK(c->modified) ||
            !STR_OK(c->status) || !STR_OK(c->kev_added) || !STR_OK(c->kev_due) ||
            !STR_OK(c->epss_date) || !slice_ok(c->cwe_first, c->cwe_count, v->nu32) ||
            !slice_ok(c->cvss_first, c->cvss_count, v->ncvss))
            return -1;
        if (!(c->epss >= 0.0f && c->epss <= 1.0f && c->epss_pct >= 0.0f && c->epss_pct <= 1.0f))
            return -1;
        if (i && strcmp(v->str + v->cve[i - 1].id, v->str + c->id) >= 0)
            return -1;
    }
    for (uint32_t i = 0; i < v->ncvss; i++) {
        const sf_vdb_cvss *m = &v->cvss[i];
        if (!STR_OK(m->vector) || !STR_OK(m->source) || m->score10 > 100)
            return -1;
    }
    return 0;
}

/* A bsearch key into the CVE table, whose ids are offsets into str. */
typedef struct cve_key {
    const char *str, *id;
} cve_key;

static int cve_key_cmp(const void *key, const void *entry)
{
    const cve_key *k = key;
    return strcmp(k->id, k->str + ((const sf_vdb_cve *)entry)->id);
}

const sf_vdb_cve *sf_vdb__cve(const struct sf_vdb_view *v, const char *id)
{
    cve_key k = {v->str, id};
    return v->ncve ? bsearch(&k, v->cve, v->ncve, sizeof *v->cve, cve_key_cmp) : NULL;
}

/* Validate every reference of the view; 0 when the file is consistent. */
static int view_validate(const struct sf_vdb_view *v, uint32_t meta)
{
    if (v->str_len == 0 || v->str[v->str_len - 1] != '\0' || v->str[0] != '\0' || !STR_OK(meta))
        return -1;
    for (uint32_t i = 0; i < v->nrec; i++) {
        const sf_vdb_rec *r = &v->rec[i];
        if (!STR_OK(r->id) || !STR_OK(r->summary) || !STR_OK(r->severity) || !STR_OK(r->cvss) ||
            !STR_OK(r->source) || !STR_OK(r->vendor_sev) || !slice_ok(r->alias_first, r->alias_count, v->nu32))
            return -1;
    }
    for (uint32_t i = 0; i < v->npkg; i++) {
        const sf_vdb_pkg *p = &v->pkg[i];
        if (!STR_OK(p->eco) || !STR_OK(p->name) || !slice_ok(p->aff_first, p->aff_count, v->naff))
            return -1;
        /* Sorted and unique, or binary search would silently miss. */
        if (i) {
            const sf_vdb_pkg *q = &v->pkg[i - 1];
            int c = strcmp(v->str + q->eco, v->str + p->eco);
            if (!c)
                c = strcmp(v->str + q->name, v->str + p->name);
            if (c >= 0)
                return -1;
        }
    }
    for (uint32_t i = 0; i < v->naff; i++) {
        const sf_vdb_aff *a = &v->aff[i];
        if (a->rec >= v->nrec || !slice_ok(a->rng_first, a->rng_count, v->nrng) ||
            !slice_ok(a->ver_first, a->ver_count, v->nu32))
            return -1;
    }
    for (uint32_t i = 0; i < v->nrng; i++) {
        const sf_vdb_rng *r = &v->rng[i];
        if (r->type >= SF_VRNG_COUNT || !slice_ok(r->ev_first, r->ev_count, v->nev))
            return -1;
    }
    for (uint32_t i = 0; i < v->nev; i++)
        if (!STR_OK(SF_VEV_STR(v->ev[i])))
            return -1;
    for (uint32_t i = 0; i < v->nu32; i++)
        if (!STR_OK(v->u32[i]))
            return -1;
    return cves_validate(v);
}

/* Check and index a whole file image at db->base. */
static int vdb_load(sf_vdb *db, sf_error *err)
{
    const unsigned char *p = db->base;
    sf_vdb_hdr h;
    if (db->size < SF_VDB_HDR_SIZE)
        return sf_error_set(err, SF_EDB, "vdb: file too short (%zu bytes)", db->size);
    memcpy(&h, p, sizeof h);
    if (memcmp(h.magic, SF_VDB_MAGIC, 8) != 0)
        return sf_error_set(err, SF_EDB, "vdb: not a scanfarm vulnerability DB");
    if (h.endian != SF_VDB_ENDIAN)
        return sf_error_set(err, SF_EDB, "vdb: built on a CPU of the other byte order");
    if (h.format != SF_VDB_FORMAT)
        return sf_error_set(err, SF_EDB,
                            "vdb: format %u, this build reads %u: rebuild the DB with "
                            "`scanfarm db import` (or `db update`)",
                            h.format, SF_VDB_FORMAT);
    if (h.file_size != db->size)
        return sf_error_set(err, SF_EDB, "vdb: truncated or padded file (%zu of %llu bytes)",
                            db->size, (unsigned long long)h.file_size);
    unsigned char md[32];
    if (sf_vdb_checksum(p, db->size, md) || CRYPTO_memcmp(md, h.sha256, sizeof md) != 0)
        return sf_error_set(err, SF_EDB, "vdb: checksum mismatch (corrupt file)");
    static const size_t elem[SF_VSEC_COUNT] = {1, sizeof(sf_vdb_rec), sizeof(sf_vdb_pkg),
                                               sizeof(sf_vdb_aff), sizeof(sf_vdb_rng), 4, 4,
                                               sizeof(sf_vdb_cve), sizeof(sf_vdb_cvss)};
    for (int s = 0; s < SF_VSEC_COUNT; s++)
        if (!sec_ok(&h, s, elem[s], db->size))
            return sf_error_set(err, SF_EDB, "vdb: section %d out of bounds", s);
    struct sf_vdb_view *v = &db->v;
    v->str = (const char *)p + h.sec[SF_VSEC_STRINGS].off;
    v->str_len = h.sec[SF_VSEC_STRINGS].count;
    v->rec = sec_at(p, &h, SF_VSEC_RECORDS, &v->nrec);
    v->pkg = sec_at(p, &h, SF_VSEC_PKGS, &v->npkg);
    v->aff = sec_at(p, &h, SF_VSEC_AFFS, &v->naff);
    v->rng = sec_at(p, &h, SF_VSEC_RANGES, &v->nrng);
    v->ev = sec_at(p, &h, SF_VSEC_EVENTS, &v->nev);
    v->u32 = sec_at(p, &h, SF_VSEC_U32S, &v->nu32);
    v->cve = sec_at(p, &h, SF_VSEC_CVES, &v->ncve);
    v->cvss = sec_at(p, &h, SF_VSEC_CVSS, &v->ncvss);
    if (view_validate(v, h.meta))
        return sf_error_set(err, SF_EDB, "vdb: inconsistent index (bad offset or order)");
    db->built = h.built;
    db->meta = h.meta;
    struct tm tm;
    time_t t = (time_t)h.built;
    char ts[32] = "unknown";
    if (gmtime_r(&t, &tm))
        strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(db->version, sizeof db->version, "%s-%02x%02x%02x%02x%02x%02x", ts, h.sha256[0],
             h.sha256[1], h.sha256[2], h.sha256[3], h.sha256[4], h.sha256[5]);
    return SF_OK;
}

int sf_vdb_open_mem(sf_vdb **out, const void *data, size_t len, sf_error *err)
{
    *out = NULL;
    if (((uintptr_t)data & 7) != 0)
        return sf_error_set(err, SF_EINVAL, "vdb: buffer not 8-byte aligned");
    sf_vdb *db = calloc(1, sizeof *db);
    if (!db)
        return sf_error_set(err, SF_ENOMEM, "vdb: out of memory");
    atomic_init(&db->refs, 1);
    db->base = data;
    db->size = len;
    int rc = vdb_load(db, err);
    if (rc) {
        free(db);
        return rc;
    }
    *out = db;
    return SF_OK;
}

int sf_vdb_open(sf_vdb **out, const char *path, sf_error *err)
{
    *out = NULL;
    int rc = SF_OK;
    sf_vdb *db = calloc(1, sizeof *db);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!db) {
        rc = sf_error_set(err, SF_ENOMEM, "vdb: out of memory");
        goto done;
    }
    atomic_init(&db->refs, 1);
    if (fd < 0) {
        rc = sf_error_set(err, errno == ENOENT ? SF_ENOTFOUND : SF_EIO, "vdb: cannot open %s: %s",
                          path, strerror(errno));
        goto done;
    }
    if (fstat(fd, &db->st) || !S_ISREG(db->st.st_mode)) {
        rc = sf_error_set(err, SF_EDB, "vdb: %s is not a regular file", path);
        goto done;
    }
    db->size = (size_t)db->st.st_size;
    if (db->size < SF_VDB_HDR_SIZE) {
        rc = sf_error_set(err, SF_EDB, "vdb: %s is too short", path);
        goto done;
    }
    void *m = mmap(NULL, db->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
        rc = sf_error_set(err, SF_EIO, "vdb: mmap %s: %s", path, strerror(errno));
        goto done;
    }
    db->base = m;
    db->mapped = 1;
    rc = vdb_load(db, err);
done:
    if (fd >= 0)
        close(fd);
    if (rc) {
        sf_vdb_close(db);
        return rc;
    }
    *out = db;
    return SF_OK;
}

sf_vdb *sf_vdb_ref(sf_vdb *db)
{
    if (db)
        atomic_fetch_add(&db->refs, 1);
    return db;
}

void sf_vdb_close(sf_vdb *db)
{
    if (!db || atomic_fetch_sub(&db->refs, 1) != 1)
        return;
    if (db->mapped && db->base)
        munmap((void *)db->base, db->size);
    free(db);
}

const char *sf_vdb_version(const sf_vdb *db) { return db->version; }
int64_t sf_vdb_built(const sf_vdb *db) { return db->built; }
const char *sf_vdb_meta(const sf_vdb *db) { return db->v.str + db->meta; }
size_t sf_vdb_record_count(const sf_vdb *db) { return db->v.nrec; }
size_t sf_vdb_package_count(const sf_vdb *db) { return db->v.npkg; }
size_t sf_vdb_size(const sf_vdb *db) { return db->size; }

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int sf_vdb_reopen_if_changed(sf_vdb **db, const char *path, sf_error *err)
{
    struct stat st;
    if (stat(path, &st))
        return sf_error_set(err, errno == ENOENT ? SF_ENOTFOUND : SF_EIO, "vdb: stat %s: %s",
                            path, strerror(errno));
    if (*db && (*db)->mapped && same_file(&st, &(*db)->st))
        return 0;
    sf_vdb *n = NULL;
    int rc = sf_vdb_open(&n, path, err);
    if (rc)
        return rc;
    sf_vdb_close(*db);
    *db = n;
    return 1;
}

struct sf_vdb_shared {
    pthread_mutex_t mu;  /* guards cur */
    pthread_mutex_t refresh_mu; /* one refresh at a time */
    sf_vdb *cur;
    char *path;
};

int sf_vdb_shared_new(sf_vdb_shared **out, const char *path, sf_error *err)
{
    *out = NULL;
    sf_vdb_shared *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return sf_error_set(err, SF_ENOMEM, "vdb: out of memory");
    }
    int rc = sf_vdb_open(&s->cur, path, err);
    if (rc) {
        free(s->path);
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->refresh_mu, NULL);
    *out = s;
    return SF_OK;
}

sf_vdb *sf_vdb_shared_get(sf_vdb_shared *s)
{
    pthread_mutex_lock(&s->mu);
    sf_vdb *db = sf_vdb_ref(s->cur);
    pthread_mutex_unlock(&s->mu);
    return db;
}

int sf_vdb_shared_refresh(sf_vdb_shared *s, sf_error *err)
{
    pthread_mutex_lock(&s->refresh_mu);
    /* Work on our own reference, outside the reader lock: opening and
     * verifying a big file must not stall scans taking snapshots. */
    sf_vdb *mine = sf_vdb_shared_get(s);
    int rc = sf_vdb_reopen_if_changed(&mine, s->path, err);
    if (rc == 1) {
        sf_vdb_ref(mine);
        pthread_mutex_lock(&s->mu);
        sf_vdb *prev = s->cur;
        s->cur = mine;
        pthread_mutex_unlock(&s->mu);
        sf_vdb_close(prev); /* the shared reference; scans may still hold theirs */
    }
    sf_vdb_close(mine);
    pthread_mutex_unlock(&s->refresh_mu);
    return rc;
}

void sf_vdb_shared_free(sf_vdb_shared *s)
{
    if (!s)
        return;
    sf_vdb_close(s->cur);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->refresh_mu);
    free(s->path);
    free(s);
}

/* ---- normalisation ---- */

/* OSV ecosystems (https://ossf.github.io/osv-schema/#affectedpackage-field),
 * the part before any ':' suffix. */
static const char *const ecosystems[] = {
    "AlmaLinux", "Alpaquita", "Alpine", "Android", "BellSoft Hardened Containers",
    "Bioconductor", "Bitnami", "Chainguard", "ConanCenter", "CRAN", "crates.io", "Debian",
    "Echo", "GHC", "GitHub Actions", "Go", "Hackage", "Hex", "Julia", "Kubernetes", "Linux",
    "Mageia", "Maven", "MinimOS", "npm", "NuGet", "openEuler", "openSUSE", "OSS-Fuzz",
    "Packagist", "Photon OS", "Pub", "PyPI", "Red Hat", "Rocky Linux", "RubyGems", "SUSE",
    "SwiftURL", "Ubuntu", "Wolfi", "Azure Linux",
};

int sf_vdb_normalize_eco(const char *eco, char *out, size_t outlen)
{
    size_t base = strcspn(eco, ":");
    const char *known = NULL;
    for (size_t i = 0; i < sizeof ecosystems / sizeof ecosystems[0]; i++)
        if (strlen(ecosystems[i]) == base && strncmp(ecosystems[i], eco, base) == 0)
            known = ecosystems[i];
    if (!known)
        return SF_EUNSUPPORTED;
    size_t len = strlen(eco);
    /* Ubuntu's OSV ecosystems carry ":LTS" / ":Pro" tails ("Ubuntu:22.04:LTS",
     * "Ubuntu:Pro:18.04:LTS"); images only know their VERSION_ID. */
    if (strcmp(known, "Ubuntu") == 0 && eco[base] == ':') {
        const char *rel = eco + base + 1;
        if (strncmp(rel, "Pro:", 4) == 0)
            rel += 4;
        size_t rl = strcspn(rel, ":");
        int n = snprintf(out, outlen, "Ubuntu:%.*s", (int)rl, rel);
        return n < 0 || (size_t)n >= outlen ? SF_ELIMIT : SF_OK;
    }
    if (len + 1 > outlen)
        return SF_ELIMIT;
    memcpy(out, eco, len + 1);
    return SF_OK;
}

int sf_vdb_normalize_name(const char *eco, const char *name, char *out, size_t outlen)
{
    size_t len = strlen(name);
    while (len && isspace((unsigned char)*name))
        name++, len--;
    while (len && isspace((unsigned char)name[len - 1]))
        len--;
    if (len == 0)
        return SF_EINVAL;
    if (len + 1 > outlen)
        return SF_ELIMIT;
    if (strcmp(eco, "PyPI") == 0) {
        /* PEP 503: lowercase, runs of '-', '_' and '.' become one '-'. */
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
            char c = name[i];
            if (c == '-' || c == '_' || c == '.') {
                if (n == 0 || out[n - 1] != '-')
                    out[n++] = '-';
                continue;
            }
            out[n++] = (char)tolower((unsigned char)c);
        }
        out[n] = '\0';
        return SF_OK;
    }
    /* Registries whose package names are case-insensitive: a deps.json or
     * composer file may spell a name differently from the advisory. */
    int lower = strcmp(eco, "npm") == 0 || strcmp(eco, "Packagist") == 0 ||
                strcmp(eco, "NuGet") == 0;
    for (size_t i = 0; i < len; i++)
        out[i] = lower ? (char)tolower((unsigned char)name[i]) : name[i];
    out[len] = '\0';
    return SF_OK;
}
