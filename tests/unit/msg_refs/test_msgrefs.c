/* Unit tests of common/bus/msg_refs: scanfarm.refs/v1 round trip, field
 * names on the wire, the dispatch hint, and rejection of malformed or
 * hostile messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus/msg_refs.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define D2 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void test_msgrefs_codec__round_trip(void **state)
{
    (void)state;
    char *refs[] = {"127.0.0.1:5000/a/b:v1", "127.0.0.1:5000/a/b:v2"};
    char *images[] = {D2};
    sf_refs_msg m = {.run_id = "run-2", .digest = D1, .images = images, .nimages = 1,
                     .refs = refs, .nrefs = 2, .db_version = "20261128T000000Z-0123456789ab",
                     .produced_at = "2026-01-02T03:04:05.678Z"};
    char *json = NULL;
    size_t len = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_refs_encode(&m, &json, &len, &e), SF_OK);
    assert_string_equal(json,
                        "{\"schema\":\"scanfarm.refs/v1\",\"run_id\":\"run-2\",\"digest\":\"" D1
                        "\",\"images\":[\"" D2 "\"],\"refs\":[\"127.0.0.1:5000/a/b:v1\","
                        "\"127.0.0.1:5000/a/b:v2\"],\"platforms\":[],"
                        "\"db_version\":\"20261128T000000Z-0123456789ab\","
                        "\"produced_at\":\"2026-01-02T03:04:05.678Z\"}");
    assert_true(sf_refs_maybe(json, len));
    sf_refs_msg d;
    assert_int_equal(sf_refs_decode(json, len, &d, &e), SF_OK);
    assert_string_equal(d.run_id, "run-2");
    assert_string_equal(d.digest, D1);
    assert_int_equal(d.nimages, 1);
    assert_string_equal(d.images[0], D2);
    assert_int_equal(d.nrefs, 2);
    assert_string_equal(d.refs[1], "127.0.0.1:5000/a/b:v2");
    assert_int_equal(d.nplatforms, 0);
    sf_refs_clear(&d);
    sf_refs_clear(&d); /* idempotent */
    free(json);
}

static void test_msgrefs_codec__rejects_bad_messages(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "[]", "{\"schema\":\"scanfarm.result/v1\"}",
        /* images must be digests */
        "{\"schema\":\"scanfarm.refs/v1\",\"run_id\":\"r\",\"digest\":\"" D1 "\","
        "\"images\":[\"sha256:zz\"],\"refs\":[],\"db_version\":\"v\",\"produced_at\":\"t\"}",
        /* missing images */
        "{\"schema\":\"scanfarm.refs/v1\",\"run_id\":\"r\",\"digest\":\"" D1 "\","
        "\"refs\":[],\"db_version\":\"v\",\"produced_at\":\"t\"}",
        /* refs not strings */
        "{\"schema\":\"scanfarm.refs/v1\",\"run_id\":\"r\",\"digest\":\"" D1 "\","
        "\"images\":[\"" D1 "\"],\"refs\":[1],\"db_version\":\"v\",\"produced_at\":\"t\"}",
        /* duplicate key */
        "{\"schema\":\"scanfarm.refs/v1\",\"schema\":\"scanfarm.refs/v1\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_refs_msg d;
        sf_error e = SF_ERROR_INIT;
        assert_int_not_equal(sf_refs_decode(bad[i], strlen(bad[i]), &d, &e), SF_OK);
        sf_refs_clear(&d);
    }
    /* Too many images: SF_ELIMIT, before anything is kept. */
    char *big = malloc(200 * (SF_REFS_MAX_IMAGES + 2));
    size_t o = (size_t)snprintf(big, 200, "{\"schema\":\"scanfarm.refs/v1\",\"run_id\":\"r\",\"digest\":\"" D1 "\",\"images\":[");
    for (int i = 0; i <= SF_REFS_MAX_IMAGES; i++)
        o += (size_t)snprintf(big + o, 200, "%s\"" D1 "\"", i ? "," : "");
    snprintf(big + o, 200, "]}");
    sf_refs_msg d;
    assert_int_equal(sf_refs_decode(big, strlen(big), &d, NULL), SF_ELIMIT);
    sf_refs_clear(&d);
    free(big);
    /* Encoding refuses a malformed digest. */
    char *json = NULL;
    size_t len = 0;
    sf_refs_msg m = {.run_id = "r", .digest = "sha256:nope", .db_version = "v",
                     .produced_at = "t"};
    assert_int_equal(sf_refs_encode(&m, &json, &len, NULL), SF_EINVAL);
    assert_null(json);
    /* A result is not hinted as a refs message. */
    const char *res = "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"" D1 "\"}";
    assert_false(sf_refs_maybe(res, strlen(res)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msgrefs_codec__round_trip),
        cmocka_unit_test(test_msgrefs_codec__rejects_bad_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
