/* Unit tests of base/json's sf_jutil_loadb (text that is not JSON told
 * from jansson running out of memory, which jansson 2.14 reports as a
 * syntax error) and sf_utf8_ok. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/json.h"
#include "testutil.h"

static void test_json_loadb__bad_text_is_a_parse_error(void **state)
{
    (void)state;
    static const char *const bad[] = {"{\"a\":", "[1,2", "{\"a\":1}x", "nope", "",
                                      "{\"a\":1,\"a\":2}", "{\"a\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = SF_OK;
        json_t *j = sf_jutil_loadb(bad[i], strlen(bad[i]), JSON_REJECT_DUPLICATES, &rc);
        if (j || rc != SF_EPARSE)
            fail_msg("%s: rc %d", bad[i], rc);
    }
    int rc = SF_EINVAL;
    json_t *j = sf_jutil_loadb(" [1,{\"b\":2}]", 12, 0, &rc);
    assert_non_null(j);
    assert_int_equal(rc, SF_OK);
    json_decref(j);
}

/* Under every failing allocation, good text is out of memory, never bad.
 * Strings stay under 16 bytes: jansson 2.14's lexer writes past its
 * buffer when growing that buffer fails (valgrind), a bug of its own. */
static int load_once(void *ctx)
{
    const char *s = ctx;
    int rc = SF_OK;
    json_t *j = sf_jutil_loadb(s, strlen(s), 0, &rc);
    if (!j && rc == SF_EPARSE)
        fail_msg("good JSON taken as bad when an allocation failed");
    json_decref(j);
    return j ? SF_OK : rc;
}

static void test_json_loadb__out_of_memory_is_not_a_parse_error(void **state)
{
    (void)state;
    assert_true(sf_t_json_oom_sweep(load_once, "{\"a\":[1,2,{\"b\":\"cdefghij\"}],\"z\":1.5}") >
                5);
}

/* A bad document with more top-level elements than the skimmer's first
 * list holds is still told bad (its second, sized list), not taken as
 * out of memory; and a good one loads. (Not swept: see above.) */
static void test_json_loadb__many_members(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, "[");
    for (int i = 0; i < 200; i++)
        sf_buf_printf(&b, "%s\"s%d\"", i ? "," : "", i);
    sf_buf_puts(&b, ",]");
    int rc = SF_OK;
    assert_null(sf_jutil_loadb(b.data, b.len, 0, &rc));
    assert_int_equal(rc, SF_EPARSE);
    b.data[b.len - 2] = ']';
    b.data[--b.len] = '\0';
    json_t *j = sf_jutil_loadb(b.data, b.len, 0, &rc);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 200);
    json_decref(j);
    sf_buf_free(&b);
}

static void test_json_loadb__utf8_ok(void **state)
{
    (void)state;
    assert_true(sf_utf8_ok(NULL));
    assert_true(sf_utf8_ok("plain"));
    assert_true(sf_utf8_ok("caf\xc3\xa9"));
    assert_false(sf_utf8_ok("caf\xc3"));
    assert_false(sf_utf8_ok("\xed\xa0\x80")); /* a surrogate */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_loadb__bad_text_is_a_parse_error),
        cmocka_unit_test(test_json_loadb__out_of_memory_is_not_a_parse_error),
        cmocka_unit_test(test_json_loadb__many_members),
        cmocka_unit_test(test_json_loadb__utf8_ok),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
