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

static json_t *cnt_json(const cnt *k)
{
    static const char *const names[] = {"images", "vulnerable", "errors", "findings", "fixable"};
    static const char *const sev[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
    json_t *o = json_object(), *s = json_object();
    for (int i = 0; i < 5; i++)
        json_object_set_new(o, names[i], json_integer(k->v[i]));
    for (int i = 0; i < 5; i++)
        json_object_set_new(s, sev[i], json_integer(k->v[5 + i]));
    json_object_set_new(o, "severity", s);
    return o;
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

static json_t *run_json(api_call *c, const char *run, double started, sf_error *e, int *rc)
{
    sf_agg_progress pg;
    cnt d;
    if ((*rc = sf_agg_progress_get(c->a->kv, c->a->prefix, run, &pg, e)) != SF_OK ||
        (*rc = delta_of(c, run, "", &d, e)) != SF_OK)
        return NULL;
    json_t *o = json_pack(
        "{s:s,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:b,s:o}", "run_id", run, "started_at",
        (json_int_t)started, "published", pg.published >= 0 ? json_integer(pg.published) : json_null(),
        "done", (json_int_t)pg.done, "results", (json_int_t)pg.results, "dlq", (json_int_t)pg.dlq,
        "errors", (json_int_t)pg.errors, "current", (json_int_t)pg.current, "first_result_at",
        pg.first_ms > 0 ? json_integer(pg.first_ms) : json_null(), "last_result_at",
        pg.last_ms > 0 ? json_integer(pg.last_ms) : json_null(), "complete", pg.complete,
        "progress",
        pg.published > 0 ? json_real(pg.done >= pg.published ? 1.0
                                                              : (double)pg.done / (double)pg.published)
                         : json_null());
    if (o)
        json_object_set_new(o, "totals", json_pack("{s:I,s:I,s:o}", "new", (json_int_t)d.v[10],
                                                   "resolved", (json_int_t)d.v[11], "delta",
                                                   cnt_json(&d)));
    return o;
}

static json_t *run_items(api_call *c, api_lst *l, sf_error *e)
{
    json_t *items = json_array();
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        json_t *o = run_json(c, api_lst_member(l, i), api_lst_score(l, i), e, &rc);
        if (o)
            json_array_append_new(items, o);
    }
    if (rc != SF_OK) {
        json_decref(items);
        return NULL;
    }
    return items;
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
        json_t *o = run_json(c, one, started, &e, &rc);
        if (!o)
            return api_redis_fail(c, &e);
        api_ok(c, o);
        return 0;
    }
    if (api_params(c, SF_API_P_PAGE, NULL, 1, &p) != 0)
        return -1;
    api_lst l;
    api_lst_init(&l, c);
    api_lst_base(&l, runs, 1);
    int rc = api_lst_run(&l, p.desc, p.offset, p.limit) == SF_OK ? 0 : -2;
    json_t *items = rc == 0 ? run_items(c, &l, &l.err) : NULL;
    if (items)
        api_ok(c, api_lst_envelope(&l, items));
    else
        api_redis_fail(c, &l.err);
    api_lst_done(&l);
    return items ? 0 : -1;
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
    json_t *pts = json_array();
    /* newest first: the state after run i is cur minus the deltas of the
     * runs newer than i, which we have subtracted by the time we get to it */
    for (size_t i = 0; rc == SF_OK && r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2) {
        const char *run = r->elem[i].str;
        if ((rc = delta_of(c, run, scope, &d, &e)) != SF_OK)
            break;
        json_array_insert_new(pts, 0,
                              json_pack("{s:s,s:I,s:o,s:I,s:I}", "run_id", run, "started_at",
                                        (json_int_t)strtod(r->elem[i + 1].str, NULL), "counts",
                                        cnt_json(&cur), "new", (json_int_t)d.v[10], "resolved",
                                        (json_int_t)d.v[11]));
        for (int k = 0; k < 10; k++)
            cur.v[k] -= d.v[k];
    }
    sf_kv_reply_free(r);
    if (rc != SF_OK) {
        json_decref(pts);
        return api_redis_fail(c, &e);
    }
    api_ok(c, json_pack("{s:s,s:o}", "scope", sname, "points", pts));
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
    api_ok(c, json_pack("{s:o,s:o,s:s,s:b}", "counts", cnt_json(&cur), "latest_run",
                        latest[0] ? json_string(latest) : json_null(), "api_version", "1.0.0",
                        "running_known", known));
    return 0;
}
