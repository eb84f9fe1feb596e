/*
 * kube_api: the few Kubernetes API calls scanfarm-inventory makes, over
 * the project's libcurl transport (registry/http.h): list pods (one page
 * with limit/continue), watch pods (a chunked stream of one JSON event a
 * line, handed to a callback as it arrives), and GET a ReplicaSet or Job
 * to read its own controller.
 *
 * Authentication is the cluster's (kube_cfg.h): a bearer token read
 * before every request (rotating token files), or a client certificate;
 * the Authorization value is never logged. Namespaces and names are
 * checked against the DNS-1123 character set before they enter a URL.
 *
 * Thread safety: one sf_kapi per thread (the transport itself is safe).
 */
#ifndef SF_KUBE_API_H
#define SF_KUBE_API_H

#include <stdatomic.h>

#include "base/buf.h"
#include "base/err.h"
#include "kube/kube_cfg.h"
#include "kube/kube_pod.h"

typedef struct sf_kapi sf_kapi;

typedef struct sf_kapi_opts {
    const sf_kcfg *cfg;          /* borrowed for the life of the client */
    const atomic_int *cancel;    /* non-zero aborts requests and streams */
    long watch_timeout_s;        /* timeoutSeconds of a watch (0 = 300) */
    int max_retries;             /* list/get retries on 429/5xx/network (-1 = 3) */
} sf_kapi_opts;

int sf_kapi_new(sf_kapi **out, const sf_kapi_opts *o, sf_error *err);
void sf_kapi_free(sf_kapi *a);

/* The server URL (borrowed). */
const char *sf_kapi_server(const sf_kapi *a);

/*
 * One page of pods (ns NULL = all namespaces; cont NULL = first page).
 * *status is the HTTP status; a non-2xx status is SF_OK with out empty
 * (410 = the continue token expired: relist), except 401/403 which are
 * SF_EAUTH. Transport failures as sf_http_fetch.
 */
int sf_kapi_list_pods(sf_kapi *a, const char *ns, long limit, const char *cont,
                      sf_kpod_list *out, long *status, sf_error *err);

/* Called for every event of a watch; may take ev->pod (set it NULL).
 * Return SF_OK to go on, anything else ends the watch with that code. */
typedef int (*sf_kapi_event_fn)(void *ctx, sf_kev *ev);

/*
 * Watch pods from resourceVersion rv (with bookmarks) until the server
 * ends the stream (its timeout), the connection drops, fn stops it or
 * cancel is set. SF_OK for an ended stream; *status the HTTP status
 * (410 = rv too old: relist). A line that is not an event is SF_EPARSE
 * (the stream cannot be trusted past it; the caller resumes).
 */
int sf_kapi_watch_pods(sf_kapi *a, const char *ns, const char *rv, sf_kapi_event_fn fn,
                       void *ctx, long *status, sf_error *err);

/* The controller of owner kind/name in ns ("ReplicaSet" or "Job"; other
 * kinds are SF_EUNSUPPORTED). *status 404/403 leave out empty. */
int sf_kapi_get_owner(sf_kapi *a, const char *ns, const char *kind, const char *name,
                      sf_kpod_owner *out, long *status, sf_error *err);

/* The "os/arch" of node name into out; *status 404/403 leave it "". */
int sf_kapi_node_platform(sf_kapi *a, const char *name, char *out, size_t outlen, long *status,
                          sf_error *err);

/* 1 when s is a usable namespace or object name (DNS-1123 characters). */
int sf_kapi_name_ok(const char *s);

#endif
