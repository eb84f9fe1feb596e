/*
 * The events intake against the stack's Kafka, in process: each source's
 * payload becomes a job on the priority topic; a burst of 50 tags of one
 * digest from 50 concurrent senders (as Harbor or Event Grid deliver) is
 * ONE job carrying the 50 refs; every sender is answered 200 only after
 * that job's delivery report; a delete is a scanfarm.unref/v1 message on
 * the results topic.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus/msg_job.h"
#include "bus/msg_unref.h"
#include "events.h"
#include "testutil.h"
#include "worker_helpers.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define D2 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define BURST 50

static char g_name[64], g_prio[96], g_results[96];
static sf_coordcfg g_cfg;
static sf_events *g_ev;
static sf_kcons *g_jobs, *g_res;

static int setup(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    sf_kprod *p = NULL;
    char doc[1024], group[128];
    if (!sf_t_addr_up(sf_t_kafka()))
        return -1;
    snprintf(g_name, sizeof g_name, "evmerge-%d", (int)getpid());
    snprintf(g_prio, sizeof g_prio, "%s.jobs.priority", g_name);
    snprintf(g_results, sizeof g_results, "%s.results", g_name);
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    if (sf_kprod_new(&p, &po, &e) != SF_OK || sf_kprod_create_topic(p, g_prio, 3, 1, 15000, &e) ||
        sf_kprod_create_topic(p, g_results, 3, 1, 15000, &e))
        return -1;
    sf_kprod_free(p);
    snprintf(doc, sizeof doc,
             "{\"kafka\":\"%s\",\"results_topic\":\"%s\",\"events_listen\":\"127.0.0.1:0\","
             "\"events_priority_topic\":\"%s\",\"events_merge_ms\":400,\"events_quiet_ms\":0}",
             sf_t_kafka(), g_results, g_prio);
    if (sf_coordcfg_load_text(&g_cfg, doc, strlen(doc), &e) != SF_OK)
        return -1;
    g_cfg.events.token_harbor = strdup("htok");
    g_cfg.events.token_acr = strdup("atok");
    g_cfg.events.token_cloudevents = strdup("ctok");
    sf_events_opts o = {.cfg = &g_cfg};
    if (sf_events_new(&g_ev, &o, &e) != SF_OK)
        return -1;
    snprintf(group, sizeof group, "%s.r1", g_name);
    sf_kcons_opts c1 = {.brokers = sf_t_kafka(), .group = group, .topic = g_prio,
                        .max_in_flight = 1000};
    if (sf_kcons_new(&g_jobs, &c1, NULL) != SF_OK)
        return -1;
    snprintf(group, sizeof group, "%s.r2", g_name);
    sf_kcons_opts c2 = {.brokers = sf_t_kafka(), .group = group, .topic = g_results,
                        .max_in_flight = 1000};
    return sf_kcons_new(&g_res, &c2, NULL) == SF_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sf_kcons_close(g_jobs);
    sf_kcons_close(g_res);
    sf_events_free(g_ev);
    sf_coordcfg_free(&g_cfg);
    wt_delete_topics(sf_t_kafka(), g_prio, g_results, g_results);
    return 0;
}

/* POST body to path on the listener; returns the status. */
static int post(const char *path, const char *auth, const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)sf_events_port(g_ev))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
        return -1;
    char head[512], out[2048];
    int n = snprintf(head, sizeof head,
                     "POST %s HTTP/1.1\r\nHost: t\r\nAuthorization: %s\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     path, auth, strlen(body));
    (void)!send(fd, head, (size_t)n, MSG_NOSIGNAL);
    (void)!send(fd, body, strlen(body), MSG_NOSIGNAL);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < sizeof out && (r = recv(fd, out + got, sizeof out - 1 - got, 0)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
    int status = -1;
    sscanf(out, "HTTP/1.1 %d", &status);
    return status;
}

/* Next message of c within ms, as a malloc'd string (NULL none). */
static char *next(sf_kcons *c, long ms)
{
    uint64_t end = t_now_ms() + (uint64_t)ms;
    while (t_now_ms() < end) {
        sf_kmsg *m = NULL;
        if (sf_kcons_poll(c, 100, &m, NULL) != SF_OK || !m)
            continue;
        char *s = strndup(m->value, m->len);
        sf_kcons_done(c, m);
        return s;
    }
    return NULL;
}

typedef struct sender {
    int i, status;
    uint64_t answered_ms;
} sender;

static void *send_one(void *arg)
{
    sender *s = arg;
    char body[1024];
    snprintf(body, sizeof body,
             "{\"type\":\"PUSH_ARTIFACT\",\"occur_at\":1680501893,\"operator\":\"ci\","
             "\"event_data\":{\"resources\":[{\"digest\":\"" D1 "\",\"tag\":\"t%02d\","
             "\"resource_url\":\"harbor.example.com/library/app:t%02d\"}],\"repository\":{"
             "\"name\":\"app\",\"namespace\":\"library\",\"repo_full_name\":\"library/app\","
             "\"repo_type\":\"private\"}}}",
             s->i, s->i);
    s->status = post("/v1/events/harbor", "htok", body);
    s->answered_ms = t_now_ms();
    return NULL;
}

static void test_events_merge__burst_is_one_job(void **state)
{
    (void)state;
    pthread_t th[BURST];
    sender s[BURST];
    for (int i = 0; i < BURST; i++) {
        s[i] = (sender){.i = i};
        assert_int_equal(pthread_create(&th[i], NULL, send_one, &s[i]), 0);
    }
    for (int i = 0; i < BURST; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(s[i].status, 200);
    }
    char *json = next(g_jobs, 15000);
    assert_non_null(json);
    sf_job j;
    assert_int_equal(sf_job_decode(json, strlen(json), &j, NULL), SF_OK);
    assert_string_equal(j.digest, D1);
    assert_string_equal(j.registry, "harbor.example.com");
    assert_string_equal(j.repository, "library/app");
    assert_int_equal(j.nrefs, BURST);
    assert_int_equal(strncmp(j.run_id, "push-", 5), 0);
    sf_job_clear(&j);
    free(json);
    assert_null(next(g_jobs, 1500)); /* and no second job */
    sf_events_stats st;
    sf_events_stats_get(g_ev, &st);
    assert_int_equal(st.jobs, 1);
    assert_int_equal(st.merged_refs, BURST - 1);
}

static void test_events_merge__sources_and_delete(void **state)
{
    (void)state;
    const char *acr =
        "{\"id\":\"x\",\"timestamp\":\"2017-11-17T16:52:01Z\",\"action\":\"push\",\"target\":{"
        "\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"size\":524,"
        "\"digest\":\"" D2 "\",\"length\":524,\"repository\":\"hello-world\",\"tag\":\"v1\"},"
        "\"request\":{\"id\":\"r\",\"host\":\"myregistry.azurecr.io\",\"method\":\"PUT\","
        "\"useragent\":\"docker\"}}";
    assert_int_equal(post("/v1/events/acr", "Bearer atok", acr), 200);
    char *json = next(g_jobs, 15000);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"refs\":[\"myregistry.azurecr.io/hello-world:v1\"]"));
    free(json);
    const char *ce =
        "{\"specversion\":\"1.0\",\"type\":\"Microsoft.ContainerRegistry.ImageDeleted\","
        "\"source\":\"/subscriptions/s/registries/myregistry\",\"id\":\"1\",\"data\":{\"id\":\"2\","
        "\"action\":\"delete\",\"target\":{\"mediaType\":\"application/vnd.docker."
        "distribution.manifest.v2+json\",\"digest\":\"" D2 "\",\"repository\":\"hello-world\"},"
        "\"request\":{\"id\":\"3\",\"host\":\"myregistry.azurecr.io\",\"method\":\"DELETE\"}}}";
    assert_int_equal(post("/v1/events/cloudevents", "Bearer ctok", ce), 200);
    json = next(g_res, 15000);
    assert_non_null(json);
    sf_unref_msg u;
    assert_int_equal(sf_unref_decode(json, strlen(json), &u, NULL), SF_OK);
    assert_string_equal(u.digest, D2);
    assert_string_equal(u.repository, "hello-world");
    assert_string_equal(u.registry, "myregistry.azurecr.io");
    sf_unref_clear(&u);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_merge__burst_is_one_job),
        cmocka_unit_test(test_events_merge__sources_and_delete),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
