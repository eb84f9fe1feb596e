/* Unit tests of common/cache without a Redis: key formats, the hash ring,
 * address parsing, and the layer cache's uncached fallback when Redis is
 * unreachable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/digest.h"
#include "cache/keys.h"
#include "cache/kv.h"
#include "cache/lcache.h"
#include "testutil.h"

#define D64 "0f71933e19cebdec0f71933e19cebdec0f71933e19cebdec0f71933e19cebdec"

static void test_cache_keys__formats(void **state)
{
    (void)state;
    char k[SF_KEY_MAX];
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_keys_layer(k, "scanfarm", "sha256:" D64, "a1.os1", &e), SF_OK);
    assert_string_equal(k, "scanfarm:layer:sha256:" D64 ":a1.os1");
    assert_int_equal(sf_keys_layer_diffid(k, "scanfarm", "sha256:" D64, "v2", &e), SF_OK);
    assert_string_equal(k, "scanfarm:layer-diffid:sha256:" D64 ":v2");
    assert_int_equal(sf_keys_layer_verified(k, "scanfarm", "sha256:" D64, &e), SF_OK);
    assert_string_equal(k, "scanfarm:layer-verified:sha256:" D64);
    assert_int_equal(sf_keys_lock_layer(k, "t:x", "sha256:" D64, &e), SF_OK);
    assert_string_equal(k, "t:x:lock:layer:sha256:" D64);
    assert_int_equal(sf_keys_image(k, "scanfarm", "sha256:" D64, &e), SF_OK);
    assert_string_equal(k, "scanfarm:image:sha256:" D64);
    assert_int_equal(sf_keys_attempts(k, "scanfarm", "sha256:" D64, "run-7", &e), SF_OK);
    assert_string_equal(k, "scanfarm:attempts:sha256:" D64 ":run-7");
}

static void test_cache_keys__rejects_injection(void **state)
{
    (void)state;
    char k[SF_KEY_MAX];
    sf_error e = SF_ERROR_INIT;
    /* Uppercase hex, a separator, a glob, a short digest, a bad prefix. */
    assert_int_not_equal(sf_keys_layer(k, "scanfarm", "sha256:" "0F71933E19CEBDEC0f71933e19cebdec"
                                                     "0f71933e19cebdec0f71933e19cebdec",
                                       "v", &e),
                         SF_OK);
    sf_error_clear(&e);
    assert_int_not_equal(sf_keys_layer(k, "scanfarm", "sha256:" D64, "v:1", &e), SF_OK);
    sf_error_clear(&e);
    assert_int_not_equal(sf_keys_attempts(k, "scanfarm", "sha256:" D64, "r*", &e), SF_OK);
    sf_error_clear(&e);
    assert_int_not_equal(sf_keys_image(k, "scanfarm", "sha256:abc", &e), SF_OK);
    sf_error_clear(&e);
    assert_int_not_equal(sf_keys_image(k, "scan farm", "sha256:" D64, &e), SF_OK);
    assert_string_equal(k, "");
}

/* Digests of real corpus blobs map to a node and stay there. */
static void test_cache_kv__ring_spreads_and_is_stable(void **state)
{
    (void)state;
    const char *nodes3[] = {"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6380"};
    const char *nodes4[] = {"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6380", "[::1]:7000"};
    sf_kv_opts o3 = {.nodes = nodes3, .nnodes = 3}, o4 = {.nodes = nodes4, .nnodes = 4};
    sf_kv *k3 = NULL, *k4 = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&k3, &o3, &e), SF_OK);
    assert_int_equal(sf_kv_new(&k4, &o4, &e), SF_OK);
    enum { N = 6000 };
    int count[3] = {0}, moved = 0, moved_elsewhere = 0;
    for (int i = 0; i < N; i++) {
        char s[32], d[SF_DIGEST_MAX];
        int n = snprintf(s, sizeof s, "layer-%d", i);
        sf_digest_sha256(s, (size_t)n, d);
        size_t a = sf_kv_shard(k3, d), b = sf_kv_shard(k4, d);
        assert_true(a < 3);
        assert_int_equal(a, sf_kv_shard(k3, d));
        count[a]++;
        if (a != b) {
            moved++;
            if (b != 3)
                moved_elsewhere++;
        }
    }
    /* Each node gets roughly a third; adding a fourth moves ~1/4 of the
     * keys, and only to the new node. */
    for (int i = 0; i < 3; i++)
        assert_true(count[i] > N / 3 * 7 / 10 && count[i] < N / 3 * 13 / 10);
    assert_true(moved > N / 4 * 6 / 10 && moved < N / 4 * 14 / 10);
    assert_int_equal(moved_elsewhere, 0);
    assert_string_equal(sf_kv_node_name(k4, 3), "[::1]:7000");
    sf_kv_free(k3);
    sf_kv_free(k4);
}

static void test_cache_kv__bad_addresses(void **state)
{
    (void)state;
    const char *bad[][2] = {{"host:0", NULL}, {"host:99999", NULL}, {"[::1", NULL},
                            {":6379", NULL},  {"h:6379x", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_kv_opts o = {.nodes = bad[i], .nnodes = 1};
        sf_kv *kv = NULL;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kv_new(&kv, &o, &e), SF_ECONFIG);
        assert_null(kv);
    }
    const char *dup[] = {"a:1", "a:1"};
    sf_kv_opts o = {.nodes = dup, .nnodes = 2};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &o, &e), SF_ECONFIG);
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* TLS and cluster settings that cannot work are refused at creation,
 * with the reason; a dead cluster seed fails within the bounded wait. */
static void test_cache_kv__tls_and_cluster_settings(void **state)
{
    (void)state;
    const char *tls[] = {"rediss://127.0.0.1:1"};
    const char *db[] = {"redis://127.0.0.1:1/2"};
    const char *plain[] = {"127.0.0.1:1"};
    struct {
        sf_kv_opts o;
        const char *want;
    } bad[] = {
        {{.nodes = tls, .nnodes = 1, .tls_ca_file = "/nonexistent/ca.pem"}, "cannot load CA"},
        {{.nodes = tls, .nnodes = 1, .tls_key_file = "/k.pem"}, "needs a certificate"},
        {{.nodes = tls, .nnodes = 1, .tls_cert_file = "/nonexistent/c.pem"}, "client certificate"},
        {{.nodes = plain, .nnodes = 1, .cluster = 1, .db = 1}, "database 0 only"},
        {{.nodes = db, .nnodes = 1, .cluster = 1}, "database 0 only"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_kv *kv = NULL;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_kv_new(&kv, &bad[i].o, &e), SF_ECONFIG);
        assert_null(kv);
        if (!strstr(e.msg, bad[i].want))
            fail_msg("case %zu: got '%s', want '%s'", i, e.msg, bad[i].want);
    }
    /* A TLS node with the system store is fine to create (no connection yet). */
    sf_kv_opts ok = {.nodes = tls, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &ok, &e), SF_OK);
    sf_kv_free(kv);
    /* Cluster seed where nothing listens: the command gives up after its
     * wait, as an outage (SF_EREDIS), not a hang. */
    sf_kv_opts cl = {.nodes = plain, .nnodes = 1, .cluster = 1, .cluster_wait_ms = 300,
                     .connect_timeout_ms = 100, .backoff_min_ms = 10, .backoff_max_ms = 20};
    assert_int_equal(sf_kv_new(&kv, &cl, &e), SF_OK);
    uint64_t t0 = mono_ms();
    int found = 1;
    sf_buf b;
    sf_buf_init(&b, 64);
    assert_int_equal(sf_kv_get(kv, "k", "k", &b, &found, &e), SF_EREDIS);
    assert_true(mono_ms() - t0 < 2000);
    assert_int_equal(found, 0);
    sf_buf_free(&b);
    sf_kv_free(kv);
    sf_keys_cluster_tags(0); /* this process' other tests format plain names */
}

/* In cluster mode every key of the fleet view carries the {agg} hash tag,
 * so the aggregator's scripts (which touch many of them at once) run in
 * one slot; the value-less index key once did not (CROSSSLOT). */
static void test_cache_keys__fleet_keys_share_one_slot_tag(void **state)
{
    (void)state;
    char k[SF_KEY_MAX];
    sf_error e = SF_ERROR_INIT;
    for (int on = 0; on <= 1; on++) {
        sf_keys_cluster_tags(on);
        const char *want = on ? "sf:{agg}:" : "sf:agg:";
        assert_int_equal(sf_keys_agg(k, "sf", "images", &e), SF_OK);
        assert_string_equal(k, on ? "sf:{agg}:images" : "sf:agg:images");
        assert_int_equal(sf_keys_agg_ix(k, "sf", "sev", NULL, &e), SF_OK);
        assert_string_equal(k, on ? "sf:{agg}:ix:sev" : "sf:agg:ix:sev");
        assert_int_equal(sf_keys_agg_ix(k, "sf", "sev", "HIGH", &e), SF_OK);
        assert_true(strncmp(k, want, strlen(want)) == 0);
        assert_int_equal(sf_keys_agg_cve(k, "sf", "CVE-2024-1", &e), SF_OK);
        assert_true(strncmp(k, want, strlen(want)) == 0);
        assert_int_equal(sf_keys_agg_pkg(k, "sf", "openssl", &e), SF_OK);
        assert_true(strncmp(k, want, strlen(want)) == 0);
        assert_int_equal(sf_keys_agg_run(k, "sf", "r1", "sum", &e), SF_OK);
        assert_true(strncmp(k, want, strlen(want)) == 0);
    }
    sf_keys_cluster_tags(0);
}

/* A trivial codec: the cache never looks inside the bytes. */
static int enc(const sf_inventory *inv, sf_buf *out)
{
    return sf_buf_printf(out, "%llu", (unsigned long long)inv->entries);
}
static int dec(sf_inventory **out, const void *data, size_t len, sf_error *err)
{
    *out = calloc(1, sizeof **out);
    (*out)->entries = strtoull(data, NULL, 10);
    return SF_OK;
}
static int calls;
static int analyse_cb(void *actx, sf_inventory **out, sf_error *err)
{
    calls++;
    *out = calloc(1, sizeof **out);
    (*out)->entries = 42;
    return SF_OK;
}

/* A cache over a Redis address where nothing listens (port 1). */
static sf_lcache *dead_cache(sf_kv **kv, sf_metrics **m, int unauthenticated)
{
    const char *nodes[] = {"127.0.0.1:1"};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1, .connect_timeout_ms = 200};
    sf_lcache *lc = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_metrics_new(m), SF_OK);
    assert_int_equal(sf_kv_new(kv, &ko, &e), SF_OK);
    sf_lcache_opts lo = {.kv = *kv, .analyzer_version = "t1", .encode = enc, .decode = dec,
                         .metrics = *m, .unauthenticated = unauthenticated};
    assert_int_equal(sf_lcache_new(&lc, &lo, &e), SF_OK);
    return lc;
}

/* Redis unreachable: every layer is analysed here, flagged "uncached",
 * and counted; the call itself succeeds. */
static void test_cache_lcache__redis_down_goes_uncached(void **state)
{
    (void)state;
    sf_kv *kv = NULL;
    sf_metrics *m = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_lcache *lc = dead_cache(&kv, &m, 1);
    for (int i = 0; i < 3; i++) {
        sf_inventory *inv = NULL;
        const char *st = NULL;
        assert_int_equal(sf_lcache_get(lc, "sha256:" D64, NULL, analyse_cb, NULL, &inv, &st, &e),
                         SF_OK);
        assert_string_equal(st, "uncached");
        assert_int_equal(inv->entries, 42);
        free(inv);
    }
    sf_lcache_stats s;
    sf_lcache_get_stats(lc, &s);
    assert_int_equal(calls, 3);
    assert_int_equal(s.uncached, 3);
    assert_true(s.redis_errors >= 3);
    assert_int_equal(sf_kv_node_up(kv, 0), 0);
    assert_true(sf_metric_value(sf_metrics_counter(m, "scanfarm_cache_layer_lookups_total", "",
                                                   "result"),
                                SF_LV("uncached")) == 3);
    sf_lcache_free(lc);
    sf_kv_free(kv);
    sf_metrics_free(m);
}

/* No secret and no explicit unauthenticated mode: the cache is off. Every
 * layer is analysed, Redis is never asked (so nothing in it is trusted),
 * the image shortcut finds nothing and stores nothing. */
static void test_cache_lcache__no_secret_means_cache_off(void **state)
{
    (void)state;
    sf_kv *kv = NULL;
    sf_metrics *m = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_lcache *lc = dead_cache(&kv, &m, 0);
    int before = calls;
    sf_inventory *inv = NULL;
    const char *st = NULL;
    assert_int_equal(sf_lcache_get(lc, "sha256:" D64, NULL, analyse_cb, NULL, &inv, &st, &e),
                     SF_OK);
    assert_string_equal(st, "uncached");
    free(inv);
    const char *res[] = {"{}"};
    assert_int_equal(sf_lcache_image_put(lc, "sha256:" D64, "db1", res, 1, &e), SF_OK);
    char **got = NULL;
    size_t n = 0;
    int found = 1;
    assert_int_equal(sf_lcache_image_get(lc, "sha256:" D64, "db1", &got, &n, &found, &e), SF_OK);
    assert_int_equal(found, 0);
    sf_lcache_stats s;
    sf_lcache_get_stats(lc, &s);
    assert_int_equal(calls - before, 1);
    assert_int_equal(s.redis_errors, 0);
    assert_int_equal(s.uncached, 1);
    sf_lcache_free(lc);
    sf_kv_free(kv);
    sf_metrics_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_keys__formats),
        cmocka_unit_test(test_cache_keys__rejects_injection),
        cmocka_unit_test(test_cache_kv__ring_spreads_and_is_stable),
        cmocka_unit_test(test_cache_kv__bad_addresses),
        cmocka_unit_test(test_cache_kv__tls_and_cluster_settings),
        cmocka_unit_test(test_cache_keys__fleet_keys_share_one_slot_tag),
        cmocka_unit_test(test_cache_lcache__redis_down_goes_uncached),
        cmocka_unit_test(test_cache_lcache__no_secret_means_cache_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
