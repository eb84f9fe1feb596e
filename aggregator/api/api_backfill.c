/*
 * api_backfill: a fleet view written before the name-search sets existed
 * (agg_index.c: pname, reponame) gets them when scanfarm-api starts, once:
 * a ZSCAN of pall / repos (the only whole-set walk, at start, not per
 * request). The entries go to a scratch set that is merged in at the end,
 * so a crash midway leaves no half-built index that would look complete,
 * and the aggregator's own concurrent additions are kept (add-only sets).
 */
#include "api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_name.h"

/* The searchable name of a member of all (see agg_index.c). */
static const char *name_of(const char *member, int repos)
{
    const char *s = strchr(member, repos ? '/' : '\x1f');
    return s ? s + 1 : member;
}

/* ZADD tmp 0 <entries> for one ZSCAN page (elem: member, score, ...). */
static int add_page(sf_api *a, const char *tmp, const sf_kv_reply *pg, int repos, sf_error *err)
{
    size_t cap = 2 + 2 * SF_AGG_NAME_STARTS * (pg->nelem / 2 + 1);
    const char **argv = calloc(cap, sizeof *argv);
    char(*e)[SF_AGG_NAME_ENTRY] = calloc(SF_AGG_NAME_STARTS * (pg->nelem / 2 + 1), sizeof *e);
    size_t k = 2, ne = 0;
    int rc = argv && e ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; rc == SF_OK && i + 1 < pg->nelem; i += 2) {
        const char *m = pg->elem[i].str;
        if (!m)
            continue;
        size_t n = sf_agg_name_entries(name_of(m, repos), m,
                                       (char(*)[SF_AGG_NAME_ENTRY])e[ne]);
        for (size_t j = 0; j < n; j++)
            argv[k++] = "0", argv[k++] = e[ne + j];
        ne += n;
    }
    if (rc == SF_OK && k > 2) {
        sf_kv_reply *r = NULL;
        argv[0] = "ZADD", argv[1] = tmp;
        rc = api_cmd(a, (int)k, argv, &r, err);
        sf_kv_reply_free(r);
    }
    free(argv);
    free(e);
    return rc;
}

static int backfill(sf_api *a, const char *all_kind, const char *name_kind, int repos,
                    sf_error *err)
{
    char all[SF_KEY_MAX], ix[SF_KEY_MAX], tmp[SF_KEY_MAX], cur[32] = "0";
    sf_kv_reply *r = NULL;
    api_ix(a, all, all_kind, NULL);
    api_ix(a, ix, name_kind, NULL);
    const char *ex[] = {"EXISTS", ix, all};
    int rc = api_cmd(a, 3, ex, &r, err);
    /* one of the two: the index exists (done), or there is nothing to index */
    int need = rc == SF_OK && r->type == SF_KV_INT && r->integer == 1;
    sf_kv_reply_free(r);
    const char *ex1[] = {"EXISTS", ix};
    if (need && (rc = api_cmd(a, 2, ex1, &r, err)) == SF_OK) {
        need = r->type == SF_KV_INT && r->integer == 0;
        sf_kv_reply_free(r);
    }
    if (rc != SF_OK || !need)
        return rc;
    api_tmp(a, tmp);
    do {
        const char *sc[] = {"ZSCAN", all, cur, "COUNT", "500"};
        if ((rc = api_cmd(a, 5, sc, &r, err)) != SF_OK)
            break;
        if (r->type != SF_KV_ARR || r->nelem != 2 || !r->elem[0].str ||
            r->elem[1].type != SF_KV_ARR) {
            rc = sf_error_set(err, SF_EPARSE, "unexpected ZSCAN reply");
        } else {
            snprintf(cur, sizeof cur, "%s", r->elem[0].str);
            rc = add_page(a, tmp, &r->elem[1], repos, err);
        }
        sf_kv_reply_free(r);
    } while (rc == SF_OK && strcmp(cur, "0") != 0);
    const char *mv[] = {"ZUNIONSTORE", ix, "2", ix, tmp};
    if (rc == SF_OK && (rc = api_cmd(a, 5, mv, &r, err)) == SF_OK)
        sf_kv_reply_free(r);
    const char *del[] = {"DEL", tmp};
    sf_error e2 = {0};
    if (api_cmd(a, 2, del, &r, &e2) == SF_OK)
        sf_kv_reply_free(r);
    return rc;
}

int api_backfill_names(sf_api *a, sf_error *err)
{
    int rc = backfill(a, "pall", "pname", 0, err);
    return rc == SF_OK ? backfill(a, "repos", "reponame", 1, err) : rc;
}
