/*
 * kube_pod: see kube_pod.h. jansson does the syntax (no duplicate keys,
 * no NUL bytes, bounded size); this file only reads the fields the
 * inventory needs and treats everything else as absent, so a server that
 * adds fields or omits optional ones still parses.
 */
#include "kube/kube_pod.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/array.h"
#include "base/json.h"
#include "base/buf.h"
#include "base/limits.h"
#include "base/strfield.h"

/* Optional bounded string member: SF_OK with *out NULL when absent. */
static int get_s(const json_t *obj, const char *key, char **out, sf_error *err)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return SF_OK;
    const char *s = sf_jutil_bstr(v, SF_LIM_KUBE_STR);
    if (!s)
        return sf_error_set(err, SF_EPARSE, "pod: field \"%s\" is not a short string", key);
    if (!(*out = sf_strdup(s)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}

long long sf_kpod_time_ms(const char *s)
{
    struct tm tm = {0};
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6)
        return 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60)
        return 0;
    const char *p = s + n;
    long ms = 0, scale = 100;
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            ms += scale ? (*p - '0') * scale : 0;
    long off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
            return 0;
        off = (*p == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    } else if (*p != 'Z' && *p != 'z') {
        return 0;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    return t < 0 ? 0 : ((long long)t - off) * 1000 + ms;
}

/* Docker Hub's implicit parts: "nginx" -> "docker.io/library/nginx". */
static int norm_repo(const char *name, size_t n, char *repo, size_t repolen)
{
    const char *slash = memchr(name, '/', n);
    size_t first = slash ? (size_t)(slash - name) : n;
    int hub = !slash || (!memchr(name, '.', first) && !memchr(name, ':', first) &&
                         !(first == 9 && memcmp(name, "localhost", 9) == 0));
    int w;
    if (hub && !slash)
        w = snprintf(repo, repolen, "docker.io/library/%.*s", (int)n, name);
    else if (hub)
        w = snprintf(repo, repolen, "docker.io/%.*s", (int)n, name);
    else
        w = snprintf(repo, repolen, "%.*s", (int)n, name);
    return w < 0 || (size_t)w >= repolen ? SF_ELIMIT : SF_OK;
}

int sf_kpod_split_image(const char *s, char *repo, size_t repolen, char *digest,
                        size_t digestlen, sf_error *err)
{
    static const char *schemes[] = {"docker-pullable://", "docker://"};
    repo[0] = digest[0] = '\0';
    if (!s || !*s || strlen(s) > SF_LIM_KUBE_STR)
        return sf_error_set(err, SF_EPARSE, "image: empty or too long");
    for (size_t i = 0; i < 2; i++)
        if (strncmp(s, schemes[i], strlen(schemes[i])) == 0)
            s += strlen(schemes[i]);
    const char *at = strchr(s, '@');
    if (at) {
        if (sf_digest_validate(at + 1, NULL) != SF_OK || strlen(at + 1) >= digestlen)
            return sf_error_set(err, SF_EPARSE, "image: bad digest after '@'");
        snprintf(digest, digestlen, "%s", at + 1);
    } else if (strchr(s, ':') && sf_digest_validate(s, NULL) == SF_OK) {
        return SF_OK; /* a local image id: neither repository nor manifest digest */
    }
    size_t n = at ? (size_t)(at - s) : strlen(s);
    /* a tag is a ':' after the last '/' */
    const char *slash = memrchr(s, '/', n), *colon = memrchr(s, ':', n);
    if (colon && (!slash || colon > slash))
        n = (size_t)(colon - s);
    if (n == 0)
        return sf_error_set(err, SF_EPARSE, "image: no repository");
    if (norm_repo(s, n, repo, repolen) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "image: repository too long");
    return SF_OK;
}

/* get_s for each of the n members of base listed in f, in order. */
static int get_fields(const json_t *obj, void *base, const sf_strfield *f, size_t n,
                      sf_error *err)
{
    int rc = SF_OK;
    for (size_t i = 0; i < n && !rc; i++)
        rc = get_s(obj, f[i].key, SF_STRFIELD_PTR(base, f[i]), err);
    return rc;
}

/* An ownerReference's strings: what owner_from_meta reads and
 * sf_kpod_owner_clear frees. */
static const sf_strfield owner_fields[] = {
    {"kind", offsetof(sf_kpod_owner, kind)},
    {"name", offsetof(sf_kpod_owner, name)},
    {"uid", offsetof(sf_kpod_owner, uid)},
};

static void ctr_clear(sf_kpod_ctr *c)
{
    free(c->name);
    free(c->image);
    free(c->image_id);
    free(c->repo);
}

void sf_kpod_owner_clear(sf_kpod_owner *o)
{
    if (!o)
        return;
    sf_strfields_free(o, owner_fields, SF_STRFIELD_N(owner_fields));
    memset(o, 0, sizeof *o);
}

/* The strings of a pod's metadata: what pod_meta reads and sf_kpod_free
 * frees (with the others, which come from spec and status). */
static const sf_strfield meta_fields[] = {
    {"namespace", offsetof(sf_kpod, ns)},
    {"name", offsetof(sf_kpod, name)},
    {"uid", offsetof(sf_kpod, uid)},
    {"resourceVersion", offsetof(sf_kpod, rv)},
};

void sf_kpod_free(sf_kpod *p)
{
    if (!p)
        return;
    SF_ARRAY_FREE(p->ctrs, p->nctrs, ctr_clear);
    sf_strfields_free(p, meta_fields, SF_STRFIELD_N(meta_fields));
    free(p->node);
    free(p->phase);
    free(p->platform);
    sf_kpod_owner_clear(&p->owner);
    free(p);
}

/* The ownerReference with controller: true (the one that manages it). */
static int owner_from_meta(const json_t *meta, sf_kpod_owner *o, sf_error *err)
{
    json_t *refs = json_object_get(meta, "ownerReferences"), *r;
    size_t i;
    if (refs && !json_is_array(refs))
        return sf_error_set(err, SF_EPARSE, "ownerReferences is not a list");
    json_array_foreach(refs, i, r)
    {
        if (!json_is_object(r) || !json_is_true(json_object_get(r, "controller")))
            continue;
        int rc = get_fields(r, o, owner_fields, SF_STRFIELD_N(owner_fields), err);
        if (!rc && (!o->kind || !o->name))
            rc = sf_error_set(err, SF_EPARSE, "ownerReference without kind or name");
        if (rc)
            sf_kpod_owner_clear(o);
        return rc;
    }
    return SF_OK;
}

/* One element of a container list of kind k (spec or status). */
typedef int (*ctr_fn)(sf_kpod *p, const json_t *el, sf_kpod_ckind k, sf_error *err);

/* Each element of the three lists keys[k] of obj (kind k: containers,
 * init, ephemeral) through fn, in order; an absent list is empty, one
 * that is not a list fails with "pod: <not_list>". */
static int each_ctr(sf_kpod *p, const json_t *obj, const char *const keys[3],
                    const char *not_list, ctr_fn fn, sf_error *err)
{
    for (int k = 0; k < 3; k++) {
        const json_t *list = json_object_get(obj, keys[k]);
        json_t *el;
        size_t i;
        if (list && !json_is_array(list))
            return sf_error_set(err, SF_EPARSE, "pod: %s", not_list);
        json_array_foreach(list, i, el)
        {
            int rc = fn(p, el, (sf_kpod_ckind)k, err);
            if (rc)
                return rc;
        }
    }
    return SF_OK;
}

/* Append the container of one spec list element. */
static int add_spec(sf_kpod *p, const json_t *c, sf_kpod_ckind k, sf_error *err)
{
    if (!json_is_object(c))
        return sf_error_set(err, SF_EPARSE, "pod: container is not an object");
    sf_kpod_ctr *x = &p->ctrs[p->nctrs];
    memset(x, 0, sizeof *x);
    x->kind = k;
    p->nctrs++;
    int rc = get_s(c, "name", &x->name, err);
    if (!rc)
        rc = get_s(c, "image", &x->image, err);
    if (rc)
        return rc;
    if (!x->name || !x->image)
        return sf_error_set(err, SF_EPARSE, "pod: container without name or image");
    return SF_OK;
}

static sf_kpod_ctr *find_ctr(sf_kpod *p, sf_kpod_ckind k, const char *name)
{
    for (size_t i = 0; i < p->nctrs; i++)
        if (p->ctrs[i].kind == k && strcmp(p->ctrs[i].name, name) == 0)
            return &p->ctrs[i];
    return NULL;
}

/* Fill repo/digest of x from its imageID (or, without one, the spec
 * image's repository for display). */
static int ctr_image(sf_kpod_ctr *x, sf_error *err)
{
    char repo[SF_LIM_KUBE_STR + 64], dig[SF_DIGEST_MAX];
    int rc = SF_EPARSE;
    if (x->image_id)
        rc = sf_kpod_split_image(x->image_id, repo, sizeof repo, dig, sizeof dig, NULL);
    if (rc == SF_OK && dig[0])
        snprintf(x->digest, sizeof x->digest, "%s", dig);
    if (rc != SF_OK || !repo[0])
        rc = sf_kpod_split_image(x->image, repo, sizeof repo, dig, sizeof dig, NULL);
    if (rc == SF_OK && repo[0] && !(x->repo = sf_strdup(repo)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}

/* Fill the spec container one status list element names. */
static int add_status(sf_kpod *p, const json_t *s, sf_kpod_ckind k, sf_error *err)
{
    const char *name =
        json_is_object(s) ? sf_jutil_bstr(json_object_get(s, "name"), SF_LIM_KUBE_STR) : NULL;
    sf_kpod_ctr *x = name ? find_ctr(p, k, name) : NULL;
    if (!x || x->image_id) /* a status of no spec container, or a repeat */
        return SF_OK;
    int rc = get_s(s, "imageID", &x->image_id, err);
    if (rc)
        return rc;
    if (x->image_id && !*x->image_id) {
        free(x->image_id);
        x->image_id = NULL;
    }
    json_t *run = json_object_get(json_object_get(s, "state"), "running");
    x->started_ms = sf_kpod_time_ms(sf_jutil_bstr(json_object_get(run, "startedAt"), 64));
    return SF_OK;
}

static int pod_meta(sf_kpod *p, const json_t *meta, sf_error *err)
{
    if (!json_is_object(meta))
        return sf_error_set(err, SF_EPARSE, "pod: no metadata");
    int rc = get_fields(meta, p, meta_fields, SF_STRFIELD_N(meta_fields), err);
    if (!rc && (!p->ns || !p->name || !*p->ns || !*p->name))
        rc = sf_error_set(err, SF_EPARSE, "pod: no namespace or name");
    if (!rc)
        rc = owner_from_meta(meta, &p->owner, err);
    return rc;
}

static int pod_body(sf_kpod *p, const json_t *obj, sf_error *err)
{
    static const char *const spec_keys[] = {"containers", "initContainers",
                                            "ephemeralContainers"};
    static const char *const st_keys[] = {"containerStatuses", "initContainerStatuses",
                                          "ephemeralContainerStatuses"};
    json_t *spec = json_object_get(obj, "spec"), *st = json_object_get(obj, "status");
    int rc = SF_OK;
    if ((spec && !json_is_object(spec)) || (st && !json_is_object(st)))
        return sf_error_set(err, SF_EPARSE, "pod: spec or status is not an object");
    size_t total = 0;
    for (int k = 0; k < 3; k++)
        total += json_array_size(json_object_get(spec, spec_keys[k]));
    if (total > SF_LIM_KUBE_CONTAINERS)
        return sf_error_set(err, SF_ELIMIT, "pod: more than %d containers",
                            SF_LIM_KUBE_CONTAINERS);
    if (!(p->ctrs = calloc(total + 1, sizeof *p->ctrs)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    rc = each_ctr(p, spec, spec_keys, "container list is not a list", add_spec, err);
    if (!rc)
        rc = each_ctr(p, st, st_keys, "container statuses are not a list", add_status, err);
    for (size_t i = 0; i < p->nctrs && !rc; i++)
        rc = ctr_image(&p->ctrs[i], err);
    if (!rc)
        rc = get_s(spec, "nodeName", &p->node, err);
    if (!rc)
        rc = get_s(st, "phase", &p->phase, err);
    if (!rc) {
        p->start_ms = sf_kpod_time_ms(sf_jutil_bstr(json_object_get(st, "startTime"), 64));
        p->finished = p->phase &&
                      (strcmp(p->phase, "Succeeded") == 0 || strcmp(p->phase, "Failed") == 0);
    }
    return rc;
}

int sf_kpod_from_json(json_t *obj, sf_kpod **out, sf_error *err)
{
    sf_kpod *p = NULL;
    int rc;
    *out = NULL;
    if (!json_is_object(obj))
        return sf_error_set(err, SF_EPARSE, "pod: not an object");
    const char *kind = sf_jutil_bstr(json_object_get(obj, "kind"), 64);
    if (kind && strcmp(kind, "Pod") != 0)
        return sf_error_set(err, SF_EPARSE, "pod: kind is \"%.32s\"", kind);
    if (!(p = calloc(1, sizeof *p)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    rc = pod_meta(p, json_object_get(obj, "metadata"), err);
    if (!rc)
        rc = pod_body(p, obj, err);
    if (rc) {
        sf_kpod_free(p);
        return rc;
    }
    *out = p;
    return SF_OK;
}

int sf_kpod_parse(const char *json, size_t len, sf_kpod **out, sf_error *err)
{
    json_t *doc = NULL;
    *out = NULL;
    int rc = sf_jutil_load(&doc, json, len, SF_LIM_KUBE_OBJECT_BYTES, "pod", err);
    if (!rc)
        rc = sf_kpod_from_json(doc, out, err);
    json_decref(doc);
    return rc;
}

void sf_kpod_list_clear(sf_kpod_list *l)
{
    if (!l)
        return;
    SF_PTRS_FREE(l->items, l->n, sf_kpod_free);
    free(l->rv);
    free(l->cont);
    memset(l, 0, sizeof *l);
}

int sf_kpod_list_parse(const char *json, size_t len, sf_kpod_list *out, sf_error *err)
{
    json_t *doc = NULL, *items, *it;
    size_t i;
    memset(out, 0, sizeof *out);
    int rc = sf_jutil_load(&doc, json, len, SF_LIM_KUBE_LIST_BYTES, "pod list", err);
    if (rc)
        return rc;
    json_t *meta = json_object_get(doc, "metadata");
    items = json_object_get(doc, "items");
    if (!json_is_object(doc) || !json_is_object(meta) || (items && !json_is_array(items))) {
        rc = sf_error_set(err, SF_EPARSE, "pod list: not a list");
        goto done;
    }
    if ((rc = get_s(meta, "resourceVersion", &out->rv, err)) ||
        (rc = get_s(meta, "continue", &out->cont, err)))
        goto done;
    if (out->cont && !*out->cont) {
        free(out->cont);
        out->cont = NULL;
    }
    if (!(out->items = calloc(json_array_size(items) + 1, sizeof *out->items))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(items, i, it)
    {
        if ((rc = sf_kpod_from_json(it, &out->items[out->n], err)) != SF_OK)
            goto done;
        out->n++;
    }
done:
    json_decref(doc);
    if (rc)
        sf_kpod_list_clear(out);
    return rc;
}

const char *sf_kev_type_name(sf_kev_type t)
{
    static const char *n[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
    return (unsigned)t < 5 ? n[t] : "?";
}

void sf_kev_clear(sf_kev *e)
{
    if (!e)
        return;
    sf_kpod_free(e->pod);
    free(e->rv);
    free(e->reason);
    memset(e, 0, sizeof *e);
}

static int status_of(const json_t *obj, long *code, char **reason, sf_error *err)
{
    const char *kind = sf_jutil_bstr(json_object_get(obj, "kind"), 64);
    json_t *c = json_object_get(obj, "code");
    if (!kind || strcmp(kind, "Status") != 0)
        return sf_error_set(err, SF_EPARSE, "not a Status");
    *code = json_is_integer(c) && json_integer_value(c) >= 0 && json_integer_value(c) < 1000
                ? (long)json_integer_value(c)
                : 0;
    return get_s(obj, "reason", reason, err);
}

int sf_kstatus_parse(const char *json, size_t len, long *code, char *reason, size_t reasonlen,
                     sf_error *err)
{
    json_t *doc = NULL;
    char *r = NULL;
    *code = 0;
    if (reasonlen)
        reason[0] = '\0';
    int rc = sf_jutil_load(&doc, json, len, SF_LIM_KUBE_OBJECT_BYTES, "status", err);
    if (!rc)
        rc = status_of(doc, code, &r, err);
    if (!rc && r && reasonlen)
        snprintf(reason, reasonlen, "%s", r);
    free(r);
    json_decref(doc);
    return rc;
}

static int parse_type(const json_t *doc, sf_kev_type *t, sf_error *err)
{
    const char *s = sf_jutil_bstr(json_object_get(doc, "type"), 16);
    for (int i = 0; s && i < 5; i++)
        if (strcmp(s, sf_kev_type_name((sf_kev_type)i)) == 0)
            return *t = (sf_kev_type)i, SF_OK;
    return sf_error_set(err, SF_EPARSE, "watch event: unknown type");
}

int sf_kev_parse(const char *line, size_t len, sf_kev *out, sf_error *err)
{
    json_t *doc = NULL, *obj;
    memset(out, 0, sizeof *out);
    int rc = sf_jutil_load(&doc, line, len, SF_LIM_KUBE_OBJECT_BYTES, "watch event", err);
    if (rc)
        return rc;
    if (!json_is_object(doc) || !json_is_object(obj = json_object_get(doc, "object"))) {
        rc = sf_error_set(err, SF_EPARSE, "watch event: no object");
        goto done;
    }
    if ((rc = parse_type(doc, &out->type, err)) != SF_OK)
        goto done;
    if (out->type == SF_KEV_ERROR) {
        rc = status_of(obj, &out->code, &out->reason, err);
    } else if (out->type == SF_KEV_BOOKMARK) {
        rc = get_s(json_object_get(obj, "metadata"), "resourceVersion", &out->rv, err);
        if (!rc && !out->rv)
            rc = sf_error_set(err, SF_EPARSE, "watch event: bookmark without resourceVersion");
    } else if ((rc = sf_kpod_from_json(obj, &out->pod, err)) == SF_OK && out->pod->rv &&
               !(out->rv = sf_strdup(out->pod->rv))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    }
done:
    json_decref(doc);
    if (rc)
        sf_kev_clear(out);
    return rc;
}

int sf_kpod_owner_parse(const char *json, size_t len, sf_kpod_owner *out, sf_error *err)
{
    json_t *doc = NULL;
    memset(out, 0, sizeof *out);
    int rc = sf_jutil_load(&doc, json, len, SF_LIM_KUBE_OBJECT_BYTES, "owner", err);
    if (rc)
        return rc;
    json_t *meta = json_object_get(doc, "metadata");
    rc = json_is_object(meta) ? owner_from_meta(meta, out, err)
                              : sf_error_set(err, SF_EPARSE, "owner: no metadata");
    json_decref(doc);
    return rc;
}

static int word_ok(const char *s)
{
    static const char word[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
    return sf_str_token_ok(s, 32, word, word);
}

int sf_knode_platform_parse(const char *json, size_t len, char *out, size_t outlen,
                            sf_error *err)
{
    json_t *doc = NULL;
    out[0] = '\0';
    int rc = sf_jutil_load(&doc, json, len, SF_LIM_KUBE_OBJECT_BYTES, "node", err);
    if (rc)
        return rc;
    json_t *ni = json_object_get(json_object_get(doc, "status"), "nodeInfo");
    const char *os = sf_jutil_bstr(json_object_get(ni, "operatingSystem"), 32);
    const char *arch = sf_jutil_bstr(json_object_get(ni, "architecture"), 32);
    if (!word_ok(os) || !word_ok(arch))
        rc = sf_error_set(err, SF_EPARSE, "node: no operatingSystem/architecture");
    else
        snprintf(out, outlen, "%s/%s", os, arch);
    json_decref(doc);
    return rc;
}
