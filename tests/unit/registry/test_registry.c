/* Unit tests of common/registry: challenge parsing, Link pagination
 * headers, name validation, URL handling, Docker config credentials and
 * the retry backoff arithmetic. No network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry/auth.h"
#include "registry/http.h"
#include "registry/registry.h"
#include "testutil.h"

static void test_registry_challenge__bearer_full(void **state)
{
    (void)state;
    sf_challenge c;
    sf_error e = SF_ERROR_INIT;
    const char *h = "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                    "scope=\"repository:library/alpine:pull\"";
    assert_int_equal(sf_auth_parse_challenge(h, &c, &e), SF_OK);
    assert_string_equal(c.scheme, "bearer");
    assert_string_equal(c.realm, "https://auth.docker.io/token");
    assert_string_equal(c.service, "registry.docker.io");
    assert_string_equal(c.scope, "repository:library/alpine:pull");
}

static void test_registry_challenge__prefers_bearer_over_basic(void **state)
{
    (void)state;
    sf_challenge c;
    const char *h = "Basic realm=\"Registry Realm\", Bearer realm=\"https://t.example/tok\" , "
                    "service=reg,error=\"insufficient_scope\"";
    assert_int_equal(sf_auth_parse_challenge(h, &c, NULL), SF_OK);
    assert_string_equal(c.scheme, "bearer");
    assert_string_equal(c.realm, "https://t.example/tok");
    assert_string_equal(c.service, "reg");
    assert_string_equal(c.error, "insufficient_scope");
    assert_int_equal(sf_auth_parse_challenge("Basic realm=\"x\"", &c, NULL), SF_OK);
    assert_string_equal(c.scheme, "basic");
    assert_string_equal(c.realm, "x");
    /* Case-insensitive scheme and parameter names, escaped quotes. */
    assert_int_equal(sf_auth_parse_challenge("BEARER Realm=\"https://a/\\\"q\\\"\"", &c, NULL),
                     SF_OK);
    assert_string_equal(c.realm, "https://a/\"q\"");
}

static void test_registry_challenge__rejects_bad_input(void **state)
{
    (void)state;
    sf_challenge c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_auth_parse_challenge("Negotiate abc", &c, &e), SF_EUNSUPPORTED);
    sf_error_clear(&e);
    assert_int_equal(sf_auth_parse_challenge("", &c, &e), SF_EUNSUPPORTED);
    assert_int_equal(sf_auth_parse_challenge("Bearer realm=\"unterminated", &c, NULL), SF_EPARSE);
    assert_int_equal(sf_auth_parse_challenge("Bearer service=x", &c, NULL), SF_EPARSE);
    char big[3000];
    memset(big, 'a', sizeof big);
    memcpy(big, "Bearer realm=\"", 14);
    big[sizeof big - 2] = '"';
    big[sizeof big - 1] = '\0';
    assert_int_equal(sf_auth_parse_challenge(big, &c, NULL), SF_EPARSE);
}

static void test_registry_link__relative_absolute_and_multi(void **state)
{
    (void)state;
    char out[512];
    assert_int_equal(sf_reg_parse_link_next("</v2/_catalog?last=a%2Fb&n=100>; rel=\"next\"", out,
                                            sizeof out), 1);
    assert_string_equal(out, "/v2/_catalog?last=a%2Fb&n=100");
    assert_int_equal(sf_reg_parse_link_next("<https://r.example/v2/x/tags/list?n=2&last=b>; "
                                            "rel=\"prev\", <https://r.example/v2/x/tags/list?n=2"
                                            "&last=d>; title=\"t;,x\"; rel=\"first next\"",
                                            out, sizeof out), 1);
    assert_string_equal(out, "https://r.example/v2/x/tags/list?n=2&last=d");
    assert_int_equal(sf_reg_parse_link_next("</a>; rel=next", out, sizeof out), 1);
    assert_string_equal(out, "/a");
    assert_int_equal(sf_reg_parse_link_next("</a>; rel=\"prev\"", out, sizeof out), 0);
    assert_int_equal(sf_reg_parse_link_next("", out, sizeof out), 0);
    assert_int_equal(sf_reg_parse_link_next("no-angle; rel=next", out, sizeof out), SF_EPARSE);
    assert_int_equal(sf_reg_parse_link_next("</a; rel=next", out, sizeof out), SF_EPARSE);
    assert_int_equal(sf_reg_parse_link_next("</abcdef>; rel=next", out, 4), SF_EPARSE);
}

static void test_registry_url__resolve_and_origin(void **state)
{
    (void)state;
    char out[512];
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_http_resolve_url("http://127.0.0.1:5000/v2/_catalog?n=2",
                                         "/v2/_catalog?last=b%2Fc&n=2", out, sizeof out, &e),
                     SF_OK);
    assert_string_equal(out, "http://127.0.0.1:5000/v2/_catalog?last=b%2Fc&n=2");
    assert_int_equal(sf_http_resolve_url("https://r.io/v2/a", "https://s3.example/blob?sig=1",
                                         out, sizeof out, &e), SF_OK);
    assert_string_equal(out, "https://s3.example/blob?sig=1");
    assert_int_equal(sf_http_resolve_url("https://r.io/v2/a", "file:///etc/passwd", out,
                                         sizeof out, &e), SF_EPARSE);
    assert_true(sf_http_same_origin("https://r.io/v2/a", "https://R.IO:443/b"));
    assert_false(sf_http_same_origin("https://r.io/v2/a", "https://s3.r.io/b"));
    assert_false(sf_http_same_origin("http://r.io/", "https://r.io/"));
    assert_false(sf_http_same_origin("http://r.io:5000/", "http://r.io:5001/"));
    char q[64];
    assert_int_equal(sf_http_query_escape("repository:a/b:pull", q, sizeof q), SF_OK);
    assert_string_equal(q, "repository%3Aa%2Fb%3Apull");
    assert_int_equal(sf_http_query_escape("abcdef", q, 4), SF_ELIMIT);
}

static void test_registry_names__repo_and_tag_validation(void **state)
{
    (void)state;
    assert_true(sf_reg_valid_repo("library/alpine"));
    assert_true(sf_reg_valid_repo("a/b_c/d__e/f-g---h/i.j"));
    assert_false(sf_reg_valid_repo("Library/alpine"));
    assert_false(sf_reg_valid_repo("a//b"));
    assert_false(sf_reg_valid_repo("../etc"));
    assert_false(sf_reg_valid_repo("a/b?c"));
    assert_false(sf_reg_valid_repo("a_"));
    assert_false(sf_reg_valid_repo("a___b"));
    assert_false(sf_reg_valid_repo(""));
    assert_true(sf_reg_valid_tag("v1.2.3-rc_1"));
    assert_true(sf_reg_valid_tag("_x"));
    assert_false(sf_reg_valid_tag(".hidden"));
    assert_false(sf_reg_valid_tag("-x"));
    assert_false(sf_reg_valid_tag("a/b"));
    char t[140];
    memset(t, 'a', 129);
    t[129] = '\0';
    assert_false(sf_reg_valid_tag(t));
    t[128] = '\0';
    assert_true(sf_reg_valid_tag(t));
}

static void test_registry_backoff__exponential_capped_with_retry_after(void **state)
{
    (void)state;
    /* rnd = 0 gives the low edge d/2, rnd = max gives close to d. */
    assert_int_equal(sf_http_backoff_ms(0, 200, 60000, -1, 0), 100);
    assert_int_equal(sf_http_backoff_ms(1, 200, 60000, -1, 0), 200);
    assert_int_equal(sf_http_backoff_ms(3, 200, 60000, -1, 0), 800);
    for (uint32_t r = 0; r < 5000; r += 7) {
        long d = sf_http_backoff_ms(2, 200, 60000, -1, r * 2654435761u);
        assert_true(d >= 400 && d <= 800);
    }
    /* The cap holds at any attempt, without overflow. */
    assert_int_equal(sf_http_backoff_ms(62, 200, 60000, -1, 0), 30000);
    assert_true(sf_http_backoff_ms(1000, 200, 60000, -1, 0xffffffffu) <= 60000);
    /* Retry-After raises the delay but never past the cap. */
    assert_int_equal(sf_http_backoff_ms(0, 200, 60000, 2000, 0), 2000);
    assert_int_equal(sf_http_backoff_ms(0, 200, 60000, 3600000, 0), 60000);
}

static void test_registry_backoff__retry_after_forms(void **state)
{
    (void)state;
    assert_int_equal(sf_http_parse_retry_after("3", 0), 3000);
    assert_int_equal(sf_http_parse_retry_after(" 0 ", 0), 0);
    assert_int_equal(sf_http_parse_retry_after("99999999999999999999", 0), 86400000);
    assert_int_equal(sf_http_parse_retry_after("soon", 0), -1);
    assert_int_equal(sf_http_parse_retry_after("-1", 0), -1);
    /* HTTP-date, 30 s after "now". */
    long long now = 784111777 - 30; /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(sf_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now), 30000);
    assert_int_equal(sf_http_parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + 100), 0);
}

static void test_registry_dockerconfig__auths_lookup(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-dockercfg-XXXXXX";
    /* "alice:pa:ss" base64 */
    const char *doc = "{\"auths\":{\"https://reg.example:5000\":{\"auth\":\"YWxpY2U6cGE6c3M=\"},"
                      "\"other.example\":{\"username\":\"bob\",\"password\":\"pw\"},"
                      "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
                      "\"bad.example\":{\"auth\":\"!!!\"}}}";
    assert_int_equal(sf_t_write_temp(path, doc), 0);
    char *u = NULL, *p = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_auth_docker_config(path, "reg.example:5000", &u, &p, &e), SF_OK);
    assert_string_equal(u, "alice");
    assert_string_equal(p, "pa:ss");
    sf_auth_secret_free(u), sf_auth_secret_free(p);
    assert_int_equal(sf_auth_docker_config(path, "other.example", &u, &p, &e), SF_OK);
    assert_string_equal(u, "bob");
    sf_auth_secret_free(u), sf_auth_secret_free(p);
    assert_int_equal(sf_auth_docker_config(path, "docker.io", &u, &p, &e), SF_OK);
    assert_string_equal(u, "hub");
    assert_string_equal(p, "hubpw");
    sf_auth_secret_free(u), sf_auth_secret_free(p);
    assert_int_equal(sf_auth_docker_config(path, "none.example", &u, &p, &e), SF_OK);
    assert_null(u);
    assert_null(p);
    assert_int_equal(sf_auth_docker_config(path, "bad.example", &u, &p, &e), SF_ECONFIG);
    /* The message names the host, never the secret. */
    assert_null(strstr(e.msg, "!!!"));
    unlink(path);
}

static void test_registry_new__url_forms(void **state)
{
    (void)state;
    sf_reg *r = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_reg_opts o = {.url = "registry.example:5000", .max_retries = -1};
    assert_int_equal(sf_reg_new(&r, &o, &e), SF_OK);
    assert_string_equal(sf_reg_host(r), "registry.example:5000");
    sf_reg_free(r);
    o.url = "http://127.0.0.1:5000/";
    assert_int_equal(sf_reg_new(&r, &o, &e), SF_OK);
    assert_string_equal(sf_reg_host(r), "127.0.0.1:5000");
    sf_reg_free(r);
    o.url = "https://user:secretpw@reg.example";
    assert_int_equal(sf_reg_new(&r, &o, &e), SF_ECONFIG);
    assert_null(strstr(e.msg, "secretpw"));
    sf_error_clear(&e);
    o.url = "ftp://reg.example";
    assert_int_equal(sf_reg_new(&r, &o, &e), SF_ECONFIG);
    sf_error_clear(&e);
    o.url = "https://reg.example/some/path";
    assert_int_equal(sf_reg_new(&r, &o, &e), SF_ECONFIG);
    assert_null(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_challenge__bearer_full),
        cmocka_unit_test(test_registry_challenge__prefers_bearer_over_basic),
        cmocka_unit_test(test_registry_challenge__rejects_bad_input),
        cmocka_unit_test(test_registry_link__relative_absolute_and_multi),
        cmocka_unit_test(test_registry_url__resolve_and_origin),
        cmocka_unit_test(test_registry_names__repo_and_tag_validation),
        cmocka_unit_test(test_registry_backoff__exponential_capped_with_retry_after),
        cmocka_unit_test(test_registry_backoff__retry_after_forms),
        cmocka_unit_test(test_registry_dockerconfig__auths_lookup),
        cmocka_unit_test(test_registry_new__url_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
