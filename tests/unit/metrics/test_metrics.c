/* Unit tests of common/base/metrics (exposition format, labels, threads)
 * and common/base/httpd (request parsing, serving /metrics on loopback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/httpd.h"
#include "base/metrics.h"

/* Each render/threads/httpd test gets a fresh registry in *state. */
static int setup(void **state)
{
    sf_metrics *m = NULL;
    if (sf_metrics_new(&m) != SF_OK)
        return -1;
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    sf_metrics_free(*state);
    return 0;
}

/* The registry's text page into out (initialised here; caller frees). */
static void render(sf_metrics *m, sf_buf *out)
{
    sf_buf_init(out, 0);
    assert_int_equal(sf_metrics_render(m, out), SF_OK);
}

static void test_metrics_render__counter_gauge_histogram(void **state)
{
    sf_metrics *m = *state;
    sf_mfam *jobs = sf_metrics_counter(m, "scanfarm_jobs_total", "Jobs by outcome", "outcome");
    sf_mfam *inflight = sf_metrics_gauge(m, "scanfarm_in_flight", "Images in flight", NULL);
    double b[] = {0.1, 1, 10};
    sf_mfam *lat = sf_metrics_histogram(m, "scanfarm_e2e_seconds", "End to end", "kind", b, 3);
    assert_non_null(jobs);
    assert_non_null(lat);
    sf_metric_inc(jobs, "ok");
    sf_metric_inc(jobs, "ok");
    sf_metric_inc(jobs, "error");
    sf_metric_add(jobs, SF_LV("ok"), -5); /* counters never go down */
    sf_metric_set(inflight, NULL, 3);
    sf_metric_add(inflight, NULL, -1);
    sf_metric_observe(lat, SF_LV("scan"), 0.05);
    sf_metric_observe(lat, SF_LV("scan"), 0.5);
    sf_metric_observe(lat, SF_LV("scan"), 100);
    /* Same name and type: same family; other type: refused. */
    assert_ptr_equal(sf_metrics_counter(m, "scanfarm_jobs_total", "x", "outcome"), jobs);
    assert_null(sf_metrics_gauge(m, "scanfarm_jobs_total", "x", NULL));
    assert_null(sf_metrics_counter(m, "bad name", "x", NULL));
    assert_null(sf_metrics_counter(m, "x_total", "x", "le"));
    sf_buf out;
    render(m, &out);
    const char *want =
        "# HELP scanfarm_jobs_total Jobs by outcome\n"
        "# TYPE scanfarm_jobs_total counter\n"
        "scanfarm_jobs_total{outcome=\"ok\"} 2\n"
        "scanfarm_jobs_total{outcome=\"error\"} 1\n"
        "# HELP scanfarm_in_flight Images in flight\n"
        "# TYPE scanfarm_in_flight gauge\n"
        "scanfarm_in_flight 2\n"
        "# HELP scanfarm_e2e_seconds End to end\n"
        "# TYPE scanfarm_e2e_seconds histogram\n"
        "scanfarm_e2e_seconds_bucket{kind=\"scan\",le=\"0.1\"} 1\n"
        "scanfarm_e2e_seconds_bucket{kind=\"scan\",le=\"1\"} 2\n"
        "scanfarm_e2e_seconds_bucket{kind=\"scan\",le=\"10\"} 2\n"
        "scanfarm_e2e_seconds_bucket{kind=\"scan\",le=\"+Inf\"} 3\n"
        "scanfarm_e2e_seconds_sum{kind=\"scan\"} 100.55\n"
        "scanfarm_e2e_seconds_count{kind=\"scan\"} 3\n";
    assert_string_equal(out.data, want);
    sf_buf_free(&out);
}

/* Bucket bounds print as written (le="0.005", not %.17g's
 * "0.0050000000000000001"); values still read back exactly. */
static void test_metrics_render__bounds_as_written(void **state)
{
    sf_metrics *m = *state;
    sf_mfam *h = sf_metrics_histogram(m, "d_seconds", "default bounds", NULL, NULL, 0);
    sf_mfam *g = sf_metrics_gauge(m, "g", "a sum that is not 0.3", NULL);
    sf_metric_observe(h, NULL, 0.004);
    sf_metric_set(g, NULL, 0.1 + 0.2);
    sf_buf out;
    render(m, &out);
    assert_non_null(strstr(out.data, "d_seconds_bucket{le=\"0.005\"} 1\n"));
    assert_non_null(strstr(out.data, "d_seconds_bucket{le=\"0.025\"} 1\n"));
    assert_non_null(strstr(out.data, "d_seconds_bucket{le=\"2.5\"} 1\n"));
    assert_non_null(strstr(out.data, "d_seconds_sum 0.004\n"));
    assert_non_null(strstr(out.data, "g 0.30000000000000004\n"));
    assert_null(strstr(out.data, "0.0050000"));
    assert_null(strstr(out.data, "0.10000000000000001"));
    sf_buf_free(&out);
}

static void test_metrics_render__escapes_label_values(void **state)
{
    sf_metrics *m = *state;
    sf_mfam *f = sf_metrics_counter(m, "e_total", "line1\nback\\slash", "v");
    sf_metric_inc(f, "a\"b\\c\nd");
    sf_buf out;
    render(m, &out);
    assert_non_null(strstr(out.data, "# HELP e_total line1\\nback\\\\slash\n"));
    assert_non_null(strstr(out.data, "e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"));
    sf_buf_free(&out);
}

static void *bump(void *arg)
{
    for (int i = 0; i < 10000; i++)
        sf_metric_inc(arg, i % 2 ? "odd" : "even");
    return NULL;
}

static void test_metrics_threads__no_lost_updates(void **state)
{
    sf_metrics *m = *state;
    sf_mfam *f = sf_metrics_counter(m, "t_total", "t", "parity");
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, bump, f);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    assert_true(sf_metric_value(f, SF_LV("odd")) == 40000);
    assert_true(sf_metric_value(f, SF_LV("even")) == 40000);
}

static void test_metrics_httpd__parse_request(void **state)
{
    (void)state;
    sf_http_req r;
    int complete = 0;
    const char *ok = "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
    assert_int_equal(sf_httpd_parse_request(ok, strlen(ok), &r, &complete), SF_OK);
    assert_int_equal(complete, 1);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.path, "/metrics");
    const char *part = "GET /metrics HTTP/1.1\r\nHost:";
    assert_int_equal(sf_httpd_parse_request(part, strlen(part), &r, &complete), SF_OK);
    assert_int_equal(complete, 0);
    const char *bad[] = {"GET\r\n\r\n", "GET  HTTP/1.1\r\n\r\n", "get / HTTP/1.1\r\n\r\n",
                         "GET metrics HTTP/1.1\r\n\r\n", "GET / HTTP/2.0\r\n\r\n",
                         "GET / HTTP/1.1 extra\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(sf_httpd_parse_request(bad[i], strlen(bad[i]), &r, &complete),
                             SF_OK);
    static char big[SF_HTTPD_MAX_REQUEST + 10];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    assert_int_equal(sf_httpd_parse_request(big, sizeof big, &r, &complete), SF_ELIMIT);
}

static int metrics_route(void *ctx, const sf_http_req *req, sf_buf *body, const char **ct)
{
    *ct = "text/plain; version=0.0.4";
    return sf_metrics_render(ctx, body) == SF_OK ? 200 : 500;
}

static void fetch(int port, const char *req, char *resp, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t)strlen(req));
    size_t n = 0;
    ssize_t r;
    while (n < cap - 1 && (r = recv(fd, resp + n, cap - 1 - n, 0)) > 0)
        n += (size_t)r;
    resp[n] = '\0';
    close(fd);
}

static void test_metrics_httpd__serves_metrics(void **state)
{
    sf_metrics *m = *state;
    sf_metric_inc(sf_metrics_counter(m, "scanfarm_up_total", "x", NULL), NULL);
    sf_httpd_route routes[] = {{"/metrics", metrics_route, m}};
    sf_httpd *h = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_httpd_start(&h, "127.0.0.1", 0, routes, 1, &e), SF_OK);
    char resp[4096];
    fetch(sf_httpd_port(h), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(resp, "\r\n\r\n# HELP scanfarm_up_total x\n"));
    assert_non_null(strstr(resp, "scanfarm_up_total 1\n"));
    fetch(sf_httpd_port(h), "GET /nope HTTP/1.0\r\n\r\n", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 404"));
    fetch(sf_httpd_port(h), "POST /metrics HTTP/1.1\r\n\r\n", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 405"));
    fetch(sf_httpd_port(h), "BLAH\r\n\r\n", resp, sizeof resp);
    assert_non_null(strstr(resp, "HTTP/1.1 400"));
    sf_httpd_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_metrics_render__counter_gauge_histogram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_render__bounds_as_written, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_render__escapes_label_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_threads__no_lost_updates, setup, teardown),
        cmocka_unit_test(test_metrics_httpd__parse_request),
        cmocka_unit_test_setup_teardown(test_metrics_httpd__serves_metrics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
