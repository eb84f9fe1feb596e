/*
 * enumerate: see enumerate.h for the streaming, grouping and failure
 * rules. The main thread walks the catalog and lists each repository's
 * tags; a pool of resolver threads takes (repository, tag) items from a
 * bounded queue; the thread that resolves a repository's last tag
 * groups the repository by digest, asks Redis which of them are current
 * (one pipelined exchange, outside the collector lock: precheck_repo),
 * and hands the groups to the collector, which owns the digest set, the
 * merge window and the producer calls. The filters are enum_select.c's.
 */
#include "enumerate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/log.h"
#include "bus/msg_job.h"
#include "bus/msg_refs.h"
#include "digest_set.h"
#include "registry/registry.h"

/* Tags waiting for a resolver, and repositories waiting to be listed:
 * together they bound the repositories in flight. */
#define QCAP 4096
#define LQCAP 64
/* dset values: 0 fresh, 1 published, 2 skipped as current, k+3 pending
 * job k. */
#define DV_PUBLISHED 1u
#define DV_SKIPPED 2u
#define DV_PENDING0 3u

/* ---- collector: digest set, merge window, publishing ---- */

/* A digest's skip-current verdict. precheck_repo asks for a whole
 * repository's digests in one Redis exchange before the collector lock
 * is taken; what it could not ask is asked under the lock (ask_now). */
typedef struct precheck {
    int done;               /* 0: not asked yet */
    sf_sched_verdict v;
    sf_sched_images im;     /* the result digests, on SF_SCHED_SKIP_CURRENT */
} precheck;

typedef struct pend {
    char *registry, *repo, *digest;
    sf_strlist refs;
    const sf_strlist *platforms; /* of the first registry; lives in cfg */
    precheck pc;
} pend;

typedef struct collector {
    pthread_mutex_t mu;
    sf_dset *set;
    pend *p;
    size_t np, capp;
    long held_refs;
    double held_since; /* run-relative time of the oldest held job */
    const sf_coordcfg *cfg;
    sf_kprod *prod;
    sf_sched *sched; /* NULL = publish every job */
    sf_kprod *refs_prod; /* refs messages of skipped digests; NULL = none */
    sf_run *run;
    int kafka_rc;
    sf_error kafka_err;
} collector;

static void pend_free(pend *p)
{
    free(p->registry), free(p->repo), free(p->digest);
    for (size_t i = 0; i < p->refs.n; i++)
        free(p->refs.v[i]);
    free(p->refs.v);
    sf_sched_images_clear(&p->pc.im);
}

/* Tell the aggregator which refs point at a digest skipped as current
 * (bus/msg_refs.h): without it a new tag on an already-scanned digest
 * would never reach the fleet view. A failure is counted, logged and
 * fails the run like a lost job; the enumeration goes on. Caller holds
 * c->mu. */
static void publish_refs(collector *c, const pend *p, const sf_sched_images *im)
{
    char now[40], *json = NULL;
    size_t len = 0;
    sf_error e = SF_ERROR_INIT;
    if (!c->refs_prod)
        return;
    sf_job_now(now, sizeof now);
    sf_refs_msg m = {.run_id = c->run->id, .digest = p->digest, .images = im->v,
                     .nimages = im->n, .refs = p->refs.v, .nrefs = p->refs.n,
                     .platforms = p->platforms->v, .nplatforms = p->platforms->n,
                     .db_version = (char *)sf_sched_db_version(c->sched), .produced_at = now};
    int rc = sf_refs_encode(&m, &json, &len, &e);
    if (!rc)
        rc = sf_kprod_produce(c->refs_prod, c->cfg->results_topic, p->digest, strlen(p->digest),
                              json, len, NULL, &e);
    free(json);
    if (rc) {
        sf_run_error(c->run, rc);
        if (!c->kafka_rc) { /* a lost refs message fails the run like a lost job */
            c->kafka_rc = rc;
            c->kafka_err = e;
        }
        SF_ERROR("enum", "refs message not published|digest=%s error=\"%s\"", p->digest, e.msg);
        return;
    }
    sf_run_add(&c->run->refs_msgs, 1);
}

/* Count a verdict's doubt (Redis down or slow, unusable entry): the job
 * is published. One warning per run; Redis backs off, the rest only
 * count. */
static void note_verdict(collector *c, const char *digest, sf_sched_verdict v, const sf_error *e)
{
    if (v == SF_SCHED_PUBLISH_ERROR &&
        __atomic_add_fetch(&c->run->skip_check_errors, 1, __ATOMIC_RELAXED) == 1)
        SF_WARN("enum", "cannot tell if results are current, publishing|digest=%s "
                        "error=\"%s\"", digest, e->msg);
}

/* The verdict of p's digest, asked now if precheck_repo did not. */
static void ask_now(collector *c, pend *p)
{
    sf_error e = SF_ERROR_INIT;
    if (p->pc.done)
        return;
    p->pc.v = sf_sched_check_images(c->sched, p->digest, p->platforms->v, p->platforms->n,
                                    &p->pc.im, &e);
    p->pc.done = 1;
    note_verdict(c, p->digest, p->pc.v, &e);
}

/* 1 when the digest's cached result is current and its job is skipped
 * (its refs go out as a refs message). Any doubt publishes. Caller holds
 * c->mu. */
static int skip_current(collector *c, pend *p)
{
    if (!c->sched)
        return 0;
    ask_now(c, p);
    if (p->pc.v != SF_SCHED_SKIP_CURRENT)
        return 0;
    sf_run_add(&c->run->skipped_current, 1);
    SF_DEBUG("enum", "job skipped, result current|digest=%s images=%zu refs=%zu", p->digest,
             p->pc.im.n, p->refs.n);
    publish_refs(c, p, &p->pc.im);
    return 1;
}

/* Publish p's job; 1 when it was skipped as current instead. */
static int publish(collector *c, pend *p)
{
    char now[40], *json = NULL;
    size_t len = 0;
    sf_error e = SF_ERROR_INIT;
    if (skip_current(c, p))
        return 1;
    sf_job_now(now, sizeof now);
    sf_job j = {.run_id = c->run->id, .kind = SF_JOB_SCAN, .registry = p->registry,
                .repository = p->repo, .digest = p->digest, .refs = p->refs.v,
                .nrefs = p->refs.n, .platforms = p->platforms->v, .nplatforms = p->platforms->n,
                .enqueued_at = now};
    int rc = sf_job_encode(&j, &json, &len, &e);
    if (!rc)
        rc = sf_kprod_produce(c->prod, c->cfg->topic, p->digest, strlen(p->digest), json, len,
                              NULL, &e);
    free(json);
    if (rc) {
        sf_run_error(c->run, rc);
        if (!c->kafka_rc) {
            c->kafka_rc = rc;
            c->kafka_err = e;
        }
        SF_ERROR("enum", "job not published|digest=%s error=\"%s\"", p->digest, e.msg);
        return 0;
    }
    sf_run_add(&c->run->jobs, 1);
    return 0;
}

/*
 * Refs of a digest whose job already went out (or was skipped as current)
 * in this run, met in a later repository: with a small merge window that
 * is the common case, so they go to the aggregator as a refs message (of
 * the same run, so they add to the job's refs; the aggregator keeps them
 * until the result lands). A published job's result is keyed by the
 * digest itself (an index's platforms look it up by their index digest);
 * a skipped digest's results are those of its cache entry. Without a
 * refs producer or a DB version they are only counted (refs_late).
 * Caller holds c->mu.
 */
static void late_refs(collector *c, pend *p, int skipped)
{
    sf_run_add(&c->run->refs_late, (long)p->refs.n);
    if (!c->refs_prod || !c->sched || !sf_sched_db_version(c->sched))
        return;
    char *self[] = {p->digest};
    sf_sched_images im = {self, 1};
    if (skipped) {
        ask_now(c, p);
        if (p->pc.v != SF_SCHED_SKIP_CURRENT)
            return;
        im = p->pc.im;
    }
    publish_refs(c, p, &im);
}

/* Publish every held job. Caller holds c->mu. */
static void flush_locked(collector *c)
{
    for (size_t i = 0; i < c->np; i++) {
        uint32_t *v;
        int skipped = publish(c, &c->p[i]);
        if (sf_dset_get(c->set, c->p[i].digest, 0, &v, NULL) == SF_OK)
            *v = skipped ? DV_SKIPPED : DV_PUBLISHED;
        pend_free(&c->p[i]);
    }
    c->np = 0;
    c->held_refs = 0;
}

static int add_ref(collector *c, pend *p, const char *ref)
{
    if (p->refs.n >= SF_JOB_MAX_REFS) {
        sf_run_add(&c->run->refs_dropped, 1);
        return SF_OK;
    }
    char **nv = realloc(p->refs.v, (p->refs.n + 1) * sizeof *nv);
    if (!nv)
        return SF_ENOMEM;
    p->refs.v = nv;
    if (!(nv[p->refs.n] = sf_strdup(ref)))
        return SF_ENOMEM;
    p->refs.n++;
    c->held_refs++;
    return SF_OK;
}

static pend *new_pend(collector *c, const char *host, const char *repo, const char *digest,
                      const sf_strlist *platforms)
{
    pend *np = sf_array_grow(c->p, &c->capp, c->np, sizeof *np, 256, 0);
    if (!np)
        return NULL;
    c->p = np;
    pend *p = &c->p[c->np];
    memset(p, 0, sizeof *p);
    p->platforms = platforms;
    p->registry = sf_strdup(host), p->repo = sf_strdup(repo), p->digest = sf_strdup(digest);
    if (!p->registry || !p->repo || !p->digest) {
        pend_free(p);
        return NULL;
    }
    c->np++;
    return p;
}

/* Take one digest group (refs of one repository) into the collector,
 * with its verdict pc (when precheck_repo asked; a new pending job takes
 * it over, otherwise it stays the caller's). */
static void collect_group(collector *c, const char *host, const char *repo, const char *digest,
                          char **refs, size_t n, const sf_strlist *platforms, precheck *pc)
{
    uint32_t *v = NULL;
    int added = 0;
    pthread_mutex_lock(&c->mu);
    int rc = sf_dset_get(c->set, digest, 1, &v, &added);
    pend *p = NULL;
    if (rc == SF_ELIMIT || rc == SF_ENOMEM) {
        /* Set full: still publish (a duplicate job beats a lost image). */
        sf_run_error(c->run, SF_ELIMIT);
        pend tmp = {0};
        tmp.registry = (char *)host, tmp.repo = (char *)repo, tmp.digest = (char *)digest;
        tmp.refs.v = refs, tmp.refs.n = n, tmp.platforms = platforms, tmp.pc = *pc;
        publish(c, &tmp);
        *pc = tmp.pc; /* what ask_now allocated goes back to the caller */
        pthread_mutex_unlock(&c->mu);
        return;
    }
    if (added) {
        sf_run_add(&c->run->digests, 1);
        if (c->np == 0)
            c->held_since = sf_run_elapsed(c->run);
        p = new_pend(c, host, repo, digest, platforms);
        if (p) {
            *v = DV_PENDING0 + (uint32_t)(c->np - 1);
            p->pc = *pc;
            *pc = (precheck){0};
        }
    } else if (*v == DV_PUBLISHED || *v == DV_SKIPPED) {
        pend late = {.registry = (char *)host, .repo = (char *)repo, .digest = (char *)digest,
                     .refs = {refs, n}, .platforms = platforms, .pc = *pc};
        late_refs(c, &late, *v == DV_SKIPPED);
        *pc = late.pc;
    } else if (*v >= DV_PENDING0) {
        p = &c->p[*v - DV_PENDING0];
    }
    for (size_t i = 0; p && i < n; i++)
        if (add_ref(c, p, refs[i]))
            sf_run_error(c->run, SF_ENOMEM);
    if (added && !p)
        sf_run_error(c->run, SF_ENOMEM);
    /* Publish held jobs when the window is full, or when the oldest has
     * waited merge_hold: workers should not idle through a long crawl. */
    if (c->held_refs > c->cfg->merge_window ||
        (c->cfg->merge_hold_s > 0 && c->np &&
         sf_run_elapsed(c->run) - c->held_since >= (double)c->cfg->merge_hold_s))
        flush_locked(c);
    pthread_mutex_unlock(&c->mu);
}

/* One digest group of a repository: its tags are ix[start..end). */
typedef struct group {
    const char *digest;
    size_t start, end;
    precheck pc;
} group;

/*
 * Ask whether the digests of one repository are current before the
 * collector lock is taken, in one pipelined Redis exchange
 * (sf_sched_check_many), so that resolver threads neither wait one round
 * trip per digest nor hold c->mu through them. Asked: digests new in this
 * run (their job is published or skipped) and those skipped earlier in it
 * (their late refs need the cached result's digests); a pending or
 * published job needs no answer. Another thread may take a digest between
 * this and collect_group: the answer then goes unused, or (not asked, now
 * new) ask_now asks under the lock. No memory: all asked there.
 */
static void precheck_repo(collector *c, group *g, size_t ng, const sf_strlist *platforms)
{
    if (!c->sched || ng == 0)
        return;
    sf_sched_item *it = calloc(ng, sizeof *it);
    size_t *gi = malloc(ng * sizeof *gi), k = 0;
    if (!it || !gi)
        goto done;
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < ng; i++) {
        uint32_t *v = NULL;
        int rc = sf_dset_get(c->set, g[i].digest, 0, &v, NULL);
        if (rc == SF_OK && *v != DV_SKIPPED)
            continue;
        it[k] = (sf_sched_item){.digest = g[i].digest, .platforms = platforms->v,
                                .nplatforms = platforms->n};
        gi[k++] = i;
    }
    pthread_mutex_unlock(&c->mu);
    sf_sched_check_many(c->sched, it, k);
    for (size_t m = 0; m < k; m++) {
        g[gi[m]].pc = (precheck){.done = 1, .v = it[m].verdict, .im = it[m].images};
        note_verdict(c, it[m].digest, it[m].verdict, &it[m].err);
    }
done:
    free(it), free(gi);
}

/* ---- per-registry enumeration ---- */

typedef struct repo_task {
    char *name;
    char **tags;
    char **digests; /* per tag; NULL = not resolved */
    size_t ntags;
    size_t left;    /* atomic: tags not yet resolved */
} repo_task;

typedef struct item {
    repo_task *rt;
    size_t idx;
} item;

typedef struct regctx {
    const sf_coordcfg *cfg;
    const sf_regcfg *rc;
    sf_reg *reg;
    regex_t re;
    int have_re;
    collector *col;
    sf_run *run;
    const atomic_int *cancel;
    pthread_mutex_t mu;
    pthread_cond_t work, not_full;
    item *q;            /* resolve items, ring of QCAP */
    size_t qh, qn;
    char **lq;          /* repositories waiting to be listed, ring of LQCAP */
    size_t lh, ln;
    int listing;        /* workers listing a repository right now */
    int closed;         /* the walker queues no more repositories */
    long consecutive;   /* atomic */
    volatile int failed;
    char fail_msg[SF_ERRMSG_MAX];
    long repos, tags_ignored; /* atomic */
} regctx;

static void task_free(repo_task *t)
{
    for (size_t i = 0; i < t->ntags; i++) {
        free(t->tags[i]);
        free(t->digests ? t->digests[i] : NULL);
    }
    free(t->tags), free(t->digests), free(t->name), free(t);
}

/* Count a failed request; skip the registry when they keep failing. */
static void note_failure(regctx *x, int code, const char *msg)
{
    sf_run_error(x->run, code);
    if (code == SF_ENOTFOUND || code == SF_EINVAL || code == SF_EDIGEST || code == SF_EPARSE)
        return; /* about one tag, not the registry */
    long n = __atomic_add_fetch(&x->consecutive, 1, __ATOMIC_RELAXED);
    if (n >= x->cfg->registry_failures && !x->failed) {
        pthread_mutex_lock(&x->mu);
        if (!x->failed) {
            snprintf(x->fail_msg, sizeof x->fail_msg, "%s", msg);
            x->failed = 1;
        }
        pthread_cond_broadcast(&x->not_full);
        pthread_cond_broadcast(&x->work);
        pthread_mutex_unlock(&x->mu);
    }
}

static int stopped(const regctx *x) { return x->failed || (x->cancel && *x->cancel); }

static int cmp_idx_digest(const void *a, const void *b, void *ctx)
{
    char **d = ctx;
    return strcmp(d[*(const size_t *)a], d[*(const size_t *)b]);
}

/* All tags of t resolved: group by digest, ask which are current, and
 * collect. */
static void finish_repo(regctx *x, repo_task *t)
{
    size_t *ix = malloc(t->ntags * sizeof *ix), n = 0, ng = 0;
    char **refs = malloc(t->ntags * sizeof *refs);
    group *g = calloc(t->ntags, sizeof *g);
    if (!ix || !refs || !g) {
        sf_run_error(x->run, SF_ENOMEM);
        goto done;
    }
    for (size_t i = 0; i < t->ntags; i++)
        if (t->digests[i])
            ix[n++] = i;
    qsort_r(ix, n, sizeof *ix, cmp_idx_digest, t->digests);
    for (size_t i = 0, j; i < n; i = j, ng++) {
        for (j = i; j < n && strcmp(t->digests[ix[j]], t->digests[ix[i]]) == 0; j++)
            ;
        g[ng] = (group){.digest = t->digests[ix[i]], .start = i, .end = j};
    }
    precheck_repo(x->col, g, ng, &x->rc->platforms);
    const char *host = sf_reg_host(x->reg);
    for (size_t gi = 0; gi < ng; gi++) {
        size_t k = 0;
        for (size_t j = g[gi].start; j < g[gi].end; j++) {
            size_t len = strlen(host) + strlen(t->name) + strlen(t->tags[ix[j]]) + 3;
            if ((refs[k] = malloc(len)))
                snprintf(refs[k++], len, "%s/%s:%s", host, t->name, t->tags[ix[j]]);
        }
        collect_group(x->col, host, t->name, g[gi].digest, refs, k, &x->rc->platforms,
                      &g[gi].pc);
        for (size_t m = 0; m < k; m++)
            free(refs[m]);
    }
done:
    for (size_t gi = 0; g && gi < ng; gi++)
        sf_sched_images_clear(&g[gi].pc.im);
    free(ix), free(refs), free(g);
    task_free(t);
}

/* Resolve one tag; the thread that resolves a repository's last tag
 * finishes the repository. */
static void resolve_one(regctx *x, item it)
{
    repo_task *t = it.rt;
    if (!stopped(x)) {
        char d[SF_DIGEST_MAX];
        sf_error e = SF_ERROR_INIT;
        int rc = sf_reg_resolve(x->reg, t->name, t->tags[it.idx], d, NULL, 0, &e);
        if (rc == SF_OK) {
            t->digests[it.idx] = sf_strdup(d);
            __atomic_store_n(&x->consecutive, 0, __ATOMIC_RELAXED);
            sf_run_add(&x->run->tags_resolved, 1);
        } else {
            SF_DEBUG("enum", "resolve failed|repo=%s tag=%s error=\"%s\"", t->name,
                     t->tags[it.idx], e.msg);
            note_failure(x, rc, e.msg);
        }
    }
    if (__atomic_sub_fetch(&t->left, 1, __ATOMIC_ACQ_REL) == 0)
        finish_repo(x, t);
}

typedef struct taglist {
    regctx *x;
    char **v;
    size_t n, cap;
} taglist;

static int on_tag(void *ctx, const char *tag)
{
    taglist *l = ctx;
    if ((long)l->n >= l->x->cfg->max_tags_per_repo) {
        sf_run_add(&l->x->tags_ignored, 1);
        return SF_OK;
    }
    char **nv = sf_array_grow(l->v, &l->cap, l->n, sizeof *nv, 64, 0);
    if (!nv)
        return SF_ENOMEM;
    l->v = nv;
    if (!(l->v[l->n] = sf_strdup(tag)))
        return SF_ENOMEM;
    l->n++;
    return SF_OK;
}

/* Queue a resolve item without blocking: 0 when queued, -1 when full
 * (the caller then resolves it itself, so workers never wait on each
 * other and memory stays bounded). */
static int try_push(regctx *x, item it)
{
    pthread_mutex_lock(&x->mu);
    if (x->qn == QCAP) {
        pthread_mutex_unlock(&x->mu);
        return -1;
    }
    x->q[(x->qh + x->qn) % QCAP] = it;
    x->qn++;
    pthread_cond_signal(&x->work);
    pthread_mutex_unlock(&x->mu);
    return 0;
}

/* One repository (on a worker): list and select its tags, then queue
 * them for resolving. */
static void list_repo(regctx *x, const char *name)
{
    taglist l = {x, NULL, 0, 0};
    sf_error e = SF_ERROR_INIT;
    int rc = sf_reg_tags(x->reg, name, x->rc->page_size, on_tag, &l, &e);
    if (rc) {
        SF_WARN("enum", "cannot list tags|registry=%s repo=%s error=\"%s\"", sf_reg_host(x->reg),
                name, e.msg);
        note_failure(x, rc, e.msg);
        goto fail;
    }
    __atomic_store_n(&x->consecutive, 0, __ATOMIC_RELAXED);
    sf_run_add(&x->run->tags, (long)l.n);
    size_t k = sf_enum_select_tags(x->rc, x->have_re ? &x->re : NULL, l.v, l.n);
    l.n = k;
    sf_run_add(&x->run->tags_selected, (long)k);
    if (k == 0)
        goto fail;
    repo_task *t = calloc(1, sizeof *t);
    if (!t || !(t->name = sf_strdup(name)) || !(t->digests = calloc(k, sizeof(char *)))) {
        if (t)
            free(t->name), free(t);
        sf_run_error(x->run, SF_ENOMEM);
        goto fail;
    }
    t->tags = l.v, t->ntags = k, t->left = k;
    for (size_t i = 0; i < k; i++)
        if (try_push(x, (item){t, i}))
            resolve_one(x, (item){t, i}); /* may finish and free t: i is its last use */
    return;
fail:
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i]);
    free(l.v);
}

/* Worker: resolve items first (they finish repositories and free
 * memory), else list the next repository; exit when the walker is done
 * and nothing is queued or being listed. */
static void *worker_main(void *arg)
{
    regctx *x = arg;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        if (x->qn) {
            item it = x->q[x->qh];
            x->qh = (x->qh + 1) % QCAP, x->qn--;
            pthread_mutex_unlock(&x->mu);
            resolve_one(x, it);
            pthread_mutex_lock(&x->mu);
        } else if (x->ln) {
            char *name = x->lq[x->lh];
            x->lh = (x->lh + 1) % LQCAP, x->ln--;
            x->listing++;
            pthread_cond_signal(&x->not_full);
            pthread_mutex_unlock(&x->mu);
            if (!stopped(x))
                list_repo(x, name);
            free(name);
            pthread_mutex_lock(&x->mu);
            x->listing--;
            pthread_cond_broadcast(&x->work);
        } else if (x->closed && x->listing == 0) {
            pthread_cond_broadcast(&x->work);
            pthread_mutex_unlock(&x->mu);
            return NULL;
        } else {
            pthread_cond_wait(&x->work, &x->mu);
        }
    }
}

/* Walker callback per repository name: filter, then queue for listing
 * (blocks while LQCAP repositories wait). */
static int on_repo(void *ctx, const char *name)
{
    regctx *x = ctx;
    if (stopped(x))
        return SF_ECANCELED;
    if (!sf_enum_repo_selected(x->rc, name))
        return SF_OK;
    char *copy = sf_strdup(name);
    if (!copy)
        return SF_ENOMEM;
    sf_run_add(&x->run->repositories, 1);
    sf_run_add(&x->repos, 1);
    pthread_mutex_lock(&x->mu);
    while (x->ln == LQCAP && !stopped(x))
        pthread_cond_wait(&x->not_full, &x->mu);
    if (stopped(x)) {
        pthread_mutex_unlock(&x->mu);
        free(copy);
        return SF_ECANCELED;
    }
    x->lq[(x->lh + x->ln) % LQCAP] = copy;
    x->ln++;
    pthread_cond_signal(&x->work);
    pthread_mutex_unlock(&x->mu);
    return SF_OK;
}

static int open_registry(regctx *x, sf_error *err)
{
    const char *user, *pass;
    sf_regcfg_credentials(x->rc, &user, &pass);
    sf_reg_opts o = {.url = x->rc->url, .username = user, .password = pass,
                     .docker_config = x->rc->docker_config, .insecure = x->rc->insecure,
                     .max_conns = x->rc->concurrency, .rate = x->rc->rate,
                     .max_retries = x->rc->max_retries, .cancel = x->cancel,
                     .ca_file = x->rc->ca_file, .list_max_pages = x->cfg->max_pages,
                     .list_max_entries = x->cfg->max_repositories,
                     .strict_realm = x->rc->strict_realm};
    int rc = sf_reg_new(&x->reg, &o, err);
    if (!rc && x->rc->tag_regex) {
        if (regcomp(&x->re, x->rc->tag_regex, REG_EXTENDED | REG_NOSUB))
            return sf_error_set(err, SF_ECONFIG, "bad tags.regex");
        x->have_re = 1;
    }
    if (!rc)
        rc = sf_reg_ping(x->reg, err);
    return rc;
}

/* Walk the catalog and/or the explicit repositories. */
static void walk(regctx *x)
{
    sf_error e = SF_ERROR_INIT;
    if (x->rc->catalog) {
        int rc = sf_reg_catalog(x->reg, x->rc->page_size, on_repo, x, &e);
        if (rc && !x->failed && !(x->cancel && *x->cancel)) {
            sf_run_error(x->run, rc);
            snprintf(x->fail_msg, sizeof x->fail_msg, "catalog: %.200s", e.msg);
            x->failed = 1;
        }
    }
    for (size_t i = 0; i < x->rc->repositories.n && !x->failed; i++) {
        if (!sf_reg_valid_repo(x->rc->repositories.v[i])) {
            SF_WARN("enum", "invalid repository name in config|index=%zu", i);
            sf_run_error(x->run, SF_EINVAL);
            continue;
        }
        if (on_repo(x, x->rc->repositories.v[i]) == SF_ECANCELED)
            break;
    }
}

static void enumerate_registry(const sf_coordcfg *cfg, const sf_regcfg *rc, collector *col,
                               sf_run *run, const atomic_int *cancel)
{
    regctx x;
    sf_error e = SF_ERROR_INIT;
    pthread_t th[256];
    int nth = 0;
    memset(&x, 0, sizeof x);
    x.cfg = cfg, x.rc = rc, x.col = col, x.run = run, x.cancel = cancel;
    pthread_mutex_init(&x.mu, NULL);
    pthread_cond_init(&x.work, NULL);
    pthread_cond_init(&x.not_full, NULL);
    sf_run_add(&run->registries, 1);
    x.q = malloc(QCAP * sizeof *x.q);
    x.lq = malloc(LQCAP * sizeof *x.lq);
    if (!x.q || !x.lq) {
        sf_error_set(&e, SF_ENOMEM, "out of memory");
        goto failed;
    }
    int rc0 = open_registry(&x, &e);
    if (rc0) {
        sf_run_error(run, rc0);
        goto failed;
    }
    int want = rc->concurrency > 0 ? rc->concurrency : 1;
    for (; nth < want && nth < 256; nth++)
        if (pthread_create(&th[nth], NULL, worker_main, &x))
            break;
    if (nth == 0) {
        sf_error_set(&e, SF_EINTERNAL, "cannot start resolver threads");
        goto failed;
    }
    walk(&x);
    pthread_mutex_lock(&x.mu);
    x.closed = 1;
    pthread_cond_broadcast(&x.work);
    pthread_mutex_unlock(&x.mu);
    for (int i = 0; i < nth; i++)
        pthread_join(th[i], NULL);
    sf_run_add(&run->requests, sf_reg_requests(x.reg));
    if (x.tags_ignored)
        SF_WARN("enum", "tags past max_tags_per_repo ignored|registry=%s count=%ld",
                sf_reg_host(x.reg), x.tags_ignored);
    if (x.failed) {
        sf_error_set(&e, SF_ESERVER, "%s", x.fail_msg);
        goto failed;
    }
    SF_INFO("enum", "registry enumerated|registry=%s repositories=%ld names_invalid=%ld "
            "requests=%ld",
            sf_reg_host(x.reg), x.repos, sf_reg_names_skipped(x.reg), sf_reg_requests(x.reg));
    goto done;
failed:
    sf_run_add(&run->registries_failed, 1);
    SF_ERROR("enum", "registry skipped|registry=%s repositories_done=%ld error=\"%s\"",
             x.reg ? sf_reg_host(x.reg) : "?", x.repos, e.msg);
done:
    if (x.have_re)
        regfree(&x.re);
    sf_reg_free(x.reg);
    free(x.q);
    while (x.lq && x.ln) { /* names left behind by a failed registry */
        free(x.lq[x.lh]);
        x.lh = (x.lh + 1) % LQCAP, x.ln--;
    }
    free(x.lq);
    pthread_mutex_destroy(&x.mu);
    pthread_cond_destroy(&x.work);
    pthread_cond_destroy(&x.not_full);
}

int sf_enumerate_run(const sf_coordcfg *cfg, sf_kprod *prod, sf_run *run,
                     const atomic_int *cancel, sf_error *err)
{
    return sf_enumerate_run_sched(cfg, prod, NULL, NULL, run, cancel, err);
}

int sf_enumerate_run_sched(const sf_coordcfg *cfg, sf_kprod *prod, sf_sched *sched,
                           sf_kprod *refs_prod, sf_run *run, const atomic_int *cancel,
                           sf_error *err)
{
    collector col;
    sf_kprod_stats st0, rs0 = {0};
    sf_kprod_stats_get(prod, &st0);
    if (refs_prod)
        sf_kprod_stats_get(refs_prod, &rs0);
    memset(&col, 0, sizeof col);
    col.cfg = cfg, col.prod = prod, col.run = run, col.sched = sched, col.refs_prod = refs_prod;
    pthread_mutex_init(&col.mu, NULL);
    if (sf_dset_new(&col.set, (size_t)cfg->max_digests)) {
        pthread_mutex_destroy(&col.mu);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < cfg->nregs && !(cancel && *cancel); i++) {
        enumerate_registry(cfg, &cfg->regs[i], &col, run, cancel);
        /* Held jobs of one registry may still merge with the next one's;
         * the window, not the registry boundary, decides when they go. */
    }
    run->enum_seconds = sf_run_elapsed(run);
    pthread_mutex_lock(&col.mu);
    flush_locked(&col);
    pthread_mutex_unlock(&col.mu);
    SF_DEBUG("enum", "digest set|entries=%zu bytes=%zu", sf_dset_count(col.set),
             sf_dset_bytes(col.set));
    int rc = col.kafka_rc;
    if (rc)
        sf_error_set(err, rc, "%s", col.kafka_err.msg);
    sf_error fe = SF_ERROR_INIT;
    int frc = sf_kprod_flush(prod, -1, &fe);
    sf_kprod_stats st;
    sf_kprod_stats_get(prod, &st);
    run->jobs_delivered = (long)(st.delivered - st0.delivered);
    if (frc && !rc)
        rc = sf_error_set(err, frc, "%s", fe.msg);
    if (refs_prod) {
        /* Refs messages are not jobs: their own producer keeps
         * jobs_delivered (the aggregator's run total) exact. */
        frc = sf_kprod_flush(refs_prod, -1, &fe);
        sf_kprod_stats_get(refs_prod, &st);
        run->refs_msgs_delivered = (long)(st.delivered - rs0.delivered);
        if (frc && !rc)
            rc = sf_error_set(err, frc, "refs messages: %s", fe.msg);
    }
    if (cancel && *cancel && !rc)
        rc = sf_error_set(err, SF_ECANCELED, "canceled");
    sf_dset_free(col.set);
    free(col.p);
    pthread_mutex_destroy(&col.mu);
    return rc;
}
