/*
 * admission_resolve: image reference -> manifest digest for the gate
 * (admission.h, step 1): the reference itself, the short tag cache, the
 * registry (a HEAD bounded by what is left of the review's budget), then
 * the fleet view's ref map.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admission_int.h"
#include "globs.h"
#include "base/log.h"
#include "base/time.h"
#include "kube/kube_pod.h"

long long sf_adm_now_ms(void)
{
    return (long long)sf_time_mono_ms();
}

/* ---- the bounded cache ---- */

int sf_adm_cache_init(adm_cache *c)
{
    c->slots = calloc(SF_LIM_ADM_CACHE_SLOTS, sizeof *c->slots);
    if (!c->slots)
        return SF_ENOMEM;
    pthread_mutex_init(&c->mu, NULL);
    return SF_OK;
}

void sf_adm_cache_clear(adm_cache *c)
{
    if (!c->slots)
        return;
    for (size_t i = 0; i < SF_LIM_ADM_CACHE_SLOTS; i++)
        free(c->slots[i].key);
    free(c->slots);
    c->slots = NULL;
    pthread_mutex_destroy(&c->mu);
}

static size_t slot_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: spreads refs over slots */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (size_t)(h % SF_LIM_ADM_CACHE_SLOTS);
}

int sf_adm_cache_get(adm_cache *c, const char *key, char *val, long long now_ms)
{
    adm_slot *s = &c->slots[slot_of(key)];
    int hit = 0;
    pthread_mutex_lock(&c->mu);
    if (s->key && !strcmp(s->key, key) && s->exp_ms > now_ms) {
        memcpy(val, s->val, sizeof s->val);
        hit = 1;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

void sf_adm_cache_put(adm_cache *c, const char *key, const char *val, long long exp_ms)
{
    adm_slot *s = &c->slots[slot_of(key)];
    char *k = sf_strdup(key);
    if (!k)
        return; /* a cache: forgetting is always allowed */
    pthread_mutex_lock(&c->mu);
    free(s->key);
    s->key = k;
    snprintf(s->val, sizeof s->val, "%s", val);
    s->exp_ms = exp_ms;
    pthread_mutex_unlock(&c->mu);
}

/* ---- references ---- */

int sf_adm_ref_parse(const char *image, sf_adm_ref *out, sf_error *err)
{
    char repo[SF_LIM_KUBE_STR + 32];
    memset(out, 0, sizeof *out);
    int rc = sf_kpod_split_image(image, repo, sizeof repo, out->digest, sizeof out->digest, err);
    if (rc != SF_OK)
        return rc;
    if (!repo[0])
        return sf_error_set(err, SF_EPARSE, "image %.200s: not a reference", image);
    const char *at = strchr(image, '@');
    size_t n = at ? (size_t)(at - image) : strlen(image);
    const char *slash = memrchr(image, '/', n), *colon = memrchr(image, ':', n);
    if (colon && (!slash || colon > slash)) {
        size_t tl = n - (size_t)(colon - image) - 1;
        if (tl == 0 || tl >= sizeof out->tag)
            return sf_error_set(err, SF_EPARSE, "image %.200s: bad tag", image);
        memcpy(out->tag, colon + 1, tl);
    } else if (!out->digest[0]) {
        snprintf(out->tag, sizeof out->tag, "latest");
    }
    const char *sl = strchr(repo, '/');
    if (!sl || (size_t)(sl - repo) >= sizeof out->registry || strlen(sl + 1) >= sizeof out->repository)
        return sf_error_set(err, SF_EPARSE, "image %.200s: bad repository", image);
    memcpy(out->registry, repo, (size_t)(sl - repo));
    snprintf(out->repository, sizeof out->repository, "%s", sl + 1);
    if (!sf_reg_valid_repo(out->repository) || (out->tag[0] && !sf_reg_valid_tag(out->tag)))
        return sf_error_set(err, SF_EPARSE, "image %.200s: bad repository or tag", image);
    if (out->tag[0] && (size_t)snprintf(out->ref, sizeof out->ref, "%s/%s:%s", out->registry,
                                        out->repository, out->tag) >= sizeof out->ref)
        return sf_error_set(err, SF_EPARSE, "image %.200s: too long", image);
    return SF_OK;
}

/* ---- registries ---- */

static int insecure(const sf_adm *a, const char *host)
{
    return sf_globs_any(a->o.insecure, a->o.ninsecure, host);
}

/* The client of host (created on first use); NULL past the cap or on error. */
static sf_reg *reg_of(sf_adm *a, const char *host)
{
    sf_reg *r = NULL;
    pthread_mutex_lock(&a->regmu);
    for (size_t i = 0; i < a->nregs && !r; i++)
        if (!strcmp(a->regs[i].host, host))
            r = a->regs[i].reg;
    if (!r && a->nregs < SF_LIM_ADM_REGISTRIES) {
        char url[300];
        int plain = insecure(a, host);
        /* Docker Hub's references say docker.io; its API is elsewhere. */
        snprintf(url, sizeof url, "%s%s", plain ? "http://" : "https://",
                 strcmp(host, "docker.io") ? host : "registry-1.docker.io");
        long half = a->o.budget_ms / 2 > 10 ? a->o.budget_ms / 2 : 10;
        sf_reg_opts ro = {.url = url, .docker_config = a->o.docker_config, .insecure = plain,
                          .max_conns = 4, .max_retries = 0, .connect_timeout_ms = half,
                          .stall_timeout_ms = half, .deadline_base_ms = half,
                          .ca_file = a->o.ca_file};
        sf_error e = SF_ERROR_INIT;
        char *h = sf_strdup(host);
        if (h && sf_reg_new(&r, &ro, &e) == SF_OK) {
            a->regs[a->nregs].host = h;
            a->regs[a->nregs++].reg = r;
        } else {
            SF_WARN("admission", "registry client failed|host=%s reason=%s", host, e.msg);
            free(h);
            r = NULL;
        }
    }
    pthread_mutex_unlock(&a->regmu);
    return r;
}

void sf_adm_regs_free(sf_adm *a)
{
    for (size_t i = 0; i < a->nregs; i++) {
        sf_reg_free(a->regs[i].reg);
        free(a->regs[i].host);
    }
    a->nregs = 0;
}

/* The ref map of the fleet view: the digest the tag last resolved to. */
static int ref_map(sf_adm *a, sf_adm_ref *r, sf_error *err)
{
    sf_kv_reply *rep = NULL;
    const char *argv[] = {"HGET", a->k_refs, r->ref};
    int rc = sf_kv_argv(a->o.kv, a->shard, 3, argv, NULL, &rep, err);
    if (rc == SF_OK && rep->type == SF_KV_STR && sf_digest_validate(rep->str, NULL) == SF_OK)
        snprintf(r->digest, sizeof r->digest, "%s", rep->str);
    sf_kv_reply_free(rep);
    return rc;
}

int sf_adm_resolve(sf_adm *a, sf_adm_ref *r, long long deadline_ms, sf_error *err)
{
    long long now = sf_adm_now_ms();
    if (r->digest[0])
        return SF_OK;
    if (a->o.tag_ttl_ms > 0 && sf_adm_cache_get(&a->tags, r->ref, r->digest, now))
        return SF_OK;
    sf_reg *reg = a->o.resolve_tags && deadline_ms - now > 5 ? reg_of(a, r->registry) : NULL;
    if (reg) {
        char d[SF_DIGEST_MAX], mt[128];
        sf_error e = SF_ERROR_INIT;
        if (sf_reg_resolve(reg, r->repository, r->tag, d, mt, sizeof mt, &e) == SF_OK) {
            snprintf(r->digest, sizeof r->digest, "%s", d);
            if (a->o.tag_ttl_ms > 0)
                sf_adm_cache_put(&a->tags, r->ref, d, sf_adm_now_ms() + a->o.tag_ttl_ms);
            return SF_OK;
        }
        SF_DEBUG("admission", "tag not resolved by its registry|ref=%s reason=%s", r->ref, e.msg);
    }
    return ref_map(a, r, err);
}
