/* kvslot: see kvslot.h. */
#include "cache/kvslot.h"

#include <stdio.h>
#include <string.h>

uint16_t sf_kvslot_crc16(const char *s, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)((unsigned char)s[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

int sf_kvslot_of(const char *key, size_t n)
{
    const char *open = memchr(key, '{', n);
    if (open) {
        size_t rest = n - (size_t)(open - key) - 1;
        const char *close = memchr(open + 1, '}', rest);
        if (close && close > open + 1)
            return sf_kvslot_crc16(open + 1, (size_t)(close - open - 1)) & (SF_KVSLOT_COUNT - 1);
    }
    return sf_kvslot_crc16(key, n) & (SF_KVSLOT_COUNT - 1);
}

/* [ip, port, id, ...]: the node entry of a range. */
static int parse_node(const redisReply *e, sf_kvslot_range *r)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 2)
        return -1;
    const redisReply *h = e->element[0], *p = e->element[1];
    if (h->type != REDIS_REPLY_STRING || h->len >= sizeof r->host ||
        memchr(h->str, '\0', h->len) || p->type != REDIS_REPLY_INTEGER || p->integer < 1 ||
        p->integer > 65535)
        return -1;
    if (h->len == 1 && h->str[0] == '?') /* Redis 7: endpoint unknown */
        r->host[0] = '\0';
    else
        memcpy(r->host, h->str, h->len), r->host[h->len] = '\0';
    r->port = (int)p->integer;
    return 0;
}

int sf_kvslot_parse_slots(const redisReply *r, sf_kvslot_range *out, size_t cap, size_t *n,
                          sf_error *err)
{
    *n = 0;
    if (!r || r->type != REDIS_REPLY_ARRAY)
        return sf_error_set(err, SF_EPARSE, "CLUSTER SLOTS: not an array");
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
            e->element[0]->type != REDIS_REPLY_INTEGER ||
            e->element[1]->type != REDIS_REPLY_INTEGER)
            return sf_error_set(err, SF_EPARSE, "CLUSTER SLOTS: entry %zu malformed", i);
        long long a = e->element[0]->integer, b = e->element[1]->integer;
        if (a < 0 || b < a || b >= SF_KVSLOT_COUNT)
            return sf_error_set(err, SF_EPARSE, "CLUSTER SLOTS: bad range %lld-%lld", a, b);
        if (*n == cap)
            return sf_error_set(err, SF_ELIMIT, "CLUSTER SLOTS: over %zu ranges", cap);
        sf_kvslot_range *s = &out[*n];
        s->start = (int)a;
        s->end = (int)b;
        if (parse_node(e->element[2], s) != 0)
            return sf_error_set(err, SF_EPARSE, "CLUSTER SLOTS: bad master of %lld-%lld", a, b);
        (*n)++;
    }
    return SF_OK;
}

/* "<slot> <host>:<port>" of n bytes. The last ':' separates the port, so
 * a raw IPv6 address works. */
static int parse_target(const char *s, size_t n, int *slot, char host[256], int *port)
{
    char tmp[300];
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (memchr(s, '\0', n))
        return -1;
    char *sp = strchr(tmp, ' ');
    if (!sp || sp == tmp || sp - tmp > 5)
        return -1;
    *sp = '\0';
    long v = 0;
    for (char *q = tmp; *q; q++) {
        if (*q < '0' || *q > '9')
            return -1;
        v = v * 10 + (*q - '0');
    }
    char *hp = sp + 1, *colon = strrchr(hp, ':');
    if (v >= SF_KVSLOT_COUNT || !colon || (size_t)(colon - hp) >= 256 || !colon[1] ||
        strlen(colon + 1) > 5)
        return -1;
    long p = 0;
    for (char *q = colon + 1; *q; q++) {
        if (*q < '0' || *q > '9')
            return -1;
        p = p * 10 + (*q - '0');
    }
    if (p < 1 || p > 65535 || strchr(hp, ' '))
        return -1;
    *slot = (int)v;
    memcpy(host, hp, (size_t)(colon - hp));
    host[colon - hp] = '\0';
    *port = (int)p;
    return 0;
}

sf_kvslot_redir sf_kvslot_redirect(const char *s, size_t n, int *slot, char host[256],
                                   int *port)
{
    if (n >= 6 && memcmp(s, "MOVED ", 6) == 0)
        return parse_target(s + 6, n - 6, slot, host, port) == 0 ? SF_KVSLOT_MOVED
                                                                 : SF_KVSLOT_NONE;
    if (n >= 4 && memcmp(s, "ASK ", 4) == 0)
        return parse_target(s + 4, n - 4, slot, host, port) == 0 ? SF_KVSLOT_ASK
                                                                 : SF_KVSLOT_NONE;
    if (n >= 8 && memcmp(s, "TRYAGAIN", 8) == 0)
        return SF_KVSLOT_TRYAGAIN;
    if (n >= 11 && memcmp(s, "CLUSTERDOWN", 11) == 0)
        return SF_KVSLOT_DOWN;
    return SF_KVSLOT_NONE;
}
