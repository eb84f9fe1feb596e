/*
 * enumerate: see enumerate.h for the streaming, grouping and failure
 * rules. The main thread walks the catalog and lists each repository's
 * tags; a pool of resolver threads takes (repository, tag) items from a
 * bounded queue; the thread that resolves a repository's last tag
 * groups the repository by digest, asks Redis which of them are current
 * (one pipelined exchange, outside the collector lock: sf_ecol_precheck),
 * and hands the groups to the collector (enum_collect.c), which owns the
 * digest set, the merge window and the producer calls. Each tag is
 * resolved by enum_resolve.c, which keeps its manifest for the job. The
 * filters are enum_select.c's.
 */
#include "enumerate.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/limits.h"
#include "base/log.h"
#include "enum_collect.h"
#include "enum_resolve.h"
#include "registry/registry.h"

/* Tags waiting for a resolver, and repositories waiting to be listed:
 * together they bound the repositories in flight. */
#define QCAP 4096
#define LQCAP 64

/* ---- per-registry enumeration ---- */

typedef struct repo_task {
    char *name;
    char **tags;
    char **digests; /* per tag; NULL = not resolved */
    sf_rman **mans; /* per tag: its root manifest to carry, or NULL */
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
    sf_ecol *col;
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

static void task_free(sf_ecol *c, repo_task *t)
{
    for (size_t i = 0; i < t->ntags; i++) {
        free(t->tags[i]);
        free(t->digests ? t->digests[i] : NULL);
        sf_rman_free(&c->budget, t->mans ? t->mans[i] : NULL);
    }
    free(t->tags), free(t->digests), free(t->mans), free(t->name), free(t);
}

/* The manifest of group g (the first of its tags that kept one), as the
 * slot sf_ecol_collect may take it from; a NULL slot when none did. */
static sf_rman **group_manifest(repo_task *t, const size_t *ix, const sf_ecol_group *g,
                                sf_rman **none)
{
    for (size_t j = g->start; j < g->end; j++)
        if (t->mans[ix[j]])
            return &t->mans[ix[j]];
    *none = NULL;
    return none;
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
    sf_ecol_group *g = calloc(t->ntags, sizeof *g);
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
        g[ng] = (sf_ecol_group){.digest = t->digests[ix[i]], .start = i, .end = j};
    }
    sf_ecol_precheck(x->col, g, ng, &x->rc->platforms);
    const char *host = sf_reg_host(x->reg);
    for (size_t gi = 0; gi < ng; gi++) {
        size_t k = 0;
        for (size_t j = g[gi].start; j < g[gi].end; j++) {
            size_t len = strlen(host) + strlen(t->name) + strlen(t->tags[ix[j]]) + 3;
            if ((refs[k] = malloc(len)))
                snprintf(refs[k++], len, "%s/%s:%s", host, t->name, t->tags[ix[j]]);
        }
        sf_rman *none, **man = group_manifest(t, ix, &g[gi], &none);
        sf_ecol_collect(x->col, host, t->name, g[gi].digest, refs, k, &x->rc->platforms,
                      &g[gi].pc, man);
        for (size_t m = 0; m < k; m++)
            free(refs[m]);
    }
done:
    for (size_t gi = 0; g && gi < ng; gi++)
        sf_sched_images_clear(&g[gi].pc.im);
    free(ix), free(refs), free(g);
    task_free(x->col, t);
}

/* Resolve one tag; the thread that resolves a repository's last tag
 * finishes the repository. */
static void resolve_one(regctx *x, item it)
{
    repo_task *t = it.rt;
    if (!stopped(x)) {
        char d[SF_DIGEST_MAX];
        sf_error e = SF_ERROR_INIT;
        int rc = sf_enum_resolve(x->reg, t->name, t->tags[it.idx], &x->col->budget, d,
                                 &t->mans[it.idx], &e);
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
    if (!t || !(t->name = sf_strdup(name)) || !(t->digests = calloc(k, sizeof(char *))) ||
        !(t->mans = calloc(k, sizeof *t->mans))) {
        if (t)
            free(t->name), free(t->digests), free(t);
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

static void enumerate_registry(const sf_coordcfg *cfg, const sf_regcfg *rc, sf_ecol *col,
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
    sf_ecol col;
    sf_kprod_stats st0, rs0 = {0};
    sf_kprod_stats_get(prod, &st0);
    if (refs_prod)
        sf_kprod_stats_get(refs_prod, &rs0);
    memset(&col, 0, sizeof col);
    col.cfg = cfg, col.prod = prod, col.run = run, col.sched = sched, col.refs_prod = refs_prod;
    col.budget.cap = SF_LIM_ENUM_MANIFEST_BYTES;
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
    sf_ecol_flush_locked(&col);
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
