/*
 * The aggregator's rules for scan on push (coordinator/events.h) on the
 * stack's Redis under a private prefix: refs of a push run add to a
 * digest's refs (they never replace an enumeration's tag list); refs of
 * an enumeration run no newer than them join them; a later enumeration
 * replaces them; a stale result of a push run still brings its tag; the
 * unref message removes a deleted tag, or every tag of a repository on a
 * deleted manifest, from `query image`; "latest run" is an enumeration.
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

#include "agg_fix.h"
#include "agg.h"
#include "bus/msg_refs.h"
#include "bus/msg_unref.h"
#include "cache/keys.h"
#include "fleet/report.h"
#include "testutil.h"
#include "worker_helpers.h"

static sf_kv *kv;
static sf_agg *agg;
static char prefix[64];

/* Every key of the test's prefix goes (worker_helpers.h). */
static void wipe(void) { wt_redis_del_prefix(prefix); }

static int setup(void **state)
{
    (void)state;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    snprintf(prefix, sizeof prefix, "aggpush-%d", (int)getpid());
    if (sf_kv_new(&kv, &o, NULL) != SF_OK || sf_kv_ping(kv, 0, NULL) != SF_OK)
        return -1;
    return sf_agg_new(&agg, kv, prefix, NULL) == SF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wipe();
    sf_agg_free(agg);
    sf_kv_free(kv);
    return 0;
}

static sf_agg_outcome result(char dc, const char *run, const char *at, const char *refs)
{
    sf_buf b;
    sf_error e = SF_ERROR_INIT;
    sf_agg_outcome oc = SF_AGG_NOVIEW;
    sf_buf_init(&b, 0);
    fix_result(&b, dc, run, "db1", at, refs, "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:HIGH",
               NULL);
    assert_int_equal(sf_agg_apply_result(agg, b.data, b.len, &oc, &e), SF_OK);
    sf_buf_free(&b);
    return oc;
}

static sf_agg_outcome refs_msg(char dc, const char *run, char **refs, size_t n)
{
    char d[72], *json = NULL;
    size_t len = 0;
    int is_refs = 0;
    sf_agg_outcome oc = SF_AGG_NOVIEW;
    char *images[] = {(char *)fix_digest(dc, d)};
    sf_refs_msg m = {.run_id = (char *)run, .digest = d, .images = images, .nimages = 1,
                     .refs = refs, .nrefs = n, .db_version = "db1",
                     .produced_at = "2026-03-01T00:00:00.000Z"};
    assert_int_equal(sf_refs_encode(&m, &json, &len, NULL), SF_OK);
    sf_error e = SF_ERROR_INIT;
    if (sf_agg_apply(agg, json, len, &is_refs, &oc, &e) != SF_OK)
        fail_msg("refs for %c: %s", dc, e.msg);
    assert_int_equal(is_refs, 1);
    free(json);
    return oc;
}

static sf_agg_outcome unref(const char *repo, const char *digest, const char *tag)
{
    char *json = NULL;
    size_t len = 0;
    int is_refs = 0;
    sf_agg_outcome oc = SF_AGG_NOVIEW;
    sf_unref_msg m = {.registry = "reg.io", .repository = (char *)repo, .digest = (char *)digest,
                      .tag = (char *)tag, .produced_at = "2026-03-01T00:00:00.000Z"};
    assert_int_equal(sf_unref_encode(&m, &json, &len, NULL), SF_OK);
    assert_int_equal(sf_agg_apply(agg, json, len, &is_refs, &oc, NULL), SF_OK);
    assert_int_equal(is_refs, 2);
    free(json);
    return oc;
}

static int found(const char *ref)
{
    sf_buf q;
    sf_buf_init(&q, 0);
    int rc = sf_query_image(kv, prefix, ref, &q, NULL);
    sf_buf_free(&q);
    return rc == SF_OK;
}

static void test_agg_push__refs_add_up(void **state)
{
    (void)state;
    wipe();
    /* An enumeration run lists two tags of digest a. */
    assert_int_equal(result('a', "run-1", "2026-03-01T00:00:00Z", "reg.io/x:1;reg.io/x:2"),
                     SF_AGG_APPLIED);
    usleep(5000); /* run ranks are first-seen milliseconds */
    /* A push of a third tag (current result: a refs message) adds it. */
    char *r3[] = {"reg.io/x:3"};
    assert_int_equal(refs_msg('a', "push-20260301T00", r3, 1), SF_AGG_APPLIED);
    assert_true(found("reg.io/x:1") && found("reg.io/x:2") && found("reg.io/x:3"));
    assert_int_equal(refs_msg('a', "push-20260301T00", r3, 1), SF_AGG_DUPLICATE);
    /* A redelivered result of the older enumeration keeps the pushed tag,
     * and a late ref of that run joins. */
    assert_int_equal(result('a', "run-1", "2026-03-01T00:00:00Z", "reg.io/x:1;reg.io/x:2"),
                     SF_AGG_DUPLICATE);
    assert_true(found("reg.io/x:3"));
    char *r4[] = {"reg.io/x:4"};
    assert_int_equal(refs_msg('a', "run-1", r4, 1), SF_AGG_APPLIED);
    assert_true(found("reg.io/x:3") && found("reg.io/x:4"));
    /* A push of digest b (new) under a tag, then a stale push-run result
     * of it with another tag (the worker's answer to a redelivered event)
     * still brings its tag. */
    usleep(5000);
    assert_int_equal(result('b', "push-20260301T01", "2026-03-01T01:00:00Z", "reg.io/y:1"),
                     SF_AGG_APPLIED);
    assert_int_equal(result('b', "push-20260301T00", "2026-03-01T00:30:00Z", "reg.io/y:2"),
                     SF_AGG_STALE);
    assert_true(found("reg.io/y:1") && found("reg.io/y:2"));
    /* A new enumeration is the full list again: tags it did not see go. */
    usleep(5000);
    assert_int_equal(result('a', "run-2", "2026-03-02T00:00:00Z", "reg.io/x:1"),
                     SF_AGG_APPLIED);
    assert_true(found("reg.io/x:1"));
    assert_false(found("reg.io/x:2") || found("reg.io/x:3") || found("reg.io/x:4"));
    char latest[128];
    assert_int_equal(sf_agg_latest_run(kv, prefix, latest, sizeof latest, NULL), SF_OK);
    assert_string_equal(latest, "run-2"); /* not a push run */
}

static void test_agg_push__deletes(void **state)
{
    (void)state;
    char d[72];
    wipe();
    assert_int_equal(result('c', "run-1", "2026-03-01T00:00:00Z",
                            "reg.io/z:1;reg.io/z:2;reg.io/w:1"),
                     SF_AGG_APPLIED);
    /* A tag delete removes exactly that tag. */
    assert_int_equal(unref("z", NULL, "1"), SF_AGG_APPLIED);
    assert_false(found("reg.io/z:1"));
    assert_true(found("reg.io/z:2") && found("reg.io/w:1"));
    assert_int_equal(unref("z", NULL, "1"), SF_AGG_NOVIEW); /* redelivered: nothing left */
    /* A manifest delete removes every tag of that repository on it. */
    assert_int_equal(unref("z", fix_digest('c', d), NULL), SF_AGG_APPLIED);
    assert_false(found("reg.io/z:2"));
    assert_true(found("reg.io/w:1"));
    assert_int_equal(unref("z", fix_digest('c', d), NULL), SF_AGG_DUPLICATE);
    assert_int_equal(unref("q", fix_digest('e', d), NULL), SF_AGG_NOVIEW);
}

/* Refs of a run that reach the aggregator before the digest's result (the
 * coordinator publishes while it enumerates, so a digest met again in a
 * later repository sends its refs before the job is done) wait for it. */
static void test_agg_push__refs_before_result_wait(void **state)
{
    (void)state;
    wipe();
    char *r2[] = {"reg.io/z:2"}, *r3[] = {"reg.io/w:3"};
    assert_int_equal(refs_msg('c', "run-5", r2, 1), SF_AGG_NOVIEW);
    assert_int_equal(refs_msg('c', "run-5", r3, 1), SF_AGG_NOVIEW);
    assert_false(found("reg.io/z:2"));
    assert_int_equal(result('c', "run-5", "2026-03-05T00:00:00Z", "reg.io/z:1"),
                     SF_AGG_APPLIED);
    assert_true(found("reg.io/z:1") && found("reg.io/z:2") && found("reg.io/w:3"));
    /* Taken once: the next run's result does not bring them back. */
    usleep(5000);
    assert_int_equal(result('c', "run-6", "2026-03-06T00:00:00Z", "reg.io/z:1"),
                     SF_AGG_APPLIED);
    assert_true(found("reg.io/z:1"));
    assert_false(found("reg.io/z:2") || found("reg.io/w:3"));
    /* Pending refs of an older run do not undo a newer run's list. */
    char *r9[] = {"reg.io/z:9"};
    assert_int_equal(refs_msg('d', "run-5", r9, 1), SF_AGG_NOVIEW);
    assert_int_equal(result('d', "run-6", "2026-03-06T00:00:00Z", "reg.io/v:1"),
                     SF_AGG_APPLIED);
    assert_true(found("reg.io/v:1"));
    assert_false(found("reg.io/z:9"));
    /* The batched path (two results planned together) takes them too. */
    char *r8[] = {"reg.io/u:8"};
    assert_int_equal(refs_msg('e', "run-6", r8, 1), SF_AGG_NOVIEW);
    sf_buf b1, b2;
    sf_buf_init(&b1, 0), sf_buf_init(&b2, 0);
    fix_result(&b1, 'e', "run-6", "db1", "2026-03-06T00:00:00Z", "reg.io/u:1",
               "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:HIGH", NULL);
    fix_result(&b2, 'f', "run-6", "db1", "2026-03-06T00:00:00Z", "reg.io/t:1",
               "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:HIGH", NULL);
    sf_agg_msg ms[2] = {{.json = b1.data, .len = b1.len}, {.json = b2.data, .len = b2.len}};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_agg_apply_batch(agg, ms, 2, &e), SF_OK);
    assert_int_equal(ms[0].outcome, SF_AGG_APPLIED);
    assert_true(found("reg.io/u:1") && found("reg.io/u:8") && found("reg.io/t:1"));
    sf_buf_free(&b1), sf_buf_free(&b2);
}

/* Pending refs expire: a digest whose result never comes must not keep
 * its entry for ever. With a 50 ms expiry, refs kept for image 7 are dropped
 * by the next pending write (for image 8), so 7's late result gets only its
 * own refs, while 8's, still fresh, are applied when its result lands. */
static void test_agg_push__pending_refs_expire(void **state)
{
    (void)state;
    wipe();
    sf_agg *keep = agg;
    setenv("SF_AGG_PENDING_TTL_MS", "50", 1);
    assert_int_equal(sf_agg_new(&agg, kv, prefix, NULL), SF_OK);
    unsetenv("SF_AGG_PENDING_TTL_MS");
    char *r7[] = {"reg.io/s:7"}, *r8[] = {"reg.io/s:8"};
    assert_int_equal(refs_msg('7', "run-7", r7, 1), SF_AGG_NOVIEW);
    usleep(120 * 1000);
    assert_int_equal(refs_msg('8', "run-7", r8, 1), SF_AGG_NOVIEW);
    assert_int_equal(result('7', "run-7", "2026-03-07T00:00:00Z", "reg.io/g:1"),
                     SF_AGG_APPLIED);
    assert_int_equal(result('8', "run-7", "2026-03-07T00:00:00Z", "reg.io/h:1"),
                     SF_AGG_APPLIED);
    assert_true(found("reg.io/g:1") && found("reg.io/h:1"));
    assert_false(found("reg.io/s:7")); /* expired before its result came */
    assert_true(found("reg.io/s:8"));
    sf_agg_free(agg);
    agg = keep;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_push__refs_add_up),
        cmocka_unit_test(test_agg_push__deletes),
        cmocka_unit_test(test_agg_push__refs_before_result_wait),
        cmocka_unit_test(test_agg_push__pending_refs_expire),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
