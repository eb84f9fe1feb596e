/* Unit tests of the registry client's transport against a scripted HTTP
 * server on loopback (in-process, no services): retries of 503 and of 429
 * with Retry-After, Authorization dropped on a redirect to another origin
 * but kept on the same origin, streaming without retry after the first
 * byte, body caps, declared sizes, and the basic-auth challenge round
 * trip. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
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

#include "base/digest.h"
#include "base/limits.h"
#include "enum_resolve.h"
#include "registry/http.h"
#include "registry/registry.h"

/* A canned response; {PORT2} in a header is replaced by the second port. */
typedef struct canned {
    const char *status_and_headers; /* "HTTP/1.1 200 OK\r\nX: y\r\n" */
    const char *body;
    int cut;                        /* close after sending `cut` body bytes */
} canned;

/* > 0: the server sends bodies a byte per g_byte_ms ms (a trickle). */
static int g_byte_ms;

typedef struct server {
    int fd, port;
    const canned *script;
    int n, next;
    char seen[16][1024]; /* request heads received, in order */
    int nseen;
    int other_port;
    pthread_t th;
} server;

static void *serve(void *arg)
{
    server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char req[4096];
        size_t got = 0;
        while (got < sizeof req - 1) {
            ssize_t r = recv(c, req + got, sizeof req - 1 - got, 0);
            if (r <= 0)
                break;
            got += (size_t)r;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        req[got] = '\0';
        if (s->nseen < 16)
            snprintf(s->seen[s->nseen++], sizeof s->seen[0], "%.1000s", req);
        const canned *cn = &s->script[s->next < s->n ? s->next : s->n - 1];
        s->next++;
        char head[2048], hdrs[1024];
        const char *p = strstr(cn->status_and_headers, "{PORT2}");
        if (p)
            snprintf(hdrs, sizeof hdrs, "%.*s%d%s", (int)(p - cn->status_and_headers),
                     cn->status_and_headers, s->other_port, p + 7);
        else
            snprintf(hdrs, sizeof hdrs, "%s", cn->status_and_headers);
        size_t blen = cn->body ? strlen(cn->body) : 0;
        int is_head = strncmp(req, "HEAD ", 5) == 0;
        snprintf(head, sizeof head, "%sContent-Length: %zu\r\nConnection: close\r\n\r\n", hdrs,
                 blen);
        send(c, head, strlen(head), MSG_NOSIGNAL);
        size_t nb = cn->cut ? (size_t)cn->cut : blen;
        for (size_t i = 0; !is_head && g_byte_ms && i < nb; i++) {
            if (send(c, cn->body + i, 1, MSG_NOSIGNAL) != 1)
                break; /* the client gave up */
            struct timespec ts = {g_byte_ms / 1000, (g_byte_ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (!is_head && blen && !g_byte_ms)
            send(c, cn->body, nb, MSG_NOSIGNAL);
        close(c);
    }
}

static void start(server *s, const canned *script, int n)
{
    memset(s, 0, sizeof *s);
    s->script = script, s->n = n;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(s->fd, (struct sockaddr *)&a, &l);
    s->port = ntohs(a.sin_port);
    listen(s->fd, 16);
    pthread_create(&s->th, NULL, serve, s);
}

static void stop(server *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->th, NULL);
}

static sf_http *mk_http(int retries)
{
    sf_http_opts o;
    sf_http_opts_default(&o);
    o.max_retries = retries;
    o.backoff_base_ms = 10;
    o.backoff_max_ms = 3000;
    o.stall_timeout_ms = 2000;
    sf_http *h = NULL;
    assert_int_equal(sf_http_new(&h, &o, NULL), SF_OK);
    return h;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_registry_http__retries_503_and_429_retry_after(void **state)
{
    (void)state;
    static const canned script[] = {
        {"HTTP/1.1 503 Service Unavailable\r\n", "busy", 0},
        {"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\n", "slow down", 0},
        {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", "{\"ok\":1}", 0},
    };
    server s;
    start(&s, script, 3);
    sf_http *h = mk_http(5);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/", s.port);
    sf_buf body;
    sf_buf_init(&body, 1024);
    sf_http_req req = {.method = "GET", .url = url, .body = &body};
    sf_http_resp *resp = malloc(sizeof *resp);
    double t0 = now_s();
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    double el = now_s() - t0;
    assert_int_equal(resp->status, 200);
    assert_string_equal(body.data, "{\"ok\":1}"); /* error bodies never reach the sink */
    assert_int_equal(resp->attempts, 3);
    assert_true(el >= 0.95); /* Retry-After: 1 was honoured */
    /* Retries exhausted: the final 429 becomes SF_ERATELIMIT. */
    static const canned always429[] = {{"HTTP/1.1 429 Too Many Requests\r\n", "", 0}};
    stop(&s);
    start(&s, always429, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/", s.port);
    sf_http_free(h);
    h = mk_http(2);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_http_fetch(h, &req, resp, &e), SF_ERATELIMIT);
    assert_int_equal(s.next, 3);
    assert_non_null(strstr(e.msg, "after 3 attempts"));
    stop(&s);
    sf_buf_free(&body);
    free(resp);
    sf_http_free(h);
}

static void test_registry_http__redirect_drops_auth_across_origins(void **state)
{
    (void)state;
    static const canned blob[] = {{"HTTP/1.1 200 OK\r\n", "blobbytes", 0}};
    static const canned reg[] = {
        /* Another origin (localhost vs 127.0.0.1, other port): no auth. */
        {"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://localhost:{PORT2}/b?sig=x\r\n",
         "", 0},
        /* Same origin: auth kept. */
        {"HTTP/1.1 302 Found\r\nLocation: /v2/r/blobs/final\r\n", "", 0},
        {"HTTP/1.1 200 OK\r\n", "same", 0},
    };
    server b, r;
    start(&b, blob, 1);
    start(&r, reg, 3);
    r.other_port = b.port;
    sf_http *h = mk_http(0);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v2/r/blobs/sha256:aa", r.port);
    sf_buf body;
    sf_buf_init(&body, 1024);
    sf_http_req req = {.method = "GET", .url = url, .body = &body,
                       .authorization = "Bearer SECRETTOKEN"};
    sf_http_resp *resp = malloc(sizeof *resp);
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    assert_string_equal(body.data, "blobbytes");
    assert_non_null(strstr(r.seen[0], "Authorization: Bearer SECRETTOKEN"));
    assert_null(strstr(b.seen[0], "Authorization"));
    assert_null(strstr(b.seen[0], "SECRETTOKEN"));
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    assert_string_equal(body.data, "same");
    assert_non_null(strstr(r.seen[2], "GET /v2/r/blobs/final"));
    assert_non_null(strstr(r.seen[2], "Authorization: Bearer SECRETTOKEN"));
    stop(&b);
    stop(&r);
    sf_buf_free(&body);
    free(resp);
    sf_http_free(h);
}

static int count_sink(void *ctx, const void *d, size_t n)
{
    (void)d;
    *(size_t *)ctx += n;
    return SF_OK;
}

/* Start s on script, and a client with `retries`; url names path on s. */
static sf_http *serve_at(server *s, const canned *script, int n, int retries, const char *path,
                         char *url, size_t urlen)
{
    start(s, script, n);
    snprintf(url, urlen, "http://127.0.0.1:%d%s", s->port, path);
    return mk_http(retries);
}

static void test_registry_http__stream_not_retried_after_first_byte(void **state)
{
    (void)state;
    /* Promises 26 bytes, sends 10, closes: a partial body. */
    static const canned cut[] = {{"HTTP/1.1 200 OK\r\n", "abcdefghijklmnopqrstuvwxyz", 10}};
    server s;
    char url[128];
    sf_http *h = serve_at(&s, cut, 1, 3, "/blob", url, sizeof url);
    size_t n = 0;
    sf_http_req req = {.method = "GET", .url = url, .sink = count_sink, .sink_ctx = &n};
    sf_http_resp *resp = malloc(sizeof *resp);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_http_fetch(h, &req, resp, &e), SF_ENET);
    assert_int_equal(n, 10);
    assert_int_equal(s.next, 1); /* no second attempt: bytes were delivered */
    /* A buffered body is restartable, so the same failure is retried. */
    sf_buf body;
    sf_buf_init(&body, 1024);
    sf_http_req req2 = {.method = "GET", .url = url, .body = &body};
    assert_int_equal(sf_http_fetch(h, &req2, resp, NULL), SF_ENET);
    assert_int_equal(s.next, 1 + 4);
    /* Body cap. */
    static const canned big[] = {{"HTTP/1.1 200 OK\r\n", "0123456789abcdef", 0}};
    stop(&s);
    start(&s, big, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/blob", s.port);
    sf_buf small;
    sf_buf_init(&small, 8);
    sf_http_req req3 = {.method = "GET", .url = url, .body = &small};
    assert_int_equal(sf_http_fetch(h, &req3, resp, NULL), SF_ELIMIT);
    stop(&s);
    sf_buf_free(&body);
    sf_buf_free(&small);
    free(resp);
    sf_http_free(h);
}

/* A blob's declared size is a bound: a body announced (Content-Length)
 * or served past it fails before a byte reaches the sink; a body cap
 * announced past its room fails before a byte is buffered. */
static void count_retry(void *ctx, const char *why, long delay_ms)
{
    (void)delay_ms;
    assert_non_null(strstr(why, "HTTP 403"));
    (*(int *)ctx)++;
}

/* What scanfarm db update relies on: validators kept from a 200, request
 * headers sent, a 304 as a final answer with nothing for the sink, 403
 * retried only when the request says it means throttling (with the retry
 * reported), and an ETag too long to keep dropped without flagging the
 * response overlong (the registry client's behaviour stays as it was). */
static void test_registry_http__conditional_get_and_throttle_403(void **state)
{
    (void)state;
    static char longtag[700];
    memcpy(longtag, "HTTP/1.1 200 OK\r\nETag: \"", 24);
    memset(longtag + 24, 'x', 600);
    memcpy(longtag + 624, "\"\r\n", 4);
    canned script[] = {
        {"HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nLast-Modified: Wed, 02 Dec 2026 10:00:00 GMT\r\n",
         "feed", 0},
        {"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n", "", 0},
        {"HTTP/1.1 403 Forbidden\r\n", "slow down", 0},
        {"HTTP/1.1 200 OK\r\n", "page", 0},
        {"HTTP/1.1 403 Forbidden\r\n", "no", 0},
        {longtag, "big", 0},
    };
    server s;
    char url[128];
    sf_http *h = serve_at(&s, script, 6, 3, "/feed.json", url, sizeof url);
    size_t n = 0;
    sf_http_req req = {.method = "GET", .url = url, .sink = count_sink, .sink_ctx = &n};
    sf_http_resp *resp = malloc(sizeof *resp);
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    assert_int_equal(resp->status, 200);
    assert_string_equal(resp->etag, "\"v1\"");
    assert_string_equal(resp->last_modified, "Wed, 02 Dec 2026 10:00:00 GMT");
    assert_int_equal(n, 4);
    const char *cond[] = {"If-None-Match: \"v1\"", NULL};
    req.headers = cond;
    n = 0;
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    assert_int_equal(resp->status, 304);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(n, 0);
    assert_non_null(strstr(s.seen[1], "If-None-Match: \"v1\""));
    int retries = 0;
    sf_http_req thr = {.method = "GET", .url = url, .sink = count_sink, .sink_ctx = &n,
                       .retry_forbidden = 1, .on_retry = count_retry, .retry_ctx = &retries};
    assert_int_equal(sf_http_fetch(h, &thr, resp, NULL), SF_OK);
    assert_int_equal(resp->status, 200);
    assert_int_equal(resp->attempts, 2);
    assert_int_equal(retries, 1);
    req.headers = NULL;
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK); /* a 403 is final by default */
    assert_int_equal(resp->status, 403);
    assert_int_equal(resp->attempts, 1);
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    assert_int_equal(resp->status, 200);
    assert_string_equal(resp->etag, "");
    assert_int_equal(resp->overlong, 0);
    stop(&s);
    free(resp);
    sf_http_free(h);
}

static void test_registry_http__declared_size_and_cap_enforced(void **state)
{
    (void)state;
    static const canned big[] = {{"HTTP/1.1 200 OK\r\n", "0123456789abcdef", 0}};
    server s;
    start(&s, big, 1);
    sf_http *h = mk_http(3);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/blob", s.port);
    size_t n = 0;
    sf_http_req req = {.method = "GET", .url = url, .sink = count_sink, .sink_ctx = &n,
                       .sized = 1, .size = 8};
    sf_http_resp *resp = malloc(sizeof *resp);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_http_fetch(h, &req, resp, &e), SF_EDIGEST);
    assert_non_null(strstr(e.msg, "declared size of 8 bytes"));
    assert_int_equal(n, 0);
    assert_int_equal(s.next, 1); /* not retried */
    req.size = 16;
    assert_int_equal(sf_http_fetch(h, &req, resp, NULL), SF_OK);
    assert_int_equal(n, 16);
    sf_buf small;
    sf_buf_init(&small, 8);
    sf_http_req req2 = {.method = "GET", .url = url, .body = &small};
    sf_error e2 = SF_ERROR_INIT;
    assert_int_equal(sf_http_fetch(h, &req2, resp, &e2), SF_ELIMIT);
    assert_non_null(strstr(e2.msg, "size cap of 8 bytes (Content-Length)"));
    assert_int_equal(small.len, 0);
    stop(&s);
    sf_buf_free(&small);
    free(resp);
    sf_http_free(h);
}

/* The overall deadline: base + size at the minimum rate. A body trickled
 * at 20 bytes/s (above the stall guard) ends at it, not after 4 s; a 429
 * asking for more than the backoff cap is not retried. */
static void test_registry_http__deadline_ends_trickle_and_long_retry(void **state)
{
    (void)state;
    static const canned slow[] = {
        {"HTTP/1.1 200 OK\r\n", "0123456789012345678901234567890123456789"
                                 "0123456789012345678901234567890123456789", 0}};
    server s;
    g_byte_ms = 50;
    start(&s, slow, 1);
    sf_http_opts o;
    sf_http_opts_default(&o);
    o.min_rate_bps = 1024;
    o.deadline_base_ms = 500;
    o.backoff_base_ms = 10;
    o.backoff_max_ms = 3000;
    sf_http *h = NULL;
    assert_int_equal(sf_http_new(&h, &o, NULL), SF_OK);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/blob", s.port);
    size_t n = 0;
    sf_http_req req = {.method = "GET", .url = url, .sink = count_sink, .sink_ctx = &n,
                       .sized = 1, .size = 80};
    sf_http_resp *resp = malloc(sizeof *resp);
    sf_error e = SF_ERROR_INIT;
    double t0 = now_s();
    assert_int_equal(sf_http_fetch(h, &req, resp, &e), SF_ETIMEOUT);
    double took = now_s() - t0;
    assert_non_null(strstr(e.msg, "deadline"));
    assert_true(n > 0 && n < 80);
    /* 500 ms + 80 B at 1 KiB/s = 578 ms; libcurl checks about once a second. */
    assert_true(took >= 0.5 && took < 2.5);
    stop(&s);
    g_byte_ms = 0;
    static const canned busy[] = {
        {"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 100\r\n", "", 0}};
    start(&s, busy, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/m", s.port);
    sf_http_req req2 = {.method = "GET", .url = url};
    sf_error e2 = SF_ERROR_INIT;
    t0 = now_s();
    assert_int_equal(sf_http_fetch(h, &req2, resp, &e2), SF_ERATELIMIT);
    assert_true(now_s() - t0 < 1.0);
    assert_non_null(strstr(e2.msg, "no retry: Retry-After 100 s is past the 3 s cap"));
    assert_int_equal(s.next, 1);
    stop(&s);
    free(resp);
    sf_http_free(h);
}

static void test_registry_http__basic_challenge_round_trip(void **state)
{
    (void)state;
    static const canned script[] = {
        {"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"r\"\r\n", "", 0},
        {"HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:"
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\r\n"
         "Content-Type: application/vnd.oci.image.index.v1+json\r\n", "", 0},
    };
    server s;
    start(&s, script, 2);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    sf_reg_opts o = {.url = url, .username = "al", .password = "pw:1", .max_retries = 0};
    sf_reg *r = NULL;
    assert_int_equal(sf_reg_new(&r, &o, NULL), SF_OK);
    char d[SF_DIGEST_MAX], mt[128];
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_reg_resolve(r, "a/b", "v1", d, mt, sizeof mt, &e), SF_OK);
    assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(mt, "application/vnd.oci.image.index.v1+json");
    assert_null(strstr(s.seen[0], "Authorization"));
    /* "al:pw:1" in base64 */
    assert_non_null(strstr(s.seen[1], "Authorization: Basic YWw6cHc6MQ=="));
    assert_non_null(strstr(s.seen[1], "HEAD /v2/a/b/manifests/v1"));
    assert_non_null(strstr(s.seen[1], "application/vnd.oci.image.index.v1+json"));
    stop(&s);
    sf_reg_free(r);
}

static void test_registry_http__resolve_falls_back_to_get(void **state)
{
    (void)state;
    /* HEAD without Docker-Content-Digest: GET, hash the body; the media
     * type comes from the document when Content-Type is generic. */
    static const canned script[] = {
        {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", "", 0},
        {"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
         "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}", 0},
        /* A body that does not match the digest it was asked by. */
        {"HTTP/1.1 200 OK\r\n", "tampered", 0},
    };
    server s;
    start(&s, script, 3);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    sf_reg_opts o = {.url = url, .max_retries = 0};
    sf_reg *r = NULL;
    assert_int_equal(sf_reg_new(&r, &o, NULL), SF_OK);
    char d[SF_DIGEST_MAX], mt[128], want[SF_DIGEST_MAX];
    const char *doc = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}";
    sf_digest_sha256(doc, strlen(doc), want);
    assert_int_equal(sf_reg_resolve(r, "a/b", "v1", d, mt, sizeof mt, NULL), SF_OK);
    assert_string_equal(d, want);
    assert_string_equal(mt, "application/vnd.oci.image.manifest.v1+json");
    assert_non_null(strstr(s.seen[0], "HEAD /v2/a/b/manifests/v1"));
    assert_non_null(strstr(s.seen[1], "GET /v2/a/b/manifests/v1"));
    sf_buf body;
    sf_buf_init(&body, 0);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_reg_get_manifest(r, "a/b", want, &body, mt, sizeof mt, d, &e),
                     SF_EDIGEST);
    assert_non_null(strstr(e.msg, "mismatch"));
    /* Names that could escape the URL path never reach the server. */
    assert_int_equal(sf_reg_resolve(r, "../x", "v1", d, NULL, 0, NULL), SF_EINVAL);
    assert_int_equal(sf_reg_resolve(r, "a/b", "v1?x=1", d, NULL, 0, NULL), SF_EINVAL);
    assert_int_equal(s.next, 3);
    sf_buf_free(&body);
    stop(&s);
    sf_reg_free(r);
}

/* The coordinator's tag resolution (coordinator/enum_resolve.h): a GET
 * whose body, when small, is kept for the job; the digest is the body's,
 * checked against Docker-Content-Digest; a body past the job cap is
 * resolved again with HEAD; past the budget nothing is kept. */
static void test_registry_http__enum_resolve_keeps_small_body(void **state)
{
    (void)state;
    static const char doc[] = "{\"schemaVersion\":2,\"mediaType\":"
                              "\"application/vnd.oci.image.manifest.v1+json\"}";
    static char big[SF_LIM_JOB_MANIFEST + 2];
    memset(big, ' ', sizeof big - 1);
    big[0] = '{', big[sizeof big - 2] = '}';
    char want[SF_DIGEST_MAX], hdr[256], hd_big[256];
    sf_digest_sha256(doc, strlen(doc), want);
    snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nDocker-Content-Digest: %s\r\n"
                              "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n", want);
    snprintf(hd_big, sizeof hd_big, "HTTP/1.1 200 OK\r\nDocker-Content-Digest: sha256:"
             "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\r\n");
    const canned script[] = {
        {hdr, doc, 0},                                   /* kept */
        {hdr, "{\"schemaVersion\":2}", 0},               /* header names another body */
        {hd_big, big, 0},                                /* past the cap: */
        {hd_big, "", 0},                                 /* ... then HEAD */
        {hdr, doc, 0},                                   /* past the budget */
    };
    server s;
    start(&s, script, 5);
    char url[64], d[SF_DIGEST_MAX];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
    sf_reg_opts o = {.url = url, .max_retries = 0};
    sf_reg *r = NULL;
    assert_int_equal(sf_reg_new(&r, &o, NULL), SF_OK);
    sf_rman_budget b = {0, 1 << 20};
    sf_rman *m = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_enum_resolve(r, "a/b", "v1", &b, d, &m, &e), SF_OK);
    assert_string_equal(d, want);
    assert_non_null(m);
    assert_int_equal(m->len, strlen(doc));
    assert_memory_equal(m->data, doc, m->len);
    assert_string_equal(m->media_type, "application/vnd.oci.image.manifest.v1+json");
    assert_int_equal(b.used, (long long)m->len);
    sf_rman_free(&b, m);
    assert_int_equal(b.used, 0);
    assert_non_null(strstr(s.seen[0], "GET /v2/a/b/manifests/v1"));
    assert_int_equal(sf_enum_resolve(r, "a/b", "v1", &b, d, &m, &e), SF_EDIGEST);
    assert_null(m);
    assert_int_equal(sf_enum_resolve(r, "a/b", "v1", &b, d, &m, &e), SF_OK);
    assert_null(m);
    assert_string_equal(d + 7, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_non_null(strstr(s.seen[3], "HEAD /v2/a/b/manifests/v1"));
    b.cap = 4;
    assert_int_equal(sf_enum_resolve(r, "a/b", "v1", &b, d, &m, &e), SF_OK);
    assert_string_equal(d, want);
    assert_null(m);
    assert_int_equal(b.used, 0);
    assert_int_equal(s.next, 5);
    stop(&s);
    sf_reg_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_http__retries_503_and_429_retry_after),
        cmocka_unit_test(test_registry_http__redirect_drops_auth_across_origins),
        cmocka_unit_test(test_registry_http__stream_not_retried_after_first_byte),
        cmocka_unit_test(test_registry_http__conditional_get_and_throttle_403),
        cmocka_unit_test(test_registry_http__declared_size_and_cap_enforced),
        cmocka_unit_test(test_registry_http__deadline_ends_trickle_and_long_retry),
        cmocka_unit_test(test_registry_http__basic_challenge_round_trip),
        cmocka_unit_test(test_registry_http__resolve_falls_back_to_get),
        cmocka_unit_test(test_registry_http__enum_resolve_keeps_small_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
