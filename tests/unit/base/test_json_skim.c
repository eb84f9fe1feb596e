/*
 * base/json_skim: the members of a top-level object as byte ranges, and
 * refusal of every document jansson refuses (and of the few the skimmer
 * is stricter about), checked against jansson itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/err.h"
#include "base/json_skim.h"

static int skim(const char *s, size_t len, sf_jskim_member *m, size_t *n)
{
    return sf_jskim_object(s, len, m, 16, n, NULL);
}

/* Keys and value spans of an object with every kind of value. */
static void test_json_skim__members_and_spans(void **state)
{
    (void)state;
    const char *s = " {\"a\" : [1, {\"x\":\"}\"}], \"b\":\"q\\\"\\u00e9\",\"c\":-1.5e+3,"
                    "\"d\":true,\"e\":null,\"\\u0066\":{}}\r\n";
    sf_jskim_member m[16];
    size_t n = 0;
    assert_int_equal(skim(s, strlen(s), m, &n), SF_OK);
    assert_int_equal(n, 6);
    const char *keys[] = {"a", "b", "c", "d", "e", "\\u0066"};
    const char *vals[] = {"[1, {\"x\":\"}\"}]", "\"q\\\"\\u00e9\"", "-1.5e+3", "true", "null",
                          "{}"};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(m[i].key_len, strlen(keys[i]));
        assert_memory_equal(s + m[i].key_off, keys[i], m[i].key_len);
        assert_int_equal(m[i].val_len, strlen(vals[i]));
        assert_memory_equal(s + m[i].val_off, vals[i], m[i].val_len);
        assert_int_equal(m[i].key_escaped, i == 5);
    }
    assert_int_equal(sf_jskim_find(s, m, n, "c"), 2);
    assert_int_equal(sf_jskim_find(s, m, n, "f"), -1); /* escaped: not matched */
    const char *d = "{\"p\":1,\"p\":2}";
    assert_int_equal(skim(d, strlen(d), m, &n), SF_OK);
    assert_int_equal(sf_jskim_find(d, m, n, "p"), -2);
    assert_int_equal(skim("{}", 2, m, &n), SF_OK);
    assert_int_equal(n, 0);
}

/* Documents jansson refuses: the skimmer refuses each too. */
static void test_json_skim__refuses_what_jansson_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "}", "[]", "\"s\"", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{,}", "{\"a\":1}x",
        "{\"a\":1}{}", "{a:1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}",
        "{\"a\":-}", "{\"a\":+1}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":True}",
        "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}", "{\"a\":\"\\ud800\\u0041\"}", "{\"a\":\"\t\"}", "{\"a\":\"x}",
        "{\"a\":[1 2]}", "{\"a\":[1,]}", "{\"a\":{\"b\" 1}}", "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xe0\x80\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}", "{\"a\":\"\xff\"}", "{\"a\":\"\x80\"}",
        "{\"a\":99999999999999999999}", "{\"a\":1e999}",
    };
    sf_jskim_member m[16];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 7;
        json_error_t je;
        json_t *j = json_loadb(bad[i], strlen(bad[i]), 0, &je);
        int jansson_ok = json_is_object(j);
        json_decref(j);
        assert_false(jansson_ok); /* the case is one jansson refuses */
        sf_error err = SF_ERROR_INIT;
        assert_int_equal(sf_jskim_object(bad[i], strlen(bad[i]), m, 16, &n, &err), SF_EPARSE);
        assert_int_equal(n, 0);
        assert_non_null(strstr(err.msg, "byte"));
    }
    /* a NUL byte inside a string or between tokens */
    assert_int_equal(skim("{\"a\":\"\0\"}", 8, m, &(size_t){0}), SF_EPARSE);
    assert_int_equal(skim("{\"a\":1\0}", 8, m, &(size_t){0}), SF_EPARSE);
}

/* Stricter than jansson where its answer is not the grammar's: nesting
 * past SF_LIM_JSON_DEPTH, huge numbers; and the member cap. */
static void test_json_skim__limits(void **state)
{
    (void)state;
    char deep[300];
    size_t k = 0, n = 0;
    deep[k++] = '{', deep[k++] = '"', deep[k++] = 'a', deep[k++] = '"', deep[k++] = ':';
    for (int i = 0; i < 100; i++)
        deep[k++] = '[';
    for (int i = 0; i < 100; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    sf_jskim_member m[16];
    assert_int_equal(skim(deep, k, m, &n), SF_EPARSE);
    const char *ok = "{\"a\":[[[[1]]]],\"b\":123456789012345678,\"c\":1.5e99,\"d\":-1e-99}";
    assert_int_equal(skim(ok, strlen(ok), m, &n), SF_OK);
    assert_int_equal(n, 4);
    const char *many = "{\"a\":1,\"b\":2,\"c\":3}";
    assert_int_equal(sf_jskim_object(many, strlen(many), m, 2, &n, NULL), SF_ELIMIT);
    const char *u = "{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\ud83d\\ude00\"}";
    assert_int_equal(skim(u, strlen(u), m, &n), SF_OK);
}

/* A string value decoded alone, as jansson decodes it. */
static void test_json_skim__strings_decoded_as_jansson(void **state)
{
    (void)state;
    static const char *const good[] = {
        "\"\"", "\"plain\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u20ac\"",
        "\"\\ud83d\\ude00 and \xf0\x9f\x98\x80\"", "\"{\\\"schema\\\":\\\"x\\\"}\"",
        "\"\xc3\xa9\\u0001\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char *got = NULL;
        size_t n = 0;
        json_error_t je;
        json_t *want = json_loadb(good[i], strlen(good[i]), JSON_DECODE_ANY, &je);
        assert_true(json_is_string(want));
        assert_int_equal(sf_jskim_string(good[i], strlen(good[i]), &got, &n, NULL), SF_OK);
        assert_int_equal(n, json_string_length(want));
        assert_memory_equal(got, json_string_value(want), n);
        assert_int_equal(got[n], '\0');
        free(got);
        json_decref(want);
    }
    static const char *const bad[] = {"", "\"", "x", "\"a\" ", "\"a\"b\"", "\"\\u0000\"",
                                      "\"\\ud800\"", "\"\\q\"", "\"\xff\"", "\"\t\"", "1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *got = (char *)"untouched";
        sf_error err = SF_ERROR_INIT;
        assert_int_equal(sf_jskim_string(bad[i], strlen(bad[i]), &got, NULL, &err), SF_EPARSE);
        assert_null(got);
    }
}

/* s[0..len) in a heap block of exactly len bytes, so ASan catches any read
 * past the end (the skimmer loads string text 8 bytes at a time). */
static char *exact(const char *s, size_t len)
{
    char *b = malloc(len ? len : 1);
    assert_non_null(b);
    memcpy(b, s, len);
    return b;
}

static int jansson_object(const char *s, size_t len)
{
    json_error_t je;
    json_t *j = json_loadb(s, len, 0, &je);
    int ok = json_is_object(j);
    json_decref(j);
    return ok;
}

/* The "at byte N" of a refusal's message. */
static size_t refused_at(const char *msg)
{
    const char *at = strstr(msg, "at byte ");
    assert_non_null(at);
    return (size_t)strtoull(at + 8, NULL, 10);
}

#define KEY_PRE "{\"key\":\""

/* {"key":" then p 'a's, x[0..xl), q 'b's and tail into doc: its length. */
static size_t string_doc(char *doc, size_t p, const char *x, size_t xl, size_t q,
                         const char *tail)
{
    size_t k = strlen(KEY_PRE), tl = strlen(tail);
    memcpy(doc, KEY_PRE, k);
    memset(doc + k, 'a', p), k += p;
    memcpy(doc + k, x, xl), k += xl;
    memset(doc + k, 'b', q), k += q;
    memcpy(doc + k, tail, tl), k += tl;
    return k;
}

/* The skimmer's answer on doc[0..k) (an exact-size copy), which must be
 * jansson's: accepted by both or refused by both. */
static int skim_checked(const char *doc, size_t k, sf_jskim_member *m, size_t *n, sf_error *err)
{
    char *d = exact(doc, k);
    int rc = sf_jskim_object(d, k, m, 4, n, err);
    assert_int_equal(rc == SF_OK, jansson_object(d, k));
    free(d);
    return rc;
}

/* Every byte that string() must look at, at each offset 0..15 of a string
 * body followed by 0..15 plain bytes, so each lands on every position of
 * an 8-byte word and the closing quote on every position after it. What
 * the skimmer accepts is what jansson accepts, with the same decoded
 * value; a refusal names the offending byte, as the byte loop did. */
static void test_json_skim__special_byte_at_every_offset(void **state)
{
    (void)state;
    static const struct {
        const char *x; /* inserted bytes */
        int bad_at;    /* -1: accepted; else the refused byte's offset in x */
    } ins[] = {
        {"\\n", -1},           {"\\\\", -1},          {"\\\"", -1},
        {"\\u00e9", -1},       {"\\ud83d\\ude00", -1}, {"\xc3\xa9", -1},
        {"\xe2\x82\xac", -1},  {"\xf0\x9f\x98\x80", -1}, {"\x7f", -1},
        {" ~", -1},            {"\x01", 0},           {"\x1f", 0},
        {"\xc3", 0},           {"\xe2\x82", 0},       {"\xe2\x28\xa1", 0},
        {"\xff", 0},           {"\x80", 0},           {"\xed\xa0\x80", 0},
        {"\xf4\x90\x80\x80", 0}, {"\xc0\xaf", 0},     {"\\x", 2},
        {"\\u00g0", 5},        {"\\u0000", 6},        {"\\udc00", 6},
        {"\\ud800x", 6},
    };
    size_t body = strlen(KEY_PRE);
    for (size_t c = 0; c < sizeof ins / sizeof *ins; c++)
        for (size_t p = 0; p < 16; p++)
            for (size_t q = 0; q < 16; q++) {
                char d[128];
                size_t k = string_doc(d, p, ins[c].x, strlen(ins[c].x), q, "\"}");
                sf_jskim_member m[4];
                size_t n = 0;
                sf_error err = SF_ERROR_INIT;
                int rc = skim_checked(d, k, m, &n, &err);
                if (ins[c].bad_at < 0) {
                    assert_int_equal(rc, SF_OK);
                    assert_int_equal(n, 1);
                    assert_int_equal(m[0].val_off, body - 1);
                    assert_int_equal(m[0].val_len, k - body);
                    json_error_t je;
                    char *v = exact(d + m[0].val_off, m[0].val_len), *got = NULL;
                    json_t *want = json_loadb(v, m[0].val_len, JSON_DECODE_ANY, &je);
                    size_t gl = 0;
                    assert_int_equal(sf_jskim_string(v, m[0].val_len, &got, &gl, NULL), SF_OK);
                    assert_int_equal(gl, json_string_length(want));
                    assert_memory_equal(got, json_string_value(want), gl);
                    free(got);
                    free(v);
                    json_decref(want);
                } else {
                    assert_int_equal(rc, SF_EPARSE);
                    assert_int_equal(refused_at(err.msg), body + p + (size_t)ins[c].bad_at);
                }
            }
}

/* Every byte value at every offset 0..15 of a string body (then "xy"):
 * accepted exactly when jansson accepts; a control byte or a byte that
 * cannot start UTF-8 here is refused at its own offset. */
static void test_json_skim__every_byte_at_every_offset(void **state)
{
    (void)state;
    size_t body = strlen(KEY_PRE);
    for (unsigned v = 0; v < 256; v++)
        for (size_t p = 0; p < 16; p++) {
            char d[64], x = (char)v;
            size_t k = string_doc(d, p, &x, 1, 0, "xy\"}");
            sf_jskim_member m[4];
            size_t n = 0;
            sf_error err = SF_ERROR_INIT;
            int rc = skim_checked(d, k, m, &n, &err);
            assert_int_equal(rc == SF_OK, v >= 0x20 && v < 0x80 && v != '"' && v != '\\');
            if (v < 0x20 || v >= 0x80)
                assert_int_equal(refused_at(err.msg), body + p);
        }
}

/* A string whose closing quote is the buffer's last byte, of every length
 * around the word size, and the same string without it (or cut after a
 * backslash or inside a UTF-8 sequence): read to the end, never past it. */
static void test_json_skim__strings_ending_at_buffer_end(void **state)
{
    (void)state;
    char s[40];
    for (size_t body = 0; body < 34; body++) {
        s[0] = '"';
        for (size_t j = 0; j < body; j++)
            s[1 + j] = (char)('a' + j % 26);
        s[1 + body] = '"';
        char *d = exact(s, body + 2), *got = NULL;
        size_t gl = 0;
        assert_int_equal(sf_jskim_string(d, body + 2, &got, &gl, NULL), SF_OK);
        assert_int_equal(gl, body);
        assert_memory_equal(got, s + 1, body);
        free(got);
        free(d);
        static const char *const tails[] = {"", "\\", "\xe2\x82", "\\u00", "\\ud83d"};
        for (size_t t = 0; t < sizeof tails / sizeof *tails; t++) {
            size_t tl = strlen(tails[t]), len = body + 1 + tl;
            memcpy(s + 1 + body, tails[t], tl);
            d = exact(s, len);
            sf_error err = SF_ERROR_INIT;
            got = (char *)"untouched";
            assert_int_equal(sf_jskim_string(d, len, &got, NULL, &err), SF_EPARSE);
            assert_null(got);
            free(d);
        }
    }
}

/* Every proper prefix of a document with long strings, escapes and UTF-8
 * (each cut in a heap block of its own size) is refused, by jansson too. */
static void test_json_skim__truncated_documents(void **state)
{
    (void)state;
    const char *doc = "{\"name\":\"libssl3-with-a-long-package-name\",\"v\":\"3.0.11-1~deb12u2\","
                      "\"t\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\u00e9\\ud83d\\ude00 "
                      "\\\"q\\\" \\\\ end of a long text field\",\"n\":[1,-2.5e3,true,null],"
                      "\"o\":{\"k\":\"\"}}";
    size_t len = strlen(doc);
    sf_jskim_member m[8];
    size_t n = 0;
    char *d = exact(doc, len);
    assert_int_equal(sf_jskim_object(d, len, m, 8, &n, NULL), SF_OK);
    assert_int_equal(n, 5);
    free(d);
    for (size_t cut = 0; cut < len; cut++) {
        d = exact(doc, cut);
        n = 9;
        assert_false(jansson_object(d, cut));
        assert_int_equal(sf_jskim_object(d, cut, m, 8, &n, NULL), SF_EPARSE);
        assert_int_equal(n, 0);
        free(d);
    }
}

/* A top-level array's elements as spans; what is not one array is refused. */
static void test_json_skim__array_elements(void **state)
{
    (void)state;
    sf_jskim_member m[4];
    size_t n = 9;
    const char *a = " [\"x\\\"\", {\"k\":[1,2]} ,null,-1.5e3] ";
    assert_int_equal(sf_jskim_array(a, strlen(a), m, 4, &n, NULL), SF_OK);
    assert_int_equal(n, 4);
    assert_memory_equal(a + m[0].val_off, "\"x\\\"\"", m[0].val_len);
    assert_memory_equal(a + m[1].val_off, "{\"k\":[1,2]}", m[1].val_len);
    assert_memory_equal(a + m[3].val_off, "-1.5e3", m[3].val_len);
    assert_int_equal(sf_jskim_array("[]", 2, m, 4, &n, NULL), SF_OK);
    assert_int_equal(n, 0);
    assert_int_equal(sf_jskim_array("[1,2,3,4,5]", 11, m, 4, &n, NULL), SF_ELIMIT);
    static const char *const bad[] = {"", "{}", "[", "[1,]", "[1]x", "[\"\xff\"]", "[01]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(sf_jskim_array(bad[i], strlen(bad[i]), m, 4, &n, NULL), SF_EPARSE);
        assert_int_equal(n, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_skim__members_and_spans),
        cmocka_unit_test(test_json_skim__refuses_what_jansson_refuses),
        cmocka_unit_test(test_json_skim__limits),
        cmocka_unit_test(test_json_skim__strings_decoded_as_jansson),
        cmocka_unit_test(test_json_skim__array_elements),
        cmocka_unit_test(test_json_skim__special_byte_at_every_offset),
        cmocka_unit_test(test_json_skim__every_byte_at_every_offset),
        cmocka_unit_test(test_json_skim__strings_ending_at_buffer_end),
        cmocka_unit_test(test_json_skim__truncated_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
