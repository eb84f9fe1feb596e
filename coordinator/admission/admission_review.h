/*
 * admission_review: the `admission.k8s.io/v1` AdmissionReview documents
 * of scanfarm-admission, without any I/O.
 *
 * The request comes from the API server but is untrusted all the same
 * (anyone who can reach the Service can post one): it is parsed strictly,
 * every string is capped (SF_LIM_KUBE_STR) and at most SF_LIM_ADM_IMAGES
 * images are taken. From request.object the images of the pod spec are
 * collected: a Pod's `spec`; `spec.template.spec` of Deployments,
 * ReplicaSets, StatefulSets, DaemonSets, Jobs and ReplicationControllers;
 * `spec.jobTemplate.spec.template.spec` of CronJobs; in each the
 * `containers`, `initContainers` and `ephemeralContainers` (the
 * `pods/ephemeralcontainers` subresource of `kubectl debug` sends the
 * whole Pod). A kind the gate does not know gives no images (admitted).
 *
 * The response is the shape the Kubernetes documentation gives
 * ("Dynamic Admission Control", webhook response):
 *   {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview",
 *    "response":{"uid":"<request.uid>","allowed":false,
 *                "status":{"code":403,"message":"..."},
 *                "warnings":["..."]}}
 * `status` only when denied, `warnings` only when there are some.
 */
#ifndef SF_ADMISSION_REVIEW_H
#define SF_ADMISSION_REVIEW_H

#include <stddef.h>

#include "base/err.h"
#include "kube/kube_pod.h"

/* One image of the reviewed pod spec. */
typedef struct sf_adm_image {
    char *container;    /* container name ("" when the object has none) */
    sf_kpod_ckind kind; /* containers, initContainers or ephemeralContainers */
    char *image;        /* as written: "nginx:1.25", "reg/x@sha256:..." */
} sf_adm_image;

typedef struct sf_adm_review {
    char *uid;          /* request.uid, echoed in the response */
    char *kind;         /* request.kind.kind ("Pod", "Deployment", ...) */
    char *ns;           /* request.namespace ("" cluster-scoped) */
    char *name;         /* request.name, else metadata.name/generateName, else "" */
    char *operation;    /* CREATE, UPDATE, DELETE, CONNECT */
    char *sub_resource; /* "" or e.g. "ephemeralcontainers" */
    int dry_run;        /* request.dryRun: no side effects (no scan queued) */
    sf_adm_image *images;
    size_t nimages;
} sf_adm_review;

/*
 * Parse an AdmissionReview (JSON) into *out (free with
 * sf_adm_review_free). SF_EPARSE with a reason when it is not an
 * admission.k8s.io/v1 AdmissionReview with a request and a uid, or when a
 * field has the wrong type; SF_ELIMIT past the caps.
 */
int sf_adm_review_parse(const char *body, size_t len, sf_adm_review **out, sf_error *err);
void sf_adm_review_free(sf_adm_review *r);

/* What the gate answers. */
typedef struct sf_adm_verdict {
    int allowed;
    int code;                /* status.code when denied (403) */
    const char *message;     /* status.message when denied */
    const char *const *warnings;
    size_t nwarnings;
} sf_adm_verdict;

/* The response AdmissionReview for uid (compact JSON, malloc'd; NULL
 * when out of memory). Warnings are cut to SF_LIM_ADM_WARNING bytes (on a
 * UTF-8 boundary) and at most SF_LIM_ADM_WARNINGS are sent. */
char *sf_adm_response(const char *uid, const sf_adm_verdict *v);

#endif
