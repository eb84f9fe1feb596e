/*
 * Scan on push, end to end on real parts (issue 14): a private
 * docker-registry whose real notification sender (retry and backoff
 * included) posts to the coordinator's events listener; the coordinator
 * runs with no registry to enumerate (no enumeration run at all), a
 * worker and an aggregator run on the stack's Kafka and Redis.
 *
 *   1. N pushed manifests -> exactly one result each on the results
 *      topic, all of a push run, through the priority topic;
 *   2. a new tag on an already-scanned digest -> a refs message, no
 *      result, no blob fetched from the registry, and `query image`
 *      answers for the new tag;
 *   3. a manifest delete -> `query image` no longer answers for its tag;
 *   4. the coordinator killed (SIGKILL) while images are pushed and
 *      restarted: every push still gets its result (the registry
 *      redelivers what was not acknowledged).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "worker_helpers.h"

#define TOKEN "push-it-token"
#define MAXD 64

static char g_name[64], g_dir[200], g_db[260], g_jobs[96], g_prio[110], g_results[96],
    g_dlq[96], g_reg[32], g_src[512], g_bin[512], g_clog[300];
static int g_rport, g_cport;
static pid_t g_coord = -1;
static sf_kcons *g_reader;

/* Every digest that got a result, with how many results. */
static char g_seen[MAXD][SF_DIGEST_MAX];
static int g_seen_n[MAXD], g_nseen, g_refs_msgs;
static char g_last_refs[2048];

static int build_db(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/scanfarm db import --quiet --out %s %s", g_bin, g_db,
             sf_t_corpus("vulndb/alpine-vuln-list-subset/secdb-v3.10-main.subset.json"));
    return system(cmd) == 0 ? SF_OK : SF_EDB;
}

/* The private registry, its notifications pointed at the listener. */
static pid_t registry_start(void)
{
    char extra[1024], log[300];
    snprintf(log, sizeof log, "%s/registry.log", g_dir);
    snprintf(extra, sizeof extra,
             "notifications:\n  endpoints:\n    - name: scanfarm\n"
             "      url: http://127.0.0.1:%d/v1/events/distribution\n"
             "      headers:\n        Authorization: [Bearer " TOKEN "]\n"
             "      timeout: 5s\n      threshold: 3\n      backoff: 1s\n"
             "      ignoredmediatypes:\n        - application/octet-stream\n",
             g_cport);
    return wt_registry_start_cfg(g_dir, g_rport, extra, log);
}

static pid_t coordinator_start(void)
{
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", g_cport);
    setenv("SCANFARM_EVENTS_TOKEN_DISTRIBUTION", TOKEN, 1);
    char *argv[] = {(char *)wt_bin("scanfarm-coordinator"), "--events-listen", listen,
                    "--events-priority-topic", g_prio, "--results-topic", g_results, "--kafka",
                    (char *)sf_t_kafka(), "--redis", (char *)sf_t_redis(), "--key-prefix",
                    g_name, "--db", g_db, NULL};
    pid_t pid = wt_spawn(argv, g_clog);
    unsetenv("SCANFARM_EVENTS_TOKEN_DISTRIBUTION");
    for (int i = 0; i < 100; i++) {
        char page[512];
        if (wt_http_get(g_cport, "/healthz", page, sizeof page) == 0 && strstr(page, " 200 "))
            return pid;
        wt_sleep_ms(100);
    }
    return -1;
}

static int setup(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_kprod *p = NULL;
    const char *s = getenv("SF_SRC"), *b = getenv("SF_BIN");
    snprintf(g_src, sizeof g_src, "%s", s ? s : ".");
    snprintf(g_bin, sizeof g_bin, "%s", b ? b : "./build/bin");
    if (!sf_t_addr_up(sf_t_kafka()) || !sf_t_addr_up(sf_t_redis()))
        return -1;
    snprintf(g_name, sizeof g_name, "evpush-%d", (int)getpid());
    snprintf(g_dir, sizeof g_dir, "/tmp/%s", g_name);
    snprintf(g_db, sizeof g_db, "%s/db.sfdb", g_dir);
    snprintf(g_clog, sizeof g_clog, "%s/coordinator.log", g_dir);
    snprintf(g_jobs, sizeof g_jobs, "%s.jobs", g_name);
    snprintf(g_prio, sizeof g_prio, "%s.jobs.priority", g_name);
    snprintf(g_results, sizeof g_results, "%s.results", g_name);
    snprintf(g_dlq, sizeof g_dlq, "%s.dlq", g_name);
    g_rport = t_port(0), g_cport = t_port(1);
    snprintf(g_reg, sizeof g_reg, "127.0.0.1:%d", g_rport);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "mkdir -p %s", g_dir);
    if (system(cmd) != 0 || build_db() != SF_OK)
        return -1;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    if (sf_kprod_new(&p, &po, &e) != SF_OK)
        return -1;
    const char *topics[] = {g_jobs, g_prio, g_results, g_dlq};
    for (int i = 0; i < 4; i++)
        if (sf_kprod_create_topic(p, topics[i], 3, 1, 15000, &e) != SF_OK)
            return -1;
    sf_kprod_free(p);
    if (registry_start() < 0 || (g_coord = coordinator_start()) < 0)
        return -1;
    char group[120], agroup[120];
    snprintf(group, sizeof group, "%s.w", g_name);
    snprintf(agroup, sizeof agroup, "%s.agg", g_name);
    char wlog[300], alog[300];
    snprintf(wlog, sizeof wlog, "%s/worker.log", g_dir);
    snprintf(alog, sizeof alog, "%s/agg.log", g_dir);
    char *wargv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                     "--redis", (char *)sf_t_redis(), "--key-prefix", g_name, "--db", g_db,
                     "--group", group, "--jobs-topic", g_jobs, "--results-topic", g_results,
                     "--dlq-topic", g_dlq, "--metrics-port", "0", "--concurrency", "2",
                     "--insecure-registry", g_reg, NULL};
    char *aargv[] = {(char *)wt_bin("scanfarm-aggregator"), "--kafka", (char *)sf_t_kafka(),
                     "--redis", (char *)sf_t_redis(), "--prefix", g_name, "--group", agroup,
                     "--results-topic", g_results, "--dlq-topic", g_dlq, NULL};
    wt_spawn(wargv, wlog);
    wt_spawn(aargv, alog);
    snprintf(group, sizeof group, "%s.reader", g_name);
    sf_kcons_opts ro = {.brokers = sf_t_kafka(), .group = group, .topic = g_results,
                        .max_in_flight = 1000};
    return sf_kcons_new(&g_reader, &ro, NULL) == SF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    wt_kill_all();
    sf_kcons_close(g_reader);
    wt_delete_topics(sf_t_kafka(), g_jobs, g_results, g_dlq);
    wt_delete_topics(sf_t_kafka(), g_prio, g_prio, g_prio);
    wt_redis_del_prefix(g_name);
    if (!getenv("SF_KEEP"))
        wt_rm_rf(g_dir);
    return 0;
}

/* Read the results topic for up to ms: count results per digest (push
 * runs only) and refs messages. */
static void drain_results(long ms)
{
    uint64_t end = t_now_ms() + (uint64_t)ms;
    while (t_now_ms() < end) {
        sf_kmsg *m = NULL;
        if (sf_kcons_poll(g_reader, 100, &m, NULL) != SF_OK || !m)
            continue;
        json_error_t je;
        json_t *d = json_loadb(m->value, m->len, 0, &je);
        const char *schema = json_string_value(json_object_get(d, "schema"));
        const char *dg = json_string_value(json_object_get(d, "digest"));
        const char *run = json_string_value(json_object_get(d, "run_id"));
        if (schema && strcmp(schema, "scanfarm.refs/v1") == 0) {
            g_refs_msgs++;
            snprintf(g_last_refs, sizeof g_last_refs, "%.*s", (int)m->len, m->value);
        } else if (schema && strcmp(schema, "scanfarm.result/v1") == 0 && dg && run) {
            assert_int_equal(strncmp(run, "push-", 5), 0);
            int k = 0;
            while (k < g_nseen && strcmp(g_seen[k], dg) != 0)
                k++;
            if (k == g_nseen && g_nseen < MAXD)
                snprintf(g_seen[g_nseen++], SF_DIGEST_MAX, "%s", dg);
            if (k < MAXD)
                g_seen_n[k]++;
        }
        json_decref(d);
        sf_kcons_done(g_reader, m);
    }
}

/* Push repos x tags images under prefix; their digests into out. */
static int push(const char *prefix, int repos, int tags, char out[][SF_DIGEST_MAX])
{
    char cmd[1024], line[1024];
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/regpush.py --registry http://%s --prefix %s --repos %d "
             "--tags %d --threads 2 --scannable",
             g_src, g_reg, prefix, repos, tags);
    FILE *p = popen(cmd, "r");
    int n = 0;
    while (p && fgets(line, sizeof line, p) && n < MAXD) {
        char *d = strstr(line, "\"digest\": \"");
        if (!d)
            continue;
        d += 11;
        snprintf(out[n++], SF_DIGEST_MAX, "%.*s", (int)strcspn(d, "\""), d);
    }
    return p && pclose(p) == 0 ? n : -1;
}

static int seen_count(const char *digest)
{
    for (int k = 0; k < g_nseen; k++)
        if (strcmp(g_seen[k], digest) == 0)
            return g_seen_n[k];
    return 0;
}

/* Wait until every digest of d[0..n) has a result (at most ms). */
static int wait_results(char d[][SF_DIGEST_MAX], int n, long ms)
{
    uint64_t end = t_now_ms() + (uint64_t)ms;
    for (;;) {
        int have = 0;
        for (int i = 0; i < n; i++)
            have += seen_count(d[i]) > 0;
        if (have == n || t_now_ms() > end)
            return have;
        drain_results(300);
    }
}

static int query_image(const char *ref)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/scanfarm query image %s --redis %s --prefix %s >/dev/null 2>&1",
             g_bin, ref, sf_t_redis(), g_name);
    return system(cmd);
}

static int wait_query(const char *ref, int want_found, long ms)
{
    uint64_t end = t_now_ms() + (uint64_t)ms;
    while (t_now_ms() < end) {
        if ((query_image(ref) == 0) == want_found)
            return 1;
        wt_sleep_ms(250);
    }
    return 0;
}

/* GET requests for blobs in the registry's access log so far. */
static int blob_gets(void)
{
    char cmd[600], out[64] = "0";
    snprintf(cmd, sizeof cmd, "grep -c '\"GET /v2/[^ ]*/blobs/' %s/registry.log", g_dir);
    FILE *p = popen(cmd, "r");
    if (p && !fgets(out, sizeof out, p))
        out[0] = '0';
    if (p)
        pclose(p);
    return (int)strtol(out, NULL, 10);
}

static void test_events_push__end_to_end(void **state)
{
    (void)state;
    char d[MAXD][SF_DIGEST_MAX], ref[512], prefix[128];
    snprintf(prefix, sizeof prefix, "%s/a", g_name);
    int n = push(prefix, 3, 2, d);
    assert_int_equal(n, 6);
    assert_int_equal(wait_results(d, n, 90000), n);
    drain_results(2000); /* a duplicate would have arrived by now */
    for (int i = 0; i < n; i++)
        assert_int_equal(seen_count(d[i]), 1);

    /* 2. a new tag on a scanned digest: a refs message, no blob GET. */
    int gets0 = blob_gets(), refs0 = g_refs_msgs, nseen0 = g_nseen;
    snprintf(ref, sizeof ref, "%s/%s/r0000:again", g_reg, prefix);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/regtag.py --registry %s %s/r0000:v0 %s/r0000:again "
             ">/dev/null",
             g_src, g_reg, prefix, prefix);
    assert_int_equal(system(cmd), 0);
    uint64_t end = t_now_ms() + 30000;
    while (g_refs_msgs == refs0 && t_now_ms() < end)
        drain_results(300);
    assert_int_equal(g_refs_msgs, refs0 + 1);
    assert_non_null(strstr(g_last_refs, ":again\""));
    drain_results(1500);
    assert_int_equal(g_nseen, nseen0);
    for (int i = 0; i < n; i++)
        assert_int_equal(seen_count(d[i]), 1);
    assert_int_equal(blob_gets(), gets0);
    assert_true(wait_query(ref, 1, 20000));

    /* 3. a manifest delete removes its tag from the fleet view. */
    snprintf(ref, sizeof ref, "%s/%s/r0001:v1", g_reg, prefix);
    assert_true(wait_query(ref, 1, 20000));
    char url[512];
    int k = -1;
    /* regpush lists repos in push order per thread: find r0001:v1's digest
     * by resolving the tag. */
    snprintf(cmd, sizeof cmd,
             "curl -sf -o /dev/null -D - -H 'Accept: application/vnd.oci.image.manifest.v1+json' "
             "http://%s/v2/%s/r0001/manifests/v1 | tr -d '\\r' | "
             "sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'",
             g_reg, prefix);
    FILE *p = popen(cmd, "r");
    char dig[SF_DIGEST_MAX] = "";
    assert_non_null(p);
    if (fgets(dig, sizeof dig, p))
        dig[strcspn(dig, "\n")] = '\0';
    pclose(p);
    for (int i = 0; i < n; i++)
        if (strcmp(d[i], dig) == 0)
            k = i;
    assert_true(k >= 0);
    snprintf(url, sizeof url, "curl -sf -X DELETE http://%s/v2/%s/r0001/manifests/%s", g_reg,
             prefix, dig);
    assert_int_equal(system(url), 0);
    assert_true(wait_query(ref, 0, 20000));
}

static void test_events_push__coordinator_restart_loses_nothing(void **state)
{
    (void)state;
    char d[MAXD][SF_DIGEST_MAX], prefix[128];
    snprintf(prefix, sizeof prefix, "%s/b", g_name);
    /* Kill it hard: whatever it had not acknowledged, the registry keeps
     * and sends again. */
    kill(g_coord, SIGKILL);
    waitpid(g_coord, NULL, 0);
    wt_untrack(g_coord);
    int n = push(prefix, 4, 2, d);
    assert_int_equal(n, 8);
    wt_sleep_ms(1500); /* the registry's sender fails and backs off meanwhile */
    assert_true((g_coord = coordinator_start()) > 0);
    assert_int_equal(wait_results(d, n, 90000), n);
    drain_results(2000);
    for (int i = 0; i < n; i++)
        assert_true(seen_count(d[i]) >= 1); /* a redelivery may duplicate, never lose */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_push__end_to_end),
        cmocka_unit_test(test_events_push__coordinator_restart_loses_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
