/* The shared HTTPS server (coordinator/events_http) reloads its certificate
 * and key when the files change: a renewed pair serves the next
 * connections without a restart, and a pair that does not load leaves the
 * old one in service. The served certificate is told apart by its CN. */
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "events_http.h"
#include "testutil.h"

static void ok_handler(void *ctx, const sf_evh_req *req, const char *body, size_t blen,
                       sf_evh_resp *resp)
{
    (void)ctx, (void)req, (void)body, (void)blen;
    resp->status = 200;
    sf_buf_puts(&resp->body, "ok\n");
}

/* CN of the certificate the server at port presents, and its answer. */
static void served_cn(int port, char *cn, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    assert_int_equal(SSL_connect(ssl), 1);
    X509 *x = SSL_get1_peer_certificate(ssl);
    assert_non_null(x);
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, (int)n);
    X509_free(x);
    const char *req = "GET /x HTTP/1.1\r\nHost: t\r\n\r\n";
    assert_true(SSL_write(ssl, req, (int)strlen(req)) > 0);
    char out[512];
    int got = 0, r;
    while (got < (int)sizeof out - 1 && (r = SSL_read(ssl, out + got, (int)sizeof out - 1 - got)) > 0)
        got += r;
    out[got] = '\0';
    assert_non_null(strstr(out, "HTTP/1.1 200 "));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
}

static void wait_check(void)
{
    long ms = SF_EVH_TLS_CHECK_MS + 300;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_evh_tls__reload(void **state)
{
    (void)state;
    char cn[64];
    sf_t_tls t;
    assert_int_equal(sf_t_tls_new(&t, "/tmp/evhreload-XXXXXX", "first"), 0);
    sf_evh *h = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_evh_opts o = {.addr = "127.0.0.1", .max_body = 1024, .tls_cert = t.cert, .tls_key = t.key,
                     .handler = ok_handler};
    assert_int_equal(sf_evh_start(&h, &o, &e), SF_OK);
    served_cn(sf_evh_port(h), cn, sizeof cn);
    assert_string_equal(cn, "first");
    /* renewed: the next connection after a check gets the new pair */
    assert_int_equal(sf_t_make_cert(t.cert, t.key, "second"), 0);
    wait_check();
    served_cn(sf_evh_port(h), cn, sizeof cn); /* this accept notices the change */
    served_cn(sf_evh_port(h), cn, sizeof cn);
    assert_string_equal(cn, "second");
    /* a broken renewal is refused; the old pair keeps serving */
    FILE *f = fopen(t.cert, "w");
    fputs("-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n", f);
    fclose(f);
    wait_check();
    served_cn(sf_evh_port(h), cn, sizeof cn);
    served_cn(sf_evh_port(h), cn, sizeof cn);
    assert_string_equal(cn, "second");
    sf_evh_stop(h);
    sf_t_tls_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_evh_tls__reload)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
