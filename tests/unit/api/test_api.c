/*
 * scanfarm-api without Redis: the request-head parser, the list
 * parameters, and the handler's parts that need no fleet view (static
 * files and path traversal, bearer tokens, CORS, the embedded document),
 * Every bad input must be
 * refused with a reason, never crash (the ASan build runs this too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api.h"
#include "agg_name.h"
#include "api_params.h"
#include "api_req.h"
#include "model/severity.h"
#include "testutil.h"

static int parse(const char *head, sf_api_req *r)
{
    int complete = 0;
    int rc = sf_api_req_parse(head, strlen(head), r, &complete);
    if (rc == SF_OK && !complete)
        return 1;
    return rc;
}

static void test_api_req__good(void **state)
{
    (void)state;
    static sf_api_req r;
    assert_int_equal(parse("GET /v1/images/sha256%3Aab/findings?severity=HIGH,LOW&limit=5&q=a+b "
                           "HTTP/1.1\r\nHost: x\r\nAuthorization:  Bearer tok \r\n"
                           "Origin: http://c\r\n\r\n", &r),
                     SF_OK);
    assert_string_equal(r.method, "GET");
    assert_int_equal(r.nsegs, 4);
    assert_string_equal(r.segs[2], "sha256:ab");
    assert_string_equal(sf_api_param_get(&r, "severity"), "HIGH,LOW");
    assert_string_equal(sf_api_param_get(&r, "q"), "a b");
    assert_null(sf_api_param_get(&r, "nope"));
    assert_string_equal(r.auth, "Bearer tok");
    assert_string_equal(r.origin, "http://c");
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), SF_OK);
    assert_int_equal(r.nsegs, 0);
    assert_int_equal(parse("GET /v1/images HTTP/1.1\r\nHost: x\r\n", &r), 1); /* read more */
}

static void test_api_req__bad(void **state)
{
    (void)state;
    static sf_api_req r;
    static const struct {
        const char *head;
        int rc;
    } T[] = {
        {"\r\n\r\n", SF_EPARSE},
        {"GET\r\n\r\n", SF_EPARSE},
        {"GET /x\r\n\r\n", SF_EPARSE},
        {"GET /x HTTP/2.0\r\n\r\n", SF_EUNSUPPORTED},
        {"GET /x HTTP/1.1x\r\n\r\n", SF_EUNSUPPORTED},
        {"TOOLONGMETHOD /x HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET x HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a%zz HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a%4 HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a%00b HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a?x=%00 HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a?=1 HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a?x=1&x=2 HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a\x01 HTTP/1.1\r\n\r\n", SF_EPARSE},
        {"GET /a/b/c/d/e/f/g/h/i HTTP/1.1\r\n\r\n", SF_ELIMIT},
        {"GET /a HTTP/1.1\r\nX: a\rb\r\n\r\n", SF_EPARSE},
        {"GET /a HTTP/1.1\nHost: x\n\n\r\n\r\n", SF_EPARSE},
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        int rc = parse(T[i].head, &r);
        if (rc != T[i].rc)
            fail_msg("case %zu (%s): rc %d, want %d", i, T[i].head, rc, T[i].rc);
        assert_true(r.why[0] != '\0');
    }
    /* many parameters, a long target, a head without its end past the cap */
    char *big = malloc(SF_API_MAX_HEAD + 64);
    int n = snprintf(big, 64, "GET /a?");
    for (int i = 0; i < SF_API_MAX_PARAMS + 1; i++)
        n += snprintf(big + n, 16, "p%d=1&", i);
    snprintf(big + n, 32, " HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(big, &r), SF_ELIMIT);
    memcpy(big, "GET /", 5);
    memset(big + 5, 'a', 5000);
    snprintf(big + 5005, 32, " HTTP/1.1\r\n\r\n");
    assert_int_equal(parse(big, &r), SF_ELIMIT);
    memset(big, 'a', SF_API_MAX_HEAD + 10);
    int complete = 0;
    assert_int_equal(sf_api_req_parse(big, SF_API_MAX_HEAD + 10, &r, &complete), SF_ELIMIT);
    free(big);
}

static const char *const SORTS[] = {"risk", "findings", NULL};

static int params(const char *query, sf_api_list_params *p, const char **param)
{
    static sf_api_req r;
    char head[2048], why[160];
    snprintf(head, sizeof head, "GET /v1/images?%s HTTP/1.1\r\n\r\n", query);
    assert_int_equal(parse(head, &r), SF_OK);
    return sf_api_params_parse(&r, SF_API_P_FILTERS | SF_API_P_PAGE, SORTS, 1, 500, p, param, why,
                               sizeof why);
}

static void test_api_params__good(void **state)
{
    (void)state;
    sf_api_list_params p;
    const char *param;
    assert_int_equal(params("severity=critical,HIGH&fixable=false&cvss_min=7.5&limit=500&cursor=o40"
                            "&sort=findings&order=asc&registry=r.io&repository=team/app&tag=v1"
                            "&ecosystem=npm&running=true",
                            &p, &param),
                     0);
    assert_int_equal(p.nsev, 2);
    assert_true(p.sev[SF_SEV_CRITICAL] && p.sev[SF_SEV_HIGH] && !p.sev[SF_SEV_MEDIUM]);
    assert_int_equal(p.fixable, 0);
    assert_int_equal(p.running, 1);
    assert_true(p.cvss_min == 7.5);
    assert_int_equal(p.limit, 500);
    assert_int_equal(p.offset, 40);
    assert_int_equal(p.sort, 1);
    assert_int_equal(p.desc, 0);
    assert_string_equal(p.repo_full, "r.io/team/app"); /* qualified by the registry */
    assert_int_equal(params("", &p, &param), 0);
    assert_int_equal(p.limit, 50);
    assert_int_equal(p.fixable, -1);
    assert_true(p.cvss_min < 0);
}

static void test_api_params__bad(void **state)
{
    (void)state;
    static const struct {
        const char *q, *param;
    } T[] = {
        {"severity=", "severity"},          {"severity=HIGH,,LOW", "severity"},
        {"severity=BAD", "severity"},       {"fixable=1", "fixable"},
        {"fixable=TRUE", "fixable"},        {"running=yes", "running"},
        {"cvss_min=", "cvss_min"},          {"cvss_min=10.1", "cvss_min"},
        {"cvss_min=-1", "cvss_min"},        {"cvss_min=nan", "cvss_min"},
        {"cvss_min=inf", "cvss_min"},       {"cvss_min=0x5", "cvss_min"},
        {"cvss_min=5abc", "cvss_min"},      {"limit=0", "limit"},
        {"limit=501", "limit"},             {"limit=-3", "limit"},
        {"limit=+5", "limit"},              {"limit=9999999999999999999999", "limit"},
        {"limit=1.5", "limit"},             {"cursor=40", "cursor"},
        {"cursor=o", "cursor"},             {"cursor=o-1", "cursor"},
        {"cursor=ox", "cursor"},            {"order=up", "order"},
        {"sort=name", "sort"},              {"registry=", "registry"},
        {"tag=a%01b", "tag"},               {"new_since=run-1", "new_since"},
        {"bogus=1", "bogus"},               {"version=1", "version"},
        {"q=ope", "q"}, /* images have no name search */
    };
    for (size_t i = 0; i < sizeof T / sizeof *T; i++) {
        sf_api_list_params p;
        const char *param = NULL;
        if (params(T[i].q, &p, &param) != -1 || !param || strcmp(param, T[i].param) != 0)
            fail_msg("case %s: accepted or blamed %s", T[i].q, param ? param : "(none)");
    }
}

static void test_api_params__q(void **state)
{
    (void)state;
    static sf_api_req r;
    sf_api_list_params p;
    const char *param = NULL;
    char why[160], big[400];
    assert_int_equal(parse("GET /v1/packages?q=OpenS HTTP/1.1\r\n\r\n", &r), SF_OK);
    assert_int_equal(sf_api_params_parse(&r, SF_API_P_Q | SF_API_P_PAGE, SORTS, 1, 500, &p,
                                         &param, why, sizeof why),
                     0);
    assert_string_equal(p.q, "OpenS");
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /v1/packages?q=", 19);
    snprintf(big + 19 + 129, sizeof big - 19 - 129, " HTTP/1.1\r\n\r\n"); /* 129 bytes */
    const char *bad[] = {"GET /v1/packages?q= HTTP/1.1\r\n\r\n",
                         "GET /v1/packages?q=a%1fb HTTP/1.1\r\n\r\n", big};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(parse(bad[i], &r), SF_OK);
        assert_int_equal(sf_api_params_parse(&r, SF_API_P_Q | SF_API_P_PAGE, SORTS, 1, 500, &p,
                                             &param, why, sizeof why),
                         -1);
        assert_string_equal(param, "q");
    }
}

/* The name index's entries: lowercased word starts, each with the member. */
static void test_agg_name__entries(void **state)
{
    (void)state;
    char e[SF_AGG_NAME_STARTS][SF_AGG_NAME_ENTRY], low[16];
    size_t n = sf_agg_name_entries("Py--OpenSSL_x", "pypi\x1fPy--OpenSSL_x", e);
    assert_int_equal(n, 3); /* "py--openssl_x", "openssl_x", "x": "--" starts one word */
    assert_string_equal(e[0], "py--openssl_x\x1fpypi\x1fPy--OpenSSL_x");
    assert_string_equal(e[1], "openssl_x\x1fpypi\x1fPy--OpenSSL_x");
    assert_string_equal(e[2], "x\x1fpypi\x1fPy--OpenSSL_x");
    assert_string_equal(sf_agg_name_member(e[1]), "pypi\x1fPy--OpenSSL_x");
    assert_int_equal(sf_agg_name_entries("zlib", "m", e), 1);
    assert_string_equal(e[0], "zlib\x1fm");
    /* bounded: a name of many words is found by its first SF_AGG_NAME_STARTS */
    assert_int_equal(sf_agg_name_entries("a-b-c-d-e-f-g-h-i-j", "m", e), SF_AGG_NAME_STARTS);
    assert_int_equal(sf_agg_name_entries("", "m", e), 0);
    sf_agg_name_lower("AbC\xc3\x89", low, sizeof low); /* ASCII only: bytes >= 0x80 kept */
    assert_string_equal(low, "abc\xc3\x89");
}

/* ---- the handler without Redis ---- */

static char root[400], outside[300];

static int handle(sf_api *a, const char *head, sf_api_resp *resp)
{
    static sf_api_req r;
    memset(resp, 0, sizeof *resp);
    sf_buf_init(&resp->body, 1 << 20);
    int rc = parse(head, &r);
    if (rc != SF_OK)
        return -1;
    sf_api_handle(a, &r, resp);
    return resp->status;
}

static void mkfile(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_api_static__traversal(void **state)
{
    (void)state;
    char p[512];
    snprintf(outside, sizeof outside, "/tmp/sf-api-test-%d", (int)getpid());
    snprintf(root, sizeof root, "%s/web", outside);
    mkdir(outside, 0700);
    mkdir(root, 0700);
    snprintf(p, sizeof p, "%s/index.html", root);
    mkfile(p, "<h1>console</h1>");
    snprintf(p, sizeof p, "%s/secret.txt", outside);
    mkfile(p, "secret");
    snprintf(p, sizeof p, "%s/web/out", outside);
    char target[400];
    snprintf(target, sizeof target, "%s/secret.txt", outside);
    assert_int_equal(symlink(target, p), 0);
    snprintf(p, sizeof p, "%s/sub", root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/sub/app.js", root);
    mkfile(p, "export {}");

    sf_api *a = NULL;
    sf_api_opts o = {.web_root = root};
    assert_int_equal(sf_api_new(&a, &o, NULL), SF_OK);
    sf_api_resp r;
    assert_int_equal(handle(a, "GET / HTTP/1.1\r\n\r\n", &r), 200);
    assert_string_equal(r.body.data, "<h1>console</h1>");
    assert_string_equal(r.ctype, "text/html; charset=utf-8");
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "GET /sub/app.js HTTP/1.1\r\n\r\n", &r), 200);
    assert_string_equal(r.ctype, "text/javascript; charset=utf-8");
    sf_buf_free(&r.body);
    static const char *const bad[] = {
        "GET /../secret.txt HTTP/1.1\r\n\r\n",     "GET /%2e%2e/secret.txt HTTP/1.1\r\n\r\n",
        "GET /sub/..%2f..%2fsecret.txt HTTP/1.1\r\n\r\n", "GET /out HTTP/1.1\r\n\r\n",
        "GET /sub/../../secret.txt HTTP/1.1\r\n\r\n", "GET /.%2e/secret.txt HTTP/1.1\r\n\r\n",
        "GET /..%5csecret.txt HTTP/1.1\r\n\r\n",   "GET /sub HTTP/1.1\r\n\r\n",
        "GET /nope.html HTTP/1.1\r\n\r\n",         "GET /./index.html HTTP/1.1\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int st = handle(a, bad[i], &r);
        if (st != 404 || strstr(r.body.data ? r.body.data : "", "secret\"") ||
            (r.body.data && strcmp(r.body.data, "secret") == 0))
            fail_msg("%s: status %d body %s", bad[i], st, r.body.data ? r.body.data : "");
        sf_buf_free(&r.body);
    }
    assert_int_equal(handle(a, "POST / HTTP/1.1\r\n\r\n", &r), 405);
    sf_buf_free(&r.body);
    /* the embedded contract needs no Redis */
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\n\r\n", &r), 200);
    assert_int_equal(r.body.len, sf_api_openapi_len);
    assert_non_null(strstr(r.body.data, "\"openapi\": \"3.1.0\""));
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "GET /v1/nothing HTTP/1.1\r\n\r\n", &r), 404);
    assert_non_null(strstr(r.body.data, "\"code\":\"not_found\""));
    sf_buf_free(&r.body);
    sf_api_free(a);
}

static void test_api_auth__tokens_and_cors(void **state)
{
    (void)state;
    char tf[400];
    snprintf(tf, sizeof tf, "%s/tokens", outside);
    mkfile(tf, "# read-only tokens\n\nsixteen-chars-token-1\n  another-token-abcdef\n");
    sf_api *a = NULL;
    sf_api_opts o = {.tokens_file = tf, .cors_origin = "http://console.local"};
    assert_int_equal(sf_api_new(&a, &o, NULL), SF_OK);
    sf_api_resp r;
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\n\r\n", &r), 401);
    assert_non_null(strstr(r.headers, "WWW-Authenticate: Bearer"));
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\nAuthorization: Bearer wrong-token-0000000\r\n\r\n", &r), 401);
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\nAuthorization: Bearer sixteen-chars-token-\r\n\r\n", &r), 401);
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\nAuthorization: Bearer another-token-abcdef\r\n"
                               "Origin: http://console.local\r\n\r\n", &r), 200);
    assert_non_null(strstr(r.headers, "Access-Control-Allow-Origin: http://console.local"));
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\nAuthorization: bearer sixteen-chars-token-1\r\n"
                               "Origin: http://evil.example\r\n\r\n", &r), 200);
    assert_null(strstr(r.headers, "Access-Control"));
    sf_buf_free(&r.body);
    assert_int_equal(handle(a, "OPTIONS /v1/images HTTP/1.1\r\nOrigin: http://console.local\r\n\r\n", &r), 204);
    sf_buf_free(&r.body);
    sf_api_free(a);
    /* CORS off by default; a tokens file without tokens is refused */
    sf_api_opts o2 = {0};
    assert_int_equal(sf_api_new(&a, &o2, NULL), SF_OK);
    assert_int_equal(handle(a, "GET /v1/openapi.json HTTP/1.1\r\nOrigin: http://console.local\r\n\r\n", &r), 200);
    assert_null(strstr(r.headers, "Access-Control"));
    sf_buf_free(&r.body);
    sf_api_free(a);
    mkfile(tf, "# nothing\n");
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_api_new(&a, &o, &e), SF_ECONFIG);
    mkfile(tf, "short\n");
    assert_int_equal(sf_api_new(&a, &o, &e), SF_ECONFIG);
}

/* Last: remove the scratch folder of the tests above. (docs/api-config.md
 * is checked with every program's by tests/unit/config/test_docs_drift.sh.) */
static void test_api_cleanup(void **state)
{
    (void)state;
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", outside);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_req__good),
        cmocka_unit_test(test_api_req__bad),
        cmocka_unit_test(test_api_params__good),
        cmocka_unit_test(test_api_params__bad),
        cmocka_unit_test(test_api_params__q),
        cmocka_unit_test(test_agg_name__entries),
        cmocka_unit_test(test_api_static__traversal),
        cmocka_unit_test(test_api_auth__tokens_and_cors),
        cmocka_unit_test(test_api_cleanup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
