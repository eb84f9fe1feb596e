/*
 * enum_collect: see enum_collect.h. A job is published as soon as its
 * repository is done unless a merge window holds it; a digest met again
 * in the run sends its late refs as a refs message (bus/msg_refs.h).
 */
#include "enum_collect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/log.h"
#include "bus/msg_job.h"
#include "bus/msg_refs.h"

/* dset values: 0 fresh, 1 published, 2 skipped as current, k+3 pending
 * job k. */
#define DV_PUBLISHED 1u
#define DV_SKIPPED 2u
#define DV_PENDING0 3u

static void pend_free(sf_ecol *c, sf_ecol_pend *p)
{
    sf_rman_free(&c->budget, p->man);
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
static void publish_refs(sf_ecol *c, const sf_ecol_pend *p, const sf_sched_images *im)
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
static void note_verdict(sf_ecol *c, const char *digest, sf_sched_verdict v, const sf_error *e)
{
    if (v == SF_SCHED_PUBLISH_ERROR &&
        __atomic_add_fetch(&c->run->skip_check_errors, 1, __ATOMIC_RELAXED) == 1)
        SF_WARN("enum", "cannot tell if results are current, publishing|digest=%s "
                        "error=\"%s\"", digest, e->msg);
}

/* The verdict of p's digest, asked now if sf_ecol_precheck did not. */
static void ask_now(sf_ecol *c, sf_ecol_pend *p)
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
static int skip_current(sf_ecol *c, sf_ecol_pend *p)
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
static int publish(sf_ecol *c, sf_ecol_pend *p)
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
    if (p->man) {
        j.manifest = p->man->data, j.manifest_len = p->man->len;
        j.manifest_media_type = p->man->media_type;
    }
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
static void late_refs(sf_ecol *c, sf_ecol_pend *p, int skipped)
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
void sf_ecol_flush_locked(sf_ecol *c)
{
    for (size_t i = 0; i < c->np; i++) {
        uint32_t *v;
        int skipped = publish(c, &c->p[i]);
        if (sf_dset_get(c->set, c->p[i].digest, 0, &v, NULL) == SF_OK)
            *v = skipped ? DV_SKIPPED : DV_PUBLISHED;
        pend_free(c, &c->p[i]);
    }
    c->np = 0;
    c->held_refs = 0;
}

static int add_ref(sf_ecol *c, sf_ecol_pend *p, const char *ref)
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

static sf_ecol_pend *new_pend(sf_ecol *c, const char *host, const char *repo, const char *digest,
                      const sf_strlist *platforms)
{
    sf_ecol_pend *np = sf_array_grow(c->p, &c->capp, c->np, sizeof *np, 256, 0);
    if (!np)
        return NULL;
    c->p = np;
    sf_ecol_pend *p = &c->p[c->np];
    memset(p, 0, sizeof *p);
    p->platforms = platforms;
    p->registry = sf_strdup(host), p->repo = sf_strdup(repo), p->digest = sf_strdup(digest);
    if (!p->registry || !p->repo || !p->digest) {
        pend_free(c, p);
        return NULL;
    }
    c->np++;
    return p;
}

/* Take one digest group (refs of one repository) into the collector,
 * with its verdict pc (when sf_ecol_precheck asked) and root manifest *man
 * (may be NULL): a new pending job takes both over, otherwise they stay
 * the caller's. */
void sf_ecol_collect(sf_ecol *c, const char *host, const char *repo, const char *digest,
                          char **refs, size_t n, const sf_strlist *platforms, sf_ecol_check *pc,
                          sf_rman **man)
{
    uint32_t *v = NULL;
    int added = 0;
    pthread_mutex_lock(&c->mu);
    int rc = sf_dset_get(c->set, digest, 1, &v, &added);
    sf_ecol_pend *p = NULL;
    if (rc == SF_ELIMIT || rc == SF_ENOMEM) {
        /* Set full: still publish (a duplicate job beats a lost image). */
        sf_run_error(c->run, SF_ELIMIT);
        sf_ecol_pend tmp = {0};
        tmp.registry = (char *)host, tmp.repo = (char *)repo, tmp.digest = (char *)digest;
        tmp.refs.v = refs, tmp.refs.n = n, tmp.platforms = platforms, tmp.pc = *pc;
        tmp.man = *man; /* borrowed: the caller frees it */
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
            *pc = (sf_ecol_check){0};
            p->man = *man;
            *man = NULL;
        }
    } else if (*v == DV_PUBLISHED || *v == DV_SKIPPED) {
        sf_ecol_pend late = {.registry = (char *)host, .repo = (char *)repo,
                             .digest = (char *)digest, .refs = {refs, n},
                             .platforms = platforms, .pc = *pc};
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
        sf_ecol_flush_locked(c);
    pthread_mutex_unlock(&c->mu);
}


/*
 * Ask whether the digests of one repository are current before the
 * collector lock is taken, in one pipelined Redis exchange
 * (sf_sched_check_many), so that resolver threads neither wait one round
 * trip per digest nor hold c->mu through them. Asked: digests new in this
 * run (their job is published or skipped) and those skipped earlier in it
 * (their late refs need the cached result's digests); a pending or
 * published job needs no answer. Another thread may take a digest between
 * this and sf_ecol_collect: the answer then goes unused, or (not asked, now
 * new) ask_now asks under the lock. No memory: all asked there.
 */
void sf_ecol_precheck(sf_ecol *c, sf_ecol_group *g, size_t ng, const sf_strlist *platforms)
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
        g[gi[m]].pc = (sf_ecol_check){.done = 1, .v = it[m].verdict, .im = it[m].images};
        note_verdict(c, it[m].digest, it[m].verdict, &it[m].err);
    }
done:
    free(it), free(gi);
}
