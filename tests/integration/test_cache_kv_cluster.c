/*
 * Redis Cluster for real: the stack's optional redis-cluster (3 masters +
 * 3 replicas, cluster-node-timeout 1 s) on private ports, one seed given
 * to the client, then
 *   - keys spread: 300 keys land on all three masters (and read back in
 *     one sf_kv_get_many, a pipeline per master); the layer cache
 *     round trip works; 8 racing caches analyse each layer once; the fleet view's multi-key script runs on its
 *     {agg} slot, and a script over two slots is refused before sending;
 *   - a slot migration done by hand as redis-cli --cluster reshard does
 *     it: while the slot is MIGRATING a new key is answered with ASK and
 *     lands on the target (ASKING; a batched GET asks it again alone);
 *     after SETSLOT NODE the old owner
 *     answers MOVED and every key is still read through the new one;
 *   - failover: the master of a slot is SIGKILLed; reads of 200 keys
 *     written before (and replicated) go on with the promoted replica,
 *     none lost, within the client's bounded wait; writes work again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>

#include "cache/keys.h"
#include "cache/kvslot.h"
#include "redis_extra.h"

static t_extra x;
static int base;
static char seed[64];
static t_layer layers[2] = {
    {.rel = "images/alpine/alpine-minirootfs-3.12.12-x86_64.tar.gz"},
    {.rel = "images/alpine/alpine-minirootfs-3.15.11-x86_64.tar.gz"},
};

/* First line of a shell command's output into out. */
static int sh(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sh(char *out, size_t cap, const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    out[0] = '\0';
    if (!fgets(out, (int)cap, p))
        out[0] = '\0';
    out[strcspn(out, "\r\n")] = '\0';
    return pclose(p) == 0 ? 0 : -1;
}

static long cli_long(int port, const char *cmd)
{
    char o[128];
    if (sh(o, sizeof o, "redis-cli -p %d %s", port, cmd) != 0)
        return -1;
    return strtol(o, NULL, 10);
}

static int setup(void **state)
{
    (void)state;
    char vars[128];
    /* 6 consecutive ports below the ephemeral range, bus ports +10000. */
    base = 21000 + (int)(getpid() % 100) * 10;
    snprintf(vars, sizeof vars, "SCANFARM_REDIS_CLUSTER_PORT=%d", base);
    if (t_extra_up(&x, "redis-cluster", vars) != 0)
        return -1;
    snprintf(seed, sizeof seed, "127.0.0.1:%d", base + 4); /* a replica, even */
    return t_layers_load(layers, 2);
}

static int teardown(void **state)
{
    (void)state;
    return t_extra_teardown(&x, layers, 2);
}

static sf_kv *client(void)
{
    const char *nodes[] = {seed};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .cluster = 1, .cluster_wait_ms = 15000};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_kv_new(&kv, &o, &e) != SF_OK)
        fail_msg("%s", e.msg);
    return kv;
}

static int port_of(sf_kv *kv, const char *key)
{
    const char *n = sf_kv_node_name(kv, sf_kv_shard(kv, key));
    const char *c = strrchr(n, ':');
    return c ? atoi(c + 1) : -1; /* test code: the name is ours */
}

static void test_kv_cluster__keys_spread_cache_and_scripts(void **state)
{
    (void)state;
    sf_kv *kv = client();
    sf_error e = SF_ERROR_INIT;
    char k[64];
    for (int i = 0; i < 300; i++) {
        snprintf(k, sizeof k, "cl-t:spread:%d", i);
        assert_int_equal(sf_kv_set(kv, k, k, "v", 1, 120000, &e), SF_OK);
    }
    int with_keys = 0;
    for (int p = base; p < base + 6; p++) {
        char role[64];
        sh(role, sizeof role, "redis-cli -p %d role", p);
        if (strcmp(role, "master") == 0)
            with_keys += cli_long(p, "dbsize") > 50;
    }
    assert_int_equal(with_keys, 3);
    /* The same keys (and absent ones) in one sf_kv_get_many: a pipeline
     * per master, each key's own answer. */
    enum { NM = 305 };
    static char mk[NM][64];
    static sf_buf mb[NM];
    sf_kv_getreq rq[NM];
    for (int i = 0; i < NM; i++) {
        snprintf(mk[i], sizeof mk[i], "cl-t:%s:%d", i < 300 ? "spread" : "absent", i);
        sf_buf_init(&mb[i], 64);
        rq[i] = (sf_kv_getreq){.shard_key = mk[i], .key = mk[i], .out = &mb[i]};
    }
    assert_int_equal(sf_kv_get_many(kv, rq, NM, &e), SF_OK);
    for (int i = 0; i < NM; i++) {
        assert_int_equal(rq[i].rc, SF_OK);
        assert_int_equal(rq[i].found, i < 300);
        assert_int_equal(mb[i].len, i < 300 ? 1 : 0);
        sf_buf_free(&mb[i]);
    }

    char prefix[64];
    snprintf(prefix, sizeof prefix, "cl-t%ld", (long)getpid());
    const char *nodes[] = {seed};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .cluster = 1};
    assert_int_equal(t_lcache_roundtrip(&o, layers, 2, prefix), 0);

    /* The fleet view's keys share the {agg} slot: a 3-key script runs. */
    char a[SF_KEY_MAX], b[SF_KEY_MAX], c[SF_KEY_MAX];
    assert_int_equal(sf_keys_agg_run(a, prefix, "r1", "jobs", &e), SF_OK);
    assert_int_equal(sf_keys_agg_run(b, prefix, "r1", "images", &e), SF_OK);
    assert_int_equal(sf_keys_agg(c, prefix, "runs", &e), SF_OK);
    assert_non_null(strstr(a, ":{agg}:"));
    const char *ev[] = {"EVAL",
                        "redis.call('sadd',KEYS[1],'j') redis.call('sadd',KEYS[2],'i') "
                        "return redis.call('sadd',KEYS[3],'r')",
                        "3", a, b, c};
    sf_kv_reply *r = NULL;
    assert_int_equal(sf_kv_argv(kv, "", 6, ev, NULL, &r, &e), SF_OK);
    assert_int_equal(r->integer, 1);
    sf_kv_reply_free(r);
    /* Two slots: refused here, with the reason, before Redis sees it. */
    const char *cross[] = {"EVAL", "return 1", "2", "cl-t:x", "cl-t:y"};
    assert_int_equal(sf_kv_argv(kv, "", 5, cross, NULL, &r, &e), SF_EINVAL);
    assert_non_null(strstr(e.msg, "CROSSSLOT"));
    sf_kv_free(kv);
}

typedef struct racer {
    const char *prefix;
    int bad;
} racer;

/* One "worker": its own cluster client and cache, both layers. */
static void *race_main(void *arg)
{
    racer *r = arg;
    const char *nodes[] = {seed};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .cluster = 1};
    sf_kv *kv = NULL;
    sf_lcache *lc = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_kv_new(&kv, &o, &e) != SF_OK) {
        r->bad = 2;
        return NULL;
    }
    sf_lcache_opts lo = {.kv = kv, .prefix = r->prefix, .analyzer_version = "t1",
                         .encode = t_encode, .decode = t_decode, .ttl_ms = 600000,
                         .mac = t_cmac()};
    if (sf_lcache_new(&lc, &lo, &e) == SF_OK) {
        for (int i = 0; i < 2; i++) {
            sf_inventory *inv = NULL;
            const char *st = NULL;
            if (sf_lcache_get(lc, layers[i].digest, NULL, t_analyse, &layers[i], &inv, &st,
                              &e) != SF_OK || !inv || strcmp(st, "uncached") == 0)
                r->bad++;
            t_inv_free(inv);
        }
        sf_lcache_free(lc);
    } else {
        r->bad = 2;
    }
    sf_kv_free(kv);
    return NULL;
}

/* 8 workers race on 2 layers through the cluster: each layer is analysed
 * once (the fleet lock works across the cluster's nodes), none uncached. */
static void test_kv_cluster__race_one_analysis_per_layer(void **state)
{
    (void)state;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "cl-race%ld", (long)getpid());
    racer rs[8];
    pthread_t th[8];
    for (int i = 0; i < 2; i++)
        atomic_store(&layers[i].analyses, 0);
    for (int i = 0; i < 8; i++) {
        rs[i] = (racer){.prefix = prefix};
        assert_int_equal(pthread_create(&th[i], NULL, race_main, &rs[i]), 0);
    }
    int bad = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        bad += rs[i].bad;
    }
    assert_int_equal(bad, 0);
    assert_int_equal(atomic_load(&layers[0].analyses), 1);
    assert_int_equal(atomic_load(&layers[1].analyses), 1);
}

/* Move slot from the master at src to the one at dst, ASK phase first. */
static void test_kv_cluster__ask_during_migration_then_moved(void **state)
{
    (void)state;
    sf_kv *kv = client();
    sf_error e = SF_ERROR_INIT;
    char k[64], id_src[64], id_dst[64], o[256];
    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof k, "{cl-mig}:old:%d", i);
        assert_int_equal(sf_kv_set(kv, k, k, k, strlen(k), 120000, &e), SF_OK);
    }
    int slot = sf_kvslot_of("{cl-mig}", 8), src = port_of(kv, "{cl-mig}:old:0"), dst = -1;
    for (int p = base; p < base + 6 && dst < 0; p++) {
        sh(o, sizeof o, "redis-cli -p %d role", p);
        if (p != src && strcmp(o, "master") == 0)
            dst = p;
    }
    assert_true(src > 0 && dst > 0);
    sh(id_src, sizeof id_src, "redis-cli -p %d cluster myid", src);
    sh(id_dst, sizeof id_dst, "redis-cli -p %d cluster myid", dst);
    assert_int_equal(sh(o, sizeof o, "redis-cli -p %d cluster setslot %d importing %s", dst,
                        slot, id_src), 0);
    assert_int_equal(sh(o, sizeof o, "redis-cli -p %d cluster setslot %d migrating %s", src,
                        slot, id_dst), 0);
    /* A key the old owner does not have: ASK -> written on the target. */
    assert_int_equal(sf_kv_set(kv, "{cl-mig}:new", "{cl-mig}:new", "n", 1, 120000, &e), SF_OK);
    sh(o, sizeof o, "redis-cli -p %d cluster countkeysinslot %d", dst, slot);
    assert_int_equal(atoi(o), 1);
    /* A batch over the migrating slot: the old key is answered in the
     * source's pipeline, the new one (ASK there) is asked again alone. */
    sf_buf mb[2];
    sf_kv_getreq mq[2] = {{.shard_key = "{cl-mig}:old:5", .key = "{cl-mig}:old:5", .out = &mb[0]},
                          {.shard_key = "{cl-mig}:new", .key = "{cl-mig}:new", .out = &mb[1]}};
    sf_buf_init(&mb[0], 64), sf_buf_init(&mb[1], 64);
    assert_int_equal(sf_kv_get_many(kv, mq, 2, &e), SF_OK);
    assert_true(mq[0].found && mq[1].found);
    assert_memory_equal(mb[0].data, "{cl-mig}:old:5", 14);
    assert_memory_equal(mb[1].data, "n", 1);
    sf_buf_free(&mb[0]), sf_buf_free(&mb[1]);
    /* Old keys are still served by the source during the migration. */
    sf_buf b;
    sf_buf_init(&b, 1024);
    int found = 0;
    assert_int_equal(sf_kv_get(kv, "{cl-mig}:old:3", "{cl-mig}:old:3", &b, &found, &e), SF_OK);
    assert_int_equal(found, 1);
    /* Move the keys, then give the slot to dst (on every master). */
    assert_int_equal(sh(o, sizeof o,
                        "redis-cli -p %d --raw cluster getkeysinslot %d 100 | xargs redis-cli "
                        "-p %d migrate 127.0.0.1 %d '' 0 5000 keys",
                        src, slot, src, dst),
                     0);
    for (int p = base; p < base + 6; p++)
        sh(o, sizeof o, "redis-cli -p %d cluster setslot %d node %s", p, slot, id_dst);
    /* The client's map still says src: MOVED, followed, map refreshed. */
    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof k, "{cl-mig}:old:%d", i);
        sf_buf_reset(&b);
        found = 0;
        assert_int_equal(sf_kv_get(kv, k, k, &b, &found, &e), SF_OK);
        assert_int_equal(found, 1);
        assert_memory_equal(b.data, k, strlen(k));
    }
    assert_int_equal(port_of(kv, "{cl-mig}:old:0"), dst);
    sf_buf_free(&b);
    sf_kv_free(kv);
}

static void test_kv_cluster__failover_loses_nothing(void **state)
{
    (void)state;
    sf_kv *kv = client();
    sf_error e = SF_ERROR_INIT;
    char k[64], o[256];
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "cl-fo:%d", i);
        assert_int_equal(sf_kv_set(kv, k, k, k, strlen(k), 120000, &e), SF_OK);
    }
    int victim = port_of(kv, "cl-fo:0");
    /* Replication is asynchronous: wait until the victim's replica has
     * every write (its offset caught up) before the crash. A replica whose
     * first full sync has not run yet reports offset 0: give it up to 10 s
     * (the stack starts syncs at once; a cluster made elsewhere may wait
     * repl-diskless-sync-delay, 5 s by default). */
    long long m = -1, r = -2;
    for (int i = 0; i < 500 && m != r; i++) {
        if (i)
            nanosleep(&(struct timespec){0, 20 * 1000000L}, NULL);
        sh(o, sizeof o,
           "redis-cli -p %d info replication | tr -d '\\r' | sed -n "
           "'s/^master_repl_offset://p; s/^slave0:.*offset=\\([0-9]*\\).*/\\1/p' | tr '\\n' ' '",
           victim);
        if (sscanf(o, "%lld %lld", &r, &m) != 2)
            m = -1, r = -2;
    }
    assert_int_equal(m, r);
    assert_int_equal(t_extra_kill(&x, victim - base + 1), 0);
    uint64_t t0 = t_now_ms();
    int lost = 0;
    sf_buf b;
    sf_buf_init(&b, 1024);
    for (int i = 0; i < 200; i++) {
        snprintf(k, sizeof k, "cl-fo:%d", i);
        int found = 0;
        sf_buf_reset(&b);
        if (sf_kv_get(kv, k, k, &b, &found, &e) != SF_OK || !found) {
            fprintf(stderr, "%s: %s\n", k, found ? "" : e.msg);
            lost++;
        }
    }
    uint64_t ms = t_now_ms() - t0;
    printf("failover: 200 reads after killing the master on port %d took %llu ms\n", victim,
           (unsigned long long)ms);
    assert_int_equal(lost, 0);
    assert_int_not_equal(port_of(kv, "cl-fo:0"), victim);
    assert_int_equal(sf_kv_set(kv, "cl-fo:after", "cl-fo:after", "a", 1, 60000, &e), SF_OK);
    sf_buf_free(&b);
    sf_kv_free(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_cluster__keys_spread_cache_and_scripts),
        cmocka_unit_test(test_kv_cluster__race_one_analysis_per_layer),
        cmocka_unit_test(test_kv_cluster__ask_during_migration_then_moved),
        cmocka_unit_test(test_kv_cluster__failover_loses_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
