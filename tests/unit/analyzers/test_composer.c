/* Tests of the Composer analyzer: installed.json in the Composer 1 (array)
 * and 2 ({"packages"}) layouts, name and version normalisation for OSV
 * Packagist, the paths it reads, bad input, and the packages matched end
 * to end against a hand-written Packagist OSV record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"
#include "bus/msg_result.h"

#define INSTALLED "var/www/html/vendor/composer/installed.json"

static const char v2[] =
    "{\"packages\":["
    "{\"name\":\"Symfony/HTTP-Kernel\",\"version\":\"v5.4.19\",\"version_normalized\":\"5.4.19.0\","
    "\"type\":\"library\",\"license\":[\"MIT\"],\"install-path\":\"../symfony/http-kernel\"},"
    "{\"name\":\"monolog/monolog\",\"version\":\"2.9.1\",\"license\":[\"MIT\",\"GPL-2.0-or-later\"]},"
    "{\"name\":\"acme/tool\",\"version\":\"dev-main\",\"license\":\"proprietary\"},"
    "{\"name\":\"phpunit/phpunit\",\"version\":\"V9.6.0\"},"
    "{\"name\":\"vendorless\",\"version\":\"1.0.0\"},"
    "{\"name\":\"nover/x\"},7],"
    "\"dev\":true,\"dev-package-names\":[\"phpunit/phpunit\"]}";

static const char v1[] =
    "[{\"name\":\"guzzlehttp/psr7\",\"version\":\"1.8.1\",\"license\":[\"MIT\"]},"
    " {\"name\":\"vlucas/phpdotenv\",\"version\":\"v2.6.1\"}]";

static void test_analyzers_composer__layouts(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_composer, INSTALLED, 0100644, v2, strlen(v2), &src, &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_PARSED);
    assert_int_equal(src.npkgs, 4);
    const sf_pkg *k = an_pkg(&src, "symfony/http-kernel");
    assert_non_null(k);
    assert_int_equal(k->type, SF_PT_COMPOSER);
    assert_string_equal(k->version, "5.4.19");
    assert_string_equal(k->license, "MIT");
    sf_buf purl;
    sf_buf_init(&purl, 1024);
    assert_int_equal(sf_result_purl(k, NULL, &purl), SF_OK);
    assert_string_equal(purl.data, "pkg:composer/symfony/http-kernel@5.4.19");
    sf_buf_free(&purl);
    assert_string_equal(an_pkg(&src, "monolog/monolog")->license, "MIT OR GPL-2.0-or-later");
    assert_string_equal(an_pkg(&src, "acme/tool")->version, "dev-main");
    assert_string_equal(an_pkg(&src, "acme/tool")->license, "proprietary");
    assert_string_equal(an_pkg(&src, "phpunit/phpunit")->version, "9.6.0"); /* dev: installed, reported */
    assert_null(an_pkg(&src, "vendorless"));
    assert_non_null(strstr(src.note, "3 malformed package entry(s) skipped"));
    sf_inv_source_clear(&src);
    assert_int_equal(an_run(&sf_an_composer, INSTALLED, 0100644, v1, strlen(v1), &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 2);
    assert_string_equal(an_pkg(&src, "guzzlehttp/psr7")->version, "1.8.1");
    assert_string_equal(an_pkg(&src, "vlucas/phpdotenv")->version, "2.6.1");
    assert_null(src.note);
    sf_inv_source_clear(&src);
    /* an empty vendor folder: parsed, no package, kept (it replaces a lower layer's) */
    static const char empty[] = "{\"packages\":[],\"dev\":false}";
    assert_int_equal(an_run(&sf_an_composer, INSTALLED, 0100644, empty, strlen(empty), &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    assert_false(sf_an_source_droppable(&src));
    sf_inv_source_clear(&src);
}

static void test_analyzers_composer__paths(void **state)
{
    (void)state;
    static const an_want cases[] = {
        {INSTALLED, 1},
        {"app/lib/composer/installed.json", 1}, /* "vendor-dir": "lib" */
        {"composer/installed.json", 1},
        {"app/vendor/composer/installed.php", 0},
        {"app/vendor/mycomposer/installed.json", 0},
        {"app/composer.lock", 0},
        {"app/installed.json", 0},
    };
    an_expect_wants(&sf_an_composer, cases, sizeof cases / sizeof cases[0]);
}

static void test_analyzers_composer__bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "{", "{\"packages\":{}}", "\"x\"", "{\"a\":1}", "[1,2]\0", NULL};
    static const size_t lens[] = {0, 1, 15, 3, 7, 6};
    an_expect_bad(&sf_an_composer, INSTALLED, bad, lens, SF_EPARSE, "");
    /* truncated anywhere: an error or (at the very end) the full result, never a crash */
    an_expect_cuts_fail(&sf_an_composer, INSTALLED, v2, SF_EPARSE, "invalid JSON");
    /* duplicate keys are refused (two "version"s: which one is installed?) */
    static const char *const dup[] = {"[{\"name\":\"a/b\",\"version\":\"1\",\"version\":\"2\"}]", NULL};
    an_expect_bad(&sf_an_composer, INSTALLED, dup, NULL, SF_EPARSE, NULL);
}

static const char osv_kernel[] =
    "{\"schema_version\":\"1.6.0\",\"id\":\"TEST-PHP-0001\",\"modified\":\"2024-01-01T00:00:00Z\","
    "\"aliases\":[\"CVE-2022-24894\"],\"summary\":\"http-kernel cache leaks cookies\","
    "\"affected\":[{\"package\":{\"ecosystem\":\"Packagist\",\"name\":\"symfony/http-kernel\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"2.0.0\"},{\"fixed\":\"4.4.50\"},"
    "{\"introduced\":\"5.0.0\"},{\"fixed\":\"5.4.20\"}]}]}]}";

/* "Symfony/HTTP-Kernel" at "v5.4.19" matches the lower-case record below
 * its fix; v5.4.20 and v4.4.50 (the fixes) do not. */
static void test_analyzers_composer__osv_match(void **state)
{
    (void)state;
    static const struct {
        const char *ver;
        int hit;
    } cases[] = {{"v5.4.19", 1}, {"5.4.2", 1}, {"v4.4.49", 1}, {"v5.4.20", 0}, {"v4.4.50", 0}, {"v6.0.0", 0},
                 {"1.9.9", 0}};
    static const char *const docs[] = {osv_kernel, NULL};
    an_db db;
    an_db_open(&db, docs, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"packages\":[{\"name\":\"Symfony/HTTP-Kernel\",\"version\":\"%s\"}]}",
                 cases[i].ver);
        sf_findings f;
        an_db_match_text(&db, &sf_an_composer, INSTALLED, text, &f);
        if ((f.n == 1) != cases[i].hit)
            fail_msg("http-kernel %s: %zu findings", cases[i].ver, f.n);
        if (f.n) {
            assert_true(sf_t_finding_has_id(&f.items[0], "TEST-PHP-0001"));
            assert_string_equal(f.items[0].ecosystem, "Packagist");
        }
        sf_findings_clear(&f);
    }
    an_db_close(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_composer__layouts),
        cmocka_unit_test(test_analyzers_composer__paths),
        cmocka_unit_test(test_analyzers_composer__bad_input),
        cmocka_unit_test(test_analyzers_composer__osv_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
