/*
 * api_list: every list of the API is one ordered set computed from the
 * aggregator's index (agg_index.c): the sort key's ZSET, intersected with
 * the filters' sets (weight 0, so the sort score survives), minus the
 * negative filters, then one ZRANGE for the page and ZCARD for `total`.
 * The cost is that of the smallest input set per filter, never a scan of
 * the keyspace.
 *
 * Every intermediate set is named by a hash of the command that computes
 * it (its inputs are index keys or other such sets), and kept for
 * API_LST_CACHE_MS: paging through one filtered list, or many clients
 * asking the same filter, computes it once. The price is that a list may
 * lag the aggregator's writes by that long; within one cached set the
 * offsets of the cursors are stable (pages neither skip nor repeat).
 */
#include "api_int.h"
#include "api_list.h"

#include "api_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_name.h"

/* How long a computed set is reused; a set with less than
 * API_LST_REUSE_MS left is recomputed so a request never reads one that
 * expires under it. */
#define API_LST_CACHE_MS "10000"
#define API_LST_REUSE_MS "1000"

/* KEYS[1] = the set; ARGV: ttl, reuse, command, its arguments after the
 * destination. Recompute only when the set is missing or nearly gone. */
static const char STORE_LUA[] =
    "if redis.call('PTTL', KEYS[1]) > tonumber(ARGV[2]) then return 1 end\n"
    "local a = {}\n"
    "for i = 4, #ARGV do a[#a + 1] = ARGV[i] end\n"
    "redis.call(ARGV[3], KEYS[1], unpack(a))\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
    "return 0\n";

/* KEYS[1] = the set, KEYS[2] = a name index (agg_index.c); ARGV: ttl,
 * reuse, min, max. The members of the entries between min and max. */
static const char NAME_LUA[] =
    "if redis.call('PTTL', KEYS[1]) > tonumber(ARGV[2]) then return 1 end\n"
    "redis.call('DEL', KEYS[1])\n"
    "local r = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[3], ARGV[4])\n"
    "local b = {}\n"
    "for i = 1, #r do\n"
    "  local s = string.find(r[i], '\\31', 1, true)\n"
    "  if s then b[#b + 1] = 0; b[#b + 1] = string.sub(r[i], s + 1) end\n"
    "  if #b >= 1000 then redis.call('ZADD', KEYS[1], unpack(b)); b = {} end\n"
    "end\n"
    "if #b > 0 then redis.call('ZADD', KEYS[1], unpack(b)) end\n"
    "redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
    "return 0\n";

void api_lst_init(api_lst *l, api_call *c)
{
    memset(l, 0, sizeof *l);
    l->c = c;
}

/* FNV-1a, 64 bits, from seed. */
static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

/* The name of the set argv computes (argv[1], its destination, left
 * out): 128 bits of hash over the command, so distinct filters do not
 * meet in practice. */
static const char *cache_key(api_lst *l, int argc, const char **argv)
{
    uint64_t h1 = 14695981039346656037ULL, h2 = 0x9e3779b97f4a7c15ULL;
    char hex[40];
    if (l->ntmp == API_LST_MAX_TMP)
        return NULL;
    for (int i = 0; i < argc; i++) {
        if (i == 1)
            continue;
        size_t n = strlen(argv[i]) + 1; /* the NUL separates arguments */
        h1 = fnv(h1, argv[i], n);
        h2 = fnv(h2, argv[i], n);
    }
    snprintf(hex, sizeof hex, "%016llx%016llx", (unsigned long long)h1, (unsigned long long)h2);
    api_ix(l->c->a, l->tmps[l->ntmp], "cache", hex);
    return l->tmps[l->ntmp++];
}

/* Copy a key name that may be one of l's own buffers. */
static void key_copy(char *dst, const char *src)
{
    size_t n = strnlen(src, SF_KEY_MAX - 1);
    memmove(dst, src, n);
    dst[n] = '\0';
}

int api_lst_base(api_lst *l, const char *key, int weight)
{
    key_copy(l->keys[0], key);
    l->weights[0] = weight;
    if (l->nk == 0)
        l->nk = 1;
    return 0;
}

int api_lst_must(api_lst *l, const char *key)
{
    if (l->nk == API_LST_MAX_KEYS)
        return -1;
    key_copy(l->keys[l->nk], key);
    l->weights[l->nk++] = 0;
    return 0;
}

int api_lst_not(api_lst *l, const char *key)
{
    if (l->nnot == API_LST_MAX_NOT)
        return -1;
    snprintf(l->nots[l->nnot++], SF_KEY_MAX, "%s", key);
    return 0;
}

/* Run (or reuse) a store command whose destination is argv[1], which is
 * set here to the set's cache key; *dst is that key. */
static int store(api_lst *l, int argc, const char **argv, const char **dst)
{
    const char *ev[6 + 2 * API_LST_MAX_KEYS + 8];
    sf_kv_reply *r = NULL;
    int k = 0;
    if ((size_t)argc > sizeof ev / sizeof *ev - 6 || !(*dst = cache_key(l, argc, argv)))
        return SF_ELIMIT;
    ev[k++] = "EVAL", ev[k++] = STORE_LUA, ev[k++] = "1", ev[k++] = *dst;
    ev[k++] = API_LST_CACHE_MS, ev[k++] = API_LST_REUSE_MS, ev[k++] = argv[0];
    for (int i = 2; i < argc; i++)
        ev[k++] = argv[i];
    int rc = api_cmd(l->c->a, k, ev, &r, &l->err);
    sf_kv_reply_free(r);
    return rc;
}

int api_lst_name(api_lst *l, const char *kind, const char *q)
{
    char ix[SF_KEY_MAX], low[SF_AGG_NAME_ENTRY], lo[SF_AGG_NAME_ENTRY + 2],
        hi[SF_AGG_NAME_ENTRY + 3];
    const char *dst = NULL;
    sf_kv_reply *r = NULL;
    if (api_ix(l->c->a, ix, kind, NULL) != SF_OK)
        return -2;
    sf_agg_name_lower(q, low, sizeof low);
    snprintf(lo, sizeof lo, "[%s", low);
    snprintf(hi, sizeof hi, "[%s\xff", low); /* above any UTF-8 byte */
    const char *key[] = {"NAME", "", ix, lo, hi};
    if (!(dst = cache_key(l, 5, key)))
        return -1;
    const char *ev[] = {"EVAL", NAME_LUA, "2", dst, ix, API_LST_CACHE_MS, API_LST_REUSE_MS,
                        lo, hi};
    int rc = api_cmd(l->c->a, 9, ev, &r, &l->err);
    sf_kv_reply_free(r);
    return rc == SF_OK ? api_lst_must(l, dst) : -2;
}

int api_lst_any(api_lst *l, const char keys[][SF_KEY_MAX], size_t n)
{
    if (n == 1)
        return api_lst_must(l, keys[0]);
    const char *t = NULL, *argv[3 + 8];
    char nk[8];
    if (n > 8)
        return -1;
    snprintf(nk, sizeof nk, "%zu", n);
    argv[0] = "ZUNIONSTORE", argv[1] = "", argv[2] = nk;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = keys[i];
    if (store(l, 3 + (int)n, argv, &t) != SF_OK)
        return -2;
    return api_lst_must(l, t);
}

int api_lst_min(api_lst *l, const char *key, double min, int exclusive)
{
    const char *t = NULL;
    char lo[48];
    snprintf(lo, sizeof lo, "%s%.17g", exclusive ? "(" : "", min);
    const char *argv[] = {"ZRANGESTORE", "", key, lo, "+inf", "BYSCORE"};
    if (store(l, 6, argv, &t) != SF_OK)
        return -2;
    return api_lst_must(l, t);
}

int api_lst_sortby(api_lst *l, const char *all, const char *score)
{
    const char *t = NULL;
    const char *argv[] = {"ZUNIONSTORE", "", "2", all, score, "WEIGHTS", "0", "1"};
    if (store(l, 8, argv, &t) != SF_OK)
        return -2;
    return api_lst_base(l, t, 1);
}

/* The set the page is cut from: a computed (cached) set even when nothing
 * filters, so every list's pages come from one snapshot (a copy of the
 * base costs O(N) once per API_LST_CACHE_MS, not per page). */
static int result_key(api_lst *l, const char **src)
{
    const char *t = NULL, *argv[4 + 2 * API_LST_MAX_KEYS + 2];
    char nk[8], w[API_LST_MAX_KEYS][4];
    int k = 0;
    snprintf(nk, sizeof nk, "%zu", l->nk);
    argv[k++] = "ZINTERSTORE", argv[k++] = "", argv[k++] = nk;
    for (size_t i = 0; i < l->nk; i++)
        argv[k++] = l->keys[i];
    argv[k++] = "WEIGHTS";
    for (size_t i = 0; i < l->nk; i++) {
        snprintf(w[i], sizeof w[i], "%d", l->weights[i]);
        argv[k++] = w[i];
    }
    int rc = store(l, k, argv, &t);
    if (rc == SF_OK && l->nnot) {
        const char *dv[4 + API_LST_MAX_NOT];
        char nn[8];
        int j = 0;
        snprintf(nn, sizeof nn, "%zu", l->nnot + 1);
        dv[j++] = "ZDIFFSTORE", dv[j++] = "", dv[j++] = nn, dv[j++] = t;
        for (size_t i = 0; i < l->nnot; i++)
            dv[j++] = l->nots[i];
        rc = store(l, j, dv, &t);
    }
    *src = t;
    return rc;
}

int api_lst_run(api_lst *l, int desc, long offset, long limit)
{
    const char *src = NULL;
    char a[32], b[32];
    int rc = result_key(l, &src);
    if (rc == SF_OK) {
        const char *argv[] = {"ZCARD", src};
        if ((rc = api_cmd(l->c->a, 2, argv, &l->card, &l->err)) == SF_OK)
            l->total = l->card->type == SF_KV_INT ? l->card->integer : 0;
    }
    snprintf(a, sizeof a, "%ld", offset);
    snprintf(b, sizeof b, "%ld", offset + limit - 1);
    if (rc == SF_OK) {
        const char *argv[] = {"ZRANGE", src, a, b, "REV", "WITHSCORES"};
        const char *av2[] = {"ZRANGE", src, a, b, "WITHSCORES"};
        rc = desc ? api_cmd(l->c->a, 6, argv, &l->page, &l->err)
                  : api_cmd(l->c->a, 5, av2, &l->page, &l->err);
    }
    if (rc == SF_OK && l->page->type == SF_KV_ARR)
        l->n = l->page->nelem / 2;
    l->next = rc == SF_OK && offset + (long)l->n < l->total ? offset + (long)l->n : -1;
    return rc;
}

const char *api_lst_member(const api_lst *l, size_t i)
{
    return l->page->elem[2 * i].str;
}

double api_lst_score(const api_lst *l, size_t i)
{
    return strtod(l->page->elem[2 * i + 1].str ? l->page->elem[2 * i + 1].str : "0", NULL);
}

void api_lst_done(api_lst *l)
{
    /* the computed sets are kept for reuse; they expire on their own */
    sf_kv_reply_free(l->page);
    sf_kv_reply_free(l->card);
    l->page = l->card = NULL;
}

json_t *api_lst_envelope(sf_jb *b, const api_lst *l, json_t *items)
{
    return api_j_envelope(b, items, l->total, l->next);
}

/* The common filters, given the index kinds of this list (NULL: n/a). */
int api_lst_filters(api_lst *l, const sf_api_list_params *p, const api_lst_kinds *k)
{
    sf_api *a = l->c->a;
    char key[SF_KEY_MAX], many[5][SF_KEY_MAX];
    size_t n = 0;
    int rc = 0;
    for (int s = 0; s < 5; s++)
        if (p->sev[s] && api_ix(a, many[n], k->sev, sf_api_sev_name(s)) == SF_OK)
            n++;
    if (p->nsev && !n)
        return 1; /* cannot match */
    if (n)
        rc = api_lst_any(l, (const char(*)[SF_KEY_MAX])many, n);
    if (rc == 0 && p->fixable >= 0 && api_ix(a, key, k->fix, NULL) == SF_OK)
        rc = p->fixable ? api_lst_must(l, key) : api_lst_not(l, key);
#define SCOPE(val, kind)                                                         \
    if (rc == 0 && (val)) {                                                      \
        if (api_ix(a, key, kind, val) != SF_OK)                                  \
            return 1;                                                            \
        rc = api_lst_must(l, key);                                               \
    }
    SCOPE(p->registry, k->reg)
    SCOPE(p->repository ? p->repo_full : NULL, k->repo)
    SCOPE(p->tag, k->tag)
    SCOPE(p->ecosystem, k->eco)
#undef SCOPE
    if (rc == 0 && p->cvss_min >= 0 && api_ix(a, key, k->cvss, NULL) == SF_OK)
        rc = api_lst_min(l, key, p->cvss_min, 0);
    if (rc == 0 && p->running >= 0) {
        int known = 0;
        if (api_running_key(l->c, k->running, key, &known) != 0)
            return -2;
        if (known)
            rc = p->running ? api_lst_must(l, key) : api_lst_not(l, key);
        else if (p->running)
            return 1; /* no inventory: nothing is known to run */
    }
    return rc;
}
