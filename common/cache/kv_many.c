/*
 * kv_many: GET of many keys in one exchange per node (sf_kv_get_many).
 * Why: a caller that checks many keys at once (the coordinator's
 * skip-current check of a repository's digests, coordinator/schedule.h)
 * would otherwise wait one Redis round trip per key, in series. Keys are
 * grouped by the node that owns them (the ring, or the cluster's slot
 * map); each group is written as one pipeline and its replies read in
 * order (kv.c sf_kv__node_pipeline). What a pipeline cannot settle is
 * asked again alone through sf_kv_get, so every key ends exactly as its
 * own sf_kv_get would have: in cluster mode the keys of an unknown slot,
 * of a redirection (MOVED, ASK, TRYAGAIN, CLUSTERDOWN) or of a node that
 * failed (its replica may be taking over, which sf_kv_get waits for).
 */
#include <string.h>

#include "cache/kv.h"
#include "cache/kv_int.h"

/* Owner of r's key: its node index, or -1 (not known: ask it alone). */
static int owner_of(sf_kv *kv, const sf_kv_getreq *r)
{
    if (!kv->cluster)
        return (int)sf_kv_shard(kv, r->shard_key);
    return sf_kv__cluster_node_of(kv, r->key);
}

static void ask_alone(sf_kv *kv, sf_kv_getreq *r)
{
    r->rc = sf_kv_get(kv, r->shard_key, r->key, r->out, &r->found, r->err);
}

/* Settle r from its pipelined reply (NULL: the exchange failed, reason
 * in why). Frees the reply. */
static void settle(sf_kv *kv, kv_node *node, sf_kv_getreq *r, redisReply *rep,
                   const sf_error *why)
{
    r->found = 0;
    if (!rep) {
        if (kv->cluster) {
            ask_alone(kv, r);
            return;
        }
        r->rc = SF_EREDIS;
        if (r->err)
            *r->err = *why;
        return;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        if (kv->cluster) {
            freeReplyObject(rep);
            ask_alone(kv, r);
            return;
        }
        r->rc = sf_kv__reply_error(node, "GET", rep, r->err);
        return;
    }
    r->rc = sf_kv__get_reply(rep, r->out, &r->found, r->err);
    freeReplyObject(rep);
}

/* One pipeline per node over req[0..n) (n <= SF_KV_GET_MANY_MAX). */
static void get_chunk(sf_kv *kv, sf_kv_getreq *req, size_t n)
{
    int owner[SF_KV_GET_MANY_MAX], done[SF_KV_GET_MANY_MAX] = {0};
    size_t pick[SF_KV_GET_MANY_MAX], lens[SF_KV_GET_MANY_MAX][2];
    const char *argv[SF_KV_GET_MANY_MAX][2];
    sf_kv__call calls[SF_KV_GET_MANY_MAX];
    redisReply *rep[SF_KV_GET_MANY_MAX];
    for (size_t i = 0; i < n; i++)
        owner[i] = owner_of(kv, &req[i]);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        if (owner[i] < 0) {
            ask_alone(kv, &req[i]);
            done[i] = 1;
            continue;
        }
        size_t k = 0;
        for (size_t j = i; j < n; j++) {
            if (done[j] || owner[j] != owner[i])
                continue;
            argv[k][0] = "GET", argv[k][1] = req[j].key;
            lens[k][0] = 3, lens[k][1] = strlen(req[j].key);
            calls[k] = (sf_kv__call){2, argv[k], lens[k]};
            pick[k++] = j;
            done[j] = 1;
        }
        kv_node *node = &kv->nodes[owner[i]];
        sf_error why = SF_ERROR_INIT;
        if (sf_kv__node_pipeline(kv, node, calls, k, rep, &why) != SF_OK)
            for (size_t m = 0; m < k; m++)
                rep[m] = NULL;
        for (size_t m = 0; m < k; m++)
            settle(kv, node, &req[pick[m]], rep[m], &why);
    }
}

int sf_kv_get_many(sf_kv *kv, sf_kv_getreq *req, size_t n, sf_error *err)
{
    for (size_t i = 0; i < n; i += SF_KV_GET_MANY_MAX)
        get_chunk(kv, req + i, n - i < SF_KV_GET_MANY_MAX ? n - i : SF_KV_GET_MANY_MAX);
    for (size_t i = 0; i < n; i++)
        if (req[i].rc != SF_OK) {
            if (err && req[i].err)
                *err = *req[i].err;
            else
                sf_error_set(err, req[i].rc, "redis GET of %.160s failed", req[i].key);
            return req[i].rc;
        }
    return SF_OK;
}
