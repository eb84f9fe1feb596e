/*
 * events_parse: registry event payloads -> scanfarm push/delete events.
 *
 * Four formats, as the registries send them (docs/events.md):
 *   - the CNCF distribution notification envelope
 *     (application/vnd.docker.distribution.events.v1+json): {"events":[...]},
 *     each {action, target{mediaType, digest, repository, tag, url},
 *     request{host}};
 *   - the Harbor webhook (Default payload): {type: PUSH_ARTIFACT |
 *     DELETE_ARTIFACT, event_data{resources[{digest, tag, resource_url}],
 *     repository{repo_full_name}}};
 *   - the Azure Container Registry webhook: ONE event object of the
 *     distribution shape (action push | delete);
 *   - CloudEvents 1.0 structured JSON as Event Grid delivers ACR events
 *     (type Microsoft.ContainerRegistry.ImagePushed / ImageDeleted, data =
 *     the ACR event), one object or a batch array; an Event Grid schema
 *     SubscriptionValidationEvent yields its validation code.
 *
 * The rules (issue 14): blob pushes and deletes, pulls, mounts and other
 * event types are ignored (counted). A manifest push becomes a push event
 * only with a tag: scanfarm tracks registry/repo:tag refs, and the
 * platform manifests of an index are pushed untagged right before the
 * tagged index, so taking untagged pushes would scan each platform twice
 * (once alone, once through the index job). A digest-only push is
 * scanned when it is tagged or at the next enumeration. A delete names a
 * digest (manifest delete) or a tag (tag delete) of a repository.
 *
 * Any malformed part (not JSON, a wrong type, an invalid digest, name or
 * host) fails the whole body with SF_EPARSE and a reason naming the
 * field; more than SF_EVENTS_MAX_PER_BODY kept events is SF_ELIMIT.
 */
#ifndef SF_COORD_EVENTS_PARSE_H
#define SF_COORD_EVENTS_PARSE_H

#include <stddef.h>

#include "base/digest.h"
#include "base/err.h"

/* Push/delete events kept from one request body. A registry's envelope
 * holds the events queued while the endpoint was busy; 10k manifest
 * events (~7 MB parsed) is far past any real batch. Ignored events
 * (blobs) are only counted, so they do not count against this. */
#define SF_EVENTS_MAX_PER_BODY 10000
/* Longest registry host[:port] kept (DNS names are at most 253). */
#define SF_EVENT_HOST_MAX 256
/* Longest repository name kept (distribution's own limit is 255). */
#define SF_EVENT_REPO_MAX 256
/* Longest Event Grid validation code echoed back. */
#define SF_EVENT_VCODE_MAX 128

typedef enum sf_ev_action { SF_EV_PUSH = 1, SF_EV_DELETE = 2 } sf_ev_action;

typedef struct sf_event {
    sf_ev_action action;
    char registry[SF_EVENT_HOST_MAX];   /* host[:port] the registry is reached at */
    char repository[SF_EVENT_REPO_MAX];
    char digest[SF_DIGEST_MAX];         /* "" for a tag delete */
    char tag[129];                      /* "" for a digest delete */
    int is_index;                       /* media type says index / manifest list */
} sf_event;

typedef struct sf_evlist {
    sf_event *v;
    size_t n, cap;
    size_t ignored;                 /* events dropped by the rules above */
    char vcode[SF_EVENT_VCODE_MAX]; /* Event Grid validation code ("" none) */
} sf_evlist;

/* Free the events and zero l. */
void sf_evlist_clear(sf_evlist *l);

/* Each parser appends to out (which may already hold events); on failure
 * out keeps what it held before the call plus possibly some events of
 * this body (the caller discards the list). err gets the reason. */
int sf_evp_distribution(const char *body, size_t len, sf_evlist *out, sf_error *err);
int sf_evp_harbor(const char *body, size_t len, sf_evlist *out, sf_error *err);
int sf_evp_acr(const char *body, size_t len, sf_evlist *out, sf_error *err);
int sf_evp_cloudevents(const char *body, size_t len, sf_evlist *out, sf_error *err);

/* 1 when s is a plausible registry host[:port] (letters, digits, '.',
 * '-', one ':port', or a bracketed IPv6 literal). */
int sf_evp_valid_host(const char *s);

#endif
