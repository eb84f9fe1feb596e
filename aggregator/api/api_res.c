/*
 * api_res: the image, vulnerability and package resources: their lists
 * (through api_list.c) and their single items.
 */
#include "api_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_json.h"
#include "fleet/agg_view.h"
#include "base/digest.h"
#include "model/severity.h"
#include "vuln/advisory.h"

const char *sf_api_sev_name(int s) { return sf_sev_name(s); }

int api_params(api_call *c, unsigned accepted, const char *const *sorts, int default_desc,
               sf_api_list_params *p)
{
    const char *param = NULL;
    char why[160];
    if (sf_api_params_parse(c->req, accepted, sorts, default_desc, c->a->max_page, p, &param,
                            why, sizeof why) != 0)
        return api_fail(c, 400, param, "%s: %s", param ? param : "query", why);
    return 0;
}

/* Answer an empty page (a filter that cannot match). */
static int empty_page(api_call *c)
{
    sf_jb b = {0};
    api_ok(c, &b, api_j_envelope(&b, sf_jb_new(&b, json_array()), 0, -1));
    return 0;
}

/* Fills a page's items (pushed onto items with b) from l's members:
 * SF_OK, or a Redis failure (in e). */
typedef int (*api_items_fn)(api_call *c, api_lst *l, sf_jb *b, json_t *items, sf_error *e);

/* Run l and answer with items built by fn per member. */
static int answer(api_call *c, api_lst *l, const sf_api_list_params *p, int rc, api_items_fn fn)
{
    sf_jb b = {0};
    if (rc == 1) {
        api_lst_done(l);
        return empty_page(c);
    }
    if (rc == 0)
        rc = api_lst_run(l, p->desc, p->offset, p->limit) == SF_OK ? 0 : -2;
    json_t *items = rc == 0 ? sf_jb_new(&b, json_array()) : NULL;
    if (rc == 0 && fn(c, l, &b, items, &l->err) != SF_OK)
        rc = -2;
    if (rc == 0)
        api_ok(c, &b, api_lst_envelope(&b, l, items));
    else if (rc == -1)
        api_fail(c, 400, NULL, "too many filters");
    else
        api_redis_fail(c, &l->err);
    if (rc != 0)
        json_decref(items);
    api_lst_done(l);
    return rc ? -1 : 0;
}

/* HMGET hash over the page's members -> reply (caller frees). */
static int hmget_page(api_call *c, api_lst *l, const char *hash, sf_kv_reply **out, sf_error *e)
{
    const char **argv = calloc(l->n + 2, sizeof *argv);
    if (!argv)
        return SF_ENOMEM;
    argv[0] = "HMGET", argv[1] = hash;
    for (size_t i = 0; i < l->n; i++)
        argv[2 + i] = api_lst_member(l, i);
    int rc = l->n ? api_cmd(c->a, 2 + (int)l->n, argv, out, e) : SF_OK;
    free(argv);
    return rc;
}

/* ZMSCORE key over the page's members. */
static int zmscore_page(api_call *c, api_lst *l, const char *kind, const char *value,
                        sf_kv_reply **out, sf_error *e)
{
    char key[SF_KEY_MAX];
    *out = NULL;
    if (api_ix(c->a, key, kind, value) != SF_OK)
        return SF_OK;
    const char **argv = calloc(l->n + 2, sizeof *argv);
    if (!argv)
        return SF_ENOMEM;
    argv[0] = "ZMSCORE", argv[1] = key;
    for (size_t i = 0; i < l->n; i++)
        argv[2 + i] = api_lst_member(l, i);
    int rc = l->n ? api_cmd(c->a, 2 + (int)l->n, argv, out, e) : SF_OK;
    free(argv);
    return rc;
}

static double score_at(const sf_kv_reply *r, size_t i, double dflt)
{
    if (!r || r->type != SF_KV_ARR || i >= r->nelem || r->elem[i].type != SF_KV_STR)
        return dflt;
    return strtod(r->elem[i].str, NULL);
}

/* ---- images ---- */

/* An image summary with "running" added; NULL when json is NULL or not
 * JSON (*corrupt set) or out of memory (counted in b). */
json_t *api_image_item(api_call *c, sf_jb *b, const char *json, int *corrupt)
{
    json_t *o = api_j_load(b, json, corrupt);
    if (!o)
        return NULL;
    sf_jb_set(b, o, "running",
              json_boolean(api_running_has(c, json_string_value(json_object_get(o, "digest")),
                                           json_string_value(json_object_get(o, "index_digest")),
                                           json_string_value(json_object_get(o, "platform")))));
    return o;
}

static int image_items(api_call *c, api_lst *l, sf_jb *b, json_t *items, sf_error *e)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    size_t bad = 0;
    api_ix(c->a, key, "imgsum", NULL);
    int rc = hmget_page(c, l, key, &r, e);
    for (size_t i = 0; rc == SF_OK && r && i < r->nelem; i++) {
        int corrupt = 0;
        json_t *o = api_image_item(c, b, r->elem[i].str, &corrupt);
        if (o)
            sf_jb_push(b, items, o);
        bad += (size_t)corrupt;
    }
    api_skipped(c, bad, "image summary");
    sf_kv_reply_free(r);
    return rc;
}

static const char *const IMG_SORTS[] = {"risk", "findings", "critical", "cvss", "time", "digest",
                                        NULL};
static const char *const IMG_SORT_KIND[] = {"imgrisk", "imgfind", "imgcrit", "imgcvss",
                                            "imgtime", "imgall"};
static const api_lst_kinds IMG_KINDS = {"imgsev", "imgfix", "imgreg", "imgrepo",
                                        "imgtag", "imgeco", "imgcvss", 0};

int api_images(api_call *c, const char *must_key, int extra)
{
    sf_api_list_params p;
    api_lst l;
    char key[SF_KEY_MAX];
    unsigned acc = SF_API_P_FILTERS | SF_API_P_PAGE | (extra ? SF_API_P_VERSION : 0);
    if (api_params(c, acc, IMG_SORTS, 1, &p) != 0)
        return -1;
    if (!p.order_given && p.sort == 5)
        p.desc = 0; /* by digest: A..Z unless asked */
    api_lst_init(&l, c);
    api_ix(c->a, key, IMG_SORT_KIND[p.sort], NULL);
    api_lst_base(&l, key, p.sort == 5 ? 0 : 1);
    int rc = must_key ? api_lst_must(&l, must_key) : 0;
    if (rc == 0)
        rc = api_lst_filters(&l, &p, &IMG_KINDS);
    return answer(c, &l, &p, rc, image_items);
}

/* ---- vulnerabilities ---- */

/* The summary of vulnerability id from its scores and stored facts
 * (text; NULL none). Facts that are not JSON are answered as none, as
 * before: the scores are the index's, the facts only add aliases. */
static json_t *vuln_item(api_call *c, sf_jb *b, const char *id, const api_j_vscore *sc,
                         const char *facts)
{
    int corrupt = 0;
    json_t *f = api_j_load(b, facts, &corrupt);
    api_skipped(c, (size_t)corrupt, "vulnerability facts");
    json_t *o = api_j_vuln(b, id, sc, f);
    json_decref(f);
    return o;
}

/* Score replies of a page of ids, in the order vuln_item takes them. */
enum { VS_IMAGES, VS_CVSS, VS_SEVR, VS_EPSS, VS_FIRST, VS_FIX, VS_N };

static int vuln_items(api_call *c, api_lst *l, sf_jb *b, json_t *items, sf_error *e)
{
    static const char *const kinds[VS_N] = {NULL, "vcvss", "vsevr", "vepss", "vfirst", "vfix"};
    sf_kv_reply *sc[VS_N] = {0}, *facts = NULL;
    char key[SF_KEY_MAX];
    size_t bad = 0;
    int rc = SF_OK;
    for (int k = 1; rc == SF_OK && k < VS_N; k++)
        rc = zmscore_page(c, l, kinds[k], NULL, &sc[k], e);
    if (rc == SF_OK) {
        char cves[SF_KEY_MAX];
        sf_keys_agg(cves, c->a->prefix, "cves", NULL);
        const char **argv = calloc(l->n + 2, sizeof *argv);
        if (argv)
            argv[0] = "ZMSCORE", argv[1] = cves;
        for (size_t i = 0; argv && i < l->n; i++)
            argv[2 + i] = api_lst_member(l, i);
        rc = !argv ? SF_ENOMEM : l->n ? api_cmd(c->a, 2 + (int)l->n, argv, &sc[0], e) : SF_OK;
        free(argv);
    }
    if (rc == SF_OK && api_ix(c->a, key, "vsum", NULL) == SF_OK)
        rc = hmget_page(c, l, key, &facts, e);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        const char *id = api_lst_member(l, i);
        if (!sf_utf8_ok(id)) { /* a corrupt member: no answer can name it */
            bad++;
            continue;
        }
        api_j_vscore s = {score_at(sc[0], i, 0),  score_at(sc[1], i, -1), score_at(sc[2], i, 0),
                          score_at(sc[3], i, -1), score_at(sc[4], i, 0),  score_at(sc[5], i, 0)};
        sf_jb_push(b, items,
                   vuln_item(c, b, id, &s, facts && i < facts->nelem ? facts->elem[i].str : NULL));
    }
    api_skipped(c, bad, "vulnerability id");
    for (int k = 0; k < VS_N; k++)
        sf_kv_reply_free(sc[k]);
    sf_kv_reply_free(facts);
    return rc;
}

static const char *const VULN_SORTS[] = {"images", "severity", "cvss", "epss", "id",
                                         "first_seen", NULL};
static const char *const VULN_SORT_KIND[] = {NULL, "vsevr", "vcvss", "vepss", NULL, "vfirst"};
static const api_lst_kinds VULN_KINDS = {"vsev", "vfix", "vreg", "vrepo", "vtag", "veco",
                                         "vcvss", 1};

/* Rank of run id (its first-seen ms), -1 unknown. */
static int run_rank(api_call *c, const char *run, double *rank, sf_error *e)
{
    char runs[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    sf_keys_agg(runs, c->a->prefix, "runs", NULL);
    const char *argv[] = {"ZSCORE", runs, run};
    int rc = api_cmd(c->a, 3, argv, &r, e);
    *rank = rc == SF_OK && r->type == SF_KV_STR ? strtod(r->str, NULL) : -1;
    sf_kv_reply_free(r);
    return rc;
}

int api_vulns(api_call *c)
{
    sf_api_list_params p;
    api_lst l;
    char key[SF_KEY_MAX], cves[SF_KEY_MAX];
    if (api_params(c, SF_API_P_FILTERS | SF_API_P_PAGE | SF_API_P_NEWSINCE, VULN_SORTS, 1, &p))
        return -1;
    if (!p.order_given && p.sort == 4)
        p.desc = 0;
    api_lst_init(&l, c);
    sf_keys_agg(cves, c->a->prefix, "cves", NULL);
    if (VULN_SORT_KIND[p.sort]) {
        api_ix(c->a, key, VULN_SORT_KIND[p.sort], NULL);
        api_lst_base(&l, key, 1);
        api_lst_must(&l, cves); /* maxima are never removed: keep live ids */
    } else {
        api_lst_base(&l, cves, p.sort == 0 ? 1 : 0);
    }
    int rc = api_lst_filters(&l, &p, &VULN_KINDS);
    if (rc == 0 && p.new_since) {
        double rank;
        if (run_rank(c, p.new_since, &rank, &l.err) != SF_OK)
            rc = -2;
        else if (rank < 0) {
            api_lst_done(&l);
            return api_fail(c, 400, "new_since", "new_since: no such run");
        } else if (api_ix(c->a, key, "vfirst", NULL) == SF_OK)
            rc = api_lst_min(&l, key, rank, 1);
    }
    return answer(c, &l, &p, rc, vuln_items);
}

/* id or alias -> the id the fleet view knows (out), 0 found. */
static int vuln_resolve(api_call *c, const char *id, char *out, size_t outlen, double *images,
                        sf_error *e)
{
    char cves[SF_KEY_MAX], alias[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    const char *cand = id;
    sf_keys_agg(cves, c->a->prefix, "cves", NULL);
    api_ix(c->a, alias, "valias", NULL);
    for (int pass = 0; pass < 2; pass++) {
        const char *argv[] = {"ZSCORE", cves, cand};
        if (api_cmd(c->a, 3, argv, &r, e) != SF_OK)
            return -2;
        int found = r->type == SF_KV_STR;
        *images = found ? strtod(r->str, NULL) : 0;
        sf_kv_reply_free(r);
        r = NULL;
        if (found) {
            if (cand != out) /* the alias pass already wrote out */
                snprintf(out, outlen, "%s", cand);
            return 0;
        }
        if (pass == 1)
            break;
        const char *hv[] = {"HGET", alias, id};
        if (api_cmd(c->a, 3, hv, &r, e) != SF_OK)
            return -2;
        if (r->type != SF_KV_STR) {
            sf_kv_reply_free(r);
            return -1;
        }
        snprintf(out, outlen, "%s", r->str);
        cand = out;
        sf_kv_reply_free(r);
        r = NULL;
    }
    return -1;
}

static double zscore(api_call *c, const char *kind, const char *value, const char *member,
                     double dflt, sf_error *e, int *rc)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    double v = dflt;
    if (*rc != SF_OK || api_ix(c->a, key, kind, value) != SF_OK)
        return dflt;
    const char *argv[] = {"ZSCORE", key, member};
    if ((*rc = api_cmd(c->a, 3, argv, &r, e)) == SF_OK && r->type == SF_KV_STR)
        v = strtod(r->str, NULL);
    sf_kv_reply_free(r);
    return v;
}

/* One (package, installed, fixed) of a vulnerability: its member's four
 * fields and the images that carry it. */
static json_t *vpkg_json(sf_jb *b, char f[4][SF_AGG_STR_MAX + 1], double images)
{
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "ecosystem", sf_jutil_str(f[0][0] ? f[0] : NULL));
    sf_jb_set(b, o, "name", sf_jutil_str(f[1]));
    sf_jb_set(b, o, "installed", sf_jutil_str(f[2][0] ? f[2] : NULL));
    sf_jb_set(b, o, "fixed", sf_jutil_str(f[3][0] ? f[3] : NULL));
    sf_jb_set(b, o, "images", json_integer((json_int_t)images));
    return o;
}

/* packages and fixed_versions of a vulnerability (vpkgs:<id>). */
static int vuln_pkgs(api_call *c, sf_jb *b, const char *id, json_t *o, sf_error *e)
{
    char key[SF_KEY_MAX], eco[SF_AGG_STR_MAX + 1] = "";
    sf_kv_reply *r = NULL;
    json_t *pk = sf_jb_new(b, json_array()), *fx = sf_jb_new(b, json_array());
    size_t bad = 0;
    int rc = api_ix(c->a, key, "vpkgs", id);
    if (rc == SF_OK) {
        /* bounded: distinct (package, installed, fixed) of one advisory */
        const char *argv[] = {"ZRANGE", key, "0", "9999", "WITHSCORES"};
        rc = api_cmd(c->a, 5, argv, &r, e);
    }
    for (size_t i = 0; rc == SF_OK && r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2) {
        char f[4][SF_AGG_STR_MAX + 1] = {{0}};
        const char *s = r->elem[i].str;
        if (!sf_utf8_ok(s)) {
            bad++;
            continue;
        }
        for (int k = 0; k < 4 && s; k++) {
            size_t n = strcspn(s, "\x1f");
            snprintf(f[k], sizeof f[k], "%.*s", (int)n, s);
            s = s[n] ? s + n + 1 : NULL;
        }
        sf_jb_push(b, pk, vpkg_json(b, f, strtod(r->elem[i + 1].str, NULL)));
        int dup = !f[3][0];
        for (size_t k = 0; !dup && k < json_array_size(fx); k++)
            dup = strcmp(json_string_value(json_array_get(fx, k)), f[3]) == 0;
        if (!dup)
            sf_jb_push(b, fx, sf_jutil_str(f[3]));
        if (!eco[0] && f[0][0])
            snprintf(eco, sizeof eco, "%s", f[0]);
    }
    api_skipped(c, bad, "vulnerability package");
    if (eco[0])
        api_j_links(b, o, id, eco);
    sf_jb_set(b, o, "packages", pk);
    sf_jb_set(b, o, "fixed_versions", fx);
    sf_kv_reply_free(r);
    return rc;
}

int api_vuln_get(api_call *c, const char *id, int images)
{
    char real[SF_AGG_STR_MAX + 1], key[SF_KEY_MAX];
    sf_error e = {0};
    sf_jb b = {0};
    double nimg = 0;
    int rc = vuln_resolve(c, id, real, sizeof real, &nimg, &e);
    if (rc == -2)
        return api_redis_fail(c, &e);
    if (rc == -1)
        return api_fail(c, 404, NULL, "no image in the fleet view has %s", id);
    if (!sf_utf8_ok(real)) /* an alias stored corrupt: no answer can name it */
        return api_fail(c, 500, NULL, "the fleet view's entry for %s is corrupt", id);
    if (images) {
        if (sf_keys_agg_cve(key, c->a->prefix, real, NULL) != SF_OK)
            return api_fail(c, 404, NULL, "no such vulnerability");
        return api_images(c, key, 0);
    }
    if (c->req->nparams)
        return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
    rc = SF_OK;
    api_j_vscore sc = {nimg, 0, 0, 0, 0, 0};
    sc.cvss = zscore(c, "vcvss", NULL, real, -1, &e, &rc);
    sc.sevr = zscore(c, "vsevr", NULL, real, 0, &e, &rc);
    sc.epss = zscore(c, "vepss", NULL, real, -1, &e, &rc);
    sc.first = zscore(c, "vfirst", NULL, real, 0, &e, &rc);
    sc.fix = zscore(c, "vfix", NULL, real, 0, &e, &rc);
    sf_kv_reply *f = NULL;
    if (rc == SF_OK && api_ix(c->a, key, "vsum", NULL) == SF_OK) {
        const char *argv[] = {"HGET", key, real};
        rc = api_cmd(c->a, 3, argv, &f, &e);
    }
    json_t *o = rc == SF_OK ? vuln_item(c, &b, real, &sc, f && f->type == SF_KV_STR ? f->str : NULL)
                            : NULL;
    sf_kv_reply_free(f);
    if (rc == SF_OK)
        rc = vuln_pkgs(c, &b, real, o, &e);
    if (rc != SF_OK) {
        json_decref(o);
        return api_redis_fail(c, &e);
    }
    api_ok(c, &b, o);
    return 0;
}

/* ---- packages ---- */

/* A package summary of member ("<ecosystem>\x1f<name>", valid UTF-8). */
static json_t *pkg_item(api_call *c, sf_jb *b, const char *member, double images, double vuln,
                        sf_error *e, int *rc)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    long long nver = 0;
    const char *sep = strchr(member, '\x1f');
    if (!sep)
        return NULL;
    if (*rc == SF_OK && api_ix(c->a, key, "pver", member) == SF_OK) {
        const char *argv[] = {"ZCARD", key};
        if ((*rc = api_cmd(c->a, 2, argv, &r, e)) == SF_OK && r->type == SF_KV_INT)
            nver = r->integer;
        sf_kv_reply_free(r);
    }
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "ecosystem", json_stringn(member, (size_t)(sep - member)));
    sf_jb_set(b, o, "name", sf_jutil_str(sep + 1));
    sf_jb_set(b, o, "images", json_integer((json_int_t)images));
    sf_jb_set(b, o, "versions", json_integer((json_int_t)nver));
    sf_jb_set(b, o, "vulnerable", json_boolean(vuln > 0));
    return o;
}

static int pkg_items(api_call *c, api_lst *l, sf_jb *b, json_t *items, sf_error *e)
{
    sf_kv_reply *img = NULL, *vul = NULL;
    size_t bad = 0;
    int rc = zmscore_page(c, l, "pall", NULL, &img, e);
    if (rc == SF_OK)
        rc = zmscore_page(c, l, "pvuln", NULL, &vul, e);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        const char *m = api_lst_member(l, i);
        if (!sf_utf8_ok(m) || !strchr(m, '\x1f')) {
            bad++;
            continue;
        }
        json_t *o = pkg_item(c, b, m, score_at(img, i, 0), score_at(vul, i, 0), e, &rc);
        if (rc == SF_OK)
            sf_jb_push(b, items, o);
        else
            json_decref(o);
    }
    api_skipped(c, bad, "package");
    sf_kv_reply_free(img);
    sf_kv_reply_free(vul);
    return rc;
}

static const char *const PKG_SORTS[] = {"images", "name", NULL};
static const api_lst_kinds PKG_KINDS = {"psev", "pfix", "preg", "prepo", "ptag", "peco",
                                        "pcvss", 2};

int api_pkgs(api_call *c)
{
    sf_api_list_params p;
    api_lst l;
    char key[SF_KEY_MAX];
    if (api_params(c, SF_API_P_FILTERS | SF_API_P_PAGE | SF_API_P_Q, PKG_SORTS, 1, &p) != 0)
        return -1;
    if (!p.order_given && p.sort == 1)
        p.desc = 0;
    api_lst_init(&l, c);
    api_ix(c->a, key, "pall", NULL);
    api_lst_base(&l, key, p.sort == 0 ? 1 : 0);
    int rc = p.q ? api_lst_name(&l, "pname", p.q) : 0;
    return answer(c, &l, &p, rc ? rc : api_lst_filters(&l, &p, &PKG_KINDS), pkg_items);
}

int api_pkg_get(api_call *c, const char *eco, const char *name, int images)
{
    char member[2 * SF_API_MAX_VALUE + 2], key[SF_KEY_MAX];
    sf_error e = {0};
    int rc = SF_OK;
    if (strchr(eco, '\x1f') || strchr(name, '\x1f'))
        return api_fail(c, 400, "ecosystem", "bad package identity");
    snprintf(member, sizeof member, "%s\x1f%s", eco, name);
    double nimg = zscore(c, "pall", NULL, member, 0, &e, &rc);
    if (rc != SF_OK)
        return api_redis_fail(c, &e);
    if (nimg <= 0)
        return api_fail(c, 404, NULL, "no image in the fleet view has package %s (%s)", name,
                        eco);
    if (images) {
        const char *ver = sf_api_param_get(c->req, "version");
        char mv[3 * SF_API_MAX_VALUE + 4];
        snprintf(mv, sizeof mv, "%s\x1f%s", member, ver ? ver : "");
        if (ver ? api_ix(c->a, key, "pimgv", mv) : api_ix(c->a, key, "pimg", member))
            return api_fail(c, 404, NULL, "package name too long");
        return api_images(c, key, 1);
    }
    if (c->req->nparams)
        return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
    if (!sf_utf8_ok(member)) /* a request's name, not stored text */
        return api_fail(c, 404, NULL, "no image in the fleet view has package %s (%s)", name,
                        eco);
    sf_jb b = {0};
    double vuln = zscore(c, "pvuln", NULL, member, 0, &e, &rc);
    json_t *o = pkg_item(c, &b, member, nimg, vuln, &e, &rc), *vl = sf_jb_new(&b, json_array());
    size_t bad = 0;
    sf_kv_reply *r = NULL;
    if (rc == SF_OK && api_ix(c->a, key, "pver", member) == SF_OK) {
        const char *argv[] = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
        rc = api_cmd(c->a, 5, argv, &r, &e);
    }
    for (size_t i = 0; rc == SF_OK && r && r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2) {
        if (!sf_utf8_ok(r->elem[i].str)) {
            bad++;
            continue;
        }
        json_t *v = sf_jb_new(&b, json_object());
        sf_jb_set(&b, v, "version", sf_jutil_str(r->elem[i].str));
        sf_jb_set(&b, v, "images", json_integer((json_int_t)strtod(r->elem[i + 1].str, NULL)));
        sf_jb_push(&b, vl, v);
    }
    api_skipped(c, bad, "package version");
    sf_kv_reply_free(r);
    if (rc != SF_OK) {
        json_decref(o);
        json_decref(vl);
        return api_redis_fail(c, &e);
    }
    sf_jb_set(&b, o, "version_list", vl);
    api_ok(c, &b, o);
    return 0;
}

/* ---- registries and repositories ---- */

static json_t *counts_obj(sf_jb *b, const sf_kv_reply *r, size_t base)
{
    long long v[10];
    for (size_t i = 0; i < 10; i++)
        v[i] = (long long)score_at(r, base + i, 0);
    return api_j_counts(b, v);
}

/* The counts fields of scope ("" fleet, "reg|r|", "repo|rr|"): 10 names. */
void api_count_fields(char f[10][1200], const char *scope)
{
    static const char *const names[] = {"images", "vulnerable", "errors", "findings", "fixable"};
    static const char *const sev[] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
    for (int i = 0; i < 5; i++)
        snprintf(f[i], 1200, "%s%s", scope, names[i]);
    for (int i = 0; i < 5; i++)
        snprintf(f[5 + i], 1200, "%ssev|%s", scope, sev[i]);
}

/* HMGET hash over n scopes' count fields -> Counts objects. */
int api_counts(api_call *c, sf_jb *b, const char *hash, const char *const *scopes, size_t n,
               json_t **out, sf_error *e)
{
    char(*f)[1200] = calloc(10 * n + 1, 1200);
    const char **argv = calloc(10 * n + 2, sizeof *argv);
    sf_kv_reply *r = NULL;
    int rc = f && argv ? SF_OK : SF_ENOMEM;
    if (n == 0) { /* an empty page: HMGET needs a field */
        free(f);
        free(argv);
        return rc;
    }
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        api_count_fields(f + 10 * i, scopes[i]);
        for (int k = 0; k < 10; k++)
            argv[2 + 10 * i + k] = f[10 * i + k];
    }
    if (rc == SF_OK) {
        argv[0] = "HMGET", argv[1] = hash;
        rc = api_cmd(c->a, 2 + 10 * (int)n, argv, &r, e);
    }
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        out[i] = counts_obj(b, r, 10 * i);
    sf_kv_reply_free(r);
    free(f);
    free(argv);
    return rc;
}

static int rollup_items(api_call *c, api_lst *l, sf_jb *b, json_t *items, sf_error *e)
{
    char counts[SF_KEY_MAX];
    const char **scopes = calloc(l->n + 1, sizeof *scopes);
    char(*sc)[1200] = calloc(l->n + 1, 1200);
    json_t **objs = calloc(l->n + 1, sizeof *objs);
    int repos = !strcmp(c->req->segs[1], "repositories");
    int rc = scopes && sc && objs ? SF_OK : SF_ENOMEM;
    size_t bad = 0;
    sf_keys_agg(counts, c->a->prefix, "counts", NULL);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        snprintf(sc[i], 1200, "%s|%s|", repos ? "repo" : "reg", api_lst_member(l, i));
        scopes[i] = sc[i];
    }
    if (rc == SF_OK)
        rc = api_counts(c, b, counts, scopes, l->n, objs, e);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        const char *m = api_lst_member(l, i), *sl = strchr(m, '/');
        if (!sf_utf8_ok(m)) {
            bad++;
            json_decref(objs[i]);
            continue;
        }
        json_t *o = sf_jb_new(b, json_object());
        if (repos && sl) {
            sf_jb_set(b, o, "registry", json_stringn(m, (size_t)(sl - m)));
            sf_jb_set(b, o, "repository", sf_jutil_str(sl + 1));
        } else {
            sf_jb_set(b, o, "registry", sf_jutil_str(m));
        }
        sf_jb_set(b, o, "counts", objs[i]);
        sf_jb_push(b, items, o);
    }
    api_skipped(c, bad, repos ? "repository" : "registry");
    free(scopes);
    free(sc);
    free(objs);
    return rc;
}

static const char *const ROLL_SORTS[] = {"images", "findings", "critical", "name", NULL};

int api_rollup(api_call *c, int repos, const char *one)
{
    sf_api_list_params p;
    api_lst l;
    char key[SF_KEY_MAX], sortkey[SF_KEY_MAX];
    const char *base = repos ? "repos" : "regs";
    if (one) {
        sf_error e = {0};
        int rc = SF_OK;
        if (c->req->nparams)
            return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
        if (!sf_utf8_ok(one) || zscore(c, base, NULL, one, 0, &e, &rc) <= 0)
            return rc != SF_OK ? api_redis_fail(c, &e)
                               : api_fail(c, 404, NULL, "no image in the fleet view is in %s", one);
        api_lst_init(&l, c);
        l.n = 1;
        sf_kv_reply fake[2] = {{.type = SF_KV_STR, .str = (char *)one}, {.type = SF_KV_STR}};
        sf_kv_reply page = {.type = SF_KV_ARR, .elem = fake, .nelem = 2};
        l.page = &page;
        sf_jb b = {0};
        json_t *items = sf_jb_new(&b, json_array());
        rc = rollup_items(c, &l, &b, items, &e);
        l.page = NULL;
        if (rc != SF_OK) {
            json_decref(items);
            return api_redis_fail(c, &e);
        }
        json_t *o = json_incref(json_array_get(items, 0));
        json_decref(items);
        api_ok(c, &b, o);
        return 0;
    }
    if (api_params(c, SF_API_P_PAGE | (repos ? SF_API_P_REGISTRY | SF_API_P_Q : 0), ROLL_SORTS, 1,
                   &p) != 0)
        return -1;
    if (!p.order_given && p.sort == 3)
        p.desc = 0;
    api_lst_init(&l, c);
    api_ix(c->a, key, base, NULL);
    int rc = 0;
    if (p.sort == 0 || p.sort == 3) {
        api_lst_base(&l, key, p.sort == 0);
    } else {
        api_ix(c->a, sortkey, p.sort == 1 ? (repos ? "repofind" : "regfind")
                                          : (repos ? "repocrit" : "regcrit"), NULL);
        rc = api_lst_sortby(&l, key, sortkey);
    }
    if (rc == 0 && repos && p.registry) {
        if (api_ix(c->a, key, "reporeg", p.registry) != SF_OK)
            rc = 1;
        else
            rc = api_lst_must(&l, key);
    }
    if (rc == 0 && p.q)
        rc = api_lst_name(&l, "reponame", p.q);
    return answer(c, &l, &p, rc, rollup_items);
}
