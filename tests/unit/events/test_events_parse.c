/* Unit tests of coordinator/events_parse: the four registry payload
 * formats in the shapes their documentation gives (the seeds in
 * tests/fuzz/corpus/events_* are the same documents), the push/delete
 * rules, and bad input: truncated JSON, wrong types, huge bodies, 10^5
 * events in one envelope. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "events_parse.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

typedef int (*parse_fn)(const char *, size_t, sf_evlist *, sf_error *);

static char *seed(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/%s/%s", getenv("SF_SRC"), dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *b = calloc(1, 1 << 16);
    *len = fread(b, 1, (1 << 16) - 1, f);
    fclose(f);
    return b;
}

static int parse_seed(parse_fn fn, const char *dir, const char *name, sf_evlist *l,
                      sf_error *e)
{
    size_t n;
    char *b = seed(dir, name, &n);
    int rc = fn(b, n, l, e);
    free(b);
    return rc;
}

static void test_events_parse__distribution(void **state)
{
    (void)state;
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(parse_seed(sf_evp_distribution, "events_distribution", "push_tag.json",
                                &l, &e), SF_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].action, SF_EV_PUSH);
    assert_string_equal(l.v[0].registry, "192.168.100.227:5000");
    assert_string_equal(l.v[0].repository, "hello-world");
    assert_string_equal(l.v[0].tag, "latest");
    assert_string_equal(l.v[0].digest, D1);
    assert_false(l.v[0].is_index);
    sf_evlist_clear(&l);
    /* A blob push is ignored; the index push is one event. */
    assert_int_equal(parse_seed(sf_evp_distribution, "events_distribution",
                                "blob_and_index.json", &l, &e), SF_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.ignored, 1);
    assert_true(l.v[0].is_index);
    assert_string_equal(l.v[0].tag, "3.19");
    sf_evlist_clear(&l);
    assert_int_equal(parse_seed(sf_evp_distribution, "events_distribution", "delete.json", &l,
                                &e), SF_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].action, SF_EV_DELETE);
    assert_string_equal(l.v[0].tag, "");
    assert_string_equal(l.v[0].digest, D1);
    sf_evlist_clear(&l);
}

/* The platform manifests an index push announces (untagged) and pulls are
 * not jobs. */
static void test_events_parse__untagged_and_pulls_ignored(void **state)
{
    (void)state;
    const char *b =
        "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
        "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\",\"repository\":"
        "\"a/b\"},\"request\":{\"host\":\"r:5000\"}},{\"action\":\"pull\",\"target\":{"
        "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\","
        "\"repository\":\"a/b\",\"tag\":\"v1\"},\"request\":{\"host\":\"r:5000\"}}]}";
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_evp_distribution(b, strlen(b), &l, &e), SF_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.ignored, 2);
    sf_evlist_clear(&l);
}

static void test_events_parse__harbor(void **state)
{
    (void)state;
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(parse_seed(sf_evp_harbor, "events_harbor", "push.json", &l, &e), SF_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].registry, "harbor.example.com");
    assert_string_equal(l.v[0].repository, "library/nginx");
    assert_string_equal(l.v[0].tag, "latest");
    assert_int_equal(parse_seed(sf_evp_harbor, "events_harbor", "delete.json", &l, &e), SF_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[1].action, SF_EV_DELETE);
    assert_string_equal(l.v[1].tag, ""); /* an artifact delete: the digest */
    sf_evlist_clear(&l);
    const char *pull = "{\"type\":\"PULL_ARTIFACT\",\"event_data\":{}}";
    assert_int_equal(sf_evp_harbor(pull, strlen(pull), &l, &e), SF_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.ignored, 1);
    sf_evlist_clear(&l);
}

static void test_events_parse__acr_and_cloudevents(void **state)
{
    (void)state;
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(parse_seed(sf_evp_acr, "events_acr", "push.json", &l, &e), SF_OK);
    assert_int_equal(parse_seed(sf_evp_acr, "events_acr", "delete.json", &l, &e), SF_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].registry, "myregistry.azurecr.io");
    assert_string_equal(l.v[0].tag, "v1");
    assert_int_equal(l.v[1].action, SF_EV_DELETE);
    sf_evlist_clear(&l);
    /* An ACR repository delete names neither a digest nor a tag: ignored,
     * not a 400 the registry would retry forever. */
    const char *repo_del = "{\"id\":\"1\",\"action\":\"delete\",\"target\":{\"repository\":"
                           "\"hello-world\"},\"request\":{\"host\":\"myregistry.azurecr.io\"}}";
    assert_int_equal(sf_evp_acr(repo_del, strlen(repo_del), &l, &e), SF_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.ignored, 1);
    sf_evlist_clear(&l);
    assert_int_equal(parse_seed(sf_evp_cloudevents, "events_cloudevents", "pushed.json", &l,
                                &e), SF_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].repository, "hello-world");
    assert_int_equal(parse_seed(sf_evp_cloudevents, "events_cloudevents", "batch_deleted.json",
                                &l, &e), SF_OK);
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[1].action, SF_EV_DELETE);
    assert_int_equal(l.ignored, 1); /* ChartPushed */
    sf_evlist_clear(&l);
    assert_int_equal(parse_seed(sf_evp_cloudevents, "events_cloudevents", "validation.json",
                                &l, &e), SF_OK);
    assert_string_equal(l.vcode, "512d38b6-c7b8-40c8-89fe-f46f9e9622b6");
    sf_evlist_clear(&l);
}

static void expect_bad(parse_fn fn, const char *body, int code, const char *reason)
{
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(fn(body, strlen(body), &l, &e), code);
    if (!strstr(e.msg, reason))
        fail_msg("reason \"%s\" lacks \"%s\"", e.msg, reason);
    sf_evlist_clear(&l);
}

static void test_events_parse__bad_input(void **state)
{
    (void)state;
    parse_fn all[] = {sf_evp_distribution, sf_evp_harbor, sf_evp_acr, sf_evp_cloudevents};
    for (int i = 0; i < 4; i++) {
        expect_bad(all[i], "{\"events\":[{\"action\":\"push\"", SF_EPARSE, "not JSON");
        expect_bad(all[i], "", SF_EPARSE, "not JSON");
    }
    expect_bad(sf_evp_distribution, "[]", SF_EPARSE, "envelope");
    expect_bad(sf_evp_distribution, "{\"events\":{}}", SF_EPARSE, "envelope");
    expect_bad(sf_evp_distribution, "{\"events\":[7]}", SF_EPARSE, "events[0]: not an object");
    expect_bad(sf_evp_distribution, "{\"events\":[{\"action\":1}]}", SF_EPARSE, "wrong type");
    expect_bad(sf_evp_distribution,
               "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
               "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:00\","
               "\"repository\":\"a\",\"tag\":\"t\"},\"request\":{\"host\":\"h\"}}]}",
               SF_EPARSE, "invalid digest");
    expect_bad(sf_evp_distribution,
               "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
               "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\","
               "\"repository\":\"a\",\"tag\":\"t\"},\"request\":{\"host\":\"h/../x\"}}]}",
               SF_EPARSE, "registry host");
    expect_bad(sf_evp_distribution,
               "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
               "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" D1 "\","
               "\"repository\":\"A B\",\"tag\":\"t\"},\"request\":{\"host\":\"h\"}}]}",
               SF_EPARSE, "repository");
    expect_bad(sf_evp_harbor, "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":[]}", SF_EPARSE,
               "Harbor");
    expect_bad(sf_evp_harbor,
               "{\"type\":\"PUSH_ARTIFACT\",\"event_data\":{\"resources\":[{\"digest\":\"" D1
               "\",\"tag\":\"v\",\"resource_url\":\"nohost\"}],\"repository\":{"
               "\"repo_full_name\":\"a/b\"}}}",
               SF_EPARSE, "resource_url");
    expect_bad(sf_evp_cloudevents, "{\"specversion\":\"0.3\",\"id\":\"1\",\"source\":\"s\","
                                   "\"type\":\"t\"}", SF_EPARSE, "not 1.0");
    expect_bad(sf_evp_cloudevents, "{\"specversion\":1}", SF_EPARSE, "not a CloudEvent");
    expect_bad(sf_evp_acr, "{\"action\":\"push\",\"target\":[]}", SF_EPARSE, "wrong type");
}

static void test_events_parse__hosts(void **state)
{
    (void)state;
    assert_true(sf_evp_valid_host("127.0.0.1:5000"));
    assert_true(sf_evp_valid_host("myregistry.azurecr.io"));
    assert_true(sf_evp_valid_host("[::1]:5000"));
    assert_false(sf_evp_valid_host(""));
    assert_false(sf_evp_valid_host("a/b"));
    assert_false(sf_evp_valid_host("h:"));
    assert_false(sf_evp_valid_host("h:123456"));
    assert_false(sf_evp_valid_host("-h"));
    assert_false(sf_evp_valid_host("[zz]"));
}

/* Builds {"events":[ev,ev,...]} with n copies. */
static char *envelope(const char *ev, size_t n, size_t *len)
{
    sf_buf b;
    sf_buf_init(&b, 1ULL << 31);
    assert_int_equal(sf_buf_puts(&b, "{\"events\":["), SF_OK);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sf_buf_puts(&b, ",");
        assert_int_equal(sf_buf_puts(&b, ev), SF_OK);
    }
    sf_buf_puts(&b, "]}");
    return sf_buf_steal(&b, len);
}

static void test_events_parse__huge(void **state)
{
    (void)state;
    size_t len;
    sf_evlist l = {0};
    sf_error e = SF_ERROR_INIT;
    /* 10^5 blob pushes: all ignored, nothing kept. */
    char *b = envelope("{\"action\":\"push\",\"target\":{\"mediaType\":\"application/octet-"
                       "stream\",\"digest\":\"" D1 "\",\"url\":\"http://h/v2/a/blobs/x\"}}", 100000,
                       &len);
    assert_true(len > 10u << 20); /* a 10 MB body is parsed without trouble */
    assert_int_equal(sf_evp_distribution(b, len, &l, &e), SF_OK);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.ignored, 100000);
    free(b);
    sf_evlist_clear(&l);
    /* 10^5 tagged manifest pushes: past the cap, a clear error. */
    b = envelope("{\"action\":\"push\",\"target\":{\"mediaType\":\"application/vnd.oci.image."
                 "manifest.v1+json\",\"digest\":\"" D1 "\",\"repository\":\"a\",\"tag\":\"t\"},"
                 "\"request\":{\"host\":\"h\"}}", 100000, &len);
    assert_int_equal(sf_evp_distribution(b, len, &l, &e), SF_ELIMIT);
    assert_non_null(strstr(e.msg, "10000"));
    free(b);
    sf_evlist_clear(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_parse__distribution),
        cmocka_unit_test(test_events_parse__untagged_and_pulls_ignored),
        cmocka_unit_test(test_events_parse__harbor),
        cmocka_unit_test(test_events_parse__acr_and_cloudevents),
        cmocka_unit_test(test_events_parse__bad_input),
        cmocka_unit_test(test_events_parse__hosts),
        cmocka_unit_test(test_events_parse__huge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
