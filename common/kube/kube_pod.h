/*
 * kube_pod: the Kubernetes documents scanfarm-inventory reads, from
 * untrusted JSON: a v1 Pod (what runs, from which image digest, owned by
 * what), a PodList page (items, resourceVersion, continue token), one
 * line of a watch stream (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), a
 * Status (the body of an error, e.g. 410 Gone), and the controller
 * ownerReference of an owner object (a ReplicaSet or Job, to walk to its
 * Deployment or CronJob).
 *
 * The digest is the truth, the tag is for display: a container's digest
 * comes only from status.*ContainerStatuses[].imageID in its
 * "docker-pullable://repo@sha256:..." or "repo@sha256:..." forms. A bare
 * "sha256:..." or "docker://sha256:..." is the local image (config) id,
 * not a manifest digest, and gives none. spec.*containers[].image is kept
 * as written (maybe a tag).
 *
 * Every string is capped (SF_LIM_KUBE_*), so a hostile API server or a
 * corrupt stream cannot make one pod cost more than a few KiB.
 */
#ifndef SF_KUBE_POD_H
#define SF_KUBE_POD_H

#include <jansson.h>
#include <stddef.h>

#include "base/digest.h"
#include "base/err.h"

typedef enum sf_kpod_ckind {
    SF_KPOD_CONTAINER = 0, /* spec.containers */
    SF_KPOD_INIT,          /* spec.initContainers */
    SF_KPOD_EPHEMERAL      /* spec.ephemeralContainers */
} sf_kpod_ckind;

/* One container of a pod. */
typedef struct sf_kpod_ctr {
    char *name;
    sf_kpod_ckind kind;
    char *image;                /* spec image as written ("nginx:1.25"), never NULL */
    char *image_id;             /* status imageID with any scheme stripped, NULL when none */
    char *repo;                 /* normalised repository of image_id or image
                                   ("docker.io/library/nginx") */
    char digest[SF_DIGEST_MAX]; /* manifest digest running, "" when unknown */
    long long started_ms;       /* state.running.startedAt (epoch ms), 0 = not running */
} sf_kpod_ctr;

/* A controller ownerReference (or an owner's own). kind NULL = none. */
typedef struct sf_kpod_owner {
    char *kind;
    char *name;
    char *uid;
} sf_kpod_owner;

typedef struct sf_kpod {
    char *ns;
    char *name;
    char *uid;
    char *rv;        /* metadata.resourceVersion, may be NULL */
    char *node;      /* spec.nodeName, may be NULL */
    char *phase;     /* status.phase, may be NULL */
    long long start_ms; /* status.startTime, 0 unknown */
    int finished;    /* phase Succeeded or Failed: nothing runs any more */
    sf_kpod_owner owner;
    sf_kpod_ctr *ctrs;
    size_t nctrs;
    char *platform;  /* "os/arch" of its node: set by the caller, not parsed */
} sf_kpod;

/* Parse a v1 Pod object (borrowed tree) into *out (free with
 * sf_kpod_free). SF_EPARSE when it is not a pod with a namespace and a
 * name; SF_ELIMIT past the caps. */
int sf_kpod_from_json(json_t *obj, sf_kpod **out, sf_error *err);
/* The same from text. */
int sf_kpod_parse(const char *json, size_t len, sf_kpod **out, sf_error *err);
void sf_kpod_free(sf_kpod *p);

/* One PodList page. */
typedef struct sf_kpod_list {
    sf_kpod **items;
    size_t n;
    char *rv;    /* metadata.resourceVersion of the list */
    char *cont;  /* metadata.continue, NULL on the last page */
} sf_kpod_list;

int sf_kpod_list_parse(const char *json, size_t len, sf_kpod_list *out, sf_error *err);
void sf_kpod_list_clear(sf_kpod_list *l);

typedef enum sf_kev_type {
    SF_KEV_ADDED = 0,
    SF_KEV_MODIFIED,
    SF_KEV_DELETED,
    SF_KEV_BOOKMARK,
    SF_KEV_ERROR
} sf_kev_type;

/* One watch event. */
typedef struct sf_kev {
    sf_kev_type type;
    sf_kpod *pod;   /* ADDED / MODIFIED / DELETED */
    char *rv;       /* the object's resourceVersion (BOOKMARK: the one to resume from) */
    long code;      /* ERROR: the Status code (410 = resourceVersion too old), else 0 */
    char *reason;   /* ERROR: Status reason ("Expired", "Gone"), may be NULL */
} sf_kev;

/* Parse one line of a watch stream. SF_EPARSE on anything else. */
int sf_kev_parse(const char *line, size_t len, sf_kev *out, sf_error *err);
void sf_kev_clear(sf_kev *e);
const char *sf_kev_type_name(sf_kev_type t);

/* A Status document (an error body): its code and reason into code (0
 * when absent) and reason (may be NULL). SF_EPARSE when not a Status. */
int sf_kstatus_parse(const char *json, size_t len, long *code, char *reason, size_t reasonlen,
                     sf_error *err);

/* A v1 Node's "os/arch" (status.nodeInfo.operatingSystem/architecture)
 * into out. SF_EPARSE when absent or not [a-z0-9_]. */
int sf_knode_platform_parse(const char *json, size_t len, char *out, size_t outlen,
                            sf_error *err);

/* The controller ownerReference of any object's metadata (a ReplicaSet,
 * a Job). out->kind NULL when it has none. */
int sf_kpod_owner_parse(const char *json, size_t len, sf_kpod_owner *out, sf_error *err);
void sf_kpod_owner_clear(sf_kpod_owner *o);

/*
 * Split an imageID or image ref into a normalised repository and, when
 * it names one, a manifest digest: schemes "docker-pullable://" and
 * "docker://" are stripped; "nginx" becomes "docker.io/library/nginx";
 * a tag is dropped from the repository. digest = "" when there is no
 * "@algo:hex" part. SF_EPARSE for an empty or overlong value.
 */
int sf_kpod_split_image(const char *s, char *repo, size_t repolen, char *digest,
                        size_t digestlen, sf_error *err);

/* RFC 3339 ("2026-12-02T13:37:00Z", fractions and offsets allowed) to
 * epoch ms; 0 when unparseable. */
long long sf_kpod_time_ms(const char *s);

#endif
