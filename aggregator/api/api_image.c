/*
 * api_image: one image by digest or reference: its detail (layers,
 * platforms, where it runs), findings (from the stored view, the counted
 * list, enriched from the stored result with aliases and the layer that
 * brought the package) and packages (from the stored result, reduced as
 * the aggregator reduces them). All bounded by the one image's size.
 */
#include "api_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "fleet/agg_view.h"
#include "bus/msg_result.h"
#include "fleet/running.h"

json_t *api_image_item(api_call *c, sf_jb *b, const char *json, int *corrupt);

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The platform images of index d (sorted), NULL-terminated; NULL none. */
static char **index_images(api_call *c, const char *d, sf_error *e, int *rc)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    char **v = NULL;
    if (*rc != SF_OK || sf_keys_agg_index(key, c->a->prefix, d, NULL) != SF_OK)
        return NULL;
    const char *argv[] = {"SMEMBERS", key};
    if ((*rc = api_cmd(c->a, 2, argv, &r, e)) == SF_OK && r->type == SF_KV_ARR && r->nelem &&
        !(v = calloc(r->nelem + 1, sizeof *v)))
        *rc = sf_error_set(e, SF_ENOMEM, "out of memory");
    if (v) {
        for (size_t i = 0; i < r->nelem; i++)
            v[i] = r->elem[i].str, r->elem[i].str = NULL;
        qsort(v, r->nelem, sizeof *v, cmpstr);
    }
    sf_kv_reply_free(r);
    return v;
}

static void strs_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* {image} -> the image digest (out) and its summary JSON (*sum). For an
 * index (a multi-arch tag): its linux/amd64 image, else the first. */
static int resolve(api_call *c, const char *image, char *out, size_t outlen, char **sum,
                   sf_error *e)
{
    char hsum[SF_KEY_MAX], refs[SF_KEY_MAX];
    int rc = SF_OK;
    api_ix(c->a, hsum, "imgsum", NULL);
    sf_keys_agg(refs, c->a->prefix, "refs", NULL);
    char *target = strncmp(image, "sha256:", 7) == 0 ? sf_strdup(image)
                                                     : api_hget(c->a, refs, image, NULL, e, &rc);
    *sum = NULL;
    if (rc == SF_OK && target && !(*sum = api_hget(c->a, hsum, target, NULL, e, &rc))) {
        char **imgs = index_images(c, target, e, &rc);
        const char *pick = imgs ? imgs[0] : NULL;
        for (size_t i = 0; imgs && imgs[i] && rc == SF_OK; i++) {
            char *s = api_hget(c->a, hsum, imgs[i], NULL, e, &rc);
            int amd = s && strstr(s, "\"platform\":\"linux/amd64\"");
            free(s);
            if (amd) {
                pick = imgs[i];
                break;
            }
        }
        if (pick) {
            snprintf(out, outlen, "%s", pick);
            *sum = api_hget(c->a, hsum, pick, NULL, e, &rc);
        }
        strs_free(imgs);
    } else if (target) {
        snprintf(out, outlen, "%s", target);
    }
    free(target);
    return rc;
}

static const char *layer_digest(const sf_result *r, int layer)
{
    return layer >= 0 && (size_t)layer < r->nlayers ? r->layers[layer].digest : NULL;
}

static int detail(api_call *c, sf_jb *b, const char *digest, json_t *o, sf_error *e)
{
    char results[SF_KEY_MAX];
    sf_result r;
    int rc = SF_OK;
    size_t len = 0, bad = 0;
    sf_keys_agg(results, c->a->prefix, "results", NULL);
    char *doc = api_hget(c->a, results, digest, &len, e, &rc);
    json_t *layers = sf_jb_new(b, json_array()), *plats = sf_jb_new(b, json_array());
    json_t *where = sf_jb_new(b, json_array());
    sf_result_init(&r);
    if (doc && sf_result_decode(doc, len, &r, e) == SF_OK) {
        for (size_t i = 0; i < r.nlayers; i++)
            sf_jb_push(b, layers, api_j_layer(b, &r.layers[i]));
    }
    sf_jb_set(b, o, "db_version", sf_jutil_str(r.db_version ? r.db_version : ""));
    sf_jb_set(b, o, "packages", json_integer((json_int_t)r.npkgs));
    const char *ix = json_string_value(json_object_get(o, "index_digest"));
    char **imgs = ix ? index_images(c, ix, e, &rc) : NULL;
    char hsum[SF_KEY_MAX];
    api_ix(c->a, hsum, "imgsum", NULL);
    for (size_t i = 0; imgs && imgs[i] && rc == SF_OK; i++) {
        if (!sf_utf8_ok(imgs[i])) { /* a corrupt member of the index's set */
            bad++;
            continue;
        }
        char *s = api_hget(c->a, hsum, imgs[i], NULL, e, &rc);
        int corrupt = 0;
        json_t *so = api_j_load(b, s, &corrupt);
        /* a platform image whose summary is corrupt is listed without
         * its platform, as one with no summary is */
        bad += (size_t)corrupt;
        sf_jb_push(b, plats, api_j_platform(b, imgs[i], json_object_get(so, "platform")));
        json_decref(so);
        free(s);
    }
    strs_free(imgs);
    sf_running run = {0};
    if (rc == SF_OK && sf_running_load(c->a->kv, c->a->prefix, NULL, &run, e) == SF_OK) {
        const char *plat = json_string_value(json_object_get(o, "platform"));
        for (size_t i = 0; i < run.n; i++) {
            const sf_running_ent *x = &run.v[i];
            if (sf_running_ent_runs(x, digest, ix, plat))
                sf_jb_push(b, where, api_j_where(b, x));
        }
    }
    api_skipped(c, bad, "platform image");
    sf_running_clear(&run);
    sf_jb_set(b, o, "layers", layers);
    sf_jb_set(b, o, "platforms", plats);
    sf_jb_set(b, o, "running_where", where);
    sf_result_clear(&r);
    free(doc);
    return rc;
}

/* ---- findings ---- */


typedef struct fitem {
    const sf_agg_vuln *v;
    const sf_finding *rf; /* the result's finding, NULL unknown */
} fitem;

typedef struct fsort {
    int key, desc;
} fsort;

static int fcmp(const fitem *a, const fitem *b, int key)
{
    int c = 0;
    if (key == 0) /* severity (sf_sev: more severe is greater): critical first descending */
        c = a->v->sev - b->v->sev;
    else if (key == 1)
        c = a->v->cvss < b->v->cvss ? -1 : a->v->cvss > b->v->cvss;
    else if (key == 3)
        c = strcmp(a->v->pkg, b->v->pkg);
    if (!c)
        c = strcmp(a->v->id, b->v->id);
    if (!c)
        c = strcmp(a->v->pkg, b->v->pkg);
    if (!c)
        c = strcmp(a->v->installed ? a->v->installed : "", b->v->installed ? b->v->installed : "");
    return c;
}

/* insertion-free merge sort would do; qsort_r keeps it short */
static int fcmp_r(const void *a, const void *b, void *arg)
{
    const fsort *s = arg;
    int c = fcmp(a, b, s->key);
    return s->desc ? -c : c;
}

static int eco_match(const char *eco, const char *want)
{
    size_t n = strlen(want);
    return eco && (strcmp(eco, want) == 0 || (strncmp(eco, want, n) == 0 && eco[n] == ':'));
}

static const sf_finding *find_rf(const sf_result *r, const sf_agg_vuln *v)
{
    for (size_t i = 0; i < r->vulns.n; i++) {
        const sf_finding *f = &r->vulns.items[i];
        if (f->id && f->pkg_name && strcmp(f->id, v->id) == 0 && strcmp(f->pkg_name, v->pkg) == 0 &&
            strcmp(f->installed ? f->installed : "", v->installed ? v->installed : "") == 0)
            return f;
    }
    return NULL;
}

/* Page [off, off+limit) of n items as the list envelope. */
static json_t *envelope(sf_jb *b, json_t *items, size_t total, long off, long limit)
{
    long next = off + limit < (long)total ? off + limit : -1;
    return api_j_envelope(b, items, (long long)total, next);
}

static const char *const FIND_SORTS[] = {"severity", "cvss", "id", "package", NULL};

static int findings(api_call *c, const char *digest, const sf_api_list_params *p, sf_error *e)
{
    char views[SF_KEY_MAX], results[SF_KEY_MAX];
    int rc = SF_OK;
    size_t vl = 0, rl = 0, n = 0;
    sf_agg_view *v = NULL;
    sf_result r;
    sf_result_init(&r);
    sf_keys_agg(views, c->a->prefix, "views", NULL);
    sf_keys_agg(results, c->a->prefix, "results", NULL);
    char *vj = api_hget(c->a, views, digest, &vl, e, &rc), *rj = api_hget(c->a, results, digest, &rl, e, &rc);
    if (rc != SF_OK)
        goto done;
    if (!vj || sf_agg_view_parse(vj, vl, &v, e) != SF_OK) {
        rc = SF_ENOTFOUND;
        goto done;
    }
    if (rj)
        sf_result_decode(rj, rl, &r, e);
    fitem *items = calloc(v->nvulns + 1, sizeof *items);
    for (size_t i = 0; items && i < v->nvulns; i++) {
        const sf_agg_vuln *x = &v->vulns[i];
        if ((p->nsev && !p->sev[x->sev]) || (p->fixable == 1 && !x->fixed) ||
            (p->fixable == 0 && x->fixed) || (p->cvss_min >= 0 && x->cvss < p->cvss_min) ||
            (p->ecosystem && !eco_match(x->eco, p->ecosystem)))
            continue;
        items[n].v = x;
        items[n++].rf = v->nvulns <= 5000 ? find_rf(&r, x) : NULL; /* O(n^2) guard */
    }
    fsort s = {p->sort, p->desc};
    if (items && n)
        qsort_r(items, n, sizeof *items, fcmp_r, &s);
    sf_jb b = {0};
    json_t *arr = sf_jb_new(&b, items ? json_array() : NULL);
    for (long i = p->offset; items && i < (long)n && i < p->offset + p->limit; i++) {
        const fitem *it = &items[i];
        const char *layer = it->rf ? layer_digest(&r, it->rf->layer) : NULL;
        sf_jb_push(&b, arr, api_j_finding(&b, it->v, it->rf, layer));
    }
    free(items);
    api_ok(c, &b, envelope(&b, arr, n, p->offset, p->limit));
done:
    sf_agg_view_free(v);
    sf_result_clear(&r);
    free(vj);
    free(rj);
    return rc;
}

/* ---- packages ---- */

typedef struct pitem {
    const sf_pkg *p;
    char eco[256];
} pitem;

static int pcmp(const void *a, const void *b, void *arg)
{
    const pitem *x = a, *y = b;
    int c = strcmp(x->p->name, y->p->name);
    if (!c)
        c = strcmp(x->eco, y->eco);
    if (!c)
        c = strcmp(x->p->version, y->p->version);
    return *(int *)arg ? -c : c;
}

static const char *const PKG_SORTS[] = {"name", NULL};

static int packages(api_call *c, const char *digest, const sf_api_list_params *p, sf_error *e)
{
    char results[SF_KEY_MAX];
    int rc = SF_OK;
    size_t rl = 0, n = 0;
    sf_result r;
    sf_result_init(&r);
    sf_keys_agg(results, c->a->prefix, "results", NULL);
    char *rj = api_hget(c->a, results, digest, &rl, e, &rc);
    if (rc != SF_OK)
        goto done;
    if (!rj || sf_result_decode(rj, rl, &r, e) != SF_OK) {
        rc = SF_ENOTFOUND;
        goto done;
    }
    pitem *items = calloc(r.npkgs + 1, sizeof *items);
    for (size_t i = 0; items && i < r.npkgs; i++) {
        const sf_pkg *k = &r.pkgs[i];
        if (!k->name || !k->version || !*k->name || !*k->version)
            continue;
        items[n].p = k;
        if (sf_agg_pkg_eco(k, r.has_os ? &r.os : NULL, items[n].eco, sizeof items[n].eco) != SF_OK)
            continue;
        if (p->ecosystem && !eco_match(items[n].eco, p->ecosystem))
            continue;
        n++;
    }
    int desc = p->desc;
    if (items && n)
        qsort_r(items, n, sizeof *items, pcmp, &desc);
    /* the aggregator's reduction: one entry per (ecosystem, name, version) */
    size_t w = 0;
    int asc = 0;
    for (size_t i = 0; i < n; i++)
        if (!w || pcmp(&items[w - 1], &items[i], &asc) != 0)
            items[w++] = items[i];
    n = w;
    sf_jb b = {0};
    json_t *arr = sf_jb_new(&b, items ? json_array() : NULL);
    for (long i = p->offset; items && i < (long)n && i < p->offset + p->limit; i++) {
        const sf_pkg *k = items[i].p;
        sf_buf purl;
        sf_buf_init(&purl, 4096);
        int prc = sf_result_purl(k, r.has_os ? &r.os : NULL, &purl);
        if (prc == SF_ENOMEM) /* out of memory, not a package without one */
            sf_jb_new(&b, NULL);
        sf_jb_push(&b, arr, api_j_pkg(&b, items[i].eco, k, prc == SF_OK ? purl.data : NULL,
                                      layer_digest(&r, k->layer)));
        sf_buf_free(&purl);
    }
    free(items);
    api_ok(c, &b, envelope(&b, arr, n, p->offset, p->limit));
done:
    sf_result_clear(&r);
    free(rj);
    return rc;
}

int api_image_get(api_call *c, const char *image, int what)
{
    char digest[SF_API_MAX_VALUE], *sum = NULL;
    sf_error e = {0};
    sf_api_list_params p;
    digest[0] = '\0';
    if (what == 1 && api_params(c, SF_API_P_SEVERITY | SF_API_P_FIXABLE | SF_API_P_ECOSYSTEM |
                                       SF_API_P_CVSS | SF_API_P_PAGE, FIND_SORTS, 1, &p))
        return -1;
    if (what == 2 && api_params(c, SF_API_P_ECOSYSTEM | SF_API_P_PAGE, PKG_SORTS, 0, &p))
        return -1;
    if (what == 0 && c->req->nparams)
        return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
    int rc = resolve(c, image, digest, sizeof digest, &sum, &e);
    if (rc != SF_OK)
        return api_redis_fail(c, &e);
    if (!sum)
        return api_fail(c, 404, NULL, "no image %s in the fleet view", image);
    if (what == 1)
        rc = findings(c, digest, &p, &e);
    else if (what == 2)
        rc = packages(c, digest, &p, &e);
    else {
        sf_jb b = {0};
        int corrupt = 0;
        json_t *o = api_image_item(c, &b, sum, &corrupt);
        if (corrupt) {
            free(sum);
            return api_fail(c, 500, NULL, "the stored summary of %s is corrupt", image);
        }
        if ((rc = detail(c, &b, digest, o, &e)) != SF_OK)
            json_decref(o);
        else
            api_ok(c, &b, o);
    }
    free(sum);
    if (rc == SF_ENOTFOUND)
        return api_fail(c, 404, NULL, "no stored result for %s", image);
    return rc == SF_OK ? 0 : api_redis_fail(c, &e);
}
