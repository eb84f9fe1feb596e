/*
 * Integration test of the coordinator's refs messages (coordinator/
 * enumerate.c skip_current/publish_refs, bus/msg_refs.h) end to end on the
 * real stack: registry, Kafka and Redis at sf_t_registry/kafka/redis(),
 * scanfarm-coordinator and `scanfarm aggregate`. No worker: what the
 * scheduler and the aggregator read is seeded exactly as a worker writes
 * it (the whole-image entry by sf_lcache_image_put, sealed with the farm
 * secret; the result on the results topic), so the test takes seconds.
 * Names are "crefs-it-<pid>" (repository, topics, key prefix, run ids).
 *
 *  1. corpus/alpine:3.10.3 is tagged <name>/app:v1 (D1); D1's entry and
 *     run 1's result for it are seeded: the aggregator maps app:v1 to D1.
 *  2. app:v2 is PUT on the same manifest. Run 2 (--redis): no job is
 *     published, D1 is skipped as current with one refs message, and the
 *     aggregator's fleet view (agg:refs, the view's refs) gains app:v2.
 *  3. app:v1 is moved to another digest (a label: D2, never scanned).
 *     Run 3: D2's job is published, D1 skipped with refs [v2]: app:v1 is
 *     dropped from D1 (agg:refs no longer maps it there, the view lists
 *     v2 only).
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
#include "coord_fix.h"
#include "analyze/analyzer.h"
#include "analyze/inventory.h"
#include "base/buf.h"
#include "bus/kprod.h"
#include "cache/cmac.h"
#include "cache/keys.h"
#include "cache/kv.h"
#include "cache/lcache.h"
#include "fleet/agg_view.h"
#include "testutil.h"
#include "worker_helpers.h"

/* The farm secret the coordinator gets (environment) and the seeded entry
 * is sealed with, as a worker seals it. */
#define FARM_SECRET "coord-refs-farm-cache-secret"

static sf_t_scratch S; /* name, folder, DB path, topics; one cleanup */
static char g_cfg[224], g_bin[512], g_dbver[128];
static char g_repo[160];
static char g_d1[100], g_d2[100], g_ref1[200], g_ref2[200];
static sf_kv *g_kv;

static int setup(void **state)
{
    (void)state;
    char dst[200];
    const char *b = getenv("SF_BIN");
    snprintf(g_bin, sizeof g_bin, "%s", b ? b : "./build/bin");
    setenv("SCANFARM_CACHE_SECRET", FARM_SECRET, 1); /* for the coordinators */
    if (sf_t_stack_setup(SF_T_STACK) != 0 || sf_t_scratch_open(&S, "crefs-it") != 0)
        return -1;
    snprintf(g_repo, sizeof g_repo, "%s/app", S.name);
    snprintf(g_ref1, sizeof g_ref1, "%s/%s:v1", sf_t_registry(), g_repo);
    snprintf(g_ref2, sizeof g_ref2, "%s/%s:v2", sf_t_registry(), g_repo);
    if (sf_t_coord_config(g_cfg, sizeof g_cfg, &S, g_repo) != 0)
        return -1;
    snprintf(dst, sizeof dst, "%s:v1", g_repo);
    if (sf_t_build_db(S.db, g_dbver, sizeof g_dbver) != SF_OK ||
        sf_t_regtag("", "corpus/alpine:3.10.3", dst, g_d1, sizeof g_d1) != 0)
        return -1;
    if (!(g_kv = sf_t_kv_open()) || sf_t_scratch_topics(&S, 1) != 0)
        return -1;
    char alog[256], sbin[600], agroup[96];
    snprintf(alog, sizeof alog, "%s/agg.log", S.dir);
    snprintf(sbin, sizeof sbin, "%s/scanfarm", g_bin);
    snprintf(agroup, sizeof agroup, "%s-a", S.name);
    char *aargv[] = {sbin, "aggregate", "--kafka", (char *)sf_t_kafka(), "--redis",
                     (char *)sf_t_redis(), "--prefix", S.name, "--group", agroup,
                     "--results-topic", S.results, "--dlq-topic", S.dlq, NULL};
    return wt_spawn(aargv, alog) > 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sf_kv_free(g_kv);
    sf_t_scratch_close(&S); /* the aggregator, topics, keys, folder */
    return 0;
}

static int inv_encode(const sf_inventory *inv, sf_buf *out) { return sf_inventory_encode(inv, out); }

/* What a worker leaves after scanning D1 in run 1: the whole-image entry
 * (version "<db>|", a job without platforms) and the result on the
 * results topic. */
static void seed_scan_of_d1(void)
{
    sf_lcache *lc = NULL;
    sf_cmac *mac = NULL;
    sf_kprod *prod = NULL;
    sf_buf doc;
    sf_error e = SF_ERROR_INIT;
    char run[96], ver[200];
    snprintf(run, sizeof run, "%s-1", S.name);
    snprintf(ver, sizeof ver, "%s|", g_dbver);
    sf_buf_init(&doc, 0);
    fix_result_of(&doc, g_d1, run, g_dbver, "2026-01-01T00:00:00.000Z", g_ref1,
                  "CVE-2019-14697:musl:1.1.22-r2:1.1.22-r3:CRITICAL", NULL);
    const char *res[] = {(const char *)doc.data};
    assert_int_equal(sf_cmac_new(&mac, FARM_SECRET, strlen(FARM_SECRET), &e), SF_OK);
    sf_lcache_opts lo = {.kv = g_kv, .prefix = S.name, .analyzer_version = sf_analyzers_version(),
                         .encode = inv_encode, .decode = sf_inventory_decode,
                         .ttl_ms = 600000, .mac = mac};
    assert_int_equal(sf_lcache_new(&lc, &lo, &e), SF_OK);
    assert_int_equal(sf_lcache_image_put(lc, g_d1, ver, res, 1, &e), SF_OK);
    sf_lcache_free(lc);
    sf_cmac_free(mac);
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&prod, &po, &e), SF_OK);
    assert_int_equal(sf_kprod_produce(prod, S.results, g_d1, strlen(g_d1), doc.data, doc.len,
                                      NULL, &e), SF_OK);
    assert_int_equal(sf_kprod_flush(prod, 15000, &e), SF_OK);
    sf_kprod_free(prod);
    sf_buf_free(&doc);
}

/* HGET on the aggregator's hash name; malloc'd or NULL. */
static char *agg_hget(const char *name, const char *field)
{
    return sf_t_agg_hget(g_kv, S.name, name, field);
}

/* 1 when agg:refs maps ref to digest (digest NULL: maps it nowhere). */
static int ref_is(const char *ref, const char *digest)
{
    char *d = agg_hget("refs", ref);
    int ok = digest ? d && strcmp(d, digest) == 0 : d == NULL;
    free(d);
    return ok;
}

/* Wait (up to 30 s) until ref_is(ref, digest). */
static int wait_ref(const char *ref, const char *digest)
{
    for (int i = 0; i < 150; i++) {
        if (ref_is(ref, digest))
            return 0;
        usleep(200000);
    }
    fprintf(stderr, "agg:refs %s never mapped to %s\n", ref, digest ? digest : "nothing");
    return -1;
}

/* D1's view holds exactly the refs given (NULL-terminated). */
static void view_refs_are(const char *const *want)
{
    char *j = agg_hget("views", g_d1);
    sf_agg_view *v = NULL;
    size_t nw = 0;
    assert_non_null(j);
    assert_int_equal(sf_agg_view_parse(j, strlen(j), &v, NULL), SF_OK);
    free(j);
    while (want[nw])
        nw++;
    assert_int_equal(v->nrefs, nw);
    for (size_t k = 0; k < nw; k++) {
        int has = 0;
        for (size_t i = 0; i < v->nrefs; i++)
            has |= strcmp(v->refs[i], want[k]) == 0;
        assert_true(has);
    }
    sf_agg_view_free(v);
}

static void test_coord_refs__new_tag_reported_removed_tag_dropped(void **state)
{
    (void)state;
    char dst[200], d[100];
    seed_scan_of_d1();
    assert_int_equal(wait_ref(g_ref1, g_d1), 0);

    /* Run 2: a new tag on the current digest D1: no job, one refs message. */
    snprintf(dst, sizeof dst, "%s:v2", g_repo);
    assert_int_equal(sf_t_regtag("", "corpus/alpine:3.10.3", dst, d, sizeof d), 0);
    assert_string_equal(d, g_d1);
    sf_t_coord_sum s2 = sf_t_coordinator(&S, g_cfg, 2);
    assert_int_equal(s2.status, 0);
    assert_int_equal(s2.jobs, 0);
    assert_int_equal(s2.delivered, 0);
    assert_int_equal(s2.skipped, 1);
    assert_int_equal(s2.check_errors, 0);
    assert_int_equal(s2.refs_delivered, 1);
    assert_int_equal(wait_ref(g_ref2, g_d1), 0);
    assert_true(ref_is(g_ref1, g_d1));
    const char *both[] = {g_ref1, g_ref2, NULL};
    view_refs_are(both);

    /* Run 3: v1 moves to a new digest D2; D1 keeps v2 only. */
    snprintf(dst, sizeof dst, "%s:v1", g_repo);
    assert_int_equal(sf_t_regtag("--label crefs=moved", "corpus/alpine:3.10.3", dst, g_d2,
                            sizeof g_d2), 0);
    assert_string_not_equal(g_d2, g_d1);
    sf_t_coord_sum s3 = sf_t_coordinator(&S, g_cfg, 3);
    assert_int_equal(s3.status, 0);
    assert_int_equal(s3.jobs, 1); /* D2, never scanned */
    assert_int_equal(s3.delivered, 1);
    assert_int_equal(s3.skipped, 1);
    assert_int_equal(s3.refs_delivered, 1);
    assert_int_equal(wait_ref(g_ref1, NULL), 0); /* D2 has no result yet */
    assert_true(ref_is(g_ref2, g_d1));
    const char *only2[] = {g_ref2, NULL};
    view_refs_are(only2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coord_refs__new_tag_reported_removed_tag_dropped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
