/* admission_int: internals shared by admission.c and admission_resolve.c. */
#ifndef SF_ADMISSION_INT_H
#define SF_ADMISSION_INT_H

#include <pthread.h>

#include "admission.h"
#include "base/limits.h"
#include "cache/keys.h"
#include "registry/registry.h"

/* Bytes of one cached value (a digest and its NUL fit). */
#define SF_ADM_CACHE_VAL 160

/* A bounded key -> value memory with expiry: direct-mapped slots (a new
 * key takes its slot from whatever held it), full keys compared, so a
 * hash collision can only cost a miss, never a wrong answer. */
typedef struct adm_slot {
    char *key;
    char val[SF_ADM_CACHE_VAL];
    long long exp_ms; /* monotonic */
} adm_slot;

typedef struct adm_cache {
    pthread_mutex_t mu;
    adm_slot *slots; /* SF_LIM_ADM_CACHE_SLOTS */
} adm_cache;

int sf_adm_cache_init(adm_cache *c);
void sf_adm_cache_clear(adm_cache *c);
/* 1 and the value in val (SF_ADM_CACHE_VAL bytes) when key is held and fresh. */
int sf_adm_cache_get(adm_cache *c, const char *key, char *val, long long now_ms);
void sf_adm_cache_put(adm_cache *c, const char *key, const char *val, long long exp_ms);

struct sf_adm {
    sf_adm_opts o;
    char shard[SF_KEY_MAX], k_views[SF_KEY_MAX], k_refs[SF_KEY_MAX];
    adm_cache tags;   /* "registry/repo:tag" -> digest */
    adm_cache queued; /* digest -> "1": a scan job was published */
    pthread_mutex_t regmu;
    struct {
        char *host;
        sf_reg *reg;
    } regs[SF_LIM_ADM_REGISTRIES];
    size_t nregs;
    sf_mfam *reviews; /* scanfarm_admission_reviews_total{outcome} */
    sf_mfam *images;  /* scanfarm_admission_images_total{state} */
    sf_mfam *seconds; /* scanfarm_admission_review_seconds */
};

long long sf_adm_now_ms(void);

/*
 * The manifest digest of r into r->digest (see admission.h, step 1),
 * answering by deadline_ms (monotonic). r->digest stays "" when no source
 * knows the tag. SF_EREDIS when the fleet view could not be asked.
 */
int sf_adm_resolve(sf_adm *a, sf_adm_ref *r, long long deadline_ms, sf_error *err);

/* Release the registry clients. */
void sf_adm_regs_free(sf_adm *a);

#endif
