/* Unit tests of common/base: errors, capped buffers, digests, package model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/err.h"
#include "base/json.h"
#include "base/pkg.h"
#include "base/thread.h"

static void test_base_err__first_error_wins(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_error_set(&e, SF_EPARSE, "bad %s", "tar"), SF_EPARSE);
    sf_error_set(&e, SF_ELIMIT, "later");
    assert_int_equal(e.code, SF_EPARSE);
    assert_string_equal(e.msg, "bad tar");
    assert_string_equal(sf_err_name(SF_EDIGEST), "digest");
    assert_int_equal(sf_err_kind(SF_ENET), SF_KIND_RETRIABLE);
    assert_int_equal(sf_err_kind(SF_ELIMIT), SF_KIND_IMAGE);
    assert_int_equal(sf_err_kind(SF_ECONFIG), SF_KIND_FATAL);
    assert_string_equal(sf_err_name(-999), "unknown");
}

static void test_base_buf__cap_is_enforced(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 10);
    assert_int_equal(sf_buf_puts(&b, "hello"), SF_OK);
    assert_int_equal(sf_buf_puts(&b, "world"), SF_OK);
    assert_int_equal(sf_buf_puts(&b, "!"), SF_ELIMIT);
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "helloworld");
    sf_buf_reset(&b);
    assert_int_equal(sf_buf_printf(&b, "%d-%s", 42, "x"), SF_OK);
    assert_string_equal(b.data, "42-x");
    sf_buf_free(&b);
    /* An empty append to a fresh buffer still yields an empty string. */
    sf_buf_init(&b, 0);
    assert_int_equal(sf_buf_append(&b, "", 0), SF_OK);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    sf_buf_free(&b);
}

static void test_base_buf__str_token_ok(void **state)
{
    (void)state;
    assert_true(sf_str_eq(NULL, NULL));
    assert_true(sf_str_eq("ab", "ab"));
    assert_false(sf_str_eq("ab", NULL));
    assert_false(sf_str_eq(NULL, ""));
    assert_false(sf_str_eq("ab", "abc"));
    assert_true(sf_str_token_ok("a", 3, "a", ""));
    assert_true(sf_str_token_ok("a.-b", 4, "ab", "ab.-"));
    assert_false(sf_str_token_ok("a.-b", 3, "ab", "ab.-")); /* longer than max */
    assert_false(sf_str_token_ok(".ab", 4, "ab", "ab.-"));  /* first byte from rest only */
    assert_false(sf_str_token_ok("abc", 4, "ab", "ab.-"));  /* a byte in neither set */
    assert_false(sf_str_token_ok("ab\xc3\xa9", 8, "ab", "ab"));
    assert_false(sf_str_token_ok("", 4, "ab", "ab"));
    assert_false(sf_str_token_ok(NULL, 4, "ab", "ab"));
}

static void test_base_digest__known_vector_and_mismatch(void **state)
{
    (void)state;
    char out[SF_DIGEST_MAX];
    assert_int_equal(sf_digest_sha256("abc", 3, out), SF_OK);
    assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_digest_verify(out, "abc", 3, &e), SF_OK);
    assert_int_equal(sf_digest_verify(out, "abd", 3, &e), SF_EDIGEST);
    assert_non_null(strstr(e.msg, "mismatch"));
    sf_error_clear(&e);
    assert_int_equal(sf_digest_validate("sha256:../../etc/passwd", &e), SF_EPARSE);
    sf_error_clear(&e);
    assert_int_equal(sf_digest_validate("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &e), SF_EPARSE);
    assert_int_equal(sf_digest_validate(out, NULL), SF_OK);
}

static void test_base_pkg__osv_ecosystem_of_distros(void **state)
{
    (void)state;
    char eco[64];
    sf_osinfo os = {0};
    os.id = "alpine";
    os.version_id = "3.10.3";
    assert_int_equal(sf_osinfo_osv_ecosystem(&os, eco, sizeof eco), SF_OK);
    assert_string_equal(eco, "Alpine:v3.10");
    os.id = "debian";
    os.version_id = "11";
    assert_int_equal(sf_osinfo_osv_ecosystem(&os, eco, sizeof eco), SF_OK);
    assert_string_equal(eco, "Debian:11");
    os.version_id = NULL;
    os.codename = "bookworm";
    assert_int_equal(sf_osinfo_osv_ecosystem(&os, eco, sizeof eco), SF_OK);
    assert_string_equal(eco, "Debian:12");
    assert_int_equal(sf_pkg_type_parse("deb"), SF_PT_DPKG);
    assert_string_equal(sf_pkg_type_osv_ecosystem(SF_PT_PYPI), "PyPI");
}

/* sf_jutil_set_take leaves the caller nothing to free, on success and on
 * a failed set alike (under ASan a double free or a leak would show). */
static void test_base_json__set_take_clears_the_pointer(void **state)
{
    (void)state;
    json_t *o = json_object(), *v = json_string("x"), *not_obj = json_array();
    assert_int_equal(sf_jutil_set_take(o, "k", &v), SF_OK);
    assert_null(v);
    assert_string_equal(json_string_value(json_object_get(o, "k")), "x");
    v = json_string("y");
    assert_int_equal(sf_jutil_set_take(not_obj, "k", &v), SF_ENOMEM);
    assert_null(v);
    json_decref(v);
    json_decref(not_obj);
    json_decref(o);
}

/* A helper thread of the kind sf_thread_stop ends: it waits on cv until
 * its flag is raised, then records that it saw it. */
typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, saw_stop;
} waiter;

static void *wait_for_stop(void *arg)
{
    waiter *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop)
        pthread_cond_wait(&w->cv, &w->mu);
    w->saw_stop = 1;
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void test_base_thread__stop_wakes_and_joins(void **state)
{
    (void)state;
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, wait_for_stop, &w), 0);
    sf_thread_stop(th, &w.mu, &w.cv, &w.stop);
    /* joined: the thread's last write is visible without the lock */
    assert_int_equal(w.stop, 1);
    assert_int_equal(w.saw_stop, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_err__first_error_wins),
        cmocka_unit_test(test_base_buf__cap_is_enforced),
        cmocka_unit_test(test_base_buf__str_token_ok),
        cmocka_unit_test(test_base_thread__stop_wakes_and_joins),
        cmocka_unit_test(test_base_json__set_take_clears_the_pointer),
        cmocka_unit_test(test_base_digest__known_vector_and_mismatch),
        cmocka_unit_test(test_base_pkg__osv_ecosystem_of_distros),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
