/*
 * rematch: see rematch.h. Memory: the fleet's views (what a report
 * loads) plus the parsed inventories of a bounded set of representative
 * images; network: Redis reads and one Kafka message pair per affected
 * image; no registry access at all.
 */
#include "fleet/rematch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/buf.h"
#include "base/log.h"
#include "cache/keys.h"
#include "fleet/rematch_int.h"

void sf_rematch_vulns_free(sf_agg_vuln *v, size_t n)
{
    if (v)
        SF_ARRAY_FREE(v, n, sf_agg_vuln_clear);
}

static int img_cmp(const void *a, const void *b)
{
    return strcmp(((const rm_img *)a)->v->digest, ((const rm_img *)b)->v->digest);
}

rm_img *rm_find(rm_ctx *c, const char *digest)
{
    sf_agg_view key = {.digest = (char *)digest};
    rm_img k = {.v = &key};
    return bsearch(&k, c->imgs, c->nimgs, sizeof *c->imgs, img_cmp);
}

#define SCAN_CURSOR 32 /* Redis SCAN cursors are 64-bit decimals */

/* One page of "cmd key cursor COUNT count" (HSCAN, ZSCAN): on SF_OK *page
 * is the reply (caller frees), cursor holds the next one ("0" at the end)
 * and *items is the page's flat [member, value, ...] list. */
static int scan_page(rm_ctx *c, const char *cmd, const char *key, char cursor[SCAN_CURSOR],
                     const char *count, sf_kv_reply **page, const sf_kv_reply **items,
                     sf_error *err)
{
    const char *argv[] = {cmd, key, cursor, "COUNT", count};
    int rc = sf_kv_argv(c->o->kv, c->shard, 5, argv, NULL, page, err);
    if (rc != SF_OK)
        return rc;
    sf_kv_reply *r = *page;
    if (r->type != SF_KV_ARR || r->nelem != 2) {
        sf_kv_reply_free(r);
        *page = NULL;
        return sf_error_set(err, SF_EREDIS, "redis %s: unexpected reply", cmd);
    }
    snprintf(cursor, SCAN_CURSOR, "%s", r->elem[0].str ? r->elem[0].str : "0");
    *items = &r->elem[1];
    return SF_OK;
}

/* Called for each member of a scan with its value (NULL when the page
 * ends on a member); a code other than SF_OK ends the scan with it. */
typedef int (*scan_fn)(rm_ctx *c, const sf_kv_reply *member, const sf_kv_reply *value,
                       sf_error *err);

/* The whole of "cmd key" (HSCAN, ZSCAN), count members a page, through
 * each: the cursor loop the views and the package index share. */
static int scan_all(rm_ctx *c, const char *cmd, const char *key, const char *count, scan_fn each,
                    sf_error *err)
{
    char cursor[SCAN_CURSOR] = "0";
    int rc = SF_OK;
    do {
        sf_kv_reply *r = NULL;
        const sf_kv_reply *a = NULL; /* set by scan_page on SF_OK (gcc -O3 cannot see it) */
        if ((rc = scan_page(c, cmd, key, cursor, count, &r, &a, err)) != SF_OK)
            return rc;
        for (size_t i = 0; rc == SF_OK && i < a->nelem; i += 2)
            rc = each(c, &a->elem[i], i + 1 < a->nelem ? &a->elem[i + 1] : NULL, err);
        sf_kv_reply_free(r);
    } while (rc == SF_OK && strcmp(cursor, "0") != 0);
    return rc;
}

/* One stored view (the hash value); an unparsable one is counted. */
static int add_view(rm_ctx *c, const sf_kv_reply *member, const sf_kv_reply *value,
                    sf_error *err)
{
    (void)member;
    sf_agg_view *v = NULL;
    if (!value)
        return SF_OK;
    if (sf_agg_view_parse(value->str, value->len, &v, NULL) != SF_OK) {
        c->st->unusable++;
        return SF_OK;
    }
    rm_img *img = SF_ARRAY_PUSH(c->imgs, c->capimgs, c->nimgs, 256, 0);
    if (!img) {
        sf_agg_view_free(v);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    img->v = v;
    return SF_OK;
}

/* Every stored view, sorted by digest. */
static int load_views(rm_ctx *c, sf_error *err)
{
    int rc = scan_all(c, "HSCAN", c->k_views, "500", add_view, err);
    if (c->nimgs)
        qsort(c->imgs, c->nimgs, sizeof *c->imgs, img_cmp);
    c->st->images = c->nimgs;
    return rc;
}

/* Append a copy of x to (*arr, *n). */
static int vuln_push(sf_agg_vuln **arr, size_t *n, const sf_agg_vuln *x)
{
    sf_agg_vuln *a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a)
        return SF_ENOMEM;
    *arr = a;
    sf_agg_vuln *d = &a[*n];
    memset(d, 0, sizeof *d);
    d->id = sf_strdup(x->id);
    d->pkg = sf_strdup(x->pkg);
    d->eco = sf_strdup(x->eco);
    d->installed = sf_strdup(x->installed);
    d->fixed = sf_strdup(x->fixed);
    d->sev = x->sev;
    d->cvss = x->cvss;
    (*n)++;
    if (!d->id || !d->pkg || (x->eco && !d->eco) || (x->installed && !d->installed) ||
        (x->fixed && !d->fixed))
        return SF_ENOMEM;
    return SF_OK;
}

/* x present in (arr, n) with the same id and fixed version? */
static int vuln_in(const sf_agg_vuln *arr, size_t n, const sf_agg_vuln *x)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arr[i].id, x->id) == 0 && sf_str_eq(arr[i].fixed, x->fixed))
            return 1;
    return 0;
}

/* Compare one image's old findings for package (name, version) with the
 * new ones; record additions and removals on the image. */
static int diff_image(rm_img *im, const char *name, const char *version, const sf_agg_vuln *nw,
                      size_t nn)
{
    const sf_agg_view *v = im->v;
    sf_agg_vuln *old = NULL;
    size_t no = 0;
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < v->nvulns; i++)
        if (strcmp(v->vulns[i].pkg, name) == 0 && sf_str_eq(v->vulns[i].installed, version))
            rc = vuln_push(&old, &no, &v->vulns[i]);
    for (size_t i = 0; rc == SF_OK && i < no; i++)
        if (!vuln_in(nw, nn, &old[i]))
            rc = vuln_push(&im->rem, &im->nrem, &old[i]);
    for (size_t i = 0; rc == SF_OK && i < nn; i++)
        if (!vuln_in(old, no, &nw[i]))
            rc = vuln_push(&im->add, &im->nadd, &nw[i]);
    sf_rematch_vulns_free(old, no);
    return rc;
}

/* One (ecosystem, name, version) group: match once, diff every holder. */
static int do_group(rm_ctx *c, const char *eco, const char *name, const char *version,
                    char **digests, size_t nd, sf_error *err)
{
    const sf_pkg *pkg = NULL;
    const sf_osinfo *os = NULL;
    sf_agg_vuln *nw = NULL;
    size_t nn = 0;
    int rc = SF_OK;
    for (size_t i = 0; i < nd && !pkg; i++) {
        rc = rm_inventory(c, digests[i], eco, name, version, &pkg, &os, err);
        if (rc != SF_OK)
            return rc;
    }
    if (!pkg)
        return SF_OK; /* no holder has a readable result: nothing to compare */
    c->st->packages++;
    if ((rc = c->o->match(c->o->match_ctx, os, pkg, &nw, &nn, err)) != SF_OK)
        return rc;
    for (size_t i = 0; rc == SF_OK && i < nd; i++) {
        rm_img *im = rm_find(c, digests[i]);
        if (im && (rc = diff_image(im, name, version, nw, nn)) != SF_OK)
            sf_error_set(err, rc, "out of memory");
    }
    sf_rematch_vulns_free(nw, nn);
    return rc;
}

static int member_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* All entries of one package name, grouped by (ecosystem, version). */
static int do_name(rm_ctx *c, const char *name, sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *m = NULL;
    char **mem = NULL;
    int rc;
    if (sf_keys_agg_pkg(key, c->prefix, name, NULL) != SF_OK)
        return SF_OK;
    const char *argv[] = {"SMEMBERS", key};
    if ((rc = sf_kv_argv(c->o->kv, c->shard, 2, argv, NULL, &m, err)) != SF_OK)
        return rc;
    if (!(mem = calloc(m->nelem + 1, sizeof *mem))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    size_t n = 0;
    for (size_t i = 0; i < m->nelem; i++)
        if (m->elem[i].str && strchr(m->elem[i].str, 0x1f))
            mem[n++] = m->elem[i].str;
    qsort(mem, n, sizeof *mem, member_cmp); /* eco\x1fversion\x1fdigest: groups adjacent */
    for (size_t i = 0; rc == SF_OK && i < n;) {
        char *e1 = strchr(mem[i], 0x1f), *v1 = e1 + 1, *d1 = strchr(v1, 0x1f);
        if (!d1) {
            i++;
            continue;
        }
        size_t plen = (size_t)(d1 - mem[i]) + 1, j = i;
        char **digests = calloc(n - i, sizeof *digests);
        if (!digests) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            break;
        }
        size_t nd = 0;
        while (j < n && strncmp(mem[j], mem[i], plen) == 0)
            digests[nd++] = mem[j++] + plen;
        *e1 = *d1 = '\0';
        rc = do_group(c, mem[i], name, v1, digests, nd, err);
        free(digests);
        i = j;
    }
done:
    free(mem);
    sf_kv_reply_free(m);
    return rc;
}

/* One member of the package-name index (the score is not used). */
static int name_member(rm_ctx *c, const sf_kv_reply *member, const sf_kv_reply *value,
                       sf_error *err)
{
    (void)value;
    return member->str ? do_name(c, member->str, err) : SF_OK;
}

/* Walk the package-name index (ZSCAN in batches). */
static int walk_packages(rm_ctx *c, sf_error *err)
{
    return scan_all(c, "ZSCAN", c->k_pkgnames, "200", name_member, err);
}

int sf_rematch_run(const sf_rematch_opts *o, sf_rematch_stats *st, sf_error *err)
{
    rm_ctx c = {.o = o, .st = st};
    int rc;
    memset(st, 0, sizeof *st);
    if (!o->kv || !o->prod || !o->match || !o->db_version || !o->run_id)
        return sf_error_set(err, SF_EINVAL, "rematch: missing option");
    c.prefix = o->prefix ? o->prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_agg_shard(c.shard, c.prefix, err)) != SF_OK ||
        (rc = sf_keys_agg(c.k_views, c.prefix, "views", err)) != SF_OK ||
        (rc = sf_keys_agg(c.k_results, c.prefix, "results", err)) != SF_OK ||
        (rc = sf_keys_agg(c.k_pkgnames, c.prefix, "pkgnames", err)) != SF_OK ||
        (rc = sf_keys_agg(c.k_dbcurrent, c.prefix, "dbcurrent", err)) != SF_OK)
        return rc;
    if ((rc = load_views(&c, err)) == SF_OK && (rc = walk_packages(&c, err)) == SF_OK)
        rc = rm_publish(&c, err);
    rm_ctx_free(&c);
    SF_INFO("rematch", "rematch done|db=%s packages=%zu images=%zu affected=%zu added=%zu "
                       "removed=%zu rc=%d",
            o->db_version, st->packages, st->images, st->affected, st->added, st->removed, rc);
    return rc;
}
