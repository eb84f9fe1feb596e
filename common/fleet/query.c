/*
 * query: `scanfarm query cve|image|package` against the fleet view
 * (layout in agg.h). Tags move: a ref is shown for an image only while
 * the ref -> digest map still points at that image, so a query never
 * claims a tag carries a CVE after the tag moved to a fixed image.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/report.h"
#include "base/json.h"
#include "cache/keys.h"
#include "fleet/running.h"

typedef struct qctx {
    sf_kv *kv;
    char shard[SF_KEY_MAX];
    const char *prefix;
} qctx;

static int qinit(qctx *q, sf_kv *kv, const char *prefix, sf_error *err)
{
    q->kv = kv;
    q->prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    return sf_keys_agg_shard(q->shard, q->prefix, err);
}

static int run(qctx *q, sf_kv_reply **r, sf_error *err, int argc, const char **argv)
{
    return sf_kv_argv(q->kv, q->shard, argc, argv, NULL, r, err);
}

/* Refs of v that still resolve to v (its digest, or the index it is a
 * platform image of; all of them when the map has no entry). */
static int live_refs(qctx *q, const sf_agg_view *v, sf_kv_reply **out, sf_error *err)
{
    char refs[SF_KEY_MAX];
    const char **argv = NULL;
    int rc;
    *out = NULL;
    if (v->nrefs == 0)
        return SF_OK;
    if ((rc = sf_keys_agg(refs, q->prefix, "refs", err)) != SF_OK)
        return rc;
    if (!(argv = calloc(v->nrefs + 2, sizeof *argv)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    argv[0] = "HMGET";
    argv[1] = refs;
    for (size_t i = 0; i < v->nrefs; i++)
        argv[2 + i] = v->refs[i];
    rc = run(q, out, err, (int)v->nrefs + 2, argv);
    free(argv);
    return rc;
}

static int ref_is_live(const sf_kv_reply *m, size_t i, const sf_agg_view *v)
{
    if (!m || i >= m->nelem || m->elem[i].type != SF_KV_STR)
        return 1;
    return strcmp(m->elem[i].str, sf_agg_ref_target(v)) == 0;
}

static int emit_cve_rows(qctx *q, const sf_agg_view *v, const char *id, json_t *arr, sf_buf *out,
                         sf_error *err)
{
    sf_kv_reply *m = NULL;
    int rc = live_refs(q, v, &m, err), any = 0;
    for (size_t k = 0; rc == SF_OK && k < v->nvulns; k++) {
        const sf_agg_vuln *x = &v->vulns[k];
        if (strcmp(x->id, id) != 0)
            continue;
        for (size_t i = 0; rc == SF_OK && i < (v->nrefs ? v->nrefs : 1); i++) {
            const char *ref = v->nrefs ? v->refs[i] : v->digest;
            if (v->nrefs && !ref_is_live(m, i, v))
                continue;
            any = 1;
            if (arr)
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s}", "ref",
                                                     ref, "digest", v->digest, "package", x->pkg,
                                                     "installed", x->installed, "fixed", x->fixed,
                                                     "severity", sf_agg_sev_name(x->sev)));
            else
                rc = sf_buf_printf(out, "%s\t%s\t%s\t%s\t%s\n", ref, x->pkg,
                                   x->installed ? x->installed : "?",
                                   x->fixed ? x->fixed : "(no fix)", sf_agg_sev_name(x->sev));
        }
    }
    /* every tag moved away: still name the image, by digest */
    for (size_t k = 0; rc == SF_OK && !any && v->nrefs && k < v->nvulns; k++) {
        const sf_agg_vuln *x = &v->vulns[k];
        if (strcmp(x->id, id) != 0)
            continue;
        if (arr)
            json_array_append_new(arr, json_pack("{s:n, s:s, s:s, s:s?, s:s?, s:s}", "ref",
                                                 "digest", v->digest, "package", x->pkg,
                                                 "installed", x->installed, "fixed", x->fixed,
                                                 "severity", sf_agg_sev_name(x->sev)));
        else
            rc = sf_buf_printf(out, "%s\t%s\t%s\t%s\t%s\n", v->digest, x->pkg,
                               x->installed ? x->installed : "?", x->fixed ? x->fixed : "(no fix)",
                               sf_agg_sev_name(x->sev));
    }
    sf_kv_reply_free(m);
    return rc;
}

static int query_cve_id(sf_kv *kv, const char *prefix, const char *id, int json, sf_buf *out,
                        sf_error *err)
{
    qctx q;
    char set[SF_KEY_MAX], views[SF_KEY_MAX];
    sf_kv_reply *ds = NULL;
    json_t *arr = json ? json_array() : NULL;
    int rc;
    if ((rc = qinit(&q, kv, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg_cve(set, q.prefix, id, err)) != SF_OK ||
        (rc = sf_keys_agg(views, q.prefix, "views", err)) != SF_OK)
        goto done;
    const char *a1[] = {"SMEMBERS", set};
    if ((rc = run(&q, &ds, err, 2, a1)) != SF_OK)
        goto done;
    sf_running running; /* "running: 3 pods in prod/payments"; none when unreadable */
    int have_running = sf_running_load(kv, q.prefix, NULL, &running, NULL) == SF_OK;
    for (size_t i = 0; rc == SF_OK && i < ds->nelem; i++) {
        sf_kv_reply *vr = NULL;
        sf_agg_view *v = NULL;
        const char *a2[] = {"HGET", views, ds->elem[i].str ? ds->elem[i].str : ""};
        rc = run(&q, &vr, err, 3, a2);
        if (rc == SF_OK && vr->type == SF_KV_STR &&
            (rc = sf_agg_view_parse(vr->str, vr->len, &v, err)) == SF_OK) {
            size_t from = arr ? json_array_size(arr) : 0;
            rc = emit_cve_rows(&q, v, id, arr, out, err);
            if (rc == SF_OK)
                rc = sf_query_running_note(have_running ? &running : NULL, v, arr, from, out);
        }
        sf_agg_view_free(v);
        sf_kv_reply_free(vr);
    }
    if (rc == SF_OK && ds->nelem == 0)
        rc = sf_error_set(err, SF_ENOTFOUND, "%s: not found in the fleet view (no image "
                                             "carries it)", id);
    if (have_running)
        sf_running_clear(&running);
    if (rc == SF_OK && arr)
        rc = sf_jutil_dump_pretty(arr, out);
done:
    sf_kv_reply_free(ds);
    json_decref(arr);
    return rc;
}

/* HGET on the aggregator's shard into out ("" when absent). */
static int hget_str(qctx *q, const char *key, const char *field, char *out, size_t outlen,
                    long long *hlen, sf_error *err)
{
    sf_kv_reply *r = NULL;
    const char *argv[] = {"HGET", key, field};
    const char *lv[] = {"HLEN", key};
    int rc = hlen ? run(q, &r, err, 2, lv) : run(q, &r, err, 3, argv);
    out[0] = '\0';
    if (rc == SF_OK && hlen)
        *hlen = r->type == SF_KV_INT ? r->integer : 0;
    else if (rc == SF_OK && r->type == SF_KV_STR)
        snprintf(out, outlen, "%s", r->str);
    sf_kv_reply_free(r);
    return rc;
}

/* An id no image carries may be an alias (GHSA, DSA, ALPINE-...) of one
 * that some do: answer for that id (the aggregator's alias index,
 * agg_index.c) instead of an empty "not found". And say so when the whole
 * fleet view is empty, which is a wrong prefix or no aggregator, not an
 * answer about the id. */
int sf_query_cve(sf_kv *kv, const char *prefix, const char *id, int json, sf_buf *out,
                 sf_error *err)
{
    char key[SF_KEY_MAX], canon[SF_AGG_STR_MAX + 1];
    qctx q;
    long long nviews = 0;
    int rc = query_cve_id(kv, prefix, id, json, out, err);
    if (rc != SF_ENOTFOUND || qinit(&q, kv, prefix, NULL) != SF_OK)
        return rc;
    if (sf_keys_agg_ix(key, q.prefix, "valias", NULL, NULL) == SF_OK &&
        hget_str(&q, key, id, canon, sizeof canon, NULL, NULL) == SF_OK && canon[0] &&
        strcmp(canon, id) != 0) {
        sf_error_clear(err);
        if (!json && sf_buf_printf(out, "# %s is an alias of %s\n", id, canon) != SF_OK)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        return query_cve_id(kv, prefix, canon, json, out, err);
    }
    if (sf_keys_agg(key, q.prefix, "views", NULL) == SF_OK &&
        hget_str(&q, key, NULL, canon, sizeof canon, &nviews, NULL) == SF_OK && nviews == 0) {
        sf_error_clear(err); /* the first message was about the id */
        rc = sf_error_set(err, SF_ENOTFOUND, "%s: not found: the fleet view under key prefix "
                                             "\"%s\" is empty (no aggregator has written it; "
                                             "check --key-prefix / SCANFARM_KEY_PREFIX)", id,
                          q.prefix);
    }
    return rc;
}

/* A multi-arch tag resolves to its index: one result line per platform
 * image of it (sorted, so the output is stable). */
static int index_results(qctx *q, const char *results, const char *digest, const char *ref,
                         sf_buf *out, sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *m = NULL, *r = NULL;
    const char **argv = NULL;
    int rc, found = 0;
    if (sf_keys_agg_index(key, q->prefix, digest, NULL) != SF_OK)
        return sf_error_set(err, SF_ENOTFOUND, "no result for %s", ref);
    const char *a[] = {"SORT", key, "ALPHA"};
    if ((rc = run(q, &m, err, 3, a)) != SF_OK)
        return rc;
    if (m->type != SF_KV_ARR || m->nelem == 0)
        goto done;
    /* One round trip for every platform's result. */
    if (!(argv = calloc(m->nelem + 2, sizeof *argv))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    argv[0] = "HMGET";
    argv[1] = results;
    for (size_t i = 0; i < m->nelem; i++)
        argv[2 + i] = m->elem[i].type == SF_KV_STR ? m->elem[i].str : "";
    if ((rc = run(q, &r, err, (int)m->nelem + 2, argv)) != SF_OK)
        goto done;
    for (size_t i = 0; rc == SF_OK && i < r->nelem; i++) {
        if (r->elem[i].type != SF_KV_STR)
            continue;
        if ((rc = sf_buf_append(out, r->elem[i].str, r->elem[i].len)) == SF_OK)
            rc = sf_buf_puts(out, "\n");
        found++;
    }
done:
    free(argv);
    sf_kv_reply_free(r);
    sf_kv_reply_free(m);
    if (rc == SF_OK && !found)
        rc = sf_error_set(err, SF_ENOTFOUND, "no result for %s", ref);
    return rc;
}

int sf_query_image(sf_kv *kv, const char *prefix, const char *ref, sf_buf *out, sf_error *err)
{
    qctx q;
    char refs[SF_KEY_MAX], results[SF_KEY_MAX], digest[160];
    sf_kv_reply *r = NULL;
    int rc;
    if ((rc = qinit(&q, kv, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg(refs, q.prefix, "refs", err)) != SF_OK ||
        (rc = sf_keys_agg(results, q.prefix, "results", err)) != SF_OK)
        return rc;
    const char *at = strchr(ref, '@');
    if (strncmp(ref, "sha256:", 7) == 0 || (at && strncmp(at + 1, "sha256:", 7) == 0)) {
        snprintf(digest, sizeof digest, "%s", at ? at + 1 : ref);
    } else {
        const char *a1[] = {"HGET", refs, ref};
        if ((rc = run(&q, &r, err, 3, a1)) != SF_OK)
            return rc;
        if (r->type != SF_KV_STR) {
            sf_kv_reply_free(r);
            return sf_error_set(err, SF_ENOTFOUND, "no result for %s", ref);
        }
        snprintf(digest, sizeof digest, "%s", r->str);
        sf_kv_reply_free(r);
        r = NULL;
    }
    const char *a2[] = {"HGET", results, digest};
    if ((rc = run(&q, &r, err, 3, a2)) != SF_OK)
        return rc;
    if (r->type == SF_KV_STR) {
        if ((rc = sf_buf_append(out, r->str, r->len)) == SF_OK)
            rc = sf_buf_puts(out, "\n");
        sf_kv_reply_free(r);
        return rc;
    }
    sf_kv_reply_free(r);
    r = NULL;
    return index_results(&q, results, digest, ref, out, err);
}
