/*
 * Unit tests of coordinator/schedule.c: the skip-current decision on the
 * worker's whole-image cache entry (current / stale DB version / other
 * platforms / other analyzer / absent / malformed / Redis error), and
 * that a Redis that cannot be reached means "publish".
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include <cmocka.h>

#include "cache/kv.h"
#include "schedule.h"

#define AVER "analyzers-test-1"
#define DBV "20261128T000000Z-0123456789ab"

/* An entry exactly as sf_lcache_image_put lays it out. */
static void *entry(const char *schema, const char *dbv, const char *aver, size_t nresults,
                   size_t *zn)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < nresults; i++)
        json_array_append_new(arr, json_string("{\"schema\":\"scanfarm.result/v1\"}"));
    json_t *doc = json_pack("{s:s,s:s,s:s,s:o}", "schema", schema, "db_version", dbv,
                            "analyzer_version", aver, "results", arr);
    char *text = json_dumps(doc, JSON_COMPACT);
    size_t len = strlen(text), cap = ZSTD_compressBound(len);
    void *z = malloc(cap);
    *zn = ZSTD_compress(z, cap, text, len, 3);
    assert_false(ZSTD_isError(*zn));
    free(text);
    json_decref(doc);
    return z;
}

static sf_sched_verdict decide_entry(const char *dbv, const char *aver, size_t nres,
                                     const char *want)
{
    size_t zn;
    void *z = entry("scanfarm.image/v1", dbv, aver, nres, &zn);
    sf_error e = SF_ERROR_INIT;
    sf_sched_verdict v = sf_sched_decide(SF_OK, 1, z, zn, want, AVER, &e);
    free(z);
    return v;
}

static void test_sched_decide__current_entry_skips(void **state)
{
    (void)state;
    assert_int_equal(decide_entry(DBV "|", AVER, 1, DBV "|"), SF_SCHED_SKIP_CURRENT);
    assert_int_equal(decide_entry(DBV "|linux/amd64,linux/arm64", AVER, 2,
                                  DBV "|linux/amd64,linux/arm64"),
                     SF_SCHED_SKIP_CURRENT);
}

static void test_sched_decide__stale_db_version_publishes(void **state)
{
    (void)state;
    assert_int_equal(decide_entry("20250101T000000Z-ffffffffffff|", AVER, 1, DBV "|"),
                     SF_SCHED_PUBLISH_STALE);
    /* A version that only shares a prefix is another version. */
    assert_int_equal(decide_entry(DBV "|", AVER, 1, DBV "x|"), SF_SCHED_PUBLISH_STALE);
}

static void test_sched_decide__other_platforms_or_analyzer_publishes(void **state)
{
    (void)state;
    assert_int_equal(decide_entry(DBV "|linux/amd64", AVER, 1, DBV "|"), SF_SCHED_PUBLISH_STALE);
    assert_int_equal(decide_entry(DBV "|", "analyzers-test-0", 1, DBV "|"),
                     SF_SCHED_PUBLISH_STALE);
    /* No result: the worker would scan, so must we. */
    assert_int_equal(decide_entry(DBV "|", AVER, 0, DBV "|"), SF_SCHED_PUBLISH_STALE);
    /* No current DB known: never skip. */
    assert_int_equal(decide_entry(DBV "|", AVER, 1, NULL), SF_SCHED_PUBLISH_STALE);
}

static void test_sched_decide__absent_publishes(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_sched_decide(SF_OK, 0, NULL, 0, DBV "|", AVER, &e),
                     SF_SCHED_PUBLISH_ABSENT);
}

static void test_sched_decide__redis_error_publishes(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    size_t zn;
    void *z = entry("scanfarm.image/v1", DBV "|", AVER, 1, &zn);
    /* Even with a current-looking value: an error is doubt. */
    assert_int_equal(sf_sched_decide(SF_EREDIS, 1, z, zn, DBV "|", AVER, &e),
                     SF_SCHED_PUBLISH_ERROR);
    assert_int_equal(e.code, SF_EREDIS);
    free(z);
}

static void test_sched_decide__malformed_entry_publishes(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    const char junk[] = "not zstd at all";
    assert_int_equal(sf_sched_decide(SF_OK, 1, junk, sizeof junk, DBV "|", AVER, &e),
                     SF_SCHED_PUBLISH_ERROR);
    size_t zn;
    void *z = entry("scanfarm.other/v9", DBV "|", AVER, 1, &zn);
    assert_int_equal(sf_sched_decide(SF_OK, 1, z, zn, DBV "|", AVER, NULL),
                     SF_SCHED_PUBLISH_ERROR);
    /* Truncated frame. */
    free(z);
    z = entry("scanfarm.image/v1", DBV "|", AVER, 3, &zn);
    assert_int_equal(sf_sched_decide(SF_OK, 1, z, zn / 2, DBV "|", AVER, NULL),
                     SF_SCHED_PUBLISH_ERROR);
    free(z);
}

/* An entry whose results are the given documents. */
static void *entry_of(const char *const *docs, size_t n, size_t *zn)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(docs[i]));
    json_t *doc = json_pack("{s:s,s:s,s:s,s:o}", "schema", "scanfarm.image/v1", "db_version",
                            DBV "|", "analyzer_version", AVER, "results", arr);
    char *text = json_dumps(doc, JSON_COMPACT);
    size_t len = strlen(text), cap = ZSTD_compressBound(len);
    void *z = malloc(cap);
    *zn = ZSTD_compress(z, cap, text, len, 3);
    free(text);
    json_decref(doc);
    return z;
}

#define JD "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define P1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define P2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static sf_sched_verdict decide_docs(const char *const *docs, size_t n, sf_sched_images *im)
{
    size_t zn;
    void *z = entry_of(docs, n, &zn);
    sf_sched_verdict v =
        sf_sched_decide_images(SF_OK, 1, z, zn, DBV "|", AVER, JD, im, NULL);
    free(z);
    return v;
}

/* The refs message needs the digests of the cached results: a manifest's
 * own, an index's platform manifests; a result naming no digest of this
 * job means publish. */
static void test_sched_decide__images_of_a_current_entry(void **state)
{
    (void)state;
    sf_sched_images im = {0};
    const char *own[] = {"{\"digest\":\"" JD "\"}"};
    assert_int_equal(decide_docs(own, 1, &im), SF_SCHED_SKIP_CURRENT);
    assert_int_equal(im.n, 1);
    assert_string_equal(im.v[0], JD);
    sf_sched_images_clear(&im);
    const char *idx[] = {"{\"digest\":\"" P1 "\",\"index_digest\":\"" JD "\"}",
                         "{\"digest\":\"" P2 "\",\"index_digest\":\"" JD "\"}"};
    assert_int_equal(decide_docs(idx, 2, &im), SF_SCHED_SKIP_CURRENT);
    assert_int_equal(im.n, 2);
    assert_string_equal(im.v[1], P2);
    sf_sched_images_clear(&im);
    const char *other[] = {"{\"digest\":\"" P1 "\"}"};
    assert_int_equal(decide_docs(other, 1, &im), SF_SCHED_PUBLISH_STALE);
    assert_int_equal(im.n, 0);
    const char *nodigest[] = {"{\"digest\":\"" JD "\"}", "{\"schema\":\"scanfarm.result/v1\"}"};
    assert_int_equal(decide_docs(nodigest, 2, &im), SF_SCHED_PUBLISH_STALE);
    assert_int_equal(im.n, 0);
    assert_null(im.v);
    const char *notjson[] = {"{"};
    assert_int_equal(decide_docs(notjson, 1, NULL), SF_SCHED_PUBLISH_STALE);
}

static void test_sched_version__formats_like_the_worker(void **state)
{
    (void)state;
    char out[64];
    char *pl[] = {"linux/amd64", "linux/arm64/v8"};
    assert_int_equal(sf_sched_version(out, sizeof out, "v1", NULL, 0), SF_OK);
    assert_string_equal(out, "v1|");
    assert_int_equal(sf_sched_version(out, sizeof out, "v1", pl, 2), SF_OK);
    assert_string_equal(out, "v1|linux/amd64,linux/arm64/v8");
    assert_int_equal(sf_sched_version(out, 12, "v1", pl, 2), SF_ELIMIT);
}

/* A client of a Redis where nothing listens (port 1 on loopback: the
 * connect is refused), and a scheduler over it (so: its options). */
static sf_kv *unreachable_kv(void)
{
    const char *nodes[] = {"127.0.0.1:1"};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1, .connect_timeout_ms = 200,
                     .command_timeout_ms = 200};
    sf_kv *kv = NULL;
    assert_int_equal(sf_kv_new(&kv, &ko, NULL), SF_OK);
    return kv;
}

static sf_sched *unreachable_sched(sf_kv *kv, sf_sched_opts *so)
{
    sf_sched *s = NULL;
    *so = (sf_sched_opts){.kv = kv, .prefix = "sched-ut", .db_version = DBV,
                          .unauthenticated = 1};
    assert_int_equal(sf_sched_new(&s, so, NULL), SF_OK);
    return s;
}

static void test_sched_check__unreachable_redis_publishes(void **state)
{
    (void)state;
    sf_kv *kv = unreachable_kv();
    sf_sched_opts so;
    sf_sched *s = unreachable_sched(kv, &so);
    sf_error e = SF_ERROR_INIT;
    const char *d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(sf_sched_check(s, d, NULL, 0, &e), SF_SCHED_PUBLISH_ERROR);
    assert_int_equal(e.code, SF_EREDIS);
    /* A bad digest is doubt too, never a skip. */
    sf_error_clear(&e);
    assert_int_equal(sf_sched_check(s, "sha256:zz", NULL, 0, &e), SF_SCHED_PUBLISH_ERROR);
    sf_error_clear(&e);
    assert_int_not_equal(sf_sched_record_published(s, "run-1", 3, &e), SF_OK);
    sf_sched_free(s);
    /* Without a DB version nothing is ever current (and Redis is not asked). */
    so.db_version = NULL;
    assert_int_equal(sf_sched_new(&s, &so, &e), SF_OK);
    assert_int_equal(sf_sched_check(s, d, NULL, 0, NULL), SF_SCHED_PUBLISH_STALE);
    sf_sched_free(s);
    so.prefix = "bad prefix";
    assert_int_not_equal(sf_sched_new(&s, &so, &e), SF_OK);
    assert_null(s);
    sf_kv_free(kv);
}

static void test_sched_check_many__unreachable_redis_publishes_each(void **state)
{
    (void)state;
    sf_kv *kv = unreachable_kv();
    sf_sched_opts so;
    sf_sched *s = unreachable_sched(kv, &so);
    sf_error e = SF_ERROR_INIT;
    /* More than one batch, a bad digest among them: each its own doubt. */
    enum { N = SF_SCHED_BATCH + 5 };
    sf_sched_item it[N];
    for (int i = 0; i < N; i++)
        it[i] = (sf_sched_item){
            .digest = i == 7 ? "sha256:zz"
                             : "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"};
    sf_sched_check_many(s, it, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(it[i].verdict, SF_SCHED_PUBLISH_ERROR);
        assert_int_not_equal(it[i].err.code, SF_OK);
        assert_int_equal(it[i].images.n, 0);
    }
    assert_int_equal(it[0].err.code, SF_EREDIS);
    assert_int_not_equal(it[7].err.code, SF_EREDIS); /* never asked: not a key */
    sf_sched_check_many(s, it, 0);
    sf_sched_free(s);
    /* Without a DB version nothing is current and Redis is not asked. */
    so.db_version = NULL;
    assert_int_equal(sf_sched_new(&s, &so, &e), SF_OK);
    sf_sched_check_many(s, it, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(it[i].verdict, SF_SCHED_PUBLISH_STALE);
    sf_sched_free(s);
    sf_kv_free(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_decide__current_entry_skips),
        cmocka_unit_test(test_sched_decide__stale_db_version_publishes),
        cmocka_unit_test(test_sched_decide__other_platforms_or_analyzer_publishes),
        cmocka_unit_test(test_sched_decide__absent_publishes),
        cmocka_unit_test(test_sched_decide__redis_error_publishes),
        cmocka_unit_test(test_sched_decide__malformed_entry_publishes),
        cmocka_unit_test(test_sched_decide__images_of_a_current_entry),
        cmocka_unit_test(test_sched_version__formats_like_the_worker),
        cmocka_unit_test(test_sched_check__unreachable_redis_publishes),
        cmocka_unit_test(test_sched_check_many__unreachable_redis_publishes_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
