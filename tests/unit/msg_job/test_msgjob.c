/* Unit tests of common/bus/msg_job: scanfarm.job/v1 round trip, field
 * names on the wire, and rejection of malformed or hostile messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus/msg_job.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_msgjob_codec__round_trip(void **state)
{
    (void)state;
    char *refs[] = {"127.0.0.1:5000/a/b:v1", "127.0.0.1:5000/a/b:latest"};
    char *plats[] = {"linux/amd64", "linux/arm64/v8"};
    sf_job j = {.run_id = "run-1", .kind = SF_JOB_REMATCH, .registry = "127.0.0.1:5000",
                .repository = "a/b", .digest = D1, .refs = refs, .nrefs = 2,
                .platforms = plats, .nplatforms = 2, .enqueued_at = "2026-01-02T03:04:05.678Z"};
    char *json = NULL;
    size_t len = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_job_encode(&j, &json, &len, &e), SF_OK);
    assert_string_equal(json,
                        "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"run-1\",\"kind\":\"rematch\","
                        "\"registry\":\"127.0.0.1:5000\",\"repository\":\"a/b\",\"digest\":\"" D1
                        "\",\"refs\":[\"127.0.0.1:5000/a/b:v1\",\"127.0.0.1:5000/a/b:latest\"],"
                        "\"platforms\":[\"linux/amd64\",\"linux/arm64/v8\"],"
                        "\"enqueued_at\":\"2026-01-02T03:04:05.678Z\"}");
    sf_job d;
    assert_int_equal(sf_job_decode(json, len, &d, &e), SF_OK);
    assert_string_equal(d.run_id, "run-1");
    assert_int_equal(d.kind, SF_JOB_REMATCH);
    assert_string_equal(d.digest, D1);
    assert_int_equal(d.nrefs, 2);
    assert_string_equal(d.refs[1], "127.0.0.1:5000/a/b:latest");
    assert_int_equal(d.nplatforms, 2);
    assert_string_equal(d.platforms[1], "linux/arm64/v8");
    sf_job_clear(&d);
    free(json);
}

static void test_msgjob_codec__decode_rejects(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",
        "[]",
        "{\"schema\":\"scanfarm.job/v2\"}",
        /* missing refs */
        "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"scan\",\"registry\":\"h\","
        "\"repository\":\"a\",\"digest\":\"" D1 "\",\"enqueued_at\":\"t\"}",
        /* digest that could act as a path */
        "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"scan\",\"registry\":\"h\","
        "\"repository\":\"a\",\"digest\":\"sha256:../../x\",\"refs\":[],\"enqueued_at\":\"t\"}",
        /* unknown kind */
        "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"nuke\",\"registry\":\"h\","
        "\"repository\":\"a\",\"digest\":\"" D1 "\",\"refs\":[],\"enqueued_at\":\"t\"}",
        /* embedded NUL */
        "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\\u0000x\",\"kind\":\"scan\","
        "\"registry\":\"h\",\"repository\":\"a\",\"digest\":\"" D1 "\",\"refs\":[],"
        "\"enqueued_at\":\"t\"}",
        /* duplicate key */
        "{\"schema\":\"scanfarm.job/v1\",\"schema\":\"scanfarm.job/v1\"}",
        /* refs of the wrong type */
        "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"scan\",\"registry\":\"h\","
        "\"repository\":\"a\",\"digest\":\"" D1 "\",\"refs\":[1],\"enqueued_at\":\"t\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_job d;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_job_decode(bad[i], strlen(bad[i]), &d, &e);
        if (rc == SF_OK)
            fail_msg("case %zu decoded", i);
        assert_true(e.msg[0] != '\0');
        sf_job_clear(&d);
    }
}

static void test_msgjob_codec__ref_cap_and_unknown_fields(void **state)
{
    (void)state;
    /* Unknown fields are ignored (forward compatible within v1); missing
     * platforms mean "worker default". */
    const char *ok = "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"scan\","
                     "\"registry\":\"h\",\"repository\":\"a\",\"digest\":\"" D1 "\","
                     "\"refs\":[\"h/a:1\"],\"enqueued_at\":\"t\",\"future\":{\"x\":1}}";
    sf_job d;
    assert_int_equal(sf_job_decode(ok, strlen(ok), &d, NULL), SF_OK);
    assert_int_equal(d.nplatforms, 0);
    assert_int_equal(d.kind, SF_JOB_SCAN);
    sf_job_clear(&d);
    /* Past SF_JOB_MAX_REFS. */
    size_t n = SF_JOB_MAX_REFS + 1, cap = n * 4 + 512, o = 0;
    char *big = malloc(cap);
    assert_non_null(big);
    o += (size_t)snprintf(big + o, cap - o,
                          "{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"r\",\"kind\":\"scan\","
                          "\"registry\":\"h\",\"repository\":\"a\",\"digest\":\"" D1 "\","
                          "\"enqueued_at\":\"t\",\"refs\":[");
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(big + o, cap - o, "%s\"x\"", i ? "," : "");
    o += (size_t)snprintf(big + o, cap - o, "]}");
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_job_decode(big, o, &d, &e), SF_ELIMIT);
    sf_job_clear(&d);
    free(big);
    /* Encode refuses a job without a digest. */
    sf_job j = {.run_id = "r", .registry = "h", .repository = "a", .enqueued_at = "t"};
    char *json = NULL;
    size_t len;
    assert_int_equal(sf_job_encode(&j, &json, &len, NULL), SF_EINVAL);
    assert_null(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msgjob_codec__round_trip),
        cmocka_unit_test(test_msgjob_codec__decode_rejects),
        cmocka_unit_test(test_msgjob_codec__ref_cap_and_unknown_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
