/*
 * kv: see kv.h. Layout: a node = address + connection pool + health
 * (backoff deadline); the ring = sorted (hash, node) points, or in
 * cluster mode the slot map of kv_cluster.c. Connections are kvconn's
 * (plain or TLS sockets feeding hiredis' reply parser); replies are
 * translated to sf codes here and in kv_ops.c.
 *
 * A connection that had an I/O error (reset, timeout, EOF) is closed
 * rather than returned to the pool, and the node enters backoff: the next
 * calls fail at once until the deadline, then one caller tries to connect
 * again. Reply errors (WRONGTYPE, script errors) keep the connection: the
 * transport is fine.
 */
#include "cache/kv.h"
#include "base/time.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/array.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/secret.h"
#include "cache/kv_int.h"
#include "cache/keys.h"
#include "cache/kvaddr.h"


/* FNV-1a 64 followed by the splitmix64 finaliser: FNV alone clusters on
 * inputs that differ only in their last bytes ("node#1", "node#2"). */
static uint64_t ring_hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

static int point_cmp(const void *a, const void *b)
{
    const kv_point *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->node > y->node) - (x->node < y->node);
}

/* One node's address and credentials (cache/kvaddr.h); the options'
 * user/password/db apply where the address gives none. */
static int parse_addr(kv_node *n, const char *s, const sf_kv_opts *o, const char *pass,
                      sf_error *err)
{
    sf_kvaddr a;
    int rc = sf_kvaddr_parse(&a, s, err);
    if (rc != SF_OK)
        return rc;
    memcpy(n->name, a.name, sizeof n->name);
    memcpy(n->host, a.host, sizeof n->host);
    n->port = a.port;
    n->db = a.db >= 0 ? a.db : o->db;
    n->tls = a.tls || o->tls;
    n->user = a.user;
    n->pass = a.pass;
    a.user = a.pass = NULL;
    if (!n->pass && pass) {
        n->pass = sf_strdup(pass);
        n->user = o->username && *o->username ? sf_strdup(o->username) : NULL;
        if (!n->pass || (o->username && *o->username && !n->user))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    return SF_OK;
}

static int build_ring(sf_kv *kv)
{
    kv->nring = kv->nnodes * SF_KV_VNODES;
    kv->ring = calloc(kv->nring, sizeof *kv->ring);
    if (!kv->ring)
        return SF_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < kv->nnodes; i++) {
        for (int v = 0; v < SF_KV_VNODES; v++) {
            char label[300];
            int n = snprintf(label, sizeof label, "%s#%d", kv->nodes[i].name, v);
            kv->ring[k].hash = ring_hash(label, (size_t)n);
            kv->ring[k].node = (uint32_t)i;
            k++;
        }
    }
    qsort(kv->ring, kv->nring, sizeof *kv->ring, point_cmp);
    return SF_OK;
}


static int node_init(sf_kv *kv, kv_node *n)
{
    pthread_mutex_init(&n->mu, NULL);
    pthread_cond_init(&n->cv, NULL);
    n->up = 1;
    n->idle = calloc((size_t)kv->pool_size, sizeof *n->idle);
    return n->idle ? SF_OK : SF_ENOMEM;
}

/* The TLS context, when any node needs one. */
static int tls_setup(sf_kv *kv, const sf_kv_opts *o, sf_error *err)
{
    int any = 0;
    for (size_t i = 0; i < kv->nnodes; i++)
        any |= kv->nodes[i].tls;
    if (!any)
        return SF_OK;
    sf_kvtls_opts t = {.ca_file = o->tls_ca_file, .cert_file = o->tls_cert_file,
                       .key_file = o->tls_key_file, .no_verify = o->tls_no_verify};
    if (o->tls_server_name && *o->tls_server_name &&
        !(kv->tls_server_name = sf_strdup(o->tls_server_name)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return sf_kvtls_new(&kv->tls, &t, err);
}

static int kv_settings(sf_kv *kv, const sf_kv_opts *opts, sf_error *err)
{
    kv->db = opts->db;
    kv->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 500;
    kv->command_timeout_ms = opts->command_timeout_ms > 0 ? opts->command_timeout_ms : 2000;
    kv->backoff_min_ms = opts->backoff_min_ms > 0 ? opts->backoff_min_ms : 100;
    kv->backoff_max_ms = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 5000;
    kv->pool_size = opts->pool_size > 0 ? opts->pool_size : 16;
    kv->cluster = opts->cluster != 0;
    kv->cluster_wait_ms = opts->cluster_wait_ms > 0 ? opts->cluster_wait_ms
                                                    : SF_KV_CLUSTER_WAIT_MS;
    kv->cap = kv->cluster ? SF_KV_MAX_NODES : opts->nnodes;
    pthread_mutex_init(&kv->map_mu, NULL);
    if (kv->cluster && opts->db != 0)
        return sf_error_set(err, SF_ECONFIG, "Redis Cluster has database 0 only (db %d given)",
                            opts->db);
    kv->nodes = calloc(kv->cap, sizeof *kv->nodes);
    if (!kv->nodes)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (kv->cluster) {
        if (!(kv->slots = malloc(SF_KVSLOT_COUNT * sizeof *kv->slots)))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        memset(kv->slots, 0xff, SF_KVSLOT_COUNT * sizeof *kv->slots); /* all -1 */
    }
    return SF_OK;
}

int sf_kv_new(sf_kv **out, const sf_kv_opts *opts, sf_error *err)
{
    int rc = SF_OK;
    sf_kv *kv = NULL;
    char *pass = NULL;
    *out = NULL;
    if (!opts || !opts->nodes || opts->nnodes == 0 || opts->nnodes > SF_KV_MAX_NODES)
        return sf_error_set(err, SF_ECONFIG, "need 1..%d Redis nodes", SF_KV_MAX_NODES);
    if (opts->db < 0 || opts->db > 1000000)
        return sf_error_set(err, SF_ECONFIG, "bad Redis database number %d", opts->db);
    kv = calloc(1, sizeof *kv);
    if (!kv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if ((rc = kv_settings(kv, opts, err)) != SF_OK)
        goto done;
    if (opts->password_file && *opts->password_file &&
        (rc = sf_secret_read_file(opts->password_file, "redis password file", &pass, err)))
        goto done;
    for (size_t i = 0; i < opts->nnodes; i++) {
        kv_node *n = &kv->nodes[i];
        /* counted (so freed) from here: sf_kv_free handles a partial node */
        kv->nnodes++;
        if (node_init(kv, n) != SF_OK) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            goto done;
        }
        rc = parse_addr(n, opts->nodes[i] ? opts->nodes[i] : "", opts,
                        pass ? pass : opts->password, err);
        if (rc != SF_OK)
            goto done;
        if (kv->cluster && n->db > 0) {
            rc = sf_error_set(err, SF_ECONFIG, "Redis node %s: a cluster has database 0 only",
                              n->name);
            goto done;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(kv->nodes[j].name, n->name) == 0) {
                rc = sf_error_set(err, SF_ECONFIG, "Redis node %s listed twice", n->name);
                goto done;
            }
    }
    if ((rc = tls_setup(kv, opts, err)) != SF_OK)
        goto done;
    if (kv->cluster)
        sf_keys_cluster_tags(1);
    if (!kv->cluster && build_ring(kv) != SF_OK) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
done:
    sf_secret_free(pass);
    if (rc != SF_OK) {
        sf_kv_free(kv);
        kv = NULL;
    }
    *out = kv;
    return rc;
}

void sf_kv_free(sf_kv *kv)
{
    if (!kv)
        return;
    for (size_t i = 0; i < kv->nnodes; i++) {
        kv_node *n = &kv->nodes[i];
        SF_PTRS_FREE(n->idle, n->nidle, sf_kvconn_free);
        free(n->user);
        sf_secret_free(n->pass);
        pthread_mutex_destroy(&n->mu);
        pthread_cond_destroy(&n->cv);
    }
    pthread_mutex_destroy(&kv->map_mu);
    sf_kvtls_free(kv->tls);
    free(kv->tls_server_name);
    free(kv->slots);
    free(kv->nodes);
    free(kv->ring);
    free(kv);
}

int sf_kv__node_find_add(sf_kv *kv, const char *host, int port)
{
    for (size_t i = 0; i < kv->nnodes; i++)
        if (kv->nodes[i].port == port && strcmp(kv->nodes[i].host, host) == 0)
            return (int)i;
    if (kv->nnodes >= kv->cap || strlen(host) >= sizeof kv->nodes[0].host)
        return -1;
    kv_node *n = &kv->nodes[kv->nnodes], *seed = &kv->nodes[0];
    if (node_init(kv, n) != SF_OK) {
        free(n->idle);
        return -1;
    }
    snprintf(n->host, sizeof n->host, "%s", host);
    n->port = port;
    snprintf(n->name, sizeof n->name, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
    n->tls = seed->tls;
    n->user = seed->user ? sf_strdup(seed->user) : NULL;
    n->pass = seed->pass ? sf_strdup(seed->pass) : NULL;
    kv->nnodes++; /* published last: readers of nnodes hold map_mu too */
    return (int)kv->nnodes - 1;
}

static size_t nodes_count(const sf_kv *kv)
{
    pthread_mutex_t *mu = (pthread_mutex_t *)&kv->map_mu;
    pthread_mutex_lock(mu);
    size_t n = kv->nnodes;
    pthread_mutex_unlock(mu);
    return n;
}

size_t sf_kv_nodes(const sf_kv *kv) { return nodes_count(kv); }

const char *sf_kv_node_name(const sf_kv *kv, size_t i)
{
    return i < nodes_count(kv) ? kv->nodes[i].name : "";
}

size_t sf_kv_shard(const sf_kv *kv, const char *shard_key)
{
    if (kv->cluster) {
        int n = sf_kv__cluster_node_of((sf_kv *)kv, shard_key);
        return n < 0 ? 0 : (size_t)n;
    }
    if (kv->nnodes == 1)
        return 0;
    uint64_t h = ring_hash(shard_key, strlen(shard_key));
    size_t lo = 0, hi = kv->nring;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (kv->ring[mid].hash < h)
            lo = mid + 1;
        else
            hi = mid;
    }
    return kv->ring[lo == kv->nring ? 0 : lo].node;
}

int sf_kv_node_up(sf_kv *kv, size_t i)
{
    if (i >= nodes_count(kv))
        return 0;
    pthread_mutex_lock(&kv->nodes[i].mu);
    int up = kv->nodes[i].up;
    pthread_mutex_unlock(&kv->nodes[i].mu);
    return up;
}

/* Record a transport failure: close nothing here (the caller owns the
 * connection), double the backoff and log the transition once. */
static void node_failed(sf_kv *kv, kv_node *n, const char *why)
{
    pthread_mutex_lock(&n->mu);
    int was_up = n->up;
    n->up = 0;
    n->backoff_ms = n->backoff_ms ? n->backoff_ms * 2 : kv->backoff_min_ms;
    if (n->backoff_ms > kv->backoff_max_ms)
        n->backoff_ms = kv->backoff_max_ms;
    n->retry_at_ms = sf_time_mono_ms() + (uint64_t)n->backoff_ms;
    long b = n->backoff_ms;
    pthread_mutex_unlock(&n->mu);
    if (was_up)
        SF_WARN("kv", "redis node down|node=%s reason=\"%s\" retry_ms=%ld", n->name, why, b);
}

static void node_ok(kv_node *n)
{
    pthread_mutex_lock(&n->mu);
    int was_up = n->up;
    n->up = 1;
    n->backoff_ms = 0;
    n->retry_at_ms = 0;
    pthread_mutex_unlock(&n->mu);
    if (!was_up)
        SF_INFO("kv", "redis node back|node=%s", n->name);
}

/* AUTH [user] password on a new connection. Redis' refusal (WRONGPASS ...)
 * is the message; it never holds the password. A refusal is not a
 * transport failure: the node stays "up" and every call says why. */
static int auth_node(sf_kv *kv, kv_node *n, sf_kvconn *c, sf_error *err)
{
    const char *argv[3] = {"AUTH", n->user ? n->user : n->pass, n->pass};
    size_t lens[3] = {4, strlen(argv[1]), strlen(n->pass)};
    int argc = n->user ? 3 : 2;
    redisReply *r = NULL;
    int rc = sf_kvconn_cmd(c, argc, argv, lens, &r, err);
    if (rc != SF_OK) {
        node_failed(kv, n, err ? err->msg : "AUTH failed");
    } else if (r->type == REDIS_REPLY_ERROR) {
        rc = sf_error_set(err, SF_EREDIS, "redis %s: AUTH%s%s refused: %.160s", n->name,
                          n->user ? " as " : "", n->user ? n->user : "", r->str);
    }
    if (r)
        freeReplyObject(r);
    return rc;
}

static int select_db(sf_kv *kv, kv_node *n, sf_kvconn *c, sf_error *err)
{
    char db[16];
    snprintf(db, sizeof db, "%d", n->db);
    const char *argv[] = {"SELECT", db};
    size_t lens[] = {6, strlen(db)};
    redisReply *r = NULL;
    int rc = sf_kvconn_cmd(c, 2, argv, lens, &r, err);
    if (rc != SF_OK)
        node_failed(kv, n, err ? err->msg : "SELECT failed");
    else if (r->type != REDIS_REPLY_STATUS)
        rc = sf_error_set(err, SF_EREDIS, "redis %s: SELECT %d failed", n->name, n->db);
    if (r)
        freeReplyObject(r);
    return rc;
}

static sf_kvconn *connect_node(sf_kv *kv, kv_node *n, sf_error *err)
{
    sf_kvconn *c = NULL;
    int rc = sf_kvconn_open(&c, n->name, n->host, n->port, n->tls ? kv->tls : NULL,
                            kv->tls_server_name, kv->connect_timeout_ms, kv->command_timeout_ms,
                            err);
    if (rc != SF_OK) {
        node_failed(kv, n, err ? err->msg : "connect failed");
        return NULL;
    }
    if ((n->pass && auth_node(kv, n, c, err) != SF_OK) ||
        (n->db != 0 && select_db(kv, n, c, err) != SF_OK)) {
        sf_kvconn_free(c);
        return NULL;
    }
    return c;
}

/* Borrow a connection of node n: an idle one, a new one while under the
 * pool size, else wait for a return. Fails fast during backoff. */
static sf_kvconn *acquire(sf_kv *kv, kv_node *n, sf_error *err)
{
    pthread_mutex_lock(&n->mu);
    for (;;) {
        if (n->retry_at_ms && sf_time_mono_ms() < n->retry_at_ms) {
            pthread_mutex_unlock(&n->mu);
            sf_error_set(err, SF_EREDIS, "redis %s is down (backing off)", n->name);
            return NULL;
        }
        if (n->nidle > 0) {
            sf_kvconn *c = n->idle[--n->nidle];
            pthread_mutex_unlock(&n->mu);
            return c;
        }
        if (n->total < kv->pool_size)
            break;
        pthread_cond_wait(&n->cv, &n->mu);
    }
    n->total++;
    pthread_mutex_unlock(&n->mu);
    sf_kvconn *c = connect_node(kv, n, err);
    if (!c) {
        pthread_mutex_lock(&n->mu);
        n->total--;
        pthread_cond_signal(&n->cv);
        pthread_mutex_unlock(&n->mu);
    }
    return c;
}

/* Return a connection; broken ones are closed instead. */
static void release(kv_node *n, sf_kvconn *c)
{
    int broken = sf_kvconn_broken(c);
    pthread_mutex_lock(&n->mu);
    if (broken) {
        n->total--;
    } else {
        n->idle[n->nidle++] = c;
    }
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
    if (broken)
        sf_kvconn_free(c);
}

int sf_kv__node_pipeline(sf_kv *kv, kv_node *node, const sf_kv__call *calls, size_t n,
                         redisReply **out, sf_error *err)
{
    int rc = SF_OK;
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    sf_kvconn *c = acquire(kv, node, err);
    if (!c)
        return SF_EREDIS;
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        rc = sf_kvconn_append(c, calls[i].argc, calls[i].argv, calls[i].argvlen, err);
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        rc = sf_kvconn_reply(c, &out[i], err);
    if (rc != SF_OK) {
        for (size_t i = 0; i < n; i++) {
            if (out[i])
                freeReplyObject(out[i]);
            out[i] = NULL;
        }
        sf_kvconn_set_broken(c); /* replies may be left unread on it */
        node_failed(kv, node, err ? err->msg : "no reply");
        release(node, c);
        return SF_EREDIS;
    }
    release(node, c);
    node_ok(node);
    return SF_OK;
}

int sf_kv__node_run(sf_kv *kv, kv_node *n, int asking, int argc, const char **argv,
                    const size_t *argvlen, redisReply **out, sf_error *err)
{
    static const char *ask[] = {"ASKING"};
    static const size_t asklen[] = {6};
    sf_kv__call calls[2] = {{1, ask, asklen}, {argc, argv, argvlen}};
    redisReply *rep[2] = {NULL, NULL};
    *out = NULL;
    /* ASKING first when asked: one exchange, its reply dropped. */
    int rc = sf_kv__node_pipeline(kv, n, calls + !asking, asking ? 2 : 1, rep, err);
    if (rc != SF_OK)
        return rc;
    if (asking)
        freeReplyObject(rep[0]);
    *out = rep[asking ? 1 : 0];
    return SF_OK;
}

int sf_kv__reply_error(kv_node *n, const char *cmd, redisReply *r, sf_error *err)
{
    int moved = r->len > 6 && memcmp(r->str, "MOVED ", 6) == 0;
    sf_error_set(err, SF_EREDIS, "redis %s: %s: %.*s%s", n->name, cmd,
                 (int)(r->len > 160 ? 160 : r->len), r->str,
                 moved ? " (a Redis Cluster node: enable cluster mode, --redis-cluster)" : "");
    freeReplyObject(r);
    return SF_EREDIS;
}

int sf_kv__cmd(sf_kv *kv, const char *shard_key, redisReply **out, sf_error *err, int argc,
               const char **argv, const size_t *argvlen)
{
    *out = NULL;
    if (kv->cluster)
        return sf_kv__cluster_cmd(kv, out, err, argc, argv, argvlen);
    kv_node *n = &kv->nodes[sf_kv_shard(kv, shard_key)];
    redisReply *r = NULL;
    int rc = sf_kv__node_run(kv, n, 0, argc, argv, argvlen, &r, err);
    if (rc != SF_OK)
        return rc;
    if (r->type == REDIS_REPLY_ERROR)
        return sf_kv__reply_error(n, argv[0], r, err);
    *out = r;
    return SF_OK;
}

int sf_kv_ping(sf_kv *kv, size_t node, sf_error *err)
{
    if (node >= nodes_count(kv))
        return sf_error_set(err, SF_EINVAL, "no Redis node %zu", node);
    const char *argv[] = {"PING"};
    size_t len[] = {4};
    redisReply *r = NULL;
    int rc = sf_kv__node_run(kv, &kv->nodes[node], 0, 1, argv, len, &r, err);
    if (rc == SF_OK && r->type == REDIS_REPLY_ERROR)
        return sf_kv__reply_error(&kv->nodes[node], "PING", r, err);
    if (r)
        freeReplyObject(r);
    return rc;
}

static const char *env_or(const char *v, const char *name)
{
    const char *e = getenv(name);
    return v ? v : e && *e ? e : NULL;
}

static int env_flag(int v, const char *name)
{
    const char *e = getenv(name);
    return v || (e && (strcmp(e, "1") == 0 || strcasecmp(e, "true") == 0 ||
                       strcasecmp(e, "yes") == 0));
}

void sf_kv_opts_env(sf_kv_opts *o)
{
    o->username = env_or(o->username, "SCANFARM_REDIS_USERNAME");
    o->password = env_or(o->password, "SCANFARM_REDIS_PASSWORD");
    o->password_file = env_or(o->password_file, "SCANFARM_REDIS_PASSWORD_FILE");
    o->tls = env_flag(o->tls, "SCANFARM_REDIS_TLS");
    o->tls_ca_file = env_or(o->tls_ca_file, "SCANFARM_REDIS_TLS_CA_FILE");
    o->tls_cert_file = env_or(o->tls_cert_file, "SCANFARM_REDIS_TLS_CERT_FILE");
    o->tls_key_file = env_or(o->tls_key_file, "SCANFARM_REDIS_TLS_KEY_FILE");
    o->tls_server_name = env_or(o->tls_server_name, "SCANFARM_REDIS_TLS_SERVER_NAME");
    o->cluster = env_flag(o->cluster, "SCANFARM_REDIS_CLUSTER");
}
