/*
 * The running view joined with the fleet view, on the stack's Redis under
 * a private prefix: `query running` (worst first, --severity, --fixable,
 * --namespace, pods counted once per workload), the "running: N pods in
 * ns/workload" notes of `query cve` (text and JSON) and `query image`, and
 * the report's "running now" section (table, JSON, HTML). A platform image
 * counts as running when the index it belongs to runs (what runtimes
 * report for multi-arch tags); a running pod leaving takes its image out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg_fix.h"
#include "agg.h"
#include "cache/keys.h"
#include "fleet/report.h"
#include "fleet/running.h"
#include "testutil.h"

static sf_kv *kv;
static char prefix[64];
static char shard[SF_KEY_MAX];

static void wipe(void) { sf_t_redis_del_prefix(prefix); }

static void apply_p(sf_agg *a, char dc, const char *index_dc, const char *platform,
                    const char *refs, const char *vulns)
{
    sf_buf b;
    char d[72], idx[72], *doc;
    sf_buf_init(&b, 1u << 20);
    fix_result(&b, dc, "r1", "db1", "2026-01-01T00:00:01Z", refs, vulns, NULL);
    doc = b.data;
    if (platform) { /* fix_result writes linux/amd64 */
        char *pl = strstr(doc, "linux/amd64");
        memcpy(pl, platform, strlen(platform)); /* same length: "linux/arm64" */
    }
    if (index_dc) { /* a platform image of an index */
        char *at = strstr(doc, "\"platform\"");
        sf_buf nb;
        sf_buf_init(&nb, 1u << 20);
        sf_buf_printf(&nb, "%.*s\"index_digest\":\"%s\",%s", (int)(at - doc), doc,
                      fix_digest(*index_dc, idx), at);
        sf_buf_free(&b);
        b = nb;
    }
    sf_agg_outcome oc;
    sf_error e = SF_ERROR_INIT;
    if (sf_agg_apply_result(a, b.data, b.len, &oc, &e) != SF_OK)
        fail_msg("apply: %s", e.msg);
    (void)d;
    sf_buf_free(&b);
}

static void apply(sf_agg *a, char dc, const char *index_dc, const char *refs, const char *vulns)
{
    apply_p(a, dc, index_dc, NULL, refs, vulns);
}

/* One running pod: containers "name=digestchar" separated by ','. */
static void run_pod_p(const char *ns, const char *pod, const char *owner, const char *platform,
                      const char *ctrs)
{
    char field[256], d[72];
    sf_buf v;
    sf_buf_init(&v, 1u << 16);
    if (platform)
        sf_buf_printf(&v, "{\"platform\":\"%s\",", platform);
    sf_buf_printf(&v, "%s\"node\":\"n1\",%s%s%s\"containers\":[", platform ? "" : "{", owner ? "\"owner\":{\"kind\":"
                                                                   "\"Deployment\",\"name\":\""
                                                                 : "",
                  owner ? owner : "", owner ? "\"}," : "");
    for (const char *p = ctrs; *p;) {
        size_t n = strcspn(p, ",");
        sf_buf_printf(&v, "%s{\"name\":\"%.*s\",\"kind\":\"container\",\"image\":\"img:%c\","
                          "\"digest\":\"%s\",\"since\":1}",
                      p == ctrs ? "" : ",", (int)(n - 2), p, p[n - 1], fix_digest(p[n - 1], d));
        p += n + (p[n] == ',');
    }
    sf_buf_puts(&v, "]}");
    snprintf(field, sizeof field, "%s/%s", ns, pod);
    const char *f[] = {field}, *vals[] = {v.data};
    assert_int_equal(sf_running_put(kv, prefix, "k1", f, vals, 1, NULL), SF_OK);
    sf_buf_free(&v);
}

static void run_pod(const char *ns, const char *pod, const char *owner, const char *ctrs)
{
    run_pod_p(ns, pod, owner, NULL, ctrs);
}

#define CRIT_A "CVE-2026-0001:openssl:1.1.1:1.1.2:CRITICAL;CVE-2026-0002:zlib:1.2:-:HIGH"

static void seed(void)
{
    sf_agg *a = NULL;
    assert_int_equal(sf_agg_new(&a, kv, prefix, NULL), SF_OK);
    apply(a, 'a', NULL, "reg.io/pay:1", CRIT_A);
    apply(a, 'b', NULL, "reg.io/web:2", "CVE-2026-0003:musl:1.1:1.2:LOW");
    apply(a, 'c', "e", "reg.io/multi:1", "CVE-2026-0001:openssl:1.1.1:-:HIGH");
    /* the index's arm64 image: not running, its node is amd64 */
    apply_p(a, 'f', "e", "linux/arm64", "reg.io/multi:1", "CVE-2026-0004:curl:7:8:CRITICAL");
    apply(a, 'd', NULL, "reg.io/idle:1", "CVE-2026-0001:openssl:1.1.1:1.1.2:CRITICAL");
    sf_agg_free(a);
    run_pod("prod", "payments-1", "payments", "app=a,side=a");
    run_pod("prod", "payments-2", "payments", "app=a");
    run_pod("dev", "web-0", NULL, "web=b");
    run_pod_p("prod", "multi-0", NULL, "linux/amd64", "m=e"); /* the index digest runs */
}

static int setup(void **state)
{
    (void)state;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    snprintf(prefix, sizeof prefix, "run-test-%d", (int)getpid());
    assert_int_equal(sf_kv_new(&kv, &o, NULL), SF_OK);
    assert_int_equal(sf_kv_ping(kv, 0, NULL), SF_OK);
    sf_keys_agg_shard(shard, prefix, NULL);
    seed();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wipe();
    sf_kv_free(kv);
    return 0;
}

static char *query_running(int min_sev, int fixable, const char *ns, int json)
{
    sf_buf b;
    sf_error e = SF_ERROR_INIT;
    sf_query_running_opts o = {.min_sev = min_sev, .fixable = fixable, .ns = ns};
    sf_buf_init(&b, 1u << 20);
    assert_int_equal(sf_query_running(kv, prefix, &o, json, &b, &e), SF_OK);
    return sf_buf_steal(&b, NULL);
}

static void test_running_query__worst_first_and_filters(void **state)
{
    (void)state;
    char *s = query_running(-1, 0, NULL, 0);
    fputs(s, stderr); /* the table, for the test log */
    char *pay = strstr(s, "Deployment/payments"), *multi = strstr(s, "Pod/multi-0"),
         *web = strstr(s, "Pod/web-0");
    assert_non_null(pay);
    assert_non_null(multi); /* platform image of the running index */
    assert_non_null(web);
    assert_true(pay < multi && multi < web); /* CRITICAL, then HIGH, then LOW */
    assert_null(strstr(s, "idle"));          /* registry-only */
    assert_null(strstr(s, "linux/arm64"));   /* the index's other platform does not run */
    /* payments: 2 pods (3 containers), 1 critical 1 high, 1 fixable */
    assert_non_null(strstr(s, "   1    1    0    0    1    2  k1"));
    free(s);
    s = query_running(SF_SEV_HIGH, 0, NULL, 0);
    assert_null(strstr(s, "web-0"));
    assert_non_null(strstr(s, "multi-0"));
    free(s);
    s = query_running(-1, 1, NULL, 0); /* fixable only: multi's HIGH has no fix */
    assert_null(strstr(s, "multi-0"));
    assert_non_null(strstr(s, "   1    0    0    0    1    2  k1")); /* payments: the fixable one */
    free(s);
    s = query_running(-1, 0, "dev", 1);
    json_t *j = json_loads(s, 0, NULL);
    assert_int_equal(json_array_size(j), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "workload")),
                        "Pod/web-0");
    json_decref(j);
    free(s);
}

/* The CLI: `scanfarm query running` with its filters, and a bad severity. */
static void test_running_query__cli(void **state)
{
    (void)state;
    char cmd[1024], out[8192] = "";
    snprintf(cmd, sizeof cmd, "%s/scanfarm query running --severity critical --namespace prod "
                              "--redis %s --prefix %s", getenv("SF_BIN"), sf_t_redis(), prefix);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
    assert_non_null(strstr(out, "Deployment/payments"));
    assert_null(strstr(out, "multi-0")); /* HIGH only */
    assert_null(strstr(out, "web-0"));
    snprintf(cmd, sizeof cmd, "%s/scanfarm query running --severity urgent --redis %s "
                              "--prefix %s 2>/dev/null", getenv("SF_BIN"), sf_t_redis(), prefix);
    assert_int_equal(WEXITSTATUS(system(cmd)), 64);
    snprintf(cmd, sizeof cmd, "%s/scanfarm query image reg.io/pay:1 --redis %s --prefix %s "
                              "2>&1 >/dev/null", getenv("SF_BIN"), sf_t_redis(), prefix);
    f = popen(cmd, "r");
    n = fread(out, 1, sizeof out - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
    assert_string_equal(out, "running: 2 pods in prod/payments\n"); /* on stderr */
}

static void test_running_query__cve_and_image_notes(void **state)
{
    (void)state;
    sf_buf b, note;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 1u << 20);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2026-0001", 0, &b, &e), SF_OK);
    assert_non_null(strstr(b.data, "\trunning: 2 pods in prod/payments\n"));
    assert_non_null(strstr(b.data, "\trunning: 1 pod in prod/multi-0\n"));
    assert_non_null(strstr(b.data, "reg.io/idle:1"));
    assert_int_equal(strstr(strstr(b.data, "reg.io/idle:1"), "\n\trunning") ==
                         strstr(b.data, "reg.io/idle:1") + strcspn(strstr(b.data, "reg.io/idle:1"),
                                                                  "\n"),
                     0); /* no running line right after the idle image */
    sf_buf_reset(&b);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2026-0001", 1, &b, &e), SF_OK);
    json_t *j = json_loads(b.data, 0, NULL);
    size_t i, running = 0;
    json_t *row;
    json_array_foreach(j, i, row)
    {
        const char *r = json_string_value(json_object_get(row, "running"));
        running += r != NULL;
        if (strcmp(json_string_value(json_object_get(row, "ref")), "reg.io/idle:1") == 0)
            assert_null(r);
    }
    assert_int_equal(running, 2);
    json_decref(j);
    sf_buf_reset(&b);
    assert_int_equal(sf_query_image(kv, prefix, "reg.io/pay:1", &b, &e), SF_OK);
    sf_buf_init(&note, 4096);
    assert_int_equal(sf_query_image_running(kv, prefix, &b, &note, &e), SF_OK);
    assert_string_equal(note.data, "running: 2 pods in prod/payments\n");
    sf_buf_reset(&b);
    sf_buf_reset(&note);
    assert_int_equal(sf_query_image(kv, prefix, "reg.io/idle:1", &b, &e), SF_OK);
    assert_int_equal(sf_query_image_running(kv, prefix, &b, &note, &e), SF_OK);
    assert_string_equal(note.data, "running: no\n");
    sf_buf_free(&note);
    sf_buf_free(&b);
}

static void test_running_query__report_leads_with_running_now(void **state)
{
    (void)state;
    sf_report *r = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf b;
    assert_int_equal(sf_report_load(&r, kv, prefix, NULL, &e), SF_OK);
    sf_buf_init(&b, 1u << 22);
    assert_int_equal(sf_report_table(r, &b), SF_OK);
    fprintf(stderr, "%.1200s\n", b.data);
    char *rn = strstr(b.data, "RUNNING NOW"), *reg = strstr(b.data, "REGISTRY");
    assert_non_null(rn);
    assert_true(rn < reg);
    assert_non_null(strstr(rn, "reg.io/pay:1"));
    assert_non_null(strstr(rn, "2 pods in prod/payments"));
    assert_non_null(strstr(rn, "registry-only images (not running): 2\n"));
    assert_true(strstr(rn, "reg.io/web:2") == NULL || strstr(rn, "reg.io/web:2") > reg);
    sf_buf_reset(&b);
    assert_int_equal(sf_report_json(r, &b), SF_OK);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "running_now")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "registry_only_images")), 2);
    json_decref(j);
    sf_buf_reset(&b);
    assert_int_equal(sf_report_html(r, &b), SF_OK);
    assert_non_null(strstr(b.data, "<h2>Running now</h2>"));
    assert_non_null(strstr(b.data, "<p>Registry-only images (not running): 2.</p>"));
    sf_buf_free(&b);
    sf_report_free(r);
    /* the pods go: nothing runs, every image is registry-only */
    const char *f[] = {"prod/payments-1", "prod/payments-2", "dev/web-0", "prod/multi-0"};
    assert_int_equal(sf_running_del(kv, prefix, "k1", f, 4, NULL), SF_OK);
    char *s = query_running(-1, 0, NULL, 1);
    assert_string_equal(s, "[]\n");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running_query__worst_first_and_filters),
        cmocka_unit_test(test_running_query__cve_and_image_notes),
        cmocka_unit_test(test_running_query__cli),
        cmocka_unit_test(test_running_query__report_leads_with_running_now),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
