/*
 * api_res: the image, vulnerability and package resources: their lists
 * (through api_list.c) and their single items.
 */
#include "api_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/agg_view.h"
#include "base/digest.h"
#include "model/severity.h"
#include "vuln/advisory.h"

/* Counts objects list severities most severe first, by name. */
static const char *const SEVN[5] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};
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
    api_ok(c, json_pack("{s:[],s:i,s:n}", "items", "total", 0, "next_cursor"));
    return 0;
}

/* Run l and answer with items built by fn per member. */
static int answer(api_call *c, api_lst *l, const sf_api_list_params *p, int rc,
                  json_t *(*fn)(api_call *, api_lst *, sf_error *))
{
    json_t *items = NULL;
    if (rc == 1) {
        api_lst_done(l);
        return empty_page(c);
    }
    if (rc == 0)
        rc = api_lst_run(l, p->desc, p->offset, p->limit) == SF_OK ? 0 : -2;
    if (rc == 0 && !(items = fn(c, l, &l->err)))
        rc = -2;
    if (rc == 0)
        api_ok(c, api_lst_envelope(l, items));
    else if (rc == -1)
        api_fail(c, 400, NULL, "too many filters");
    else
        api_redis_fail(c, &l->err);
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

/* An image summary with "running" added. */
json_t *api_image_item(api_call *c, const char *json)
{
    json_error_t je;
    json_t *o = json ? json_loads(json, 0, &je) : NULL;
    if (!o)
        return NULL;
    json_object_set_new(o, "running",
                        json_boolean(api_running_has(
                            c, json_string_value(json_object_get(o, "digest")),
                            json_string_value(json_object_get(o, "index_digest")),
                            json_string_value(json_object_get(o, "platform")))));
    return o;
}

static json_t *image_items(api_call *c, api_lst *l, sf_error *e)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    json_t *items = json_array();
    api_ix(c->a, key, "imgsum", NULL);
    if (!items || hmget_page(c, l, key, &r, e) != SF_OK) {
        json_decref(items);
        return NULL;
    }
    for (size_t i = 0; r && i < r->nelem; i++) {
        json_t *o = api_image_item(c, r->elem[i].str);
        if (o)
            json_array_append_new(items, o);
    }
    sf_kv_reply_free(r);
    return items;
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

/* The id's namespace key in Links: its own page is NVD's, GitHub's, or
 * (DSA, DLA, USN, RHSA, ...) the distribution's. */
static const char *own_key(const char *id, const char *url)
{
    if (strncmp(id, "CVE-", 4) == 0)
        return "nvd";
    if (strncmp(id, "GHSA-", 5) == 0)
        return "ghsa";
    return strncmp(url, "https://osv.dev/", 16) == 0 ? "osv" : "tracker";
}

/* Advisory pages of id (vuln/advisory.h, shared with the HTML report); the
 * tracker of a CVE follows the ecosystem's distribution ("Alpine:v3.10"
 * -> "alpine"). */
static void links(json_t *o, const char *id, const char *eco)
{
    char u[SF_ADVISORY_URL_MAX], os[32] = "";
    json_t *l = json_object();
    if (sf_advisory_url(id, u, sizeof u))
        json_object_set_new(l, own_key(id, u), json_string(u));
    if (sf_advisory_osv_url(id, u, sizeof u))
        json_object_set_new(l, "osv", json_string(u));
    for (size_t i = 0; eco && eco[i] && i + 1 < sizeof os; i++)
        os[i] = (char)(eco[i] >= 'A' && eco[i] <= 'Z' ? eco[i] - 'A' + 'a' : eco[i]), os[i + 1] = '\0';
    if (sf_advisory_tracker_url(id, os, u, sizeof u))
        json_object_set_new(l, "tracker", json_string(u));
    json_object_set_new(o, "links", l);
}

static json_t *num_or_null(double v) { return v >= 0 ? json_real(v) : json_null(); }

/* The summary of vulnerability ids[i] from the page's score replies. */
static json_t *vuln_item(const char *id, double images, const char *facts, double cvss,
                         double sevr, double epss, double first, double fix, const char *eco)
{
    json_error_t je;
    json_t *f = facts ? json_loads(facts, 0, &je) : NULL;
    json_t *al = json_object_get(f, "aliases");
    al = json_is_array(al) ? json_incref(al) : json_array();
    int sev = sevr >= 0 && sevr < SF_SEV_N ? (int)sevr : SF_SEV_UNKNOWN; /* vsevr: an sf_sev */
    json_t *o = json_pack("{s:s,s:o,s:I,s:s,s:o,s:b,s:o,s:b,s:o}", "id", id, "aliases", al,
                          "images", (json_int_t)images,
                          "severity", sf_sev_name(sev), "cvss", num_or_null(cvss), "kev",
                          json_is_true(json_object_get(f, "kev")), "epss", num_or_null(epss),
                          "fixable", fix > 0, "first_seen",
                          first > 0 ? json_integer((json_int_t)first) : json_null());
    json_decref(f);
    if (o)
        links(o, id, eco);
    return o;
}

/* Score replies of a page of ids, in the order vuln_item takes them. */
enum { VS_IMAGES, VS_CVSS, VS_SEVR, VS_EPSS, VS_FIRST, VS_FIX, VS_N };

static json_t *vuln_items(api_call *c, api_lst *l, sf_error *e)
{
    static const char *const kinds[VS_N] = {NULL, "vcvss", "vsevr", "vepss", "vfirst", "vfix"};
    sf_kv_reply *sc[VS_N] = {0}, *facts = NULL;
    char key[SF_KEY_MAX];
    json_t *items = json_array();
    int rc = items ? SF_OK : SF_ENOMEM;
    for (int k = 1; rc == SF_OK && k < VS_N; k++)
        rc = zmscore_page(c, l, kinds[k], NULL, &sc[k], e);
    if (rc == SF_OK) {
        char cves[SF_KEY_MAX];
        sf_keys_agg(cves, c->a->prefix, "cves", NULL);
        const char **argv = calloc(l->n + 2, sizeof *argv);
        argv[0] = "ZMSCORE", argv[1] = cves;
        for (size_t i = 0; argv && i < l->n; i++)
            argv[2 + i] = api_lst_member(l, i);
        rc = !argv ? SF_ENOMEM : l->n ? api_cmd(c->a, 2 + (int)l->n, argv, &sc[0], e) : SF_OK;
        free(argv);
    }
    if (rc == SF_OK && api_ix(c->a, key, "vsum", NULL) == SF_OK)
        rc = hmget_page(c, l, key, &facts, e);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        json_t *o = vuln_item(api_lst_member(l, i), score_at(sc[0], i, 0),
                              facts && i < facts->nelem ? facts->elem[i].str : NULL,
                              score_at(sc[1], i, -1), score_at(sc[2], i, 0),
                              score_at(sc[3], i, -1), score_at(sc[4], i, 0),
                              score_at(sc[5], i, 0), NULL);
        if (o)
            json_array_append_new(items, o);
    }
    for (int k = 0; k < VS_N; k++)
        sf_kv_reply_free(sc[k]);
    sf_kv_reply_free(facts);
    if (rc != SF_OK) {
        json_decref(items);
        return NULL;
    }
    return items;
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

/* packages and fixed_versions of a vulnerability (vpkgs:<id>). */
static int vuln_pkgs(api_call *c, const char *id, json_t *o, sf_error *e)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    json_t *pk = json_array(), *fx = json_array();
    const char *eco = NULL;
    int rc = api_ix(c->a, key, "vpkgs", id);
    if (rc == SF_OK) {
        /* bounded: distinct (package, installed, fixed) of one advisory */
        const char *argv[] = {"ZRANGE", key, "0", "9999", "WITHSCORES"};
        rc = api_cmd(c->a, 5, argv, &r, e);
    }
    for (size_t i = 0; rc == SF_OK && r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2) {
        char f[4][SF_AGG_STR_MAX + 1] = {{0}};
        const char *s = r->elem[i].str;
        for (int k = 0; k < 4 && s; k++) {
            size_t n = strcspn(s, "\x1f");
            snprintf(f[k], sizeof f[k], "%.*s", (int)n, s);
            s = s[n] ? s + n + 1 : NULL;
        }
        json_array_append_new(pk, json_pack("{s:o,s:s,s:o,s:o,s:I}", "ecosystem",
                                            f[0][0] ? json_string(f[0]) : json_null(), "name",
                                            f[1], "installed",
                                            f[2][0] ? json_string(f[2]) : json_null(), "fixed",
                                            f[3][0] ? json_string(f[3]) : json_null(), "images",
                                            (json_int_t)strtod(r->elem[i + 1].str, NULL)));
        int dup = !f[3][0];
        for (size_t k = 0; !dup && k < json_array_size(fx); k++)
            dup = strcmp(json_string_value(json_array_get(fx, k)), f[3]) == 0;
        if (!dup)
            json_array_append_new(fx, json_string(f[3]));
        if (!eco && f[0][0])
            eco = json_string_value(json_object_get(json_array_get(pk, json_array_size(pk) - 1),
                                                    "ecosystem"));
    }
    if (eco)
        links(o, id, eco);
    json_object_set_new(o, "packages", pk);
    json_object_set_new(o, "fixed_versions", fx);
    sf_kv_reply_free(r);
    return rc;
}

int api_vuln_get(api_call *c, const char *id, int images)
{
    char real[SF_AGG_STR_MAX + 1], key[SF_KEY_MAX];
    sf_error e = {0};
    double nimg = 0;
    int rc = vuln_resolve(c, id, real, sizeof real, &nimg, &e);
    if (rc == -2)
        return api_redis_fail(c, &e);
    if (rc == -1)
        return api_fail(c, 404, NULL, "no image in the fleet view has %s", id);
    if (images) {
        if (sf_keys_agg_cve(key, c->a->prefix, real, NULL) != SF_OK)
            return api_fail(c, 404, NULL, "no such vulnerability");
        return api_images(c, key, 0);
    }
    if (c->req->nparams)
        return api_fail(c, 400, c->req->params[0].name, "not a parameter of this resource");
    rc = SF_OK;
    double cvss = zscore(c, "vcvss", NULL, real, -1, &e, &rc);
    double sevr = zscore(c, "vsevr", NULL, real, 0, &e, &rc);
    double epss = zscore(c, "vepss", NULL, real, -1, &e, &rc);
    double first = zscore(c, "vfirst", NULL, real, 0, &e, &rc);
    double fix = zscore(c, "vfix", NULL, real, 0, &e, &rc);
    sf_kv_reply *f = NULL;
    if (rc == SF_OK && api_ix(c->a, key, "vsum", NULL) == SF_OK) {
        const char *argv[] = {"HGET", key, real};
        rc = api_cmd(c->a, 3, argv, &f, &e);
    }
    json_t *o = rc == SF_OK ? vuln_item(real, nimg, f && f->type == SF_KV_STR ? f->str : NULL,
                                        cvss, sevr, epss, first, fix, NULL)
                            : NULL;
    sf_kv_reply_free(f);
    if (rc == SF_OK && o)
        rc = vuln_pkgs(c, real, o, &e);
    if (rc != SF_OK || !o) {
        json_decref(o);
        return api_redis_fail(c, &e);
    }
    api_ok(c, o);
    return 0;
}

/* ---- packages ---- */

static json_t *pkg_item(api_call *c, const char *member, double images, double vuln,
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
    return json_pack("{s:s%,s:s,s:I,s:I,s:b}", "ecosystem", member, (size_t)(sep - member),
                     "name", sep + 1, "images", (json_int_t)images, "versions",
                     (json_int_t)nver, "vulnerable", vuln > 0);
}

static json_t *pkg_items(api_call *c, api_lst *l, sf_error *e)
{
    sf_kv_reply *img = NULL, *vul = NULL;
    json_t *items = json_array();
    int rc = zmscore_page(c, l, "pall", NULL, &img, e);
    if (rc == SF_OK)
        rc = zmscore_page(c, l, "pvuln", NULL, &vul, e);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        json_t *o = pkg_item(c, api_lst_member(l, i), score_at(img, i, 0), score_at(vul, i, 0), e,
                             &rc);
        if (o)
            json_array_append_new(items, o);
    }
    sf_kv_reply_free(img);
    sf_kv_reply_free(vul);
    if (rc != SF_OK) {
        json_decref(items);
        return NULL;
    }
    return items;
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
    double vuln = zscore(c, "pvuln", NULL, member, 0, &e, &rc);
    json_t *o = pkg_item(c, member, nimg, vuln, &e, &rc), *vl = json_array();
    sf_kv_reply *r = NULL;
    if (rc == SF_OK && api_ix(c->a, key, "pver", member) == SF_OK) {
        const char *argv[] = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
        rc = api_cmd(c->a, 5, argv, &r, &e);
    }
    for (size_t i = 0; rc == SF_OK && r && r->type == SF_KV_ARR && i + 1 < r->nelem; i += 2)
        json_array_append_new(vl, json_pack("{s:s,s:I}", "version", r->elem[i].str, "images",
                                            (json_int_t)strtod(r->elem[i + 1].str, NULL)));
    sf_kv_reply_free(r);
    if (rc != SF_OK || !o) {
        json_decref(o);
        json_decref(vl);
        return api_redis_fail(c, &e);
    }
    json_object_set_new(o, "version_list", vl);
    api_ok(c, o);
    return 0;
}

/* ---- registries and repositories ---- */

static json_t *counts_obj(const sf_kv_reply *r, size_t base)
{
    static const char *const names[] = {"images", "vulnerable", "errors", "findings", "fixable"};
    json_t *o = json_object(), *sev = json_object();
    for (size_t i = 0; i < 5; i++)
        json_object_set_new(o, names[i], json_integer((json_int_t)score_at(r, base + i, 0)));
    for (size_t i = 0; i < 5; i++)
        json_object_set_new(sev, SEVN[i], json_integer((json_int_t)score_at(r, base + 5 + i, 0)));
    json_object_set_new(o, "severity", sev);
    return o;
}

/* The counts fields of scope ("" fleet, "reg|r|", "repo|rr|"): 10 names. */
void api_count_fields(char f[10][1200], const char *scope)
{
    static const char *const names[] = {"images", "vulnerable", "errors", "findings", "fixable"};
    for (int i = 0; i < 5; i++)
        snprintf(f[i], 1200, "%s%s", scope, names[i]);
    for (int i = 0; i < 5; i++)
        snprintf(f[5 + i], 1200, "%ssev|%s", scope, SEVN[i]);
}

/* HMGET hash over n scopes' count fields -> Counts objects. */
int api_counts(api_call *c, const char *hash, const char *const *scopes, size_t n,
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
        out[i] = counts_obj(r, 10 * i);
    sf_kv_reply_free(r);
    free(f);
    free(argv);
    return rc;
}

static json_t *rollup_items(api_call *c, api_lst *l, sf_error *e)
{
    char counts[SF_KEY_MAX];
    const char **scopes = calloc(l->n + 1, sizeof *scopes);
    char(*sc)[1200] = calloc(l->n + 1, 1200);
    json_t **objs = calloc(l->n + 1, sizeof *objs), *items = json_array();
    int repos = !strcmp(c->req->segs[1], "repositories");
    int rc = scopes && sc && objs ? SF_OK : SF_ENOMEM;
    sf_keys_agg(counts, c->a->prefix, "counts", NULL);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        snprintf(sc[i], 1200, "%s|%s|", repos ? "repo" : "reg", api_lst_member(l, i));
        scopes[i] = sc[i];
    }
    if (rc == SF_OK)
        rc = api_counts(c, counts, scopes, l->n, objs, e);
    for (size_t i = 0; rc == SF_OK && i < l->n; i++) {
        const char *m = api_lst_member(l, i), *sl = strchr(m, '/');
        json_t *o = repos && sl ? json_pack("{s:s%,s:s,s:o}", "registry", m, (size_t)(sl - m),
                                            "repository", sl + 1, "counts", objs[i])
                                : json_pack("{s:s,s:o}", "registry", m, "counts", objs[i]);
        json_array_append_new(items, o);
    }
    free(scopes);
    free(sc);
    free(objs);
    if (rc != SF_OK) {
        json_decref(items);
        return NULL;
    }
    return items;
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
        if (zscore(c, base, NULL, one, 0, &e, &rc) <= 0)
            return rc != SF_OK ? api_redis_fail(c, &e)
                               : api_fail(c, 404, NULL, "no image in the fleet view is in %s", one);
        api_lst_init(&l, c);
        l.n = 1;
        sf_kv_reply fake[2] = {{.type = SF_KV_STR, .str = (char *)one}, {.type = SF_KV_STR}};
        sf_kv_reply page = {.type = SF_KV_ARR, .elem = fake, .nelem = 2};
        l.page = &page;
        json_t *items = rollup_items(c, &l, &e);
        l.page = NULL;
        if (!items)
            return api_redis_fail(c, &e);
        json_t *o = json_incref(json_array_get(items, 0));
        json_decref(items);
        api_ok(c, o);
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
