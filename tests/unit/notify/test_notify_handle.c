/* Unit tests of aggregator/notify/notify's selection and grouping: a delta goes
 * through sf_notify_handle with a dry-run sender (no network, no Redis);
 * what it would send is read back from the dry-run stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify.h"

static const char *env(const char *n)
{
    (void)n;
    return "https://hooks.example/secret-path";
}

#define DIG "sha256:3ab3000000000000000000000000000000000000000000000000000000000000"
#define F(id, sev, fixed)                                                                       \
    "{\"id\":\"" id "\",\"package\":\"p-" id "\",\"installed\":\"1\",\"fixed\":" fixed       \
    ",\"severity\":\"" sev "\"}"

typedef struct run {
    char *out;      /* dry-run stream */
    char *dlq;      /* DLQ stream */
    double sent[3]; /* hook, chat, gh */
    double failed;
} run;

static void handle(const char *policy, const char *delta, run *r)
{
    sf_nrules *rules = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_nrules_parse(&rules, policy, strlen(policy), env, &e), SF_OK);
    size_t n1 = 0, n2 = 0;
    FILE *out = open_memstream(&r->out, &n1), *dlq = open_memstream(&r->dlq, &n2);
    sf_nsend *s = NULL;
    sf_nsend_opts so = {0, 1, 1, 1000, out, NULL};
    assert_int_equal(sf_nsend_new(&s, &so, &e), SF_OK);
    sf_metrics *m = NULL;
    assert_int_equal(sf_metrics_new(&m), SF_OK);
    sf_notify *n = NULL;
    sf_notify_opts no = {rules, s, NULL, "t", 0, NULL, NULL, dlq, m};
    assert_int_equal(sf_notify_new(&n, &no, &e), SF_OK);
    assert_int_equal(sf_notify_handle(n, delta, strlen(delta), &e), SF_OK);
    r->sent[0] = sf_notify_count(n, "hook", "sent");
    r->sent[1] = sf_notify_count(n, "chat", "sent");
    r->sent[2] = sf_notify_count(n, "gh", "sent");
    r->failed = sf_notify_count(n, "-", "failed");
    sf_notify_free(n);
    sf_metrics_free(m);
    sf_nsend_free(s);
    sf_nrules_free(rules);
    fclose(out);
    fclose(dlq);
}

static void run_free(run *r)
{
    free(r->out);
    free(r->dlq);
}

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        k++;
    return k;
}

#define POLICY(group, extra)                                                                    \
    "{\"sinks\":{\"hook\":{\"type\":\"webhook\",\"url_env\":\"X\"},\"chat\":{\"type\":"        \
    "\"slack\",\"url_env\":\"X\"},\"gh\":{\"type\":\"github\",\"repo\":\"a/b\",\"token_env\":" \
    "\"X\"}},\"rules\":[{\"name\":\"crit\",\"severity\":\"CRITICAL\",\"fixable\":true,"       \
    "\"repositories\":[\"team/*\"],\"sinks\":[\"hook\",\"chat\",\"gh\"],\"group\":\"" group  \
    "\"}" extra "]}"

#define DELTA(refs, added, removed)                                                             \
    "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"" DIG "\",\"refs\":" refs              \
    ",\"db_version\":\"v2\",\"added\":" added ",\"removed\":" removed "}"

static void test_notify_handle__group_image(void **state)
{
    (void)state;
    run r = {0};
    handle(POLICY("image", ""),
           DELTA("[\"reg.io/team/api:1\"]",
                 "[" F("CVE-1", "CRITICAL", "\"2\"") "," F("CVE-2", "CRITICAL", "\"2\"") ","
                 F("CVE-3", "LOW", "\"2\"") "," F("CVE-4", "CRITICAL", "null") "]",
                 "[]"),
           &r);
    /* one webhook and one Slack message with the two matching findings;
     * one issue per advisory whatever the grouping */
    assert_int_equal(r.sent[0], 1);
    assert_int_equal(r.sent[1], 1);
    assert_int_equal(r.sent[2], 2);
    assert_int_equal(count(r.out, "DRY-RUN POST webhook:hook"), 1);
    assert_int_equal(count(r.out, "DRY-RUN POST slack:chat"), 1);
    assert_int_equal(count(r.out, "/repos/a/b/issues\n"), 2);
    assert_int_equal(count(r.out, "CVE-3"), 0); /* LOW */
    assert_int_equal(count(r.out, "CVE-4"), 0); /* not fixable */
    assert_null(strstr(r.out, "secret-path")); /* the URL is shown by sink name only */
    run_free(&r);
}

static void test_notify_handle__group_finding_and_refs(void **state)
{
    (void)state;
    run r = {0};
    handle(POLICY("finding", ""),
           DELTA("[\"other.io/x/y:1\",\"reg.io/team/api:1\"]",
                 "[" F("CVE-1", "CRITICAL", "\"2\"") "," F("CVE-2", "CRITICAL", "\"2\"") "]",
                 "[]"),
           &r);
    assert_int_equal(r.sent[0], 2); /* the second ref matches the repository glob */
    assert_int_equal(r.sent[1], 2);
    run_free(&r);
    r = (run){0};
    handle(POLICY("finding", ""),
           DELTA("[\"reg.io/billing/api:1\"]", "[" F("CVE-1", "CRITICAL", "\"2\"") "]", "[]"),
           &r);
    assert_int_equal(r.sent[0] + r.sent[1] + r.sent[2], 0);
    run_free(&r);
}

static void test_notify_handle__removed(void **state)
{
    (void)state;
    run r = {0};
    /* CVE-1 changed its fixed version (in both lists): the webhook hears of
     * both, the issue is not closed (dry-run shows no close for it). */
    handle(POLICY("image", ""),
           DELTA("[\"reg.io/team/api:1\"]", "[" F("CVE-1", "CRITICAL", "\"3\"") "]",
                 "[" F("CVE-1", "CRITICAL", "\"2\"") "," F("CVE-2", "CRITICAL", "\"2\"") "]"),
           &r);
    assert_int_equal(r.sent[0], 2);
    assert_int_equal(count(r.out, "findings.removed"), 1);
    assert_int_equal(count(r.out, "findings.added"), 1);
    assert_int_equal(r.sent[2], 2); /* create CVE-1; close CVE-2 (no-op in dry-run) */
    run_free(&r);
}

static void test_notify_handle__two_rules_one_sink(void **state)
{
    (void)state;
    run r = {0};
    /* a second rule naming the same sink does not send the finding twice */
    handle(POLICY("finding", ",{\"name\":\"all\",\"sinks\":[\"hook\"]}"),
           DELTA("[\"reg.io/team/api:1\"]",
                 "[" F("CVE-1", "CRITICAL", "\"2\"") "," F("CVE-9", "MEDIUM", "null") "]", "[]"),
           &r);
    assert_int_equal(r.sent[0], 2);
    assert_int_equal(count(r.out, "\"rules\":[\"crit\"]"), 1);
    assert_int_equal(count(r.out, "\"rules\":[\"all\"]"), 1);
    run_free(&r);
}

static void test_notify_handle__azure_devops_dry_run(void **state)
{
    (void)state;
    run r = {0};
    handle("{\"sinks\":{\"ado\":{\"type\":\"azure-devops\",\"api\":\"https://dev.azure.com/"
           "acme\",\"project\":\"Pay Ments\",\"work_item_type\":\"User Story\",\"token_env\":"
           "\"X\"}},\"rules\":[{\"sinks\":[\"ado\"]}]}",
           DELTA("[\"reg.io/team/api:1\"]", "[" F("CVE-1", "CRITICAL", "\"2\"") "]", "[]"), &r);
    /* JSON Patch to the work item type's URL, names percent-encoded */
    assert_non_null(strstr(r.out, "DRY-RUN POST https://dev.azure.com/acme/Pay%20Ments/_apis/wit/"
                                  "workitems/$User%20Story?api-version=7.1\n[{\"op\":\"add\","
                                  "\"path\":\"/fields/System.Title\""));
    assert_non_null(strstr(r.out, "\"path\":\"/fields/System.Tags\",\"value\":\"scanfarm; "
                                  "scanfarm-"));
    assert_non_null(strstr(r.out, "\"path\":\"/fields/System.Description\",\"value\":\"<pre>"));
    run_free(&r);
}

static void test_notify_handle__malformed_to_dlq(void **state)
{
    (void)state;
    run r = {0};
    handle(POLICY("image", ""), "{\"schema\":\"scanfarm.findings/v1\",\"digest\":1}", &r);
    assert_int_equal(r.failed, 1);
    json_t *d = json_loads(r.dlq, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "schema")), "scanfarm.notify.dlq/v1");
    assert_string_equal(json_string_value(json_object_get(d, "code")), "parse");
    assert_non_null(strstr(json_string_value(json_object_get(d, "reason")), "digest"));
    json_decref(d);
    assert_int_equal(strlen(r.out), 0);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_handle__group_image),
        cmocka_unit_test(test_notify_handle__group_finding_and_refs),
        cmocka_unit_test(test_notify_handle__removed),
        cmocka_unit_test(test_notify_handle__two_rules_one_sink),
        cmocka_unit_test(test_notify_handle__azure_devops_dry_run),
        cmocka_unit_test(test_notify_handle__malformed_to_dlq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
