/*
 * events_int: what events.c (routes, auth, life cycle) and events_merge.c
 * (merge window, Kafka, acknowledgements) share. Not for other modules.
 *
 * Locking: ev->mu guards the pending list, the delete queue, every
 * ticket and last_event_ms; ev->cv is signalled when work arrives (the
 * merger waits on it) and when a ticket completes (request threads wait
 * on it). Kafka calls are made by the merger thread only, outside ev->mu;
 * delivery reports run on it too (sf_kprod_poll) and take ev->mu.
 */
#ifndef SF_COORD_EVENTS_INT_H
#define SF_COORD_EVENTS_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/metrics.h"
#include "bus/kprod.h"
#include "events.h"
#include "events_http.h"
#include "events_parse.h"

/* One request waiting for its messages' delivery reports. */
typedef struct ev_ticket {
    int left;     /* messages not yet reported */
    int rc;       /* SF_OK, or the first failure */
    int waiting;  /* the request thread still holds it */
} ev_ticket;

/* A digest's job being merged, or a delete to publish. */
typedef struct ev_item {
    sf_ev_action action;
    char *registry, *repo, *digest, *tag;
    char **refs;
    size_t nrefs;
    ev_ticket **tickets;
    size_t ntickets;
    uint64_t opened_ms;
    int kind;     /* what it was published as (events_merge.c KIND_*) */
    struct ev_item *next;
} ev_item;

struct sf_events {
    const sf_coordcfg *cfg;
    sf_sched *sched;
    char *token[SF_SRC_N];
    sf_kprod *prod;
    sf_evh *http;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ev_item *pending; /* pushes in their merge window, oldest first */
    ev_item *deletes;
    uint64_t last_event_ms;
    int stopping;
    pthread_t merger;
    int have_merger;
    atomic_ullong st[12]; /* sf_events_stats fields in order */
    sf_mfam *m_requests, *m_events, *m_msgs, *m_ack_s;
};

enum { ST_REQUESTS, ST_UNAUTH, ST_MALFORMED, ST_TOO_LARGE, ST_PUSHES, ST_DELETES, ST_IGNORED,
       ST_JOBS, ST_REFS, ST_UNREFS, ST_MERGED, ST_FAILED };

uint64_t sf_ev_now_ms(void);
void sf_ev_count(sf_events *ev, int st, uint64_t n);

/* Queue the events of one request under a new ticket (caller waits with
 * sf_ev_wait). SF_ENOMEM leaves nothing queued. */
int sf_ev_submit(sf_events *ev, const sf_evlist *l, ev_ticket **out);
/* Wait for t (at most timeout_ms); returns its outcome (SF_ETIMEOUT when
 * still pending) and gives t up. */
int sf_ev_wait(sf_events *ev, ev_ticket *t, long timeout_ms);

/* The merger thread. */
void *sf_ev_merger_main(void *arg);
/* Kafka delivery report callback (msg_opaque = the published item). */
void sf_ev_on_delivery(void *ctx, void *opaque, int code, const char *errstr);
void sf_ev_item_free(ev_item *it);

#endif
