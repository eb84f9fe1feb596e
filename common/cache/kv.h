/*
 * kv: the Redis client of scanfarm (hiredis behind one module). It holds a
 * small connection pool per Redis node, applies connect and command
 * timeouts, reconnects with exponential backoff (a node that just failed
 * is not retried until its backoff expires, so callers fail fast and scan
 * uncached instead of stalling), and shards keys over several nodes by
 * consistent hashing: each node owns SF_KV_VNODES points on a 64-bit ring,
 * and a key belongs to the first point at or after its hash. Adding a node
 * moves only ~1/N of the keys.
 *
 * Callers choose the *shard key* separately from the Redis key so that
 * related keys (a layer's inventory and its lock) live on the same node:
 * the cache passes the layer digest as shard key.
 *
 * Cluster mode (opts.cluster) replaces the ring by Redis Cluster's own
 * slot map; TLS and AUTH apply in both modes (kv.c, kvconn.c).
 *
 * Thread safety: one sf_kv is shared by all threads; each call borrows a
 * pooled connection for its duration.
 */
#ifndef SF_KV_H
#define SF_KV_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

/* Virtual nodes per Redis node on the hash ring: 160 keeps the load of
 * 2-16 nodes within a few percent of even (same figure as ketama). */
#define SF_KV_VNODES 160
/* Redis nodes one client shards over. */
#define SF_KV_MAX_NODES 64

typedef struct sf_kv sf_kv;

typedef struct sf_kv_opts {
    const char *const *nodes; /* "host:port" or "redis://[[user]:pass@]host[:port][/db]"
                               * each (cache/kvaddr.h); required */
    size_t nnodes;
    int db;                   /* SELECT this database after connecting (0 = default);
                               * a URL's /db wins for its node */
    const char *username;     /* AUTH user (Redis 6 ACL) for nodes without their own */
    const char *password;     /* AUTH password, secret; NULL = no AUTH (unless a URL has one) */
    const char *password_file; /* read the password from this file instead (secret mounts) */
    long connect_timeout_ms;  /* 0 = 500 */
    long command_timeout_ms;  /* 0 = 2000 */
    int pool_size;            /* connections per node (0 = 16) */
    long backoff_min_ms;      /* first wait after a failure (0 = 100) */
    long backoff_max_ms;      /* cap of the doubling wait (0 = 5000) */
    /* TLS (cache/kvconn.h): on for every node with tls = 1, and for each
     * rediss:// address. The server certificate is verified unless
     * tls_no_verify. */
    int tls;
    const char *tls_ca_file;     /* CA bundle (NULL = the system store) */
    const char *tls_cert_file;   /* client certificate (mutual TLS) */
    const char *tls_key_file;    /* its key */
    const char *tls_server_name; /* name the certificate must carry (NULL = each host) */
    int tls_no_verify;           /* tests only */
    /* Redis Cluster: nodes are seeds; the slot map (CLUSTER SLOTS) routes
     * each command by its key's slot and the shard key is not used. */
    int cluster;
    long cluster_wait_ms;        /* failover wait per command (0 = SF_KV_CLUSTER_WAIT_MS) */
} sf_kv_opts;

/* Fill the TLS and cluster fields of o that are unset from the
 * environment (SCANFARM_REDIS_TLS, _TLS_CA_FILE, _TLS_CERT_FILE,
 * _TLS_KEY_FILE, _TLS_SERVER_NAME, SCANFARM_REDIS_CLUSTER) and the AUTH
 * ones (SCANFARM_REDIS_USERNAME, _PASSWORD, _PASSWORD_FILE): the option
 * set of the programs without an option table of their own (scanfarm CLI
 * commands, notify). Borrowed pointers into the environment. */
void sf_kv_opts_env(sf_kv_opts *o);

/* Validate opts and build the ring. No connection is made yet: a Redis
 * that is down at start-up is the same as one that fails later. */
int sf_kv_new(sf_kv **out, const sf_kv_opts *opts, sf_error *err);
void sf_kv_free(sf_kv *kv);

/* Number of nodes, and the node a shard key maps to (index into opts.nodes). */
size_t sf_kv_nodes(const sf_kv *kv);
size_t sf_kv_shard(const sf_kv *kv, const char *shard_key);
/* Name of node i ("host:port"), borrowed. */
const char *sf_kv_node_name(const sf_kv *kv, size_t i);
/* 1 when node i is believed up (last command succeeded or never tried). */
int sf_kv_node_up(sf_kv *kv, size_t i);

/* Every call below: SF_OK, or SF_EREDIS with err filled when the node is
 * unreachable, timed out, in backoff, or answered with an error. */

/* GET: *found = 1 and the value in out (appended; out's cap applies and
 * gives SF_ELIMIT), or *found = 0. */
int sf_kv_get(sf_kv *kv, const char *shard_key, const char *key, sf_buf *out, int *found,
              sf_error *err);
/* One GET of sf_kv_get_many. */
typedef struct sf_kv_getreq {
    const char *shard_key;  /* as sf_kv_get's */
    const char *key;
    sf_buf *out;            /* the value is appended here (its cap applies) */
    sf_error *err;          /* may be NULL: why this GET failed */
    int found;              /* out: 1 when the key exists */
    int rc;                 /* out: as sf_kv_get returns */
} sf_kv_getreq;

/* GETs sent in one exchange: bounds the replies held at once (each up to
 * its out's cap) and the command buffer. */
#define SF_KV_GET_MANY_MAX 128

/*
 * sf_kv_get of req[0..n), pipelined: one round trip per node involved and
 * per SF_KV_GET_MANY_MAX keys, instead of one per key. Each request gets
 * its own found/rc/err, exactly as its sf_kv_get would (a node down or in
 * backoff fails its keys, not the others'). Cluster mode: a key whose
 * slot owner is not known yet, or answered by a redirection, is asked
 * again alone (sf_kv_get follows it). Returns SF_OK when every GET
 * answered, else the first failure's code (err: its reason).
 */
int sf_kv_get_many(sf_kv *kv, sf_kv_getreq *req, size_t n, sf_error *err);
/* SET key value PX ttl_ms (ttl_ms <= 0: no expiry). */
int sf_kv_set(sf_kv *kv, const char *shard_key, const char *key, const void *val, size_t len,
              long long ttl_ms, sf_error *err);
/* SET key value NX PX ttl_ms: *acquired = 1 when this call created it. */
int sf_kv_set_nx(sf_kv *kv, const char *shard_key, const char *key, const char *val,
                 long long ttl_ms, int *acquired, sf_error *err);
/* Atomically: if GET key == owner then PEXPIRE key ttl_ms. *kept = 1 when
 * it was still owned (and renewed). */
int sf_kv_renew_if(sf_kv *kv, const char *shard_key, const char *key, const char *owner,
                   long long ttl_ms, int *kept, sf_error *err);
/* Atomically: if GET key == owner then DEL key. *deleted = 1 when it was. */
int sf_kv_del_if(sf_kv *kv, const char *shard_key, const char *key, const char *owner,
                 int *deleted, sf_error *err);
/* DEL key. */
int sf_kv_del(sf_kv *kv, const char *shard_key, const char *key, sf_error *err);
/* INCR key and (re)set its expiry; *value = the new count. */
int sf_kv_incr(sf_kv *kv, const char *shard_key, const char *key, long long ttl_ms,
               long long *value, sf_error *err);
/* PTTL key: -2 missing, -1 no expiry, else ms left. */
int sf_kv_pttl(sf_kv *kv, const char *shard_key, const char *key, long long *ttl_ms,
               sf_error *err);
/* PUBLISH channel message; *receivers = subscribers reached (may be NULL). */
int sf_kv_publish(sf_kv *kv, const char *shard_key, const char *channel, const char *msg,
                  long long *receivers, sf_error *err);
/* Hash operations (job attempt records). HGETALL calls cb per field;
 * cb returns SF_OK to go on. */
typedef int (*sf_kv_field_cb)(void *ctx, const char *field, const char *value);
int sf_kv_hgetall(sf_kv *kv, const char *shard_key, const char *key, sf_kv_field_cb cb, void *ctx,
                  sf_error *err);
/* HSET key field value, then PEXPIRE key ttl_ms (ttl_ms > 0). */
int sf_kv_hset(sf_kv *kv, const char *shard_key, const char *key, const char *field,
               const char *value, long long ttl_ms, sf_error *err);
/* HDEL key field; *removed = 1 when this call removed it (atomic: of
 * several concurrent callers exactly one sees 1). removed may be NULL. */
int sf_kv_hdel(sf_kv *kv, const char *shard_key, const char *key, const char *field,
               int *removed, sf_error *err);
/* HINCRBY key field by; *value = the new value (may be NULL). */
int sf_kv_hincrby(sf_kv *kv, const char *shard_key, const char *key, const char *field,
                  long long by, long long *value, sf_error *err);
/* EXISTS key. */
int sf_kv_exists(sf_kv *kv, const char *shard_key, const char *key, int *exists, sf_error *err);

/* PING node i (health checks). */
int sf_kv_ping(sf_kv *kv, size_t node, sf_error *err);


/* ---- Generic commands (added for the aggregator, aggregator/agg.c) ----
 * The fleet view needs sets, hashes, sorted sets and guarded scripts; rather
 * than one wrapper per command, one call runs any command and returns a
 * reply tree that owns its memory and hides hiredis. */

/* Reply types of sf_kv_reply. */
typedef enum sf_kv_rtype {
    SF_KV_NIL = 0,
    SF_KV_INT,    /* integer */
    SF_KV_STR,    /* bulk string or status ("OK") */
    SF_KV_ARR     /* array */
} sf_kv_rtype;

typedef struct sf_kv_reply {
    sf_kv_rtype type;
    long long integer;           /* SF_KV_INT */
    char *str;                   /* SF_KV_STR: NUL-terminated copy */
    size_t len;
    struct sf_kv_reply *elem;    /* SF_KV_ARR */
    size_t nelem;
} sf_kv_reply;

/* Nesting accepted in a reply (the aggregator uses at most 2). */
#define SF_KV_REPLY_DEPTH 8

/*
 * Run argv (argc items, binary-safe lengths; argvlen NULL = strlen each)
 * on the node of shard_key. *out (caller frees with sf_kv_reply_free) is
 * the reply; an error reply is SF_EREDIS with its text in err.
 */
int sf_kv_argv(sf_kv *kv, const char *shard_key, int argc, const char **argv,
               const size_t *argvlen, sf_kv_reply **out, sf_error *err);
/* sf_kv_argv of "cmd key args[0] .. args[n-1]" (HMGET, HDEL, ...: one
 * key and a variable list of fields), NUL-terminated strings. */
int sf_kv_keyed(sf_kv *kv, const char *shard_key, const char *cmd, const char *key, size_t n,
                const char *const *args, sf_kv_reply **out, sf_error *err);
/* Free a reply tree. NULL is fine. */
void sf_kv_reply_free(sf_kv_reply *r);

#endif
