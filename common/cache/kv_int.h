/*
 * kv_int: what kv.c shares with kv_ops.c (typed wrappers) and
 * kv_cluster.c (slot map, redirections). Not for other modules.
 */
#ifndef SF_KV_INT_H
#define SF_KV_INT_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdint.h>

#include "cache/kv.h"
#include "cache/kvconn.h"
#include "cache/kvslot.h"

typedef struct kv_node {
    char name[272];        /* "host:port" as configured (never the credentials) */
    char host[256];
    int port;
    int db;                /* database to SELECT */
    int tls;               /* 1: connect over TLS */
    char *user, *pass;     /* AUTH (pass NULL = none); pass is secret */
    pthread_mutex_t mu;    /* guards every field below */
    pthread_cond_t cv;     /* a connection was returned */
    sf_kvconn **idle;      /* pool_size slots */
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
    kv_node *nodes;        /* cap entries; cluster mode appends discovered nodes */
    size_t nnodes, cap;    /* nnodes guarded by map_mu once running (cluster mode) */
    kv_point *ring;        /* client-side shards only */
    size_t nring;
    int db;
    long connect_timeout_ms, command_timeout_ms, backoff_min_ms, backoff_max_ms;
    int pool_size;
    sf_kvtls *tls;         /* NULL: no node uses TLS */
    char *tls_server_name;
    /* cluster mode */
    int cluster;
    long cluster_wait_ms;
    pthread_mutex_t map_mu; /* guards slots, nnodes growth, refreshed_ms */
    int16_t *slots;        /* SF_KVSLOT_COUNT node indexes, -1 = unknown */
    uint64_t refreshed_ms;
};

/* Run argv on node n (after ASKING when asking). *out: the reply, error
 * replies included. SF_EREDIS on a transport failure (node marked down). */
int sf_kv__node_run(sf_kv *kv, kv_node *n, int asking, int argc, const char **argv,
                    const size_t *argvlen, redisReply **out, sf_error *err);
/* One command of a pipeline (sf_kv__node_pipeline). */
typedef struct sf_kv__call {
    int argc;
    const char **argv;
    const size_t *argvlen;
} sf_kv__call;

/* Run calls[0..n) on node n in one exchange: every command written, then
 * the n replies read in order into out[] (error replies included). One
 * round trip instead of n. SF_EREDIS on a transport failure (node marked
 * down, every out[i] NULL). */
int sf_kv__node_pipeline(sf_kv *kv, kv_node *node, const sf_kv__call *calls, size_t n,
                         redisReply **out, sf_error *err);
/* Index of the node host:port, added (credentials and TLS of node 0)
 * when new; -1 when the table is full. Caller holds map_mu. */
int sf_kv__node_find_add(sf_kv *kv, const char *host, int port);

/* A GET's non-error reply r into out (appended; out's cap gives
 * SF_ELIMIT) and *found, as sf_kv_get answers. r stays the caller's. */
int sf_kv__get_reply(const redisReply *r, sf_buf *out, int *found, sf_error *err);

/* An error reply of node n as SF_EREDIS in err (r is freed). */
int sf_kv__reply_error(kv_node *n, const char *cmd, redisReply *r, sf_error *err);

/* Cluster mode: route argv by its key's slot (kv_cluster.c). */
int sf_kv__cluster_cmd(sf_kv *kv, redisReply **out, sf_error *err, int argc, const char **argv,
                       const size_t *argvlen);
/* Cluster mode: node index serving the slot of key (-1: unknown yet). */
int sf_kv__cluster_node_of(sf_kv *kv, const char *key);

/*
 * Run one command: on the node of shard_key (client-side shards), or on
 * the node serving its key's slot (cluster mode, following MOVED/ASK and
 * waiting out a failover within cluster_wait_ms). *out receives the reply
 * (freeReplyObject) unless it is an error reply: SF_EREDIS.
 */
int sf_kv__cmd(sf_kv *kv, const char *shard_key, redisReply **out, sf_error *err, int argc,
               const char **argv, const size_t *argvlen);

#endif
