/* agg_lazy: see agg_lazy.h. */
#include "agg_lazy.h"

#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "fleet/agg_view.h"

static int str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* 1 when a and b store the same bytes and hold the same aliases. */
static int views_equal(const sf_agg_view *a, const sf_agg_view *b)
{
    sf_buf x, y;
    int same = 1;
    sf_buf_init(&x, 0);
    sf_buf_init(&y, 0);
    for (int k = 0; k < 2 && same; k++) {
        sf_buf_reset(&x);
        sf_buf_reset(&y);
        int rx = k ? sf_agg_pkgs_json(a, &x) : sf_agg_view_json(a, &x);
        int ry = k ? sf_agg_pkgs_json(b, &y) : sf_agg_view_json(b, &y);
        same = rx == SF_OK && ry == SF_OK && x.len == y.len && memcmp(x.data, y.data, x.len) == 0;
    }
    same = same && str_eq(a->pkhash, b->pkhash) && str_eq(a->vhash, b->vhash) &&
           a->nvulns == b->nvulns;
    for (size_t i = 0; same && i < a->nvulns; i++)
        same = str_eq(a->vulns[i].aliases, b->vulns[i].aliases);
    sf_buf_free(&x);
    sf_buf_free(&y);
    return same;
}

/* full as the aggregator stores it and reads it back (its findings'
 * bytes go through the stored view); "vh" replaced by vh when not NULL.
 * NULL when out of memory or unreadable (the caller reports it). */
static sf_agg_view *stored_of(const sf_agg_view *full, const char *vh)
{
    sf_buf b;
    sf_agg_view *v = NULL;
    sf_agg_view shell = *full;
    if (vh)
        shell.vhash = (char *)vh;
    sf_buf_init(&b, 0);
    if (sf_agg_view_json(&shell, &b) == SF_OK)
        (void)sf_agg_view_parse(b.data, b.len, &v, NULL);
    sf_buf_free(&b);
    return v;
}

int sf_t_agg_lazy_same(const char *json, size_t len, int *split, char *why, size_t whylen)
{
    sf_agg_view *full = NULL;
    sf_error fe = SF_ERROR_INIT;
    sf_buf pk;
    int frc = sf_agg_view_from_result(json, len, &full, &fe), ok = 1;
    sf_buf_init(&pk, 0);
    if (frc == SF_OK && sf_agg_pkgs_json(full, &pk) != SF_OK)
        frc = SF_ENOMEM;
    *split = 0;
    why[0] = '\0';
    /* 0: no stored hash; 1: the document's own with its list; 2: another */
    for (int way = 0; way < 3 && ok && frc != SF_ENOMEM; way++) {
        sf_agg_view *v = NULL;
        sf_agg_lazy *lz = NULL;
        sf_error le = SF_ERROR_INIT;
        int reused = 0, rc = sf_agg_view_from_result_lazy(json, len, &v, &lz, &le);
        const char *hash = way == 1 && full ? full->pkhash : way == 2 ? "sha256:other" : NULL;
        /* the stored view the findings may come from: way 1 full's own
         * (its "vh" the document's), way 2 full's under another "vh" */
        sf_agg_view *st = way && full ? stored_of(full, way == 2 ? "sha256:other" : NULL) : NULL;
        int vreused = 0;
        *split |= lz != NULL;
        if (way && full && !st)
            rc = SF_ENOMEM, snprintf(le.msg, sizeof le.msg, "stored view unreadable");
        if (rc == SF_OK && lz)
            rc = sf_agg_lazy_vulns(lz, v, st, &vreused, &le);
        if (rc == SF_OK && lz)
            rc = sf_agg_lazy_finish(lz, v, hash, way ? pk.data : NULL, pk.len, &reused, &le);
        if (rc != frc || (rc != SF_OK && strcmp(le.msg, fe.msg) != 0))
            snprintf(why, whylen, "way %d: %d \"%s\", whole %d \"%s\"", way, rc, le.msg, frc,
                     fe.msg);
        else if (rc == SF_OK && !views_equal(v, full))
            snprintf(why, whylen, "way %d: another view", way);
        else if (rc == SF_OK && lz && reused != (way == 1 && full->pkhash != NULL))
            snprintf(why, whylen, "way %d: reused %d", way, reused);
        else if (rc == SF_OK && lz && vreused != (way == 1 && full->vhash != NULL))
            snprintf(why, whylen, "way %d: findings reused %d", way, vreused);
        ok = !why[0];
        sf_agg_view_free(st);
        sf_agg_lazy_free(lz);
        sf_agg_view_free(v);
    }
    sf_buf_free(&pk);
    sf_agg_view_free(full);
    return ok;
}
