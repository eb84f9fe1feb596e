/* Unit tests of scanfarm-admission without services: the AdmissionReview
 * parser on good and bad bodies, the response shape, image references,
 * the handler's 400 / 503 / exemption paths (a Redis nobody listens on),
 * and the option table vs docs/admission-config.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "admission.h"
#include "admission_cfg.h"
#include "admission_review.h"
#include "fleet/agg_view.h"
#include "testutil.h"

#define HEAD "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":"
#define REQ(kind, obj)                                                                          \
    HEAD "{\"uid\":\"u-1\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"" kind         \
         "\"},\"namespace\":\"ns1\",\"operation\":\"CREATE\",\"object\":" obj "}}"

static sf_adm_review *parse_ok(const char *s)
{
    sf_adm_review *r = NULL;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_adm_review_parse(s, strlen(s), &r, &e);
    if (rc != SF_OK)
        fail_msg("parse failed: %s", e.msg);
    return r;
}

static void test_admission__fixtures_parse(void **state)
{
    (void)state;
    static const struct {
        const char *file, *kind;
        size_t n;
        sf_kpod_ckind last;
    } cases[] = {{"pod.json", "Pod", 1, SF_KPOD_CONTAINER},
                 {"deployment.json", "Deployment", 1, SF_KPOD_CONTAINER},
                 {"multi.json", "Pod", 3, SF_KPOD_CONTAINER},
                 {"ephemeral.json", "Pod", 2, SF_KPOD_EPHEMERAL},
                 {"digest.json", "CronJob", 1, SF_KPOD_CONTAINER}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[128];
        size_t n;
        snprintf(path, sizeof path, "tests/fixtures/admission/%s", cases[i].file);
        char *t = sf_t_read_file(sf_t_src(path), &n);
        assert_non_null(t);
        /* placeholders of the integration test, filled with plain values */
        for (char *p = t; (p = strstr(p, "@DRY@")) != NULL;)
            memcpy(p, "false", 5);
        sf_adm_review *r = parse_ok(t);
        assert_string_equal(r->kind, cases[i].kind);
        assert_int_equal(r->nimages, cases[i].n);
        assert_int_equal(r->images[r->nimages - 1].kind, cases[i].last);
        assert_non_null(strstr(r->images[0].image, "corpus/alpine"));
        sf_adm_review_free(r);
        free(t);
    }
}

static void test_admission__pod_fields(void **state)
{
    (void)state;
    sf_adm_review *r = parse_ok(
        REQ("Pod", "{\"metadata\":{\"generateName\":\"web-\"},\"spec\":{\"initContainers\":[{"
                   "\"name\":\"i\",\"image\":\"busybox\"}],\"containers\":[{\"name\":\"a\","
                   "\"image\":\"nginx:1.25\"},{\"name\":\"noimage\"}]}}"));
    assert_string_equal(r->uid, "u-1");
    assert_string_equal(r->ns, "ns1");
    assert_string_equal(r->name, "web-");
    assert_string_equal(r->operation, "CREATE");
    assert_int_equal(r->nimages, 2); /* the container without an image is skipped */
    assert_int_equal(r->images[0].kind, SF_KPOD_INIT);
    assert_string_equal(r->images[1].image, "nginx:1.25");
    sf_adm_review_free(r);
    /* an unknown kind and a DELETE have nothing to check */
    r = parse_ok(REQ("ConfigMap", "{\"data\":{}}"));
    assert_int_equal(r->nimages, 0);
    sf_adm_review_free(r);
    r = parse_ok(HEAD "{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"operation\":\"DELETE\","
                      "\"object\":null}}");
    assert_int_equal(r->nimages, 0);
    sf_adm_review_free(r);
}

static void test_admission__bad_reviews(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{}}",
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}",
        HEAD "null}",
        HEAD "{\"kind\":{\"kind\":\"Pod\"}}}",                       /* no uid */
        HEAD "{\"uid\":7,\"kind\":{\"kind\":\"Pod\"}}}",             /* uid not a string */
        HEAD "{\"uid\":\"u\"}}",                                     /* no kind */
        HEAD "{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"dryRun\":\"yes\"}}",
        REQ("Pod", "\"x\""),
        REQ("Pod", "{\"spec\":[]}"),
        REQ("Pod", "{\"spec\":{\"containers\":{}}}"),
        REQ("Pod", "{\"spec\":{\"containers\":[7]}}"),
        REQ("Pod", "{\"spec\":{\"containers\":[{\"image\":5}]}}"),
        REQ("Pod", "{\"spec\":{\"containers\":[{\"image\":\"a\\u0000b\"}]}}"),
        REQ("Deployment", "{\"spec\":{\"template\":{\"spec\":7}}}"),
        "{\"apiVersion\":\"admission.k8s.io/v1\",\"apiVersion\":\"admission.k8s.io/v1\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_adm_review *r = NULL;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_adm_review_parse(bad[i], strlen(bad[i]), &r, &e);
        if (rc == SF_OK)
            fail_msg("case %zu parsed: %s", i, bad[i]);
        assert_int_equal(rc, SF_EPARSE);
        assert_true(e.msg[0] != '\0');
        assert_null(r);
    }
}

static void test_admission__limits(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, HEAD "{\"uid\":\"u\",\"kind\":{\"kind\":\"Pod\"},\"object\":{\"spec\":{"
                         "\"containers\":[");
    for (int i = 0; i <= 256; i++)
        sf_buf_printf(&b, "%s{\"name\":\"c%d\",\"image\":\"x\"}", i ? "," : "", i);
    sf_buf_puts(&b, "]}}}}");
    sf_adm_review *r = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_adm_review_parse(b.data, b.len, &r, &e), SF_ELIMIT);
    assert_null(r);
    sf_buf_free(&b);
}

static void test_admission__response_shape(void **state)
{
    (void)state;
    char longw[600];
    memset(longw, 'w', sizeof longw - 1);
    longw[sizeof longw - 1] = '\0';
    const char *w[] = {"first", longw};
    sf_adm_verdict v = {.allowed = 0, .code = 403, .message = "no", .warnings = w, .nwarnings = 2};
    char *s = sf_adm_response("uid-9", &v);
    json_error_t je;
    json_t *d = json_loads(s, 0, &je), *r = json_object_get(d, "response");
    assert_string_equal(json_string_value(json_object_get(d, "apiVersion")), "admission.k8s.io/v1");
    assert_string_equal(json_string_value(json_object_get(d, "kind")), "AdmissionReview");
    assert_string_equal(json_string_value(json_object_get(r, "uid")), "uid-9");
    assert_true(json_is_false(json_object_get(r, "allowed")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "status"), "code")), 403);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "status"), "message")), "no");
    assert_int_equal(json_array_size(json_object_get(r, "warnings")), 2);
    assert_int_equal(json_string_length(json_array_get(json_object_get(r, "warnings"), 1)), 256);
    json_decref(d);
    free(s);
    sf_adm_verdict ok = {.allowed = 1};
    s = sf_adm_response("u", &ok);
    assert_string_equal(s, "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                           "\"response\":{\"uid\":\"u\",\"allowed\":true}}");
    free(s);
}

static void test_admission__refs(void **state)
{
    (void)state;
    static const struct {
        const char *in, *reg, *repo, *tag, *ref;
        int digest;
    } ok[] = {
        {"nginx", "docker.io", "library/nginx", "latest", "docker.io/library/nginx:latest", 0},
        {"nginx:1.25", "docker.io", "library/nginx", "1.25", "docker.io/library/nginx:1.25", 0},
        {"127.0.0.1:5000/corpus/alpine:3.10.3", "127.0.0.1:5000", "corpus/alpine", "3.10.3",
         "127.0.0.1:5000/corpus/alpine:3.10.3", 0},
        {"reg.io:443/team/app", "reg.io:443", "team/app", "latest", "reg.io:443/team/app:latest", 0},
        {"ghcr.io/o/a@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "ghcr.io", "o/a", "", "", 1},
        {"ghcr.io/o/a:v1@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         "ghcr.io", "o/a", "v1", "ghcr.io/o/a:v1", 1},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sf_adm_ref r;
        sf_error e = SF_ERROR_INIT;
        if (sf_adm_ref_parse(ok[i].in, &r, &e) != SF_OK)
            fail_msg("%s: %s", ok[i].in, e.msg);
        assert_string_equal(r.registry, ok[i].reg);
        assert_string_equal(r.repository, ok[i].repo);
        assert_string_equal(r.tag, ok[i].tag);
        assert_string_equal(r.ref, ok[i].ref);
        assert_int_equal(r.digest[0] != '\0', ok[i].digest);
    }
    static const char *const bad[] = {"", "UPPER/Case:1", "a/b:", "a/b@sha256:zz", "a/b:t@x",
                                      "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_adm_ref r;
        sf_error e = SF_ERROR_INIT;
        if (sf_adm_ref_parse(bad[i], &r, &e) == SF_OK)
            fail_msg("%s parsed", bad[i]);
    }
}

#define POD_IN(ns)                                                                              \
    HEAD "{\"uid\":\"u-2\",\"kind\":{\"kind\":\"Pod\"},\"namespace\":\"" ns "\",\"operation\":"   \
         "\"CREATE\",\"object\":{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":"        \
         "\"reg.example/a@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}]}}}}"

/* The handler's answers that need no fleet view. */
static void test_admission__handler_errors(void **state)
{
    (void)state;
    const char *nodes[] = {"127.0.0.1:1"}; /* nothing listens there */
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1, .connect_timeout_ms = 100,
                     .command_timeout_ms = 100};
    sf_kv *kv = NULL;
    sf_adm *a = NULL;
    sf_error e = SF_ERROR_INIT;
    static const char *exempt[] = {"kube-*"};
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    sf_adm_opts o = {.kv = kv, .min_sev = SF_SEV_CRITICAL, .fixable_only = 1, .budget_ms = 100,
                     .exempt = exempt, .nexempt = 1};
    assert_int_equal(sf_adm_new(&a, &o, &e), SF_OK);
    sf_buf out;
    sf_buf_init(&out, 1 << 20);
    int st = 0;
    sf_adm_handle(a, "{\"kind\":", 8, &out, &st);
    assert_int_equal(st, 400);
    assert_non_null(strstr(out.data, "malformed AdmissionReview"));
    sf_adm_handle(a, NULL, 0, &out, &st);
    assert_int_equal(st, 400);
    char pod[1024];
    snprintf(pod, sizeof pod, POD_IN("ab"));
    sf_adm_handle(a, pod, strlen(pod), &out, &st); /* Redis down: not decided */
    assert_int_equal(st, 503);
    assert_non_null(strstr(out.data, "fleet view unavailable"));
    snprintf(pod, sizeof pod, POD_IN("kube-system"));
    sf_adm_handle(a, pod, strlen(pod), &out, &st); /* exempt: no look-up at all */
    assert_int_equal(st, 200);
    assert_non_null(strstr(out.data, "\"uid\":\"u-2\",\"allowed\":true"));
    sf_buf_free(&out);
    sf_adm_free(a);
    sf_kv_free(kv);
}

static void test_admission__config(void **state)
{
    (void)state;
    sf_admcfg c;
    sf_error e = SF_ERROR_INIT;
    sf_opt_cmd cmd;
    char *argv[] = {"x", "--redis", "r:6379", "--tls-cert", "c", "--tls-key", "k",
                    "--severity", "HIGH", "--unscanned", "deny", "--exempt-namespaces",
                    "kube-system,istio-*"};
    assert_int_equal(sf_admcfg_load(&c, 13, argv, &cmd, &e), SF_OK);
    assert_int_equal(c.min_sev, SF_SEV_HIGH);
    assert_int_equal(c.unscanned_policy, SF_ADM_UNSCANNED_DENY);
    assert_int_equal(c.exempt_namespaces.n, 2);
    assert_int_equal(c.budget_ms, 200);
    assert_true(c.fixable);
    sf_admcfg_free(&c);
    char *nocert[] = {"x", "--redis", "r:6379"};
    assert_int_equal(sf_admcfg_load(&c, 3, nocert, &cmd, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "tls_cert"));
    sf_admcfg_free(&c);
    char *badpol[] = {"x", "--redis", "r:1", "--tls-cert", "c", "--tls-key", "k", "--unscanned",
                      "maybe"};
    assert_int_equal(sf_admcfg_load(&c, 9, badpol, &cmd, &e), SF_ECONFIG);
    sf_admcfg_free(&c);
    /* docs/admission-config.md holds the generated table verbatim */
    size_t n;
    char *doc = sf_t_read_file(sf_t_src("docs/admission-config.md"), &n);
    char *md = sf_admcfg_markdown();
    assert_non_null(doc);
    if (!strstr(doc, md))
        fail_msg("docs/admission-config.md drifted from the option table; regenerate the "
                 "table below the generated marker from sf_admcfg_markdown()");
    free(md);
    free(doc);
}

/* The Redis AUTH/TLS/cluster and Kafka client options every program
 * takes (issue 16): parsed by the one table and handed to the Redis
 * client's options. */
static void test_admission__secured_options(void **state)
{
    (void)state;
    sf_admcfg c;
    sf_error e = SF_ERROR_INIT;
    sf_opt_cmd cmd;
    char *argv[] = {"x", "--redis", "rediss://r:6380", "--tls-cert", "c", "--tls-key", "k",
                    "--redis-username", "scanfarm", "--redis-tls-ca-file", "/ca.pem",
                    "--redis-cluster", "--kafka-security-protocol", "sasl_ssl"};
    assert_int_equal(sf_admcfg_load(&c, 14, argv, &cmd, &e), SF_OK);
    assert_string_equal(c.r.redis_username, "scanfarm");
    assert_int_equal(c.r.redis_cluster, 1);
    assert_int_equal(c.kprops.n, 1);
    assert_string_equal(c.kprops.key[0], "security.protocol");
    assert_string_equal(c.kprops.val[0], "sasl_ssl");
    sf_kv_opts ko = {0};
    sf_fleet_conn_kv_opts(&c.r, &ko);
    assert_string_equal(ko.username, "scanfarm");
    assert_string_equal(ko.tls_ca_file, "/ca.pem");
    assert_int_equal(ko.cluster, 1);
    sf_admcfg_free(&c);
    /* a Kafka secret is never a flag value (the process list shows it) */
    char *leak[] = {"x", "--redis", "r:1", "--tls-cert", "c", "--tls-key", "k", "--kafka-prop",
                    "sasl.password=hunter2"};
    assert_int_equal(sf_admcfg_load(&c, 9, leak, &cmd, &e), SF_ECONFIG);
    assert_null(strstr(e.msg, "hunter2"));
    sf_admcfg_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admission__fixtures_parse),
        cmocka_unit_test(test_admission__pod_fields),
        cmocka_unit_test(test_admission__bad_reviews),
        cmocka_unit_test(test_admission__limits),
        cmocka_unit_test(test_admission__response_shape),
        cmocka_unit_test(test_admission__refs),
        cmocka_unit_test(test_admission__handler_errors),
        cmocka_unit_test(test_admission__config),
        cmocka_unit_test(test_admission__secured_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
