/* notify_int: internals shared by notify.c and notify_github.c. */
#ifndef SF_NOTIFY_INT_H
#define SF_NOTIFY_INT_H

#include "notify.h"
#include "notify_msg.h"
#include "fleet/running.h"

/* How long a snapshot of the running-images inventory answers `running`
 * rules before it is loaded again. */
#define SF_NOTIFY_RUNNING_TTL_MS 30000

struct sf_notify {
    sf_notify_opts o;
    sf_mfam *total; /* scanfarm_notify_notifications_total{sink,outcome} */
    int uses_running;      /* some rule has a running criterion */
    sf_running running;    /* inventory snapshot (sorted) */
    long long running_at;  /* monotonic ms it was loaded, 0 = never */
};

/* POST body to chat sink s (webhook headers: event, delivery id, HMAC). */
int sf_notify_post(sf_notify *n, const sf_nsink *s, const char *event, const char *id,
                   const char *body, sf_error *err);
/* Dead-letter one notification; SF_OK once the DLQ has it. */
int sf_notify_dead_letter(sf_notify *n, const char *sink, const char *id, const char *digest,
                          const sf_error *why, const char *payload, sf_error *err);
/* The body of a digest of items (stored webhook bodies, parsed) for
 * chat or webhook sink s and rule r, id its id: malloc'd, NULL when out
 * of memory (nothing left out: the flush is retried). */
char *sf_ndigest_body(const sf_nsink *s, const sf_nrule *r, const char *id, json_t *items);
/* The delta a first result res stands for (malloc'd JSON text into
 * *out), *out NULL when it is none to notify (not a result, a failed
 * scan, a rematch). SF_OK or SF_ENOMEM. */
int sf_nfirst_delta(json_t *res, char **out);

/* Queue ev (one image's findings for chat sink s) for rule r's digest
 * (notify_digest.c): deduplicated like a delivery, then kept in Redis. */
int sf_notify_digest_queue(sf_notify *n, const sf_nsink *s, const sf_nrule *r, sf_nevent *ev,
                           sf_error *err);

/* 1 when the delta's image runs, 0 when not, -1 when nobody knows: the
 * delta's own "running" (set by rematch), else the running-images
 * inventory in Redis when there is one. */
int sf_notify_running(sf_notify *n, const sf_ndelta *d);

/* Was notification id already acknowledged by sink? (0 without Redis.) */
int sf_notify_seen(sf_notify *n, const char *sink, const char *id, int *seen, sf_error *err);
/* Remember that sink acknowledged id. */
int sf_notify_mark(sf_notify *n, const char *sink, const char *id, sf_error *err);
/* The tracker item number cached for marker id (0 = none; always 0
 * without Redis), and storing it. */
int sf_notify_issue_get(sf_notify *n, const char *sink, const char *id, long *num, sf_error *err);
int sf_notify_issue_put(sf_notify *n, const char *sink, const char *id, long num, sf_error *err);

/*
 * Bring the GitHub issue of (delta's image, finding's advisory) in line:
 * removed = 0 opens it (or reopens a closed one with a comment), 1
 * comments and closes it. Never creates a second issue for the same
 * marker. SF_OK or the request's error (its reason in err).
 */
int sf_notify_github(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f, int removed,
                     sf_error *err);

/* The same for an Azure DevOps work item (notify_ado.c). */
int sf_notify_ado(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f, int removed,
                  sf_error *err);

#endif
