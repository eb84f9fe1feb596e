/*
 * The aggregator and rematch on the real stack (Kafka and Redis at
 * sf_t_kafka()/sf_t_redis()), on private topics and a private key prefix:
 *   - `aggregate` as a consumer group: every result delivered twice
 *     (redelivery) plus a DLQ entry -> each image counted once, the run
 *     complete;
 *   - the example subscriber prints one line per result on the topic,
 *     and one per delta on the findings topic;
 *   - a new DB adding one advisory for a package held by exactly 3 images
 *     yields exactly 3 deltas on the findings topic (and nothing for the
 *     other images), the republished results update the fleet view, and a
 *     second pass with the same DB announces nothing.
 * The matcher here is a table (the DB part abstracted): the "old DB" is
 * the findings the fed results carry, the new one adds CVE-2099-0001.
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
#include <jansson.h>

#include "../unit/agg/agg_fix.h"
#include "agg.h"
#include "bus/kcons.h"
#include "bus/kprod.h"
#include "cache/keys.h"
#include "fleet/rematch.h"
#include "fleet/report.h"
#include "testutil.h"

#define BROKERS sf_t_kafka()

static sf_kv *kv;
static sf_kprod *prod;
static char prefix[64], t_res[64], t_dlq[64], t_find[64], group[64];

static const struct {
    char dc;
    const char *refs, *vulns;
} FLEET[] = {
    {'a', "reg.io/web:1;reg.io/web:latest", "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL"},
    {'b', "reg.io/api:2",
     "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;"
     "CVE-2019-14697:musl:1.1.20-r4:1.1.20-r5:CRITICAL"},
    {'c', "127.0.0.1:5000/agg/db:1", "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL"},
    {'d', "docker.io/library/alpine:3.10", "CVE-2020-1967:openssl:1.1.1d-r0:1.1.1g-r0:HIGH"},
    {'e', "reg.io/none:1", ""},
};
#define NFLEET (sizeof FLEET / sizeof FLEET[0])

static int setup(void **state)
{
    (void)state;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    sf_kprod_opts po = {.brokers = BROKERS};
    sf_error e = SF_ERROR_INIT;
    int pid = (int)getpid();
    snprintf(prefix, sizeof prefix, "agg-ktest-%d", pid);
    snprintf(t_res, sizeof t_res, "agg-test-results-%d", pid);
    snprintf(t_dlq, sizeof t_dlq, "agg-test-dlq-%d", pid);
    snprintf(t_find, sizeof t_find, "agg-test-findings-%d", pid);
    snprintf(group, sizeof group, "agg-test-%d", pid);
    if (sf_kv_new(&kv, &o, NULL) != SF_OK || sf_kv_ping(kv, 0, NULL) != SF_OK ||
        sf_kprod_new(&prod, &po, &e) != SF_OK ||
        sf_kprod_create_topic(prod, t_res, 2, 1, 20000, &e) != SF_OK ||
        sf_kprod_create_topic(prod, t_dlq, 1, 1, 20000, &e) != SF_OK ||
        sf_kprod_create_topic(prod, t_find, 2, 1, 20000, &e) != SF_OK) {
        fprintf(stderr, "SKIP: stack not reachable (%s)\n", e.msg);
        sf_kprod_free(prod);
        sf_kv_free(kv);
        prod = NULL;
        kv = NULL;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (kv) {
        char match[128], cursor[32] = "0", shard[SF_KEY_MAX];
        sf_keys_agg_shard(shard, prefix, NULL);
        snprintf(match, sizeof match, "%s:*", prefix);
        do {
            sf_kv_reply *r = NULL;
            const char *argv[] = {"SCAN", cursor, "MATCH", match, "COUNT", "1000"};
            if (sf_kv_argv(kv, shard, 6, argv, NULL, &r, NULL) != SF_OK)
                break;
            snprintf(cursor, sizeof cursor, "%s", r->elem[0].str);
            for (size_t i = 0; i < r->elem[1].nelem; i++)
                sf_kv_del(kv, shard, r->elem[1].elem[i].str, NULL);
            sf_kv_reply_free(r);
        } while (strcmp(cursor, "0") != 0);
    }
    sf_kprod_free(prod);
    sf_kv_free(kv);
    return 0;
}

static void produce(const char *topic, const char *key, const char *val)
{
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kprod_produce(prod, topic, key, strlen(key), val, strlen(val), NULL, &e),
                     SF_OK);
}

static void run_aggregator(sf_agg_loop_stats *st)
{
    sf_error e = SF_ERROR_INIT;
    sf_agg_loop_opts o = {.brokers = BROKERS, .group = group, .results_topic = t_res,
                          .dlq_topic = t_dlq, .kv = kv, .prefix = prefix, .once_idle_s = 6};
    int rc = sf_agg_loop(&o, st, &e);
    if (rc != SF_OK)
        fprintf(stderr, "agg loop: %s\n", e.msg);
    assert_int_equal(rc, SF_OK);
}

/* The table matcher: every finding a FLEET spec lists for (pkg,
 * version), plus CVE-2099-0001 for openssl 1.1.1k-r0. */
static int table_match(void *ctx, const sf_osinfo *os, const sf_pkg *pkg, sf_agg_vuln **out,
                       size_t *n, sf_error *err)
{
    (void)ctx;
    (void)os;
    (void)err;
    *out = calloc(16, sizeof **out);
    *n = 0;
    for (size_t i = 0; i < NFLEET; i++) {
        const char *p = FLEET[i].vulns;
        while (*p) {
            char id[64], name[64], inst[64], fixd[64], sev[32], tmp[300];
            size_t l = strcspn(p, ";");
            snprintf(tmp, sizeof tmp, "%.*s", (int)l, p);
            p += l + (p[l] == ';');
            sscanf(tmp, "%63[^:]:%63[^:]:%63[^:]:%63[^:]:%31s", id, name, inst, fixd, sev);
            if (strcmp(name, pkg->name) || strcmp(inst, pkg->version))
                continue;
            int dup = 0;
            for (size_t k = 0; k < *n; k++)
                dup |= !strcmp((*out)[k].id, id);
            if (dup || *n >= 15)
                continue;
            sf_agg_vuln *v = &(*out)[(*n)++];
            v->id = strdup(id);
            v->pkg = strdup(name);
            v->installed = strdup(inst);
            v->fixed = strcmp(fixd, "-") ? strdup(fixd) : NULL;
            v->sev = sf_agg_sev_parse(sev);
            v->cvss = 7.5;
        }
    }
    if (!strcmp(pkg->name, "openssl") && !strcmp(pkg->version, "1.1.1k-r0")) {
        sf_agg_vuln *v = &(*out)[(*n)++];
        v->id = strdup("CVE-2099-0001");
        v->pkg = strdup("openssl");
        v->installed = strdup("1.1.1k-r0");
        v->fixed = strdup("1.1.1m-r0");
        v->sev = SF_SEV_HIGH;
        v->cvss = 8.1;
    }
    return SF_OK;
}

/* What the findings deltas read so far hold. */
typedef struct delta_counts {
    size_t added_new, removed;
} delta_counts;

/* One findings delta: well-formed, keyed by its digest; counted. */
static void count_delta(const sf_kmsg *m, void *arg)
{
    delta_counts *dc = arg;
    json_t *d = json_loads(m->value, 0, NULL);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "schema")), "scanfarm.findings/v1");
    assert_string_equal(json_string_value(json_object_get(d, "digest")), m->key);
    json_t *a = json_object_get(d, "added");
    for (size_t i = 0; i < json_array_size(a); i++)
        dc->added_new += !strcmp(json_string_value(json_object_get(json_array_get(a, i), "id")),
                                 "CVE-2099-0001");
    dc->removed += json_array_size(json_object_get(d, "removed"));
    json_decref(d);
}

/* Consume the findings topic from the start until idle; returns deltas. */
static size_t read_deltas(const char *grp, size_t *added_new, size_t *removed)
{
    sf_error e = SF_ERROR_INIT;
    delta_counts dc = {0, 0};
    size_t n = 0;
    assert_int_equal(sf_t_consume_idle(BROKERS, t_find, grp, 500, 12, count_delta, &dc, &n, &e),
                     SF_OK);
    *added_new = dc.added_new;
    *removed = dc.removed;
    return n;
}

static void test_agg_kafka__consume_subscribe_rematch(void **state)
{
    (void)state;
    if (!kv)
        skip();
    sf_buf b;
    char d[72], dlq[300];
    sf_buf_init(&b, 0);
    assert_int_equal(sf_agg_set_published(kv, prefix, "krun", NFLEET + 1, NULL), SF_OK);
    for (int copy = 0; copy < 2; copy++)
        for (size_t i = 0; i < NFLEET; i++) {
            fix_result(&b, FLEET[i].dc, "krun", "db1", "2026-02-01T00:00:00Z", FLEET[i].refs,
                       FLEET[i].vulns, NULL);
            produce(t_res, fix_digest(FLEET[i].dc, d), b.data);
        }
    snprintf(dlq, sizeof dlq,
             "{\"job\":{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"krun\",\"digest\":\"%s\"},"
             "\"reason\":\"crashed 3 workers\"}",
             fix_digest('f', d));
    produce(t_dlq, d, dlq);
    assert_int_equal(sf_kprod_flush(prod, 20000, NULL), SF_OK);

    sf_agg_loop_stats st;
    run_aggregator(&st);
    assert_int_equal(st.results, 2 * NFLEET);
    assert_int_equal(st.applied, NFLEET);
    assert_int_equal(st.duplicates, NFLEET);
    assert_int_equal(st.dlq, 1);
    sf_agg_progress p;
    assert_int_equal(sf_agg_progress_get(kv, prefix, "krun", &p, NULL), SF_OK);
    assert_true(p.complete);
    assert_int_equal(p.done, NFLEET + 1);

    /* the example subscriber: one line per message on the topic */
    char cmd[512], line[1024];
    const char *bin = getenv("SF_BIN");
    snprintf(cmd, sizeof cmd, "%s/scanfarm-subscribe -b %s -t %s -e", bin ? bin : "bin", BROKERS,
             t_res);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t lines = 0, crit = 0;
    while (fgets(line, sizeof line, f)) {
        assert_memory_equal(line, "sha256:", 7);
        lines++;
        crit += strstr(line, "\tkrun\tdb1\treg.io/api:2\t2\t0\t0\t0\t-\n") != NULL;
    }
    assert_int_equal(pclose(f), 0);
    assert_int_equal(lines, 2 * NFLEET);
    assert_int_equal(crit, 2);

    /* a new DB: one advisory more for openssl 1.1.1k-r0 (3 images) */
    sf_rematch_opts ro = {.kv = kv, .prefix = prefix, .prod = prod, .findings_topic = t_find,
                          .results_topic = t_res, .db_version = "db2", .run_id = "rematch-db2",
                          .match = table_match};
    sf_rematch_stats rs;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_rematch_run(&ro, &rs, &e), SF_OK);
    assert_int_equal(rs.images, NFLEET);
    assert_int_equal(rs.affected, 3);
    assert_int_equal(rs.added, 3);
    assert_int_equal(rs.removed, 0);
    char g2[80];
    size_t added_new, removed;
    snprintf(g2, sizeof g2, "%s-find", group);
    assert_int_equal(read_deltas(g2, &added_new, &removed), 3);
    assert_int_equal(added_new, 3);
    assert_int_equal(removed, 0);

    /* the example subscriber prints each delta (it skipped them before) */
    snprintf(cmd, sizeof cmd, "%s/scanfarm-subscribe -b %s -t %s -e", bin ? bin : "bin", BROKERS,
             t_find);
    f = popen(cmd, "r");
    assert_non_null(f);
    lines = 0;
    while (fgets(line, sizeof line, f)) {
        assert_memory_equal(line, "sha256:", 7);
        assert_non_null(strstr(line, "\trematch-db2\tdb2\t"));
        assert_non_null(strstr(line, "\t+1\t-0\t+CVE-2099-0001\n"));
        lines++;
    }
    assert_int_equal(pclose(f), 0);
    assert_int_equal(lines, 3);

    /* the republished results reach the fleet view */
    run_aggregator(&st);
    assert_int_equal(st.applied, 3);
    assert_int_equal(sf_agg_progress_get(kv, prefix, "rematch-db2", &p, NULL), SF_OK);
    assert_int_equal(p.published, 3);
    assert_true(p.complete);
    sf_buf_reset(&b);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2099-0001", 0, &b, NULL), SF_OK);
    size_t n = 0;
    for (const char *q = b.data; q && *q; q++)
        n += *q == '\n';
    assert_int_equal(n, 4); /* reg.io/web:1, reg.io/web:latest, reg.io/api:2, db:1 */
    assert_null(strstr(b.data, "alpine:3.10"));

    /* the same DB again: nothing changed, nothing announced */
    assert_int_equal(sf_rematch_run(&ro, &rs, &e), SF_OK);
    assert_int_equal(rs.affected, 0);
    sf_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_kafka__consume_subscribe_rematch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
