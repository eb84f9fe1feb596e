/*
 * Helpers shared by the cache integration tests: a real layer analysis
 * over corpus blobs (digest check + tar walk with libarchive), a codec for
 * the fields it fills, and private redis-server instances the tests may
 * kill. Header-only so each test stays one executable.
 */
#ifndef SF_TEST_CACHE_HELPERS_H
#define SF_TEST_CACHE_HELPERS_H

#include <archive.h>
#include <archive_entry.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyze/inventory.h"
#include "base/digest.h"
#include "cache/keys.h"
#include "cache/kv.h"
#include "cache/lcache.h"
#include "testutil.h"

/* A layer blob from the corpus with its digest. */
typedef struct t_layer {
    const char *rel;
    char *data;
    size_t len;
    char digest[SF_DIGEST_MAX];
    atomic_int analyses; /* how often the analysis ran, fleet-wide in this process */
} t_layer;

static inline int t_layer_load(t_layer *l)
{
    l->data = sf_t_read_file(sf_t_corpus(l->rel), &l->len);
    if (!l->data)
        return -1;
    return sf_digest_sha256(l->data, l->len, l->digest);
}

/* The analysis: verify the blob against its digest, walk the tar, count
 * entries and bytes, and count apk packages ("P:" lines) in the installed
 * DB. A digest mismatch is a failed analysis. */
static inline int t_analyse(void *actx, sf_inventory **out, sf_error *err)
{
    t_layer *l = actx;
    atomic_fetch_add(&l->analyses, 1);
    *out = NULL;
    if (sf_digest_verify(l->digest, l->data, l->len, err) != SF_OK)
        return err->code;
    struct archive *a = archive_read_new();
    archive_read_support_filter_all(a);
    archive_read_support_format_all(a);
    if (archive_read_open_memory(a, l->data, l->len) != ARCHIVE_OK) {
        archive_read_free(a);
        return sf_error_set(err, SF_EPARSE, "not a tar");
    }
    sf_inventory *inv = calloc(1, sizeof *inv);
    struct archive_entry *e;
    char buf[65536];
    while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
        inv->entries++;
        const char *p = archive_entry_pathname(e);
        int apkdb = strstr(p, "lib/apk/db/installed") != NULL;
        la_ssize_t r;
        char prev = '\n';
        while ((r = archive_read_data(a, buf, sizeof buf)) > 0) {
            inv->bytes += (uint64_t)r;
            for (la_ssize_t i = 0; apkdb && i + 1 < r; i++)
                if ((i == 0 ? prev : buf[i - 1]) == '\n' && buf[i] == 'P' && buf[i + 1] == ':')
                    inv->nsrcs++; /* packages, kept in nsrcs by this test codec */
            prev = buf[r - 1];
        }
    }
    archive_read_free(a);
    /* Slow enough that racing threads really overlap. */
    struct timespec ts = {0, 150 * 1000000L};
    nanosleep(&ts, NULL);
    *out = inv;
    return SF_OK;
}

/* Test codec: "entries bytes packages". */
static inline int t_encode(const sf_inventory *inv, sf_buf *out)
{
    return sf_buf_printf(out, "%llu %llu %zu", (unsigned long long)inv->entries,
                         (unsigned long long)inv->bytes, inv->nsrcs);
}
static inline int t_decode(sf_inventory **out, const void *data, size_t len, sf_error *err)
{
    unsigned long long e = 0, b = 0;
    size_t n = 0;
    char tmp[128];
    if (len >= sizeof tmp)
        return sf_error_set(err, SF_EPARSE, "bad value");
    memcpy(tmp, data, len);
    tmp[len] = '\0';
    if (sscanf(tmp, "%llu %llu %zu", &e, &b, &n) != 3)
        return sf_error_set(err, SF_EPARSE, "bad value");
    *out = calloc(1, sizeof **out);
    (*out)->entries = e;
    (*out)->bytes = b;
    (*out)->nsrcs = n;
    return SF_OK;
}

static inline void t_inv_free(sf_inventory *inv) { free(inv); }

/* A private redis-server on port (no persistence), running as a child. */
static inline pid_t t_redis_start(int port)
{
    char p[16];
    snprintf(p, sizeof p, "%d", port);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        execlp("redis-server", "redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--enable-debug-command", "yes", (char *)NULL);
        _exit(127);
    }
    /* Wait until it answers. */
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *nodes[] = {addr};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .backoff_min_ms = 1, .backoff_max_ms = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kv_new(&kv, &o, &e);
    for (int i = 0; i < 100; i++) {
        sf_error_clear(&e);
        if (sf_kv_ping(kv, 0, &e) == SF_OK)
            break;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    sf_kv_free(kv);
    return pid;
}

static inline void t_redis_kill(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

/* A port unlikely to collide with other helpers' private servers. */
static inline int t_port(int k) { return 20000 + (int)(getpid() % 20000) + k; }

static inline int t_service_up(int port)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *nodes[] = {addr};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_kv_new(&kv, &o, &e) != SF_OK)
        return 0;
    int up = sf_kv_ping(kv, 0, &e) == SF_OK;
    sf_kv_free(kv);
    return up;
}

#endif
