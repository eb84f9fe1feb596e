/*
 * http: see http.h. This file is the transport: libcurl easy handles live
 * in a fixed pool (its size is the concurrency limit) and share one curl
 * share handle, so DNS answers and TLS sessions are reused across threads.
 * Connections are not shared: libcurl's shared connection cache is not
 * thread-safe (a known libcurl bug: a handle in one thread walks
 * connections in use by another); sharing it corrupted the coordinator's
 * heap in one bench run of six (glibc abort). Each pooled handle keeps
 * its own connections instead (curl_easy_reset keeps them), and since
 * handles are reused, so are their connections. It makes one
 * exchange (options, callbacks, body caps, the deadline, the connect-time
 * address policy) and one attempt, the exchange and the redirects it
 * leads to. Redirects are followed here, not by libcurl, so the
 * Authorization rule is ours and testable.
 *
 * Its neighbours (http_int.h): http_hdr.c parses the response headers the
 * header callback hands it, http_url.c holds the URL helpers, and
 * http_retry.c (sf_http_fetch) decides whether an attempt is made again.
 */
#include "registry/http.h"
#include "registry/http_int.h"
#include "base/time.h"
#include "base/limits.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/netpol.h"
#include "sf_version.h"

#define HTTP_MAX_REDIRECTS SF_LIM_HTTP_REDIRECTS
/* Default overall deadline of a request: a minute for the round trips,
 * token hops and a short outage, plus its size at 256 KiB/s, a rate any
 * registry or blob store serves (a 100 MB layer gets 7.5 minutes). A
 * body trickled slower is a fault or an attack, not a slow network. */
#define HTTP_DEADLINE_BASE_MS 60000L
#define HTTP_MIN_RATE_BPS (256L * 1024)
#define HTTP_CURL_HEADER_MAX_KIB SF_LIM_HTTP_CURL_HEADER_KIB

struct sf_http {
    sf_http_opts o;
    CURLSH *share;
    pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t mu;     /* guards pool and bucket */
    pthread_cond_t cv;      /* signalled when a handle returns to the pool */
    CURL **pool;            /* free handles, pool[0..nfree) */
    int nfree;
    int nhandles;
    double tokens;          /* token bucket for o.rate */
    double last_refill;     /* monotonic seconds */
    long transfers;         /* atomic: transfers made */
    char *ca_file;          /* owned copy of o.ca_file */
    char *pem[3];           /* owned copies of o.ca_pem, o.cert_pem, o.key_pem */
};

/* State of one transfer, shared by the curl callbacks. */
typedef struct xfer {
    const sf_http *h;
    const sf_http_req *req;
    sf_http_resp *resp;
    const atomic_int *cancel;
    double t0;          /* start of the attempt (its deadline's origin) */
    long long deadline; /* ms after t0 that passed, when abort_code = SF_ETIMEOUT */
    int abort_code;     /* why a callback stopped the transfer */
    int in_body_ok;     /* status is 2xx: body goes to the sinks */
    int len_checked;    /* Content-Length compared with size and cap */
    int auth_overlong;  /* a WWW-Authenticate value did not fit resp->www_auth */
} xfer;

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_rc;

static void global_init(void) { g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) ? -1 : 0; }

void sf_http_opts_default(sf_http_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_conns = 8;
    o->max_retries = 5;
    o->connect_timeout_ms = 10000;
    o->stall_timeout_ms = 30000;
    o->backoff_base_ms = 200;
    o->backoff_max_ms = 60000;
    o->min_rate_bps = HTTP_MIN_RATE_BPS;
    o->deadline_base_ms = HTTP_DEADLINE_BASE_MS;
}

/* The fetch's deadline in ms from its start (see sf_http_opts), or -1.
 * in_body: the current response is the 2xx whose Content-Length counts. */
static long long budget_ms(const sf_http *h, const sf_http_req *req, const sf_http_resp *resp,
                           int in_body)
{
    double size;
    if (req->deadline_ms > 0)
        return req->deadline_ms;
    if (h->o.min_rate_bps <= 0)
        return -1;
    if (req->sized)
        size = (double)req->size;
    else if (in_body && resp->content_length >= 0)
        size = (double)resp->content_length;
    else if (req->body)
        size = (double)req->body->max;
    else if (!req->sink)
        size = 0;
    else
        return -1;
    double ms = (double)h->o.deadline_base_ms + size * 1000.0 / (double)h->o.min_rate_bps;
    return ms > 1e15 ? (long long)1e15 : (long long)ms;
}

/* ---- share handle locking ---- */

static void share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)c, (void)a;
    pthread_mutex_lock(&((sf_http *)u)->share_locks[d]);
}

static void share_unlock(CURL *c, curl_lock_data d, void *u)
{
    (void)c;
    pthread_mutex_unlock(&((sf_http *)u)->share_locks[d]);
}

/* In-memory PEM credentials (sf_http_opts.ca_pem/cert_pem/key_pem). */
static int pem_copy(sf_http *h, const sf_http_opts *o)
{
    const char *src[3] = {o->ca_pem, o->cert_pem, o->key_pem};
    for (int i = 0; i < 3; i++)
        if (src[i] && !(h->pem[i] = sf_strdup(src[i])))
            return -1;
    h->o.ca_pem = h->pem[0];
    h->o.cert_pem = h->pem[1];
    h->o.key_pem = h->pem[2];
    return 0;
}

static void pem_free(sf_http *h)
{
    for (int i = 0; i < 3; i++) {
        if (h->pem[i])
            explicit_bzero(h->pem[i], strlen(h->pem[i]));
        free(h->pem[i]);
    }
}

static void pem_apply(sf_http *h, CURL *c)
{
    static const CURLoption opt[3] = {CURLOPT_CAINFO_BLOB, CURLOPT_SSLCERT_BLOB,
                                      CURLOPT_SSLKEY_BLOB};
    for (int i = 0; i < 3; i++)
        if (h->pem[i]) {
            struct curl_blob b = {h->pem[i], strlen(h->pem[i]), CURL_BLOB_NOCOPY};
            curl_easy_setopt(c, opt[i], &b);
        }
    if (h->pem[1]) {
        curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
    }
}

int sf_http_new(sf_http **out, const sf_http_opts *opts, sf_error *err)
{
    *out = NULL;
    pthread_once(&g_once, global_init);
    if (g_init_rc)
        return sf_error_set(err, SF_EINTERNAL, "curl_global_init failed");
    sf_http *h = calloc(1, sizeof *h);
    if (!h)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    h->o = *opts;
    h->o.ca_file = NULL;
    if (opts->ca_file && !(h->ca_file = sf_strdup(opts->ca_file))) {
        free(h);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    h->o.ca_file = h->ca_file;
    if (h->o.max_conns < 1)
        h->o.max_conns = 1;
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&h->share_locks[i], NULL);
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->cv, NULL);
    h->share = curl_share_init();
    h->pool = calloc((size_t)h->o.max_conns, sizeof *h->pool);
    if (!h->share || !h->pool || pem_copy(h, opts))
        goto nomem;
    curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    for (int i = 0; i < h->o.max_conns; i++) {
        h->pool[i] = curl_easy_init();
        if (!h->pool[i])
            goto nomem;
        h->nhandles++;
    }
    h->nfree = h->nhandles;
    h->tokens = h->o.rate > 1 ? h->o.rate : 1;
    h->last_refill = sf_time_mono_s();
    *out = h;
    return SF_OK;
nomem:
    sf_http_free(h);
    return sf_error_set(err, SF_ENOMEM, "out of memory");
}

void sf_http_free(sf_http *h)
{
    if (!h)
        return;
    /* Easy handles first: they hold references into the share. */
    for (int i = 0; i < h->nhandles; i++)
        curl_easy_cleanup(h->pool[i]);
    free(h->pool);
    if (h->share)
        curl_share_cleanup(h->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&h->share_locks[i]);
    pthread_mutex_destroy(&h->mu);
    pthread_cond_destroy(&h->cv);
    free(h->ca_file);
    pem_free(h);
    free(h);
}

/* Take a handle from the pool (the concurrency limit), then a rate token. */
static int acquire(sf_http *h, CURL **c)
{
    pthread_mutex_lock(&h->mu);
    while (h->nfree == 0) {
        if (h->o.cancel && *h->o.cancel) {
            pthread_mutex_unlock(&h->mu);
            return SF_ECANCELED;
        }
        struct timespec ts = sf_time_deadline(200);
        pthread_cond_timedwait(&h->cv, &h->mu, &ts);
    }
    *c = h->pool[--h->nfree];
    pthread_mutex_unlock(&h->mu);
    while (h->o.rate > 0) {
        double wait;
        pthread_mutex_lock(&h->mu);
        double now = sf_time_mono_s(), burst = h->o.rate > 1 ? h->o.rate : 1;
        h->tokens += (now - h->last_refill) * h->o.rate;
        h->last_refill = now;
        if (h->tokens > burst)
            h->tokens = burst;
        if (h->tokens >= 1) {
            h->tokens -= 1;
            pthread_mutex_unlock(&h->mu);
            break;
        }
        wait = (1 - h->tokens) / h->o.rate;
        pthread_mutex_unlock(&h->mu);
        if (sf_time_sleep_ms((long)(wait * 1000) + 1, h->o.cancel)) {
            pthread_mutex_lock(&h->mu);
            h->pool[h->nfree++] = *c;
            pthread_cond_signal(&h->cv);
            pthread_mutex_unlock(&h->mu);
            return SF_ECANCELED;
        }
    }
    return SF_OK;
}

static void release(sf_http *h, CURL *c)
{
    pthread_mutex_lock(&h->mu);
    h->pool[h->nfree++] = c;
    pthread_cond_signal(&h->cv);
    pthread_mutex_unlock(&h->mu);
}

/* ---- callbacks ---- */

/* Each header line goes to the parser (http_hdr.c); a status line also
 * decides whether the body that follows is content. */
static size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    xfer *x = ud;
    size_t n = size * nitems;
    if (sf_http__header_line(x->resp, buf, n, &x->auth_overlong))
        x->in_body_ok = x->resp->status >= 200 && x->resp->status < 300;
    return n;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    if (!x->in_body_ok)
        return n; /* error bodies are not content: drop them */
    const sf_http_req *q = x->req;
    long long cl = x->resp->content_length;
    /* A body announced past its declared size or cap fails before its
     * first byte is taken; one that grows past them, at that byte. */
    if (!x->len_checked++ && cl >= 0 && q->body && (uint64_t)cl > q->body->max - q->body->len) {
        x->abort_code = SF_ELIMIT;
        return 0;
    }
    if (q->sized && ((cl >= 0 && (uint64_t)cl > q->size) || x->resp->delivered + n > q->size)) {
        x->abort_code = SF_EDIGEST;
        return 0;
    }
    if (x->req->body) {
        int rc = sf_buf_append(x->req->body, data, n);
        if (rc) {
            x->abort_code = rc;
            return 0;
        }
    }
    if (x->req->sink) {
        int rc = x->req->sink(x->req->sink_ctx, data, n);
        if (rc) {
            x->abort_code = rc;
            return 0;
        }
    }
    x->resp->delivered += n;
    return n;
}

static int progress_cb(void *ud, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a, (void)b, (void)c, (void)d;
    xfer *x = ud;
    if (x->cancel && *x->cancel)
        return 1;
    /* Called at least once a second, data or not: the deadline holds
     * against a trickle as against silence. */
    long long lim = budget_ms(x->h, x->req, x->resp, x->in_body_ok);
    if (lim >= 0 && (sf_time_mono_s() - x->t0) * 1000.0 > (double)lim) {
        x->abort_code = SF_ETIMEOUT;
        x->deadline = lim;
        return 1;
    }
    return 0;
}

/* Map a libcurl failure to an sf_code; *retriable says whether a retry
 * could help. */
static int map_curl(CURLcode cc, int *retriable)
{
    *retriable = 0;
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        *retriable = 1;
        return SF_ETIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        *retriable = 1;
        return SF_ENET;
    case CURLE_ABORTED_BY_CALLBACK:
        return SF_ECANCELED;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return SF_EINVAL;
    default:
        return SF_ENET; /* TLS verification and the like: retrying won't help */
    }
}

/* ---- connect-time address policy (SSRF) ---- */

/* The policy one transfer connects under, and why it refused, if it did. */
typedef struct netgate {
    const sf_netpol *pol;
    sf_error refused;
} netgate;

/* Every socket of the transfer (registry, redirect target, token realm)
 * is opened here, on the address libcurl actually resolved: checking
 * the name beforehand would let a rebinding DNS answer slip past. */
static curl_socket_t netgate_open(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
    netgate *g = ud;
    if (purpose == CURLSOCKTYPE_IPCXN &&
        sf_netpol_check_addr(g->pol, &a->addr, a->addrlen, &g->refused) != SF_OK)
        return CURL_SOCKET_BAD;
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void netgate_apply(CURL *c, netgate *g)
{
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, netgate_open);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, g);
}

/* Why a callback or libcurl stopped a transfer, in words. */
static int abort_error(const xfer *x, CURLcode cc, const char *method, const char *shown,
                       sf_error *err)
{
    const sf_http_req *q = x->req;
    if (cc == CURLE_WRITE_ERROR && x->abort_code == SF_ELIMIT)
        return sf_error_set(err, SF_ELIMIT, "%s %s: body exceeds its size cap of %zu bytes%s",
                            method, shown, q->body ? q->body->max : 0,
                            x->resp->content_length >= 0 ? " (Content-Length)" : "");
    if (cc == CURLE_WRITE_ERROR && x->abort_code == SF_EDIGEST)
        return sf_error_set(err, SF_EDIGEST, "%s %s: body exceeds its declared size of %llu bytes",
                            method, shown, (unsigned long long)q->size);
    if (cc == CURLE_WRITE_ERROR && x->abort_code)
        return sf_error_set(err, x->abort_code, "%s %s: sink aborted (%s)", method, shown,
                            sf_err_name(x->abort_code));
    if (cc == CURLE_ABORTED_BY_CALLBACK && x->abort_code == SF_ETIMEOUT)
        return sf_error_set(err, SF_ETIMEOUT,
                            "%s %s: not done within its deadline of %lld s (%llu body bytes "
                            "came; the minimum rate is %ld B/s)",
                            method, shown, x->deadline / 1000,
                            (unsigned long long)x->resp->delivered, x->h->o.min_rate_bps);
    if (cc == CURLE_OUT_OF_MEMORY)
        return sf_error_set(err, SF_ELIMIT,
                            "%s %s: response header too large (a line over %d KiB; HTTP %ld)",
                            method, shown, HTTP_CURL_HEADER_MAX_KIB, x->resp->status);
    return SF_OK;
}

static int exchange(sf_http *h, const sf_http_req *req, const char *method, const char *url,
                    const char *authz, double t0, sf_http_resp *resp, int *retriable,
                    sf_error *err)
{
    CURL *c = NULL;
    struct curl_slist *hdrs = NULL;
    char line[SF_HTTP_HDR_MAX + 64];
    xfer x = {h, req, resp, h->o.cancel, t0, 0, SF_OK, 0, 0, 0};
    netgate g = {h->o.netpol, SF_ERROR_INIT};
    int rc = acquire(h, &c);
    *retriable = 0;
    if (rc)
        return sf_error_set(err, rc, "canceled");
    curl_easy_reset(c);
    sf_http__resp_reset(resp);
    resp->attempts++;
    __atomic_add_fetch(&h->transfers, 1, __ATOMIC_RELAXED);
    if (req->accept) {
        snprintf(line, sizeof line, "Accept: %s", req->accept);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (authz) {
        /* Tokens can be several KiB (cloud registries): size to fit. */
        size_t n = strlen(authz) + sizeof "Authorization: ";
        char *a = malloc(n);
        if (a) {
            snprintf(a, n, "Authorization: %s", authz);
            hdrs = curl_slist_append(hdrs, a);
            explicit_bzero(a, n);
            free(a);
        }
    }
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_SHARE, h->share);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (h->o.stall_timeout_ms + 999) / 1000);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    if (req->decompress)
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    long long b = budget_ms(h, req, resp, 0);
    if (b >= 0) {
        /* Backstop of the deadline progress_cb enforces. */
        double left = (double)b - (sf_time_mono_s() - t0) * 1000.0;
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(left > 0 ? left : 0) + 1000L);
    }
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, h->o.insecure ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, h->o.insecure ? 0L : 2L);
    if (h->o.ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, h->o.ca_file);
    pem_apply(h, c);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "scanfarm/" SF_VERSION);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    netgate_apply(c, &g);
    if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->send ? (const char *)req->send : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->send_len);
    }
    CURLcode cc = curl_easy_perform(c);
    /* Do not leave the Authorization header list referenced by the handle. */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    release(h, c);
    curl_slist_free_all(hdrs);
    char shown[512];
    sf_http__url_for_msg(url, shown, sizeof shown);
    /* A challenge we could not keep is no challenge: say so, rather than
     * let auth report that none was offered. */
    if (cc == CURLE_OK && resp->status == 401 && x.auth_overlong)
        return sf_error_set(err, SF_EAUTH,
                            "%s %s: HTTP 401 whose WWW-Authenticate header is over %d bytes",
                            method, shown, SF_HTTP_HDR_MAX);
    if (cc == CURLE_OK)
        return SF_OK;
    if (g.refused.code) /* policy, not the network: a retry would not help */
        return sf_error_set(err, g.refused.code, "%s %s: %s", method, shown, g.refused.msg);
    if ((rc = abort_error(&x, cc, method, shown, err)) != SF_OK)
        return rc;
    rc = map_curl(cc, retriable);
    return sf_error_set(err, rc, "%s %s: %s", method, shown, curl_easy_strerror(cc));
}

long sf_http_transfers(const sf_http *h)
{
    return __atomic_load_n(&h->transfers, __ATOMIC_RELAXED);
}

const sf_http_opts *sf_http__opts(const sf_http *h) { return &h->o; }

static int is_redirect(long st) { return st == 301 || st == 302 || st == 303 || st == 307 || st == 308; }

/* One attempt (see http_int.h): the request and the redirects it leads to. */
int sf_http__attempt(sf_http *h, const sf_http_req *req, double t0, sf_http_resp *resp,
                     int *retriable, sf_error *err)
{
    char cur[SF_HTTP_HDR_MAX], next[SF_HTTP_HDR_MAX];
    const char *authz = req->authorization, *method = req->method;
    if (strlen(req->url) >= sizeof cur)
        return sf_error_set(err, SF_EINVAL, "URL too long");
    memcpy(cur, req->url, strlen(req->url) + 1);
    for (int hop = 0;; hop++) {
        int rc = exchange(h, req, method, cur, authz, t0, resp, retriable, err);
        memcpy(resp->url, cur, strlen(cur) + 1);
        if (rc)
            return rc;
        if (!is_redirect(resp->status) || !resp->location[0])
            return SF_OK;
        if (hop >= HTTP_MAX_REDIRECTS)
            return sf_error_set(err, SF_ESERVER, "too many redirects");
        sf_error e2 = SF_ERROR_INIT;
        if (sf_http_resolve_url(cur, resp->location, next, sizeof next, &e2))
            return sf_error_set(err, SF_ESERVER, "bad redirect: %s", e2.msg);
        if (strncmp(cur, "https:", 6) == 0 && strncmp(next, "http:", 5) == 0 &&
            !h->o.insecure)
            return sf_error_set(err, SF_ESERVER, "redirect from https to http refused");
        /* Credentials are for the registry alone: a redirect to another
         * origin (blob storage, CDN) must not carry them, and once dropped
         * they stay dropped for the rest of the chain. */
        if (authz && !sf_http_same_origin(cur, next))
            authz = NULL;
        if (resp->status == 303 && strcmp(method, "HEAD") != 0)
            method = "GET";
        memcpy(cur, next, strlen(next) + 1);
    }
}
