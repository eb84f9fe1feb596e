/* Tests of the Ruby gem analyzer: gemspecs in the forms RubyGems and
 * Debian's gem2deb write (".freeze", %q{}, "spec" as the block variable,
 * the "# stub:" fallback), the paths it reads, hostile input, and a found
 * gem matched end to end against a hand-written RubyGems OSV record. When
 * Ruby is installed, every real gemspec on the machine is parsed and
 * checked against its file name. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"

static const char rake[] =
    "# -*- encoding: utf-8 -*-\n"
    "# stub: rake 13.0.6 ruby lib\n"
    "\n"
    "Gem::Specification.new do |s|\n"
    "  s.name = \"rake\".freeze\n"
    "  s.version = \"13.0.6\"\n"
    "\n"
    "  s.required_rubygems_version = Gem::Requirement.new(\">= 1.3.2\".freeze) if s.respond_to? "
    ":required_rubygems_version=\n"
    "  s.metadata = { \"name\" => \"x\" } if s.respond_to? :metadata=\n"
    "  s.authors = [\"Hiroshi SHIBATA\".freeze, \"Eric Hodel\".freeze]\n"
    "  s.licenses = [\"MIT\".freeze]\n"
    "  s.specification_version = 4\n"
    "end\n";

/* Old RubyGems (1.x) style, another block variable, CRLF. */
static const char old_style[] =
    "Gem::Specification.new do |spec|\r\n"
    "  spec.name = %q{net-ssh}\r\n"
    "  spec.version = '2.9.1'\r\n"
    "  spec.license = %q(MIT)\r\n"
    "  s.name = \"not-the-block-variable\"\r\n"
    "end\r\n";

/* Not literals: the stub header is used. */
static const char stub_only[] =
    "# stub: nokogiri 1.15.4 x86_64-linux lib\n"
    "Gem::Specification.new do |s|\n"
    "  s.name = NAME\n"
    "  s.version = \"#{MAJOR}.0\"\n"
    "end\n";

/* The gemspec text at path parses to one gem with this name, version and
 * license (NULL: none stated). */
static void expect_gem(const char *path, const char *text, const char *name, const char *version,
                       const char *license)
{
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_gem, path, 0100644, text, strlen(text), &src, &err), SF_OK);
    assert_int_equal(src.status, SF_SRC_PARSED);
    assert_int_equal(src.npkgs, 1);
    assert_int_equal(src.pkgs[0].type, SF_PT_GEM);
    assert_string_equal(src.pkgs[0].name, name);
    assert_string_equal(src.pkgs[0].version, version);
    if (license)
        assert_string_equal(src.pkgs[0].license, license);
    else
        assert_null(src.pkgs[0].license);
    sf_inv_source_clear(&src);
}

static void test_analyzers_gem__gemspec_forms(void **state)
{
    (void)state;
    expect_gem("usr/local/lib/ruby/gems/3.2.0/specifications/rake-13.0.6.gemspec", rake, "rake",
               "13.0.6", "MIT");
    expect_gem("usr/share/rubygems-integration/all/specifications/net-ssh-2.9.1.gemspec", old_style,
               "net-ssh", "2.9.1", "MIT");
    expect_gem("vendor/bundle/ruby/3.2.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec",
               stub_only, "nokogiri", "1.15.4", NULL);
    /* several licenses, on one line */
    static const char two[] = "Gem::Specification.new do |s|\n s.name = \"json\"\n s.version = \"2.6.3\"\n"
                              " s.licenses = [\"Ruby\".freeze, 'BSD-2-Clause']\nend\n";
    expect_gem("specifications/default/json-2.6.3.gemspec", two, "json", "2.6.3", "Ruby, BSD-2-Clause");
}

static void test_analyzers_gem__paths(void **state)
{
    (void)state;
    static const an_want cases[] = {
        {"usr/local/lib/ruby/gems/3.2.0/specifications/rake-13.0.6.gemspec", 1},
        {"usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec", 1},
        {"usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec", 1},
        {"usr/share/rubygems-integration/3.1.0/specifications/racc-1.6.0.gemspec", 1},
        {"app/vendor/bundle/ruby/3.2.0/specifications/rack-3.0.8.gemspec", 1},
        {"specifications/x-1.gemspec", 1},
        {"app/myapp.gemspec", 0},                                       /* a source tree */
        {"usr/local/lib/ruby/gems/3.2.0/gems/rake-13.0.6/rake.gemspec", 0}, /* the gem's own copy */
        {"x/myspecifications/a-1.gemspec", 0},
        {"x/specifications/.gemspec", 0},
        {"x/specifications/a-1.gemspec.bak", 0},
    };
    an_expect_wants(&sf_an_gem, cases, sizeof cases / sizeof cases[0]);
    sf_entry d = {"x/specifications/a-1.gemspec", 0, 0040755};
    assert_false(sf_an_gem.wants(&d));
}

static void test_analyzers_gem__bad_input(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    static const char *const bad[] = {
        "",
        "Gem::Specification.new do |s|\n  s.name = \"x\"\nend\n",            /* no version */
        "Gem::Specification.new do |s|\n  s.name = \"x\\\"y\"\n s.version = \"1\"\n", /* escape */
        "Gem::Specification.new do |s|\n  s.name = \"unterminated\n s.version = \"1\"\n",
        "s.name = \"a\x01\"\ns.version = \"1\"\n",                          /* control char */
        "s.name = \"\xff\xfe\"\ns.version = \"1\"\n",                         /* not UTF-8 */
        "# stub: \n# stub: x\n",
        "s.name == \"x\"\ns.version == \"1\"\n",
        NULL,
    };
    an_expect_bad(&sf_an_gem, "specifications/x.gemspec", bad, NULL, SF_EPARSE,
                  "no literal gem name and version");
    /* truncated at every byte: never a crash; a package only once both are complete */
    for (size_t cut = 0; cut <= strlen(rake); cut++) {
        sf_error_clear(&err);
        int rc = an_run(&sf_an_gem, "specifications/rake.gemspec", 0100644, rake, cut, &src, &err);
        assert_true(rc == SF_OK || rc == SF_EPARSE);
        if (rc == SF_OK)
            assert_int_equal(src.npkgs, 1);
        sf_inv_source_clear(&src);
    }
    /* a name longer than the field limit */
    size_t n = SF_LIM_PKG_FIELD + 64;
    char *big = malloc(n + 64);
    int o = snprintf(big, 64, "s.version = \"1\"\ns.name = \"");
    memset(big + o, 'a', n);
    memcpy(big + o + n, "\"\n", 3);
    sf_error_clear(&err);
    assert_int_equal(an_run(&sf_an_gem, "specifications/a.gemspec", 0100644, big, strlen(big), &src, &err),
                     SF_EPARSE);
    sf_inv_source_clear(&src);
    free(big);
}

static const char osv_rack[] =
    "{\"schema_version\":\"1.6.0\",\"id\":\"TEST-GEM-0001\",\"modified\":\"2024-01-01T00:00:00Z\","
    "\"summary\":\"rake shell injection\",\"affected\":[{\"package\":{\"ecosystem\":\"RubyGems\","
    "\"name\":\"rake\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
    "{\"fixed\":\"13.0.7.pre.1\"}]}]}]}";

/* RubyGems ordering: 13.0.6 < 13.0.7.pre.1 (a prerelease sorts after
 * the release before it), 13.0.7 is fixed. */
static void test_analyzers_gem__osv_match(void **state)
{
    (void)state;
    static const struct {
        const char *ver;
        int hit;
    } cases[] = {{"13.0.6", 1}, {"10.5.0", 1}, {"13.0.7.pre.1", 0}, {"13.0.7", 0}, {"13.1.0", 0}};
    static const char *const docs[] = {osv_rack, NULL};
    an_db db;
    an_db_open(&db, docs, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n"
                 "  s.version = \"%s\"\nend\n", cases[i].ver);
        sf_findings f;
        an_db_match_text(&db, &sf_an_gem, "specifications/rake.gemspec", text, &f);
        if ((f.n == 1) != cases[i].hit)
            fail_msg("rake %s: %zu findings", cases[i].ver, f.n);
        if (f.n) {
            assert_string_equal(f.items[0].id, "TEST-GEM-0001");
            assert_string_equal(f.items[0].ecosystem, "RubyGems");
            assert_string_equal(f.items[0].fixed, "13.0.7.pre.1");
        }
        sf_findings_clear(&f);
    }
    an_db_close(&db);
}

/* Every real gemspec under the installed Ruby's specification folders
 * parses to the name and version its file name says. */
static void check_dir(const char *dir, size_t *seen)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (!d)
        return;
    while ((de = readdir(d))) {
        if (!sf_an_has_suffix(de->d_name, ".gemspec"))
            continue;
        char path[2048];
        int pl = snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        assert_true(pl > 0 && (size_t)pl < sizeof path);
        size_t len;
        char *text = sf_t_read_file(path, &len);
        assert_non_null(text);
        sf_inv_source src;
        sf_error err = SF_ERROR_INIT;
        const char *rel = an_norm(path);
        if (an_run(&sf_an_gem, rel, 0100644, text, len, &src, &err) != SF_OK)
            fail_msg("%s: %s", path, err.msg);
        char want[2 * SF_LIM_PKG_FIELD + 2];
        snprintf(want, sizeof want, "%s-%s", src.pkgs[0].name, src.pkgs[0].version);
        if (strncmp(de->d_name, want, strlen(want)) != 0)
            fail_msg("%s: parsed %s", path, want);
        (*seen)++;
        sf_inv_source_clear(&src);
        free(text);
    }
    closedir(d);
}

static void test_analyzers_gem__installed_ruby(void **state)
{
    (void)state;
    FILE *p = popen("ruby -e 'puts Gem.default_specifications_dir; puts Gem::Specification.dirs' "
                    "2>/dev/null; ls -d /usr/share/rubygems-integration/*/specifications 2>/dev/null",
                    "r");
    char line[1024];
    size_t seen = 0;
    while (p && fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        check_dir(line, &seen);
    }
    if (p)
        pclose(p);
    if (!seen)
        skip(); /* no Ruby here */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_gem__gemspec_forms),
        cmocka_unit_test(test_analyzers_gem__paths),
        cmocka_unit_test(test_analyzers_gem__bad_input),
        cmocka_unit_test(test_analyzers_gem__osv_match),
        cmocka_unit_test(test_analyzers_gem__installed_ruby),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
