/*
 * Plan compaction (aggregator/agg_compact.c) changes no stored byte: the
 * same result sequence (new images, an unchanged rescan, a rescan with
 * findings and packages changed, a refs change, an older result arriving
 * late) applied under two key prefixes, one with SF_AGG_NO_COMPACT, leaves
 * the same keys with the same contents (run progress timestamps aside).
 * Nor does batching (aggregator/agg_batch.c): the sequence, with a refs
 * message in it, through sf_agg_apply_batch in batches of 1, 3 and all
 * at once leaves what one sf_agg_apply per message leaves, with the
 * Redis script cache flushed before each (EVALSHA falls back to EVAL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agg_dump.h"
#include "agg_fix.h"
#include "agg.h"
#include "base/buf.h"
#include "cache/keys.h"
#include "testutil.h"

static sf_kv *kv;
static char pa[64], pb[64], pc[64];

static int setup(void **state)
{
    (void)state;
    snprintf(pa, sizeof pa, "aggc-a-%d", (int)getpid());
    snprintf(pb, sizeof pb, "aggc-b-%d", (int)getpid());
    snprintf(pc, sizeof pc, "aggc-c-%d", (int)getpid());
    kv = sf_t_kv_open();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (kv) {
        sf_t_redis_del_prefix(pa);
        sf_t_redis_del_prefix(pb);
        sf_t_redis_del_prefix(pc);
    }
    sf_kv_free(kv);
    return 0;
}

static const struct {
    char dc;
    const char *run, *at, *refs, *vulns;
} SEQ[] = {
    {'a', "r1", "2026-02-01T00:00:00Z", "reg.io/app:1",
     "CVE-1:zlib:1.0:1.1:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-3:ssl:1:2:LOW"},
    {'b', "r1", "2026-02-01T00:00:00Z", "reg.io/db:1", "CVE-2:musl:1.1.22-r3:-:CRITICAL"},
    {'a', "r2", "2026-02-02T00:00:00Z", "reg.io/app:1",
     "CVE-1:zlib:1.0:1.1:HIGH;CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-3:ssl:1:2:LOW"},
    {'a', "r3", "2026-02-03T00:00:00Z", "reg.io/app:1;reg.io/app:latest",
     "CVE-2:musl:1.1.22-r3:-:CRITICAL;CVE-4:curl:7:8:MEDIUM"},
    /* a push run's result for b, then its redelivery with one more tag
     * (a duplicate whose refs join: agg.c's path, between batched
     * results), then a new image taking that tag: the ref map must end
     * with the later writer, as one at a time */
    {'b', "push-1", "2026-02-02T06:00:00Z", "reg.io/db:1", "CVE-2:musl:1.1.22-r3:-:CRITICAL"},
    {'b', "push-1", "2026-02-02T06:00:00Z", "reg.io/db:1;reg.io/app:9",
     "CVE-2:musl:1.1.22-r3:-:CRITICAL"},
    {'c', "r3", "2026-02-03T00:00:00Z", "reg.io/app:9", "CVE-4:curl:7:8:MEDIUM"},
    {'b', "r3", "2026-02-03T00:00:00Z", "other.io/db:2", ""},
    {'a', "r2", "2026-02-02T00:00:00Z", "reg.io/app:1", "CVE-1:zlib:1.0:1.1:HIGH"},
};

static sf_kv_reply *cmd(int argc, const char **argv)
{
    sf_kv_reply *r = NULL;
    assert_int_equal(sf_kv_argv(kv, pa, argc, argv, NULL, &r, NULL), SF_OK);
    return r;
}

#define NDOCS (sizeof SEQ / sizeof SEQ[0] + 1)

/* The sequence's documents: SEQ's results, and after the third a refs
 * message of run r2 moving image a to a new tag (a late refs update). */
static void make_docs(sf_buf *docs)
{
    size_t k = 0;
    for (size_t i = 0; i < sizeof SEQ / sizeof SEQ[0]; i++) {
        sf_buf_init(&docs[k], 0);
        fix_result(&docs[k++], SEQ[i].dc, SEQ[i].run, "db1", SEQ[i].at, SEQ[i].refs,
                   SEQ[i].vulns, NULL);
        if (i == 2) {
            sf_buf_init(&docs[k], 0);
            assert_int_equal(fix_refs_doc(&docs[k++], 'a', "r2", "db1", "reg.io/app:2",
                                          "2026-02-02T12:00:00.000Z"),
                             SF_OK);
        }
    }
}

/* Apply the documents under prefix: one sf_agg_apply each (batch 0) or
 * sf_agg_apply_batch over batch of them at a time. */
static void apply_all_by(const char *prefix, size_t batch)
{
    sf_agg *a = NULL;
    sf_buf docs[NDOCS];
    assert_int_equal(sf_agg_new(&a, kv, prefix, NULL), SF_OK);
    /* Fixed run ranks (the aggregator adds a run with NX at the wall
     * clock), so both prefixes store the same ranks. */
    char runs[SF_KEY_MAX];
    sf_keys_agg(runs, prefix, "runs", NULL);
    const char *zargv[] = {"ZADD", runs, "1000", "r1", "2000", "r2", "2500", "push-1",
                           "3000", "r3"};
    sf_kv_reply_free(cmd(10, zargv));
    make_docs(docs);
    for (size_t i = 0; i < NDOCS; i += batch ? batch : 1) {
        sf_error e = SF_ERROR_INIT;
        if (!batch) {
            int is_refs = 0;
            sf_agg_outcome oc;
            assert_int_equal(sf_agg_apply(a, docs[i].data, docs[i].len, &is_refs, &oc, &e),
                             SF_OK);
            continue;
        }
        sf_agg_msg m[NDOCS];
        size_t n = NDOCS - i < batch ? NDOCS - i : batch;
        for (size_t j = 0; j < n; j++)
            m[j].json = docs[i + j].data, m[j].len = docs[i + j].len;
        assert_int_equal(sf_agg_apply_batch(a, m, n, &e), SF_OK);
        for (size_t j = 0; j < n; j++)
            assert_int_equal(m[j].rc, SF_OK);
    }
    for (size_t i = 0; i < NDOCS; i++)
        sf_buf_free(&docs[i]);
    sf_agg_free(a);
}

static void apply_all(const char *prefix) { apply_all_by(prefix, 0); }

static void test_compact_same_state(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    unsetenv("SF_AGG_NO_COMPACT");
    apply_all(pa);
    setenv("SF_AGG_NO_COMPACT", "1", 1);
    apply_all(pb);
    unsetenv("SF_AGG_NO_COMPACT");
    sf_buf da, db;
    sf_buf_init(&da, 0);
    sf_buf_init(&db, 0);
    sf_t_agg_dump(kv, pa, &da);
    sf_t_agg_dump(kv, pb, &db);
    assert_true(da.len > 1000); /* the sequence did write a fleet view */
    if (!sf_t_agg_same_dumps(&da, &db, "agg_compact"))
        fail_msg("compacted plans left a different fleet view");
    sf_buf_free(&da);
    sf_buf_free(&db);
}

/* Batches of 1, 3 and all at once leave the one-at-a-time state. */
static void test_batch_same_state(void **state)
{
    (void)state;
    sf_t_need(SF_T_REDIS);
    unsetenv("SF_AGG_NO_COMPACT");
    sf_t_redis_del_prefix(pa);
    apply_all(pa);
    sf_buf da;
    sf_buf_init(&da, 0);
    sf_t_agg_dump(kv, pa, &da);
    assert_true(da.len > 1000);
    size_t sizes[] = {1, 3, NDOCS};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        /* scripts gone (a restart, SCRIPT FLUSH): EVALSHA's NOSCRIPT is
         * answered by an EVAL, nothing fails */
        const char *fl[] = {"SCRIPT", "FLUSH"};
        sf_kv_reply_free(cmd(2, fl));
        sf_t_redis_del_prefix(pc);
        apply_all_by(pc, sizes[s]);
        sf_buf dc;
        sf_buf_init(&dc, 0);
        sf_t_agg_dump(kv, pc, &dc);
        if (!sf_t_agg_same_dumps(&da, &dc, "agg_batch"))
            fail_msg("batches of %zu left a different fleet view", sizes[s]);
        sf_buf_free(&dc);
    }
    sf_buf_free(&da);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_compact_same_state),
                                       cmocka_unit_test(test_batch_same_state)};
    return cmocka_run_group_tests(tests, setup, teardown);
}
