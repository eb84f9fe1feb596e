/*
 * kv_ops: the typed wrappers of kv (GET, SET NX, guarded scripts, hashes)
 * and the generic command with its hiredis-free reply tree. Each builds
 * argv and reads the reply; routing, pooling, TLS and cluster redirections
 * are kv.c's (sf_kv__cmd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/kv.h"

#include "base/array.h"
#include "cache/kv_int.h"

/* Convenience for argv of C strings. */
static int kv_cmds(sf_kv *kv, const char *shard_key, redisReply **out, sf_error *err, int argc,
                   const char **argv)
{
    size_t lens[8];
    for (int i = 0; i < argc && i < 8; i++)
        lens[i] = strlen(argv[i]);
    return sf_kv__cmd(kv, shard_key, out, err, argc, argv, lens);
}

static int want_int(redisReply *r, long long *v, sf_error *err)
{
    if (r->type != REDIS_REPLY_INTEGER)
        return sf_error_set(err, SF_EREDIS, "redis: unexpected reply type %d", r->type);
    *v = r->integer;
    return SF_OK;
}

/* Run argv and read its integer reply into *v (untouched on error): the
 * commands below that answer with a count or a flag. */
static int kv_int(sf_kv *kv, const char *shard_key, int argc, const char **argv, long long *v,
                  sf_error *err)
{
    redisReply *r = NULL;
    int rc = kv_cmds(kv, shard_key, &r, err, argc, argv);
    if (rc == SF_OK)
        rc = want_int(r, v, err);
    if (r)
        freeReplyObject(r);
    return rc;
}

int sf_kv__get_reply(const redisReply *r, sf_buf *out, int *found, sf_error *err)
{
    int rc = SF_OK;
    *found = 0;
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
    return rc;
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
    rc = sf_kv__get_reply(r, out, found, err);
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
    int rc = sf_kv__cmd(kv, shard_key, &r, err, ttl_ms > 0 ? 5 : 3, argv, lens);
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
    char ttl[32];
    long long v = 0;
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    const char *argv[] = {"EVAL", LUA_RENEW_IF, "1", key, owner, ttl};
    int rc = kv_int(kv, shard_key, 6, argv, &v, err);
    *kept = v == 1;
    return rc;
}

int sf_kv_del_if(sf_kv *kv, const char *shard_key, const char *key, const char *owner,
                 int *deleted, sf_error *err)
{
    long long v = 0;
    const char *argv[] = {"EVAL", LUA_DEL_IF, "1", key, owner};
    int rc = kv_int(kv, shard_key, 5, argv, &v, err);
    *deleted = v == 1;
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
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    const char *argv[] = {"EVAL", LUA_INCR_TTL, "1", key, ttl};
    return kv_int(kv, shard_key, 5, argv, value, err);
}

int sf_kv_pttl(sf_kv *kv, const char *shard_key, const char *key, long long *ttl_ms,
               sf_error *err)
{
    const char *argv[] = {"PTTL", key};
    return kv_int(kv, shard_key, 2, argv, ttl_ms, err);
}

int sf_kv_publish(sf_kv *kv, const char *shard_key, const char *channel, const char *msg,
                  long long *receivers, sf_error *err)
{
    long long v = 0;
    const char *argv[] = {"PUBLISH", channel, msg};
    int rc = kv_int(kv, shard_key, 3, argv, &v, err);
    if (receivers)
        *receivers = v;
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
    long long v = 0;
    const char *argv[] = {"HDEL", key, field};
    int rc = kv_int(kv, shard_key, 3, argv, &v, err);
    if (removed)
        *removed = v == 1;
    return rc;
}

int sf_kv_hincrby(sf_kv *kv, const char *shard_key, const char *key, const char *field,
                  long long by, long long *value, sf_error *err)
{
    long long v = 0;
    char n[32];
    snprintf(n, sizeof n, "%lld", by);
    const char *argv[] = {"HINCRBY", key, field, n};
    int rc = kv_int(kv, shard_key, 4, argv, &v, err);
    if (value)
        *value = v;
    return rc;
}

int sf_kv_exists(sf_kv *kv, const char *shard_key, const char *key, int *exists, sf_error *err)
{
    long long v = 0;
    const char *argv[] = {"EXISTS", key};
    int rc = kv_int(kv, shard_key, 2, argv, &v, err);
    *exists = v > 0;
    return rc;
}

/* ---- Generic commands (aggregator) ---- */

static void reply_clear(sf_kv_reply *r)
{
    SF_ARRAY_FREE(r->elem, r->nelem, reply_clear);
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
    rc = sf_kv__cmd(kv, shard_key, &r, err, argc, argv, argvlen);
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

int sf_kv_keyed(sf_kv *kv, const char *shard_key, const char *cmd, const char *key, size_t n,
                const char *const *args, sf_kv_reply **out, sf_error *err)
{
    *out = NULL;
    const char **argv = calloc(n + 2, sizeof *argv);
    if (!argv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    argv[0] = cmd;
    argv[1] = key;
    memcpy(argv + 2, args, n * sizeof *args);
    int rc = sf_kv_argv(kv, shard_key, (int)(n + 2), argv, NULL, out, err);
    free(argv);
    return rc;
}
