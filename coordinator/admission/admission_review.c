/*
 * admission_review: parse an AdmissionReview request and build its
 * response (see admission_review.h). A jansson tree, walked with typed
 * getters: a field of the wrong type is an error, never a silent default.
 */
#include "admission_review.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"

#define ADM_API "admission.k8s.io/v1"

/* Optional string member: NULL absent; SF_EPARSE wrong type or NUL;
 * SF_ELIMIT past the cap. */
static int get_str(json_t *o, const char *key, const char **out, sf_error *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return SF_OK;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return sf_error_set(err, SF_EPARSE, "%s: must be a string", key);
    if (json_string_length(v) > SF_LIM_KUBE_STR)
        return sf_error_set(err, SF_ELIMIT, "%s: longer than %d bytes", key, SF_LIM_KUBE_STR);
    *out = json_string_value(v);
    return SF_OK;
}

static int dup_str(char **dst, const char *v)
{
    return (*dst = sf_strdup(v ? v : "")) ? SF_OK : SF_ENOMEM;
}

/* The pod spec of object o of kind `kind`, or NULL (unknown kind). */
static json_t *pod_spec(json_t *o, const char *kind)
{
    static const char *const templated[] = {"Deployment", "ReplicaSet", "StatefulSet",
                                            "DaemonSet",  "Job",        "ReplicationController",
                                            NULL};
    json_t *spec = json_object_get(o, "spec");
    if (!strcmp(kind, "Pod"))
        return spec;
    if (!strcmp(kind, "CronJob"))
        spec = json_object_get(json_object_get(spec, "jobTemplate"), "spec");
    else {
        size_t i = 0;
        while (templated[i] && strcmp(templated[i], kind))
            i++;
        if (!templated[i])
            return NULL;
    }
    return json_object_get(json_object_get(spec, "template"), "spec");
}

static int add_images(sf_adm_review *r, json_t *list, sf_kpod_ckind kind, const char *field,
                      sf_error *err)
{
    json_t *c;
    size_t i;
    if (!list || json_is_null(list))
        return SF_OK;
    if (!json_is_array(list))
        return sf_error_set(err, SF_EPARSE, "spec.%s: must be a list", field);
    json_array_foreach(list, i, c) {
        const char *name = NULL, *image = NULL;
        int rc;
        if (!json_is_object(c))
            return sf_error_set(err, SF_EPARSE, "spec.%s[%zu]: must be an object", field, i);
        if ((rc = get_str(c, "name", &name, err)) || (rc = get_str(c, "image", &image, err)))
            return rc;
        if (!image || !*image)
            continue; /* a template may leave the image to a later patch */
        if (r->nimages >= SF_LIM_ADM_IMAGES)
            return sf_error_set(err, SF_ELIMIT, "more than %d containers", SF_LIM_ADM_IMAGES);
        sf_adm_image *im = &r->images[r->nimages];
        im->kind = kind;
        if (dup_str(&im->container, name) || dup_str(&im->image, image))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        r->nimages++;
    }
    return SF_OK;
}

static int parse_object(sf_adm_review *r, json_t *obj, sf_error *err)
{
    const char *name = NULL;
    json_t *meta = json_object_get(obj, "metadata");
    int rc;
    if (!json_is_object(obj))
        return sf_error_set(err, SF_EPARSE, "request.object: must be an object");
    if (!*r->name && json_is_object(meta)) {
        if ((rc = get_str(meta, "name", &name, err)) != SF_OK)
            return rc;
        if (!name && (rc = get_str(meta, "generateName", &name, err)) != SF_OK)
            return rc;
        if (name) {
            free(r->name);
            if (dup_str(&r->name, name))
                return sf_error_set(err, SF_ENOMEM, "out of memory");
        }
    }
    json_t *spec = pod_spec(obj, r->kind);
    if (!spec)
        return SF_OK;
    if (!json_is_object(spec))
        return sf_error_set(err, SF_EPARSE, "pod spec of the %.64s: must be an object", r->kind);
    if (!(r->images = calloc(SF_LIM_ADM_IMAGES, sizeof *r->images)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if ((rc = add_images(r, json_object_get(spec, "initContainers"), SF_KPOD_INIT,
                         "initContainers", err)) ||
        (rc = add_images(r, json_object_get(spec, "containers"), SF_KPOD_CONTAINER, "containers",
                         err)))
        return rc;
    return add_images(r, json_object_get(spec, "ephemeralContainers"), SF_KPOD_EPHEMERAL,
                      "ephemeralContainers", err);
}

static int parse_request(sf_adm_review *r, json_t *req, sf_error *err)
{
    const char *uid, *kind, *ns, *name, *op, *sub;
    json_t *k = json_object_get(req, "kind"), *dry = json_object_get(req, "dryRun");
    int rc;
    if (!json_is_object(req))
        return sf_error_set(err, SF_EPARSE, "request: missing or not an object");
    if ((rc = get_str(req, "uid", &uid, err)) || (rc = get_str(req, "namespace", &ns, err)) ||
        (rc = get_str(req, "name", &name, err)) || (rc = get_str(req, "operation", &op, err)) ||
        (rc = get_str(req, "subResource", &sub, err)))
        return rc;
    if (!uid || !*uid)
        return sf_error_set(err, SF_EPARSE, "request.uid: missing");
    if (!json_is_object(k) || (rc = get_str(k, "kind", &kind, err)) || !kind)
        return rc ? rc : sf_error_set(err, SF_EPARSE, "request.kind.kind: missing");
    if (dry && !json_is_boolean(dry))
        return sf_error_set(err, SF_EPARSE, "request.dryRun: must be a boolean");
    r->dry_run = json_is_true(dry);
    if (dup_str(&r->uid, uid) || dup_str(&r->kind, kind) || dup_str(&r->ns, ns) ||
        dup_str(&r->name, name) || dup_str(&r->operation, op ? op : "CREATE") ||
        dup_str(&r->sub_resource, sub))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    /* DELETE and CONNECT carry no new object; nothing to check. */
    if (strcmp(r->operation, "CREATE") && strcmp(r->operation, "UPDATE"))
        return SF_OK;
    return parse_object(r, json_object_get(req, "object"), err);
}

int sf_adm_review_parse(const char *body, size_t len, sf_adm_review **out, sf_error *err)
{
    json_error_t je;
    json_t *doc = NULL;
    sf_adm_review *r = NULL;
    const char *api = NULL, *kind = NULL;
    int rc;
    *out = NULL;
    if (len > SF_LIM_ADM_BODY_BYTES)
        return sf_error_set(err, SF_ELIMIT, "review larger than %u bytes",
                            (unsigned)SF_LIM_ADM_BODY_BYTES);
    if (!(doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)))
        return sf_error_set(err, SF_EPARSE, "not JSON: line %d: %.120s", je.line, je.text);
    if (!json_is_object(doc)) {
        rc = sf_error_set(err, SF_EPARSE, "not an object");
        goto done;
    }
    if ((rc = get_str(doc, "apiVersion", &api, err)) || (rc = get_str(doc, "kind", &kind, err)))
        goto done;
    if (!api || strcmp(api, ADM_API) || !kind || strcmp(kind, "AdmissionReview")) {
        rc = sf_error_set(err, SF_EPARSE, "not an " ADM_API " AdmissionReview");
        goto done;
    }
    if (!(r = calloc(1, sizeof *r))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = parse_request(r, json_object_get(doc, "request"), err)) != SF_OK)
        goto done;
    *out = r;
    r = NULL;
done:
    sf_adm_review_free(r);
    json_decref(doc);
    return rc;
}

void sf_adm_review_free(sf_adm_review *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nimages; i++) {
        free(r->images[i].container);
        free(r->images[i].image);
    }
    free(r->images);
    free(r->uid), free(r->kind), free(r->ns), free(r->name), free(r->operation);
    free(r->sub_resource);
    free(r);
}

/* s cut to at most max bytes on a UTF-8 boundary, as a JSON string. */
static json_t *cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    return json_stringn(s, n);
}

char *sf_adm_response(const char *uid, const sf_adm_verdict *v)
{
    json_t *resp = json_object(), *doc = json_object();
    json_object_set_new(resp, "uid", json_string(uid));
    json_object_set_new(resp, "allowed", json_boolean(v->allowed));
    if (!v->allowed)
        json_object_set_new(resp, "status",
                            json_pack("{s:i, s:o}", "code", v->code ? v->code : 403, "message",
                                      cut(v->message ? v->message : "denied",
                                          SF_LIM_ADM_MESSAGE)));
    if (v->nwarnings) {
        json_t *w = json_array();
        for (size_t i = 0; i < v->nwarnings && i < SF_LIM_ADM_WARNINGS; i++)
            json_array_append_new(w, cut(v->warnings[i], SF_LIM_ADM_WARNING));
        json_object_set_new(resp, "warnings", w);
    }
    json_object_set_new(doc, "apiVersion", json_string(ADM_API));
    json_object_set_new(doc, "kind", json_string("AdmissionReview"));
    json_object_set_new(doc, "response", resp);
    char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    return s;
}
