/* Unit tests of the worker's option table: defaults, precedence (file <
 * environment < command line), lists, bounds, and docs drift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "wconf.h"

/* The effective configuration as --print-config shows it, into b
 * (initialised here; the caller frees it). */
static void print_conf(const sf_wconf *c, sf_buf *b)
{
    sf_buf_init(b, 0);
    assert_int_equal(sf_wconf_print(c, b), SF_OK);
}

static void test_worker_conf__defaults_without_file(void **state)
{
    (void)state;
    char *argv[] = {"scanfarm-worker", "--kafka", "127.0.0.1:9092", "--redis", "127.0.0.1:6379"};
    sf_wconf c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wconf_load(&c, 5, argv, &e), SF_OK);
    assert_string_equal(c.kafka, "127.0.0.1:9092");
    assert_int_equal(c.redis.n, 1);
    assert_string_equal(c.redis.v[0], "127.0.0.1:6379");
    assert_int_equal(c.metrics_port, 9100);
    assert_string_equal(c.jobs_topic, "scanfarm.jobs");
    assert_string_equal(c.results_topic, "scanfarm.results");
    assert_string_equal(c.dlq_topic, "scanfarm.dlq");
    assert_int_equal(c.cache_ttl, 604800);
    assert_null(c.db);
    sf_wconf_clear(&c);
}

static void test_worker_conf__precedence_and_lists(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-wconf-XXXXXX";
    const char *json = "{\"redis\":[\"10.0.0.1:6379\",\"10.0.0.2:6379\"],\"concurrency\":8,"
                       "\"group\":\"g-file\",\"cache-ttl\":3600}";
    assert_int_equal(sf_t_write_temp(path, json), 0);
    setenv("SCANFARM_GROUP", "g-env", 1);
    setenv("SCANFARM_CONCURRENCY", "6", 1);
    char *argv[] = {"w", "--config", path, "--concurrency=3", "--redis", "a:1,b:2", "--redis",
                    "c:3", "--metrics-port", "0", "--insecure-registry", "127.0.0.1:5000"};
    sf_wconf c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wconf_load(&c, 12, argv, &e), SF_OK);
    assert_int_equal(c.concurrency, 3);        /* argv beats env beats file */
    assert_string_equal(c.group, "g-env");     /* env beats file */
    assert_int_equal(c.cache_ttl, 3600);       /* file beats default */
    assert_int_equal(c.redis.n, 3);            /* argv list replaces the file's */
    assert_string_equal(c.redis.v[2], "c:3");
    assert_int_equal(c.metrics_port, 0);
    assert_int_equal(c.insecure_registries.n, 1);
    sf_buf b;
    print_conf(&c, &b);
    assert_non_null(strstr(b.data, "\"redis\": [\n    \"a:1\",\n    \"b:2\",\n    \"c:3\"\n  ]"));
    assert_non_null(strstr(b.data, "\"group\": \"g-env\""));
    sf_buf_free(&b);
    sf_wconf_clear(&c);
    unsetenv("SCANFARM_GROUP");
    unsetenv("SCANFARM_CONCURRENCY");
    unlink(path);
}

static void test_worker_conf__rejects_bad_values(void **state)
{
    (void)state;
    char *bad[][3] = {{"w", "--concurrency", "0"},   {"w", "--metrics-port", "70000"},
                      {"w", "--cache-ttl", "12x"},   {"w", "--nope", "1"},
                      {"w", "positional", "x"},      {"w", "--kafka", ""}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_wconf c;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_wconf_load(&c, 3, bad[i], &e), SF_ECONFIG);
        sf_wconf_clear(&c);
    }
    char *missing[] = {"w", "--group"};
    sf_wconf c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wconf_load(&c, 2, missing, &e), SF_ECONFIG);
    sf_wconf_clear(&c);
}

/* The cache secret: from the environment, redacted by --print-config,
 * refused as a flag (ps shows flags); its file and the explicit
 * unauthenticated switch are ordinary options. */
static void test_worker_conf__cache_secret_redacted_never_a_flag(void **state)
{
    (void)state;
    setenv("SCANFARM_CACHE_SECRET", "farm-secret-0123456789abcdef", 1);
    char *argv[] = {"w", "--cache-unauthenticated", "1", "--cache-secret-file", "/run/s"};
    sf_wconf c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wconf_load(&c, 5, argv, &e), SF_OK);
    assert_string_equal(c.cache_secret, "farm-secret-0123456789abcdef");
    assert_string_equal(c.cache_secret_file, "/run/s");
    assert_int_equal(c.cache_unauthenticated, 1);
    sf_buf b;
    print_conf(&c, &b);
    assert_null(strstr(b.data, "farm-secret"));
    assert_non_null(strstr(b.data, "\"cache_secret\": \"***\""));
    sf_buf_reset(&b);
    assert_int_equal(sf_wconf_help(&b), SF_OK);
    assert_null(strstr(b.data, "--cache-secret TEXT"));
    assert_non_null(strstr(b.data, "env SCANFARM_CACHE_SECRET (secret"));
    sf_buf_free(&b);
    sf_wconf_clear(&c);
    unsetenv("SCANFARM_CACHE_SECRET");
    char *flag[] = {"w", "--cache-secret", "farm-secret-0123456789abcdef"};
    assert_int_equal(sf_wconf_load(&c, 3, flag, &e), SF_ECONFIG);
    assert_null(strstr(e.msg, "farm-secret"));
    assert_non_null(strstr(e.msg, "SCANFARM_CACHE_SECRET"));
    sf_wconf_clear(&c);
}

/* Kafka properties: the file's "kafka" map (brokers from bootstrap.servers),
 * SCANFARM_KAFKA_PROP_* over it, --kafka-* over both; secrets redacted. */
static void test_worker_conf__kafka_props_layers(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-wconf-XXXXXX";
    const char *doc = "{\"kafka\": {\"bootstrap.servers\": \"b1:9093\", "
                      "\"security.protocol\": \"ssl\", \"linger.ms\": 2}}";
    assert_int_equal(sf_t_write_temp(path, doc), 0);
    setenv("SCANFARM_KAFKA_PROP_LINGER_MS", "3", 1);
    setenv("SCANFARM_KAFKA_PROP_SASL_PASSWORD", "hunter2", 1);
    char *argv[] = {"scanfarm-worker", "--config", path, "--kafka-security-protocol",
                    "sasl_ssl", "--kafka-sasl-mechanism=SCRAM-SHA-512"};
    sf_wconf c;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_wconf_load(&c, 6, argv, &e), SF_OK);
    assert_string_equal(c.kafka, "b1:9093");
    sf_buf b;
    print_conf(&c, &b);
    assert_int_equal(sf_buf_append(&b, "", 1), SF_OK);
    assert_non_null(strstr(b.data, "\"security.protocol\": \"sasl_ssl\""));
    assert_non_null(strstr(b.data, "\"linger.ms\": \"3\""));
    assert_non_null(strstr(b.data, "\"sasl.mechanism\": \"SCRAM-SHA-512\""));
    assert_non_null(strstr(b.data, "\"sasl.password\": \"***\""));
    assert_null(strstr(b.data, "hunter2"));
    sf_buf_free(&b);
    sf_wconf_clear(&c);

    char *bad[] = {"scanfarm-worker", "--kafka-prop", "sasl.mechanismz=PLAIN"};
    assert_int_equal(sf_wconf_load(&c, 3, bad, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "No such configuration property: \"sasl.mechanismz\""));
    sf_wconf_clear(&c);
    unsetenv("SCANFARM_KAFKA_PROP_LINGER_MS");
    unsetenv("SCANFARM_KAFKA_PROP_SASL_PASSWORD");
    unlink(path);
}

/* docs/worker-config.md holds the generated block: fail on drift. */
static void test_worker_conf__docs_match_table(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_wconf_docs(&b), SF_OK);
    assert_int_equal(sf_buf_append(&b, "", 1), SF_OK);
    size_t n = 0;
    char *doc = sf_t_read_file(sf_t_src("docs/worker-config.md"), &n);
    if (!doc || !strstr(doc, b.data)) {
        fprintf(stderr, "docs/worker-config.md is stale; regenerate its block with:\n%s", b.data);
        fail();
    }
    free(doc);
    sf_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worker_conf__defaults_without_file),
        cmocka_unit_test(test_worker_conf__precedence_and_lists),
        cmocka_unit_test(test_worker_conf__rejects_bad_values),
        cmocka_unit_test(test_worker_conf__kafka_props_layers),
        cmocka_unit_test(test_worker_conf__docs_match_table),
        cmocka_unit_test(test_worker_conf__cache_secret_redacted_never_a_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
