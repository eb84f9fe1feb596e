/* scanfix: see scanfix.h. Included by the scan tests (one test = one file). */
#include "scanfix.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define __USE_XOPEN_EXTENDED 1
#include <ftw.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <zlib.h>

char *fix_tmpdir(void)
{
    char *t = strdup("/tmp/sf-engine-test-XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p);
}

void fix_rmtree(const char *dir) { nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static void mkblobs(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/blobs", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/blobs/sha256", dir);
    mkdir(p, 0755);
}

void fix_write_blob(const char *dir, const void *data, size_t len, char digest[SF_DIGEST_MAX])
{
    mkblobs(dir);
    sf_digest_sha256(data, len, digest);
    char p[4096];
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, digest + 7);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

void fix_file_digest(const char *path, char out[SF_DIGEST_MAX], size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    sf_hasher *h = NULL;
    sf_hasher_new(&h, "sha256");
    char buf[65536];
    size_t n;
    *size = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        sf_hasher_update(h, buf, n);
        *size += n;
    }
    fclose(f);
    sf_hasher_final(h, out);
    sf_hasher_free(h);
}

int fix_layout_nodiff;

void fix_diff_id(const char *path, char out[SF_DIGEST_MAX])
{
    if (fix_layout_nodiff) {
        snprintf(out, SF_DIGEST_MAX, "sha256:%064d", 0);
        return;
    }
    gzFile g = gzopen(path, "rb"); /* reads plain files transparently */
    assert_non_null(g);
    sf_hasher *h = NULL;
    sf_hasher_new(&h, "sha256");
    char buf[65536];
    int n;
    while ((n = gzread(g, buf, sizeof buf)) > 0)
        sf_hasher_update(h, buf, (size_t)n);
    gzclose(g);
    sf_hasher_final(h, out);
    sf_hasher_free(h);
}

static int is_gzip(const char *path)
{
    FILE *f = fopen(path, "rb");
    unsigned char m[2] = {0};
    if (f) {
        if (fread(m, 1, 2, f) != 2)
            m[0] = 0;
        fclose(f);
    }
    return m[0] == 0x1f && m[1] == 0x8b;
}

/* One image: layer blobs symlinked, config and manifest written. */
static size_t fix_one(const char *dir, const fix_image *img, char mdigest[SF_DIGEST_MAX])
{
    char cfg[65536], man[65536], ids[32768] = "", lays[32768] = "";
    size_t io = 0, lo = 0;
    for (size_t i = 0; i < img->nlayers; i++) {
        char d[SF_DIGEST_MAX], diff[SF_DIGEST_MAX], p[4096], abs[4096];
        size_t size;
        fix_file_digest(img->layers[i], d, &size);
        fix_diff_id(img->layers[i], diff);
        snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, d + 7);
        assert_non_null(realpath(img->layers[i], abs));
        unlink(p);
        assert_int_equal(symlink(abs, p), 0);
        io += (size_t)snprintf(ids + io, sizeof ids - io, "%s\"%s\"", i ? "," : "", diff);
        lo += (size_t)snprintf(lays + lo, sizeof lays - lo,
                               "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar%s\","
                               "\"digest\":\"%s\",\"size\":%zu}",
                               i ? "," : "", is_gzip(img->layers[i]) ? "+gzip" : "", d, size);
    }
    int n = snprintf(cfg, sizeof cfg,
                     "{\"architecture\":\"%s\",\"os\":\"%s\"%s%s%s,\"rootfs\":{\"type\":\"layers\","
                     "\"diff_ids\":[%s]},\"config\":{}}",
                     img->arch, img->os, img->variant ? ",\"variant\":\"" : "",
                     img->variant ? img->variant : "", img->variant ? "\"" : "", ids);
    char cdig[SF_DIGEST_MAX];
    fix_write_blob(dir, cfg, (size_t)n, cdig);
    n = snprintf(man, sizeof man,
                 "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                 "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                 "\"digest\":\"%s\",\"size\":%d},\"layers\":[%s]}",
                 cdig, (int)strlen(cfg), lays);
    fix_write_blob(dir, man, (size_t)n, mdigest);
    return (size_t)n;
}

void fix_layout(const char *dir, const fix_image *imgs, size_t n, char (*mdigests)[SF_DIGEST_MAX])
{
    mkblobs(dir);
    char idx[65536];
    size_t o = (size_t)snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"manifests\":[");
    for (size_t i = 0; i < n; i++) {
        size_t size = fix_one(dir, &imgs[i], mdigests[i]);
        o += (size_t)snprintf(idx + o, sizeof idx - o,
                              "%s{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                              "\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"%s\","
                              "\"architecture\":\"%s\"%s%s%s}}",
                              i ? "," : "", mdigests[i], size, imgs[i].os, imgs[i].arch,
                              imgs[i].variant ? ",\"variant\":\"" : "",
                              imgs[i].variant ? imgs[i].variant : "",
                              imgs[i].variant ? "\"" : "");
    }
    snprintf(idx + o, sizeof idx - o, "]}");
    char p[4096];
    snprintf(p, sizeof p, "%s/index.json", dir);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(idx, f);
    fclose(f);
    snprintf(p, sizeof p, "%s/oci-layout", dir);
    f = fopen(p, "wb");
    fputs("{\"imageLayoutVersion\":\"1.0.0\"}", f);
    fclose(f);
}
