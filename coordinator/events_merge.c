/*
 * events_merge: the merge window and the Kafka side of the webhook intake
 * (events.h for the rules, events_int.h for the locking). Request threads
 * add their events to ev->pending / ev->deletes under one ticket and wait;
 * the merger thread takes the items that are due, decides job or refs
 * message (schedule.h), produces, and the delivery report of each message
 * completes the tickets of the requests that contributed to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/time.h"
#include "bus/msg_job.h"
#include "bus/msg_refs.h"
#include "bus/msg_unref.h"
#include "events_int.h"

uint64_t sf_ev_now_ms(void)
{
    return sf_time_mono_ms();
}

void sf_ev_count(sf_events *ev, int st, uint64_t n) { atomic_fetch_add(&ev->st[st], n); }

void sf_events_run_id(char *out, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* strftime, not snprintf of the tm fields: gcc -O3 (the image's Release
     * build) cannot bound the ints and fails -Werror=format-truncation. */
    if (cap && strftime(out, cap, SF_EVENTS_RUN_PREFIX "%Y%m%dT%H", &tm) == 0)
        out[0] = '\0';
}

void sf_ev_item_free(ev_item *it)
{
    if (!it)
        return;
    free(it->registry), free(it->repo), free(it->digest), free(it->tag);
    for (size_t i = 0; i < it->nrefs; i++)
        free(it->refs[i]);
    free(it->refs);
    free(it->tickets);
    free(it);
}

/* ---- request side (ev->mu held) ---- */

static int attach(ev_item *it, ev_ticket *t)
{
    for (size_t i = 0; i < it->ntickets; i++)
        if (it->tickets[i] == t)
            return SF_OK; /* one request, several events of the same digest */
    ev_ticket **nv = realloc(it->tickets, (it->ntickets + 1) * sizeof *nv);
    if (!nv)
        return SF_ENOMEM;
    it->tickets = nv;
    nv[it->ntickets++] = t;
    t->left++;
    return SF_OK;
}

static int add_ref(ev_item *it, const char *ref)
{
    for (size_t i = 0; i < it->nrefs; i++)
        if (strcmp(it->refs[i], ref) == 0)
            return SF_OK; /* a redelivered event */
    if (it->nrefs >= SF_JOB_MAX_REFS)
        return SF_OK;
    char **nv = realloc(it->refs, (it->nrefs + 1) * sizeof *nv);
    if (!nv)
        return SF_ENOMEM;
    it->refs = nv;
    if (!(nv[it->nrefs] = sf_strdup(ref)))
        return SF_ENOMEM;
    it->nrefs++;
    return SF_OK;
}

static ev_item *new_item(const sf_event *e)
{
    ev_item *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->action = e->action;
    it->registry = sf_strdup(e->registry);
    it->repo = sf_strdup(e->repository);
    it->digest = e->digest[0] ? sf_strdup(e->digest) : NULL;
    it->tag = e->tag[0] ? sf_strdup(e->tag) : NULL;
    it->opened_ms = sf_ev_now_ms();
    if (!it->registry || !it->repo || (e->digest[0] && !it->digest) || (e->tag[0] && !it->tag)) {
        sf_ev_item_free(it);
        return NULL;
    }
    return it;
}

static void append(ev_item **head, ev_item *it)
{
    while (*head)
        head = &(*head)->next;
    *head = it;
}

static int submit_push(sf_events *ev, const sf_event *e, ev_ticket *t)
{
    char ref[SF_EVENT_HOST_MAX + SF_EVENT_REPO_MAX + 132];
    snprintf(ref, sizeof ref, "%s/%s:%s", e->registry, e->repository, e->tag);
    ev_item *it = ev->pending;
    for (; it; it = it->next)
        if (strcmp(it->digest, e->digest) == 0 && strcmp(it->registry, e->registry) == 0)
            break;
    if (it) {
        sf_ev_count(ev, ST_MERGED, 1);
    } else {
        if (!(it = new_item(e)))
            return SF_ENOMEM;
        append(&ev->pending, it);
    }
    int rc = add_ref(it, ref);
    return rc ? rc : attach(it, t);
}

int sf_ev_submit(sf_events *ev, const sf_evlist *l, ev_ticket **out)
{
    ev_ticket *t = calloc(1, sizeof *t);
    int rc = SF_OK;
    *out = NULL;
    if (!t)
        return SF_ENOMEM;
    t->waiting = 1;
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        if (l->v[i].action == SF_EV_PUSH) {
            rc = submit_push(ev, &l->v[i], t);
        } else {
            ev_item *it = new_item(&l->v[i]);
            rc = it ? attach(it, t) : SF_ENOMEM;
            if (it && rc == SF_OK)
                append(&ev->deletes, it);
            else
                sf_ev_item_free(it);
        }
    }
    /* On failure the items already queued still go out (a retry of the
     * request merges with them); the request itself is answered 503. */
    if (rc != SF_OK)
        t->rc = rc;
    ev->last_event_ms = sf_ev_now_ms();
    pthread_cond_broadcast(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    *out = t;
    return SF_OK;
}

int sf_ev_wait(sf_events *ev, ev_ticket *t, long timeout_ms)
{
    struct timespec dl = sf_time_deadline(timeout_ms);
    pthread_mutex_lock(&ev->mu);
    while (t->left > 0 && pthread_cond_timedwait(&ev->cv, &ev->mu, &dl) == 0)
        ;
    int rc = t->left > 0 ? SF_ETIMEOUT : t->rc;
    t->waiting = 0;
    int last = t->left == 0;
    pthread_mutex_unlock(&ev->mu);
    if (last)
        free(t);
    return rc;
}

/* ---- merger side ---- */

/* One message of it finished with code: complete its tickets. Takes ev->mu. */
static void finish(sf_events *ev, ev_item *it, int code)
{
    pthread_mutex_lock(&ev->mu);
    for (size_t i = 0; i < it->ntickets; i++) {
        ev_ticket *t = it->tickets[i];
        if (code != SF_OK && t->rc == SF_OK)
            t->rc = code;
        if (--t->left == 0 && !t->waiting)
            free(t);
    }
    pthread_cond_broadcast(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    if (code != SF_OK)
        sf_ev_count(ev, ST_FAILED, 1);
    sf_ev_item_free(it);
}

/* The kind of message an item became, kept for the delivery report. */
#define KIND_JOB 0
#define KIND_REFS 1
#define KIND_UNREF 2

void sf_ev_on_delivery(void *ctx, void *opaque, int code, const char *errstr)
{
    sf_events *ev = ctx;
    ev_item *it = opaque;
    if (!it)
        return;
    static const char *const kinds[] = {"job", "refs", "unref"};
    int kind = it->kind;
    if (code == SF_OK) {
        sf_ev_count(ev, kind == KIND_JOB ? ST_JOBS : kind == KIND_REFS ? ST_REFS : ST_UNREFS, 1);
        sf_metric_inc(ev->m_msgs, kinds[kind]);
    } else {
        SF_WARN("events", "message not delivered|digest=%s error=\"%s\"",
                it->digest ? it->digest : "-", errstr);
    }
    finish(ev, it, code);
}

static int encode_unref(const ev_item *it, char **json, size_t *len, sf_error *e)
{
    char now[40];
    sf_job_now(now, sizeof now);
    sf_unref_msg m = {.registry = it->registry, .repository = it->repo, .digest = it->digest,
                      .tag = it->digest ? NULL : it->tag, .produced_at = now};
    return sf_unref_encode(&m, json, len, e);
}

/* Job, or refs message when the digest's cached result is current. */
static int encode_push(sf_events *ev, const ev_item *it, int *kind, char **json, size_t *len,
                       sf_error *e)
{
    char now[40], run[32];
    const sf_strlist *pl = &ev->cfg->platforms;
    sf_sched_images im = {0};
    sf_job_now(now, sizeof now);
    sf_events_run_id(run, sizeof run);
    if (ev->sched && sf_sched_check_images(ev->sched, it->digest, pl->v, pl->n, &im, NULL) ==
                         SF_SCHED_SKIP_CURRENT) {
        sf_refs_msg m = {.run_id = run, .digest = it->digest, .images = im.v, .nimages = im.n,
                         .refs = it->refs, .nrefs = it->nrefs, .platforms = pl->v,
                         .nplatforms = pl->n,
                         .db_version = (char *)sf_sched_db_version(ev->sched),
                         .produced_at = now};
        *kind = KIND_REFS;
        int rc = sf_refs_encode(&m, json, len, e);
        sf_sched_images_clear(&im);
        return rc;
    }
    sf_job j = {.run_id = run, .kind = SF_JOB_SCAN, .registry = it->registry,
                .repository = it->repo, .digest = it->digest, .refs = it->refs,
                .nrefs = it->nrefs, .platforms = pl->v, .nplatforms = pl->n,
                .enqueued_at = now};
    *kind = KIND_JOB;
    return sf_job_encode(&j, json, len, e);
}

/* Produce one item; its delivery report finishes it (ownership passes to
 * librdkafka's opaque). */
static void produce_item(sf_events *ev, ev_item *it)
{
    char *json = NULL, key[SF_EVENT_HOST_MAX + SF_EVENT_REPO_MAX + 132];
    size_t len = 0;
    int kind = KIND_UNREF;
    sf_error e = SF_ERROR_INIT;
    int rc = it->action == SF_EV_DELETE ? encode_unref(it, &json, &len, &e)
                                        : encode_push(ev, it, &kind, &json, &len, &e);
    const char *topic = kind == KIND_JOB ? ev->cfg->events.priority_topic
                                         : ev->cfg->results_topic;
    snprintf(key, sizeof key, "%s", it->digest ? it->digest : it->repo);
    it->kind = kind;
    if (rc == SF_OK)
        rc = sf_kprod_produce(ev->prod, topic, key, strlen(key), json, len, it, &e);
    free(json);
    if (rc != SF_OK) {
        SF_ERROR("events", "message not published|digest=%s error=\"%s\"",
                 it->digest ? it->digest : "-", e.msg);
        finish(ev, it, rc);
        return;
    }
    SF_DEBUG("events", "published|kind=%d digest=%s refs=%zu requests=%zu", kind,
             it->digest ? it->digest : "-", it->nrefs, it->ntickets);
}

/* Take the due items off the lists (ev->mu held). */
static ev_item *take_due(sf_events *ev, uint64_t now)
{
    ev_item *due = ev->deletes, **tail = &due, **pp = &ev->pending;
    ev->deletes = NULL;
    while (*tail)
        tail = &(*tail)->next;
    long q = ev->cfg->events.quiet_ms;
    int quiet = q > 0 && now - ev->last_event_ms >= (uint64_t)q;
    while (*pp) {
        ev_item *it = *pp;
        if (ev->stopping || quiet || now - it->opened_ms >= (uint64_t)ev->cfg->events.merge_ms) {
            *pp = it->next;
            it->next = NULL;
            *tail = it;
            tail = &it->next;
        } else {
            pp = &it->next;
        }
    }
    return due;
}

void *sf_ev_merger_main(void *arg)
{
    sf_events *ev = arg;
    for (;;) {
        pthread_mutex_lock(&ev->mu);
        ev_item *due = take_due(ev, sf_ev_now_ms());
        int stop = ev->stopping && !ev->pending && !ev->deletes;
        if (!due && !stop) {
            /* Wake for new work or the next deadline; 5 ms keeps the
             * window's precision well inside its few hundred ms. */
            struct timespec dl = sf_time_deadline(5);
            pthread_cond_timedwait(&ev->cv, &ev->mu, &dl);
        }
        pthread_mutex_unlock(&ev->mu);
        for (ev_item *n; due; due = n) {
            n = due->next;
            produce_item(ev, due);
        }
        sf_kprod_poll(ev->prod);
        if (stop)
            return NULL;
    }
}
