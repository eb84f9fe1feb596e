/*
 * kv: see kv.h. Layout: a node = address + connection pool + health
 * (backoff deadline); the ring = sorted (hash, node) points. hiredis
 * contexts never leave this file; replies are translated to sf codes here.
 *
 * A connection whose context reports an I/O error (reset, timeout, EOF)
 * is closed rather than returned to the pool, and the node enters backoff:
 * the next calls fail at once until the deadline, then one caller tries to
 * connect again. Reply errors (WRONGTYPE, script errors) keep the
 * connection: the transport is fine.
 */
#include "cache/kv.h"
#include "base/time.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/secret.h"
#include "cache/kvaddr.h"

typedef struct kv_node {
    char name[272];        /* "host:port" as configured (never the credentials) */
    char host[256];
    int port;
    int db;                /* database to SELECT */
    char *user, *pass;     /* AUTH (pass NULL = none); pass is secret */
    pthread_mutex_t mu;    /* guards every field below */
    pthread_cond_t cv;     /* a connection was returned */
    redisContext **idle;   /* pool_size slots */
    int nidle;
    int total;             /* connections open (idle + borrowed) */
    int up;                /* 1: last attempt worked (or none yet) */
    long backoff_ms;       /* current wait after a failure (0 = healthy) */
    uint64_t retry_at_ms;  /* monotonic ms before which we fail fast */
} kv_node;

typedef struct kv_point {
    uint64_t hash;
    uint32_t node;
} kv_point;

struct sf_kv {
    kv_node *nodes;
    size_t nnodes;
    kv_point *ring;
    size_t nring;
    int db;
    long connect_timeout_ms, command_timeout_ms, backoff_min_ms, backoff_max_ms;
    int pool_size;
};

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
    kv->db = opts->db;
    kv->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 500;
    kv->command_timeout_ms = opts->command_timeout_ms > 0 ? opts->command_timeout_ms : 2000;
    kv->backoff_min_ms = opts->backoff_min_ms > 0 ? opts->backoff_min_ms : 100;
    kv->backoff_max_ms = opts->backoff_max_ms > 0 ? opts->backoff_max_ms : 5000;
    kv->pool_size = opts->pool_size > 0 ? opts->pool_size : 16;
    kv->nodes = calloc(opts->nnodes, sizeof *kv->nodes);
    if (!kv->nodes) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if (opts->password_file && *opts->password_file &&
        (rc = sf_secret_read_file(opts->password_file, "redis password file", &pass, err)))
        goto done;
    for (size_t i = 0; i < opts->nnodes; i++) {
        kv_node *n = &kv->nodes[i];
        /* counted (so freed) from here: sf_kv_free handles a partial node */
        pthread_mutex_init(&n->mu, NULL);
        pthread_cond_init(&n->cv, NULL);
        kv->nnodes++;
        rc = parse_addr(n, opts->nodes[i] ? opts->nodes[i] : "", opts,
                        pass ? pass : opts->password, err);
        if (rc != SF_OK)
            goto done;
        for (size_t j = 0; j < i; j++)
            if (strcmp(kv->nodes[j].name, n->name) == 0) {
                rc = sf_error_set(err, SF_ECONFIG, "Redis node %s listed twice", n->name);
                goto done;
            }
        n->idle = calloc((size_t)kv->pool_size, sizeof *n->idle);
        if (!n->idle) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            goto done;
        }
        n->up = 1;
    }
    if (build_ring(kv) != SF_OK) {
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
        for (int j = 0; j < n->nidle; j++)
            redisFree(n->idle[j]);
        free(n->idle);
        free(n->user);
        sf_secret_free(n->pass);
        pthread_mutex_destroy(&n->mu);
        pthread_cond_destroy(&n->cv);
    }
    free(kv->nodes);
    free(kv->ring);
    free(kv);
}

size_t sf_kv_nodes(const sf_kv *kv) { return kv->nnodes; }

const char *sf_kv_node_name(const sf_kv *kv, size_t i)
{
    return i < kv->nnodes ? kv->nodes[i].name : "";
}

size_t sf_kv_shard(const sf_kv *kv, const char *shard_key)
{
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
    if (i >= kv->nnodes)
        return 0;
    pthread_mutex_lock(&kv->nodes[i].mu);
    int up = kv->nodes[i].up;
    pthread_mutex_unlock(&kv->nodes[i].mu);
    return up;
}

/* Record a transport failure: close nothing here (the caller owns the
 * context), double the backoff and log the transition once. */
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
static int auth_node(sf_kv *kv, kv_node *n, redisContext *c, sf_error *err)
{
    const char *argv[3] = {"AUTH", n->user ? n->user : n->pass, n->pass};
    size_t lens[3] = {4, strlen(argv[1]), strlen(n->pass)};
    int argc = n->user ? 3 : 2;
    redisReply *r = redisCommandArgv(c, argc, argv, lens);
    int rc = SF_OK;
    if (!r) {
        rc = sf_error_set(err, SF_EREDIS, "redis %s: AUTH: %s", n->name, c->errstr);
        node_failed(kv, n, c->errstr);
    } else if (r->type == REDIS_REPLY_ERROR) {
        rc = sf_error_set(err, SF_EREDIS, "redis %s: AUTH%s%s refused: %.160s", n->name,
                          n->user ? " as " : "", n->user ? n->user : "", r->str);
    }
    if (r)
        freeReplyObject(r);
    return rc;
}

static redisContext *connect_node(sf_kv *kv, kv_node *n, sf_error *err)
{
    struct timeval ct = {kv->connect_timeout_ms / 1000, (kv->connect_timeout_ms % 1000) * 1000};
    struct timeval cmd = {kv->command_timeout_ms / 1000, (kv->command_timeout_ms % 1000) * 1000};
    redisContext *c = redisConnectWithTimeout(n->host, n->port, ct);
    if (!c || c->err) {
        sf_error_set(err, SF_EREDIS, "redis %s: connect: %s", n->name, c ? c->errstr : "no memory");
        node_failed(kv, n, c ? c->errstr : "no memory");
        redisFree(c);
        return NULL;
    }
    if (redisSetTimeout(c, cmd) != REDIS_OK) {
        sf_error_set(err, SF_EREDIS, "redis %s: cannot set timeout", n->name);
        redisFree(c);
        return NULL;
    }
    if (n->pass && auth_node(kv, n, c, err) != SF_OK) {
        redisFree(c);
        return NULL;
    }
    if (n->db != 0) {
        redisReply *r = redisCommand(c, "SELECT %d", n->db);
        int ok = r && r->type == REDIS_REPLY_STATUS;
        if (!ok) {
            sf_error_set(err, SF_EREDIS, "redis %s: SELECT %d failed", n->name, n->db);
            if (!r)
                node_failed(kv, n, c->errstr);
        }
        if (r)
            freeReplyObject(r);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    return c;
}

/* Borrow a connection of node n: an idle one, a new one while under the
 * pool size, else wait for a return. Fails fast during backoff. */
static redisContext *acquire(sf_kv *kv, kv_node *n, sf_error *err)
{
    pthread_mutex_lock(&n->mu);
    for (;;) {
        if (n->retry_at_ms && sf_time_mono_ms() < n->retry_at_ms) {
            pthread_mutex_unlock(&n->mu);
            sf_error_set(err, SF_EREDIS, "redis %s is down (backing off)", n->name);
            return NULL;
        }
        if (n->nidle > 0) {
            redisContext *c = n->idle[--n->nidle];
            pthread_mutex_unlock(&n->mu);
            return c;
        }
        if (n->total < kv->pool_size)
            break;
        pthread_cond_wait(&n->cv, &n->mu);
    }
    n->total++;
    pthread_mutex_unlock(&n->mu);
    redisContext *c = connect_node(kv, n, err);
    if (!c) {
        pthread_mutex_lock(&n->mu);
        n->total--;
        pthread_cond_signal(&n->cv);
        pthread_mutex_unlock(&n->mu);
    }
    return c;
}

/* Return a connection; broken ones (c->err) are closed instead. */
static void release(kv_node *n, redisContext *c)
{
    int broken = c->err != 0;
    pthread_mutex_lock(&n->mu);
    if (broken) {
        n->total--;
    } else {
        n->idle[n->nidle++] = c;
    }
    pthread_cond_signal(&n->cv);
    pthread_mutex_unlock(&n->mu);
    if (broken)
        redisFree(c);
}

/*
 * Run one command on the node of shard_key. *out receives the reply
 * (caller frees with freeReplyObject) unless it is an error reply, which
 * becomes SF_EREDIS.
 */
static int kv_cmd(sf_kv *kv, const char *shard_key, redisReply **out, sf_error *err, int argc,
                  const char **argv, const size_t *argvlen)
{
    *out = NULL;
    kv_node *n = &kv->nodes[sf_kv_shard(kv, shard_key)];
    redisContext *c = acquire(kv, n, err);
    if (!c)
        return SF_EREDIS;
    redisReply *r = redisCommandArgv(c, argc, argv, argvlen);
    if (!r) {
        sf_error_set(err, SF_EREDIS, "redis %s: %s: %s", n->name, argv[0],
                     c->errstr[0] ? c->errstr : "no reply");
        node_failed(kv, n, c->errstr[0] ? c->errstr : "no reply");
        if (!c->err)
            c->err = REDIS_ERR_IO; /* never reuse a context that lost a reply */
        release(n, c);
        return SF_EREDIS;
    }
    release(n, c);
    node_ok(n);
    if (r->type == REDIS_REPLY_ERROR) {
        sf_error_set(err, SF_EREDIS, "redis %s: %s: %.*s", n->name, argv[0],
                     (int)(r->len > 160 ? 160 : r->len), r->str);
        freeReplyObject(r);
        return SF_EREDIS;
    }
    *out = r;
    return SF_OK;
}

/* Convenience for argv of C strings. */
static int kv_cmds(sf_kv *kv, const char *shard_key, redisReply **out, sf_error *err, int argc,
                   const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc && i < 8; i++)
        lens[i] = strlen(argv[i]);
    return kv_cmd(kv, shard_key, out, err, argc, argv, lens);
}

static int want_int(redisReply *r, long long *v, sf_error *err)
{
    if (r->type != REDIS_REPLY_INTEGER)
        return sf_error_set(err, SF_EREDIS, "redis: unexpected reply type %d", r->type);
    *v = r->integer;
    return SF_OK;
}

int sf_kv_get(sf_kv *kv, const char *shard_key, const char *key, sf_buf *out, int *found,
              sf_error *err)
{
    redisReply *r = NULL;
    const char *argv[] = {"GET", key};
    *found = 0;
    int rc = kv_cmds(kv, shard_key, &r, err, 2, argv);
    if (rc != SF_OK)
        return rc;
    if (r->type == REDIS_REPLY_STRING) {
        rc = sf_buf_append(out, r->str, r->len);
        if (rc == SF_ELIMIT)
            sf_error_set(err, rc, "cached value of %zu bytes over the limit", r->len);
        else if (rc != SF_OK)
            sf_error_set(err, rc, "out of memory");
        else
            *found = 1;
    } else if (r->type != REDIS_REPLY_NIL) {
        rc = sf_error_set(err, SF_EREDIS, "redis GET: unexpected reply type %d", r->type);
    }
    freeReplyObject(r);
    return rc;
}

int sf_kv_set(sf_kv *kv, const char *shard_key, const char *key, const void *val, size_t len,
              long long ttl_ms, sf_error *err)
{
    redisReply *r = NULL;
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    const char *argv[] = {"SET", key, val, "PX", ttl};
    size_t lens[] = {3, strlen(key), len, 2, strlen(ttl)};
    int rc = kv_cmd(kv, shard_key, &r, err, ttl_ms > 0 ? 5 : 3, argv, lens);
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_set_nx(sf_kv *kv, const char *shard_key, const char *key, const char *val,
                 long long ttl_ms, int *acquired, sf_error *err)
{
    redisReply *r = NULL;
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms > 0 ? ttl_ms : 1);
    const char *argv[] = {"SET", key, val, "NX", "PX", ttl};
    *acquired = 0;
    int rc = kv_cmds(kv, shard_key, &r, err, 6, argv);
    if (rc == SF_OK)
        *acquired = r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    return rc;
}

/* Compare-and-act scripts: the check and the action must be one atomic
 * step, or an expired-and-retaken lock could be renewed or deleted by its
 * previous owner. */
static const char LUA_RENEW_IF[] =
    "if redis.call('get',KEYS[1])==ARGV[1] then "
    "return redis.call('pexpire',KEYS[1],ARGV[2]) else return 0 end";
static const char LUA_DEL_IF[] =
    "if redis.call('get',KEYS[1])==ARGV[1] then "
    "return redis.call('del',KEYS[1]) else return 0 end";
static const char LUA_INCR_TTL[] =
    "local n=redis.call('incr',KEYS[1]) "
    "if tonumber(ARGV[1])>0 then redis.call('pexpire',KEYS[1],ARGV[1]) end return n";

int sf_kv_renew_if(sf_kv *kv, const char *shard_key, const char *key, const char *owner,
                   long long ttl_ms, int *kept, sf_error *err)
{
    redisReply *r = NULL;
    char ttl[32];
    long long v = 0;
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    const char *argv[] = {"EVAL", LUA_RENEW_IF, "1", key, owner, ttl};
    *kept = 0;
    int rc = kv_cmds(kv, shard_key, &r, err, 6, argv);
    if (rc == SF_OK && (rc = want_int(r, &v, err)) == SF_OK)
        *kept = v == 1;
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_del_if(sf_kv *kv, const char *shard_key, const char *key, const char *owner,
                 int *deleted, sf_error *err)
{
    redisReply *r = NULL;
    long long v = 0;
    const char *argv[] = {"EVAL", LUA_DEL_IF, "1", key, owner};
    *deleted = 0;
    int rc = kv_cmds(kv, shard_key, &r, err, 5, argv);
    if (rc == SF_OK && (rc = want_int(r, &v, err)) == SF_OK)
        *deleted = v == 1;
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_del(sf_kv *kv, const char *shard_key, const char *key, sf_error *err)
{
    redisReply *r = NULL;
    const char *argv[] = {"DEL", key};
    int rc = kv_cmds(kv, shard_key, &r, err, 2, argv);
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_incr(sf_kv *kv, const char *shard_key, const char *key, long long ttl_ms,
               long long *value, sf_error *err)
{
    redisReply *r = NULL;
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    const char *argv[] = {"EVAL", LUA_INCR_TTL, "1", key, ttl};
    int rc = kv_cmds(kv, shard_key, &r, err, 5, argv);
    if (rc == SF_OK)
        rc = want_int(r, value, err);
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_pttl(sf_kv *kv, const char *shard_key, const char *key, long long *ttl_ms,
               sf_error *err)
{
    redisReply *r = NULL;
    const char *argv[] = {"PTTL", key};
    int rc = kv_cmds(kv, shard_key, &r, err, 2, argv);
    if (rc == SF_OK)
        rc = want_int(r, ttl_ms, err);
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_publish(sf_kv *kv, const char *shard_key, const char *channel, const char *msg,
                  long long *receivers, sf_error *err)
{
    redisReply *r = NULL;
    long long v = 0;
    const char *argv[] = {"PUBLISH", channel, msg};
    int rc = kv_cmds(kv, shard_key, &r, err, 3, argv);
    if (rc == SF_OK)
        rc = want_int(r, &v, err);
    if (receivers)
        *receivers = v;
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_ping(sf_kv *kv, size_t node, sf_error *err)
{
    if (node >= kv->nnodes)
        return sf_error_set(err, SF_EINVAL, "no Redis node %zu", node);
    kv_node *n = &kv->nodes[node];
    redisContext *c = acquire(kv, n, err);
    if (!c)
        return SF_EREDIS;
    redisReply *r = redisCommand(c, "PING");
    int rc = SF_OK;
    if (!r) {
        rc = sf_error_set(err, SF_EREDIS, "redis %s: PING: %s", n->name, c->errstr);
        node_failed(kv, n, c->errstr);
        if (!c->err)
            c->err = REDIS_ERR_IO;
    } else {
        node_ok(n);
        freeReplyObject(r);
    }
    release(n, c);
    return rc;
}

int sf_kv_hgetall(sf_kv *kv, const char *shard_key, const char *key, sf_kv_field_cb cb, void *ctx,
                  sf_error *err)
{
    redisReply *r = NULL;
    const char *argv[] = {"HGETALL", key};
    int rc = kv_cmds(kv, shard_key, &r, err, 2, argv);
    if (rc != SF_OK)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY) {
        rc = sf_error_set(err, SF_EREDIS, "redis HGETALL: unexpected reply type %d", r->type);
    } else {
        for (size_t i = 0; rc == SF_OK && i + 1 < r->elements; i += 2) {
            redisReply *f = r->element[i], *v = r->element[i + 1];
            if (f->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING)
                rc = cb(ctx, f->str, v->str);
        }
    }
    freeReplyObject(r);
    return rc;
}

int sf_kv_hset(sf_kv *kv, const char *shard_key, const char *key, const char *field,
               const char *value, long long ttl_ms, sf_error *err)
{
    redisReply *r = NULL;
    const char *argv[] = {"HSET", key, field, value};
    int rc = kv_cmds(kv, shard_key, &r, err, 4, argv);
    if (r)
        freeReplyObject(r);
    if (rc == SF_OK && ttl_ms > 0) {
        char ttl[32];
        snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
        const char *ev[] = {"PEXPIRE", key, ttl};
        r = NULL;
        rc = kv_cmds(kv, shard_key, &r, err, 3, ev);
        if (r)
            freeReplyObject(r);
    }
    return rc;
}

int sf_kv_hdel(sf_kv *kv, const char *shard_key, const char *key, const char *field,
               int *removed, sf_error *err)
{
    redisReply *r = NULL;
    long long v = 0;
    const char *argv[] = {"HDEL", key, field};
    int rc = kv_cmds(kv, shard_key, &r, err, 3, argv);
    if (rc == SF_OK)
        rc = want_int(r, &v, err);
    if (removed)
        *removed = v == 1;
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_hincrby(sf_kv *kv, const char *shard_key, const char *key, const char *field,
                  long long by, long long *value, sf_error *err)
{
    redisReply *r = NULL;
    long long v = 0;
    char n[32];
    snprintf(n, sizeof n, "%lld", by);
    const char *argv[] = {"HINCRBY", key, field, n};
    int rc = kv_cmds(kv, shard_key, &r, err, 4, argv);
    if (rc == SF_OK)
        rc = want_int(r, &v, err);
    if (value)
        *value = v;
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv_exists(sf_kv *kv, const char *shard_key, const char *key, int *exists, sf_error *err)
{
    redisReply *r = NULL;
    long long v = 0;
    const char *argv[] = {"EXISTS", key};
    int rc = kv_cmds(kv, shard_key, &r, err, 2, argv);
    if (rc == SF_OK)
        rc = want_int(r, &v, err);
    *exists = v > 0;
    if (r)
        freeReplyObject(r);
    return rc;
}

/* ---- Generic commands (aggregator) ---- */

static void reply_clear(sf_kv_reply *r)
{
    for (size_t i = 0; i < r->nelem; i++)
        reply_clear(&r->elem[i]);
    free(r->elem);
    free(r->str);
}

void sf_kv_reply_free(sf_kv_reply *r)
{
    if (!r)
        return;
    reply_clear(r);
    free(r);
}

/* Copy a hiredis reply into ours; depth-capped so a hostile server
 * cannot recurse us out of stack. */
static int reply_copy(sf_kv_reply *dst, const redisReply *src, int depth)
{
    memset(dst, 0, sizeof *dst);
    if (depth > SF_KV_REPLY_DEPTH)
        return SF_ELIMIT;
    switch (src->type) {
    case REDIS_REPLY_INTEGER:
        dst->type = SF_KV_INT;
        dst->integer = src->integer;
        return SF_OK;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
        dst->type = SF_KV_STR;
        dst->str = malloc(src->len + 1);
        if (!dst->str)
            return SF_ENOMEM;
        if (src->len)
            memcpy(dst->str, src->str, src->len);
        dst->str[src->len] = '\0';
        dst->len = src->len;
        return SF_OK;
    case REDIS_REPLY_ARRAY:
        dst->type = SF_KV_ARR;
        if (src->elements == 0)
            return SF_OK;
        dst->elem = calloc(src->elements, sizeof *dst->elem);
        if (!dst->elem)
            return SF_ENOMEM;
        dst->nelem = src->elements;
        for (size_t i = 0; i < src->elements; i++) {
            int rc = reply_copy(&dst->elem[i], src->element[i], depth + 1);
            if (rc != SF_OK)
                return rc;
        }
        return SF_OK;
    default:
        dst->type = SF_KV_NIL;
        return SF_OK;
    }
}

int sf_kv_argv(sf_kv *kv, const char *shard_key, int argc, const char **argv,
               const size_t *argvlen, sf_kv_reply **out, sf_error *err)
{
    redisReply *r = NULL;
    size_t *lens = NULL;
    sf_kv_reply *res = NULL;
    int rc = SF_OK;
    *out = NULL;
    if (argc < 1 || !argv)
        return sf_error_set(err, SF_EINVAL, "redis: empty command");
    if (!argvlen) {
        lens = malloc((size_t)argc * sizeof *lens);
        if (!lens)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        for (int i = 0; i < argc; i++)
            lens[i] = strlen(argv[i]);
        argvlen = lens;
    }
    rc = kv_cmd(kv, shard_key, &r, err, argc, argv, argvlen);
    if (rc != SF_OK)
        goto done;
    res = calloc(1, sizeof *res);
    if (!res) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    rc = reply_copy(res, r, 0);
    if (rc != SF_OK) {
        sf_error_set(err, rc, "redis %s: reply too deep or out of memory", argv[0]);
        goto done;
    }
    *out = res;
    res = NULL;
done:
    if (r)
        freeReplyObject(r);
    sf_kv_reply_free(res);
    free(lens);
    return rc;
}
