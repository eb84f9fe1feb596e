/*
 * query_pkg: `scanfarm query package NAME` — every (package, ecosystem,
 * version) of the fleet named NAME or built from source package NAME
 * (`openssl` finds Debian's libssl3 and Alpine's libcrypto3), with the
 * images carrying it. The aggregator indexes packages under <p>:agg:pkg:
 * and, when the source differs, under <p>:agg:src: (agg.h).
 *
 * Table rows: "name<TAB>ecosystem<TAB>version<TAB>N image(s)" (plus
 * "<TAB>(source S)" when found by source name), then one indented line per
 * image: its refs, or its digest when it has none; at most
 * SF_QUERY_PKG_IMAGES images per row are named ("... and N more").
 * SF_ENOTFOUND when nothing matches.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cache/keys.h"
#include "fleet/report.h"

/* Images named per row: a package in 10,000 images is answered by its
 * count; the names of the first few are what a person reads. */
#define SF_QUERY_PKG_IMAGES 20

typedef struct entry {
    const char *name, *eco, *ver, *digest; /* point into replies or the query */
    int by_src;
} entry;

static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    c = c ? c : strcmp(x->eco, y->eco);
    c = c ? c : strcmp(x->ver, y->ver);
    return c ? c : strcmp(x->digest, y->digest);
}

/* Members "eco\x1fversion\x1fdigest[\x1fname]" of m into e (split in place). */
static size_t split_members(sf_kv_reply *m, const char *name, int by_src, entry *e)
{
    size_t n = 0;
    for (size_t i = 0; m && i < m->nelem; i++) {
        char *s = m->elem[i].str, *a = s ? strchr(s, 0x1f) : NULL;
        char *b = a ? strchr(a + 1, 0x1f) : NULL, *c = b ? strchr(b + 1, 0x1f) : NULL;
        if (!b || (by_src && !c))
            continue;
        *a = *b = '\0';
        if (c)
            *c = '\0';
        e[n++] = (entry){by_src ? c + 1 : name, s, a + 1, b + 1, by_src};
    }
    return n;
}

static int smembers(sf_kv *kv, const char *shard, const char *key, sf_kv_reply **out,
                    sf_error *err)
{
    const char *a[] = {"SMEMBERS", key};
    return sf_kv_argv(kv, shard, 2, a, NULL, out, err);
}

/* Refs of the image with this digest, as one string ("a:1, a:2") or the
 * digest, and (refs not NULL) as a JSON array. */
static int image_name(sf_kv *kv, const char *shard, const char *views, const char *digest,
                      sf_buf *out, json_t *refs, sf_error *err)
{
    sf_kv_reply *r = NULL;
    sf_agg_view *v = NULL;
    const char *a[] = {"HGET", views, digest};
    int rc = sf_kv_argv(kv, shard, 3, a, NULL, &r, err);
    if (rc == SF_OK && r->type == SF_KV_STR && sf_agg_view_parse(r->str, r->len, &v, NULL) == SF_OK &&
        v->nrefs) {
        for (size_t i = 0; rc == SF_OK && i < v->nrefs; i++) {
            rc = sf_buf_printf(out, "%s%s", i ? ", " : "", v->refs[i]);
            if (rc == SF_OK && refs && json_array_append_new(refs, json_string(v->refs[i])) != 0)
                rc = SF_ENOMEM;
        }
    } else if (rc == SF_OK) {
        rc = sf_buf_puts(out, digest);
    }
    sf_agg_view_free(v);
    sf_kv_reply_free(r);
    return rc;
}

/* One row: entries e[0..n) share (name, eco, version). */
static int emit_row(sf_kv *kv, const char *shard, const char *views, const entry *e, size_t n,
                    const char *query, json_t *arr, sf_buf *out, sf_error *err)
{
    json_t *imgs = arr ? json_array() : NULL, *row = NULL;
    int rc = SF_OK;
    if (arr) {
        row = json_pack("{s:s, s:s, s:s, s:I, s:o}", "package", e->name, "ecosystem", e->eco,
                        "version", e->ver, "images", (json_int_t)n, "image_list", imgs);
        if (row && e->by_src)
            json_object_set_new(row, "source", json_string(query));
        if (!row || json_array_append_new(arr, row) != 0)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    } else {
        rc = sf_buf_printf(out, "%s\t%s\t%s\t%zu image%s%s%s%s\n", e->name, e->eco, e->ver, n,
                           n == 1 ? "" : "s", e->by_src ? "\t(source " : "",
                           e->by_src ? query : "", e->by_src ? ")" : "");
    }
    sf_buf name;
    sf_buf_init(&name, 0);
    for (size_t i = 0; rc == SF_OK && i < n && i < SF_QUERY_PKG_IMAGES; i++) {
        sf_buf_reset(&name);
        json_t *refs = imgs ? json_array() : NULL;
        rc = image_name(kv, shard, views, e[i].digest, &name, refs, err);
        if (rc == SF_OK && imgs)
            rc = json_array_append_new(imgs, json_pack("{s:s, s:O}", "digest", e[i].digest,
                                                       "refs", refs)) == 0
                     ? SF_OK
                     : SF_ENOMEM;
        else if (rc == SF_OK)
            rc = sf_buf_printf(out, "  %s\n", name.data ? name.data : e[i].digest);
        json_decref(refs);
    }
    if (rc == SF_OK && !arr && n > SF_QUERY_PKG_IMAGES)
        rc = sf_buf_printf(out, "  ... and %zu more\n", n - SF_QUERY_PKG_IMAGES);
    sf_buf_free(&name);
    return rc;
}

int sf_query_package(sf_kv *kv, const char *prefix, const char *name, int json, sf_buf *out,
                     sf_error *err)
{
    char shard[SF_KEY_MAX], pkey[SF_KEY_MAX], skey[SF_KEY_MAX], views[SF_KEY_MAX];
    sf_kv_reply *pm = NULL, *sm = NULL;
    entry *e = NULL;
    json_t *arr = json ? json_array() : NULL;
    int rc;
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_agg_shard(shard, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg_pkg(pkey, prefix, name, err)) != SF_OK ||
        (rc = sf_keys_agg_src(skey, prefix, name, err)) != SF_OK ||
        (rc = sf_keys_agg(views, prefix, "views", err)) != SF_OK ||
        (rc = smembers(kv, shard, pkey, &pm, err)) != SF_OK ||
        (rc = smembers(kv, shard, skey, &sm, err)) != SF_OK)
        goto done;
    if (!(e = calloc(pm->nelem + sm->nelem + 1, sizeof *e))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    size_t n = split_members(pm, name, 0, e);
    n += split_members(sm, name, 1, e + n);
    if (n == 0) {
        rc = sf_error_set(err, SF_ENOTFOUND, "package %s: not found in the fleet view "
                                             "(by package or source name)", name);
        goto done;
    }
    qsort(e, n, sizeof *e, entry_cmp);
    for (size_t i = 0; rc == SF_OK && i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(e[j].name, e[i].name) == 0 && strcmp(e[j].eco, e[i].eco) == 0 &&
               strcmp(e[j].ver, e[i].ver) == 0)
            j++;
        rc = emit_row(kv, shard, views, e + i, j - i, name, arr, out, err);
        i = j;
    }
    if (rc == SF_OK && arr)
        rc = sf_jutil_dump_pretty(arr, out);
done:
    json_decref(arr);
    free(e);
    sf_kv_reply_free(pm);
    sf_kv_reply_free(sm);
    return rc;
}
