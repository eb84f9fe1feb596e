/* Unit tests of common/bus/msg_dlq: every message, whatever its bytes,
 * yields a scanfarm.dlq/v1 document that quotes it (JSON, text, base64,
 * truncated past the cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/limits.h"
#include "bus/msg_dlq.h"

#define AT "2026-01-02T03:04:05.678Z"

/* Encode, parse back, and check the fields common to every entry. */
static json_t *entry(const char *job, size_t len, const char *reason)
{
    char *s = NULL;
    size_t n = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_dlq_encode(job, len, reason, 2, "host/1", AT, &s, &n, &e), SF_OK);
    assert_int_equal(n, strlen(s));
    json_error_t je;
    json_t *d = json_loadb(s, n, 0, &je);
    free(s);
    assert_non_null(d);
    assert_string_equal(json_string_value(json_object_get(d, "schema")), "scanfarm.dlq/v1");
    assert_int_equal(json_integer_value(json_object_get(d, "attempts")), 2);
    assert_string_equal(json_string_value(json_object_get(d, "worker")), "host/1");
    assert_string_equal(json_string_value(json_object_get(d, "at")), AT);
    return d;
}

static void test_msgdlq_quote__json_job_is_an_object(void **state)
{
    (void)state;
    const char *job = "{\"schema\":\"scanfarm.job/v1\",\"digest\":\"x\"}";
    json_t *d = entry(job, strlen(job), "worker died 3 times");
    assert_string_equal(json_string_value(json_object_get(json_object_get(d, "job"), "digest")),
                        "x");
    assert_null(json_object_get(d, "job_encoding"));
    assert_null(json_object_get(d, "job_truncated"));
    assert_string_equal(json_string_value(json_object_get(d, "reason")), "worker died 3 times");
    json_decref(d);
}

static void test_msgdlq_quote__utf8_text_is_text_nul_is_base64(void **state)
{
    (void)state;
    const char job[] = "not json \xc3\xa9 tail";
    json_t *d = entry(job, sizeof job - 1, "malformed job");
    assert_string_equal(json_string_value(json_object_get(d, "job_encoding")), "text");
    assert_string_equal(json_string_value(json_object_get(d, "job")), job);
    json_decref(d);
    /* Valid UTF-8 holding NUL: base64, so readers need not accept \u0000. */
    d = entry("a\0b", 3, "malformed job");
    assert_string_equal(json_string_value(json_object_get(d, "job_encoding")), "base64");
    assert_string_equal(json_string_value(json_object_get(d, "job")), "YQBi");
    json_decref(d);
}

static void test_msgdlq_quote__binary_is_base64(void **state)
{
    (void)state;
    const char job[] = {(char)0xff, (char)0xfe, 0, 'a', (char)0xc3, '('};
    /* The reason quotes invalid UTF-8 too (a decode error may). */
    json_t *d = entry(job, sizeof job, "bad byte \xff");
    assert_string_equal(json_string_value(json_object_get(d, "job_encoding")), "base64");
    assert_string_equal(json_string_value(json_object_get(d, "job")), "//4AYcMo");
    assert_non_null(json_string_value(json_object_get(d, "reason")));
    json_decref(d);
}

static void test_msgdlq_quote__empty_and_oversized(void **state)
{
    (void)state;
    json_t *d = entry("", 0, "empty");
    assert_string_equal(json_string_value(json_object_get(d, "job")), "");
    json_decref(d);
    size_t n = SF_LIM_DLQ_JOB_BYTES + 100;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    d = entry(big, n, "too big");
    assert_int_equal(json_string_length(json_object_get(d, "job")), SF_LIM_DLQ_JOB_BYTES);
    assert_true(json_is_true(json_object_get(d, "job_truncated")));
    assert_int_equal(json_integer_value(json_object_get(d, "job_bytes")), (json_int_t)n);
    json_decref(d);
    free(big);
}

static void test_msgdlq_encode__missing_fields(void **state)
{
    (void)state;
    char *s = (char *)1;
    size_t n = 9;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_dlq_encode("x", 1, NULL, 0, "w", AT, &s, &n, &e), SF_EINVAL);
    assert_null(s);
    assert_int_equal(n, 0);
    assert_non_null(strstr(e.msg, "missing"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msgdlq_quote__json_job_is_an_object),
        cmocka_unit_test(test_msgdlq_quote__utf8_text_is_text_nul_is_base64),
        cmocka_unit_test(test_msgdlq_quote__binary_is_base64),
        cmocka_unit_test(test_msgdlq_quote__empty_and_oversized),
        cmocka_unit_test(test_msgdlq_encode__missing_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
