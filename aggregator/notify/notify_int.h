/* notify_int: internals shared by notify.c and notify_github.c. */
#ifndef SF_NOTIFY_INT_H
#define SF_NOTIFY_INT_H

#include "notify.h"
#include "notify_msg.h"

struct sf_notify {
    sf_notify_opts o;
    sf_mfam *total; /* scanfarm_notify_notifications_total{sink,outcome} */
};

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
