/* Unit tests of common/bus/kconf's user properties: the sources (flags,
 * environment, config map, files), the environment name mapping,
 * redaction, and refusal of unknown properties with librdkafka's text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus/kconf.h"
#include "testutil.h"

static const char *get(const sf_kprops *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->key[i], key) == 0)
            return p->val[i];
    return NULL;
}

static void test_kconf_env__names_map_to_properties(void **state)
{
    (void)state;
    char *env[] = {"PATH=/bin", "SCANFARM_KAFKA_PROP_SASL_MECHANISM=SCRAM-SHA-512",
                   "SCANFARM_KAFKA_PROP_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM=none",
                   "SCANFARM_KAFKA_SASL_USERNAME=alice", "SCANFARM_KAFKA_PROP_=x",
                   "SCANFARM_KAFKA=ignored:9092", NULL};
    sf_kprops p = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kprops_env(&p, env, &e), SF_OK);
    assert_string_equal(get(&p, "sasl.mechanism"), "SCRAM-SHA-512");
    assert_string_equal(get(&p, "ssl.endpoint.identification.algorithm"), "none");
    assert_string_equal(get(&p, "sasl.username"), "alice");
    assert_int_equal(p.n, 3);
    assert_int_equal(sf_kprops_check(&p, &e), SF_OK);
    sf_kprops_clear(&p);
}

static void test_kconf_flag__forms_and_order(void **state)
{
    (void)state;
    char *argv[] = {"prog",     "--kafka-prop", "linger.ms=7", "--other",
                    "--kafka-prop=debug=broker,topic", "--kafka-security-protocol", "sasl_ssl",
                    "--kafka-prop", "linger.ms=9", NULL};
    int argc = 9, seen = 0;
    sf_kprops p = {0};
    sf_error e = SF_ERROR_INIT;
    for (int i = 1; i < argc; i++) {
        int r = sf_kprops_flag(&p, argc, argv, &i, 1, &e);
        assert_true(r >= 0);
        seen += r;
    }
    assert_int_equal(seen, 4);
    /* a later setting replaces the earlier; commas stay in the value */
    assert_string_equal(get(&p, "linger.ms"), "9");
    assert_string_equal(get(&p, "debug"), "broker,topic");
    assert_string_equal(get(&p, "security.protocol"), "sasl_ssl");
    assert_int_equal(p.n, 3);

    char *bad[] = {"prog", "--kafka-sasl-mechanism", NULL};
    int i = 1;
    assert_int_equal(sf_kprops_flag(&p, 2, bad, &i, 1, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "needs a value"));
    char *nokv[] = {"prog", "--kafka-prop", "linger.ms", NULL};
    i = 1;
    sf_error_clear(&e);
    assert_int_equal(sf_kprops_flag(&p, 3, nokv, &i, 1, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "key=value"));
    sf_kprops_clear(&p);
}

static void test_kconf_secret__not_a_flag_but_a_file(void **state)
{
    (void)state;
    char path[] = "/tmp/kconf_pw_XXXXXX";
    assert_int_equal(sf_t_write_temp(path, "s3cr=t,pw\n"), 0);
    char arg[64];
    snprintf(arg, sizeof arg, "sasl.password=hunter2");
    char *argv[] = {"prog", "--kafka-prop", arg, NULL};
    sf_kprops p = {0};
    sf_error e = SF_ERROR_INIT;
    int i = 1;
    assert_int_equal(sf_kprops_flag(&p, 3, argv, &i, 1, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "sasl.password.file"));
    assert_null(strstr(e.msg, "hunter2"));

    char *pf[] = {"prog", "--kafka-sasl-password-file", path, NULL};
    i = 1;
    assert_int_equal(sf_kprops_flag(&p, 3, pf, &i, 1, &e), 1);
    assert_string_equal(get(&p, "sasl.password"), "s3cr=t,pw"); /* newline stripped */
    assert_int_equal(sf_kprops_set(&p, "ssl.key.password.file", path, "t", &e), SF_OK);
    assert_string_equal(get(&p, "ssl.key.password"), "s3cr=t,pw");
    unlink(path);
    sf_error_clear(&e);
    assert_int_equal(sf_kprops_set(&p, "sasl.oauthbearer.client.secret.file", path, "t", &e),
                     SF_ECONFIG);
    assert_non_null(strstr(e.msg, "cannot open"));
    sf_kprops_clear(&p);
}

static void test_kconf_dump__redacts_secrets(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"sasl.password", "1"}, {"ssl.key.password", "1"},
        {"sasl.oauthbearer.client.secret", "1"}, {"ssl.keystore.password", "1"},
        {"SASL.PASSWORD", "1"}, {"ssl.key.pem", "1"}, {"sasl.oauthbearer.config", "1"},
        {"sasl.username", "0"}, {"security.protocol", "0"}, {"ssl.ca.location", "0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(sf_kconf_secret(cases[i][0]), cases[i][1][0] - '0');

    sf_kprops p = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kprops_set(&p, "sasl.password", "hunter2", "t", &e), SF_OK);
    assert_int_equal(sf_kprops_set(&p, "sasl.username", "alice", "t", &e), SF_OK);
    json_t *j = sf_kprops_dump_json(&p);
    char *s = json_dumps(j, JSON_SORT_KEYS);
    assert_string_equal(s, "{\"sasl.password\": \"***\", \"sasl.username\": \"alice\"}");
    free(s);
    json_decref(j);
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_kprops_dump_text(&p, "kafka.", &b), SF_OK);
    assert_int_equal(sf_buf_append(&b, "", 1), SF_OK);
    assert_string_equal(b.data, "kafka.sasl.password = <redacted>\nkafka.sasl.username = alice\n");
    sf_buf_free(&b);
    sf_kprops_clear(&p);
}

static void test_kconf_check__unknown_refused_with_librdkafka_text(void **state)
{
    (void)state;
    sf_kprops p = {0};
    sf_error e = SF_ERROR_INIT;
    json_t *m = json_pack("{s:s, s:i, s:b}", "security.protocol", "sasl_ssl", "linger.ms", 3,
                          "enable.ssl.certificate.verification", 1);
    assert_int_equal(sf_kprops_json(&p, m, "config", &e), SF_OK);
    json_decref(m);
    assert_string_equal(get(&p, "linger.ms"), "3");
    assert_string_equal(get(&p, "enable.ssl.certificate.verification"), "true");
    assert_int_equal(sf_kprops_check(&p, &e), SF_OK);

    assert_int_equal(sf_kprops_set(&p, "sasl.mechanisms.typo", "PLAIN", "t", &e), SF_OK);
    assert_int_equal(sf_kprops_check(&p, &e), SF_ECONFIG);
    assert_string_equal(e.msg, "kafka sasl.mechanisms.typo: No such configuration property: "
                               "\"sasl.mechanisms.typo\"");
    sf_kprops_clear(&p);
    sf_error_clear(&e);
    assert_int_equal(sf_kprops_set(&p, "security.protocol", "carrier_pigeon", "t", &e), SF_OK);
    assert_int_equal(sf_kprops_check(&p, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "security.protocol"));
    assert_non_null(strstr(e.msg, "carrier_pigeon"));
    sf_kprops_clear(&p);

    json_t *bad = json_pack("{s:[]}", "linger.ms");
    assert_int_equal(sf_kprops_json(&p, bad, "config", &e), SF_ECONFIG);
    json_decref(bad);
    assert_int_equal(sf_kprops_set(&p, "a b", "1", "t", &e), SF_ECONFIG);
    assert_int_equal(sf_kprops_set(&p, "", "1", "t", &e), SF_ECONFIG);
    sf_kprops_clear(&p);
}

static void test_kconf_from_args__strips_and_installs(void **state)
{
    (void)state;
    char *argv[] = {"scanfarm", "aggregate", "--kafka-prop", "linger.ms=4", "--kafka", "h:1",
                    "--kafka-ca-file=/etc/ssl/ca.pem", "--", "--kafka-prop", NULL};
    int argc = 9;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kconf_from_args(&argc, argv, &e), SF_OK);
    assert_int_equal(argc, 6);
    assert_string_equal(argv[1], "aggregate");
    assert_string_equal(argv[2], "--kafka");
    assert_string_equal(argv[3], "h:1");
    assert_string_equal(argv[4], "--");
    assert_string_equal(argv[5], "--kafka-prop");
    assert_null(argv[6]);
    /* the installed set reaches every new librdkafka config */
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char v[256];
    size_t vl = sizeof v;
    assert_int_equal(sf_kconf_apply_global(c, "kafka", &e), SF_OK);
    assert_int_equal(rd_kafka_conf_get(c, "ssl.ca.location", v, &vl), RD_KAFKA_CONF_OK);
    assert_string_equal(v, "/etc/ssl/ca.pem");
    rd_kafka_conf_destroy(c);
    sf_kprops none = {0};
    assert_int_equal(sf_kconf_install(&none, &e), SF_OK);

    sf_error_clear(&e);
    char *bad[] = {"scanfarm", "aggregate", "--kafka-prop", "no.such.thing=1", NULL};
    argc = 4;
    assert_int_equal(sf_kconf_from_args(&argc, bad, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "No such configuration property"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kconf_env__names_map_to_properties),
        cmocka_unit_test(test_kconf_flag__forms_and_order),
        cmocka_unit_test(test_kconf_secret__not_a_flag_but_a_file),
        cmocka_unit_test(test_kconf_dump__redacts_secrets),
        cmocka_unit_test(test_kconf_check__unknown_refused_with_librdkafka_text),
        cmocka_unit_test(test_kconf_from_args__strips_and_installs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
