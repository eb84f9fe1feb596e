/*
 * assemble: see assemble.h.
 *
 * The surviving set is an array of (source, layer) references kept
 * sorted by path, so a whiteout or opaque dir deletes a contiguous run
 * found by binary search (paths with a given prefix are contiguous in
 * byte order), and "same path in a higher layer" is a neighbour check
 * after each layer's sources are merged in. Sources are borrowed from the
 * layer inventories until the final copy.
 */
#include "analyze/assemble.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/array.h"

typedef struct sref {
    const sf_inv_source *src;
    int layer;
    size_t order; /* position within its layer, keeps output stable */
} sref;

typedef struct survivors {
    sref *v;
    size_t n, cap;
} survivors;

static int sref_cmp(const void *a, const void *b)
{
    const sref *x = a, *y = b;
    int c = strcmp(x->src->path, y->src->path);
    if (c)
        return c;
    if (x->layer != y->layer)
        return x->layer < y->layer ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* First index whose path is >= key. */
static size_t lower_bound(const survivors *s, const char *key)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(s->v[mid].src->path, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Mark for deletion every lower-layer path equal to or under `p`
 * (under only, when `under_only`); p == "" means the root. */
static void mark_deleted(survivors *s, const char *p, int under_only, int layer, uint8_t *del)
{
    size_t plen = strlen(p);
    for (size_t i = lower_bound(s, p); i < s->n; i++) {
        const char *q = s->v[i].src->path;
        if (strncmp(q, p, plen) != 0)
            break;
        if (s->v[i].layer >= layer)
            continue;
        int exact = q[plen] == '\0';
        int below = plen == 0 || q[plen] == '/';
        if ((exact && !under_only && plen) || (below && !exact))
            del[i] = 1;
    }
}

static void compact(survivors *s, const uint8_t *del)
{
    size_t o = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!del[i])
            s->v[o++] = s->v[i];
    s->n = o;
}

static int apply_layer(survivors *s, const sf_inventory *inv, int layer)
{
    uint8_t *del = calloc(s->n + inv->nsrcs + 1, 1);
    if (!del)
        return SF_ENOMEM;
    for (size_t i = 0; i < inv->nwhiteouts; i++)
        mark_deleted(s, inv->whiteouts[i], 0, layer, del);
    for (size_t i = 0; i < inv->nopaques; i++)
        mark_deleted(s, inv->opaques[i], 1, layer, del);
    compact(s, del);
    if (s->n + inv->nsrcs > s->cap) {
        size_t nc = s->n + inv->nsrcs + 16;
        sref *v = realloc(s->v, nc * sizeof *v);
        if (!v) {
            free(del);
            return SF_ENOMEM;
        }
        s->v = v;
        s->cap = nc;
    }
    for (size_t i = 0; i < inv->nsrcs; i++)
        s->v[s->n++] = (sref){&inv->srcs[i], layer, i};
    if (s->n) /* s->v is NULL while nothing survived (an empty layer) */
        qsort(s->v, s->n, sizeof *s->v, sref_cmp);
    /* Same path: only the highest layer's sources survive. Sorted by
     * (path, layer), so the last of each run has the highest layer. */
    memset(del, 0, s->n);
    for (size_t i = 0; i < s->n;) {
        size_t j = i;
        while (j + 1 < s->n && strcmp(s->v[j + 1].src->path, s->v[i].src->path) == 0)
            j++;
        for (size_t k = i; k <= j; k++)
            if (s->v[k].layer != s->v[j].layer)
                del[k] = 1;
        i = j + 1;
    }
    compact(s, del);
    free(del);
    return SF_OK;
}

/* ------------------------------------------------------------ npm lockfiles */

/* A lockfile whose directory has an installed node_modules tree in the
 * final image is shadowed by it (the installed tree is the truth, see
 * sf_an_npm_lock_shadowed): drop the lockfile's packages so each package
 * is reported once. The installed package.json paths sit right after
 * "<dir>/node_modules/" in the sorted set. */
static int drop_shadowed_lockfiles(survivors *s)
{
    uint8_t *del = calloc(s->n + 1, 1);
    if (!del)
        return SF_ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        const sf_inv_source *lk = s->v[i].src;
        if (strcmp(lk->analyzer, "npm") != 0 || !sf_an_npm_is_lockfile(lk->path))
            continue;
        const char *slash = strrchr(lk->path, '/');
        char prefix[4200];
        snprintf(prefix, sizeof prefix, "%.*snode_modules/",
                 slash ? (int)(slash - lk->path + 1) : 0, lk->path);
        size_t plen = strlen(prefix);
        for (size_t k = lower_bound(s, prefix); k < s->n && !del[i]; k++) {
            const sf_inv_source *in = s->v[k].src;
            if (strncmp(in->path, prefix, plen) != 0)
                break;
            if (strcmp(in->analyzer, "npm") == 0 && in->npkgs &&
                sf_an_npm_lock_shadowed(lk->path, in->path))
                del[i] = 1;
        }
    }
    compact(s, del);
    free(del);
    return SF_OK;
}

/* ------------------------------------------------------------ OS facts */

static int os_rank(const char *path)
{
    static const char *const order[] = {"etc/os-release", "usr/lib/os-release",
                                        "etc/alpine-release", "etc/debian_version",
                                        "etc/redhat-release"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (strcmp(path, order[i]) == 0)
            return (int)i;
    return 100;
}

static int fill(char **dst, const char *src)
{
    if (*dst || !src)
        return SF_OK;
    return (*dst = strdup(src)) ? SF_OK : SF_ENOMEM;
}

static int pick_os(const survivors *s, sf_image_inv *img)
{
    const sf_inv_source *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const sf_inv_source *src = s->v[i].src;
        if (src->os && src->status == SF_SRC_PARSED &&
            (!best || os_rank(src->path) < os_rank(best->path)))
            best = src;
    }
    if (!best)
        return SF_OK;
    if (sf_osinfo_copy(&img->os, best->os) != SF_OK || !(img->os_path = strdup(best->path)))
        return SF_ENOMEM;
    img->has_os = 1;
    /* Lower-precedence files of the same distro fill the gaps (Debian
     * testing has no VERSION_ID in os-release; debian_version has it). */
    for (int rank = 0; rank <= 100; rank++) {
        for (size_t i = 0; i < s->n; i++) {
            const sf_inv_source *src = s->v[i].src;
            if (src == best || !src->os || src->status != SF_SRC_PARSED ||
                os_rank(src->path) != rank)
                continue;
            if (src->os->id && img->os.id && strcmp(src->os->id, img->os.id) != 0)
                continue;
            if (fill(&img->os.id, src->os->id) || fill(&img->os.version_id, src->os->version_id) ||
                fill(&img->os.codename, src->os->codename) ||
                fill(&img->os.pretty_name, src->os->pretty_name) ||
                fill(&img->os.id_like, src->os->id_like))
                return SF_ENOMEM;
        }
    }
    return SF_OK;
}

/* ------------------------------------------------------------ output */

void sf_image_inv_free(sf_image_inv *img)
{
    if (!img)
        return;
    sf_osinfo_clear(&img->os);
    free(img->os_path);
    SF_ARRAY_FREE(img->pkgs, img->npkgs, sf_pkg_clear);
    for (size_t i = 0; i < img->nnotes; i++) {
        free(img->notes[i].path);
        free(img->notes[i].analyzer);
        free(img->notes[i].note);
    }
    free(img->notes);
    free(img);
}

static int collect(const survivors *s, sf_image_inv *img)
{
    size_t np = 0, nn = 0;
    for (size_t i = 0; i < s->n; i++) {
        np += s->v[i].src->npkgs;
        nn += s->v[i].src->status != SF_SRC_PARSED;
    }
    img->pkgs = calloc(np ? np : 1, sizeof *img->pkgs);
    img->notes = calloc(nn ? nn : 1, sizeof *img->notes);
    if (!img->pkgs || !img->notes)
        return SF_ENOMEM;
    for (size_t i = 0; i < s->n; i++) {
        const sf_inv_source *src = s->v[i].src;
        for (size_t k = 0; k < src->npkgs; k++) {
            sf_pkg *p = &img->pkgs[img->npkgs];
            if (sf_pkg_copy(p, &src->pkgs[k]) != SF_OK)
                return SF_ENOMEM;
            img->npkgs++;
            p->layer = s->v[i].layer;
            if (!p->path && !(p->path = strdup(src->path)))
                return SF_ENOMEM;
        }
        if (src->status != SF_SRC_PARSED) {
            sf_img_note *n = &img->notes[img->nnotes++];
            n->status = src->status;
            n->layer = s->v[i].layer;
            if (!(n->path = strdup(src->path)) || !(n->analyzer = strdup(src->analyzer)) ||
                (src->note && !(n->note = strdup(src->note))))
                return SF_ENOMEM;
        }
    }
    return SF_OK;
}

int sf_assemble(const sf_inventory *const *layers, size_t n, sf_image_inv **out, sf_error *err)
{
    *out = NULL;
    survivors s = {NULL, 0, 0};
    sf_image_inv *img = calloc(1, sizeof *img);
    int rc = img ? SF_OK : SF_ENOMEM;
    for (size_t i = 0; i < n && rc == SF_OK; i++) {
        if (!layers[i] || layers[i]->error_code != SF_OK) {
            rc = sf_error_set(err, SF_EINVAL, "assemble: layer %zu has no inventory", i);
            goto done;
        }
        rc = apply_layer(&s, layers[i], (int)i);
    }
    if (rc == SF_OK)
        rc = drop_shadowed_lockfiles(&s);
    if (rc == SF_OK)
        rc = pick_os(&s, img);
    if (rc == SF_OK)
        rc = collect(&s, img);
    if (rc != SF_OK) {
        sf_error_set(err, rc, "assemble: out of memory");
        goto done;
    }
    *out = img;
    img = NULL;
done:
    sf_image_inv_free(img);
    free(s.v);
    return rc;
}
