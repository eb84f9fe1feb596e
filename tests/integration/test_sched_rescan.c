/*
 * Integration test of the coordinator's skip-current rescans and run job
 * count (coordinator/schedule.c) on the real stack (registry, Kafka and
 * Redis at sf_t_registry/kafka/redis()). Names are "sched-it-<pid>"
 * (repositories, topic, key prefix, run ids) so parallel tests never meet.
 *
 *  1. push 3 tiny images (tests/fixtures/regpush.py prints their digests);
 *  2. run scanfarm-coordinator --once --redis: 3 jobs delivered, none
 *     skipped, and <prefix>:run:<run>:published = 3 (sf_agg_progress_get);
 *  3. store whole-image entries for 2 digests with the worker's own writer
 *     (sf_lcache_image_put, version "<db version>|" as the worker forms it
 *     for a job without platforms); a third, stale entry (older DB) for the
 *     last digest;
 *  4. run again: 1 job delivered, skipped_current=2 (each with a refs
 *     message on the "<name>-refs" results topic), published = 1;
 *  5. the batched check (sf_sched_check_many) gives every digest, over
 *     several batches, the verdict and images of its single check;
 *  6. run with a Redis that is down: all 3 published (publish on doubt).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agg.h"
#include "analyze/analyzer.h"
#include "analyze/inventory.h"
#include "bus/kcons.h"
#include "bus/kprod.h"
#include "cache/keys.h"
#include "cache/kv.h"
#include "cache/lcache.h"
#include "schedule.h"
#include "testutil.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

/* Coordinator runs of this test (each has its own jobs topic). */
#define NRUNS 4

static sf_t_scratch S; /* name, folder, DB path */
static char g_cfg[192], g_bin[512], g_src[512];
static char g_digest[3][100];
static char g_dbver[128];
static sf_kv *g_kv;
static sf_kprod *g_prod; /* topic admin */

/* Topic of run n: one per run, so each run's jobs are read back alone. */
static void topic_of(char *out, size_t cap, int n)
{
    snprintf(out, cap, "%s-%d", S.name, n);
}

/* Push 3 repositories with one tag each; remember their digests. */
static int push_images(void)
{
    char cmd[1024], line[1024];
    int n = 0;
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/regpush.py --registry http://%s "
             "--prefix %s --repos 3 --tags 1",
             g_src, sf_t_registry(), S.name);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    while (fgets(line, sizeof line, p)) {
        char *d = strstr(line, "\"digest\": \"");
        if (d && n < 3) {
            d += 11;
            size_t k = strcspn(d, "\"");
            if (k < sizeof g_digest[0]) {
                memcpy(g_digest[n], d, k);
                g_digest[n][k] = '\0';
                n++;
            }
        }
    }
    return pclose(p) == 0 && n == 3 ? 0 : -1;
}

static int build_db(void) { return sf_t_build_db(S.db, g_dbver, sizeof g_dbver); }

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("SF_SRC"), *b = getenv("SF_BIN");
    snprintf(g_src, sizeof g_src, "%s", s ? s : ".");
    snprintf(g_bin, sizeof g_bin, "%s", b ? b : "./build/bin");
    if (sf_t_stack_setup(SF_T_STACK) != 0 || sf_t_scratch_open(&S, "sched-it") != 0)
        return -1;
    snprintf(g_cfg, sizeof g_cfg, "%s/coord.json", S.dir);
    FILE *f = fopen(g_cfg, "w");
    if (!f)
        return -1;
    /* Explicit repositories: the shared registry's catalog is others'. */
    fprintf(f,
            "{\"registries\":[{\"url\":\"http://%s\",\"insecure\":true,"
            "\"repositories\":[\"%s/r0000\",\"%s/r0001\",\"%s/r0002\"]}]}\n",
            sf_t_registry(), S.name, S.name, S.name);
    fclose(f);
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    if (sf_kv_new(&g_kv, &ko, NULL) != SF_OK || sf_kv_ping(g_kv, 0, NULL) != SF_OK)
        return -1;
    if (build_db() != SF_OK || push_images() != 0)
        return -1;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    if (sf_kprod_new(&g_prod, &po, NULL) != SF_OK)
        return -1;
    for (int i = 0; i <= NRUNS; i++) {
        char t[96];
        sf_error e = SF_ERROR_INIT;
        if (i)
            topic_of(t, sizeof t, i);
        else /* the refs messages of skipped digests (results topic) */
            snprintf(t, sizeof t, "%s-refs", S.name);
        if (sf_kprod_create_topic(g_prod, t, 3, 1, 15000, &e) != SF_OK) {
            fprintf(stderr, "create topic %s: %s\n", t, e.msg);
            return -1;
        }
    }
    return 0;
}

static void del_key(const char *shard, const char *key)
{
    sf_kv_del(g_kv, shard, key, NULL);
}

static int teardown(void **state)
{
    (void)state;
    char key[SF_KEY_MAX], shard[SF_KEY_MAX], run[96];
    for (int i = 0; i < NRUNS && g_kv; i++) {
        if (i < 3 && sf_keys_image(key, S.name, g_digest[i], NULL) == SF_OK)
            del_key(g_digest[i], key);
        snprintf(run, sizeof run, "%s-%d", S.name, i + 1);
        if (sf_keys_run_published(key, S.name, run, NULL) == SF_OK &&
            sf_keys_agg_shard(shard, S.name, NULL) == SF_OK)
            del_key(shard, key);
    }
    sf_kv_free(g_kv);
    for (int i = 0; i <= NRUNS && g_prod; i++) {
        char t[96];
        if (i)
            topic_of(t, sizeof t, i);
        else
            snprintf(t, sizeof t, "%s-refs", S.name);
        sf_kprod_delete_topic(g_prod, t, 15000, NULL);
    }
    sf_kprod_free(g_prod);
    sf_t_scratch_close(&S); /* the folder with the DB, config and run logs */
    return 0;
}

typedef struct summary {
    long delivered, skipped, check_errors, refs_msgs;
    int status;
} summary;


/* Run the coordinator once; parse its summary from the log. */
static summary coordinator(int n, const char *redis)
{
    char cmd[2048], log[256], line[4096], topic[96];
    summary s = {-1, -1, -1, -1, -1};
    topic_of(topic, sizeof topic, n);
    snprintf(log, sizeof log, "%s/run%d.log", S.dir, n);
    snprintf(cmd, sizeof cmd,
             "%s/scanfarm-coordinator --once --config %s --kafka %s --topic %s "
             "--results-topic %s-refs --redis %s --key-prefix %s --db %s --run-id %s-%d "
             "--progress never 2>%s",
             g_bin, g_cfg, sf_t_kafka(), topic, S.name, redis, S.name, S.db, S.name, n, log);
    s.status = sf_t_run_log_line(cmd, log, "msg=\"run enumerated\"", line, sizeof line);
    s.delivered = sf_t_log_field(line, "jobs_delivered");
    s.skipped = sf_t_log_field(line, "skipped_current");
    s.check_errors = sf_t_log_field(line, "skip_check_errors");
    s.refs_msgs = sf_t_log_field(line, "refs_msgs_delivered");
    if (s.delivered < 0)
        fprintf(stderr, "no summary line in %s\n", log);
    return s;
}

/* Read back run n's jobs from its topic: the digests (message keys),
 * into keys[0..max); returns how many. */
static int jobs_of(int n, char keys[][100], int max)
{
    char topic[96], group[128];
    sf_kcons *c = NULL;
    sf_error e = SF_ERROR_INIT;
    int got = 0, idle = 0;
    topic_of(topic, sizeof topic, n);
    snprintf(group, sizeof group, "%s-g", topic);
    sf_kcons_opts co = {.brokers = sf_t_kafka(), .group = group, .topic = topic,
                        .session_timeout_ms = 6000};
    assert_int_equal(sf_kcons_new(&c, &co, &e), SF_OK);
    /* Group join takes a few seconds; then stop after 4 s of silence. */
    for (int waited = 0; waited < 60000 && idle < (got ? 4000 : 20000); waited += 500) {
        sf_kmsg *m = NULL;
        assert_int_equal(sf_kcons_poll(c, 500, &m, &e), SF_OK);
        if (!m) {
            idle += 500;
            continue;
        }
        idle = 0;
        if (got < max && m->key)
            snprintf(keys[got], sizeof keys[0], "%s", m->key);
        got++;
        sf_kcons_done(c, m);
    }
    sf_kcons_close(c);
    return got;
}

static long long published(int n)
{
    char run[96];
    sf_agg_progress pr;
    snprintf(run, sizeof run, "%s-%d", S.name, n);
    assert_int_equal(sf_agg_progress_get(g_kv, S.name, run, &pr, NULL), SF_OK);
    return pr.published;
}

static int inv_encode(const sf_inventory *inv, sf_buf *out) { return sf_inventory_encode(inv, out); }

/* The farm secret the coordinators of this test get (environment) and
 * the entries are sealed with, as the workers seal them. */
#define FARM_SECRET "sched-rescan-farm-cache-secret"

static sf_cmac *farm_mac(void)
{
    static sf_cmac *m;
    sf_error e = SF_ERROR_INIT;
    setenv("SCANFARM_CACHE_SECRET", FARM_SECRET, 1);
    if (!m)
        assert_int_equal(sf_cmac_new(&m, FARM_SECRET, strlen(FARM_SECRET), &e), SF_OK);
    return m;
}

/* Whole-image entries written exactly as the worker writes them. */
static void store_entries(void)
{
    sf_lcache *lc = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_lcache_opts lo = {.kv = g_kv, .prefix = S.name, .analyzer_version = sf_analyzers_version(),
                         .encode = inv_encode, .decode = sf_inventory_decode,
                         .ttl_ms = 600000, .mac = farm_mac()};
    assert_int_equal(sf_lcache_new(&lc, &lo, &e), SF_OK);
    char cur[200], old[] = "20000101T000000Z-000000000000|";
    snprintf(cur, sizeof cur, "%s|", g_dbver); /* worker: "<db>|<job platforms>" */
    /* Each cached result names its image: the refs message needs it. */
    char doc[3][400];
    const char *res[3];
    for (int i = 0; i < 3; i++) {
        snprintf(doc[i], sizeof doc[i], "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"%s\"}",
                 g_digest[i]);
        res[i] = doc[i];
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(sf_lcache_image_put(lc, g_digest[i], cur, &res[i], 1, &e), SF_OK);
    assert_int_equal(sf_lcache_image_put(lc, g_digest[2], old, &res[2], 1, &e), SF_OK);
    /* The worker's reader agrees: the first two are current, the third not. */
    char **got = NULL;
    size_t n = 0;
    int found = 0;
    assert_int_equal(sf_lcache_image_get(lc, g_digest[0], cur, &got, &n, &found, &e), SF_OK);
    assert_true(found);
    sf_lcache_results_free(got, n);
    assert_int_equal(sf_lcache_image_get(lc, g_digest[2], cur, &got, &n, &found, &e), SF_OK);
    assert_false(found);
    sf_lcache_free(lc);
}

static void test_sched_rescan__skips_current_digests_and_records_count(void **state)
{
    (void)state;
    summary s1 = coordinator(1, sf_t_redis());
    assert_int_equal(s1.status, 0);
    assert_int_equal(s1.delivered, 3);
    assert_int_equal(s1.skipped, 0);
    assert_int_equal(s1.check_errors, 0);
    assert_int_equal(published(1), 3);
    char keys[8][100];
    assert_int_equal(jobs_of(1, keys, 8), 3);

    store_entries();
    summary s2 = coordinator(2, sf_t_redis());
    assert_int_equal(s2.status, 0);
    assert_int_equal(s2.delivered, 1);
    assert_int_equal(s2.skipped, 2);
    assert_int_equal(s2.check_errors, 0);
    assert_int_equal(s2.refs_msgs, 2); /* their refs still reach the aggregator */
    /* Skipped jobs get no result: the run is complete after 1. */
    assert_int_equal(published(2), 1);
    /* The one job is the digest whose entry is stale. */
    assert_int_equal(jobs_of(2, keys, 8), 1);
    assert_string_equal(keys[0], g_digest[2]);

    /* An entry written into Redis without the farm secret (here: the
     * current one, unsealed) never makes the coordinator skip a digest. */
    char key[SF_KEY_MAX];
    sf_buf v;
    int found = 0;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&v, 0);
    assert_int_equal(sf_keys_image(key, S.name, g_digest[0], &e), SF_OK);
    assert_int_equal(sf_kv_get(g_kv, g_digest[0], key, &v, &found, &e), SF_OK);
    assert_true(found && v.len > SF_CMAC_OVERHEAD);
    assert_int_equal(sf_kv_set(g_kv, g_digest[0], key, v.data + SF_CMAC_OVERHEAD,
                               v.len - SF_CMAC_OVERHEAD, 600000, &e), SF_OK);
    sf_buf_free(&v);
    summary s4 = coordinator(4, sf_t_redis());
    assert_int_equal(s4.status, 0);
    assert_int_equal(s4.delivered, 2);
    assert_int_equal(s4.skipped, 1);
}

/* The batched check (one pipelined exchange per SF_SCHED_BATCH digests)
 * gives each digest the verdict and images of its own single check: the
 * three entries the first test left (unsealed, current, stale) and absent
 * digests, interleaved over more than one batch. */
static void test_sched_rescan__batched_check_matches_single_checks(void **state)
{
    (void)state;
    enum { N = SF_SCHED_BATCH * 2 + 3 };
    static char absent[N][80];
    sf_sched *s = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_sched_opts so = {.kv = g_kv, .prefix = S.name, .db_version = g_dbver, .mac = farm_mac()};
    assert_int_equal(sf_sched_new(&s, &so, &e), SF_OK);
    sf_sched_item it[N];
    int current = 0;
    for (int i = 0; i < N; i++) {
        snprintf(absent[i], sizeof absent[i], "sha256:%064x", i + 1);
        it[i] = (sf_sched_item){.digest = i % 4 < 3 ? g_digest[i % 4] : absent[i]};
    }
    sf_sched_check_many(s, it, N);
    for (int i = 0; i < N; i++) {
        sf_sched_images im = {0};
        sf_sched_verdict v = sf_sched_check_images(s, it[i].digest, NULL, 0, &im, NULL);
        assert_int_equal(it[i].verdict, v);
        assert_int_equal(it[i].images.n, im.n);
        for (size_t k = 0; k < im.n; k++)
            assert_string_equal(it[i].images.v[k], im.v[k]);
        current += v == SF_SCHED_SKIP_CURRENT;
        sf_sched_images_clear(&im);
        sf_sched_images_clear(&it[i].images);
    }
    /* g_digest[1] only: [0] was rewritten unsealed, [2] is stale. */
    assert_int_equal(current, (N + 2) / 4);
    sf_sched_free(s);
}

static void test_sched_rescan__redis_down_publishes_everything(void **state)
{
    (void)state;
    /* Nothing listens on port 1: every check fails, every job goes out. */
    summary s = coordinator(3, "127.0.0.1:1");
    assert_int_equal(s.status, 0);
    assert_int_equal(s.delivered, 3);
    assert_int_equal(s.skipped, 0);
    assert_int_equal(s.check_errors, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sched_rescan__skips_current_digests_and_records_count),
        cmocka_unit_test(test_sched_rescan__batched_check_matches_single_checks),
        cmocka_unit_test(test_sched_rescan__redis_down_publishes_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
