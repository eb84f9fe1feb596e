/* Tests of the npm analyzer: the corpus node_modules tree (all 32
 * installed packages, nested ones included, against `npm ls`), its v3
 * lockfile, v1 lockfiles, yarn.lock, the reconciliation rule, and hostile
 * input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "an_test.h"
#include "testutil.h"

/* name@version strings of every node of an `npm ls --all --json` tree. */
static void ls_collect(json_t *node, json_t *set)
{
    const char *name;
    json_t *dep;
    json_object_foreach(json_object_get(node, "dependencies"), name, dep) {
        char key[512];
        snprintf(key, sizeof key, "%s@%s", name, json_string_value(json_object_get(dep, "version")));
        json_object_set_new(set, key, json_true());
        ls_collect(dep, set);
    }
}

/* Check that the packages of the sources selected by `lock` (1: lockfile
 * sources, 0: installed ones) are exactly the `npm ls` set. */
static void check_set(an_walk *w, json_t *want, int lock, size_t expect_srcs)
{
    json_t *got = json_object();
    size_t nsrc = 0, npk = 0;
    for (size_t i = 0; i < w->n; i++) {
        sf_inv_source *s = &w->srcs[i];
        if (strcmp(s->analyzer, "npm") != 0 || sf_an_npm_is_lockfile(s->path) != lock)
            continue;
        assert_int_equal(s->status, SF_SRC_PARSED);
        nsrc++;
        for (size_t k = 0; k < s->npkgs; k++) {
            char key[512];
            snprintf(key, sizeof key, "%s@%s", s->pkgs[k].name, s->pkgs[k].version);
            assert_non_null(json_object_get(want, key));
            assert_int_equal(s->pkgs[k].type, SF_PT_NPM);
            assert_string_equal(s->pkgs[k].path, s->path);
            json_object_set_new(got, key, json_true());
            npk++;
        }
    }
    assert_int_equal(nsrc, expect_srcs);
    assert_int_equal(json_object_size(got), json_object_size(want));
    if (!lock)
        assert_int_equal(npk, 32); /* one package per installed package.json */
    json_decref(got);
}

static void test_analyzers_npm__fixture_tree_and_lockfile(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *ls = json_load_file(sf_t_corpus("lang/npm/npm-ls.json"), 0, &jerr);
    assert_non_null(ls);
    json_t *want = json_object();
    ls_collect(ls, want);
    assert_int_equal(json_object_size(want), 32);
    an_walk w;
    assert_int_equal(an_walk_file(sf_t_corpus("lang/npm/npm-vuln-fixture.tar.gz"), &w), 0);
    check_set(&w, want, 0, 32);
    check_set(&w, want, 1, 1); /* package-lock.json: the same 32 */
    /* the nested install and a scoped-looking path */
    sf_inv_source *s = an_find(&w, "npm", "npm-vuln-fixture/node_modules/optimist/node_modules/minimist/package.json");
    assert_non_null(s);
    assert_string_equal(s->pkgs[0].version, "0.0.10");
    assert_string_equal(an_pkg(an_find(&w, "npm", "npm-vuln-fixture/node_modules/minimist/package.json"),
                               "minimist")->version,
                        "1.2.0");
    /* not read: the project's package.json and npm's hidden lockfile */
    assert_null(an_find(&w, "npm", "npm-vuln-fixture/package.json"));
    assert_null(an_find(&w, "npm", "npm-vuln-fixture/node_modules/.package-lock.json"));
    /* every installed package shadows the lockfile */
    for (size_t i = 0; i < w.n; i++)
        if (strcmp(w.srcs[i].analyzer, "npm") == 0 && !sf_an_npm_is_lockfile(w.srcs[i].path))
            assert_true(sf_an_npm_lock_shadowed("npm-vuln-fixture/package-lock.json", w.srcs[i].path));
    an_walk_free(&w);
    json_decref(want);
    json_decref(ls);
}

static sf_inv_source run_npm(const char *path, const char *text, int expect_rc)
{
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_npm, path, 0100644, text, strlen(text), &src, &err), expect_rc);
    return src;
}

static void test_analyzers_npm__lockfile_versions(void **state)
{
    (void)state;
    sf_inv_source s = run_npm("app/package-lock.json",
                              "{\"lockfileVersion\":1,\"dependencies\":{"
                              "\"a\":{\"version\":\"1.0.0\",\"dependencies\":{\"b\":{\"version\":\"2.0.0\"}}},"
                              "\"devonly\":{\"version\":\"1\",\"dev\":true},"
                              "\"@s/c\":{\"version\":\"3.0.0\"}}}",
                              SF_OK);
    assert_int_equal(s.npkgs, 3);
    assert_string_equal(an_pkg(&s, "b")->version, "2.0.0");
    assert_non_null(an_pkg(&s, "@s/c"));
    assert_null(an_pkg(&s, "devonly"));
    sf_inv_source_clear(&s);

    s = run_npm("package-lock.json",
                "{\"lockfileVersion\":2,\"packages\":{\"\":{\"name\":\"root\"},"
                "\"node_modules/x\":{\"version\":\"1.0.0\",\"license\":\"MIT\"},"
                "\"node_modules/x/node_modules/@s/y\":{\"version\":\"2.0.0\"},"
                "\"node_modules/alias\":{\"name\":\"real\",\"version\":\"3.0.0\"},"
                "\"node_modules/ws\":{\"resolved\":\"packages/ws\",\"link\":true},"
                "\"packages/ws\":{\"version\":\"9.9.9\"},"
                "\"node_modules/d\":{\"version\":\"1\",\"dev\":true},"
                "\"node_modules/nover\":{}},"
                "\"dependencies\":{\"ignored\":{\"version\":\"1\"}}}",
                SF_OK);
    assert_int_equal(s.npkgs, 3);
    assert_string_equal(an_pkg(&s, "x")->license, "MIT");
    assert_string_equal(an_pkg(&s, "@s/y")->version, "2.0.0");
    assert_string_equal(an_pkg(&s, "real")->version, "3.0.0");
    assert_string_equal(s.note, "1 entry without usable name/version skipped");
    sf_inv_source_clear(&s);
}

static void test_analyzers_npm__yarn_lock(void **state)
{
    (void)state;
    sf_inv_source s = run_npm("yarn.lock",
                              "# yarn lockfile v1\n\n\n"
                              "\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.10.4\":\n"
                              "  version \"7.12.13\"\n  resolved \"https://example/x.tgz\"\n"
                              "  dependencies:\n    \"@babel/highlight\" \"^7.12.13\"\n\n"
                              "lodash@^4.17.4, lodash@^4.17.5:\n  version \"4.17.21\"\n",
                              SF_OK);
    assert_int_equal(s.npkgs, 2);
    assert_string_equal(an_pkg(&s, "@babel/code-frame")->version, "7.12.13");
    assert_string_equal(an_pkg(&s, "lodash")->version, "4.17.21");
    sf_inv_source_clear(&s);
    s = run_npm("web/yarn.lock",
                "__metadata:\n  version: 6\n  cacheKey: 8\n\n"
                "\"lodash@npm:^4.17.4\":\n  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n\n"
                "\"app@workspace:.\":\n  version: 0.0.0-use.local\n",
                SF_OK);
    assert_int_equal(s.npkgs, 1);
    assert_string_equal(s.pkgs[0].name, "lodash");
    assert_string_equal(s.pkgs[0].version, "4.17.21");
    sf_inv_source_clear(&s);
}

static void test_analyzers_npm__wants_and_shadowing(void **state)
{
    (void)state;
    static const an_want cases[] = {
        {"node_modules/a/package.json", 1},
        {"usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json", 1},
        {"node_modules/@s/package.json", 0},
        {"node_modules/a/lib/package.json", 0},
        {"app/package.json", 0},
        {"package.json", 0},
        {"node_modules/.package-lock.json", 0},
        {"node_modules/a/package-lock.json", 0},
        {"app/package-lock.json", 1},
        {"app/yarn.lock", 1},
        {"npm-shrinkwrap.json", 1},
        {"xnode_modules/a/package.json", 0},
    };
    an_expect_wants(&sf_an_npm, cases, sizeof cases / sizeof cases[0]);
    assert_true(sf_an_npm_lock_shadowed("package-lock.json", "node_modules/a/package.json"));
    assert_true(sf_an_npm_lock_shadowed("app/yarn.lock", "app/node_modules/a/node_modules/b/package.json"));
    assert_false(sf_an_npm_lock_shadowed("app/package-lock.json", "other/node_modules/a/package.json"));
    assert_false(sf_an_npm_lock_shadowed("app/package-lock.json", "app/node_modules/a/lib/package.json"));
}

static void test_analyzers_npm__hostile_input(void **state)
{
    (void)state;
    sf_inv_source s = run_npm("node_modules/a/package.json", "{\"name\":\"a\",\"version\":", SF_EPARSE);
    sf_inv_source_clear(&s);
    s = run_npm("node_modules/a/package.json", "[1,2]", SF_EPARSE);
    sf_inv_source_clear(&s);
    s = run_npm("node_modules/a/package.json", "{\"name\":\"a\",\"version\":\"1\",\"name\":\"b\"}", SF_EPARSE);
    sf_inv_source_clear(&s);
    /* invalid UTF-8 is a JSON error; a control character in a name drops the package */
    s = run_npm("node_modules/a/package.json", "{\"name\":\"\xff\",\"version\":\"1\"}", SF_EPARSE);
    sf_inv_source_clear(&s);
    s = run_npm("node_modules/a/package.json", "{\"name\":\"a\\u0001\",\"version\":\"1\"}", SF_OK);
    assert_int_equal(s.npkgs, 0);
    assert_non_null(s.note);
    sf_inv_source_clear(&s);
    s = run_npm("node_modules/a/package.json", "{\"name\":\"a\\u0000b\",\"version\":\"1\"}", SF_EPARSE);
    sf_inv_source_clear(&s);
    s = run_npm("node_modules/a/package.json", "{\"name\":5,\"version\":\"1\"}", SF_OK);
    assert_int_equal(s.npkgs, 0);
    sf_inv_source_clear(&s);
    /* deep v1 nesting stops at SF_LIM_JSON_DEPTH */
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, "{\"dependencies\":");
    for (int i = 0; i < 200; i++)
        sf_buf_puts(&b, "{\"a\":{\"version\":\"1\",\"dependencies\":");
    sf_buf_puts(&b, "{}");
    for (int i = 0; i < 200; i++)
        sf_buf_puts(&b, "}}");
    sf_buf_puts(&b, "}");
    s = run_npm("package-lock.json", b.data, SF_ELIMIT);
    sf_inv_source_clear(&s);
    sf_buf_free(&b);
    /* 100 MB package.json: refused before any parsing */
    size_t big = 100u << 20;
    char *huge = calloc(1, big);
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_npm, "node_modules/a/package.json", 0100644, huge, big, &s, &err),
                     SF_ELIMIT);
    assert_non_null(strstr(err.msg, "too big"));
    sf_inv_source_clear(&s);
    free(huge);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_npm__fixture_tree_and_lockfile),
        cmocka_unit_test(test_analyzers_npm__lockfile_versions),
        cmocka_unit_test(test_analyzers_npm__yarn_lock),
        cmocka_unit_test(test_analyzers_npm__wants_and_shadowing),
        cmocka_unit_test(test_analyzers_npm__hostile_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
