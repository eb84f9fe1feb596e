/*
 * Redis over TLS for real: the stack's optional redis-tls service (TLS
 * only, ACL user, certificates made by the stack with openssl) on a
 * private run dir and port, then
 *   - the layer cache round trip (analyse once, then a hit from a second
 *     client) over rediss://user:pass@127.0.0.1:port with the stack's CA,
 *     and a value of 3 MiB (many TLS records per reply);
 *   - mutual TLS (client certificate and key);
 *   - refusals, each within seconds and saying why: a CA that did not
 *     sign the server, a server name the certificate does not carry,
 *     plain TCP to the TLS port, a missing CA file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "redis_extra.h"

static t_extra x;
static int port;
static char url[512], ca[300], cert[300], key[300], other_ca[300];
static t_layer layers[2] = {
    {.rel = "images/alpine/alpine-minirootfs-3.10.3-x86_64.tar.gz"},
    {.rel = "images/alpine/alpine-minirootfs-3.18.9-x86_64.tar.gz"},
};

static int setup(void **state)
{
    (void)state;
    char vars[64], pwpath[300], cmd[700];
    port = t_port(0);
    snprintf(vars, sizeof vars, "SCANFARM_REDIS_TLS_PORT=%d", port);
    if (t_extra_up(&x, "redis-tls", vars) != 0)
        return -1;
    snprintf(ca, sizeof ca, "%s/redis-tls/tls/ca.pem", x.run);
    snprintf(cert, sizeof cert, "%s/redis-tls/tls/client.pem", x.run);
    snprintf(key, sizeof key, "%s/redis-tls/tls/client.key", x.run);
    snprintf(pwpath, sizeof pwpath, "%s/redis-tls/tls/scanfarm.password", x.run);
    size_t n = 0;
    char *pw = sf_t_read_file(pwpath, &n);
    if (!pw)
        return -1;
    pw[strcspn(pw, "\n")] = '\0';
    snprintf(url, sizeof url, "rediss://scanfarm:%s@127.0.0.1:%d", pw, port);
    free(pw);
    /* A CA of its own that signed nothing the server has. */
    snprintf(other_ca, sizeof other_ca, "%s/other-ca.pem", x.run);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other -keyout "
             "%s/other.key -out %s >/dev/null 2>&1",
             x.run, other_ca);
    if (system(cmd) != 0)
        return -1;
    return t_layers_load(layers, 2);
}

static int teardown(void **state)
{
    (void)state;
    return t_extra_teardown(&x, layers, 2);
}

static void test_kv_tls__cache_roundtrip_and_big_value(void **state)
{
    (void)state;
    const char *nodes[] = {url};
    char prefix[64];
    snprintf(prefix, sizeof prefix, "tls-t%ld", (long)getpid());
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .tls_ca_file = ca};
    assert_int_equal(t_lcache_roundtrip(&o, layers, 2, prefix), 0);

    /* 3 MiB through TLS records and the reply parser, byte for byte. */
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &o, &e), SF_OK);
    size_t big = 3u << 20;
    char *v = malloc(big);
    assert_non_null(v);
    for (size_t i = 0; i < big; i++)
        v[i] = (char)(i * 131 + (i >> 11));
    assert_int_equal(sf_kv_set(kv, "k", "tls-t:big", v, big, 60000, &e), SF_OK);
    sf_buf b;
    sf_buf_init(&b, 8u << 20);
    int found = 0;
    assert_int_equal(sf_kv_get(kv, "k", "tls-t:big", &b, &found, &e), SF_OK);
    assert_int_equal(found, 1);
    assert_int_equal(b.len, big);
    assert_memory_equal(b.data, v, big);
    sf_kv_del(kv, "k", "tls-t:big", &e);
    sf_buf_free(&b);
    free(v);
    sf_kv_free(kv);
}

static void test_kv_tls__mutual_tls(void **state)
{
    (void)state;
    const char *nodes[] = {url};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .tls_ca_file = ca, .tls_cert_file = cert,
                    .tls_key_file = key, .tls_server_name = "localhost"};
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kv_new(&kv, &o, &e), SF_OK);
    assert_int_equal(sf_kv_ping(kv, 0, &e), SF_OK);
    sf_kv_free(kv);
}

/* Connect with o and expect a failure naming want within 3 s. */
static void refused(const sf_kv_opts *o, const char *want)
{
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    uint64_t t0 = t_now_ms();
    int rc = sf_kv_new(&kv, o, &e);
    if (rc == SF_OK)
        rc = sf_kv_ping(kv, 0, &e);
    uint64_t ms = t_now_ms() - t0;
    sf_kv_free(kv);
    assert_int_not_equal(rc, SF_OK);
    if (!strstr(e.msg, want))
        fail_msg("got '%s', want '%s'", e.msg, want);
    assert_null(strstr(e.msg, "scanfarm:")); /* never the URL's credentials */
    assert_true(ms < 3000);
    printf("refused in %llu ms: %s\n", (unsigned long long)ms, e.msg);
}

static void test_kv_tls__refusals_are_fast_and_clear(void **state)
{
    (void)state;
    const char *nodes[] = {url};
    sf_kv_opts wrong_ca = {.nodes = nodes, .nnodes = 1, .tls_ca_file = other_ca};
    refused(&wrong_ca, "not trusted");
    sf_kv_opts wrong_name = {.nodes = nodes, .nnodes = 1, .tls_ca_file = ca,
                             .tls_server_name = "cache.example.org"};
    refused(&wrong_name, "not trusted");
    char plain[64];
    snprintf(plain, sizeof plain, "127.0.0.1:%d", port);
    const char *pn[] = {plain};
    sf_kv_opts no_tls = {.nodes = pn, .nnodes = 1, .command_timeout_ms = 500};
    refused(&no_tls, "redis 127.0.0.1:");
    sf_kv_opts missing = {.nodes = nodes, .nnodes = 1, .tls_ca_file = "/nonexistent/ca.pem"};
    refused(&missing, "cannot load CA file");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_tls__cache_roundtrip_and_big_value),
        cmocka_unit_test(test_kv_tls__mutual_tls),
        cmocka_unit_test(test_kv_tls__refusals_are_fast_and_clear),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
