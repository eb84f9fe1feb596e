/* Unit tests of the cache MAC (cache/cmac.h): a known-answer vector
 * computed independently (Python's hmac module over the documented
 * frame), binding to key, version and secret, tampering, unsealed and
 * truncated values, and loading the secret from a file or a value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cache/cmac.h"
#include "testutil.h"

#define SECRET "unit-farm-secret-0123456789"
#define KEY "scanfarm:layer:sha256:ab:a1"

static sf_cmac *mk(const char *secret)
{
    sf_cmac *m = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_cmac_new(&m, secret, strlen(secret), &e), SF_OK);
    return m;
}

static void test_cmac_seal__known_answer(void **state)
{
    (void)state;
    /* hmac.new(SECRET, b"scanfarm-cache-mac/v1\0" + be32(len(KEY)) + KEY +
     *          be32(2) + b"a1" + b"inventory", sha256) */
    static const char want[] = "76fdec689166a21cf9978e0578f5d19aa714b98f55fa3da120f1a7b90a56f177";
    sf_cmac *m = mk(SECRET);
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_cmac_seal(m, KEY, "a1", "inventory", 9, &b), SF_OK);
    assert_int_equal(b.len, SF_CMAC_OVERHEAD + 9);
    assert_memory_equal(b.data, "SFM1", 4);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)b.data[4 + i]);
    assert_string_equal(hex, want);
    assert_memory_equal(b.data + SF_CMAC_OVERHEAD, "inventory", 9);
    const void *pl = NULL;
    size_t pn = 0;
    assert_int_equal(sf_cmac_open(m, KEY, "a1", b.data, b.len, &pl, &pn), SF_OK);
    assert_int_equal(pn, 9);
    assert_memory_equal(pl, "inventory", 9);
    sf_buf_free(&b);
    sf_cmac_free(m);
}

/* A seal opens only for its own key, version and secret, untampered. */
static void test_cmac_open__binds_key_version_secret(void **state)
{
    (void)state;
    sf_cmac *m = mk(SECRET), *other = mk(SECRET "-other");
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_cmac_seal(m, KEY, "a1", "inventory", 9, &b), SF_OK);
    const void *pl = NULL;
    size_t pn = 0;
    assert_int_equal(sf_cmac_open(m, KEY "x", "a1", b.data, b.len, &pl, &pn), SF_EAUTH);
    assert_int_equal(sf_cmac_open(m, KEY, "a2", b.data, b.len, &pl, &pn), SF_EAUTH);
    assert_int_equal(sf_cmac_open(m, KEY, NULL, b.data, b.len, &pl, &pn), SF_EAUTH);
    assert_int_equal(sf_cmac_open(other, KEY, "a1", b.data, b.len, &pl, &pn), SF_EAUTH);
    assert_null(pl);
    for (size_t i = 4; i < b.len; i++) { /* every byte of MAC and payload */
        b.data[i] ^= 0x01;
        assert_int_equal(sf_cmac_open(m, KEY, "a1", b.data, b.len, &pl, &pn), SF_EAUTH);
        b.data[i] ^= 0x01;
    }
    for (size_t n = 0; n < b.len; n++) /* every truncation */
        assert_int_equal(sf_cmac_open(m, KEY, "a1", b.data, n, &pl, &pn), SF_EAUTH);
    assert_int_equal(sf_cmac_open(m, KEY, "a1", b.data, b.len, &pl, &pn), SF_OK);
    sf_buf_free(&b);
    sf_cmac_free(m);
    sf_cmac_free(other);
}

/* What an attacker without the secret writes: raw values, a forged
 * envelope. Refused; the unauthenticated mode's strip passes them. */
static void test_cmac_open__unsealed_refused_strip_passes(void **state)
{
    (void)state;
    sf_cmac *m = mk(SECRET);
    const char raw[] = "\x28\xb5\x2f\xfd raw zstd inventory";
    const void *pl = NULL;
    size_t pn = 0;
    assert_int_equal(sf_cmac_open(m, KEY, "a1", raw, sizeof raw, &pl, &pn), SF_EAUTH);
    assert_int_equal(sf_cmac_open(m, KEY, "a1", "", 0, &pl, &pn), SF_EAUTH);
    char forged[SF_CMAC_OVERHEAD + 3] = "SFM1";
    memcpy(forged + SF_CMAC_OVERHEAD, "abc", 3);
    assert_int_equal(sf_cmac_open(m, KEY, "a1", forged, sizeof forged, &pl, &pn), SF_EAUTH);
    sf_cmac_strip(raw, sizeof raw, &pl, &pn);
    assert_ptr_equal(pl, raw);
    assert_int_equal(pn, sizeof raw);
    sf_cmac_strip(forged, sizeof forged, &pl, &pn);
    assert_int_equal(pn, 3);
    assert_memory_equal(pl, "abc", 3);
    sf_cmac_free(m);
}

static void test_cmac_load__file_value_and_errors(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-cmac-XXXXXX";
    assert_int_equal(sf_t_write_temp(path, SECRET "\n"), 0);
    sf_cmac *a = NULL, *b = NULL, *c = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_cmac_load(&a, path, NULL, &e), SF_OK);
    assert_int_equal(sf_cmac_load(&b, NULL, SECRET, &e), SF_OK);
    sf_buf x;
    sf_buf_init(&x, 0);
    assert_int_equal(sf_cmac_seal(a, KEY, "a1", "v", 1, &x), SF_OK);
    const void *pl = NULL;
    size_t pn = 0;
    assert_int_equal(sf_cmac_open(b, KEY, "a1", x.data, x.len, &pl, &pn), SF_OK); /* same key */
    sf_buf_free(&x);
    assert_int_equal(sf_cmac_load(&c, NULL, NULL, &e), SF_OK);
    assert_null(c);
    assert_int_equal(sf_cmac_load(&c, path, SECRET, &e), SF_ECONFIG);
    assert_int_equal(sf_cmac_load(&c, NULL, "short-secret", &e), SF_ECONFIG);
    assert_null(strstr(e.msg, "short-secret"));
    assert_int_equal(sf_cmac_load(&c, "/nonexistent/secret", NULL, &e), SF_EIO);
    assert_null(c);
    unlink(path);
    sf_cmac_free(a);
    sf_cmac_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmac_seal__known_answer),
        cmocka_unit_test(test_cmac_open__binds_key_version_secret),
        cmocka_unit_test(test_cmac_open__unsealed_refused_strip_passes),
        cmocka_unit_test(test_cmac_load__file_value_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
