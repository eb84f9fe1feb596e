/*
 * Integration tests of the fleet-wide layer cache on real Redis servers:
 * the stack's (sf_t_redis(), with a key prefix of this test run)
 * and private redis-server instances this test starts and kills.
 *
 * Layers are real Alpine minirootfs blobs from the corpus; the analysis
 * verifies their digest and walks their tar.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "cache_helpers.h"

#define NLAYERS 5
#define NTHREADS 16
#define IMAGES 208 /* 16 threads x 13 images, each 3 of the 5 base layers */

static t_layer layers[NLAYERS] = T_ALPINE_LAYERS;
static char prefix[64];
static const char *shared_nodes[1]; /* the stack's Redis, set in setup */

static int setup(void **state)
{
    (void)state;
    shared_nodes[0] = sf_t_redis();
    for (int i = 0; i < NLAYERS; i++)
        if (t_layer_load(&layers[i]) != SF_OK)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < NLAYERS; i++)
        free(layers[i].data);
    return 0;
}

static void new_prefix(const char *what)
{
    snprintf(prefix, sizeof prefix, "worker-t%ld-%s-%ld", (long)getpid(), what, (long)time(NULL));
}

typedef struct racer {
    int id;
    unsigned long hits, misses, waits, uncached, bad;
} racer;

/* Each racer is its own "worker": its own connections, cache instance and
 * lock owner id, as a separate process would have. */
static void *race_main(void *arg)
{
    racer *r = arg;
    sf_kv_opts ko = {.nodes = shared_nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_lcache *lc = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_metrics *m = NULL;
    sf_metrics_new(&m);
    if (sf_kv_new(&kv, &ko, &e) != SF_OK)
        return NULL;
    sf_lcache_opts lo = {.kv = kv, .prefix = prefix, .analyzer_version = "t1", .encode = t_encode,
                         .decode = t_decode, .ttl_ms = 600000, .metrics = m,
                         .mac = t_cmac()};
    if (sf_lcache_new(&lc, &lo, &e) != SF_OK)
        return NULL;
    unsigned seed = (unsigned)r->id * 7919u;
    for (int img = 0; img < IMAGES / NTHREADS; img++) {
        int first = (int)(rand_r(&seed) % NLAYERS);
        for (int k = 0; k < 3; k++) {
            t_layer *l = &layers[(first + k * 2) % NLAYERS];
            sf_inventory *inv = NULL;
            const char *st = NULL;
            sf_error ge = SF_ERROR_INIT;
            if (sf_lcache_get(lc, l->digest, NULL, t_analyse, l, &inv, &st, &ge) != SF_OK ||
                !inv || inv->entries == 0 || t_npkgs(inv) < 10) {
                r->bad++;
            } else if (!strcmp(st, "hit")) {
                r->hits++;
            } else if (!strcmp(st, "miss")) {
                r->misses++;
            } else if (!strcmp(st, "wait")) {
                r->waits++;
            } else {
                r->uncached++;
            }
            t_inv_free(inv);
        }
    }
    sf_lcache_free(lc);
    sf_kv_free(kv);
    sf_metrics_free(m);
    return NULL;
}

/* 16 workers race over 208 images built from 5 shared base layers:
 * exactly one analysis per unique layer, fleet-wide; TTLs are set. */
static void test_cache_race__one_analysis_per_layer(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    new_prefix("race");
    for (int i = 0; i < NLAYERS; i++)
        atomic_store(&layers[i].analyses, 0);
    pthread_t th[NTHREADS];
    racer rs[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        rs[i] = (racer){.id = i + 1};
        pthread_create(&th[i], NULL, race_main, &rs[i]);
    }
    unsigned long hits = 0, misses = 0, waits = 0, uncached = 0, bad = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        hits += rs[i].hits;
        misses += rs[i].misses;
        waits += rs[i].waits;
        uncached += rs[i].uncached;
        bad += rs[i].bad;
    }
    int total = 0;
    for (int i = 0; i < NLAYERS; i++) {
        assert_int_equal(atomic_load(&layers[i].analyses), 1);
        total += atomic_load(&layers[i].analyses);
    }
    fprintf(stderr,
            "race: %d lookups, analyses/unique layer = %.2f (hits %lu, misses %lu, waits %lu, "
            "uncached %lu)\n",
            IMAGES * 3, (double)total / NLAYERS, hits, misses, waits, uncached);
    assert_int_equal(bad, 0);
    assert_int_equal(uncached, 0);
    assert_int_equal(misses, NLAYERS);
    assert_int_equal(hits + misses + waits, IMAGES / NTHREADS * NTHREADS * 3);
    assert_true(waits > 0); /* the race really overlapped */

    /* The stored inventories carry the configured TTL (600 s). */
    sf_kv_opts ko = {.nodes = shared_nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    for (int i = 0; i < NLAYERS; i++) {
        char key[SF_KEY_MAX];
        long long ttl = 0;
        assert_int_equal(sf_keys_layer(key, prefix, layers[i].digest, "t1", &e), SF_OK);
        assert_int_equal(sf_kv_pttl(kv, layers[i].digest, key, &ttl, &e), SF_OK);
        assert_true(ttl > 500000 && ttl <= 600000);
        assert_int_equal(sf_keys_lock_layer(key, prefix, layers[i].digest, &e), SF_OK);
        assert_int_equal(sf_kv_pttl(kv, layers[i].digest, key, &ttl, &e), SF_OK);
        assert_int_equal(ttl, -2); /* every lock released */
        assert_int_equal(sf_keys_layer(key, prefix, layers[i].digest, "t1", &e), SF_OK);
        sf_kv_del(kv, layers[i].digest, key, &e);
    }
    sf_kv_free(kv);
}

static sf_lcache *open_cache(sf_kv **kv, const char *const *nodes, size_t n, long long lock_ttl,
                             sf_metrics *m)
{
    sf_kv_opts ko = {.nodes = nodes, .nnodes = n, .connect_timeout_ms = 200,
                     .command_timeout_ms = 400, .backoff_min_ms = 50, .backoff_max_ms = 200};
    sf_lcache *lc = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(kv, &ko, &e), SF_OK);
    sf_lcache_opts lo = {.kv = *kv, .prefix = prefix, .analyzer_version = "t1",
                         .encode = t_encode, .decode = t_decode, .ttl_ms = 600000,
                         .lock_ttl_ms = lock_ttl, .poll_max_ms = 100, .metrics = m,
                         .mac = t_cmac()};
    assert_int_equal(sf_lcache_new(&lc, &lo, &e), SF_OK);
    return lc;
}

static const char *get_state(sf_lcache *lc, t_layer *l, const char *diff_id)
{
    sf_inventory *inv = NULL;
    const char *st = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_lcache_get(lc, l->digest, diff_id, t_analyse, l, &inv, &st, &e), SF_OK);
    assert_non_null(inv);
    assert_true(inv->entries > 100);
    t_inv_free(inv);
    return st;
}

static int pipefd[2];
/* The analysis of a worker that dies in the middle of it. */
static int die_analysing(void *actx, sf_inventory **out, sf_error *err)
{
    char c = 'x';
    (void)!write(pipefd[1], &c, 1);
    pause();
    return SF_EINTERNAL;
}

/* A holder dies mid-analysis (kill -9): its lock stops being renewed and
 * expires; a waiting worker takes over and analyses the layer once. */
static void test_cache_lock__takeover_after_holder_dies(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    new_prefix("takeover");
    t_layer *l = &layers[0];
    atomic_store(&l->analyses, 0);
    assert_int_equal(pipe(pipefd), 0);
    pid_t child = fork();
    if (child == 0) {
        sf_kv *kv = NULL;
        sf_lcache *lc = open_cache(&kv, shared_nodes, 1, 800, NULL);
        sf_inventory *inv = NULL;
        const char *st = NULL;
        sf_error e = SF_ERROR_INIT;
        sf_lcache_get(lc, l->digest, NULL, die_analysing, l, &inv, &st, &e);
        _exit(0);
    }
    char c;
    assert_int_equal(read(pipefd[0], &c, 1), 1); /* child holds the lock now */
    struct timespec ts = {1, 0};                 /* renewed at least once */
    nanosleep(&ts, NULL);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    sf_metrics *m = NULL;
    sf_metrics_new(&m);
    sf_kv *kv = NULL;
    sf_lcache *lc = open_cache(&kv, shared_nodes, 1, 800, m);
    assert_string_equal(get_state(lc, l, NULL), "miss");
    sf_lcache_stats s;
    sf_lcache_get_stats(lc, &s);
    assert_int_equal(s.takeovers, 1);
    assert_int_equal(atomic_load(&l->analyses), 1);
    assert_string_equal(get_state(lc, l, NULL), "hit");
    assert_int_equal(atomic_load(&l->analyses), 1);
    sf_lcache_free(lc);
    sf_kv_free(kv);
    sf_metrics_free(m);
    close(pipefd[0]);
    close(pipefd[1]);
}

/* The diff_id of a gzip blob: sha256 of its decompressed bytes. */
static char *gunzip(const char *data, size_t len, size_t *outlen)
{
    size_t cap = len * 4 + 1024, n = 0;
    char *out = malloc(cap);
    z_stream z = {0};
    inflateInit2(&z, 16 + MAX_WBITS);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    int rc;
    do {
        if (n == cap) {
            cap *= 2;
            out = realloc(out, cap);
        }
        z.next_out = (Bytef *)out + n;
        z.avail_out = (uInt)(cap - n);
        rc = inflate(&z, Z_NO_FLUSH);
        n = cap - z.avail_out;
    } while (rc == Z_OK);
    inflateEnd(&z);
    *outlen = n;
    return out;
}

/* A cache of analyzer version aver on the stack's Redis. */
static sf_lcache *open_cache_v(sf_kv **kv, const char *aver, sf_metrics *m)
{
    sf_kv_opts ko = {.nodes = shared_nodes, .nnodes = 1};
    sf_lcache *lc = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(kv, &ko, &e), SF_OK);
    sf_lcache_opts lo = {.kv = *kv, .prefix = prefix, .analyzer_version = aver,
                         .encode = t_encode, .decode = t_decode, .ttl_ms = 600000,
                         .metrics = m, .mac = t_cmac()};
    assert_int_equal(sf_lcache_new(&lc, &lo, &e), SF_OK);
    return lc;
}

/* The same content under other compressions. The uncompressed blob (its
 * digest is the diff_id, so fetching it verifies the pair) is a hit
 * through the diff_id index; the zstd blob is a new digest whose diff_id
 * is only claimed: it is analysed once, which verifies the pair, and from
 * then on (here: analyzers of a new version, which analyse the gzip blob
 * again) the verified pair lets it share the other blob's inventory. */
static void test_cache_index__diff_id_hit_only_when_verified(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    new_prefix("diffid");
    t_layer *gz = &layers[1];
    atomic_store(&gz->analyses, 0);
    size_t tlen = 0;
    char *tar = gunzip(gz->data, gz->len, &tlen);
    char diff_id[SF_DIGEST_MAX];
    sf_digest_sha256(tar, tlen, diff_id);
    t_layer raw = {.data = tar, .len = tlen};
    memcpy(raw.digest, diff_id, sizeof diff_id);
    size_t zcap = ZSTD_compressBound(tlen);
    t_layer zs = {.data = malloc(zcap)};
    zs.len = ZSTD_compress(zs.data, zcap, tar, tlen, 3);
    sf_digest_sha256(zs.data, zs.len, zs.digest);
    t_layer *all[] = {gz, &raw, &zs};
    for (int i = 0; i < 3; i++) {
        all[i]->claimed_diff_id = diff_id;
        memcpy(all[i]->true_diff_id, diff_id, sizeof diff_id);
    }

    sf_kv *kv = NULL;
    sf_lcache *lc = open_cache(&kv, shared_nodes, 1, 5000, NULL);
    assert_string_equal(get_state(lc, gz, diff_id), "miss");
    assert_string_equal(get_state(lc, &raw, diff_id), "hit");
    assert_string_equal(get_state(lc, &zs, diff_id), "miss"); /* claimed only: fetched */
    assert_int_equal(atomic_load(&gz->analyses), 1);
    assert_int_equal(atomic_load(&raw.analyses), 0);
    assert_int_equal(atomic_load(&zs.analyses), 1);
    /* The index entry and the verified pair have a TTL too. */
    char key[SF_KEY_MAX];
    long long ttl = 0;
    sf_error e = SF_ERROR_INIT;
    sf_keys_layer_diffid(key, prefix, diff_id, "t1", &e);
    assert_int_equal(sf_kv_pttl(kv, diff_id, key, &ttl, &e), SF_OK);
    assert_true(ttl > 0 && ttl <= 600000);
    sf_keys_layer_verified(key, prefix, zs.digest, &e);
    assert_int_equal(sf_kv_pttl(kv, zs.digest, key, &ttl, &e), SF_OK);
    assert_true(ttl > 0 && ttl <= 600000);
    sf_lcache_free(lc);
    sf_kv_free(kv);

    sf_kv *kv2 = NULL;
    sf_lcache *lc2 = open_cache_v(&kv2, "t2", NULL);
    assert_string_equal(get_state(lc2, gz, diff_id), "miss");
    assert_string_equal(get_state(lc2, &zs, diff_id), "hit"); /* verified before */
    assert_int_equal(atomic_load(&gz->analyses), 2);
    assert_int_equal(atomic_load(&zs.analyses), 1);
    sf_lcache_free(lc2);
    sf_kv_free(kv2);
    gz->claimed_diff_id = NULL; /* diff_id lives on this stack */
    free(tar);
    free(zs.data);
}

/* Issue 12 item 7: a new blob whose image config claims the diff_id of an
 * already cached layer must not get that layer's inventory: it is
 * fetched and analysed (which finds the mismatch), and nothing of it is
 * cached. Before the fix this was a "hit" with the other layer's packages
 * and no analysis at all. */
static void test_cache_index__claimed_diff_id_is_not_trusted(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    new_prefix("claim");
    t_layer *clean = &layers[1];
    size_t tlen = 0;
    char *tar = gunzip(clean->data, clean->len, &tlen);
    char diff_id[SF_DIGEST_MAX];
    sf_digest_sha256(tar, tlen, diff_id);
    free(tar);
    clean->claimed_diff_id = diff_id;
    memcpy(clean->true_diff_id, diff_id, sizeof diff_id);
    t_layer evil = {.rel = layers[0].rel}; /* other content */
    assert_int_equal(t_layer_load(&evil), SF_OK);
    tar = gunzip(evil.data, evil.len, &tlen);
    sf_digest_sha256(tar, tlen, evil.true_diff_id);
    free(tar);
    evil.claimed_diff_id = diff_id;

    sf_kv *kv = NULL;
    sf_lcache *lc = open_cache(&kv, shared_nodes, 1, 5000, NULL);
    atomic_store(&clean->analyses, 0);
    assert_string_equal(get_state(lc, clean, diff_id), "miss");
    sf_inventory *inv = NULL;
    const char *st = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_lcache_get(lc, evil.digest, diff_id, t_analyse, &evil, &inv, &st, &e),
                     SF_EDIGEST);
    assert_null(inv);
    assert_string_equal(st, "miss");
    assert_int_equal(atomic_load(&evil.analyses), 1);
    assert_non_null(strstr(e.msg, "does not match diff_id"));
    /* Again: still analysed, nothing was cached for it. */
    sf_error_clear(&e);
    assert_int_equal(sf_lcache_get(lc, evil.digest, diff_id, t_analyse, &evil, &inv, &st, &e),
                     SF_EDIGEST);
    assert_int_equal(atomic_load(&evil.analyses), 2);
    /* With its true diff_id it is an ordinary layer of its own. */
    evil.claimed_diff_id = evil.true_diff_id;
    assert_string_equal(get_state(lc, &evil, evil.true_diff_id), "miss");
    assert_string_equal(get_state(lc, &evil, evil.true_diff_id), "hit");
    assert_int_equal(atomic_load(&clean->analyses), 1);
    clean->claimed_diff_id = NULL;
    sf_lcache_free(lc);
    sf_kv_free(kv);
    free(evil.data);
}

static pid_t own_redis;
static int kill_then_analyse(void *actx, sf_inventory **out, sf_error *err)
{
    t_redis_kill(own_redis); /* Redis dies while we hold its lock */
    own_redis = 0;
    return t_analyse(actx, out, err);
}

static void *debug_sleep(void *arg)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "redis-cli -p %d DEBUG SLEEP 1.5 >/dev/null 2>&1", *(int *)arg);
    (void)!system(cmd);
    return NULL;
}

/* Own redis-server killed mid-run, then slow, then back: scanning goes on
 * uncached (counted), and the cache refills once it answers again. */
static void test_cache_faults__redis_down_slow_and_back(void **state)
{
    (void)state;
    int port = t_port(1);
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    const char *nodes[] = {addr};
    new_prefix("faults");
    own_redis = t_redis_start(port);
    assert_true(t_service_up(port));
    sf_metrics *m = NULL;
    sf_metrics_new(&m);
    sf_kv *kv = NULL;
    sf_lcache *lc = open_cache(&kv, nodes, 1, 5000, m);
    assert_string_equal(get_state(lc, &layers[0], NULL), "miss");
    assert_string_equal(get_state(lc, &layers[0], NULL), "hit");
    /* Killed while holding the lock of layer 1: analysed, not stored. */
    sf_inventory *inv = NULL;
    const char *st = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(
        sf_lcache_get(lc, layers[1].digest, NULL, kill_then_analyse, &layers[1], &inv, &st, &e),
        SF_OK);
    assert_string_equal(st, "uncached");
    assert_true(inv->entries > 100);
    t_inv_free(inv);
    for (int i = 0; i < NLAYERS; i++)
        assert_string_equal(get_state(lc, &layers[i], NULL), "uncached");
    sf_lcache_stats s;
    sf_lcache_get_stats(lc, &s);
    assert_int_equal(s.uncached, NLAYERS + 1);
    assert_true(s.redis_errors >= NLAYERS + 1);
    assert_true(sf_metric_value(sf_metrics_counter(m, "scanfarm_cache_layer_lookups_total", "",
                                                   "result"),
                                SF_LV("uncached")) == NLAYERS + 1);
    /* Back (empty: no persistence): refills after the backoff. */
    own_redis = t_redis_start(port);
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    assert_string_equal(get_state(lc, &layers[2], NULL), "miss");
    assert_string_equal(get_state(lc, &layers[2], NULL), "hit");
    /* Slow: a command stuck past the 400 ms timeout is "uncached". */
    pthread_t t;
    pthread_create(&t, NULL, debug_sleep, &port);
    nanosleep(&ts, NULL);
    assert_string_equal(get_state(lc, &layers[3], NULL), "uncached");
    pthread_join(t, NULL);
    ts.tv_nsec = 250 * 1000000L;
    nanosleep(&ts, NULL);
    assert_string_equal(get_state(lc, &layers[2], NULL), "hit");
    sf_lcache_free(lc);
    sf_kv_free(kv);
    sf_metrics_free(m);
    t_redis_kill(own_redis);
}

static int numbered(void *actx, sf_inventory **out, sf_error *err)
{
    sf_inventory_new(out);
    (*out)->entries = (uint64_t)(uintptr_t)actx;
    return SF_OK;
}

/* Two Redis nodes: keys spread over both by the digest's ring position,
 * each stored only on its node, and found again. */
static void test_cache_shard__two_nodes(void **state)
{
    (void)state;
    int p1 = t_port(2), p2 = t_port(3);
    char a1[32], a2[32];
    snprintf(a1, sizeof a1, "127.0.0.1:%d", p1);
    snprintf(a2, sizeof a2, "127.0.0.1:%d", p2);
    const char *nodes[] = {a1, a2};
    pid_t r1 = t_redis_start(p1), r2 = t_redis_start(p2);
    new_prefix("shard");
    sf_kv *kv = NULL;
    sf_lcache *lc = open_cache(&kv, nodes, 2, 5000, NULL);
    sf_kv *direct[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        sf_kv_opts o = {.nodes = &nodes[i], .nnodes = 1};
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kv_new(&direct[i], &o, &e), SF_OK);
    }
    enum { N = 200 };
    int per[2] = {0, 0};
    for (uintptr_t i = 1; i <= N; i++) {
        char s[32], d[SF_DIGEST_MAX], key[SF_KEY_MAX];
        int n = snprintf(s, sizeof s, "synthetic-layer-%lu", (unsigned long)i);
        sf_digest_sha256(s, (size_t)n, d);
        sf_inventory *inv = NULL;
        const char *st = NULL;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_lcache_get(lc, d, NULL, numbered, (void *)i, &inv, &st, &e), SF_OK);
        assert_string_equal(st, "miss");
        sf_inventory_free(inv);
        assert_int_equal(sf_lcache_get(lc, d, NULL, numbered, (void *)i, &inv, &st, &e), SF_OK);
        assert_string_equal(st, "hit");
        assert_int_equal(inv->entries, i);
        sf_inventory_free(inv);
        size_t node = sf_kv_shard(kv, d);
        per[node]++;
        sf_keys_layer(key, prefix, d, "t1", &e);
        sf_buf v;
        sf_buf_init(&v, 0);
        int found = 0;
        assert_int_equal(sf_kv_get(direct[node], d, key, &v, &found, &e), SF_OK);
        assert_int_equal(found, 1);
        assert_int_equal(sf_kv_get(direct[1 - node], d, key, &v, &found, &e), SF_OK);
        assert_int_equal(found, 0);
        sf_buf_free(&v);
    }
    fprintf(stderr, "shard: node0 %d keys, node1 %d keys\n", per[0], per[1]);
    assert_true(per[0] > N / 4 && per[1] > N / 4);
    sf_lcache_free(lc);
    sf_kv_free(kv);
    sf_kv_free(direct[0]);
    sf_kv_free(direct[1]);
    t_redis_kill(r1);
    t_redis_kill(r2);
}

/* Whole-image shortcut: answered only for the same DB version. */
static void test_cache_image__shortcut_by_db_version(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    new_prefix("image");
    sf_kv *kv = NULL;
    sf_lcache *lc = open_cache(&kv, shared_nodes, 1, 5000, NULL);
    const char *res[] = {"{\"schema\":\"scanfarm.result/v1\",\"digest\":\"x\"}", "{\"b\":2}"};
    sf_error e = SF_ERROR_INIT;
    char **got = NULL;
    size_t n = 0;
    int found = 0;
    assert_int_equal(sf_lcache_image_put(lc, layers[0].digest, "db-1", res, 2, &e), SF_OK);
    assert_int_equal(sf_lcache_image_get(lc, layers[0].digest, "db-2", &got, &n, &found, &e),
                     SF_OK);
    assert_int_equal(found, 0);
    assert_int_equal(sf_lcache_image_get(lc, layers[0].digest, "db-1", &got, &n, &found, &e),
                     SF_OK);
    assert_int_equal(found, 1);
    assert_int_equal(n, 2);
    assert_string_equal(got[0], res[0]);
    assert_string_equal(got[1], res[1]);
    sf_lcache_results_free(got, n);
    sf_lcache_free(lc);
    sf_kv_free(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_race__one_analysis_per_layer),
        cmocka_unit_test(test_cache_lock__takeover_after_holder_dies),
        cmocka_unit_test(test_cache_index__diff_id_hit_only_when_verified),
        cmocka_unit_test(test_cache_index__claimed_diff_id_is_not_trusted),
        cmocka_unit_test(test_cache_faults__redis_down_slow_and_back),
        cmocka_unit_test(test_cache_shard__two_nodes),
        cmocka_unit_test(test_cache_image__shortcut_by_db_version),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
