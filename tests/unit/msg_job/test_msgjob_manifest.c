/* Unit tests of the optional carried root manifest of scanfarm.job/v1
 * (common/bus/msg_job: "manifest", "manifest_media_type"): exact round
 * trip of the bytes, absent in old jobs, and the decoder dropping an
 * unusable field (oversized, not a string, half of the pair) while the
 * job itself still decodes; the encoder refusing what cannot ride. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/limits.h"
#include "bus/msg_job.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define MT "application/vnd.oci.image.manifest.v1+json"
/* The fields every job has, then whatever a case appends. */
#define HEAD                                                                                   \
    "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"scan\",\"registry\":\"h\","    \
    "\"repository\":\"a\",\"digest\":\"" D1 "\",\"refs\":[\"h/a:1\"],\"enqueued_at\":\"t\""

static sf_job base_job(void)
{
    static char *refs[] = {"h/a:1"};
    sf_job j = {.run_id = "r", .kind = SF_JOB_SCAN, .registry = "h", .repository = "a",
                .digest = D1, .refs = refs, .nrefs = 1, .enqueued_at = "t"};
    return j;
}

static void test_msgjob_manifest__round_trip_exact_bytes(void **state)
{
    (void)state;
    /* Quotes, backslashes, a newline, a tab and non-ASCII text: whatever
     * JSON escaping does, the decoded bytes must be the same bytes (the
     * worker hashes them). */
    static const char man[] = "{\"schemaVersion\": 2,\n\t\"annotations\": {\"a\\\\b\": "
                              "\"caf\xc3\xa9 \xe2\x9c\x93 \\\"q\\\"\"}}\n";
    sf_job j = base_job();
    j.manifest = (char *)man, j.manifest_len = sizeof man - 1, j.manifest_media_type = MT;
    char *json = NULL;
    size_t len = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_job_encode(&j, &json, &len, &e), SF_OK);
    assert_non_null(strstr(json, "\"manifest_media_type\":\"" MT "\""));
    sf_job d;
    assert_int_equal(sf_job_decode(json, len, &d, &e), SF_OK);
    assert_int_equal(d.manifest_len, sizeof man - 1);
    assert_memory_equal(d.manifest, man, sizeof man - 1);
    assert_string_equal(d.manifest_media_type, MT);
    sf_job_clear(&d);
    free(json);
}

static void test_msgjob_manifest__absent_in_old_jobs(void **state)
{
    (void)state;
    sf_job j = base_job(), d;
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(sf_job_encode(&j, &json, &len, NULL), SF_OK);
    assert_null(strstr(json, "manifest")); /* left out, not null */
    assert_int_equal(sf_job_decode(json, len, &d, NULL), SF_OK);
    assert_null(d.manifest);
    assert_null(d.manifest_media_type);
    assert_int_equal(d.manifest_len, 0);
    sf_job_clear(&d);
    free(json);
    /* Explicit nulls read as absent. */
    const char *nul = HEAD ",\"manifest\":null,\"manifest_media_type\":null}";
    assert_int_equal(sf_job_decode(nul, strlen(nul), &d, NULL), SF_OK);
    assert_null(d.manifest);
    sf_job_clear(&d);
}

/* Decode doc: the job must decode, without a manifest. */
static void expect_dropped(const char *doc, size_t len, const char *why)
{
    sf_job d;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_job_decode(doc, len, &d, &e);
    if (rc != SF_OK)
        fail_msg("%s: job not decoded: %s", why, e.msg);
    if (d.manifest || d.manifest_media_type || d.manifest_len)
        fail_msg("%s: manifest kept", why);
    assert_string_equal(d.digest, D1);
    sf_job_clear(&d);
}

static void test_msgjob_manifest__unusable_field_dropped(void **state)
{
    (void)state;
    static const char *bad[] = {
        HEAD ",\"manifest\":{\"schemaVersion\":2},\"manifest_media_type\":\"" MT "\"}",
        HEAD ",\"manifest\":42,\"manifest_media_type\":\"" MT "\"}",
        HEAD ",\"manifest\":\"\",\"manifest_media_type\":\"" MT "\"}",
        HEAD ",\"manifest\":\"{}\"}",                           /* no media type */
        HEAD ",\"manifest_media_type\":\"" MT "\"}",            /* no manifest */
        HEAD ",\"manifest\":\"{}\",\"manifest_media_type\":7}", /* media type not a string */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[32];
        snprintf(why, sizeof why, "case %zu", i);
        expect_dropped(bad[i], strlen(bad[i]), why);
    }
    /* One byte past SF_LIM_JOB_MANIFEST, and a media type past its cap. */
    size_t n = SF_LIM_JOB_MANIFEST + 1, cap = n + 1024;
    char *big = malloc(cap);
    assert_non_null(big);
    int k = snprintf(big, cap, HEAD ",\"manifest_media_type\":\"" MT "\",\"manifest\":\"");
    memset(big + k, 'x', n);
    int t = snprintf(big + k + n, cap - (size_t)k - n, "\"}");
    expect_dropped(big, (size_t)k + n + (size_t)t, "oversized manifest");
    k = snprintf(big, cap, HEAD ",\"manifest\":\"{}\",\"manifest_media_type\":\"");
    memset(big + k, 'm', SF_JOB_MEDIA_TYPE_MAX + 1);
    t = snprintf(big + k + SF_JOB_MEDIA_TYPE_MAX + 1, 8, "\"}");
    expect_dropped(big, (size_t)k + SF_JOB_MEDIA_TYPE_MAX + 1 + (size_t)t, "long media type");
    free(big);
    /* Invalid UTF-8 or a NUL fails the whole message, as in any field. */
    const char nulman[] = HEAD ",\"manifest\":\"a\\u0000b\",\"manifest_media_type\":\"" MT "\"}";
    sf_job d;
    assert_int_not_equal(sf_job_decode(nulman, strlen(nulman), &d, NULL), SF_OK);
    sf_job_clear(&d);
    const char badutf[] = HEAD ",\"manifest\":\"\xc3\x28\",\"manifest_media_type\":\"" MT "\"}";
    assert_int_not_equal(sf_job_decode(badutf, strlen(badutf), &d, NULL), SF_OK);
    sf_job_clear(&d);
}

static void test_msgjob_manifest__encode_refuses_what_cannot_ride(void **state)
{
    (void)state;
    size_t n = SF_LIM_JOB_MANIFEST + 1;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'x', n);
    struct {
        const char *data;
        size_t len;
        const char *mt;
    } cases[] = {
        {big, n, MT},             /* past the cap */
        {"{}", 2, NULL},          /* no media type */
        {NULL, 0, MT},            /* media type alone */
        {"a\0b", 3, MT},          /* a NUL */
        {"\xff\xfe", 2, MT},      /* not UTF-8 */
        {"{}", 2, ""},            /* empty media type */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sf_job j = base_job();
        j.manifest = (char *)cases[i].data, j.manifest_len = cases[i].len;
        j.manifest_media_type = (char *)cases[i].mt;
        char *json = NULL;
        size_t len;
        sf_error e = SF_ERROR_INIT;
        if (sf_job_encode(&j, &json, &len, &e) != SF_EINVAL)
            fail_msg("case %zu encoded", i);
        assert_null(json);
    }
    assert_true(sf_job_manifest_ok(big, SF_LIM_JOB_MANIFEST));
    assert_false(sf_job_manifest_ok(big, n));
    assert_false(sf_job_manifest_ok("", 0));
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msgjob_manifest__round_trip_exact_bytes),
        cmocka_unit_test(test_msgjob_manifest__absent_in_old_jobs),
        cmocka_unit_test(test_msgjob_manifest__unusable_field_dropped),
        cmocka_unit_test(test_msgjob_manifest__encode_refuses_what_cannot_ride),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
