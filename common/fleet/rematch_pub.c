/*
 * rematch_pub: the inventory side of a rematch (packages and OS facts
 * read back from an image's stored result) and its output: the
 * `scanfarm.findings/v1` delta and the updated result per affected image.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/running.h"
#include "base/array.h"
#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"
#include "base/time.h"
#include "fleet/runs.h"
#include "bus/kprod.h"
#include "fleet/rematch_int.h"

static void inv_clear(rm_inv *v)
{
    sf_strarr_free(v->ecos, v->r.npkgs);
    free(v->digest);
    sf_result_clear(&v->r);
    memset(v, 0, sizeof *v);
}

void rm_ctx_free(rm_ctx *c)
{
    for (size_t i = 0; i < c->nimgs; i++) {
        sf_agg_view_free(c->imgs[i].v);
        sf_rematch_vulns_free(c->imgs[i].add, c->imgs[i].nadd);
        sf_rematch_vulns_free(c->imgs[i].rem, c->imgs[i].nrem);
    }
    free(c->imgs);
    for (size_t i = 0; i < c->ninv; i++)
        inv_clear(&c->inv[i]);
}

/* Ecosystem of every package, by the index's rule (sf_agg_pkg_eco). */
static int inv_ecos(rm_inv *v)
{
    v->ecos = calloc(v->r.npkgs + 1, sizeof *v->ecos);
    if (!v->ecos)
        return SF_ENOMEM;
    for (size_t i = 0; i < v->r.npkgs; i++) {
        char eco[128];
        if (sf_agg_pkg_eco(&v->r.pkgs[i], v->r.has_os ? &v->r.os : NULL, eco, sizeof eco) != SF_OK)
            eco[0] = '\0';
        if (!(v->ecos[i] = sf_strdup(eco)))
            return SF_ENOMEM;
    }
    return SF_OK;
}

static rm_inv *inv_get(rm_ctx *c, const char *digest, sf_error *err, int *rc)
{
    for (size_t i = 0; i < c->ninv; i++)
        if (c->inv[i].digest && strcmp(c->inv[i].digest, digest) == 0)
            return &c->inv[i];
    sf_kv_reply *r = NULL;
    const char *argv[] = {"HGET", c->k_results, digest};
    if ((*rc = sf_kv_argv(c->o->kv, c->shard, 3, argv, NULL, &r, err)) != SF_OK)
        return NULL;
    if (r->type != SF_KV_STR) {
        sf_kv_reply_free(r);
        c->st->unusable++;
        return NULL;
    }
    rm_inv *v;
    if (c->ninv < RM_INV_CACHE) {
        v = &c->inv[c->ninv++];
    } else {
        v = &c->inv[c->next_evict];
        c->next_evict = (c->next_evict + 1) % RM_INV_CACHE;
        inv_clear(v);
    }
    sf_error de = SF_ERROR_INIT;
    *rc = sf_result_decode(r->str, r->len, &v->r, &de);
    sf_kv_reply_free(r);
    if (*rc != SF_OK && *rc != SF_ENOMEM) {
        /* unreadable stored result: skip this image, keep going */
        inv_clear(v);
        c->ninv -= c->ninv > 0 && v == &c->inv[c->ninv - 1];
        c->st->unusable++;
        *rc = SF_OK;
        return NULL;
    }
    if (*rc == SF_OK && !(v->digest = sf_strdup(digest)))
        *rc = SF_ENOMEM;
    if (*rc == SF_OK)
        *rc = inv_ecos(v);
    if (*rc != SF_OK) {
        inv_clear(v);
        c->ninv -= c->ninv > 0 && v == &c->inv[c->ninv - 1];
        sf_error_set(err, *rc, "out of memory");
        return NULL;
    }
    return v;
}

int rm_inventory(rm_ctx *c, const char *digest, const char *eco, const char *name,
                 const char *version, const sf_pkg **pkg, const sf_osinfo **os, sf_error *err)
{
    int rc = SF_OK;
    *pkg = NULL;
    *os = NULL;
    rm_inv *v = inv_get(c, digest, err, &rc);
    if (!v)
        return rc;
    for (size_t i = 0; i < v->r.npkgs; i++) {
        const sf_pkg *p = &v->r.pkgs[i];
        if (p->name && p->version && !strcmp(p->name, name) && !strcmp(p->version, version) &&
            !strcmp(v->ecos[i], eco)) {
            *pkg = p;
            *os = v->r.has_os ? &v->r.os : NULL;
            break;
        }
    }
    return SF_OK;
}


static int produce_json(rm_ctx *c, const char *topic, const char *key, json_t *doc,
                        sf_error *err)
{
    sf_buf s;
    sf_buf_init(&s, 0);
    int rc = sf_jutil_dump(doc, &s);
    if (rc != SF_OK)
        rc = sf_error_set(err, rc, "rematch: %s for %s cannot be encoded", topic, key);
    else
        rc = sf_kprod_produce(c->o->prod, topic, key, strlen(key), s.data, s.len, NULL, err);
    sf_buf_free(&s);
    return rc;
}

/* The stored result of im, rewritten for the new DB (rm_result_doc), or
 * NULL when there is none usable. */
static json_t *updated_result(rm_ctx *c, const rm_img *im, const char *now, sf_error *err)
{
    sf_kv_reply *r = NULL;
    const char *argv[] = {"HGET", c->k_results, im->v->digest};
    if (sf_kv_argv(c->o->kv, c->shard, 3, argv, NULL, &r, err) != SF_OK)
        return NULL;
    json_t *doc = r->type == SF_KV_STR ? json_loadb(r->str, r->len, 0, NULL) : NULL;
    sf_kv_reply_free(r);
    return rm_result_doc(doc, im, c->o->run_id, c->o->db_version, now);
}

static int publish_one(rm_ctx *c, const rm_img *im, const char *now, sf_error *err)
{
    const char *ft = c->o->findings_topic ? c->o->findings_topic : "scanfarm.findings";
    const char *rt = c->o->results_topic ? c->o->results_topic : "scanfarm.results";
    const char *idx = im->v->job_key && strcmp(im->v->job_key, im->v->digest) ? im->v->job_key
                                                                              : NULL;
    int running = sf_running_count_image(c->running, im->v->digest, idx, im->v->platform) > 0;
    json_t *delta = rm_delta_doc(im, c->o->run_id, c->o->db_version, now, running);
    int rc = produce_json(c, ft, im->v->digest, delta, err);
    json_decref(delta);
    if (rc != SF_OK || !*rt)
        return rc;
    json_t *res = updated_result(c, im, now, err);
    if (!res) {
        c->st->unusable++;
        return SF_OK; /* the delta is out; the next scan will refresh the result */
    }
    rc = produce_json(c, rt, im->v->digest, res, err);
    json_decref(res);
    return rc;
}

/* Every image considered is current for the new DB (HSET in batches). */
static int mark_current(rm_ctx *c, sf_error *err)
{
    int rc = SF_OK;
    for (size_t at = 0; rc == SF_OK && at < c->nimgs; at += 200) {
        size_t n = c->nimgs - at < 200 ? c->nimgs - at : 200;
        const char *argv[2 + 400];
        sf_kv_reply *r = NULL;
        argv[0] = "HSET";
        argv[1] = c->k_dbcurrent;
        for (size_t i = 0; i < n; i++) {
            argv[2 + 2 * i] = c->imgs[at + i].v->digest;
            argv[3 + 2 * i] = c->o->db_version;
        }
        rc = sf_kv_argv(c->o->kv, c->shard, (int)(2 + 2 * n), argv, NULL, &r, err);
        sf_kv_reply_free(r);
    }
    return rc;
}

int rm_publish(rm_ctx *c, sf_error *err)
{
    char now[SF_TIME_RFC3339_MAX];
    sf_running running;
    /* which images run now: subscribers page on running ones only */
    int rc = sf_running_load(c->o->kv, c->prefix, NULL, &running, err);
    c->running = &running;
    sf_time_rfc3339_now(now);
    for (size_t i = 0; rc == SF_OK && i < c->nimgs; i++) {
        const rm_img *im = &c->imgs[i];
        if (!im->nadd && !im->nrem)
            continue;
        c->st->affected++;
        c->st->added += im->nadd;
        c->st->removed += im->nrem;
        rc = publish_one(c, im, now, err);
    }
    /* the republished results form a run of their own: say how many, so
     * `scanfarm status` can show it complete */
    const char *rt = c->o->results_topic ? c->o->results_topic : "scanfarm.results";
    if (rc == SF_OK && *rt)
        rc = sf_agg_set_published(c->o->kv, c->prefix, c->o->run_id, (long long)c->st->affected,
                                  err);
    if (rc == SF_OK)
        rc = mark_current(c, err);
    if (rc == SF_OK)
        rc = sf_kprod_flush(c->o->prod, 60000, err);
    if (c->running == &running)
        sf_running_clear(&running);
    c->running = NULL;
    return rc;
}
