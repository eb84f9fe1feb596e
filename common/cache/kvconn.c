/* kvconn: see kvconn.h. */
#include "cache/kvconn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/limits.h"

struct sf_kvtls {
    SSL_CTX *ctx;
};

struct sf_kvconn {
    char name[272];
    int fd;
    SSL *ssl;             /* NULL: plain TCP */
    redisReader *reader;
    char *obuf;           /* queued commands (RESP, malloc'd) */
    size_t olen;
    size_t inbytes;       /* bytes read for the reply being parsed */
    int broken;
};

/* hiredis' reply builders with one change: an array header is refused
 * above SF_KV_REPLY_ELEMS_MAX elements. hiredis allocates the element
 * table when it reads the header, so "*444444441" alone would ask for
 * 3.5 GB before a byte of content (found by the kvslot fuzz target). */
static redisReplyObjectFunctions g_fns;
static void *(*g_create_array)(const redisReadTask *, int);
static pthread_once_t g_fns_once = PTHREAD_ONCE_INIT;

static void *capped_array(const redisReadTask *t, int n)
{
    return n > SF_KV_REPLY_ELEMS_MAX ? NULL : g_create_array(t, n);
}

static void fns_init(void)
{
    redisReader *r = redisReaderCreate();
    if (!r)
        return;
    g_fns = *r->fn;
    g_create_array = g_fns.createArray;
    g_fns.createArray = capped_array;
    redisReaderFree(r);
}

redisReader *sf_kvconn_reader_new(void)
{
    pthread_once(&g_fns_once, fns_init);
    if (!g_create_array)
        return NULL;
    return redisReaderCreateWithFunctions(&g_fns);
}

/* The first queued OpenSSL error as text ("certificate verify failed"). */
static const char *tls_why(char *buf, size_t cap)
{
    unsigned long e = ERR_get_error();
    if (!e)
        return "connection closed";
    ERR_error_string_n(e, buf, cap);
    ERR_clear_error();
    return buf;
}

int sf_kvtls_new(sf_kvtls **out, const sf_kvtls_opts *o, sf_error *err)
{
    char why[200];
    *out = NULL;
    ERR_clear_error(); /* our errors only, not an earlier connection's */
    sf_kvtls *t = calloc(1, sizeof *t);
    if (!t || !(t->ctx = SSL_CTX_new(TLS_client_method()))) {
        free(t);
        return sf_error_set(err, SF_ENOMEM, "redis TLS: no memory for a context");
    }
    SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(t->ctx, o->no_verify ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, NULL);
    int ok = o->ca_file && *o->ca_file
                 ? SSL_CTX_load_verify_locations(t->ctx, o->ca_file, NULL)
                 : SSL_CTX_set_default_verify_paths(t->ctx);
    if (!ok) {
        sf_error_set(err, SF_ECONFIG, "redis TLS: cannot load CA file %s: %s",
                     o->ca_file ? o->ca_file : "(system)", tls_why(why, sizeof why));
        goto fail;
    }
    if (o->cert_file && *o->cert_file) {
        const char *key = o->key_file && *o->key_file ? o->key_file : o->cert_file;
        if (SSL_CTX_use_certificate_chain_file(t->ctx, o->cert_file) != 1 ||
            SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
            SSL_CTX_check_private_key(t->ctx) != 1) {
            sf_error_set(err, SF_ECONFIG, "redis TLS: client certificate %s / key %s: %s",
                         o->cert_file, key, tls_why(why, sizeof why));
            goto fail;
        }
    } else if (o->key_file && *o->key_file) {
        sf_error_set(err, SF_ECONFIG, "redis TLS: a key file needs a certificate file");
        goto fail;
    }
    *out = t;
    return SF_OK;
fail:
    sf_kvtls_free(t);
    return err ? err->code : SF_ECONFIG;
}

void sf_kvtls_free(sf_kvtls *t)
{
    if (!t)
        return;
    SSL_CTX_free(t->ctx);
    free(t);
}

static void set_timeouts(int fd, long ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Non-blocking connect bounded by ms, then back to blocking. */
static int connect_one(const struct addrinfo *ai, long ms, int *err_no)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        *err_no = errno;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        rc = poll(&p, 1, (int)ms);
        if (rc == 0) {
            errno = ETIMEDOUT;
            rc = -1;
        } else if (rc > 0) {
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            errno = soerr;
            rc = soerr ? -1 : 0;
        }
    }
    if (rc != 0) {
        *err_no = errno;
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fl);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int tcp_connect(sf_kvconn *c, const char *host, int port, long ms, sf_error *err)
{
    char ps[16];
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    snprintf(ps, sizeof ps, "%d", port);
    int g = getaddrinfo(host, ps, &hints, &res);
    if (g != 0)
        return sf_error_set(err, SF_EREDIS, "redis %s: connect: %s", c->name, gai_strerror(g));
    int e = 0;
    for (struct addrinfo *ai = res; ai && c->fd < 0; ai = ai->ai_next)
        c->fd = connect_one(ai, ms, &e);
    freeaddrinfo(res);
    if (c->fd < 0)
        return sf_error_set(err, SF_EREDIS, "redis %s: connect: %s", c->name, strerror(e));
    return SF_OK;
}

/* TLS handshake; the certificate must match server_name (DNS name or IP). */
static int tls_connect(sf_kvconn *c, sf_kvtls *tls, const char *server_name, sf_error *err)
{
    char why[200];
    unsigned char tmp[16];
    if (!(c->ssl = SSL_new(tls->ctx)) || SSL_set_fd(c->ssl, c->fd) != 1)
        return sf_error_set(err, SF_ENOMEM, "redis %s: TLS: no memory", c->name);
    int is_ip = inet_pton(AF_INET, server_name, tmp) == 1 ||
                inet_pton(AF_INET6, server_name, tmp) == 1;
    if (is_ip) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), server_name);
    } else {
        SSL_set_tlsext_host_name(c->ssl, server_name);
        SSL_set1_host(c->ssl, server_name);
    }
    if (SSL_connect(c->ssl) == 1)
        return SF_OK;
    long v = SSL_get_verify_result(c->ssl);
    if (v != X509_V_OK)
        return sf_error_set(err, SF_EREDIS, "redis %s: TLS: certificate of %s not trusted: %s",
                            c->name, server_name, X509_verify_cert_error_string(v));
    return sf_error_set(err, SF_EREDIS, "redis %s: TLS handshake failed: %s", c->name,
                        errno == EAGAIN ? "timed out" : tls_why(why, sizeof why));
}

int sf_kvconn_open(sf_kvconn **out, const char *name, const char *host, int port,
                   sf_kvtls *tls, const char *server_name, long connect_ms, long cmd_ms,
                   sf_error *err)
{
    int rc;
    *out = NULL;
    sf_kvconn *c = calloc(1, sizeof *c);
    if (!c)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    c->fd = -1;
    snprintf(c->name, sizeof c->name, "%s", name);
    if (!(c->reader = sf_kvconn_reader_new())) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = tcp_connect(c, host, port, connect_ms, err)) != SF_OK)
        goto fail;
    if (tls) {
        set_timeouts(c->fd, connect_ms);
        ERR_clear_error();
        if ((rc = tls_connect(c, tls, server_name && *server_name ? server_name : host, err)))
            goto fail;
    }
    set_timeouts(c->fd, cmd_ms);
    *out = c;
    return SF_OK;
fail:
    sf_kvconn_free(c);
    return rc;
}

void sf_kvconn_free(sf_kvconn *c)
{
    if (!c)
        return;
    if (c->ssl) {
        if (!c->broken)
            SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
    if (c->reader)
        redisReaderFree(c->reader);
    free(c->obuf);
    free(c);
}

static size_t dec_len(size_t n)
{
    size_t k = 1;
    while (n >= 10)
        n /= 10, k++;
    return k;
}

/* "<lead><n>\r\n" at p; returns the bytes written. */
static size_t resp_head(char *p, char lead, size_t n)
{
    size_t k = dec_len(n);
    p[0] = lead;
    for (size_t i = k; i > 0; i--, n /= 10)
        p[i] = (char)('0' + n % 10);
    p[k + 1] = '\r', p[k + 2] = '\n';
    return k + 3;
}

int sf_kvconn_resp_append(char **buf, size_t *len, int argc, const char **argv,
                          const size_t *argvlen)
{
    /* redisFormatCommandArgv's bytes, without its sprintf per argument:
     * an image's guarded script has thousands of arguments */
    size_t total = 3 + dec_len((size_t)argc), *lens = NULL;
    if (argc < 0)
        return SF_EINVAL;
    if (!argvlen && argc && !(lens = malloc((size_t)argc * sizeof *lens)))
        return SF_ENOMEM;
    for (int i = 0; i < argc; i++) {
        size_t l = argvlen ? argvlen[i] : (lens[i] = strlen(argv[i]));
        size_t add = 5 + dec_len(l) + l;
        if (l > SIZE_MAX / 2 || total > SIZE_MAX / 2 - add) {
            free(lens);
            return SF_ENOMEM;
        }
        total += add;
    }
    char *nb = realloc(*buf, *len + total);
    if (!nb) {
        free(lens);
        return SF_ENOMEM;
    }
    char *p = nb + *len;
    p += resp_head(p, '*', (size_t)argc);
    for (int i = 0; i < argc; i++) {
        size_t l = argvlen ? argvlen[i] : lens[i];
        p += resp_head(p, '$', l);
        memcpy(p, argv[i], l);
        p += l;
        *p++ = '\r', *p++ = '\n';
    }
    free(lens);
    *buf = nb, *len += total;
    return SF_OK;
}

int sf_kvconn_append(sf_kvconn *c, int argc, const char **argv, const size_t *argvlen,
                     sf_error *err)
{
    int rc = sf_kvconn_resp_append(&c->obuf, &c->olen, argc, argv, argvlen);
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "out of memory");
    return rc != SF_OK ? sf_error_set(err, rc, "redis: bad command") : SF_OK;
}

static int io_fail(sf_kvconn *c, const char *what, sf_error *err)
{
    int e = errno;
    c->broken = 1;
    if (e == EAGAIN || e == EWOULDBLOCK)
        return sf_error_set(err, SF_EREDIS, "redis %s: %s: timed out", c->name, what);
    return sf_error_set(err, SF_EREDIS, "redis %s: %s: %s", c->name, what,
                        e ? strerror(e) : "connection closed");
}

static int flush_out(sf_kvconn *c, sf_error *err)
{
    size_t off = 0;
    while (off < c->olen) {
        errno = 0;
        ssize_t w = c->ssl ? SSL_write(c->ssl, c->obuf + off, (int)(c->olen - off))
                           : send(c->fd, c->obuf + off, c->olen - off, MSG_NOSIGNAL);
        if (w <= 0) {
            if (!c->ssl && w < 0 && errno == EINTR)
                continue;
            return io_fail(c, "write", err);
        }
        off += (size_t)w;
    }
    c->olen = 0;
    return SF_OK;
}

int sf_kvconn_reply(sf_kvconn *c, redisReply **out, sf_error *err)
{
    char buf[16384];
    void *r = NULL;
    *out = NULL;
    if (c->broken)
        return sf_error_set(err, SF_EREDIS, "redis %s: connection broken", c->name);
    if (c->olen && flush_out(c, err) != SF_OK)
        return SF_EREDIS;
    for (;;) {
        if (redisReaderGetReply(c->reader, &r) != REDIS_OK) {
            c->broken = 1;
            return sf_error_set(err, SF_EREDIS, "redis %s: protocol error: %s", c->name,
                                c->reader->errstr);
        }
        if (r) {
            c->inbytes = 0;
            *out = r;
            return SF_OK;
        }
        errno = 0;
        ssize_t n = c->ssl ? SSL_read(c->ssl, buf, sizeof buf) : recv(c->fd, buf, sizeof buf, 0);
        if (n <= 0) {
            if (!c->ssl && n < 0 && errno == EINTR)
                continue;
            return io_fail(c, "read", err);
        }
        c->inbytes += (size_t)n;
        if (c->inbytes > SF_KV_REPLY_BYTES_MAX) {
            c->broken = 1;
            return sf_error_set(err, SF_ELIMIT, "redis %s: reply over %d MiB", c->name,
                                SF_KV_REPLY_BYTES_MAX >> 20);
        }
        if (redisReaderFeed(c->reader, buf, (size_t)n) != REDIS_OK) {
            c->broken = 1;
            return sf_error_set(err, SF_ENOMEM, "redis %s: out of memory", c->name);
        }
    }
}

int sf_kvconn_cmd(sf_kvconn *c, int argc, const char **argv, const size_t *argvlen,
                  redisReply **out, sf_error *err)
{
    *out = NULL;
    int rc = sf_kvconn_append(c, argc, argv, argvlen, err);
    return rc != SF_OK ? rc : sf_kvconn_reply(c, out, err);
}

int sf_kvconn_broken(const sf_kvconn *c) { return c->broken; }
void sf_kvconn_set_broken(sf_kvconn *c) { c->broken = 1; }
