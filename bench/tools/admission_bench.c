/*
 * admission_bench: latency of scanfarm-admission under a stream of
 * AdmissionReviews, next to floors measured in the same run against the
 * same server (bench/admission starts it).
 *
 *   seed:     a fleet view of --images digests (a fifth of them with a
 *             CRITICAL finding that has a fix) and a ref map naming each
 *             by a tag, under --prefix in Redis;
 *   floor 1:  GET /healthz (TLS handshake + HTTP, no review);
 *   floor 2:  a review in an exempt namespace (parse + answer, no Redis);
 *   reviews:  --reviews Pod reviews of 1-3 containers, half by digest,
 *             half by tag (resolved through the ref map), from --threads
 *             clients at once, each on a new TLS connection as the server
 *             closes after one answer.
 * Prints p50/p95/p99/max per phase and writes them as JSON (--out).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fleet/agg_view.h"
#include "cache/keys.h"
#include "cache/kv.h"

typedef struct bench {
    int port, threads, images;
    long reviews;
    const char *redis, *prefix, *out;
    SSL_CTX *ctx;
    char (*digests)[80];
} bench;

typedef struct phase {
    const char *name;
    long n;
    double *ms;     /* per request */
    long failures;  /* connection or HTTP failures */
    long denied;
} phase;

typedef struct worker {
    bench *b;
    phase *ph;
    int kind;       /* 0 healthz, 1 exempt review, 2 reviews */
    long from, to;
} worker;

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

/* One request on a new TLS connection; the answer into out. 0 on HTTP 200. */
static int request(bench *b, const char *req, size_t len, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), rc = -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)b->port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    SSL *ssl = NULL;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        goto done;
    ssl = SSL_new(b->ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1 || SSL_write(ssl, req, (int)len) != (int)len)
        goto done;
    size_t n = 0;
    int r;
    while (n < cap - 1 && (r = SSL_read(ssl, out + n, (int)(cap - 1 - n))) > 0)
        n += (size_t)r;
    out[n] = '\0';
    rc = strncmp(out, "HTTP/1.1 200 ", 13) == 0 ? 0 : -1;
done:
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The review of request i (kind 1: exempt namespace). */
static size_t make_review(bench *b, long i, int kind, char *buf, size_t cap)
{
    char ctrs[2048] = "";
    size_t at = 0;
    unsigned x = (unsigned)i * 2654435761u;
    int nc = 1 + (int)(x % 3);
    for (int c = 0; c < nc; c++) {
        int img = (int)((x >> (8 + c * 7)) % (unsigned)b->images);
        int bytag = (x >> (4 + c)) & 1;
        char image[256];
        if (bytag)
            snprintf(image, sizeof image, "bench.example/app/s%04d:v1", img);
        else
            snprintf(image, sizeof image, "bench.example/app/s%04d@%s", img, b->digests[img]);
        at += (size_t)snprintf(ctrs + at, sizeof ctrs - at, "%s{\"name\":\"c%d\",\"image\":\"%s\"}",
                               c ? "," : "", c, image);
    }
    char body[4096];
    int bl = snprintf(body, sizeof body,
                      "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                      "\"request\":{\"uid\":\"bench-%ld\",\"kind\":{\"group\":\"\",\"version\":"
                      "\"v1\",\"kind\":\"Pod\"},\"resource\":{\"group\":\"\",\"version\":\"v1\","
                      "\"resource\":\"pods\"},\"namespace\":\"%s\",\"operation\":\"CREATE\","
                      "\"userInfo\":{\"username\":\"system:serviceaccount:kube-system:"
                      "replicaset-controller\"},\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
                      "\"metadata\":{\"generateName\":\"web-\",\"namespace\":\"%s\"},\"spec\":{"
                      "\"containers\":[%s]}},\"dryRun\":false}}",
                      i, kind == 1 ? "bench-exempt" : "prod", kind == 1 ? "bench-exempt" : "prod",
                      ctrs);
    return (size_t)snprintf(buf, cap,
                            "POST /v1/admission?timeout=10s HTTP/1.1\r\nHost: bench\r\n"
                            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                            bl, body);
}

static void *work(void *arg)
{
    worker *w = arg;
    char req[8192], out[16384];
    for (long i = w->from; i < w->to; i++) {
        size_t len;
        if (w->kind == 0)
            len = (size_t)snprintf(req, sizeof req, "GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n");
        else
            len = make_review(w->b, i, w->kind, req, sizeof req);
        double t0 = now_ms();
        int rc = request(w->b, req, len, out, sizeof out);
        w->ph->ms[i] = now_ms() - t0;
        if (rc != 0 || (w->kind && !strstr(out, "\"uid\":\"bench-")))
            __atomic_fetch_add(&w->ph->failures, 1, __ATOMIC_RELAXED);
        else if (strstr(out, "\"allowed\":false"))
            __atomic_fetch_add(&w->ph->denied, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void run_phase(bench *b, phase *ph, int kind)
{
    pthread_t t[64];
    worker w[64];
    ph->ms = calloc((size_t)ph->n, sizeof *ph->ms);
    for (int i = 0; i < b->threads; i++) {
        w[i] = (worker){b, ph, kind, ph->n * i / b->threads, ph->n * (i + 1) / b->threads};
        pthread_create(&t[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < b->threads; i++)
        pthread_join(t[i], NULL);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const phase *p, double q)
{
    long i = (long)(q * (double)(p->n - 1) + 0.5);
    return p->ms[i];
}

static int seed(bench *b)
{
    const char *nodes[] = {b->redis};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    char shard[SF_KEY_MAX], views[SF_KEY_MAX], refs[SF_KEY_MAX];
    if (sf_kv_new(&kv, &ko, &e) || sf_keys_agg_shard(shard, b->prefix, &e) ||
        sf_keys_agg(views, b->prefix, "views", &e) || sf_keys_agg(refs, b->prefix, "refs", &e)) {
        fprintf(stderr, "admission_bench: %s\n", e.msg);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < b->images && rc == 0; i++) {
        snprintf(b->digests[i], sizeof b->digests[i], "sha256:%064x", i + 1);
        sf_agg_vuln v[2] = {
            {"CVE-2026-1000", "openssl", "Alpine:v3.19", "3.1.0-r0", "3.1.4-r0",
             i % 5 == 0 ? SF_SEV_CRITICAL : SF_SEV_HIGH, 9.8, 0, -1, -1, NULL},
            {"CVE-2026-2000", "musl", "Alpine:v3.19", "1.2.4-r0", NULL, SF_SEV_CRITICAL, 9.1, 0, -1,
             -1, NULL}};
        sf_agg_view view = {.digest = b->digests[i], .job_key = b->digests[i], .run_id = "bench",
                            .db_version = "bench", .vulns = v, .nvulns = 2, .refs_rank = -1};
        sf_buf j;
        char ref[128];
        sf_kv_reply *r1 = NULL, *r2 = NULL;
        sf_buf_init(&j, 1 << 16);
        snprintf(ref, sizeof ref, "bench.example/app/s%04d:v1", i);
        const char *a1[] = {"HSET", views, b->digests[i], NULL};
        const char *a2[] = {"HSET", refs, ref, b->digests[i]};
        if (sf_agg_view_json(&view, &j) != SF_OK)
            rc = -1;
        a1[3] = j.data;
        if (rc || sf_kv_argv(kv, shard, 4, a1, NULL, &r1, &e) ||
            sf_kv_argv(kv, shard, 4, a2, NULL, &r2, &e))
            rc = -1;
        sf_kv_reply_free(r1), sf_kv_reply_free(r2);
        sf_buf_free(&j);
    }
    if (rc)
        fprintf(stderr, "admission_bench: seeding failed: %s\n", e.msg);
    sf_kv_free(kv);
    return rc;
}

/* Drop what seed() wrote. */
static void unseed(bench *b)
{
    const char *nodes[] = {b->redis};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    char shard[SF_KEY_MAX], key[SF_KEY_MAX];
    if (sf_kv_new(&kv, &ko, &e) || sf_keys_agg_shard(shard, b->prefix, &e))
        return;
    const char *names[] = {"views", "refs"};
    for (int i = 0; i < 2; i++)
        if (sf_keys_agg(key, b->prefix, names[i], &e) == SF_OK)
            (void)sf_kv_del(kv, shard, key, &e);
    sf_kv_free(kv);
}

static void report(FILE *f, phase *ph, size_t n, int json)
{
    for (size_t i = 0; i < n; i++) {
        phase *p = &ph[i];
        qsort(p->ms, (size_t)p->n, sizeof *p->ms, cmp);
        if (json)
            fprintf(f, "%s\"%s\":{\"n\":%ld,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,"
                       "\"max_ms\":%.3f,\"failures\":%ld,\"denied\":%ld}",
                    i ? "," : "", p->name, p->n, pct(p, .5), pct(p, .95), pct(p, .99),
                    p->ms[p->n - 1], p->failures, p->denied);
        else
            fprintf(f, "%-22s n=%-6ld p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms  "
                       "failures %ld  denied %ld\n",
                    p->name, p->n, pct(p, .5), pct(p, .95), pct(p, .99), p->ms[p->n - 1],
                    p->failures, p->denied);
    }
}

int main(int argc, char **argv)
{
    bench b = {.port = 0, .threads = 4, .images = 200, .reviews = 10000, .redis = "127.0.0.1:6379",
               .prefix = "bench-adm", .out = NULL};
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            b.port = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--threads"))
            b.threads = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--reviews"))
            b.reviews = strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--images"))
            b.images = (int)strtol(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--redis"))
            b.redis = argv[i + 1];
        else if (!strcmp(argv[i], "--prefix"))
            b.prefix = argv[i + 1];
        else if (!strcmp(argv[i], "--out"))
            b.out = argv[i + 1];
    }
    if (b.port <= 0 || b.threads < 1 || b.threads > 64 || b.images < 1 || b.reviews < 1) {
        fprintf(stderr, "usage: admission_bench --port N [--threads 4] [--reviews 10000] "
                        "[--images 200] [--redis H:P] [--prefix P] [--out FILE]\n");
        return 64;
    }
    b.digests = calloc((size_t)b.images, sizeof *b.digests);
    if (!b.digests || seed(&b) != 0)
        return 1;
    b.ctx = SSL_CTX_new(TLS_client_method());
    long floor_n = b.reviews < 2000 ? b.reviews : 2000;
    phase ph[3] = {{.name = "floor_healthz", .n = floor_n},
                   {.name = "floor_exempt_review", .n = floor_n},
                   {.name = "reviews", .n = b.reviews}};
    run_phase(&b, &ph[0], 0);
    run_phase(&b, &ph[1], 1);
    run_phase(&b, &ph[2], 2);
    report(stdout, ph, 3, 0);
    if (b.out) {
        FILE *f = fopen(b.out, "w");
        if (f) {
            fprintf(f, "{\"threads\":%d,\"images\":%d,", b.threads, b.images);
            report(f, ph, 3, 1);
            fprintf(f, "}\n");
            fclose(f);
        }
    }
    unseed(&b);
    long fails = ph[0].failures + ph[1].failures + ph[2].failures;
    SSL_CTX_free(b.ctx);
    for (int i = 0; i < 3; i++)
        free(ph[i].ms);
    free(b.digests);
    return fails ? 1 : 0;
}
