/*
 * agg_unref: unref messages (bus/msg_unref.h), a tag or a repository
 * deleted from a registry. The refs that named it are removed from every
 * view that may list them: the digest the tag resolved to and, for an
 * index, its platform images, each in a compare-and-apply loop with the
 * refs-only plan agg_refs.c builds (sf_agg__refs_plan). Its own file
 * because it is the only path that takes refs away: the refs rule of
 * results and refs messages only ever adds or replaces them.
 */
#include "agg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_int.h"
#include "agg_plan.h"
#include "fleet/agg_view.h"
#include "bus/msg_unref.h"
#include "cache/keys.h"

/* 1 when ref is to be removed: exactly `ref`, or any tag of `prefix`
 * ("registry/repo:"). */
static int unref_match(const char *ref, const char *exact, const char *prefix)
{
    return exact ? strcmp(ref, exact) == 0 : strncmp(ref, prefix, strlen(prefix)) == 0;
}

/* Remove the matching refs from image's stored view (compare-and-apply). */
static int unref_update(sf_agg *a, const char *image, const char *exact, const char *prefix,
                        sf_agg_outcome *out, sf_error *err)
{
    for (int attempt = 0; attempt < AGG_CAS_TRIES; attempt++) {
        char *cur = NULL, *raw = NULL;
        size_t rl = 0, k = 0;
        sf_agg_view *old = NULL, *nv = NULL;
        sf_agg_plan plan = {0};
        int applied = 0, rc;
        *out = SF_AGG_NOVIEW;
        if ((rc = sf_agg__hget(a, a->order, image, &cur, NULL, err)) == SF_OK && cur)
            rc = sf_agg__hget(a, a->views, image, &raw, &rl, err);
        if (rc == SF_OK && cur && raw && (rc = sf_agg_view_parse(raw, rl, &old, err)) == SF_OK &&
            (rc = sf_agg_view_parse(raw, rl, &nv, err)) == SF_OK) {
            for (size_t i = 0; i < nv->nrefs; i++) {
                if (unref_match(nv->refs[i], exact, prefix))
                    free(nv->refs[i]);
                else
                    nv->refs[k++] = nv->refs[i];
            }
            *out = SF_AGG_DUPLICATE; /* nothing of it left to remove */
            if (k != nv->nrefs) {
                nv->nrefs = k;
                if ((rc = sf_agg__refs_plan(a, &plan, image, old, nv, err)) == SF_OK)
                    rc = sf_agg__apply_plan(a, &plan, image, cur, cur, raw, &applied, err);
                *out = applied ? SF_AGG_APPLIED : SF_AGG_STALE;
            }
        }
        sf_agg_plan_clear(&plan);
        sf_agg_view_free(old);
        sf_agg_view_free(nv);
        free(raw);
        free(cur);
        if (rc != SF_OK || *out != SF_AGG_STALE)
            return rc; /* STALE here: the view moved under us, read again */
    }
    return sf_error_set(err, SF_EINTERNAL, "fleet view of %s kept moving", image);
}

/* The digest a deleted tag resolved to, and the platform images of an
 * index digest: every view that may list the refs. */
static int unref_images(sf_agg *a, const char *target, sf_kv_reply **members, sf_error *err)
{
    char key[SF_KEY_MAX];
    int rc = sf_keys_agg_index(key, a->prefix, target, err);
    const char *argv[] = {"SMEMBERS", key};
    return rc != SF_OK ? rc : sf_kv_argv(a->kv, a->shard, 2, argv, NULL, members, err);
}

int sf_agg_apply_unref(sf_agg *a, const char *json, size_t len, sf_agg_outcome *out,
                       sf_error *err)
{
    sf_unref_msg m;
    char exact[1024], prefix[1024], *target = NULL;
    sf_kv_reply *mem = NULL;
    int rc = sf_unref_decode(json, len, &m, err);
    *out = SF_AGG_NOVIEW;
    if (rc != SF_OK)
        goto done;
    snprintf(prefix, sizeof prefix, "%s/%s:", m.registry, m.repository);
    snprintf(exact, sizeof exact, "%s%s", prefix, m.tag ? m.tag : "");
    if (m.tag)
        rc = sf_agg__hget(a, a->refs, exact, &target, NULL, err);
    else if (!(target = sf_strdup(m.digest)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc != SF_OK || !target)
        goto done;
    if ((rc = unref_images(a, target, &mem, err)) != SF_OK)
        goto done;
    int seen[SF_AGG_NOVIEW + 1] = {0};
    for (size_t i = 0; rc == SF_OK && i <= (mem->type == SF_KV_ARR ? mem->nelem : 0); i++) {
        const char *img = i == 0 ? target : mem->elem[i - 1].str;
        sf_agg_outcome o = SF_AGG_NOVIEW;
        if (img && (rc = unref_update(a, img, m.tag ? exact : NULL, prefix, &o, err)) == SF_OK)
            seen[o] = 1;
    }
    *out = seen[SF_AGG_APPLIED] ? SF_AGG_APPLIED : seen[SF_AGG_DUPLICATE] ? SF_AGG_DUPLICATE
                                                                          : SF_AGG_NOVIEW;
done:
    sf_kv_reply_free(mem);
    free(target);
    sf_unref_clear(&m);
    return rc;
}
