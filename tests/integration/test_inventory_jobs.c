/*
 * scanfarm-inventory's scan jobs (kinv.h), on the stack's Redis and Kafka
 * with the list+watch test server (tests/fixtures/kubeapi.py) serving three
 * running pods: a digest whose cached image entry is current for the DB
 * version (the coordinator's rule, sf_sched_check) gets no job; a digest
 * whose entry is for an older DB, and one with no entry, each get exactly
 * one job (two pods running the same digest still make one), naming the
 * registry and repository the image came from (Docker Hub's implicit
 * parts filled in), with the run's published count incremented per job.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg.h"
#include "analyze/analyzer.h"
#include "analyze/inventory.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "cache/lcache.h"
#include "kinv.h"
#include "kube/kube_cfg.h"
#include "schedule.h"
#include "testutil.h"

#define DCUR "sha256:c000000000000000000000000000000000000000000000000000000000000001"
#define DOLD "sha256:c000000000000000000000000000000000000000000000000000000000000002"
#define DNEW "sha256:c000000000000000000000000000000000000000000000000000000000000003"

static char dir[64], prefix[64], topic[96];
static FILE *server;
static char url[64];

static const char *pod(char *buf, size_t n, const char *name, const char *image_id)
{
    snprintf(buf, n,
             "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"%s\","
             "\"namespace\":\"prod\",\"uid\":\"u-%s\"},\"spec\":{\"containers\":[{\"name\":\"a\","
             "\"image\":\"x:1\"}]},\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{"
             "\"name\":\"a\",\"imageID\":\"%s\",\"state\":{\"running\":{\"startedAt\":"
             "\"2026-12-01T10:00:00Z\"}}}]}}",
             name, name, image_id);
    return buf;
}

static void start_server(void)
{
    char cmd[1024], p[4][512];
    snprintf(dir, sizeof dir, "/tmp/sf-kjobs-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
             "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null",
             dir, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/pods.json", dir);
    FILE *f = fopen(cmd, "w");
    assert_non_null(f);
    fprintf(f, "[%s,%s,%s,%s]", pod(p[0], sizeof p[0], "cur", "reg.io/app@" DCUR),
            pod(p[1], sizeof p[1], "old", "docker-pullable://nginx@" DOLD),
            pod(p[2], sizeof p[2], "new-1", "quay.io/org/tool@" DNEW),
            pod(p[3], sizeof p[3], "new-2", "quay.io/org/tool@" DNEW));
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "exec python3 %s/tests/fixtures/kubeapi.py %s/cert.pem %s/key.pem tok %s/pods.json",
             getenv("SF_SRC"), dir, dir, dir);
    /* popen "w": the server runs until we close its stdin; the port comes
     * back through a file */
    char full[1200];
    snprintf(full, sizeof full, "%s > %s/port", cmd, dir);
    assert_non_null(server = popen(full, "w"));
    char pf[128], port[16] = "";
    snprintf(pf, sizeof pf, "%s/port", dir);
    for (int i = 0; i < 100 && !port[0]; i++) {
        usleep(100000);
        FILE *q = fopen(pf, "r");
        if (q && fgets(port, sizeof port, q))
            port[strcspn(port, "\n")] = '\0';
        if (q)
            fclose(q);
    }
    assert_true(port[0] != '\0');
    snprintf(url, sizeof url, "https://127.0.0.1:%s", port);
}

static int inv_encode(const sf_inventory *inv, sf_buf *out) { return sf_inventory_encode(inv, out); }

/* Image entries as the worker writes them: DCUR current, DOLD older. */
/* The farm's cache secret: the scheduler trusts only entries sealed with it
 * (docs/security.md), as the inventory does with its configured secret. */
static const sf_cmac *farm_mac(void)
{
    static sf_cmac *m;
    if (!m) {
        static const char secret[] = "inventory-jobs-test-farm-secret";
        assert_int_equal(sf_cmac_new(&m, secret, strlen(secret), NULL), SF_OK);
    }
    return m;
}

static void store_entries(sf_kv *kv)
{
    sf_lcache *lc = NULL;
    sf_lcache_opts lo = {.kv = kv, .prefix = prefix, .analyzer_version = sf_analyzers_version(),
                         .encode = inv_encode, .decode = sf_inventory_decode, .ttl_ms = 600000,
                         .mac = farm_mac()};
    assert_int_equal(sf_lcache_new(&lc, &lo, NULL), SF_OK);
    const char *cur[] = {"{\"schema\":\"scanfarm.result/v1\",\"digest\":\"" DCUR "\"}"};
    const char *old[] = {"{\"schema\":\"scanfarm.result/v1\",\"digest\":\"" DOLD "\"}"};
    assert_int_equal(sf_lcache_image_put(lc, DCUR, "dbv2|", cur, 1, NULL), SF_OK);
    assert_int_equal(sf_lcache_image_put(lc, DOLD, "dbv1|", old, 1, NULL), SF_OK);
    sf_lcache_free(lc);
}

typedef struct seen {
    int cur, old, nw;
    char reg_old[64], repo_old[128];
} seen;

static void on_job(const sf_kmsg *m, void *arg)
{
    seen *s = arg;
    sf_job j;
    assert_int_equal(sf_job_decode(m->value, m->len, &j, NULL), SF_OK);
    assert_string_equal(j.digest, m->key);
    assert_int_equal(j.kind, SF_JOB_SCAN);
    s->cur += !strcmp(j.digest, DCUR);
    s->nw += !strcmp(j.digest, DNEW);
    if (!strcmp(j.digest, DOLD)) {
        s->old++;
        snprintf(s->reg_old, sizeof s->reg_old, "%s", j.registry);
        snprintf(s->repo_old, sizeof s->repo_old, "%s", j.repository);
        assert_int_equal(j.nrefs, 1);
        assert_string_equal(j.refs[0], "docker.io/library/nginx@" DOLD);
    }
    assert_non_null(strstr(j.run_id, "inventory-"));
    sf_job_clear(&j);
}

static void test_inventory_jobs__current_skipped_others_published(void **state)
{
    (void)state;
    sf_kv *kv = NULL;
    sf_kprod *prod = NULL;
    sf_sched *sched = NULL;
    sf_error e = SF_ERROR_INIT;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    snprintf(prefix, sizeof prefix, "kjobs-test-%d", (int)getpid());
    snprintf(topic, sizeof topic, "kjobs-test-%d", (int)getpid());
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    store_entries(kv);
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    assert_int_equal(sf_kprod_new(&prod, &po, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(prod, topic, 1, 1, 30000, &e), SF_OK);
    sf_sched_opts so = {.kv = kv, .prefix = prefix, .db_version = "dbv2", .mac = farm_mac()};
    assert_int_equal(sf_sched_new(&sched, &so, &e), SF_OK);

    start_server();
    char cafile[128];
    snprintf(cafile, sizeof cafile, "%s/cert.pem", dir);
    sf_kcfg kc = {.server = url, .token = "tok"};
    assert_int_equal(sf_kcfg_read_file(cafile, 1 << 20, &kc.ca_pem, NULL, &e), SF_OK);
    sf_kinv_opts o = {.cluster = "c1", .kcfg = &kc, .kv = kv, .prefix = prefix,
                      .page_size = 2, .watch_timeout_s = 5, .resolve_owners = 1, .prod = prod,
                      .topic = topic, .sched = sched, .once = 1, .backoff_max_ms = 500};
    sf_kinv_stats st;
    int rc = sf_kinv_run(&o, &st, &e);
    if (rc)
        fail_msg("sf_kinv_run: %s", e.msg);
    assert_int_equal(st.pods_put, 4);
    assert_int_equal(st.current, 1);
    assert_int_equal(st.jobs, 2);
    assert_int_equal(sf_kprod_flush(prod, 30000, &e), SF_OK);

    seen s = {0};
    size_t n = 0;
    char grp[128];
    snprintf(grp, sizeof grp, "%s-read", topic);
    assert_int_equal(sf_t_consume_idle(sf_t_kafka(), topic, grp, 300, 10, on_job, &s, &n, &e),
                     SF_OK);
    assert_int_equal(n, 2);
    assert_int_equal(s.cur, 0);
    assert_int_equal(s.old, 1);
    assert_int_equal(s.nw, 1);
    assert_string_equal(s.reg_old, "docker.io");
    assert_string_equal(s.repo_old, "library/nginx");

    /* the aggregator learns how many jobs the inventory's run published */
    char run[64];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(run, sizeof run, "inventory-%Y%m%d", &tm);
    sf_agg_progress pr;
    assert_int_equal(sf_agg_progress_get(kv, prefix, run, &pr, &e), SF_OK);
    assert_int_equal(pr.published, 2);

    /* cleanup: server, keys, topic */
    pclose(server);
    free(kc.ca_pem);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "redis-cli -h %.*s -p %s --raw KEYS '%s:*' | xargs -r redis-cli -h "
                              "%.*s -p %s DEL >/dev/null",
             (int)strcspn(sf_t_redis(), ":"), sf_t_redis(), strchr(sf_t_redis(), ':') + 1,
             prefix, (int)strcspn(sf_t_redis(), ":"), sf_t_redis(),
             strchr(sf_t_redis(), ':') + 1);
    (void)system(cmd);
    sf_kprod_delete_topic(prod, topic, 30000, NULL);
    sf_sched_free(sched);
    sf_kprod_free(prod);
    sf_kv_free(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inventory_jobs__current_skipped_others_published),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
