/*
 * kv_cluster: Redis Cluster routing for kv. The slot map (16384 node
 * indexes) comes from CLUSTER SLOTS on any reachable node and is refreshed
 * on MOVED, on a transport failure (a master died: the map changes once
 * its replica is promoted) and at most every SF_KV_REFRESH_MIN_MS.
 *
 * One command: slot of its key (EVAL: every key must share it, checked
 * here before sending, so a script never fails with CROSSSLOT at the
 * server); MOVED -> note the new owner and refresh; ASK -> ASKING + the
 * command on the target, once, map unchanged; TRYAGAIN / CLUSTERDOWN /
 * a dead node -> wait (doubling from 50 ms, at most 500 ms) until
 * cluster_wait_ms has passed, then fail like any Redis outage. At most
 * SF_KV_REDIRECTS_MAX redirections per command.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "cache/kv_int.h"

/* Refreshes closer together than this reuse the map just read: many
 * threads hitting one MOVED should cause one CLUSTER SLOTS, not many. */
#define SF_KV_REFRESH_MIN_MS 100

/* Apply a parsed map read from node src. */
static void map_apply(sf_kv *kv, int src, const sf_kvslot_range *rg, size_t n)
{
    pthread_mutex_lock(&kv->map_mu);
    memset(kv->slots, 0xff, SF_KVSLOT_COUNT * sizeof *kv->slots);
    for (size_t i = 0; i < n; i++) {
        const char *host = rg[i].host[0] ? rg[i].host : kv->nodes[src].host;
        int idx = sf_kv__node_find_add(kv, host, rg[i].port);
        for (int s = rg[i].start; idx >= 0 && s <= rg[i].end; s++)
            kv->slots[s] = (int16_t)idx;
    }
    kv->refreshed_ms = sf_time_mono_ms();
    pthread_mutex_unlock(&kv->map_mu);
}

/* CLUSTER SLOTS from node i: SF_OK when the map was replaced. */
static int refresh_from(sf_kv *kv, int i, sf_kvslot_range *rg, sf_error *err)
{
    static const char *argv[] = {"CLUSTER", "SLOTS"};
    static const size_t lens[] = {7, 5};
    redisReply *r = NULL;
    size_t n = 0;
    int rc = sf_kv__node_run(kv, &kv->nodes[i], 0, 2, argv, lens, &r, err);
    if (rc != SF_OK)
        return rc;
    if (r->type == REDIS_REPLY_ERROR)
        return sf_kv__reply_error(&kv->nodes[i], "CLUSTER SLOTS", r, err);
    rc = sf_kvslot_parse_slots(r, rg, SF_KVSLOT_RANGES_MAX, &n, err);
    freeReplyObject(r);
    if (rc == SF_OK && n == 0)
        rc = sf_error_set(err, SF_EREDIS, "redis %s: CLUSTER SLOTS: no slot is served",
                          kv->nodes[i].name);
    if (rc == SF_OK)
        map_apply(kv, i, rg, n);
    return rc;
}

/* Re-read the map from the first node that answers (unless one was read
 * in the last SF_KV_REFRESH_MIN_MS). */
static int refresh_map(sf_kv *kv, sf_error *err)
{
    pthread_mutex_lock(&kv->map_mu);
    size_t nn = kv->nnodes;
    int fresh = kv->refreshed_ms && sf_time_mono_ms() - kv->refreshed_ms < SF_KV_REFRESH_MIN_MS;
    pthread_mutex_unlock(&kv->map_mu);
    if (fresh)
        return SF_OK;
    sf_kvslot_range *rg = malloc(SF_KVSLOT_RANGES_MAX * sizeof *rg);
    if (!rg)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = SF_EREDIS;
    for (size_t i = 0; i < nn && rc != SF_OK; i++)
        rc = refresh_from(kv, (int)i, rg, err);
    free(rg);
    return rc;
}

static int slot_node(sf_kv *kv, int slot)
{
    pthread_mutex_lock(&kv->map_mu);
    int idx = slot < 0 ? 0 : kv->slots[slot];
    pthread_mutex_unlock(&kv->map_mu);
    return idx;
}

int sf_kv__cluster_node_of(sf_kv *kv, const char *key)
{
    return slot_node(kv, sf_kvslot_of(key, strlen(key)));
}

/* Slot of a command: of argv[1], or of an EVAL's keys, which must agree.
 * -1: no key (any node serves it). */
static int cmd_slot(int argc, const char **argv, const size_t *lens, int *slot, sf_error *err)
{
    *slot = -1;
    int eval = argc >= 3 && (strcasecmp(argv[0], "EVAL") == 0 ||
                             strcasecmp(argv[0], "EVALSHA") == 0);
    if (!eval) {
        if (argc >= 2)
            *slot = sf_kvslot_of(argv[1], lens[1]);
        return SF_OK;
    }
    char *e = NULL;
    long nk = strtol(argv[2], &e, 10);
    if (!e || *e || nk < 0 || nk > argc - 3)
        return sf_error_set(err, SF_EINVAL, "redis EVAL: bad key count '%.16s'", argv[2]);
    for (long i = 0; i < nk; i++) {
        int s = sf_kvslot_of(argv[3 + i], lens[3 + i]);
        if (*slot >= 0 && s != *slot)
            return sf_error_set(err, SF_EINVAL,
                                "redis EVAL: keys %.80s and %.80s are in different cluster "
                                "slots (CROSSSLOT; they need one {hash tag})",
                                argv[3], argv[3 + i]);
        *slot = s;
    }
    return SF_OK;
}

/* Redirection target of error reply r (host "" = the node that sent it). */
static int redirect_node(sf_kv *kv, int from, const char *host, int port)
{
    pthread_mutex_lock(&kv->map_mu);
    int idx = sf_kv__node_find_add(kv, host[0] ? host : kv->nodes[from].host, port);
    pthread_mutex_unlock(&kv->map_mu);
    return idx;
}

/* Wait before the next try; 0 when the deadline has passed. */
static int backoff(uint64_t deadline, long *wait)
{
    uint64_t now = sf_time_mono_ms();
    if (now + (uint64_t)*wait > deadline)
        return 0;
    sf_time_sleep_ms(*wait, NULL);
    *wait = *wait * 2 > 500 ? 500 : *wait * 2;
    return 1;
}

int sf_kv__cluster_cmd(sf_kv *kv, redisReply **out, sf_error *err, int argc, const char **argv,
                       const size_t *argvlen)
{
    int slot, ask = -1, redirects = 0, rc;
    long wait = 50;
    uint64_t deadline = sf_time_mono_ms() + (uint64_t)kv->cluster_wait_ms;
    *out = NULL;
    if ((rc = cmd_slot(argc, argv, argvlen, &slot, err)) != SF_OK)
        return rc;
    for (;;) {
        int idx = ask >= 0 ? ask : slot_node(kv, slot);
        if (idx < 0 && refresh_map(kv, err) == SF_OK)
            idx = slot_node(kv, slot);
        if (idx < 0)
            idx = 0; /* no map yet: a seed answers with MOVED */
        redisReply *r = NULL;
        rc = sf_kv__node_run(kv, &kv->nodes[idx], ask >= 0, argc, argv, argvlen, &r, err);
        ask = -1;
        if (rc != SF_OK) { /* node down: its replica may be promoted meanwhile */
            if (!backoff(deadline, &wait))
                return rc;
            (void)refresh_map(kv, NULL);
            continue;
        }
        if (r->type != REDIS_REPLY_ERROR) {
            *out = r;
            return SF_OK;
        }
        char host[256];
        int rslot = -1, port = 0;
        sf_kvslot_redir k = sf_kvslot_redirect(r->str, r->len, &rslot, host, &port);
        if (k == SF_KVSLOT_NONE || ((k == SF_KVSLOT_MOVED || k == SF_KVSLOT_ASK) &&
                                    ++redirects > SF_KV_REDIRECTS_MAX))
            return sf_kv__reply_error(&kv->nodes[idx], argv[0], r, err);
        if ((k == SF_KVSLOT_TRYAGAIN || k == SF_KVSLOT_DOWN) && !backoff(deadline, &wait))
            return sf_kv__reply_error(&kv->nodes[idx], argv[0], r, err);
        freeReplyObject(r);
        if (k == SF_KVSLOT_ASK) {
            ask = redirect_node(kv, idx, host, port);
        } else if (k == SF_KVSLOT_MOVED) {
            int to = redirect_node(kv, idx, host, port);
            pthread_mutex_lock(&kv->map_mu);
            if (to >= 0 && rslot >= 0 && rslot < SF_KVSLOT_COUNT)
                kv->slots[rslot] = (int16_t)to;
            kv->refreshed_ms = 0; /* the map is stale: re-read it */
            pthread_mutex_unlock(&kv->map_mu);
            if (refresh_map(kv, NULL) != SF_OK || slot_node(kv, slot) < 0) {
                pthread_mutex_lock(&kv->map_mu);
                if (to >= 0 && slot >= 0)
                    kv->slots[slot] = (int16_t)to;
                pthread_mutex_unlock(&kv->map_mu);
            }
        }
    }
}
