/*
 * vdb_write: the builder's output: the DB file (layout in vdb_int.h) as
 * one buffer, and that buffer written to a path atomically (temporary
 * file, fsync, rename, fsync of the directory). At this point the
 * affected entries are sorted by (ecosystem, name) to form the
 * binary-searchable package index, the CVE table is emitted, and the
 * meta JSON (sources, records per ecosystem, skips) is built. Its own
 * file because it is the only code that knows the file's byte layout on
 * the writing side (vdb.c reads it), and the builder stays usable after
 * it: serialising twice gives the same file.
 */
#include "vuln/vdb_build.h"

#include "vuln/vdb_int.h"
#include "vuln/vdb_build_int.h"

#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int aff_cmp(const void *pa, const void *pb, void *ctx)
{
    const char *s = ctx;
    const bld_aff *a = pa, *b = pb;
    int c = a->eco == b->eco ? 0 : strcmp(s + a->eco, s + b->eco);
    if (!c)
        c = a->name == b->name ? 0 : strcmp(s + a->name, s + b->name);
    if (!c)
        c = a->a.rec < b->a.rec ? -1 : a->a.rec > b->a.rec;
    return c;
}

/* {"total","cvss","kev","epss"}: CVEs known, and those with each fact. */
static json_t *cve_counts(sf_vdb_builder *b)
{
    sf_vdb_cve_stats st;
    sf_vdb_builder_cve_stats(b, &st);
    return json_pack("{s:I,s:I,s:I,s:I}", "total", (json_int_t)st.total, "cvss",
                     (json_int_t)st.with_cvss, "kev", (json_int_t)st.with_kev, "epss",
                     (json_int_t)st.with_epss);
}

/* Build the meta JSON: sources, records per ecosystem, skipped counts. */
static int build_meta(sf_vdb_builder *b, const sf_vdb_pkg *pkgs, size_t npkg, uint32_t *off)
{
    int rc = SF_ENOMEM;
    char *text = NULL;
    uint32_t *seen = calloc(b->recs.n ? b->recs.n : 1, sizeof *seen);
    json_t *m = json_object(), *srcs = json_array(), *ecos = json_object(),
           *skips = json_object();
    if (!seen || !m || !srcs || !ecos || !skips)
        goto done;
    for (size_t i = 0; i < b->sources.n; i++) {
        json_t *s = json_pack("{s:s,s:s,s:I,s:I}", "source", b->sources.v[i].label, "kind",
                              b->sources.v[i].kind, "records",
                              (json_int_t)b->sources.v[i].records, "cve_facts",
                              (json_int_t)b->sources.v[i].cve_facts);
        if (!s || json_array_append_new(srcs, s))
            goto done;
    }
    /* Records per ecosystem: pkgs are sorted by ecosystem, so one pass with
     * a per-record stamp of the ecosystem group counts each record once. */
    uint32_t stamp = 0;
    for (size_t i = 0; i < npkg;) {
        const char *eco = b->str.data + pkgs[i].eco;
        stamp++;
        json_int_t n = 0;
        for (; i < npkg && strcmp(b->str.data + pkgs[i].eco, eco) == 0; i++) {
            for (uint32_t k = 0; k < pkgs[i].aff_count; k++) {
                uint32_t r = b->affs.v[pkgs[i].aff_first + k].a.rec;
                if (seen[r] != stamp) {
                    seen[r] = stamp;
                    n++;
                }
            }
        }
        if (json_object_set_new(ecos, eco, json_integer(n)))
            goto done;
    }
    for (size_t i = 0; i < b->skips.n; i++)
        if (json_object_set_new(skips, b->skips.v[i].key, json_integer((json_int_t)b->skips.v[i].n)))
            goto done;
    if (json_object_set(m, "sources", srcs) || json_object_set(m, "ecosystems", ecos) ||
        json_object_set(m, "skipped", skips) ||
        json_object_set_new(m, "records", json_integer((json_int_t)b->recs.n)) ||
        json_object_set_new(m, "packages", json_integer((json_int_t)npkg)) ||
        json_object_set_new(m, "cves", cve_counts(b)))
        goto done;
    text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        goto done;
    rc = sf_vdb__intern(b, text, off);
done:
    free(text);
    free(seen);
    json_decref(m);
    json_decref(srcs);
    json_decref(ecos);
    json_decref(skips);
    return rc;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

int sf_vdb_builder_serialize(sf_vdb_builder *b, void **out, size_t *outlen, sf_error *err)
{
    int rc = SF_ENOMEM;
    sf_vdb_pkg *pkgs = NULL;
    sf_vdb_cve *cves = NULL;
    sf_vdb_cvss *cvss = NULL;
    char *file = NULL;
    size_t npkg = 0, ncve = 0, ncvss = 0, u32_save = b->u32s.n;
    sf_vdb_rec_abort(b);
    /* CWE lists join u32s for this image only: serialising twice must not
     * append them twice. */
    if ((rc = sf_vdb__cves_emit(b, &cves, &ncve, &cvss, &ncvss)))
        goto done;
    rc = SF_ENOMEM;
    if (b->affs.n)
        qsort_r(b->affs.v, b->affs.n, sizeof *b->affs.v, aff_cmp, b->str.data);
    /* Group the sorted entries into the index; affs keep their order. */
    pkgs = malloc((b->affs.n ? b->affs.n : 1) * sizeof *pkgs);
    if (!pkgs)
        goto done;
    for (size_t i = 0; i < b->affs.n; i++) {
        const bld_aff *a = &b->affs.v[i];
        if (npkg && pkgs[npkg - 1].eco == a->eco && pkgs[npkg - 1].name == a->name) {
            pkgs[npkg - 1].aff_count++;
            continue;
        }
        pkgs[npkg++] = (sf_vdb_pkg){a->eco, a->name, (uint32_t)i, 1};
    }
    uint32_t meta = 0;
    if ((rc = build_meta(b, pkgs, npkg, &meta)))
        goto done;
    rc = SF_ENOMEM;
    sf_vdb_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SF_VDB_MAGIC, 8);
    h.format = SF_VDB_FORMAT;
    h.endian = SF_VDB_ENDIAN;
    h.built = b->built;
    h.meta = meta;
    const size_t counts[SF_VSEC_COUNT] = {b->str.len, b->recs.n, npkg, b->affs.n, b->rngs.n,
                                          b->evs.n, b->u32s.n, ncve, ncvss};
    const size_t elem[SF_VSEC_COUNT] = {1, sizeof(sf_vdb_rec), sizeof(sf_vdb_pkg),
                                        sizeof(sf_vdb_aff), sizeof(sf_vdb_rng), 4, 4,
                                        sizeof(sf_vdb_cve), sizeof(sf_vdb_cvss)};
    size_t pos = SF_VDB_HDR_SIZE;
    for (int s = 0; s < SF_VSEC_COUNT; s++) {
        h.sec[s].off = pos;
        h.sec[s].count = counts[s];
        pos = align8(pos + counts[s] * elem[s]);
    }
    h.file_size = pos;
    file = calloc(1, pos);
    if (!file)
        goto done;
    memcpy(file + h.sec[SF_VSEC_STRINGS].off, b->str.data, b->str.len);
    if (b->recs.n)
        memcpy(file + h.sec[SF_VSEC_RECORDS].off, b->recs.v, b->recs.n * sizeof(sf_vdb_rec));
    if (npkg)
        memcpy(file + h.sec[SF_VSEC_PKGS].off, pkgs, npkg * sizeof *pkgs);
    sf_vdb_aff *affs = (sf_vdb_aff *)(file + h.sec[SF_VSEC_AFFS].off);
    for (size_t i = 0; i < b->affs.n; i++)
        affs[i] = b->affs.v[i].a;
    if (b->rngs.n)
        memcpy(file + h.sec[SF_VSEC_RANGES].off, b->rngs.v, b->rngs.n * sizeof(sf_vdb_rng));
    if (b->evs.n)
        memcpy(file + h.sec[SF_VSEC_EVENTS].off, b->evs.v, b->evs.n * 4);
    if (b->u32s.n)
        memcpy(file + h.sec[SF_VSEC_U32S].off, b->u32s.v, b->u32s.n * 4);
    if (ncve)
        memcpy(file + h.sec[SF_VSEC_CVES].off, cves, ncve * sizeof *cves);
    if (ncvss)
        memcpy(file + h.sec[SF_VSEC_CVSS].off, cvss, ncvss * sizeof *cvss);
    memcpy(file, &h, sizeof h); /* sha256 still zero: hashed that way */
    if (sf_vdb_checksum(file, pos, h.sha256)) {
        rc = SF_EINTERNAL;
        goto done;
    }
    memcpy(file + offsetof(sf_vdb_hdr, sha256), h.sha256, sizeof h.sha256);
    *out = file;
    *outlen = pos;
    file = NULL;
    rc = SF_OK;
done:
    if (rc)
        sf_error_set(err, rc, "vdb: serialising the database failed");
    b->u32s.n = u32_save;
    free(cves);
    free(cvss);
    free(pkgs);
    free(file);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sf_vdb_builder_write(sf_vdb_builder *b, const char *path, sf_error *err)
{
    void *data = NULL;
    size_t len = 0;
    char tmp[4096], dir[4096];
    int fd = -1, created = 0;
    int rc = sf_vdb_builder_serialize(b, &data, &len, err);
    if (rc)
        return rc;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        rc = sf_error_set(err, SF_EINVAL, "vdb: path too long: %s", path);
        goto done;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = sf_error_set(err, SF_EIO, "vdb: cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    created = 1;
    if (write_all(fd, data, len) || fsync(fd)) {
        rc = sf_error_set(err, SF_EIO, "vdb: writing %s: %s", tmp, strerror(errno));
        goto done;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path)) {
        rc = sf_error_set(err, SF_EIO, "vdb: rename to %s: %s", path, strerror(errno));
        goto done;
    }
    created = 0;
    /* Make the rename itself durable. */
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
done:
    if (fd >= 0) {
        close(fd);
    }
    if (created)
        unlink(tmp);
    free(data);
    return rc;
}
