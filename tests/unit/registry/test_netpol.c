/* Unit tests of registry/netpol: host glob matching, host:port
 * validation, address classification (IPv4, IPv6, IPv4-mapped) and the
 * explicit allow ranges; and that sf_http refuses at connect time, on
 * the resolved address, without retrying. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "registry/http.h"
#include "registry/netpol.h"

static void test_netpol_glob__hosts_and_ports(void **state)
{
    (void)state;
    static const struct {
        const char *pat, *host;
        int want;
    } cases[] = {
        {"registry.example.com", "registry.example.com", 1},
        {"registry.example.com", "REGISTRY.Example.com", 1},
        {"registry.example.com", "registry.example.com:6379", 0}, /* no port = default only */
        {"registry.example.com:*", "registry.example.com:6379", 1},
        {"registry.example.com:*", "registry.example.com", 1},
        {"registry.example.com:5000", "registry.example.com:5000", 1},
        {"registry.example.com:5000", "registry.example.com:5001", 0},
        {"*.example.com", "a.example.com", 1},
        {"*.example.com", "a.b.example.com", 1},
        {"*.example.com", "example.com", 0},
        {"*.example.com", "evil.com", 0},
        {"*.example.com", "a.example.com:443", 0},
        {"*", "anything.at.all", 1},
        {"*", "host:5000", 0}, /* '*' never eats the port */
        {"*:*", "host:5000", 1},
        {"127.0.0.1:5000", "127.0.0.1:5000", 1},
        {"127.0.0.1:50?0", "127.0.0.1:5010", 1},
        {"127.0.0.1:5000", "127.0.0.1:50000", 0},
        {"reg?.example.com", "reg1.example.com", 1},
        {"reg?.example.com", "reg12.example.com", 0},
        {"", "x", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = sf_netpol_host_match(cases[i].pat, cases[i].host);
        if (got != cases[i].want)
            fail_msg("pattern %s host %s: got %d", cases[i].pat, cases[i].host, got);
    }
}

static void test_netpol_hostport__validation(void **state)
{
    (void)state;
    const char *good[] = {"registry.example.com", "127.0.0.1:5000", "[::1]:5000", "[fe80::1]",
                          "my_reg.local:65535", "docker.io"};
    const char *bad[] = {"", "host:0", "host:65536", "host:", "evil.com/path", "user@host",
                         "host name", "host\r\nX: y", "[::1", "[nothex]:80", ".lead",
                         "-lead", "a:b:5000", "host:5000x"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (!sf_netpol_valid_hostport(good[i]))
            fail_msg("refused good %s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sf_netpol_valid_hostport(bad[i]))
            fail_msg("accepted bad %s", bad[i]);
}

static sf_netclass cls4(const char *a)
{
    struct sockaddr_in s = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, a, &s.sin_addr), 1);
    return sf_netpol_classify((struct sockaddr *)&s, sizeof s);
}

static sf_netclass cls6(const char *a)
{
    struct sockaddr_in6 s = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, a, &s.sin6_addr), 1);
    return sf_netpol_classify((struct sockaddr *)&s, sizeof s);
}

static void test_netpol_classify__ranges(void **state)
{
    (void)state;
    assert_int_equal(cls4("169.254.169.254"), SF_NET_METADATA);
    assert_int_equal(cls4("169.254.0.1"), SF_NET_LINKLOCAL);
    assert_int_equal(cls4("169.254.255.255"), SF_NET_LINKLOCAL);
    assert_int_equal(cls4("169.253.255.255"), SF_NET_OTHER);
    assert_int_equal(cls4("169.255.0.0"), SF_NET_OTHER);
    assert_int_equal(cls4("127.0.0.1"), SF_NET_OTHER);
    assert_int_equal(cls4("10.0.0.1"), SF_NET_OTHER);
    assert_int_equal(cls6("fd00:ec2::254"), SF_NET_METADATA);
    assert_int_equal(cls6("fd00:ec2::253"), SF_NET_OTHER);
    assert_int_equal(cls6("fe80::1"), SF_NET_LINKLOCAL);
    assert_int_equal(cls6("febf:ffff::1"), SF_NET_LINKLOCAL);
    assert_int_equal(cls6("fec0::1"), SF_NET_OTHER);
    assert_int_equal(cls6("::1"), SF_NET_OTHER);
    assert_int_equal(cls6("::ffff:169.254.169.254"), SF_NET_METADATA); /* mapped */
    assert_int_equal(cls6("::ffff:169.254.3.4"), SF_NET_LINKLOCAL);
    assert_int_equal(cls6("2001:db8::1"), SF_NET_OTHER);
}

static void test_netpol_allow__explicit_ranges(void **state)
{
    (void)state;
    sf_netpol *p = NULL;
    sf_error e = SF_ERROR_INIT;
    const char *allow[] = {"169.254.10.0/24", "fe80::5"};
    assert_int_equal(sf_netpol_new(&p, allow, 2, &e), SF_OK);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "169.254.10.7", &a.sin_addr);
    assert_int_equal(sf_netpol_check_addr(p, (struct sockaddr *)&a, sizeof a, &e), SF_OK);
    inet_pton(AF_INET, "169.254.169.254", &a.sin_addr);
    assert_int_equal(sf_netpol_check_addr(p, (struct sockaddr *)&a, sizeof a, &e), SF_EAUTH);
    assert_non_null(strstr(e.msg, "169.254.169.254"));
    assert_non_null(strstr(e.msg, "metadata"));
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(sf_netpol_check_addr(NULL, (struct sockaddr *)&a, sizeof a, &e), SF_EAUTH);
    struct sockaddr_in6 b = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "fe80::5", &b.sin6_addr);
    assert_int_equal(sf_netpol_check_addr(p, (struct sockaddr *)&b, sizeof b, &e), SF_OK);
    inet_pton(AF_INET6, "fe80::6", &b.sin6_addr);
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(sf_netpol_check_addr(p, (struct sockaddr *)&b, sizeof b, &e), SF_EAUTH);
    sf_netpol_free(p);
    const char *badr[] = {"169.254.0.0/33"};
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(sf_netpol_new(&p, badr, 1, &e), SF_ECONFIG);
    const char *badr2[] = {"not-an-address"};
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(sf_netpol_new(&p, badr2, 1, &e), SF_ECONFIG);
}

/* The transport itself refuses a metadata address, once, as a policy
 * error (not a retriable network error), before any byte is sent. */
static void test_netpol_http__refused_at_connect(void **state)
{
    (void)state;
    sf_http *h = NULL;
    sf_http_opts o;
    sf_error e = SF_ERROR_INIT;
    sf_http_opts_default(&o);
    o.max_retries = 3;
    o.connect_timeout_ms = 2000;
    assert_int_equal(sf_http_new(&h, &o, &e), SF_OK);
    sf_http_resp resp;
    sf_http_req req = {.method = "GET", .url = "http://169.254.169.254/latest/meta-data/"};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = sf_http_fetch(h, &req, &resp, &e);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(rc, SF_EAUTH);
    assert_non_null(strstr(e.msg, "refused"));
    assert_int_equal(resp.attempts, 1);
    assert_int_equal(sf_http_transfers(h), 1);
    sf_http_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_netpol_glob__hosts_and_ports),
        cmocka_unit_test(test_netpol_hostport__validation),
        cmocka_unit_test(test_netpol_classify__ranges),
        cmocka_unit_test(test_netpol_allow__explicit_ranges),
        cmocka_unit_test(test_netpol_http__refused_at_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
