/*
 * api_runs: runs (progress, what each changed), history (the fleet or a
 * registry / repository after each of the last runs) and the summary.
 * History needs no snapshot per run: the aggregator keeps each run's
 * delta of the counts hash (agg_index.c), so the state after run r is the
 * current counts minus the deltas of the runs started after r.
 */
#include "api_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "fleet/runs.h"

void api_count_fields(char f[10][1200], const char *scope);

typedef struct cnt {
    long long v[12]; /* the 10 count fields, then new, resolved */
} cnt;

static int read_cnt(api_call *c, const char *hash, const char *scope, cnt *out, sf_error *e)
{
    char f[12][1200];
    const char *argv[14];
    sf_kv_reply *r = NULL;
    api_count_fields(f, scope);
    snprintf(f[10], 1200, "%snew", scope);
    snprintf(f[11], 1200, "%sresolved", scope);
    argv[0] = "HMGET", argv[1] = hash;
    for (int i = 0; i < 12; i++)
        argv[2 + i] = f[i];
    int rc = api_cmd(c->a, 14, argv, &r, e);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; rc == SF_OK && r->type == SF_KV_ARR && i < r->nelem && i < 12; i++)
        out->v[i] = r->elem[i].type == SF_KV_STR ? strtoll(r->elem[i].str, NULL, 10) : 0;
    sf_kv_reply_free(r);
    return rc;
}

static int delta_of(api_call *c, const char *run, const char *scope, cnt *out, sf_error *e)
{
    char key[SF_KEY_MAX];
    if (sf_keys_agg_run(key, c->a->prefix, run, "delta", NULL) != SF_OK) {
        memset(out, 0, sizeof *out);
        return SF_OK;
    }
    return read_cnt(c, key, scope, out, e);
}

static json_t *run_json(api_call *c, sf_jb *b, const char *run, double started, sf_error *e,
                        int *rc)
{
    sf_agg_progress pg;
    cnt d;
    if ((*rc = sf_agg_progress_get(c->a->kv, c->a->prefix, run, &pg, e)) != SF_OK ||
        (*rc = delta_of(c, run, "", &d, e)) != SF_OK)
        return NULL;
    return api_j_run(b, run, started, &pg, d.v);
}

static int run_items(api_call *c, api_lst *l, sf_jb *b, json_t *items, sf_error *e)
{
    int rc = SF_OK;
    size_t bad = 0;
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        const char *run = api_lst_member(l, i);
        if (!sf_utf8_ok(run)) {
            bad++;
            continue;
        }
        json_t *o = run_json(c, b, run, api_lst_score(l, i), e, &rc);
        if (rc == SF_OK)
            sf_jb_push(b, items, o);
    }
    api_skipped(c, bad, "run id");
    return rc;
}

int api_runs(api_call *c, const char *one)
{
    char runs[SF_KEY_MAX];
    sf_api_list_params p;
    sf_error e = {0};
    sf_keys_agg(runs, c->a->prefix, "runs", NULL);
    if (one) {
        sf_kv_reply *r = NULL;
        int rc;
        if (c->req->nparams)
            return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
        const char *argv[] = {"ZSCORE", runs, one};
        if ((rc = api_cmd(c->a, 3, argv, &r, &e)) != SF_OK)
            return api_redis_fail(c, &e);
        double started = r->type == SF_KV_STR ? strtod(r->str, NULL) : -1;
        sf_kv_reply_free(r);
        if (started < 0)
            return api_fail(c, 404, NULL, "no such run");
        sf_jb b = {0};
        json_t *o = sf_utf8_ok(one) ? run_json(c, &b, one, started, &e, &rc) : NULL;
        if (rc != SF_OK)
            return api_redis_fail(c, &e);
        if (!o && sf_jb_status(&b) == SF_OK) /* a request's id: not stored text */
            return api_fail(c, 404, NULL, "no such run");
        api_ok(c, &b, o);
        return 0;
    }
    if (api_params(c, SF_API_P_PAGE, NULL, 1, &p) != 0)
        return -1;
    api_lst l;
    api_lst_init(&l, c);
    api_lst_base(&l, runs, 1);
    sf_jb b = {0};
    int rc = api_lst_run(&l, p.desc, p.offset, p.limit);
    json_t *items = rc == SF_OK ? sf_jb_new(&b, json_array()) : NULL;
    if (rc == SF_OK)
        rc = run_items(c, &l, &b, items, &l.err);
    if (rc == SF_OK)
        api_ok(c, &b, api_lst_envelope(&b, &l, items));
    else
        json_decref(items), api_redis_fail(c, &l.err);
    api_lst_done(&l);
    return rc == SF_OK ? 0 : -1;
}

int api_history(api_call *c)
{
    sf_api_list_params p;
    char runs[SF_KEY_MAX], counts[SF_KEY_MAX], scope[1300], sname[1300], n[16];
    sf_error e = {0};
    sf_kv_reply *r = NULL;
    if (api_params(c, SF_API_P_REGISTRY | SF_API_P_REPOSITORY | SF_API_P_RUNS, NULL, 1, &p) != 0)
        return -1;
    if (p.repository) {
        snprintf(scope, sizeof scope, "repo|%s|", p.repo_full);
        snprintf(sname, sizeof sname, "repository:%s", p.repo_full);
    } else if (p.registry) {
        snprintf(scope, sizeof scope, "reg|%s|", p.registry);
        snprintf(sname, sizeof sname, "registry:%s", p.registry);
    } else {
        scope[0] = '\0';
        snprintf(sname, sizeof sname, "fleet");
    }
    sf_keys_agg(runs, c->a->prefix, "runs", NULL);
    sf_keys_agg(counts, c->a->prefix, "counts", NULL);
    snprintf(n, sizeof n, "%d", p.runs - 1);
    const char *argv[] = {"ZRANGE", runs, "0", n, "REV", "WITHSCORES"};
    cnt cur, d;
    int rc = api_cmd(c->a, 6, argv, &r, &e);
    if (rc == SF_OK)
        rc = read_cnt(c, counts, scope, &cur, &e);
    sf_jb b = {0};
    json_t *pts = sf_jb_new(&b, json_array());
    size_t bad = 0;
    /* newest first: the state after run i is cur minus the deltas of the
     * runs newer than i, which we have subtracted by the time we get to it */
    for (size_t i = 0; rc == SF_OK && r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2) {
        const char *run = r->elem[i].str;
        if ((rc = delta_of(c, run, scope, &d, &e)) != SF_OK)
            break;
        /* a run stored corrupt is left out, its delta still subtracted:
         * the older points stay right */
        if (sf_utf8_ok(run)) {
            json_t *pt = sf_jb_new(&b, json_object());
            sf_jb_set(&b, pt, "run_id", sf_jutil_str(run));
            sf_jb_set(&b, pt, "started_at",
                      json_integer((json_int_t)strtod(r->elem[i + 1].str, NULL)));
            sf_jb_set(&b, pt, "counts", api_j_counts(&b, cur.v));
            sf_jb_set(&b, pt, "new", json_integer(d.v[10]));
            sf_jb_set(&b, pt, "resolved", json_integer(d.v[11]));
            if (!pt || json_array_insert_new(pts, 0, pt) != 0)
                sf_jb_new(&b, NULL);
        } else {
            bad++;
        }
        for (int k = 0; k < 10; k++)
            cur.v[k] -= d.v[k];
    }
    api_skipped(c, bad, "run id");
    sf_kv_reply_free(r);
    if (rc != SF_OK) {
        json_decref(pts);
        return api_redis_fail(c, &e);
    }
    json_t *o = sf_jb_new(&b, json_object());
    sf_jb_set(&b, o, "scope", sf_jutil_str(sname));
    sf_jb_set(&b, o, "points", pts);
    api_ok(c, &b, o);
    return 0;
}

int api_summary(api_call *c)
{
    char counts[SF_KEY_MAX], latest[256];
    sf_error e = {0};
    cnt cur;
    int known = 0;
    char key[SF_KEY_MAX];
    if (c->req->nparams)
        return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
    sf_keys_agg(counts, c->a->prefix, "counts", NULL);
    if (read_cnt(c, counts, "", &cur, &e) != SF_OK ||
        sf_agg_latest_run(c->a->kv, c->a->prefix, latest, sizeof latest, &e) != SF_OK ||
        api_running_key(c, -1, key, &known) != 0)
        return api_redis_fail(c, &e);
    sf_jb b = {0};
    json_t *o = sf_jb_new(&b, json_object());
    sf_jb_set(&b, o, "counts", api_j_counts(&b, cur.v));
    /* a corrupt latest run id is answered as none known, and logged */
    api_skipped(c, !sf_utf8_ok(latest), "run id");
    sf_jb_set(&b, o, "latest_run",
              latest[0] && sf_utf8_ok(latest) ? sf_jutil_str(latest) : json_null());
    sf_jb_set(&b, o, "api_version", sf_jutil_str("1.0.0"));
    sf_jb_set(&b, o, "running_known", json_boolean(known));
    api_ok(c, &b, o);
    return 0;
}
