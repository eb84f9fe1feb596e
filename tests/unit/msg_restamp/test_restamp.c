/* Unit tests of common/bus/msg_restamp: a result the encoder wrote is
 * spliced to the same bytes the decode/modify/encode round trip gives;
 * other shapes take the round trip; bad documents are refused as the
 * decoder refuses them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_fix.h"
#include "base/limits.h"
#include "bus/msg_restamp.h"
#include "bus/msg_result.h"

#define AT "2026-01-02T03:04:05.678Z"

static char *const NEW_REFS[] = {"reg.io/app:2", "reg.io/app:\"q\"\\x", "reg.io/app:\xc3\xa9"};

/* b := a document sf_result_encode wrote: a hand-made result with
 * findings, decoded, given two layers (one a miss), encoded. */
static void encoded_result(sf_buf *b)
{
    sf_buf doc;
    sf_result r;
    sf_buf_init(&doc, SF_LIM_MESSAGE_BYTES);
    fix_doc d = {.dc = 'a', .ic = 'b', .run = "run-old", .db = "db1", .at = AT,
                 .refs = "reg.io/app:1;reg.io/app:latest",
                 .vulns = "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;"
                          "CVE-2020-1:zlib:1.2-r0:-:LOW",
                 .pkgs = "musl@1.1.24-r2;busybox@1.31.1-r9@busybox", .cvss = 9.8};
    fix_result_doc(&doc, &d);
    assert_int_equal(sf_result_decode(doc.data, doc.len, &r, NULL), SF_OK);
    static const char *const cache[] = {"miss", "hit"};
    for (size_t i = 0; i < r.nlayers; i++) /* the hand-made document's, if any */
        sf_strfields_free(&r.layers[i], sf_result_layer_fields, sf_result_layer_nfields);
    free(r.layers); /* an empty list is an allocation too */
    r.nlayers = 0;
    r.layers = calloc(2, sizeof *r.layers);
    assert_non_null(r.layers);
    for (size_t i = 0; i < 2; i++) {
        char dg[72];
        r.layers[i].digest = strdup(fix_digest((char)('c' + i), dg));
        r.layers[i].diff_id = strdup(fix_digest((char)('e' + i), dg));
        r.layers[i].cache = strdup(cache[i]);
        r.layers[i].size = 1000 + i;
        r.nlayers++;
    }
    sf_buf_reset(b);
    assert_int_equal(sf_result_encode(&r, b, NULL), SF_OK);
    sf_result_clear(&r);
    sf_buf_free(&doc);
}

/* Restamp json with NEW_REFS (nrefs of them) and run; check against the
 * round trip: the same bytes when exact (a document the encoder wrote),
 * else the same result once decoded (a hand-made document keeps its own
 * spacing, order and derived members through the splice); returns
 * whether the splice was used. */
static int restamp_checked(const char *json, const char *run, size_t nrefs, int exact)
{
    sf_buf got, want;
    char *digest = NULL;
    int fast = -1;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&got, SF_LIM_MESSAGE_BYTES);
    sf_buf_init(&want, SF_LIM_MESSAGE_BYTES);
    assert_int_equal(sf_restamp(json, strlen(json), run, NEW_REFS, nrefs, "sha256:job", &got,
                                &digest, &fast, &e),
                     SF_OK);
    assert_int_equal(sf_restamp_round_trip(json, strlen(json), run, NEW_REFS, nrefs, "sha256:job",
                                           &want, NULL, NULL),
                     SF_OK);
    if (!exact) {
        sf_buf canon;
        sf_buf_init(&canon, SF_LIM_MESSAGE_BYTES);
        assert_int_equal(sf_restamp_round_trip(got.data, got.len, run, NEW_REFS, nrefs,
                                               "sha256:job", &canon, NULL, NULL),
                         SF_OK);
        sf_buf_free(&got);
        got = canon;
    }
    assert_int_equal(got.len, want.len);
    assert_memory_equal(got.data, want.data, want.len);
    char dg[72];
    assert_string_equal(digest, fix_digest('a', dg));
    free(digest);
    sf_buf_free(&got);
    sf_buf_free(&want);
    return fast;
}

static void test_restamp__encoded_result_spliced_as_round_trip(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, SF_LIM_MESSAGE_BYTES);
    encoded_result(&b);
    assert_true(strstr(b.data, "\"cache\":\"miss\"") != NULL);
    assert_int_equal(restamp_checked(b.data, "run-new", 3, 1), 1);
    assert_int_equal(restamp_checked(b.data, NULL, 0, 1), 1); /* null run id, no refs */
    /* the output itself: new run id and refs, every layer a hit */
    sf_buf out;
    char *digest = NULL;
    sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
    assert_int_equal(sf_restamp(b.data, b.len, "run-new", NEW_REFS, 1, NULL, &out, &digest, NULL,
                                NULL),
                     SF_OK);
    assert_non_null(strstr(out.data, "\"run_id\":\"run-new\""));
    assert_non_null(strstr(out.data, "\"refs\":[\"reg.io/app:2\"]"));
    assert_null(strstr(out.data, "\"miss\""));
    assert_null(strstr(out.data, "run-old"));
    free(digest);
    sf_buf_free(&out);
    sf_buf_free(&b);
}

/* Hand-made documents (spaced, reordered, no layers member) are valid
 * results of another shape: the round trip answers them. */
static void test_restamp__other_shapes_take_the_round_trip(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, SF_LIM_MESSAGE_BYTES);
    fix_doc d = {.dc = 'a', .run = "r1", .db = "db1", .at = AT, .refs = "x:1", .vulns = "",
                 .cvss = 5};
    fix_result_doc(&b, &d);
    assert_int_equal(restamp_checked(b.data, "r2", 2, 0), 1);
    /* no "layers" member: the round trip, which adds it */
    static const char nolayers[] =
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":"
        "\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"refs\":[]}";
    assert_int_equal(restamp_checked(nolayers, "r2", 1, 1), 0);
    /* a member the splice needs given twice: the decoder refuses it */
    static const char twice[] =
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"run_id\":\"b\",\"digest\":\"d\","
        "\"refs\":[],\"layers\":[]}";
    /* an escaped key hiding a duplicate of another */
    static const char esc[] =
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[],\"os\":null,\"\\u006fs\":null}";
    /* a duplicate of a member the splice copies */
    static const char dup[] =
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[],\"os\":null,\"os\":null}";
    const char *bad[] = {twice, esc, dup};
    for (size_t i = 0; i < 3; i++) {
        sf_buf out;
        char *digest = (char *)"untouched";
        sf_error e = SF_ERROR_INIT;
        sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
        assert_int_equal(sf_restamp(bad[i], strlen(bad[i]), "r", NULL, 0, "sha256:j", &out,
                                    &digest, NULL, &e),
                         SF_EPARSE);
        assert_null(digest);
        sf_buf_free(&out);
    }
    sf_buf_free(&b);
}

/* Untrusted bytes: refused with the decoder's code, never a crash. */
static void test_restamp__bad_documents_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{\"schema\":\"scanfarm.result/v1\"",
        "{\"schema\":\"scanfarm.result/v2\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[]}",
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":5}",
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[7]}",
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[{\"digest\":9}]}",
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[{\"cache\":\"\xff\"}]}",
        "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"a\",\"digest\":\"d\",\"refs\":[],"
        "\"layers\":[]} trailing",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_buf out;
        char *digest = NULL;
        sf_error e = SF_ERROR_INIT;
        sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
        int rc = sf_restamp(bad[i], strlen(bad[i]), "r", NULL, 0, "sha256:j", &out, &digest,
                            NULL, &e);
        assert_int_equal(rc, SF_EPARSE);
        assert_null(digest);
        assert_true(e.msg[0] != '\0');
        sf_buf_free(&out);
    }
}

/* An output past the buffer's cap is SF_ELIMIT, whichever path. */
static void test_restamp__output_capped(void **state)
{
    (void)state;
    sf_buf b, out;
    char *digest = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, SF_LIM_MESSAGE_BYTES);
    encoded_result(&b);
    sf_buf_init(&out, b.len / 2);
    assert_int_equal(sf_restamp(b.data, b.len, "r", NEW_REFS, 3, NULL, &out, &digest, NULL, &e),
                     SF_ELIMIT);
    assert_null(digest);
    sf_buf_free(&out);
    sf_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_restamp__encoded_result_spliced_as_round_trip),
        cmocka_unit_test(test_restamp__other_shapes_take_the_round_trip),
        cmocka_unit_test(test_restamp__bad_documents_refused),
        cmocka_unit_test(test_restamp__output_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
