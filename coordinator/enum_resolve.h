/*
 * enum_resolve: resolve one tag of the enumeration to its manifest
 * digest, keeping the manifest's bytes to ride in the job
 * (bus/msg_job.h "manifest") so the worker does not GET the same root
 * manifest again.
 *
 * The tag is resolved with a GET whose body is capped at
 * SF_LIM_JOB_MANIFEST: the digest is the body's own hash, checked
 * against Docker-Content-Digest when the registry sends one (a mismatch
 * is SF_EDIGEST, an error of that tag; sf_reg_get_manifest). A body
 * past the cap is resolved again with HEAD (sf_reg_resolve), so a big
 * index is downloaded once, by the worker, as before. The bodies the
 * enumeration holds at once (in resolved repositories and held jobs) are
 * bounded by a budget its resolver threads share; past it a tag's job
 * goes without its manifest.
 *
 * Threads: any resolver thread; the budget is updated atomically.
 */
#ifndef SF_COORD_ENUM_RESOLVE_H
#define SF_COORD_ENUM_RESOLVE_H

#include <stddef.h>

#include "base/digest.h"
#include "base/err.h"
#include "registry/registry.h"

/* A root manifest kept for a job: one allocation, freed by sf_rman_free. */
typedef struct sf_rman {
    char media_type[128]; /* as sf_reg_get_manifest determined it, never "" */
    size_t len;           /* bytes of data */
    char data[];          /* the body, exactly as served, NUL after it */
} sf_rman;

/* Bytes of manifests held by one enumeration (all its registries). */
typedef struct sf_rman_budget {
    long long used; /* atomic */
    long long cap;
} sf_rman_budget;

/*
 * Resolve repo:tag into digest. *man receives the manifest when it may
 * ride in a job (small enough, UTF-8 text, within budget b), else NULL;
 * the caller frees it with sf_rman_free(b, ...). Errors are the
 * registry's (SF_ENOTFOUND, SF_EAUTH, SF_EDIGEST, ...), *man NULL.
 */
int sf_enum_resolve(sf_reg *reg, const char *repo, const char *tag, sf_rman_budget *b,
                    char digest[SF_DIGEST_MAX], sf_rman **man, sf_error *err);

/* Free m (NULL is a no-op) and give its bytes back to b. */
void sf_rman_free(sf_rman_budget *b, sf_rman *m);

#endif
