/*
 * inflate_bench: how fast a gzip layer can be turned into a walked tar,
 * single thread, on real layer blobs, with the CLI decompressors as the
 * reference in the same run:
 *
 *   gzip -dc      the system gzip to /dev/null (spawned)
 *   igzip -dc     ISA-L's CLI to /dev/null (spawned)
 *   la-zlib       libarchive reading .tar.gz itself (its zlib filter)
 *   walk-zlib     sf_layer: zlib inflate -> libarchive raw tar, no analyzers
 *   walk-isal     sf_layer: ISA-L inflate -> libarchive raw tar, no analyzers
 *   analyse-isal  sf_layer with every analyzer (what a worker does)
 *
 * Figures are MB/s of *compressed* input (the size the registry sends),
 * best of --reps runs. sf_layer also hashes the blob (feeder) and the tar
 * (walker), so the walk-* columns include two SHA-256 passes.
 *
 * usage: sf-inflate_bench [--reps N] [--big MB] [layer.tar.gz ...]
 *   default files: the gzip layers of $SF_CORPUS (../shared/corpus).
 *   --big MB: also analyse a generated MB-sized layer and print peak RSS.
 */
#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analyze/analyzer.h"
#include "analyze/layer.h"
#include "base/digest.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = n > 0 ? malloc((size_t)n) : NULL;
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return d;
}

static double run_cli(const char *tool, const char *path)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "%s -dc '%s' > /dev/null 2>&1", tool, path);
    double t = now_s();
    int rc = system(cmd);
    t = now_s() - t;
    return rc == 0 ? t : -1;
}

static double run_libarchive(const char *data, size_t len)
{
    double t = now_s();
    struct archive *a = archive_read_new();
    archive_read_support_filter_gzip(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
        return -1;
    struct archive_entry *e;
    while (archive_read_next_header(a, &e) == ARCHIVE_OK)
        archive_read_data_skip(a);
    archive_read_free(a);
    return now_s() - t;
}

static int no_wants(const sf_entry *e)
{
    (void)e;
    return 0;
}
static const sf_analyzer none = {"none", 1, 0, no_wants, NULL, NULL};
static const sf_analyzer *const no_analyzers[] = {&none, NULL};

static double run_layer(const char *data, size_t len, sf_inflater inf, int analyse,
                        const char *digest)
{
    sf_layer_opts o;
    memset(&o, 0, sizeof o);
    o.digest = digest;
    o.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    o.inflater = inf;
    o.analyzers = analyse ? sf_analyzers : no_analyzers;
    sf_inventory *inv = NULL;
    sf_error e = SF_ERROR_INIT;
    double t = now_s();
    int rc = sf_layer_analyze_mem(data, len, &o, &inv, &e);
    t = now_s() - t;
    sf_inventory_free(inv);
    if (rc != SF_OK) {
        fprintf(stderr, "layer: %s\n", e.msg);
        return -1;
    }
    return t;
}

static const char *default_files[] = {
    "images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz",
    "images/alpine/alpine-minirootfs-3.18.9-x86_64.tar.gz",
    "images/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz",
    "images/distroless-style/distroless-style-base-debian12.addon-layer.tar.gz",
    "lang/npm/npm-vuln-fixture.tar.gz",
};

static double best(double a, double b) { return a < 0 ? b : (b >= 0 && b < a ? b : a); }

static void bench_file(const char *path, int reps)
{
    size_t len;
    char *data = slurp(path, &len);
    if (!data) {
        fprintf(stderr, "skip %s\n", path);
        return;
    }
    char digest[SF_DIGEST_MAX];
    sf_digest_sha256(data, len, digest);
    double t[6] = {-1, -1, -1, -1, -1, -1};
    for (int r = 0; r < reps; r++) {
        t[0] = best(t[0], run_cli("gzip", path));
        t[1] = best(t[1], run_cli("igzip", path));
        t[2] = best(t[2], run_libarchive(data, len));
        t[3] = best(t[3], run_layer(data, len, SF_INFLATE_ZLIB, 0, digest));
        t[4] = best(t[4], run_layer(data, len, SF_INFLATE_ISAL, 0, digest));
        t[5] = best(t[5], run_layer(data, len, SF_INFLATE_ISAL, 1, digest));
    }
    const char *base = strrchr(path, '/');
    printf("%-44.44s %7.2f", base ? base + 1 : path, (double)len / 1e6);
    for (int i = 0; i < 6; i++)
        printf(" %12.1f", t[i] > 0 ? (double)len / 1e6 / t[i] : 0.0);
    printf("\n");
    free(data);
}

/* A generated layer with an mb-MB tar (pseudo-random text files, gzip
 * level 1), written by libarchive straight into sf_layer with every
 * analyzer: no copy of the layer exists anywhere, so peak RSS is what
 * analysing it costs. */
static la_ssize_t to_layer(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    return sf_layer_feed(ud, buf, n) == SF_OK ? (la_ssize_t)n : -1;
}

static void bench_big(int mb)
{
    sf_layer_opts o;
    memset(&o, 0, sizeof o);
    o.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
    o.analyzers = sf_analyzers;
    sf_layer *l = NULL;
    sf_error err = SF_ERROR_INIT;
    if (sf_layer_new(&l, &o, &err) != SF_OK)
        return;
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    archive_write_set_filter_option(a, "gzip", "compression-level", "1");
    archive_write_open2(a, l, NULL, to_layer, NULL, NULL);
    static char file[1 << 20];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof file; i++) {
        x = x * 1103515245u + 12345u;
        file[i] = (char)('a' + (x >> 16) % 26);
    }
    struct archive_entry *e = archive_entry_new();
    size_t total = 0;
    double t = now_s();
    for (int i = 0; total < ((size_t)mb << 20); i++) {
        char name[64];
        snprintf(name, sizeof name, "data/blob%06d.bin", i);
        archive_entry_clear(e);
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, sizeof file);
        if (archive_write_header(a, e) != ARCHIVE_OK ||
            archive_write_data(a, file, sizeof file) < 0)
            break;
        total += sizeof file;
        file[i % sizeof file] ^= 1;
    }
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    sf_inventory *inv = NULL;
    int rc = sf_layer_finish(l, &inv, &err);
    t = now_s() - t;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("\ngenerated %zu MB layer (tar), generated+gzipped+analysed in %.1f s: %s; "
           "peak RSS of the whole process %ld MB\n",
           total >> 20, t, rc == SF_OK ? "ok" : err.msg, ru.ru_maxrss / 1024);
    sf_inventory_free(inv);
    sf_layer_free(l);
}

int main(int argc, char **argv)
{
    int reps = 3, big = 0, first = argc;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc)
            reps = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--big") == 0 && i + 1 < argc)
            big = (int)strtol(argv[++i], NULL, 10);
        else {
            first = i;
            break;
        }
    }
    printf("MB/s of compressed input, best of %d, single thread\n", reps);
    printf("%-44s %7s %12s %12s %12s %12s %12s %12s\n", "layer", "MB", "gzip -dc", "igzip -dc",
           "la-zlib", "walk-zlib", "walk-isal", "analyse-isal");
    if (first < argc) {
        for (int i = first; i < argc; i++)
            bench_file(argv[i], reps);
    } else {
        const char *c = getenv("SF_CORPUS");
        for (size_t i = 0; i < sizeof default_files / sizeof default_files[0]; i++) {
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", c && *c ? c : "../shared/corpus", default_files[i]);
            bench_file(p, reps);
        }
    }
    if (big > 0)
        bench_big(big);
    return 0;
}
