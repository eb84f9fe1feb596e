/*
 * admission: scanfarm-admission's decision on one AdmissionReview.
 *
 * For every image of the reviewed pod spec (admission_review.h):
 *   1. its manifest digest: written in the reference ("@sha256:..."), or
 *      a tag resolved with a HEAD to its registry (cached for tag_ttl_ms;
 *      the tag moves, the digest is the truth), falling back to the fleet
 *      view's ref map (`<prefix>:agg:refs`) when the registry does not
 *      answer within the budget;
 *   2. its findings from the fleet view (`<prefix>:agg:views`; a
 *      multi-arch index through `<prefix>:agg:index:<d>`, every platform
 *      counts): findings at or above min_sev (and with a fixed version
 *      when fixable_only) make the image bad;
 *   3. an image with no result (or a failed scan) follows the unscanned
 *      policy: allow (with a warning), deny, or allow-and-scan (admit,
 *      warn, and publish a scan job on the jobs topic, once per digest per
 *      SF_ADM_QUEUED_TTL_MS; never for a dry run).
 * A bad image denies the review (403, the message names each bad image,
 * its worst advisories and their fixed versions); in audit mode the same
 * text comes back as warnings and the review is admitted. Namespaces
 * matching an exemption glob are admitted without a look-up.
 *
 * Everything comes from Redis (and the registry, for tags), within
 * budget_ms: Redis calls use it as their timeout. When Redis cannot
 * answer, the review is not decided: HTTP 503, and the API server applies
 * the webhook's failurePolicy.
 *
 * Thread safety: one sf_adm serves every connection thread.
 */
#ifndef SF_ADMISSION_H
#define SF_ADMISSION_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/metrics.h"
#include "bus/kprod.h"
#include "cache/kv.h"

/* A digest queued for a scan is not queued again for this long. */
#define SF_ADM_QUEUED_TTL_MS (10 * 60 * 1000)

typedef enum sf_adm_unscanned {
    SF_ADM_UNSCANNED_ALLOW = 0,
    SF_ADM_UNSCANNED_DENY,
    SF_ADM_UNSCANNED_SCAN /* allow-and-scan */
} sf_adm_unscanned;

typedef struct sf_adm_opts {
    sf_kv *kv;               /* fleet view (borrowed) */
    const char *prefix;      /* Redis key prefix (NULL = "scanfarm") */
    int min_sev;             /* SF_SEV_* (model/severity.h, worse is higher): this or worse is bad */
    int fixable_only;        /* only findings with a fixed version count */
    sf_adm_unscanned unscanned;
    int audit;               /* warnings instead of denials */
    const char *const *exempt; /* namespace globs admitted unchecked */
    size_t nexempt;
    long budget_ms;          /* of one review */
    long tag_ttl_ms;         /* tag -> digest cache lifetime (0 = do not cache) */
    int resolve_tags;        /* 0: tags only through the fleet view's ref map */
    const char *const *insecure; /* registries spoken to over plain HTTP */
    size_t ninsecure;
    const char *docker_config; /* registry credentials (Docker config.json) or NULL */
    const char *ca_file;     /* CAs for registries, NULL = the system's */
    sf_kprod *jobs;          /* allow-and-scan producer (borrowed; NULL = none) */
    const char *jobs_topic;  /* default "scanfarm.jobs.priority" */
    sf_metrics *metrics;     /* NULL = the process registry */
} sf_adm_opts;

typedef struct sf_adm sf_adm;

int sf_adm_new(sf_adm **out, const sf_adm_opts *o, sf_error *err);
void sf_adm_free(sf_adm *a);

/*
 * Answer one POST body: *status is the HTTP status (200 with the response
 * AdmissionReview in out; 400 for a body that is not an AdmissionReview,
 * 503 when the fleet view cannot be read, both with a one-line reason).
 */
void sf_adm_handle(sf_adm *a, const char *body, size_t len, sf_buf *out, int *status);

/* An image reference split the way the fleet view names it. */
typedef struct sf_adm_ref {
    char registry[256];   /* "docker.io", "127.0.0.1:5000" */
    char repository[512]; /* "library/nginx" */
    char tag[128];        /* "" when given by digest only */
    char digest[160];     /* "" when given by tag */
    char ref[1024];       /* "registry/repository:tag" (the ref map's key), "" without tag */
} sf_adm_ref;

/* Parse a pod spec image ("nginx", "reg:5000/a/b:1@sha256:..."): Docker
 * Hub rules for the registry, "latest" when neither tag nor digest is
 * given. SF_EPARSE for anything else. */
int sf_adm_ref_parse(const char *image, sf_adm_ref *out, sf_error *err);

#endif
