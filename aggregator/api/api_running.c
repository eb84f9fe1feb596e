/*
 * api_running: the `running` filter and flag. The running-images
 * inventory (coordinator/running.h, written by scanfarm-inventory) is
 * loaded at most every API_RUNNING_TTL_MS and shared by all threads; from
 * it come the fleet images that run (an index digest running counts for
 * its platform images of the node's platform) and, for the vulnerability
 * and package lists, what those images carry. The inventory is bounded
 * by the clusters' pods, not by the fleet.
 */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/time.h"
#include "fleet/agg_view.h"
#include "fleet/running.h"

/* How stale the running view may be: the inventory itself relists every
 * few minutes. */
#define API_RUNNING_TTL_MS 10000

typedef struct strv {
    char **v;
    size_t n, cap;
} strv;

struct api_running {
    int64_t at;
    sf_running snap;
    strv set[3]; /* images, vulnerability ids, packages */
};

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int strv_add(strv *s, const char *x)
{
    if (SF_ARRAY_RESERVE(s->v, s->cap, s->n, 64, 0) != SF_OK)
        return SF_ENOMEM;
    return (s->v[s->n] = sf_strdup(x)) ? (s->n++, SF_OK) : SF_ENOMEM;
}

static void strv_uniq(strv *s)
{
    size_t w = 0;
    if (s->n)
        qsort(s->v, s->n, sizeof *s->v, cmpstr);
    for (size_t i = 0; i < s->n; i++) {
        if (w && strcmp(s->v[w - 1], s->v[i]) == 0) {
            free(s->v[i]);
            continue;
        }
        s->v[w++] = s->v[i];
    }
    s->n = w;
}

static void strv_free(strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static void running_free(struct api_running *r)
{
    if (!r)
        return;
    sf_running_clear(&r->snap);
    for (int i = 0; i < 3; i++)
        strv_free(&r->set[i]);
    free(r);
}

void api_running_free(sf_api *a)
{
    running_free(a->running);
    a->running = NULL;
}

/* What image digest's view carries, into the id and package sets. */
static int carried(sf_api *a, struct api_running *r, const char *d, sf_error *e)
{
    char views[SF_KEY_MAX], pkgs[SF_KEY_MAX], m[2 * SF_AGG_STR_MAX + 4];
    size_t vl = 0, pl = 0;
    int rc = SF_OK;
    sf_agg_view *v = NULL;
    sf_keys_agg(views, a->prefix, "views", NULL);
    sf_keys_agg(pkgs, a->prefix, "pkgsof", NULL);
    char *vj = api_hget(a, views, d, &vl, e, &rc), *pj = api_hget(a, pkgs, d, &pl, e, &rc);
    if (rc == SF_OK && vj && sf_agg_view_parse(vj, vl, &v, e) == SF_OK) {
        if (pj)
            sf_agg_pkgs_parse(v, pj, pl, e);
        for (size_t i = 0; rc == SF_OK && i < v->nvulns; i++)
            rc = strv_add(&r->set[1], v->vulns[i].id);
        for (size_t i = 0; rc == SF_OK && i < v->npkgs; i++) {
            snprintf(m, sizeof m, "%s\x1f%s", v->pkgs[i].eco, v->pkgs[i].name);
            rc = strv_add(&r->set[2], m);
        }
    }
    sf_agg_view_free(v);
    free(vj);
    free(pj);
    return rc;
}

/* Fleet images run by entry e (its digest, or its index's platform images). */
static int images_of(sf_api *a, struct api_running *r, const sf_running_ent *e, sf_error *err)
{
    char sum[SF_KEY_MAX], idx[SF_KEY_MAX];
    size_t l = 0;
    int rc = SF_OK;
    sf_kv_reply *m = NULL;
    api_ix(a, sum, "imgsum", NULL);
    char *own = api_hget(a, sum, e->digest, &l, err, &rc);
    if (own)
        rc = strv_add(&r->set[0], e->digest);
    free(own);
    if (rc != SF_OK || sf_keys_agg_index(idx, a->prefix, e->digest, NULL) != SF_OK)
        return rc;
    const char *argv[] = {"SMEMBERS", idx};
    if ((rc = api_cmd(a, 2, argv, &m, err)) != SF_OK)
        return rc;
    for (size_t i = 0; rc == SF_OK && m->type == SF_KV_ARR && i < m->nelem; i++) {
        char *s = api_hget(a, sum, m->elem[i].str, &l, err, &rc);
        json_error_t je;
        json_t *o = s ? json_loads(s, 0, &je) : NULL;
        const char *plat = json_string_value(json_object_get(o, "platform"));
        if (o && sf_running_ent_runs(e, m->elem[i].str, e->digest, plat))
            rc = strv_add(&r->set[0], m->elem[i].str);
        json_decref(o);
        free(s);
    }
    sf_kv_reply_free(m);
    return rc;
}

static int refresh(sf_api *a, sf_error *e)
{
    struct api_running *r = calloc(1, sizeof *r);
    int rc = r ? sf_running_load(a->kv, a->prefix, NULL, &r->snap, e) : SF_ENOMEM;
    for (size_t i = 0; rc == SF_OK && i < r->snap.n; i++)
        if (i == 0 || strcmp(r->snap.v[i - 1].digest, r->snap.v[i].digest) != 0 ||
            strcmp(r->snap.v[i - 1].platform ? r->snap.v[i - 1].platform : "",
                   r->snap.v[i].platform ? r->snap.v[i].platform : "") != 0)
            rc = images_of(a, r, &r->snap.v[i], e);
    if (rc == SF_OK)
        strv_uniq(&r->set[0]);
    for (size_t i = 0; rc == SF_OK && i < r->set[0].n; i++)
        rc = carried(a, r, r->set[0].v[i], e);
    if (rc != SF_OK) {
        running_free(r);
        return rc;
    }
    strv_uniq(&r->set[1]);
    strv_uniq(&r->set[2]);
    r->at = (int64_t)sf_time_mono_ms();
    running_free(a->running);
    a->running = r;
    return SF_OK;
}

/* Lock held: a current snapshot. */
static int current(sf_api *a, sf_error *e)
{
    if (a->running && (int64_t)sf_time_mono_ms() - a->running->at < API_RUNNING_TTL_MS)
        return SF_OK;
    return refresh(a, e);
}

int api_running_key(api_call *c, int what, char key[SF_KEY_MAX], int *known)
{
    sf_api *a = c->a;
    sf_error e = {0};
    sf_kv_reply *r = NULL;
    pthread_mutex_lock(&a->run_mu);
    int rc = current(a, &e);
    *known = rc == SF_OK && a->running->snap.n > 0;
    if (rc == SF_OK && what >= 0 && *known) {
        strv *s = &a->running->set[what];
        api_tmp(a, key);
        /* an empty set would be no key: a member that matches nothing */
        const char *one[] = {"SADD", key, ""};
        rc = api_cmd(a, 3, one, &r, &e);
        sf_kv_reply_free(r);
        for (size_t i = 0; rc == SF_OK && i < s->n; i += 256) {
            const char *argv[2 + 256];
            size_t k = 0;
            argv[k++] = "SADD", argv[k++] = key;
            for (size_t j = i; j < s->n && j < i + 256; j++)
                argv[k++] = s->v[j];
            r = NULL;
            rc = api_cmd(a, (int)k, argv, &r, &e);
            sf_kv_reply_free(r);
        }
        const char *ex[] = {"PEXPIRE", key, "30000"};
        r = NULL;
        if (rc == SF_OK)
            rc = api_cmd(a, 3, ex, &r, &e);
        sf_kv_reply_free(r);
    }
    pthread_mutex_unlock(&a->run_mu);
    return rc == SF_OK ? 0 : -1;
}

int api_running_has(api_call *c, const char *digest, const char *index_digest,
                    const char *platform)
{
    sf_api *a = c->a;
    sf_error e = {0};
    int yes = 0;
    if (!digest)
        return 0;
    pthread_mutex_lock(&a->run_mu);
    if (current(a, &e) == SF_OK)
        yes = sf_running_count_image(&a->running->snap, digest, index_digest, platform) > 0;
    pthread_mutex_unlock(&a->run_mu);
    return yes;
}
