/* Unit tests of the events listener without Kafka (the producer points at
 * a closed port): the request head parser, the token rule, and every
 * answer given before a job could be produced (401, 403, 400 with its
 * reason, 411, 413, 404, 405, the CloudEvents handshake, the Event Grid
 * validation reply, /healthz, /metrics with the counters), and 503 when
 * Kafka does not take the job within the ack timeout: an event is never
 * acknowledged before it is delivered. Also the scanfarm.unref/v1 codec. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bus/msg_unref.h"
#include "config.h"
#include "events.h"
#include "events_http.h"
#include "testutil.h"

#define D1 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_events_http__head(void **state)
{
    (void)state;
    sf_evh_req r;
    int complete = 0;
    const char *h = "POST /v1/events/acr?token=abc&x=1 HTTP/1.1\r\nHost: h\r\n"
                    "authorization:  Bearer t0k \r\nContent-Type: application/json\r\n"
                    "Content-Length: 12\r\nWebHook-Request-Origin: eventgrid.azure.net\r\n\r\n{}";
    assert_int_equal(sf_evh_parse_head(h, strlen(h), &r, &complete), SF_OK);
    assert_true(complete);
    assert_string_equal(r.method, "POST");
    assert_string_equal(r.path, "/v1/events/acr");
    assert_string_equal(r.query, "token=abc&x=1");
    assert_string_equal(r.auth, "Bearer t0k");
    assert_string_equal(r.ctype, "application/json");
    assert_string_equal(r.origin, "eventgrid.azure.net");
    assert_int_equal(r.content_length, 12);
    assert_int_equal(r.head_len, strlen(h) - 2);
    /* incomplete, then malformed or oversized heads */
    assert_int_equal(sf_evh_parse_head("POST / HTTP/1.1\r\n", 17, &r, &complete), SF_OK);
    assert_false(complete);
    const char *bad[] = {"post / HTTP/1.1\r\n\r\n", "POST x HTTP/1.1\r\n\r\n",
                         "POST / HTTP/2.0\r\n\r\n", "POST /\r\n\r\n",
                         "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                         "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                         "POST / HTTP/1.1\r\nno colon\r\n\r\n",
                         "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(sf_evh_parse_head(bad[i], strlen(bad[i]), &r, &complete), SF_OK);
    char big[SF_EVH_HEAD_MAX + 10];
    memset(big, 'a', sizeof big);
    memcpy(big, "POST / HTTP/1.1\r\nX: ", 20);
    assert_int_equal(sf_evh_parse_head(big, sizeof big, &r, &complete), SF_ELIMIT);
}

static void test_events_http__auth_rule(void **state)
{
    (void)state;
    assert_true(sf_events_auth_ok("s3", "Bearer s3", NULL));
    assert_true(sf_events_auth_ok("s3", "bearer s3", NULL));
    assert_true(sf_events_auth_ok("s3", "s3", NULL)); /* Harbor sends its header verbatim */
    assert_true(sf_events_auth_ok("s3", NULL, "a=1&token=s3"));
    assert_false(sf_events_auth_ok("s3", "Bearer s33", NULL));
    assert_false(sf_events_auth_ok("s3", "Bearer s", "token=s"));
    assert_false(sf_events_auth_ok("s3", NULL, "xtoken=s3"));
    assert_false(sf_events_auth_ok("", "", "token="));
    assert_false(sf_events_auth_ok(NULL, "Bearer ", NULL));
}

static void test_events_http__unref_codec(void **state)
{
    (void)state;
    sf_unref_msg m = {.registry = "127.0.0.1:5000", .repository = "a/b", .digest = D1,
                      .produced_at = "2026-01-02T03:04:05.678Z"}, d;
    char *json = NULL;
    size_t len = 0;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_unref_encode(&m, &json, &len, &e), SF_OK);
    assert_true(sf_unref_maybe(json, len));
    assert_int_equal(sf_unref_decode(json, len, &d, &e), SF_OK);
    assert_string_equal(d.digest, D1);
    assert_null(d.tag);
    sf_unref_clear(&d);
    free(json);
    m.tag = "v1"; /* both a digest and a tag */
    assert_int_equal(sf_unref_encode(&m, &json, &len, &e), SF_EINVAL);
    const char *bad[] = {"{}", "[]", "{\"schema\":\"scanfarm.unref/v1\"}",
                         "{\"schema\":\"scanfarm.unref/v1\",\"registry\":\"h\",\"repository\":"
                         "\"a\",\"tag\":\"v 1\",\"produced_at\":\"t\"}",
                         "{\"schema\":\"scanfarm.unref/v1\",\"registry\":\"h/x\",\"repository\":"
                         "\"a\",\"tag\":\"v1\",\"produced_at\":\"t\"}",
                         "{\"schema\":\"scanfarm.unref/v1\",\"registry\":1}", "{\"schema\""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sf_unref_decode(bad[i], strlen(bad[i]), &d, &e), SF_EPARSE);
        sf_unref_clear(&d);
    }
}

/* ---- the listener ---- */

static sf_coordcfg g_cfg;
static sf_events *g_ev;

static int listener_up(void **state)
{
    (void)state;
    sf_error e = SF_ERROR_INIT;
    const char *doc = "{\"kafka\":\"127.0.0.1:1\",\"events_listen\":\"127.0.0.1:0\","
                      "\"events_max_body\":4096,\"events_ack_timeout_ms\":300,"
                      "\"events_priority_topic\":\"unit-events\"}";
    if (sf_coordcfg_load_text(&g_cfg, doc, strlen(doc), &e) != SF_OK)
        return -1;
    g_cfg.events.token_distribution = strdup("dtok");
    g_cfg.events.token_cloudevents = strdup("ctok");
    sf_events_opts o = {.cfg = &g_cfg};
    return sf_events_new(&g_ev, &o, &e) == SF_OK ? 0 : -1;
}

static int listener_down(void **state)
{
    (void)state;
    sf_events_free(g_ev);
    sf_coordcfg_free(&g_cfg); /* the tokens are freed by the table's secret rows */
    return 0;
}

/* One request; the whole answer into out. Returns the status. */
static int http(const char *method, const char *path, const char *headers, const char *body,
                size_t blen, char *out, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)sf_events_port(g_ev))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    char head[1024];
    int n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: t\r\n%sContent-Length: %zu\r\n\r\n",
                     method, path, headers, blen);
    assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
    if (blen)
        (void)!send(fd, body, blen, MSG_NOSIGNAL);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < cap && (r = recv(fd, out + got, cap - 1 - got, 0)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
    int status = 0;
    sscanf(out, "HTTP/1.1 %d", &status);
    return status;
}

#define PUSH                                                                                     \
    "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":\"application/vnd.oci.image."  \
    "manifest.v1+json\",\"digest\":\"" D1 "\",\"repository\":\"a/b\",\"tag\":\"v1\"},"           \
    "\"request\":{\"host\":\"127.0.0.1:5000\"}}]}"

static void test_events_http__refusals(void **state)
{
    (void)state;
    char out[8192];
    const char *auth = "Authorization: Bearer dtok\r\n";
    assert_int_equal(http("POST", "/v1/events/distribution", "", PUSH, strlen(PUSH), out,
                          sizeof out), 401);
    assert_int_equal(http("POST", "/v1/events/distribution", "Authorization: Bearer nope\r\n",
                          PUSH, strlen(PUSH), out, sizeof out), 401);
    assert_int_equal(http("POST", "/v1/events/harbor", "Authorization: dtok\r\n", "{}", 2, out,
                          sizeof out), 403); /* no Harbor token configured */
    assert_int_equal(http("POST", "/v1/events/distribution", auth, "{\"events\":[{", 12, out,
                          sizeof out), 400);
    assert_non_null(strstr(out, "not JSON"));
    assert_int_equal(http("POST", "/v1/events/distribution", auth, "{\"events\":[{\"action\":5}]}",
                          25, out, sizeof out), 400);
    assert_non_null(strstr(out, "wrong type"));
    char *big = calloc(1, 5000);
    memset(big, ' ', 4999);
    assert_int_equal(http("POST", "/v1/events/distribution", auth, big, 4999, out, sizeof out),
                     413);
    free(big);
    assert_int_equal(http("GET", "/v1/events/distribution", auth, NULL, 0, out, sizeof out), 405);
    assert_int_equal(http("GET", "/nope", "", NULL, 0, out, sizeof out), 404);
    /* Accepted by the rules, but Kafka is unreachable: not acknowledged. */
    assert_int_equal(http("POST", "/v1/events/distribution?token=dtok", "", PUSH, strlen(PUSH),
                          out, sizeof out), 503);
    /* Only blobs: nothing to deliver, 200 at once. */
    const char *blob = "{\"events\":[{\"action\":\"push\",\"target\":{\"mediaType\":"
                       "\"application/octet-stream\"}}]}";
    assert_int_equal(http("POST", "/v1/events/distribution", auth, blob, strlen(blob), out,
                          sizeof out), 200);
    assert_non_null(strstr(out, "\"ignored\":1"));
    sf_events_stats st;
    sf_events_stats_get(g_ev, &st);
    assert_int_equal(st.unauthorized, 2);
    assert_int_equal(st.malformed, 2);
    assert_int_equal(st.too_large, 1);
    assert_int_equal(st.pushes, 1);
    assert_int_equal(st.ignored, 1);
    assert_int_equal(st.jobs, 0);
    assert_int_equal(http("GET", "/metrics", "", NULL, 0, out, sizeof out), 200);
    assert_non_null(strstr(out, "scanfarm_events_requests_total{source=\"distribution\","
                                "status=\"401\"} 2"));
    assert_int_equal(http("GET", "/healthz", "", NULL, 0, out, sizeof out), 200);
}

static void test_events_http__cloudevents_handshakes(void **state)
{
    (void)state;
    char out[8192];
    assert_int_equal(http("OPTIONS", "/v1/events/cloudevents?token=ctok",
                          "WebHook-Request-Origin: eventgrid.azure.net\r\n", NULL, 0, out,
                          sizeof out), 200);
    assert_non_null(strstr(out, "WebHook-Allowed-Origin: eventgrid.azure.net\r\n"));
    assert_int_equal(http("OPTIONS", "/v1/events/cloudevents",
                          "WebHook-Request-Origin: eventgrid.azure.net\r\n", NULL, 0, out,
                          sizeof out), 401);
    const char *v = "[{\"id\":\"1\",\"eventType\":\"Microsoft.EventGrid.SubscriptionValidation"
                    "Event\",\"data\":{\"validationCode\":\"abc-123\"}}]";
    assert_int_equal(http("POST", "/v1/events/cloudevents", "Authorization: Bearer ctok\r\n", v,
                          strlen(v), out, sizeof out), 200);
    assert_non_null(strstr(out, "{\"validationResponse\":\"abc-123\"}"));
}

/* ---- TLS ---- */

static void test_events_http__tls(void **state)
{
    (void)state;
    char out[4096];
    sf_t_tls t;
    assert_int_equal(sf_t_tls_new(&t, "/tmp/evtls-XXXXXX", "127.0.0.1"), 0);
    sf_coordcfg cfg;
    sf_events *ev = NULL;
    sf_error e = SF_ERROR_INIT;
    const char *doc = "{\"kafka\":\"127.0.0.1:1\",\"events_listen\":\"127.0.0.1:0\","
                      "\"events_ack_timeout_ms\":300}";
    assert_int_equal(sf_coordcfg_load_text(&cfg, doc, strlen(doc), &e), SF_OK);
    cfg.events.token_acr = strdup("atok");
    cfg.events.tls_cert = strdup(t.cert);
    cfg.events.tls_key = strdup(t.key);
    sf_events_opts o = {.cfg = &cfg};
    assert_int_equal(sf_events_new(&ev, &o, &e), SF_OK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)sf_events_port(ev))};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_int_equal(SSL_CTX_load_verify_locations(ctx, t.cert, NULL), 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    assert_int_equal(SSL_connect(ssl), 1); /* verified against the listener's certificate */
    const char *req = "POST /v1/events/acr HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}";
    assert_true(SSL_write(ssl, req, (int)strlen(req)) > 0);
    int n = 0, r;
    while (n < (int)sizeof out - 1 && (r = SSL_read(ssl, out + n, (int)sizeof out - 1 - n)) > 0)
        n += r;
    out[n] = '\0';
    assert_non_null(strstr(out, "HTTP/1.1 401 ")); /* served over TLS; no token sent */
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    /* A plain-HTTP request to the TLS port gets no HTTP answer. */
    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    (void)!send(fd, req, strlen(req), MSG_NOSIGNAL);
    n = (int)recv(fd, out, sizeof out - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    assert_null(strstr(out, "HTTP/1.1"));
    close(fd);
    sf_events_free(ev);
    sf_coordcfg_free(&cfg);
    sf_t_tls_free(&t);
    /* A key that does not match is a configuration error. */
    assert_int_equal(sf_coordcfg_load_text(&cfg, doc, strlen(doc), &e), SF_OK);
    cfg.events.token_acr = strdup("atok");
    cfg.events.tls_cert = strdup("/nonexistent.pem");
    cfg.events.tls_key = strdup("/nonexistent.pem");
    assert_int_equal(sf_events_new(&ev, &o, &e), SF_ECONFIG);
    sf_coordcfg_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_http__head),
        cmocka_unit_test(test_events_http__auth_rule),
        cmocka_unit_test(test_events_http__unref_codec),
        cmocka_unit_test_setup_teardown(test_events_http__refusals, listener_up, listener_down),
        cmocka_unit_test_setup_teardown(test_events_http__cloudevents_handshakes, listener_up,
                                        listener_down),
        cmocka_unit_test(test_events_http__tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
