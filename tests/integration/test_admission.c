/* Integration tests of scanfarm-admission's decision (coordinator/admission):
 * real AdmissionReview v1 bodies (tests/fixtures/admission) against a fleet
 * view written under a private key prefix in the stack's Redis, with tags
 * resolved by the stack's registry (the corpus images) and allow-and-scan
 * jobs read back from a private Kafka topic. Every response is checked field
 * by field against the documented shape (Kubernetes "Dynamic Admission
 * Control": apiVersion, kind, response.uid echoed, allowed, status.code and
 * status.message only when denied, warnings). */
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

#include "admission.h"
#include "fleet/agg_view.h"
#include "bus/msg_job.h"
#include "cache/keys.h"
#include "registry/registry.h"
#include "testutil.h"

#define BAD "3.10.3"   /* a CRITICAL finding with a fix in its view */
#define GOOD "3.20.3"  /* only a HIGH with a fix and an unfixed CRITICAL */
#define NONE "3.18.9"  /* no result in the view */
#define BYDIG "3.9.6"  /* referenced by digest in digest.json */

static char prefix[64], shard[SF_KEY_MAX], d_bad[160], d_good[160], d_bydig[160], d_none[160];
static sf_kv *kv;

static void resolve(sf_reg *r, const char *tag, char *out)
{
    char mt[128];
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_reg_resolve(r, "corpus/alpine", tag, out, mt, sizeof mt, &e), SF_OK);
}

static void put_view(const char *digest, const sf_agg_vuln *v, size_t n)
{
    char key[SF_KEY_MAX];
    sf_agg_view view = {.digest = (char *)digest, .job_key = (char *)digest, .run_id = "run-1",
                        .db_version = "db-1", .vulns = (sf_agg_vuln *)v, .nvulns = n,
                        .refs_rank = -1};
    sf_buf b;
    sf_kv_reply *r = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 1 << 20);
    assert_int_equal(sf_agg_view_json(&view, &b), SF_OK);
    assert_int_equal(sf_keys_agg(key, prefix, "views", &e), SF_OK);
    const char *argv[] = {"HSET", key, digest, b.data};
    assert_int_equal(sf_kv_argv(kv, shard, 4, argv, NULL, &r, &e), SF_OK);
    sf_kv_reply_free(r);
    sf_buf_free(&b);
}

static int setup(void **state)
{
    (void)state;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    sf_error e = SF_ERROR_INIT;
    snprintf(prefix, sizeof prefix, "admit-it-%d", (int)getpid());
    assert_int_equal(sf_keys_agg_shard(shard, prefix, &e), SF_OK);
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    char url[300];
    snprintf(url, sizeof url, "http://%s", sf_t_registry());
    sf_reg_opts ro = {.url = url, .insecure = 1};
    sf_reg *r = NULL;
    assert_int_equal(sf_reg_new(&r, &ro, &e), SF_OK);
    resolve(r, BAD, d_bad);
    resolve(r, GOOD, d_good);
    resolve(r, BYDIG, d_bydig);
    resolve(r, NONE, d_none);
    sf_reg_free(r);
    sf_agg_vuln bad[] = {
        {"CVE-2021-36159", "apk-tools", "Alpine:v3.10", "2.10.4-r2", "2.10.7-r0", SF_SEV_CRITICAL,
         9.1, 0, -1, -1, NULL},
        {"CVE-2019-14697", "musl", "Alpine:v3.10", "1.1.22-r3", "1.1.22-r4", SF_SEV_CRITICAL, 9.8,
         0, -1, -1, NULL},
        {"CVE-2020-1967", "openssl", "Alpine:v3.10", "1.1.1d-r0", "1.1.1g-r0", SF_SEV_HIGH, 7.5, 0,
         -1, -1, NULL}};
    sf_agg_vuln good[] = {
        {"CVE-2024-0001", "busybox", "Alpine:v3.20", "1.36.1-r29", "1.36.1-r30", SF_SEV_HIGH, 7.0,
         0, -1, -1, NULL},
        {"CVE-2024-0002", "zlib", "Alpine:v3.20", "1.3.1-r1", NULL, SF_SEV_CRITICAL, 9.0, 0, -1,
         -1, NULL}};
    put_view(d_bad, bad, 3);
    put_view(d_good, good, 2);
    put_view(d_bydig, bad, 2);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *names[] = {"views", "refs"};
    for (size_t i = 0; i < 2; i++) {
        char key[SF_KEY_MAX];
        sf_error e = SF_ERROR_INIT;
        sf_keys_agg(key, prefix, names[i], &e);
        sf_kv_del(kv, shard, key, &e);
    }
    sf_kv_free(kv);
    return 0;
}

/* A fixture with its placeholders filled. */
static char *review(const char *name, const char *tag, const char *ns, int dry)
{
    char path[256];
    size_t n;
    snprintf(path, sizeof path, "tests/fixtures/admission/%s", name);
    char *t = sf_t_read_file(sf_t_src(path), &n);
    assert_non_null(t);
    struct { const char *k, *v; } subs[] = {{"@REG@", sf_t_registry()}, {"@TAG@", tag},
                                            {"@GOOD@", GOOD}, {"@BAD@", BAD},
                                            {"@NS@", ns}, {"@DRY@", dry ? "true" : "false"},
                                            {"@DIGEST@", d_bydig}};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char *p;
        while ((p = strstr(t, subs[i].k)) != NULL) {
            size_t kl = strlen(subs[i].k), vl = strlen(subs[i].v), tl = strlen(t);
            char *u = malloc(tl - kl + vl + 1);
            memcpy(u, t, (size_t)(p - t));
            memcpy(u + (p - t), subs[i].v, vl);
            memcpy(u + (p - t) + vl, p + kl, tl - (size_t)(p - t) - kl + 1);
            free(t);
            t = u;
        }
    }
    return t;
}

typedef struct verdict {
    int http;
    int allowed;
    long code;          /* 0 when no status */
    char message[4096]; /* "" when no status */
    size_t nwarnings;
    char warnings[4096]; /* joined with '\n' */
} verdict;

static sf_adm_opts opts(void)
{
    sf_adm_opts o = {.kv = kv, .prefix = prefix, .min_sev = SF_SEV_CRITICAL, .fixable_only = 1,
                     .unscanned = SF_ADM_UNSCANNED_ALLOW, .budget_ms = 2000, .tag_ttl_ms = 30000,
                     .resolve_tags = 1};
    static const char *insecure[] = {"*"};
    static const char *exempt[] = {"kube-system"};
    o.insecure = insecure, o.ninsecure = 1;
    o.exempt = exempt, o.nexempt = 1;
    return o;
}

/* Run one review and check the response's shape field by field. */
static void ask(const sf_adm_opts *o, const char *body, verdict *v)
{
    sf_adm *a = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf out;
    memset(v, 0, sizeof *v);
    assert_int_equal(sf_adm_new(&a, o, &e), SF_OK);
    sf_buf_init(&out, 1 << 20);
    sf_adm_handle(a, body, strlen(body), &out, &v->http);
    sf_adm_free(a);
    if (v->http != 200) {
        sf_buf_free(&out);
        return;
    }
    json_error_t je;
    json_t *req = json_loads(body, 0, &je), *doc = json_loadb(out.data, out.len, 0, &je);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "apiVersion")), "admission.k8s.io/v1");
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "AdmissionReview");
    json_t *r = json_object_get(doc, "response");
    assert_true(json_is_object(r));
    assert_string_equal(json_string_value(json_object_get(r, "uid")),
                        json_string_value(json_object_get(json_object_get(req, "request"), "uid")));
    assert_true(json_is_boolean(json_object_get(r, "allowed")));
    v->allowed = json_is_true(json_object_get(r, "allowed"));
    json_t *st = json_object_get(r, "status"), *w = json_object_get(r, "warnings"), *x;
    if (v->allowed) {
        assert_null(st);
    } else {
        assert_true(json_is_integer(json_object_get(st, "code")));
        assert_true(json_is_string(json_object_get(st, "message")));
        v->code = (long)json_integer_value(json_object_get(st, "code"));
        snprintf(v->message, sizeof v->message, "%s",
                 json_string_value(json_object_get(st, "message")));
    }
    if (w) {
        size_t i;
        assert_true(json_is_array(w) && json_array_size(w) > 0);
        json_array_foreach(w, i, x) {
            assert_true(json_is_string(x));
            assert_true(json_string_length(x) <= 256);
            strncat(v->warnings, json_string_value(x), sizeof v->warnings - strlen(v->warnings) - 2);
            strcat(v->warnings, "\n");
        }
        v->nwarnings = json_array_size(w);
    }
    json_decref(doc);
    json_decref(req);
    sf_buf_free(&out);
}

static void test_admission__pod_bad_tag_denied(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    verdict v;
    char *b = review("pod.json", BAD, "default", 0);
    ask(&o, b, &v);
    assert_int_equal(v.http, 200);
    assert_false(v.allowed);
    assert_int_equal(v.code, 403);
    /* the worst advisories, worst first, with their fixed versions; the HIGH is not named */
    assert_non_null(strstr(v.message, "container app"));
    assert_non_null(strstr(v.message, "CVE-2019-14697 (CRITICAL) in musl 1.1.22-r3, fixed in 1.1.22-r4"));
    assert_non_null(strstr(v.message, "CVE-2021-36159"));
    assert_true(strstr(v.message, "CVE-2019-14697") < strstr(v.message, "CVE-2021-36159"));
    assert_null(strstr(v.message, "CVE-2020-1967"));
    assert_non_null(strstr(v.message, "2 findings at or above CRITICAL with a fix"));
    assert_int_equal(v.nwarnings, 0);
    free(b);
}

static void test_admission__deployment_clean_allowed(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    verdict v;
    char *b = review("deployment.json", GOOD, "prod", 0);
    ask(&o, b, &v);
    assert_int_equal(v.http, 200);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    free(b);
    /* the same Deployment with the bad image: its pod template is what is judged */
    b = review("deployment.json", BAD, "prod", 0);
    ask(&o, b, &v);
    assert_false(v.allowed);
    assert_non_null(strstr(v.message, "container api"));
    free(b);
    /* HIGH as threshold: the clean image's fixable HIGH now denies */
    o.min_sev = SF_SEV_HIGH;
    b = review("deployment.json", GOOD, "prod", 0);
    ask(&o, b, &v);
    assert_false(v.allowed);
    assert_non_null(strstr(v.message, "CVE-2024-0001 (HIGH) in busybox"));
    free(b);
}

static void test_admission__multi_container_one_bad(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    verdict v;
    char *b = review("multi.json", "", "prod", 0);
    ask(&o, b, &v);
    assert_false(v.allowed);
    assert_non_null(strstr(v.message, "container sidecar"));
    assert_null(strstr(v.message, "container api"));
    assert_null(strstr(v.message, "migrate"));
    free(b);
}

static void test_admission__ephemeral_container(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    verdict v;
    char *b = review("ephemeral.json", "", "prod", 0);
    ask(&o, b, &v);
    assert_false(v.allowed);
    assert_non_null(strstr(v.message, "ephemeral container debugger-x7k2p"));
    assert_null(strstr(v.message, "container app"));
    free(b);
}

static void test_admission__cronjob_by_digest(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    o.resolve_tags = 0; /* a digest needs no registry */
    verdict v;
    char *b = review("digest.json", "", "batch", 0);
    ask(&o, b, &v);
    assert_false(v.allowed);
    assert_non_null(strstr(v.message, "container report"));
    assert_non_null(strstr(v.message, d_bydig));
    free(b);
}

static void test_admission__tag_through_ref_map(void **state)
{
    (void)state;
    /* no registry resolution: the fleet view's ref map names the digest */
    char key[SF_KEY_MAX], ref[300];
    sf_error e = SF_ERROR_INIT;
    sf_kv_reply *r = NULL;
    assert_int_equal(sf_keys_agg(key, prefix, "refs", &e), SF_OK);
    snprintf(ref, sizeof ref, "%s/corpus/alpine:%s", sf_t_registry(), BAD);
    const char *argv[] = {"HSET", key, ref, d_bad};
    assert_int_equal(sf_kv_argv(kv, shard, 4, argv, NULL, &r, &e), SF_OK);
    sf_kv_reply_free(r);
    sf_adm_opts o = opts();
    o.resolve_tags = 0;
    verdict v;
    char *b = review("pod.json", BAD, "default", 0);
    ask(&o, b, &v);
    assert_false(v.allowed);
    free(b);
    /* a tag neither the registry (not asked) nor the map knows: unscanned */
    b = review("pod.json", NONE, "default", 0);
    ask(&o, b, &v);
    assert_true(v.allowed);
    assert_non_null(strstr(v.warnings, "tag could not be resolved"));
    free(b);
}

static void test_admission__unscanned_policies(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    verdict v;
    char *b = review("pod.json", NONE, "default", 0);
    ask(&o, b, &v); /* allow */
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    assert_non_null(strstr(v.warnings, "admitted unchecked: it has no scan result"));
    o.unscanned = SF_ADM_UNSCANNED_DENY;
    ask(&o, b, &v);
    assert_false(v.allowed);
    assert_int_equal(v.code, 403);
    assert_non_null(strstr(v.message, "policy: deny unscanned images"));
    free(b);
}

static void count_job(const sf_kmsg *m, void *arg)
{
    sf_job j;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_job_decode(m->value, m->len, &j, &e), SF_OK);
    assert_string_equal(j.digest, d_none);
    assert_string_equal(j.repository, "corpus/alpine");
    assert_int_equal(j.nrefs, 1);
    assert_non_null(strstr(j.refs[0], ":" NONE));
    (*(int *)arg)++;
    sf_job_clear(&j);
}

static void test_admission__allow_and_scan_queues_once(void **state)
{
    (void)state;
    char topic[64], grp[64];
    snprintf(topic, sizeof topic, "admit-it-jobs-%d", (int)getpid());
    snprintf(grp, sizeof grp, "admit-it-%d", (int)getpid());
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka(), .client_id = "admit-it"};
    assert_int_equal(sf_kprod_new(&p, &po, &e), SF_OK);
    assert_int_equal(sf_kprod_create_topic(p, topic, 1, 1, 10000, &e), SF_OK);
    sf_adm_opts o = opts();
    o.unscanned = SF_ADM_UNSCANNED_SCAN;
    o.jobs = p;
    o.jobs_topic = topic;
    verdict v;
    char *dry = review("pod.json", NONE, "default", 1);
    ask(&o, dry, &v); /* a dry run queues nothing */
    assert_true(v.allowed);
    free(dry);
    sf_adm *a = NULL;
    assert_int_equal(sf_adm_new(&a, &o, &e), SF_OK);
    char *b = review("pod.json", NONE, "default", 0);
    sf_buf out;
    sf_buf_init(&out, 1 << 20);
    int st;
    for (int i = 0; i < 3; i++) { /* three pods of one image: one job */
        sf_adm_handle(a, b, strlen(b), &out, &st);
        assert_int_equal(st, 200);
        assert_non_null(strstr(out.data, "a scan is queued"));
        assert_non_null(strstr(out.data, "\"allowed\":true"));
    }
    sf_adm_free(a);
    assert_int_equal(sf_kprod_flush(p, 10000, &e), SF_OK);
    int jobs = 0;
    size_t n = 0;
    assert_int_equal(sf_t_consume_idle(sf_t_kafka(), topic, grp, 500, 6, count_job, &jobs, &n, &e),
                     SF_OK);
    assert_int_equal(jobs, 1);
    sf_kprod_delete_topic(p, topic, 10000, &e);
    sf_kprod_free(p);
    sf_buf_free(&out);
    free(b);
}

static void test_admission__audit_and_exempt(void **state)
{
    (void)state;
    sf_adm_opts o = opts();
    o.audit = 1;
    verdict v;
    char *b = review("pod.json", BAD, "default", 0);
    ask(&o, b, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 1);
    assert_non_null(strstr(v.warnings, "audit, not enforced"));
    assert_non_null(strstr(v.warnings, "CVE-2019-14697"));
    free(b);
    o.audit = 0;
    b = review("pod.json", BAD, "kube-system", 0);
    ask(&o, b, &v);
    assert_true(v.allowed);
    assert_int_equal(v.nwarnings, 0);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admission__pod_bad_tag_denied),
        cmocka_unit_test(test_admission__deployment_clean_allowed),
        cmocka_unit_test(test_admission__multi_container_one_bad),
        cmocka_unit_test(test_admission__ephemeral_container),
        cmocka_unit_test(test_admission__cronjob_by_digest),
        cmocka_unit_test(test_admission__tag_through_ref_map),
        cmocka_unit_test(test_admission__unscanned_policies),
        cmocka_unit_test(test_admission__allow_and_scan_queues_once),
        cmocka_unit_test(test_admission__audit_and_exempt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
