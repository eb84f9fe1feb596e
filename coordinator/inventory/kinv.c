/*
 * kinv: see kinv.h. The loop keeps three small in-memory maps (jansson
 * objects used as string hash tables): owners already resolved, digests
 * already decided for jobs, and, during a relist, the pod fields the list
 * returned. Everything durable is in Redis (running.h).
 */
#include "kinv.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet/agg_view.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "bus/msg_job.h"
#include "cache/keys.h"
#include "kube/kube_api.h"
#include "fleet/running.h"

/* Pods written per HSET during a relist. */
#define KINV_BATCH 200
/* Entries of the owner and digest caches (limits.h says why). */
#define KINV_CACHE_MAX SF_LIM_KINV_CACHE

typedef struct kinv {
    const sf_kinv_opts *o;
    sf_kinv_stats *st;
    sf_kapi *api;
    json_t *owners;  /* "ns/Kind/name" -> "Kind/name" of the workload */
    json_t *nodes;   /* node name -> "os/arch" ("" = unknown) */
    json_t *digests; /* digest -> true once decided */
    json_t *listed;  /* relist: fields returned */
    char *rv;        /* resume point */
    int gone;        /* the last watch answered 410 */
    long backoff_ms;
    char run_id[64];
} kinv;

static int cancelled(const kinv *k) { return k->o->cancel && *k->o->cancel; }

static void nap(kinv *k)
{
    long ms = k->backoff_ms ? k->backoff_ms : 200;
    sf_time_sleep_ms(ms, k->o->cancel);
    k->backoff_ms = ms * 2 > k->o->backoff_max_ms ? k->o->backoff_max_ms : ms * 2;
}

static void set_rv(kinv *k, const char *rv)
{
    char *d = rv ? sf_strdup(rv) : NULL;
    if (!d)
        return;
    free(k->rv);
    k->rv = d;
}

/* ---- owners ---- */

/* The workload of pod p: its controller, walked one step further for
 * ReplicaSet -> Deployment and Job -> CronJob. */
static void resolve_owner(kinv *k, const sf_kpod *p, sf_kpod_owner *out)
{
    char key[800];
    long status = 0;
    sf_error e = SF_ERROR_INIT;
    memset(out, 0, sizeof *out);
    const sf_kpod_owner *o = &p->owner;
    int walk = o->kind && (strcmp(o->kind, "ReplicaSet") == 0 || strcmp(o->kind, "Job") == 0);
    if (!walk || !k->o->resolve_owners)
        return;
    snprintf(key, sizeof key, "%s/%s/%s", p->ns, o->kind, o->name);
    json_t *c = json_object_get(k->owners, key);
    if (json_is_array(c)) {
        out->kind = sf_strdup(json_string_value(json_array_get(c, 0)));
        out->name = sf_strdup(json_string_value(json_array_get(c, 1)));
        return;
    }
    k->st->owner_gets++;
    int rc = sf_kapi_get_owner(k->api, p->ns, o->kind, o->name, out, &status, &e);
    if (rc || status / 100 != 2 || !out->kind) {
        if (rc && rc != SF_EAUTH)
            SF_DEBUG("kube", "owner not resolved|cluster=%s owner=%s error=\"%s\"",
                     k->o->cluster, key, e.msg);
        sf_kpod_owner_clear(out);
        if (rc && rc != SF_EAUTH && status != 404)
            return; /* transient: ask again next time */
        out->kind = sf_strdup(o->kind); /* the nearer owner is what we can see */
        out->name = sf_strdup(o->name);
    }
    if (json_object_size(k->owners) >= KINV_CACHE_MAX)
        json_object_clear(k->owners);
    json_object_set_new(k->owners, key, json_pack("[s?, s?]", out->kind, out->name));
}

/* The os/arch of p's node into p->platform (cached per node). */
static void node_platform(kinv *k, sf_kpod *p)
{
    char plat[80];
    long status = 0;
    sf_error e = SF_ERROR_INIT;
    if (!k->o->resolve_nodes || !p->node || p->platform)
        return;
    const char *c = json_string_value(json_object_get(k->nodes, p->node));
    if (!c) {
        k->st->node_gets++;
        int rc = sf_kapi_node_platform(k->api, p->node, plat, sizeof plat, &status, &e);
        if (rc && rc != SF_EAUTH && rc != SF_EPARSE && status != 404) {
            SF_DEBUG("kube", "node not read|cluster=%s node=%s error=\"%s\"", k->o->cluster,
                     p->node, e.msg);
            return; /* transient: ask again next time */
        }
        if (json_object_size(k->nodes) >= KINV_CACHE_MAX)
            json_object_clear(k->nodes);
        json_object_set_new(k->nodes, p->node, json_string(rc ? "" : plat));
        c = rc ? "" : plat;
    }
    if (*c)
        p->platform = sf_strdup(c);
}

/* ---- jobs ---- */

static void job_for(kinv *k, const sf_kpod_ctr *c)
{
    char reg[256], repo[SF_LIM_KUBE_STR], ref[SF_LIM_KUBE_STR + SF_DIGEST_MAX + 2], now[40];
    sf_error e = SF_ERROR_INIT;
    if (!c->digest[0] || !c->repo || json_object_get(k->digests, c->digest))
        return;
    if (json_object_size(k->digests) >= KINV_CACHE_MAX)
        json_object_clear(k->digests);
    json_object_set_new(k->digests, c->digest, json_true());
    if (!k->o->prod)
        return;
    if (k->o->sched && sf_sched_check(k->o->sched, c->digest, NULL, 0, &e) ==
                           SF_SCHED_SKIP_CURRENT) {
        k->st->current++;
        return;
    }
    sf_agg_ref_split(c->repo, reg, sizeof reg, repo, sizeof repo);
    if (!reg[0] || !repo[0])
        return;
    snprintf(ref, sizeof ref, "%s@%s", c->repo, c->digest);
    char *refs[] = {ref};
    sf_job_now(now, sizeof now);
    sf_job j = {.run_id = k->run_id, .kind = SF_JOB_SCAN, .registry = reg, .repository = repo,
                .digest = (char *)c->digest, .refs = refs, .nrefs = 1, .enqueued_at = now};
    char *json = NULL;
    size_t len = 0;
    int rc = sf_job_encode(&j, &json, &len, &e);
    if (!rc)
        rc = sf_kprod_produce(k->o->prod, k->o->topic, c->digest, strlen(c->digest), json, len,
                              NULL, &e);
    free(json);
    if (rc) {
        json_object_del(k->digests, c->digest); /* try again on the next sighting */
        SF_ERROR("kube", "job not published|digest=%s error=\"%s\"", c->digest, e.msg);
        return;
    }
    k->st->jobs++;
    char key[SF_KEY_MAX], shard[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    if (!sf_keys_run_published(key, k->o->prefix, k->run_id, NULL) &&
        !sf_keys_agg_shard(shard, k->o->prefix, NULL)) {
        const char *argv[] = {"INCR", key};
        (void)sf_kv_argv(k->o->kv, shard, 2, argv, NULL, &r, NULL);
        sf_kv_reply_free(r);
    }
    SF_INFO("kube", "scan job published|digest=%s image=%s run=%s", c->digest, c->image,
            k->run_id);
}

/* ---- pods ---- */

/* The pod's field and value; *value NULL when the field must go. */
static int pod_entry(kinv *k, sf_kpod *p, char *field, size_t flen, char **value,
                     sf_error *err)
{
    sf_kpod_owner ow;
    sf_buf b;
    *value = NULL;
    if (sf_running_field(field, flen, p->ns, p->name) != SF_OK)
        return sf_error_set(err, SF_ELIMIT, "pod name too long");
    resolve_owner(k, p, &ow);
    node_platform(k, p);
    sf_buf_init(&b, SF_LIM_KUBE_OBJECT_BYTES);
    int rc = sf_running_pod_value(p, &ow, &b, err);
    sf_kpod_owner_clear(&ow);
    if (rc == SF_OK) {
        *value = sf_buf_steal(&b, NULL);
        for (size_t i = 0; i < p->nctrs; i++)
            job_for(k, &p->ctrs[i]);
    }
    sf_buf_free(&b);
    return rc == SF_ENOTFOUND ? SF_OK : rc;
}

static int apply_pod(kinv *k, sf_kpod *p, int deleted, sf_error *err)
{
    char field[600];
    char *value = NULL;
    int rc = SF_OK;
    if (!deleted)
        rc = pod_entry(k, p, field, sizeof field, &value, err);
    else if (sf_running_field(field, sizeof field, p->ns, p->name) != SF_OK)
        return sf_error_set(err, SF_ELIMIT, "pod name too long");
    if (rc)
        return rc;
    const char *f[] = {field}, *v[] = {value};
    if (value) {
        rc = sf_running_put(k->o->kv, k->o->prefix, k->o->cluster, f, v, 1, err);
        k->st->pods_put += rc == SF_OK;
    } else {
        rc = sf_running_del(k->o->kv, k->o->prefix, k->o->cluster, f, 1, err);
        k->st->pods_del += rc == SF_OK;
    }
    free(value);
    return rc;
}

/* ---- relist ---- */

typedef struct batch {
    char *f[KINV_BATCH];
    char *v[KINV_BATCH];
    size_t n;
} batch;

static int batch_flush(kinv *k, batch *b, sf_error *err)
{
    int rc = sf_running_put(k->o->kv, k->o->prefix, k->o->cluster, (const char *const *)b->f,
                            (const char *const *)b->v, b->n, err);
    if (!rc)
        k->st->pods_put += (long)b->n;
    for (size_t i = 0; i < b->n; i++) {
        free(b->f[i]);
        free(b->v[i]);
    }
    b->n = 0;
    return rc;
}

static int list_page(kinv *k, sf_kpod_list *l, batch *b, sf_error *err)
{
    char field[600];
    int rc = SF_OK;
    for (size_t i = 0; !rc && i < l->n; i++) {
        char *value = NULL;
        if ((rc = pod_entry(k, l->items[i], field, sizeof field, &value, err)) || !value)
            continue;
        if (json_object_size(k->listed) >= SF_LIM_KUBE_PODS) {
            free(value);
            return sf_error_set(err, SF_ELIMIT, "more than %d pods", SF_LIM_KUBE_PODS);
        }
        json_object_set_new(k->listed, field, json_true());
        b->f[b->n] = sf_strdup(field);
        b->v[b->n++] = value;
        if (b->n == KINV_BATCH)
            rc = batch_flush(k, b, err);
    }
    return rc;
}

/* Delete stored fields of the watched scope that the list did not return. */
static int sweep(kinv *k, sf_error *err)
{
    sf_kv_reply *r = NULL;
    const char *gone[KINV_BATCH];
    size_t n = 0, nsl = k->o->ns ? strlen(k->o->ns) : 0;
    int rc = sf_running_fields(k->o->kv, k->o->prefix, k->o->cluster, &r, err);
    for (size_t i = 0; !rc && r && i < r->nelem; i++) {
        const char *f = r->elem[i].str;
        if (r->elem[i].type != SF_KV_STR || json_object_get(k->listed, f))
            continue;
        if (k->o->ns && (strncmp(f, k->o->ns, nsl) != 0 || f[nsl] != '/'))
            continue;
        gone[n++] = f;
        if (n == KINV_BATCH) {
            rc = sf_running_del(k->o->kv, k->o->prefix, k->o->cluster, gone, n, err);
            k->st->pods_del += rc == SF_OK ? (long)n : 0;
            n = 0;
        }
    }
    if (!rc && n) {
        rc = sf_running_del(k->o->kv, k->o->prefix, k->o->cluster, gone, n, err);
        k->st->pods_del += rc == SF_OK ? (long)n : 0;
    }
    sf_kv_reply_free(r);
    return rc;
}

/* One complete list; SF_EEXIST when a page answered 410 (start over). */
static int relist_once(kinv *k, sf_error *err)
{
    sf_kpod_list l;
    batch b = {.n = 0};
    char *cont = NULL;
    long status = 0;
    int rc = SF_OK;
    json_object_clear(k->listed);
    do {
        rc = sf_kapi_list_pods(k->api, k->o->ns, k->o->page_size, cont, &l, &status, err);
        free(cont);
        cont = NULL;
        if (!rc && status == 410)
            rc = SF_EEXIST;
        else if (!rc && status / 100 != 2)
            rc = sf_error_set(err, SF_ESERVER, "list pods: HTTP %ld", status);
        if (!rc)
            rc = list_page(k, &l, &b, err);
        if (!rc && l.cont && !(cont = sf_strdup(l.cont)))
            rc = SF_ENOMEM;
        if (!rc && !cont)
            set_rv(k, l.rv);
        sf_kpod_list_clear(&l);
    } while (!rc && cont && !cancelled(k));
    free(cont);
    if (!rc && b.n)
        rc = batch_flush(k, &b, err);
    for (size_t i = 0; i < b.n; i++) {
        free(b.f[i]);
        free(b.v[i]);
    }
    if (!rc && !cancelled(k))
        rc = sweep(k, err);
    return rc;
}

static int relist(kinv *k, sf_error *err)
{
    for (int tries = 0;; tries++) {
        int rc = relist_once(k, err);
        if (rc != SF_EEXIST || tries >= 5 || cancelled(k)) {
            if (!rc)
                k->st->lists++;
            return rc;
        }
        k->st->gone++; /* the continue token expired mid-list */
    }
}

/* ---- watch ---- */

static int on_event(void *ctx, sf_kev *ev)
{
    kinv *k = ctx;
    sf_error e = SF_ERROR_INIT;
    int rc = SF_OK;
    switch (ev->type) {
    case SF_KEV_ERROR:
        if (ev->code == 410) {
            k->gone = 1;
            return SF_EEXIST;
        }
        SF_WARN("kube", "watch error event|cluster=%s code=%ld reason=%s", k->o->cluster,
                ev->code, ev->reason ? ev->reason : "");
        return SF_ESERVER;
    case SF_KEV_BOOKMARK:
        break;
    case SF_KEV_ADDED:
    case SF_KEV_MODIFIED:
    case SF_KEV_DELETED:
        rc = apply_pod(k, ev->pod, ev->type == SF_KEV_DELETED, &e);
        if (rc) {
            SF_WARN("kube", "pod not recorded|cluster=%s pod=%s/%s error=\"%s\"", k->o->cluster,
                    ev->pod->ns, ev->pod->name, e.msg);
            return rc; /* the watch resumes from the last applied version */
        }
        break;
    }
    k->st->events++;
    k->backoff_ms = 0;
    set_rv(k, ev->rv);
    return SF_OK;
}

/* One watch; SF_OK when it ended or dropped (resume), SF_EEXIST on 410. */
static int watch_once(kinv *k)
{
    long status = 0;
    sf_error e = SF_ERROR_INIT;
    k->gone = 0;
    k->st->watches++;
    int rc = sf_kapi_watch_pods(k->api, k->o->ns, k->rv, on_event, k, &status, &e);
    if (k->gone || status == 410)
        return SF_EEXIST;
    if (rc == SF_ECANCELED || cancelled(k))
        return SF_OK;
    if (rc || status / 100 != 2) {
        k->st->drops++;
        SF_WARN("kube", "watch dropped, resuming|cluster=%s rv=%s status=%ld error=\"%s\"",
                k->o->cluster, k->rv ? k->rv : "", status, e.msg);
        nap(k);
    }
    return SF_OK;
}

static int loop(kinv *k, sf_error *err)
{
    int first = 1;
    while (!cancelled(k)) {
        sf_error e = SF_ERROR_INIT;
        int rc = relist(k, &e);
        if (rc) {
            if (first && (rc == SF_EAUTH || rc == SF_EINVAL || k->o->once))
                return *err = e, rc; /* fails fast: nothing will change by waiting */
            SF_WARN("kube", "list failed, retrying|cluster=%s error=\"%s\"", k->o->cluster,
                    e.msg);
            nap(k);
            continue;
        }
        first = 0;
        SF_INFO("kube", "listed|cluster=%s namespace=%s rv=%s pods_put=%ld pods_del=%ld",
                k->o->cluster, k->o->ns ? k->o->ns : "*", k->rv ? k->rv : "", k->st->pods_put,
                k->st->pods_del);
        if (k->o->once)
            return SF_OK;
        while (!cancelled(k) && watch_once(k) != SF_EEXIST)
            ;
        if (!cancelled(k)) {
            k->st->gone++;
            SF_INFO("kube", "resourceVersion expired, relisting|cluster=%s", k->o->cluster);
        }
    }
    return SF_OK;
}

int sf_kinv_run(const sf_kinv_opts *o, sf_kinv_stats *st, sf_error *err)
{
    sf_kinv_stats local;
    kinv k = {.o = o, .st = st ? st : &local};
    memset(k.st, 0, sizeof *k.st);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(k.run_id, sizeof k.run_id, "inventory-%Y%m%d", &tm);
    if (sf_keys_check_cluster(o->cluster, err) != SF_OK)
        return SF_ECONFIG;
    if (o->ns && !sf_kapi_name_ok(o->ns))
        return sf_error_set(err, SF_ECONFIG, "bad namespace \"%.64s\"", o->ns);
    sf_kapi_opts ao = {.cfg = o->kcfg, .cancel = o->cancel,
                       .watch_timeout_s = o->watch_timeout_s, .max_retries = -1};
    int rc = sf_kapi_new(&k.api, &ao, err);
    if (rc)
        return rc;
    k.owners = json_object();
    k.nodes = json_object();
    k.digests = json_object();
    k.listed = json_object();
    rc = k.owners && k.nodes && k.digests && k.listed ? loop(&k, err)
                                           : sf_error_set(err, SF_ENOMEM, "out of memory");
    json_decref(k.owners);
    json_decref(k.nodes);
    json_decref(k.digests);
    json_decref(k.listed);
    free(k.rv);
    sf_kapi_free(k.api);
    return rc;
}
