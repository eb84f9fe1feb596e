/*
 * enum_resolve: see enum_resolve.h.
 */
#include "enum_resolve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/log.h"
#include "bus/msg_job.h"

/* Reserve n bytes of b: 1 when they fit under its cap. */
static int budget_take(sf_rman_budget *b, size_t n)
{
    long long now = __atomic_add_fetch(&b->used, (long long)n, __ATOMIC_RELAXED);
    if (now <= b->cap)
        return 1;
    __atomic_sub_fetch(&b->used, (long long)n, __ATOMIC_RELAXED);
    return 0;
}

void sf_rman_free(sf_rman_budget *b, sf_rman *m)
{
    if (!m)
        return;
    __atomic_sub_fetch(&b->used, (long long)m->len, __ATOMIC_RELAXED);
    free(m);
}

/* The kept copy of body, or NULL when it cannot ride in a job. */
static sf_rman *keep(sf_rman_budget *b, const sf_buf *body, const char *mt)
{
    if (!mt[0] || strlen(mt) > SF_JOB_MEDIA_TYPE_MAX ||
        !sf_job_manifest_ok((const char *)body->data, body->len))
        return NULL;
    if (!budget_take(b, body->len)) {
        SF_DEBUG("enum", "manifest budget spent, job goes without it|bytes=%zu", body->len);
        return NULL;
    }
    sf_rman *m = malloc(sizeof *m + body->len + 1);
    if (!m) {
        __atomic_sub_fetch(&b->used, (long long)body->len, __ATOMIC_RELAXED);
        return NULL; /* only an optimisation lost */
    }
    snprintf(m->media_type, sizeof m->media_type, "%s", mt);
    m->len = body->len;
    memcpy(m->data, body->data, body->len);
    m->data[body->len] = '\0';
    return m;
}

int sf_enum_resolve(sf_reg *reg, const char *repo, const char *tag, sf_rman_budget *b,
                    char digest[SF_DIGEST_MAX], sf_rman **man, sf_error *err)
{
    char mt[128] = "";
    sf_buf body;
    sf_error ge = SF_ERROR_INIT;
    *man = NULL;
    sf_buf_init(&body, SF_LIM_JOB_MANIFEST);
    int rc = sf_reg_get_manifest(reg, repo, tag, &body, mt, sizeof mt, digest, &ge);
    if (rc == SF_OK)
        *man = keep(b, &body, mt);
    sf_buf_free(&body);
    if (rc == SF_ELIMIT) /* too big to carry: the header alone, as before */
        return sf_reg_resolve(reg, repo, tag, digest, NULL, 0, err);
    if (rc != SF_OK)
        sf_error_set(err, rc, "%s", ge.msg);
    return rc;
}
