/*
 * Helpers shared by the cache integration tests: a real layer analysis
 * over corpus blobs (digest check + tar walk with libarchive), a codec for
 * the fields it fills, and private redis-server instances the tests may
 * kill. Header-only so each test stays one executable.
 */
#ifndef SF_TEST_CACHE_HELPERS_H
#define SF_TEST_CACHE_HELPERS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <archive.h>
#include <archive_entry.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
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
    /* Set by tests of the diff_id index: the diff_id the image claims and
     * the one the blob really has; the analysis fails on a mismatch, as
     * the scan engine's layer walker does. */
    const char *claimed_diff_id;
    char true_diff_id[SF_DIGEST_MAX];
} t_layer;

/* The five Alpine minirootfs layers of the corpus, as an initializer of
 * t_layer[5] (each test keeps its own array: t_layer counts analyses). */
#define T_ALPINE_LAYERS                                                                  \
    {                                                                                    \
        {.rel = "images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz"},                 \
        {.rel = "images/alpine/alpine-minirootfs-3.12.12-x86_64.tar.gz"},                \
        {.rel = "images/alpine/alpine-minirootfs-3.15.11-x86_64.tar.gz"},                \
        {.rel = "images/alpine/alpine-minirootfs-3.18.9-x86_64.tar.gz"},                 \
        {.rel = "images/alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz"},                 \
    }

/* The test farm's cache secret. */
#define T_CACHE_SECRET "test-farm-cache-secret-0123456789"


void t_cmac_init(void);

/* Racer threads ask for it at once: made exactly once (a plain "if NULL,
 * make" leaked the losers' copies under LeakSanitizer). */
const sf_cmac *t_cmac(void);

int t_layer_load(t_layer *l);

/* Packages ("P:"/"V:" pairs) of an apk installed DB into src. */
void t_parse_apk(const char *db, size_t n, sf_inv_source *src);

/* The analysis: verify the blob against its digest, walk the tar, count
 * entries and bytes, and parse the apk installed DB into a real
 * inventory. A digest mismatch is a failed analysis. */
int t_analyse(void *actx, sf_inventory **out, sf_error *err);

/* Packages in an inventory. */
size_t t_npkgs(const sf_inventory *inv);

/* The cache codec is the real one: zstd-compressed inventory JSON. */
#define t_encode sf_inventory_encode
#define t_decode sf_inventory_decode

void t_inv_free(sf_inventory *inv);

/* A private redis-server on port (no persistence), running as a child. */
pid_t t_redis_start(int port);

void t_redis_kill(pid_t pid);

uint64_t t_now_ms(void);

/* A free TCP port on 127.0.0.1 (bound, read back and released; k only
 * keeps call sites readable). */
int t_port(int k);

/* 1 when the Redis at addr ("host:port") answers PING. */
int t_redis_up(const char *addr);

/* 1 when a Redis on 127.0.0.1:port answers (a private redis-server). */
int t_service_up(int port);

#endif
