/* Tests of the .NET analyzer: an application's and a shared framework's
 * deps.json, the paths it reads, bad input, and the packages matched end
 * to end against a hand-written NuGet OSV record. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "an_test.h"
#include "testutil.h"
#include "bus/msg_result.h"

static const char app[] =
    "{\"runtimeTarget\":{\"name\":\".NETCoreApp,Version=v6.0\",\"signature\":\"\"},"
    "\"targets\":{\".NETCoreApp,Version=v6.0\":{\"MyApp/1.0.0\":{\"dependencies\":"
    "{\"Newtonsoft.Json\":\"12.0.3\"}},\"Newtonsoft.Json/12.0.3\":{\"runtime\":{}}}},"
    "\"libraries\":{"
    "\"MyApp/1.0.0\":{\"type\":\"project\",\"serviceable\":false,\"sha512\":\"\"},"
    "\"Newtonsoft.Json/12.0.3\":{\"type\":\"package\",\"serviceable\":true,\"sha512\":\"sha512-x\","
    "\"path\":\"newtonsoft.json/12.0.3\"},"
    "\"System.Text.Encodings.Web/4.7.1\":{\"type\":\"package\",\"serviceable\":true},"
    "\"Mono.Cecil/0.11.4-beta.1\":{\"type\":\"package\"},"
    "\"Plain.Ref/4.0.0.0\":{\"type\":\"reference\"},"
    "\"NoVersion\":{\"type\":\"package\"},\"Empty/\":{\"type\":\"package\"},\"Broken/1.0\":7}}";

static const char framework[] =
    "{\"runtimeTarget\":{\"name\":\".NETCoreApp,Version=v6.0/linux-x64\"},"
    "\"targets\":{},\"libraries\":{\"Microsoft.NETCore.App.Runtime.linux-x64/6.0.16\":"
    "{\"type\":\"package\",\"serviceable\":true}}}";

static void test_analyzers_dotnet__deps_json(void **state)
{
    (void)state;
    sf_inv_source src;
    sf_error err = SF_ERROR_INIT;
    assert_int_equal(an_run(&sf_an_dotnet, "app/MyApp.deps.json", 0100644, app, strlen(app), &src, &err),
                     SF_OK);
    assert_int_equal(src.status, SF_SRC_PARSED);
    assert_int_equal(src.npkgs, 3);
    assert_int_equal(an_pkg(&src, "Newtonsoft.Json")->type, SF_PT_NUGET);
    assert_string_equal(an_pkg(&src, "Newtonsoft.Json")->version, "12.0.3");
    sf_buf purl;
    sf_buf_init(&purl, 1024);
    assert_int_equal(sf_result_purl(an_pkg(&src, "Newtonsoft.Json"), NULL, &purl), SF_OK);
    assert_string_equal(purl.data, "pkg:nuget/Newtonsoft.Json@12.0.3");
    sf_buf_free(&purl);
    assert_string_equal(an_pkg(&src, "System.Text.Encodings.Web")->version, "4.7.1");
    assert_string_equal(an_pkg(&src, "Mono.Cecil")->version, "0.11.4-beta.1");
    assert_null(an_pkg(&src, "MyApp"));
    assert_null(an_pkg(&src, "Plain.Ref"));
    assert_non_null(strstr(src.note, "3 malformed library entry(s) skipped"));
    sf_inv_source_clear(&src);
    const char *fp = "usr/share/dotnet/shared/Microsoft.NETCore.App/6.0.16/Microsoft.NETCore.App.deps.json";
    assert_int_equal(an_run(&sf_an_dotnet, fp, 0100644, framework, strlen(framework), &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 1);
    assert_string_equal(src.pkgs[0].name, "Microsoft.NETCore.App.Runtime.linux-x64");
    assert_string_equal(src.pkgs[0].version, "6.0.16");
    sf_inv_source_clear(&src);
    /* no "libraries" at all: parsed, empty */
    assert_int_equal(an_run(&sf_an_dotnet, "a.deps.json", 0100644, "{}", 2, &src, &err), SF_OK);
    assert_int_equal(src.npkgs, 0);
    sf_inv_source_clear(&src);
    /* which files */
    sf_entry e = {"app/MyApp.deps.json", 100, 0100644};
    assert_true(sf_an_dotnet.wants(&e));
    e.path = "app/.deps.json";
    assert_false(sf_an_dotnet.wants(&e));
    e.path = "app/MyApp.runtimeconfig.json";
    assert_false(sf_an_dotnet.wants(&e));
    e.path = "app/deps.json";
    assert_false(sf_an_dotnet.wants(&e));
}

static void test_analyzers_dotnet__bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {"", "[]", "{\"libraries\":[]}", "{\"libraries\":", "nul\0l", NULL};
    static const size_t lens[] = {0, 2, 16, 13, 5};
    an_expect_bad(&sf_an_dotnet, "a.deps.json", bad, lens, SF_EPARSE, "");
    an_expect_cuts_fail(&sf_an_dotnet, "a.deps.json", app, SF_EPARSE, NULL);
}

static const char osv_json[] =
    "{\"schema_version\":\"1.6.0\",\"id\":\"TEST-NUGET-0001\",\"modified\":\"2024-01-01T00:00:00Z\","
    "\"aliases\":[\"CVE-2024-21907\"],\"summary\":\"Newtonsoft.Json deep nesting DoS\","
    "\"affected\":[{\"package\":{\"ecosystem\":\"NuGet\",\"name\":\"Newtonsoft.Json\"},"
    "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},{\"fixed\":\"13.0.1\"}]}]}]}";

static void test_analyzers_dotnet__osv_match(void **state)
{
    (void)state;
    /* NuGet ids are case-insensitive: a deps.json spelling the id in
     * another case must still match the advisory. */
    static const struct {
        const char *name, *ver;
        int hit;
    } cases[] = {{"Newtonsoft.Json", "12.0.3", 1}, {"Newtonsoft.Json", "13.0.1-beta1", 1},
                 {"Newtonsoft.Json", "9.0.1", 1},  {"newtonsoft.json", "12.0.3", 1},
                 {"NEWTONSOFT.JSON", "9.0.1", 1},  {"Newtonsoft.Json", "13.0.1", 0},
                 {"Newtonsoft.Json", "13.0.3", 0}};
    static const char *const docs[] = {osv_json, NULL};
    an_db db;
    an_db_open(&db, docs, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "{\"libraries\":{\"%s/%s\":{\"type\":\"package\"}}}",
                 cases[i].name, cases[i].ver);
        sf_findings f;
        an_db_match_text(&db, &sf_an_dotnet, "a.deps.json", text, &f);
        if ((f.n == 1) != cases[i].hit)
            fail_msg("%s %s: %zu findings", cases[i].name, cases[i].ver, f.n);
        if (f.n) {
            assert_true(sf_t_finding_has_id(&f.items[0], "TEST-NUGET-0001"));
            assert_string_equal(f.items[0].ecosystem, "NuGet");
            assert_int_equal(f.items[0].pkg_type, SF_PT_NUGET);
        }
        sf_findings_clear(&f);
    }
    an_db_close(&db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analyzers_dotnet__deps_json),
        cmocka_unit_test(test_analyzers_dotnet__bad_input),
        cmocka_unit_test(test_analyzers_dotnet__osv_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
