/*
 * running: see running.h. Values are written by this file only; reading
 * still checks every field (a foreign or older writer must not crash a
 * query), and skips what it cannot use.
 */
#include "fleet/running.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/json.h"
#include "base/limits.h"
#include "cache/keys.h"

const char *sf_running_kind_name(sf_kpod_ckind k)
{
    static const char *n[] = {"container", "init", "ephemeral"};
    return (unsigned)k < 3 ? n[k] : "container";
}

int sf_running_field(char *out, size_t outlen, const char *ns, const char *pod)
{
    int n = snprintf(out, outlen, "%s/%s", ns, pod);
    return n < 0 || (size_t)n >= outlen ? SF_ELIMIT : SF_OK;
}

static json_t *ctr_json(const sf_kpod_ctr *c, long long pod_start)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I}", "name", c->name, "kind",
                          sf_running_kind_name(c->kind), "image", c->image, "digest", c->digest,
                          "since", (json_int_t)(c->started_ms ? c->started_ms : pod_start));
    if (o && c->repo)
        json_object_set_new(o, "repo", json_string(c->repo));
    return o;
}

int sf_running_pod_value(const sf_kpod *p, const sf_kpod_owner *owner, sf_buf *out,
                         sf_error *err)
{
    const sf_kpod_owner *ow = owner && owner->kind ? owner : &p->owner;
    json_t *o = json_object(), *cs = json_array();
    int rc = SF_OK;
    if (!o || !cs) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; !p->finished && i < p->nctrs; i++)
        if (p->ctrs[i].digest[0] && json_array_append_new(cs, ctr_json(&p->ctrs[i], p->start_ms)))
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (!rc && json_array_size(cs) == 0)
        rc = SF_ENOTFOUND;
    if (rc)
        goto done;
    if (p->uid)
        json_object_set_new(o, "uid", json_string(p->uid));
    if (p->node)
        json_object_set_new(o, "node", json_string(p->node));
    if (p->platform)
        json_object_set_new(o, "platform", json_string(p->platform));
    if (ow->kind)
        json_object_set_new(o, "owner", json_pack("{s:s, s:s}", "kind", ow->kind, "name",
                                                  ow->name ? ow->name : ""));
    json_object_set(o, "containers", cs);
    rc = sf_jutil_dump(o, out);
done:
    json_decref(cs);
    json_decref(o);
    return rc;
}

static int pods_key(char *key, const char *prefix, const char *cluster, char *shard,
                    sf_error *err)
{
    int rc = sf_keys_agg_shard(shard, prefix, err);
    return rc ? rc : sf_keys_running_pods(key, prefix, cluster, err);
}

int sf_running_put(sf_kv *kv, const char *prefix, const char *cluster, const char *const *fields,
                   const char *const *values, size_t n, sf_error *err)
{
    char key[SF_KEY_MAX], shard[SF_KEY_MAX], ck[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    int rc = pods_key(key, prefix, cluster, shard, err);
    if (!rc)
        rc = sf_keys_running_clusters(ck, prefix, err);
    if (rc || n == 0)
        return rc;
    const char **argv = calloc(2 * n + 2, sizeof *argv);
    if (!argv)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    argv[0] = "HSET";
    argv[1] = key;
    for (size_t i = 0; i < n; i++) {
        argv[2 + 2 * i] = fields[i];
        argv[3 + 2 * i] = values[i];
    }
    rc = sf_kv_argv(kv, shard, (int)(2 * n + 2), argv, NULL, &r, err);
    sf_kv_reply_free(r);
    r = NULL;
    const char *sadd[] = {"SADD", ck, cluster};
    if (!rc)
        rc = sf_kv_argv(kv, shard, 3, sadd, NULL, &r, err);
    sf_kv_reply_free(r);
    free(argv);
    return rc;
}

int sf_running_del(sf_kv *kv, const char *prefix, const char *cluster, const char *const *fields,
                   size_t n, sf_error *err)
{
    char key[SF_KEY_MAX], shard[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    int rc = pods_key(key, prefix, cluster, shard, err);
    if (rc || n == 0)
        return rc;
    rc = sf_kv_keyed(kv, shard, "HDEL", key, n, fields, &r, err);
    sf_kv_reply_free(r);
    return rc;
}

int sf_running_fields(sf_kv *kv, const char *prefix, const char *cluster, sf_kv_reply **out,
                      sf_error *err)
{
    char key[SF_KEY_MAX], shard[SF_KEY_MAX];
    *out = NULL;
    int rc = pods_key(key, prefix, cluster, shard, err);
    const char *argv[] = {"HKEYS", key};
    return rc ? rc : sf_kv_argv(kv, shard, 2, argv, NULL, out, err);
}

static void ent_free(sf_running_ent *e)
{
    char **s[] = {&e->cluster, &e->ns,         &e->pod,        &e->container,
                  &e->kind,    &e->image,      &e->repo,       &e->digest,
                  &e->owner_kind, &e->owner_name, &e->node,    &e->platform};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        free(*s[i]);
}

void sf_running_clear(sf_running *r)
{
    if (!r)
        return;
    SF_ARRAY_FREE(r->v, r->n, ent_free);
    memset(r, 0, sizeof *r);
}

static char *dup_opt(json_t *o, const char *k)
{
    const char *s = sf_jutil_bstr(json_object_get(o, k), SF_LIM_KUBE_STR);
    return s ? sf_strdup(s) : NULL;
}

static int add_ent(sf_running *r, const char *cluster, const char *field, json_t *pod, json_t *c)
{
    const char *slash = strchr(field, '/');
    json_t *ow = json_object_get(pod, "owner");
    const char *dg = sf_jutil_bstr(json_object_get(c, "digest"), SF_DIGEST_MAX);
    if (!slash || !dg || sf_digest_validate(dg, NULL) != SF_OK)
        return SF_OK; /* unusable: skipped */
    if (SF_ARRAY_RESERVE(r->v, r->cap, r->n, 64, 0) != SF_OK)
        return SF_ENOMEM;
    sf_running_ent *e = &r->v[r->n];
    memset(e, 0, sizeof *e);
    e->cluster = sf_strdup(cluster);
    e->ns = sf_strndup(field, (size_t)(slash - field));
    e->pod = sf_strdup(slash + 1);
    e->digest = sf_strdup(dg);
    e->container = dup_opt(c, "name");
    e->kind = dup_opt(c, "kind");
    e->image = dup_opt(c, "image");
    e->repo = dup_opt(c, "repo");
    e->owner_kind = dup_opt(ow, "kind");
    e->owner_name = dup_opt(ow, "name");
    e->node = dup_opt(pod, "node");
    e->platform = dup_opt(pod, "platform");
    json_t *since = json_object_get(c, "since");
    e->since_ms = json_is_integer(since) ? (long long)json_integer_value(since) : 0;
    r->n++;
    if (!e->cluster || !e->ns || !e->pod || !e->digest)
        return SF_ENOMEM;
    return SF_OK;
}

int sf_running_parse(sf_running *r, const char *cluster, const char *field, const char *json,
                     size_t len, sf_error *err)
{
    json_t *doc = NULL, *c;
    size_t i;
    int rc = sf_jutil_load(&doc, json, len, SF_LIM_KUBE_OBJECT_BYTES, "running pod", err);
    if (rc)
        return rc;
    json_t *cs = json_object_get(doc, "containers");
    json_array_foreach(cs, i, c)
    {
        if (json_is_object(c) && (rc = add_ent(r, cluster, field, doc, c)) != SF_OK) {
            rc = sf_error_set(err, rc, "out of memory");
            break;
        }
    }
    json_decref(doc);
    return rc;
}

static int ent_cmp(const void *a, const void *b)
{
    const sf_running_ent *x = a, *y = b;
    int c = strcmp(x->digest, y->digest);
    if (!c)
        c = strcmp(x->cluster, y->cluster);
    if (!c)
        c = strcmp(x->ns, y->ns);
    return c ? c : strcmp(x->pod, y->pod);
}

void sf_running_sort(sf_running *r)
{
    if (r->n)
        qsort(r->v, r->n, sizeof *r->v, ent_cmp);
}

/* HGETALL of one cluster's hash into r. */
static int load_cluster(sf_kv *kv, const char *prefix, const char *cluster, sf_running *r,
                        sf_error *err)
{
    char key[SF_KEY_MAX], shard[SF_KEY_MAX];
    sf_kv_reply *h = NULL;
    int rc = pods_key(key, prefix, cluster, shard, err);
    const char *argv[] = {"HGETALL", key};
    if (!rc)
        rc = sf_kv_argv(kv, shard, 2, argv, NULL, &h, err);
    for (size_t i = 0; !rc && h && i + 1 < h->nelem; i += 2) {
        if (h->elem[i].type != SF_KV_STR || h->elem[i + 1].type != SF_KV_STR)
            continue;
        int prc = sf_running_parse(r, cluster, h->elem[i].str, h->elem[i + 1].str,
                                   h->elem[i + 1].len, err);
        if (prc == SF_ENOMEM)
            rc = prc;
    }
    sf_kv_reply_free(h);
    return rc;
}

int sf_running_load(sf_kv *kv, const char *prefix, const char *cluster, sf_running *out,
                    sf_error *err)
{
    char ck[SF_KEY_MAX], shard[SF_KEY_MAX];
    sf_kv_reply *cl = NULL;
    memset(out, 0, sizeof *out);
    int rc = sf_keys_agg_shard(shard, prefix, err);
    if (!rc && cluster) {
        rc = load_cluster(kv, prefix, cluster, out, err);
    } else if (!rc && !(rc = sf_keys_running_clusters(ck, prefix, err))) {
        const char *argv[] = {"SMEMBERS", ck};
        rc = sf_kv_argv(kv, shard, 2, argv, NULL, &cl, err);
        for (size_t i = 0; !rc && cl && i < cl->nelem; i++)
            if (cl->elem[i].type == SF_KV_STR && sf_keys_check_cluster(cl->elem[i].str, NULL) == 0)
                rc = load_cluster(kv, prefix, cl->elem[i].str, out, err);
    }
    sf_kv_reply_free(cl);
    if (rc)
        sf_running_clear(out);
    else
        sf_running_sort(out);
    return rc;
}

size_t sf_running_find(const sf_running *r, const char *digest, size_t *first)
{
    size_t lo = 0, hi = r->n;
    *first = 0;
    if (!digest)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(r->v[mid].digest, digest) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t n = 0;
    while (lo + n < r->n && strcmp(r->v[lo + n].digest, digest) == 0)
        n++;
    *first = lo;
    return n;
}

/* "linux/arm64/v8" fits a "linux/arm64" node: os and architecture agree. */
static int platform_fits(const char *node, const char *image)
{
    if (!node || !image)
        return 1;
    size_t n = strlen(node);
    return strncmp(node, image, n) == 0 && (image[n] == '\0' || image[n] == '/');
}

int sf_running_ent_runs(const sf_running_ent *e, const char *digest, const char *index_digest,
                        const char *platform)
{
    if (digest && strcmp(e->digest, digest) == 0)
        return 1;
    return index_digest && strcmp(e->digest, index_digest) == 0 &&
           platform_fits(e->platform, platform);
}

size_t sf_running_count_image(const sf_running *r, const char *digest, const char *index_digest,
                              const char *platform)
{
    size_t f, n = sf_running_find(r, digest, &f);
    if (index_digest && (!digest || strcmp(index_digest, digest) != 0)) {
        size_t fi, ni = sf_running_find(r, index_digest, &fi);
        for (size_t i = fi; i < fi + ni; i++)
            n += platform_fits(r->v[i].platform, platform);
    }
    return n;
}

static int same_pod(const sf_running_ent *a, const sf_running_ent *b)
{
    return !strcmp(a->pod, b->pod) && !strcmp(a->ns, b->ns) && !strcmp(a->cluster, b->cluster);
}

/* Append "ns/workload" of e to the summary when new; *shown counts. */
static void add_place(const sf_running_ent *e, char places[3][600], int *nplaces, int *more)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", e->ns, e->owner_name ? e->owner_name : e->pod);
    for (int i = 0; i < *nplaces; i++)
        if (strcmp(places[i], p) == 0)
            return;
    if (*nplaces < 3)
        memcpy(places[(*nplaces)++], p, sizeof p);
    else
        *more = 1;
}

int sf_running_summary(const sf_running *r, const char *digest, const char *index_digest,
                       const char *platform, sf_buf *out)
{
    char places[3][600];
    int np = 0, more = 0;
    size_t pods = 0;
    const char *ds[2] = {digest, index_digest && digest && strcmp(index_digest, digest) != 0
                                     ? index_digest
                                     : NULL};
    for (int k = 0; k < 2; k++) {
        size_t f, n = sf_running_find(r, ds[k], &f);
        const sf_running_ent *last = NULL;
        for (size_t i = f; i < f + n; i++) {
            if (!sf_running_ent_runs(&r->v[i], digest, index_digest, platform))
                continue;
            /* a pod with several containers of the image counts once */
            pods += !last || !same_pod(last, &r->v[i]);
            last = &r->v[i];
            add_place(&r->v[i], places, &np, &more);
        }
    }
    if (!pods)
        return SF_OK;
    int rc = sf_buf_printf(out, "%zu pod%s in ", pods, pods == 1 ? "" : "s");
    for (int i = 0; !rc && i < np; i++)
        rc = sf_buf_printf(out, "%s%s", i ? ", " : "", places[i]);
    if (!rc && more)
        rc = sf_buf_puts(out, ", ...");
    return rc;
}
