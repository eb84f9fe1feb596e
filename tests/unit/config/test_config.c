/* Unit tests of the coordinator's configuration (file/env/flags layers,
 * validation, redaction), its repository and tag filters, and the per-run
 * digest set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/digest.h"
#include "config.h"
#include "digest_set.h"
#include "enumerate.h"
#include "testutil.h"

static const char *CFG =
    "{\"kafka\":\"k1:9092\",\"topic\":\"t.jobs\",\"interval\":\"30m\",\"concurrency\":4,"
    "\"registries\":[{\"url\":\"https://r1.example\",\"username\":\"u\",\"password\":\"TOPSECRET\","
    "\"include\":[\"team-*\"],\"exclude\":[\"team-x/*\"],"
    "\"tags\":{\"include\":[\"v*\"],\"regex\":\"^v[0-9]+\\\\.[0-9]+$\",\"newest\":2}},"
    "{\"url\":\"hub.example\",\"repositories\":[\"library/alpine\"],\"rate\":2.5,"
    "\"password_env\":\"SF_TEST_PW\",\"username_env\":\"SF_TEST_USER\"}]}";

static void test_config_load__file_values_and_inheritance(void **state)
{
    (void)state;
    sf_coordcfg c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_coordcfg_load_text(&c, CFG, strlen(CFG), &e), SF_OK);
    assert_string_equal(c.kafka, "k1:9092");
    assert_string_equal(c.topic, "t.jobs");
    assert_int_equal(c.interval_s, 1800);
    assert_int_equal(c.nregs, 2);
    assert_int_equal(c.regs[0].concurrency, 4); /* inherited from the global */
    assert_int_equal(c.regs[0].tag_newest, 2);
    assert_int_equal(c.regs[0].catalog, 1);
    assert_int_equal(c.regs[1].catalog, 0); /* explicit list, no catalog */
    assert_true(c.regs[1].rate > 2.4 && c.regs[1].rate < 2.6);
    setenv("SF_TEST_USER", "envuser", 1);
    setenv("SF_TEST_PW", "envpw", 1);
    const char *u, *p;
    sf_regcfg_credentials(&c.regs[1], &u, &p);
    assert_string_equal(u, "envuser");
    assert_string_equal(p, "envpw");
    sf_coordcfg_free(&c);
}

static void test_config_dump__redacts_secrets(void **state)
{
    (void)state;
    sf_coordcfg c;
    assert_int_equal(sf_coordcfg_load_text(&c, CFG, strlen(CFG), NULL), SF_OK);
    char *s = sf_coordcfg_dump(&c);
    assert_non_null(s);
    assert_null(strstr(s, "TOPSECRET"));
    assert_non_null(strstr(s, "\"password\": \"***\""));
    assert_non_null(strstr(s, "\"newest\": 2"));
    free(s);
    sf_coordcfg_free(&c);
}

/* The tests may run in a shell with SCANFARM_* variables set (the stack's
 * SCANFARM_*_PORT in CI on other ports, a developer's own configuration):
 * clear them so each test sees only what it sets. */
static void clear_scanfarm_env(void)
{
    extern char **environ;
    for (int again = 1; again;) {
        again = 0;
        for (char **e = environ; e && *e; e++) {
            if (strncmp(*e, "SCANFARM_", 9) == 0) {
                char name[128];
                size_t n = strcspn(*e, "=");
                snprintf(name, sizeof name, "%.*s", (int)n, *e);
                unsetenv(name);
                again = 1;
                break;
            }
        }
    }
}

static void test_config_load__layers_env_and_flags(void **state)
{
    clear_scanfarm_env();
    (void)state;
    char path[] = "/tmp/sf-coordcfg-XXXXXX";
    const char *doc = "{\"kafka\":\"file:1\",\"topic\":\"file.topic\",\"page_size\":50}";
    assert_int_equal(sf_t_write_temp(path, doc), 0);
    setenv("SCANFARM_JOBS_TOPIC", "env.topic", 1);
    setenv("SCANFARM_REGISTRY_PASSWORD", "envsecret", 1);
    char *argv[] = {"x", "--config", path, "--kafka=flag:2", "--registry", "a.example",
                    "--registry", "http://b.example:5000", "--once", "--interval", "2h"};
    sf_coordcfg c;
    sf_error e = SF_ERROR_INIT;
    sf_opt_cmd action;
    int rc = sf_coordcfg_load(&c, 11, argv, &action, &e);
    unsetenv("SCANFARM_JOBS_TOPIC");
    unsetenv("SCANFARM_REGISTRY_PASSWORD");
    unlink(path);
    assert_int_equal(rc, SF_OK);
    assert_int_equal(action.action, SF_OPT_RUN);
    assert_string_equal(c.kafka, "flag:2");      /* flag beats file */
    assert_string_equal(c.topic, "env.topic");   /* env beats file */
    assert_int_equal(c.page_size, 50);           /* file beats default */
    assert_int_equal(c.once, 1);
    assert_int_equal(c.interval_s, 7200);
    assert_int_equal(c.nregs, 2);
    assert_string_equal(c.regs[1].url, "http://b.example:5000");
    assert_int_equal(c.regs[1].page_size, 50);
    sf_coordcfg_free(&c);
}

static void test_config_load__rejects_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "{\"kafak\":\"typo\"}",
        "{\"page_size\":0}",
        "{\"interval\":\"soon\"}",
        "{\"registries\":[{\"url\":\"x\",\"tags\":{\"regex\":\"([\"}}]}",
        "{\"registries\":[{\"url\":\"x\",\"catalog\":false}]}",
        "{\"registries\":[{\"username\":\"u\"}]}",
        "{\"registries\":[{\"url\":\"x\",\"bogus\":1}]}",
        "{\"registries\":{}}",
        "{\"progress\":\"sometimes\"}",
        "[1,2]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_coordcfg c;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_coordcfg_load_text(&c, bad[i], strlen(bad[i]), &e);
        if (rc != SF_ECONFIG)
            fail_msg("case %zu: rc %d (%s)", i, rc, e.msg);
        sf_coordcfg_free(&c);
    }
    /* Passwords are not accepted as flags (they would show in ps). */
    char *argv[] = {"x", "--password", "pw"};
    sf_coordcfg c;
    sf_opt_cmd action;
    assert_int_equal(sf_coordcfg_load(&c, 3, argv, &action, NULL), SF_ECONFIG);
    sf_coordcfg_free(&c);
    assert_int_equal(sf_parse_duration("24h"), 86400);
    assert_int_equal(sf_parse_duration("7d"), 604800);
    assert_int_equal(sf_parse_duration("90"), 90);
    assert_int_equal(sf_parse_duration("1w"), -1);
    assert_int_equal(sf_parse_duration("99999999999999999999h"), -1);
}

static void test_config_load__yaml_same_as_json(void **state)
{
    (void)state;
#ifdef SF_HAVE_YAML
    const char *y = "# coordinator config\n"
                    "kafka: k1:9092\n"
                    "interval: 30m\n"
                    "concurrency: 4\n"
                    "registries:\n"
                    "  - url: https://r1.example\n"
                    "    password: TOPSECRET\n"
                    "    include: [\"team-*\"]\n"
                    "    tags:\n"
                    "      regex: '^v[0-9]+\\.[0-9]+$'\n"
                    "      newest: 2\n"
                    "  - url: hub.example\n"
                    "    repositories:\n"
                    "      - library/alpine\n"
                    "    insecure: true\n";
    sf_coordcfg c;
    sf_error e = SF_ERROR_INIT;
    if (sf_coordcfg_load_text(&c, y, strlen(y), &e))
        fail_msg("%s", e.msg);
    assert_string_equal(c.kafka, "k1:9092");
    assert_int_equal(c.interval_s, 1800);
    assert_int_equal(c.nregs, 2);
    assert_int_equal(c.regs[0].concurrency, 4);
    assert_int_equal(c.regs[0].tag_newest, 2);
    assert_string_equal(c.regs[0].tag_regex, "^v[0-9]+\\.[0-9]+$");
    assert_string_equal(c.regs[0].include.v[0], "team-*");
    assert_int_equal(c.regs[1].catalog, 0);
    assert_int_equal(c.regs[1].insecure, 1);
    sf_coordcfg_free(&c);
    /* Anchors/aliases are refused (no exponential expansion). */
    const char *bomb = "a: &x [1, 2]\nb: [*x, *x]\n";
    assert_int_equal(sf_coordcfg_load_text(&c, bomb, strlen(bomb), NULL), SF_ECONFIG);
    sf_coordcfg_free(&c);
    const char *bad = "kafka: [unclosed\n";
    assert_int_equal(sf_coordcfg_load_text(&c, bad, strlen(bad), NULL), SF_ECONFIG);
    sf_coordcfg_free(&c);
#else
    skip();
#endif
}

static char **mk(const char *const *src, size_t n)
{
    char **v = calloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = strdup(src[i]);
    return v;
}

static void test_config_filters__repo_globs(void **state)
{
    (void)state;
    sf_coordcfg c;
    assert_int_equal(sf_coordcfg_load_text(&c, CFG, strlen(CFG), NULL), SF_OK);
    assert_true(sf_enum_repo_selected(&c.regs[0], "team-a/app"));
    assert_false(sf_enum_repo_selected(&c.regs[0], "team-x/app"));
    assert_false(sf_enum_repo_selected(&c.regs[0], "other/app"));
    assert_true(sf_enum_repo_selected(&c.regs[1], "anything/at/all"));
    sf_coordcfg_free(&c);
}

static void test_config_filters__tag_glob_regex_newest(void **state)
{
    (void)state;
    sf_coordcfg c;
    assert_int_equal(sf_coordcfg_load_text(&c, CFG, strlen(CFG), NULL), SF_OK);
    regex_t re;
    assert_int_equal(regcomp(&re, c.regs[0].tag_regex, REG_EXTENDED | REG_NOSUB), 0);
    const char *src[] = {"v1.9", "latest", "v1.10", "v1.2", "v2.0-rc1", "v10.0", "x1.0"};
    char **t = mk(src, 7);
    size_t k = sf_enum_select_tags(&c.regs[0], &re, t, 7);
    /* glob v*, regex ^v[0-9]+\.[0-9]+$ leaves v1.9 v1.10 v1.2 v10.0; newest 2 by tag order. */
    assert_int_equal(k, 2);
    assert_string_equal(t[0], "v1.10");
    assert_string_equal(t[1], "v10.0");
    for (size_t i = 0; i < k; i++)
        free(t[i]);
    free(t);
    regfree(&re);
    sf_coordcfg_free(&c);
}

static void test_config_filters__tag_order(void **state)
{
    (void)state;
    assert_true(sf_enum_tag_cmp("v1.10", "v1.9") > 0);
    assert_true(sf_enum_tag_cmp("2024-06-01", "2024-05-30") > 0);
    assert_true(sf_enum_tag_cmp("1.0.0", "1.0.0-rc1") < 0);
    assert_true(sf_enum_tag_cmp("v007", "v7") == 0);
    assert_true(sf_enum_tag_cmp("a", "b") < 0);
    assert_true(sf_enum_tag_cmp("99999999999999999999999", "100000000000000000000000") < 0);
}

/* Real digests are uniformly random: make them by hashing a counter. */
static void digest_of(int i, char out[SF_DIGEST_MAX])
{
    char in[16];
    snprintf(in, sizeof in, "%d", i);
    sf_digest_sha256(in, strlen(in), out);
}

static void test_config_digestset__dedupe_and_cap(void **state)
{
    (void)state;
    sf_dset *s;
    assert_int_equal(sf_dset_new(&s, 20000), SF_OK);
    char d[SF_DIGEST_MAX];
    uint32_t *v;
    int added;
    for (int i = 0; i < 20000; i++) {
        digest_of(i, d);
        assert_int_equal(sf_dset_get(s, d, 1, &v, &added), SF_OK);
        assert_int_equal(added, 1);
        *v = (uint32_t)i + 2;
    }
    assert_int_equal(sf_dset_count(s), 20000);
    digest_of(77, d);
    assert_int_equal(sf_dset_get(s, d, 1, &v, &added), SF_OK);
    assert_int_equal(added, 0);
    assert_int_equal(*v, 79);
    digest_of(-1, d);
    assert_int_equal(sf_dset_get(s, d, 0, &v, &added), SF_ENOTFOUND);
    assert_int_equal(sf_dset_get(s, d, 1, &v, &added), SF_ELIMIT);
    assert_int_equal(sf_dset_get(s, "sha256:zz", 1, &v, &added), SF_EINVAL);
    sf_dset_free(s);
}

/* "kafka" as a map of librdkafka properties: bootstrap.servers are the
 * brokers, secrets are redacted in the dump, unknown keys are refused
 * with librdkafka's own text. */
static void test_config_kafka__property_map(void **state)
{
    (void)state;
    static const char KCFG[] = "{\"kafka\": {\"bootstrap.servers\": \"k1:9093,k2:9093\", "
                              "\"security.protocol\": \"sasl_ssl\", \"sasl.password\": \"pw1\"}, "
                              "\"registries\": [{\"url\": \"http://r\"}]}";
    sf_coordcfg c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_coordcfg_load_text(&c, KCFG, strlen(KCFG), &e), SF_OK);
    assert_string_equal(c.kafka, "k1:9093,k2:9093");
    char *d = sf_coordcfg_dump(&c);
    assert_non_null(strstr(d, "\"security.protocol\": \"sasl_ssl\""));
    assert_non_null(strstr(d, "\"sasl.password\": \"***\""));
    assert_null(strstr(d, "pw1"));
    free(d);
    sf_coordcfg_free(&c);
    static const char BAD[] = "{\"kafka\": {\"sasl.mechanismz\": \"PLAIN\"}}";
    assert_int_equal(sf_coordcfg_load_text(&c, BAD, strlen(BAD), &e), SF_ECONFIG);
    assert_string_equal(e.msg, "kafka sasl.mechanismz: No such configuration property: "
                               "\"sasl.mechanismz\"");
    sf_coordcfg_free(&c);
}

static void test_config_docs__generated_table_matches(void **state)
{
    (void)state;
    char *md = sf_coordcfg_markdown();
    char path[1024];
    const char *src = getenv("SF_SRC");
    snprintf(path, sizeof path, "%s/docs/coordinator-config.md", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    doc[n] = '\0';
    fclose(f);
    if (!strstr(doc, md))
        fail_msg("docs/coordinator-config.md drifted from the option tables; regenerate the "
                 "block between the generated markers from sf_coordcfg_markdown()");
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_load__file_values_and_inheritance),
        cmocka_unit_test(test_config_dump__redacts_secrets),
        cmocka_unit_test(test_config_load__layers_env_and_flags),
        cmocka_unit_test(test_config_load__rejects_invalid),
        cmocka_unit_test(test_config_load__yaml_same_as_json),
        cmocka_unit_test(test_config_filters__repo_globs),
        cmocka_unit_test(test_config_filters__tag_glob_regex_newest),
        cmocka_unit_test(test_config_filters__tag_order),
        cmocka_unit_test(test_config_digestset__dedupe_and_cap),
        cmocka_unit_test(test_config_kafka__property_map),
        cmocka_unit_test(test_config_docs__generated_table_matches),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
