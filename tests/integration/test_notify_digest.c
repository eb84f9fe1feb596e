/* scanfarm-notify's digest grouping (coordinator/notify_digest.c) on the
 * stack's Redis, with a dry-run sender (what would be sent is read back):
 * deltas of a `group: digest` rule send nothing at once; when the window
 * has passed (its start is moved back in Redis rather than waiting) one
 * message per sink carries every image of the window; a redelivered delta
 * is deduplicated, not queued again; a flush sends nothing twice; what is
 * queued after a flush waits for the next window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache/keys.h"
#include "notify.h"
#include "testutil.h"

static const char *env(const char *n)
{
    (void)n;
    return "https://hooks.example/secret-path";
}

#define POLICY                                                                                  \
    "{\"sinks\":{\"hook\":{\"type\":\"webhook\",\"url_env\":\"X\"},\"chat\":{\"type\":"        \
    "\"slack\",\"url_env\":\"X\"}},\"rules\":[{\"name\":\"daily digest\",\"severity\":"       \
    "\"HIGH\",\"sinks\":[\"hook\",\"chat\"],\"group\":\"digest\",\"digest_minutes\":5}]}"
#define DELTA(dig, cve)                                                                         \
    "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:" dig "\",\"refs\":[\"r.io/t/" \
    dig ":1\"],\"db_version\":\"v2\",\"added\":[{\"id\":\"" cve "\",\"package\":\"p\","        \
    "\"installed\":\"1\",\"fixed\":\"2\",\"severity\":\"CRITICAL\"}],\"removed\":[]}"
#define D1 "1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "2222222222222222222222222222222222222222222222222222222222222222"
#define D3 "3333333333333333333333333333333333333333333333333333333333333333"

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += strlen(needle))
        k++;
    return k;
}

static void backdate(sf_kv *kv, const char *prefix, const char *sink)
{
    char key[SF_KEY_MAX], list[SF_KEY_MAX];
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_keys_notify(key, prefix, "digestat", sink, "daily_digest", &e), SF_OK);
    assert_int_equal(sf_keys_notify(list, prefix, "digest", sink, "daily_digest", &e), SF_OK);
    assert_int_equal(sf_kv_set(kv, list, key, "1000", 4, 0, &e), SF_OK);
}

static void test_notify_digest__window(void **state)
{
    (void)state;
    char prefix[64], *out = NULL;
    size_t outn = 0;
    snprintf(prefix, sizeof prefix, "ndigest-it-%d", (int)getpid());
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &ko, &e), SF_OK);
    sf_nrules *rules = NULL;
    assert_int_equal(sf_nrules_parse(&rules, POLICY, strlen(POLICY), env, &e), SF_OK);
    FILE *dry = open_memstream(&out, &outn);
    sf_nsend *s = NULL;
    sf_nsend_opts so = {0, 1, 1, 1000, dry, NULL};
    assert_int_equal(sf_nsend_new(&s, &so, &e), SF_OK);
    sf_metrics *m = NULL;
    assert_int_equal(sf_metrics_new(&m), SF_OK);
    sf_notify *n = NULL;
    sf_notify_opts no = {rules, s, kv, prefix, 600000, NULL, NULL, stderr, m}; /* keys expire */
    assert_int_equal(sf_notify_new(&n, &no, &e), SF_OK);

    const char *d1 = DELTA(D1, "CVE-1"), *d2 = DELTA(D2, "CVE-2"), *d3 = DELTA(D3, "CVE-3");
    assert_int_equal(sf_notify_handle(n, d1, strlen(d1), &e), SF_OK);
    assert_int_equal(sf_notify_handle(n, d2, strlen(d2), &e), SF_OK);
    assert_int_equal(sf_notify_handle(n, d1, strlen(d1), &e), SF_OK); /* redelivered */
    assert_int_equal(sf_notify_flush(n, &e), SF_OK); /* the window is still open */
    fflush(dry);
    assert_int_equal(count(out, "DRY-RUN"), 0);
    assert_int_equal(sf_notify_count(n, "hook", "queued"), 2);
    assert_int_equal(sf_notify_count(n, "hook", "deduplicated"), 1);

    backdate(kv, prefix, "hook");
    backdate(kv, prefix, "chat");
    assert_int_equal(sf_notify_flush(n, &e), SF_OK);
    assert_int_equal(sf_notify_flush(n, &e), SF_OK); /* nothing twice */
    fflush(dry);
    assert_int_equal(count(out, "DRY-RUN POST webhook:hook"), 1);
    assert_int_equal(count(out, "DRY-RUN POST slack:chat"), 1);
    assert_int_equal(count(out, "\"event\":\"findings.digest\""), 1);
    assert_int_equal(count(out, "\"notifications_total\":2"), 1);
    assert_int_equal(count(out, "CVE-1"), 2); /* once in the webhook, once in Slack */
    assert_int_equal(count(out, "CVE-2"), 2);
    assert_int_equal(count(out, "Vulnerability digest (daily digest, 5 min): 2 image"), 1);

    /* after the flush: a new window, nothing sent until it passes */
    assert_int_equal(sf_notify_handle(n, d3, strlen(d3), &e), SF_OK);
    assert_int_equal(sf_notify_flush(n, &e), SF_OK);
    fflush(dry);
    assert_int_equal(count(out, "CVE-3"), 0);
    backdate(kv, prefix, "hook");
    assert_int_equal(sf_notify_flush(n, &e), SF_OK);
    fflush(dry);
    assert_int_equal(count(out, "CVE-3"), 1); /* the webhook's; Slack's window is still open */
    assert_int_equal(count(out, "CVE-1"), 2);

    /* clean up the keys of this test */
    const char *kinds[] = {"digest", "digestat"}, *sinks[] = {"hook", "chat"};
    for (size_t i = 0; i < 2; i++)
        for (size_t j = 0; j < 2; j++) {
            char key[SF_KEY_MAX];
            sf_keys_notify(key, prefix, kinds[i], sinks[j], "daily_digest", &e);
            sf_kv_del(kv, key, key, &e);
        }
    sf_notify_free(n);
    sf_metrics_free(m);
    sf_nsend_free(s);
    sf_nrules_free(rules);
    fclose(dry);
    free(out);
    sf_kv_free(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_notify_digest__window)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
