/*
 * report_running: the running view (running.h) joined with the fleet view
 * for the user: the "running now" section that leads `scanfarm report`
 * (table, JSON, HTML), `scanfarm query running`, and the "running: 3 pods
 * in prod/payments" notes of `query cve` and `query image`.
 *
 * An image of the fleet view is running when its digest runs, or when the
 * index it is a platform image of runs (runtimes report the digest they
 * pulled by, usually the index of a multi-arch tag).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/json.h"
#include "cache/keys.h"

#include "fleet/report.h"
#include "fleet/running.h"

static const sf_running EMPTY;

static const sf_running *run_of(const sf_report *r) { return r->running ? r->running : &EMPTY; }

static size_t img_pods(const sf_report *r, const sf_agg_view *v)
{
    const char *idx = v->job_key && strcmp(v->job_key, v->digest) ? v->job_key : NULL;
    return sf_running_count_image(run_of(r), v->digest, idx, v->platform);
}

static const char *idx_of(const sf_agg_view *v)
{
    return v->job_key && strcmp(v->job_key, v->digest) ? v->job_key : NULL;
}

/* (Here, not in report/report_html.c, because this file's HTML section
 * needs it and fleet/ must not depend on report/.) */
int sf_report_html_escape(sf_buf *out, const char *s)
{
    int rc = SF_OK;
    for (const char *p = s ? s : ""; *p && rc == SF_OK; p++) {
        switch (*p) {
        case '&': rc = sf_buf_puts(out, "&amp;"); break;
        case '<': rc = sf_buf_puts(out, "&lt;"); break;
        case '>': rc = sf_buf_puts(out, "&gt;"); break;
        case '"': rc = sf_buf_puts(out, "&quot;"); break;
        case '\'': rc = sf_buf_puts(out, "&#39;"); break;
        default: rc = sf_buf_append(out, p, 1);
        }
    }
    return rc;
}

int sf_report_load_running(sf_report *r, sf_kv *kv, const char *prefix, sf_error *err)
{
    sf_running *run = calloc(1, sizeof *run);
    if (!run)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = sf_running_load(kv, prefix ? prefix : SF_KEY_PREFIX_DEFAULT, NULL, run, err);
    if (rc) {
        free(run);
        return rc;
    }
    r->running = run;
    return SF_OK;
}

void sf_report_running_free(sf_report *r)
{
    if (r && r->running) {
        sf_running_clear(r->running);
        free(r->running);
        r->running = NULL;
    }
}

/* Running images with CRITICAL or HIGH findings, in the report's order
 * (worst first); *registry_only = images not running at all. */
static size_t running_hot(const sf_report *r, const sf_agg_view **out, size_t cap,
                          size_t *registry_only)
{
    size_t n = 0;
    *registry_only = 0;
    for (size_t i = 0; i < r->nimgs; i++) {
        const sf_agg_view *v = r->imgs[i];
        if (!img_pods(r, v))
            (*registry_only)++;
        else if ((v->sev[SF_SEV_CRITICAL] || v->sev[SF_SEV_HIGH]) && n < cap)
            out[n++] = v;
    }
    return n;
}

int sf_report_running_table(const sf_report *r, sf_buf *out)
{
    const sf_agg_view *hot[SF_REPORT_TOP];
    size_t reg_only, n = running_hot(r, hot, SF_REPORT_TOP, &reg_only);
    int rc = sf_buf_printf(out, "RUNNING NOW (images running with CRITICAL/HIGH findings)\n"
                                "%-44s %5s %5s %8s  %s\n", "IMAGE", "CRIT", "HIGH", "FIXABLE",
                           "RUNNING");
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        sf_buf s;
        sf_buf_init(&s, 4096);
        rc = sf_running_summary(run_of(r), hot[i]->digest, idx_of(hot[i]), hot[i]->platform, &s);
        if (rc == SF_OK)
            rc = sf_buf_printf(out, "%-44s %5zu %5zu %8zu  %s\n",
                               hot[i]->nrefs ? hot[i]->refs[0] : hot[i]->digest,
                               hot[i]->sev[SF_SEV_CRITICAL], hot[i]->sev[SF_SEV_HIGH],
                               hot[i]->fixable, s.data ? s.data : "");
        sf_buf_free(&s);
    }
    if (rc == SF_OK && n == 0)
        rc = sf_buf_puts(out, "(none)\n");
    if (rc == SF_OK)
        rc = sf_buf_printf(out, "registry-only images (not running): %zu\n\n", reg_only);
    return rc;
}

int sf_report_running_json(const sf_report *r, json_t *obj)
{
    const sf_agg_view *hot[SF_REPORT_TOP];
    size_t reg_only, n = running_hot(r, hot, SF_REPORT_TOP, &reg_only);
    sf_jb b = {0};
    json_t *arr = sf_jb_new(&b, json_array());
    for (size_t i = 0; arr && i < n; i++) {
        sf_buf s;
        sf_buf_init(&s, 4096);
        /* a summary cut at the buffer's limit is still worth showing */
        if (sf_running_summary(run_of(r), hot[i]->digest, idx_of(hot[i]), hot[i]->platform, &s) ==
            SF_ENOMEM)
            b.fails++;
        sf_jb_push(&b, arr, json_pack("{s:s, s:s?, s:I, s:I, s:I, s:I, s:s}", "digest",
                                      hot[i]->digest, "ref", hot[i]->nrefs ? hot[i]->refs[0] : NULL,
                                      "critical", (json_int_t)hot[i]->sev[SF_SEV_CRITICAL], "high",
                                      (json_int_t)hot[i]->sev[SF_SEV_HIGH], "fixable",
                                      (json_int_t)hot[i]->fixable, "containers",
                                      (json_int_t)img_pods(r, hot[i]), "running",
                                      s.data ? s.data : ""));
        sf_buf_free(&s);
    }
    sf_jb_set(&b, obj, "running_now", arr);
    sf_jb_set(&b, obj, "registry_only_images", json_integer((json_int_t)reg_only));
    return sf_jb_status(&b);
}

int sf_report_running_html(sf_buf *o, const sf_report *r)
{
    const sf_agg_view *hot[SF_REPORT_TOP];
    size_t reg_only, n = running_hot(r, hot, SF_REPORT_TOP, &reg_only);
    int rc = sf_buf_puts(o, "<section><h2>Running now</h2><p>Images running with CRITICAL or "
                            "HIGH findings.</p><table><tr><th>image</th><th>critical</th>"
                            "<th>high</th><th>fixable</th><th>running</th></tr>");
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        sf_buf s;
        sf_buf_init(&s, 4096);
        rc = sf_running_summary(run_of(r), hot[i]->digest, idx_of(hot[i]), hot[i]->platform, &s);
        rc = rc ? rc : sf_buf_puts(o, "<tr><td>");
        rc = rc ? rc : sf_report_html_escape(o, hot[i]->nrefs ? hot[i]->refs[0] : hot[i]->digest);
        rc = rc ? rc : sf_buf_printf(o, "</td><td>%zu</td><td>%zu</td><td>%zu</td><td>",
                                     hot[i]->sev[SF_SEV_CRITICAL], hot[i]->sev[SF_SEV_HIGH],
                                     hot[i]->fixable);
        rc = rc ? rc : sf_report_html_escape(o, s.data ? s.data : "");
        rc = rc ? rc : sf_buf_puts(o, "</td></tr>");
        sf_buf_free(&s);
    }
    /* The count belongs to its noun; the "none" sentence stands alone. */
    return rc ? rc : sf_buf_printf(o, "</table><p>%sRegistry-only images (not running): "
                                      "%zu.</p></section>",
                                   n ? "" : "No running image has CRITICAL or HIGH findings. ",
                                   reg_only);
}

/* ---- query cve / image notes ---- */

int sf_query_running_note(const sf_running *run, const sf_agg_view *v, json_t *arr, size_t from,
                          sf_buf *out)
{
    sf_buf s;
    int rc = SF_OK;
    if (!run || !sf_running_count_image(run, v->digest, idx_of(v), v->platform))
        return SF_OK;
    sf_buf_init(&s, 4096);
    if ((rc = sf_running_summary(run, v->digest, idx_of(v), v->platform, &s)) != SF_OK)
        goto done;
    if (arr)
        for (size_t i = from; i < json_array_size(arr); i++)
            json_object_set_new(json_array_get(arr, i), "running", json_string(s.data));
    else
        rc = sf_buf_printf(out, "\trunning: %s\n", s.data);
done:
    sf_buf_free(&s);
    return rc;
}

int sf_query_image_running(sf_kv *kv, const char *prefix, const sf_buf *docs, sf_buf *note,
                           sf_error *err)
{
    sf_running run;
    int rc = sf_running_load(kv, prefix ? prefix : SF_KEY_PREFIX_DEFAULT, NULL, &run, err);
    const char *p = docs->data, *end = p ? p + docs->len : NULL;
    int any = 0;
    while (rc == SF_OK && p && p < end && !any) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        json_t *d = json_loadb(p, n, 0, NULL);
        const char *dg = json_string_value(json_object_get(d, "digest"));
        const char *ix = json_string_value(json_object_get(d, "index_digest"));
        const char *pf = json_string_value(json_object_get(d, "platform"));
        if (dg && sf_running_count_image(&run, dg, ix, pf)) {
            rc = sf_buf_puts(note, "running: ");
            rc = rc ? rc : sf_running_summary(&run, dg, ix && strcmp(ix, dg) ? ix : NULL, pf, note);
            rc = rc ? rc : sf_buf_puts(note, "\n");
            any = 1;
        }
        json_decref(d);
        p = nl ? nl + 1 : end;
    }
    if (rc == SF_OK && !any)
        rc = sf_buf_puts(note, "running: no\n");
    sf_running_clear(&run);
    return rc;
}

/* ---- query running ---- */

typedef struct qrow {
    const sf_agg_view *v;
    const sf_running_ent *e; /* first entry of the row's workload */
    const sf_running_ent *last; /* last entry counted (pods are adjacent) */
    size_t pods;
    size_t sev[SF_SEV_N];
    size_t fixable, total;
} qrow;

typedef struct qctx {
    sf_agg_view **views;
    size_t nviews, cap;
    qrow *rows;
    size_t nrows, caprows;
} qctx;

static void qctx_free(qctx *q)
{
    SF_PTRS_FREE(q->views, q->nviews, sf_agg_view_free);
    free(q->rows);
}

/* HMGET views for digests; each found view is added to q. */
static int fetch_views(sf_kv *kv, const char *shard, const char *views, const char **ds, size_t n,
                       qctx *q, sf_error *err)
{
    sf_kv_reply *r = NULL;
    int rc = sf_kv_keyed(kv, shard, "HMGET", views, n, ds, &r, err);
    for (size_t i = 0; rc == SF_OK && r && i < r->nelem; i++) {
        sf_agg_view *v = NULL;
        if (r->elem[i].type != SF_KV_STR ||
            sf_agg_view_parse(r->elem[i].str, r->elem[i].len, &v, NULL) != SF_OK)
            continue;
        if (SF_ARRAY_RESERVE(q->views, q->cap, q->nviews, 16, 0) != SF_OK) {
            sf_agg_view_free(v);
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            break;
        }
        q->views[q->nviews++] = v;
    }
    sf_kv_reply_free(r);
    return rc;
}

/* The views of every running digest: its own, or its index's platforms. */
static int load_views(sf_kv *kv, const char *prefix, const sf_running *run, qctx *q,
                      sf_error *err)
{
    char shard[SF_KEY_MAX], views[SF_KEY_MAX], ikey[SF_KEY_MAX];
    int rc = sf_keys_agg_shard(shard, prefix, err);
    if (!rc)
        rc = sf_keys_agg(views, prefix, "views", err);
    for (size_t i = 0; rc == SF_OK && i < run->n; i++) {
        if (i && strcmp(run->v[i].digest, run->v[i - 1].digest) == 0)
            continue;
        const char *d = run->v[i].digest;
        size_t before = q->nviews;
        sf_kv_reply *m = NULL;
        if ((rc = fetch_views(kv, shard, views, &d, 1, q, err)) != SF_OK || q->nviews > before)
            continue;
        if (sf_keys_agg_index(ikey, prefix, d, NULL) != SF_OK)
            continue;
        const char *a[] = {"SMEMBERS", ikey};
        if ((rc = sf_kv_argv(kv, shard, 2, a, NULL, &m, err)) == SF_OK && m->nelem) {
            const char **ds = calloc(m->nelem, sizeof *ds);
            for (size_t k = 0; ds && k < m->nelem; k++)
                ds[k] = m->elem[k].str ? m->elem[k].str : "";
            rc = ds ? fetch_views(kv, shard, views, ds, m->nelem, q, err)
                    : sf_error_set(err, SF_ENOMEM, "out of memory");
            free(ds);
        }
        sf_kv_reply_free(m);
    }
    return rc;
}

static int add_row(qctx *q, const sf_agg_view *v, const sf_running_ent *e,
                   const sf_query_running_opts *o)
{
    qrow r = {.v = v, .e = e, .last = e, .pods = 1};
    for (size_t k = 0; k < v->nvulns; k++) {
        const sf_agg_vuln *x = &v->vulns[k];
        if ((o->fixable && !x->fixed) || (o->min_sev >= 0 && x->sev < o->min_sev))
            continue;
        r.sev[x->sev < SF_SEV_N ? x->sev : SF_SEV_UNKNOWN]++;
        r.fixable += x->fixed != NULL;
        r.total++;
    }
    if (!r.total)
        return SF_OK;
    if (SF_ARRAY_RESERVE(q->rows, q->caprows, q->nrows, 32, 0) != SF_OK)
        return SF_ENOMEM;
    q->rows[q->nrows++] = r;
    return SF_OK;
}

static int same_workload(const sf_running_ent *a, const sf_running_ent *b)
{
    const char *wa = a->owner_name ? a->owner_name : a->pod;
    const char *wb = b->owner_name ? b->owner_name : b->pod;
    return !strcmp(a->cluster, b->cluster) && !strcmp(a->ns, b->ns) && !strcmp(wa, wb);
}

/* One row per (image, workload) of the running entries of view v. */
static int rows_of(qctx *q, const sf_running *run, const sf_agg_view *v,
                   const sf_query_running_opts *o)
{
    const char *ds[2] = {v->digest, idx_of(v)};
    size_t first = q->nrows;
    for (int k = 0; k < 2; k++) {
        size_t f, n = sf_running_find(run, ds[k], &f);
        for (size_t i = f; i < f + n; i++) {
            const sf_running_ent *e = &run->v[i];
            if ((o->ns && strcmp(o->ns, e->ns) != 0) ||
                !sf_running_ent_runs(e, v->digest, ds[1], v->platform))
                continue;
            size_t j = first;
            while (j < q->nrows && !same_workload(q->rows[j].e, e))
                j++;
            if (j < q->nrows) {
                q->rows[j].pods += strcmp(q->rows[j].last->pod, e->pod) != 0;
                q->rows[j].last = e;
                continue;
            }
            if (add_row(q, v, e, o) != SF_OK)
                return SF_ENOMEM;
        }
    }
    return SF_OK;
}

static int row_cmp(const void *a, const void *b)
{
    const qrow *x = a, *y = b;
    for (int i = 0; i < SF_SEV_N; i++) {
        sf_sev k = sf_sev_at(i); /* most severe first */
        if (x->sev[k] != y->sev[k])
            return x->sev[k] < y->sev[k] ? 1 : -1;
    }
    if (x->pods != y->pods)
        return x->pods < y->pods ? 1 : -1;
    return strcmp(x->v->digest, y->v->digest);
}

static int emit_rows(const qctx *q, int json, sf_buf *out)
{
    int rc = SF_OK;
    json_t *arr = json ? json_array() : NULL;
    if (!json)
        rc = sf_buf_printf(out, "%4s %4s %4s %4s %4s %4s  %-14s %-16s %-24s %s\n", "CRIT",
                           "HIGH", "MED", "LOW", "FIX", "PODS", "CLUSTER", "NAMESPACE",
                           "WORKLOAD", "IMAGE");
    for (size_t i = 0; rc == SF_OK && i < q->nrows; i++) {
        const qrow *r = &q->rows[i];
        const sf_running_ent *e = r->e;
        char wl[600];
        snprintf(wl, sizeof wl, "%s/%s", e->owner_kind ? e->owner_kind : "Pod",
                 e->owner_name ? e->owner_name : e->pod);
        if (arr)
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s?, s:I, s:o, s:I}", "cluster",
                               e->cluster, "namespace", e->ns, "workload", wl, "digest",
                               r->v->digest, "platform", r->v->platform, "image",
                               e->image ? e->image : "", "ref",
                               r->v->nrefs ? r->v->refs[0] : NULL, "pods", (json_int_t)r->pods,
                               "findings",
                               json_pack("{s:I, s:I, s:I, s:I, s:I}", "critical",
                                         (json_int_t)r->sev[SF_SEV_CRITICAL], "high", (json_int_t)r->sev[SF_SEV_HIGH],
                                         "medium", (json_int_t)r->sev[SF_SEV_MEDIUM], "low",
                                         (json_int_t)r->sev[SF_SEV_LOW], "unknown", (json_int_t)r->sev[SF_SEV_UNKNOWN]),
                               "fixable", (json_int_t)r->fixable));
        else
            rc = sf_buf_printf(out, "%4zu %4zu %4zu %4zu %4zu %4zu  %-14s %-16s %-24s %s%s%s\n",
                               r->sev[SF_SEV_CRITICAL], r->sev[SF_SEV_HIGH], r->sev[SF_SEV_MEDIUM], r->sev[SF_SEV_LOW], r->fixable, r->pods,
                               e->cluster, e->ns, wl, e->image ? e->image : r->v->digest,
                               r->v->platform ? " " : "", r->v->platform ? r->v->platform : "");
    }
    if (arr) {
        rc = sf_jutil_dump_pretty(arr, out);
        json_decref(arr);
    }
    return rc;
}

int sf_query_running(sf_kv *kv, const char *prefix, const sf_query_running_opts *o, int json,
                     sf_buf *out, sf_error *err)
{
    sf_running run;
    qctx q = {0};
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    int rc = sf_running_load(kv, prefix, NULL, &run, err);
    if (rc)
        return rc;
    rc = load_views(kv, prefix, &run, &q, err);
    for (size_t i = 0; rc == SF_OK && i < q.nviews; i++)
        if (rows_of(&q, &run, q.views[i], o) != SF_OK)
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK && q.nrows)
        qsort(q.rows, q.nrows, sizeof *q.rows, row_cmp);
    if (rc == SF_OK)
        rc = emit_rows(&q, json, out);
    qctx_free(&q);
    sf_running_clear(&run);
    return rc;
}
