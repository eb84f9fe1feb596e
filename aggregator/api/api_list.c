/*
 * api_list: every list of the API is one ordered set computed from the
 * aggregator's index (agg_index.c): the sort key's ZSET, intersected with
 * the filters' sets (weight 0, so the sort score survives), minus the
 * negative filters, then one ZRANGE for the page and ZCARD for `total`.
 * The cost is that of the smallest input set per filter, never a scan of
 * the keyspace; intermediate results live in temporary keys that are
 * deleted before the answer (and expire on their own if we crash).
 */
#include "api_int.h"
#include "api_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Temporary keys outlive a crashed request by at most this. */
#define TMP_TTL_MS "30000"

void api_lst_init(api_lst *l, api_call *c)
{
    memset(l, 0, sizeof *l);
    l->c = c;
}

static const char *tmp_new(api_lst *l)
{
    if (l->ntmp == API_LST_MAX_TMP)
        return NULL;
    api_tmp(l->c->a, l->tmps[l->ntmp]);
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

/* Run a store command whose destination is argv[1]; its TTL is set. */
static int store(api_lst *l, int argc, const char **argv)
{
    sf_kv_reply *r = NULL;
    int rc = api_cmd(l->c->a, argc, argv, &r, &l->err);
    sf_kv_reply_free(r);
    if (rc == SF_OK) {
        const char *ex[] = {"PEXPIRE", argv[1], TMP_TTL_MS};
        rc = api_cmd(l->c->a, 3, ex, &r, &l->err);
        sf_kv_reply_free(r);
    }
    return rc;
}

int api_lst_any(api_lst *l, const char keys[][SF_KEY_MAX], size_t n)
{
    if (n == 1)
        return api_lst_must(l, keys[0]);
    const char *t = tmp_new(l), *argv[3 + 8];
    char nk[8];
    if (!t || n > 8)
        return -1;
    snprintf(nk, sizeof nk, "%zu", n);
    argv[0] = "ZUNIONSTORE", argv[1] = t, argv[2] = nk;
    for (size_t i = 0; i < n; i++)
        argv[3 + i] = keys[i];
    if (store(l, 3 + (int)n, argv) != SF_OK)
        return -2;
    return api_lst_must(l, t);
}

int api_lst_min(api_lst *l, const char *key, double min, int exclusive)
{
    const char *t = tmp_new(l);
    char lo[48];
    if (!t)
        return -1;
    snprintf(lo, sizeof lo, "%s%.17g", exclusive ? "(" : "", min);
    const char *argv[] = {"ZRANGESTORE", t, key, lo, "+inf", "BYSCORE"};
    if (store(l, 6, argv) != SF_OK)
        return -2;
    return api_lst_must(l, t);
}

int api_lst_sortby(api_lst *l, const char *all, const char *score)
{
    const char *t = tmp_new(l);
    if (!t)
        return -1;
    const char *argv[] = {"ZUNIONSTORE", t, "2", all, score, "WEIGHTS", "0", "1"};
    if (store(l, 8, argv) != SF_OK)
        return -2;
    return api_lst_base(l, t, 1);
}

/* The set the page is cut from: the base itself when nothing filters. */
static int result_key(api_lst *l, const char **src)
{
    if (l->nk == 1 && l->nnot == 0 && l->weights[0] == 1) {
        *src = l->keys[0];
        return SF_OK;
    }
    const char *t = tmp_new(l), *argv[4 + 2 * API_LST_MAX_KEYS + 2];
    char nk[8], w[API_LST_MAX_KEYS][4];
    int k = 0;
    if (!t)
        return SF_ELIMIT;
    snprintf(nk, sizeof nk, "%zu", l->nk);
    argv[k++] = "ZINTERSTORE", argv[k++] = t, argv[k++] = nk;
    for (size_t i = 0; i < l->nk; i++)
        argv[k++] = l->keys[i];
    argv[k++] = "WEIGHTS";
    for (size_t i = 0; i < l->nk; i++) {
        snprintf(w[i], sizeof w[i], "%d", l->weights[i]);
        argv[k++] = w[i];
    }
    int rc = store(l, k, argv);
    if (rc == SF_OK && l->nnot) {
        const char *dv[4 + API_LST_MAX_NOT];
        char nn[8];
        int j = 0;
        snprintf(nn, sizeof nn, "%zu", l->nnot + 1);
        dv[j++] = "ZDIFFSTORE", dv[j++] = t, dv[j++] = nn, dv[j++] = t;
        for (size_t i = 0; i < l->nnot; i++)
            dv[j++] = l->nots[i];
        rc = store(l, j, dv);
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
    if (l->ntmp) {
        const char *argv[1 + API_LST_MAX_TMP];
        sf_kv_reply *r = NULL;
        sf_error e = {0};
        argv[0] = "DEL";
        for (size_t i = 0; i < l->ntmp; i++)
            argv[1 + i] = l->tmps[i];
        api_cmd(l->c->a, 1 + (int)l->ntmp, argv, &r, &e);
        sf_kv_reply_free(r);
    }
    sf_kv_reply_free(l->page);
    sf_kv_reply_free(l->card);
    l->page = l->card = NULL;
}

json_t *api_lst_envelope(const api_lst *l, json_t *items)
{
    char cur[32];
    sf_api_cursor_fmt(cur, sizeof cur, l->next);
    return json_pack("{s:o,s:I,s:o}", "items", items, "total", (json_int_t)l->total,
                     "next_cursor", l->next >= 0 ? json_string(cur) : json_null());
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
