/*
 * events_parse: see events_parse.h. The distribution envelope, the ACR
 * webhook and the data of an Event Grid ACR CloudEvent share one event
 * shape (ACR kept distribution's), so one function reads it; Harbor has
 * its own. Every field is type-checked: a present field of the wrong type
 * is an error, not a default.
 */
#include "events_parse.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "registry/registry.h"

void sf_evlist_clear(sf_evlist *l)
{
    if (!l)
        return;
    free(l->v);
    memset(l, 0, sizeof *l);
}

int sf_evp_valid_host(const char *s)
{
    size_t n = strlen(s), i = 0;
    if (n == 0 || n >= SF_EVENT_HOST_MAX)
        return 0;
    if (s[0] == '[') { /* [v6]:port */
        const char *e = strchr(s, ']');
        if (!e || e == s + 1)
            return 0;
        for (const char *p = s + 1; p < e; p++)
            if (!strchr("0123456789abcdefABCDEF:.", *p))
                return 0;
        i = (size_t)(e - s) + 1;
        if (s[i] == '\0')
            return 1;
        if (s[i] != ':')
            return 0;
    } else {
        for (; i < n && s[i] != ':'; i++)
            if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                  (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
                return 0;
        if (i == 0 || s[0] == '.' || s[0] == '-')
            return 0;
        if (i == n)
            return 1;
    }
    /* ":port" */
    size_t d = 0;
    for (i++; i < n; i++, d++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return d >= 1 && d <= 5;
}

static int push_event(sf_evlist *l, const sf_event *e, sf_error *err)
{
    if (l->n >= SF_EVENTS_MAX_PER_BODY)
        return sf_error_set(err, SF_ELIMIT, "more than %d push/delete events in one body",
                            SF_EVENTS_MAX_PER_BODY);
    if (SF_ARRAY_RESERVE(l->v, l->cap, l->n, 8, 0) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    l->v[l->n++] = *e;
    return SF_OK;
}

/* Optional string member: NULL when absent or null; *bad = 1 when it is
 * present with another type. */
static const char *opt_str(json_t *obj, const char *key, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

/* Optional object member, same convention. */
static json_t *opt_obj(json_t *obj, const char *key, int *bad)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_object(v)) {
        *bad = 1;
        return NULL;
    }
    return v;
}

static json_t *load(const char *body, size_t len, sf_error *err)
{
    json_error_t je;
    json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        sf_error_set(err, SF_EPARSE, "not JSON (line %d: %.80s)", je.line, je.text);
    return doc;
}

static const char *const MANIFEST_TYPES[] = {
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.oci.image.manifest.v1+json",
};
static const char *const INDEX_TYPES[] = {
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
};

static int in_list(const char *s, const char *const *l, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        if (strcmp(s, l[i]) == 0)
            return 1;
    return 0;
}

/* Fill the identity fields; SF_EPARSE naming `where` when invalid. */
static int set_identity(sf_event *e, const char *host, const char *repo, const char *digest,
                        const char *tag, const char *where, sf_error *err)
{
    if (!host || !sf_evp_valid_host(host))
        return sf_error_set(err, SF_EPARSE, "%s: missing or invalid registry host", where);
    if (!repo || strlen(repo) >= SF_EVENT_REPO_MAX || !sf_reg_valid_repo(repo))
        return sf_error_set(err, SF_EPARSE, "%s: missing or invalid repository", where);
    if (digest && *digest && sf_digest_validate(digest, NULL) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "%s: invalid digest", where);
    if (tag && *tag && !sf_reg_valid_tag(tag))
        return sf_error_set(err, SF_EPARSE, "%s: invalid tag", where);
    snprintf(e->registry, sizeof e->registry, "%s", host);
    snprintf(e->repository, sizeof e->repository, "%s", repo);
    snprintf(e->digest, sizeof e->digest, "%s", digest ? digest : "");
    snprintf(e->tag, sizeof e->tag, "%s", tag ? tag : "");
    return SF_OK;
}

/* One event of the distribution shape (distribution, ACR, Event Grid
 * data). host_default is used when request.host is absent. */
static int dist_event(json_t *ev, const char *where, sf_evlist *out, sf_error *err)
{
    int bad = 0;
    if (!json_is_object(ev))
        return sf_error_set(err, SF_EPARSE, "%s: not an object", where);
    const char *action = opt_str(ev, "action", &bad);
    json_t *target = opt_obj(ev, "target", &bad);
    json_t *request = opt_obj(ev, "request", &bad);
    const char *mt = opt_str(target, "mediaType", &bad);
    const char *digest = opt_str(target, "digest", &bad);
    const char *repo = opt_str(target, "repository", &bad);
    const char *tag = opt_str(target, "tag", &bad);
    const char *url = opt_str(target, "url", &bad);
    const char *host = opt_str(request, "host", &bad);
    if (bad)
        return sf_error_set(err, SF_EPARSE, "%s: a field has the wrong type", where);
    if (!action)
        return sf_error_set(err, SF_EPARSE, "%s: no action", where);
    int push = strcmp(action, "push") == 0, del = strcmp(action, "delete") == 0;
    int blob = url && strstr(url, "/blobs/");
    int manifest = in_list(mt, MANIFEST_TYPES, 4) || in_list(mt, INDEX_TYPES, 2) ||
                   (url && strstr(url, "/manifests/"));
    /* A delete carries no media type; a push of an unknown type is a
     * manifest only when its URL says so (OCI artifacts). */
    if ((!push && !del) || blob || (push && !manifest) || !target) {
        out->ignored++;
        return SF_OK;
    }
    if (push && (!tag || !*tag)) {
        out->ignored++; /* untagged: see events_parse.h */
        return SF_OK;
    }
    if (del && (!digest || !*digest) && (!tag || !*tag)) {
        out->ignored++; /* a repository delete (ACR): its tags go with the next enumeration */
        return SF_OK;
    }
    if (push && (!digest || !*digest))
        return sf_error_set(err, SF_EPARSE, "%s: no target.digest", where);
    sf_event e = {.action = push ? SF_EV_PUSH : SF_EV_DELETE,
                  .is_index = in_list(mt, INDEX_TYPES, 2)};
    int rc = set_identity(&e, host, repo, digest, tag, where, err);
    return rc ? rc : push_event(out, &e, err);
}

int sf_evp_distribution(const char *body, size_t len, sf_evlist *out, sf_error *err)
{
    json_t *doc = load(body, len, err), *evs, *ev;
    size_t i;
    int rc = SF_OK;
    if (!doc)
        return SF_EPARSE;
    evs = json_object_get(doc, "events");
    if (!json_is_object(doc) || !json_is_array(evs)) {
        rc = sf_error_set(err, SF_EPARSE, "not a notification envelope (no events array)");
        goto done;
    }
    json_array_foreach(evs, i, ev) {
        char where[48];
        snprintf(where, sizeof where, "events[%zu]", i);
        if ((rc = dist_event(ev, where, out, err)) != SF_OK)
            break;
    }
done:
    json_decref(doc);
    return rc;
}

int sf_evp_acr(const char *body, size_t len, sf_evlist *out, sf_error *err)
{
    json_t *doc = load(body, len, err);
    if (!doc)
        return SF_EPARSE;
    int rc = dist_event(doc, "event", out, err);
    json_decref(doc);
    return rc;
}

/* "host/ns/repo:tag" or "host/ns/repo@sha256:..." -> host. */
static int host_of(const char *resource_url, char *host, size_t cap)
{
    const char *u = resource_url, *s;
    if ((s = strstr(u, "://")))
        u = s + 3;
    size_t n = strcspn(u, "/");
    if (n == 0 || n >= cap || u[n] != '/')
        return -1;
    memcpy(host, u, n);
    host[n] = '\0';
    return 0;
}

static int harbor_resource(json_t *r, int push, const char *repo, const char *where,
                           sf_evlist *out, sf_error *err)
{
    int bad = 0;
    char host[SF_EVENT_HOST_MAX];
    if (!json_is_object(r))
        return sf_error_set(err, SF_EPARSE, "%s: not an object", where);
    const char *digest = opt_str(r, "digest", &bad);
    const char *tag = opt_str(r, "tag", &bad);
    const char *url = opt_str(r, "resource_url", &bad);
    if (bad)
        return sf_error_set(err, SF_EPARSE, "%s: a field has the wrong type", where);
    if (push && (!tag || !*tag)) {
        out->ignored++;
        return SF_OK;
    }
    if (!digest || !*digest)
        return sf_error_set(err, SF_EPARSE, "%s: no digest", where);
    if (!url || host_of(url, host, sizeof host) != 0)
        return sf_error_set(err, SF_EPARSE, "%s: missing or invalid resource_url", where);
    sf_event e = {.action = push ? SF_EV_PUSH : SF_EV_DELETE};
    /* A Harbor delete removes the artifact (the digest with all its tags). */
    int rc = set_identity(&e, host, repo, digest, push ? tag : NULL, where, err);
    return rc ? rc : push_event(out, &e, err);
}

int sf_evp_harbor(const char *body, size_t len, sf_evlist *out, sf_error *err)
{
    json_t *doc = load(body, len, err), *r;
    int bad = 0, rc = SF_OK;
    size_t i;
    if (!doc)
        return SF_EPARSE;
    const char *type = json_is_object(doc) ? opt_str(doc, "type", &bad) : NULL;
    json_t *data = json_is_object(doc) ? opt_obj(doc, "event_data", &bad) : NULL;
    json_t *repo = opt_obj(data, "repository", &bad);
    const char *full = opt_str(repo, "repo_full_name", &bad);
    json_t *res = json_object_get(data, "resources");
    if (!json_is_object(doc) || bad || !type) {
        rc = sf_error_set(err, SF_EPARSE, "not a Harbor webhook payload (type, event_data)");
        goto done;
    }
    int push = strcmp(type, "PUSH_ARTIFACT") == 0, del = strcmp(type, "DELETE_ARTIFACT") == 0;
    if (!push && !del) {
        out->ignored++;
        goto done;
    }
    if (!data || !json_is_array(res) || !full) {
        rc = sf_error_set(err, SF_EPARSE, "%s without event_data.resources and "
                                          "event_data.repository.repo_full_name", type);
        goto done;
    }
    json_array_foreach(res, i, r) {
        char where[56];
        snprintf(where, sizeof where, "event_data.resources[%zu]", i);
        if ((rc = harbor_resource(r, push, full, where, out, err)) != SF_OK)
            break;
    }
done:
    json_decref(doc);
    return rc;
}

/* One CloudEvent (or an Event Grid schema validation event). */
static int cloudevent(json_t *ce, const char *where, sf_evlist *out, sf_error *err)
{
    int bad = 0;
    if (!json_is_object(ce))
        return sf_error_set(err, SF_EPARSE, "%s: not an object", where);
    const char *egtype = opt_str(ce, "eventType", &bad);
    if (egtype && strcmp(egtype, "Microsoft.EventGrid.SubscriptionValidationEvent") == 0) {
        json_t *d = opt_obj(ce, "data", &bad);
        const char *code = opt_str(d, "validationCode", &bad);
        if (bad || !code || strlen(code) >= sizeof out->vcode)
            return sf_error_set(err, SF_EPARSE, "%s: bad validation event", where);
        snprintf(out->vcode, sizeof out->vcode, "%s", code);
        return SF_OK;
    }
    const char *spec = opt_str(ce, "specversion", &bad);
    const char *type = opt_str(ce, "type", &bad);
    const char *id = opt_str(ce, "id", &bad);
    const char *source = opt_str(ce, "source", &bad);
    if (bad || !spec || !type || !id || !source)
        return sf_error_set(err, SF_EPARSE, "%s: not a CloudEvent (specversion, id, source, "
                                            "type must be strings)", where);
    if (strcmp(spec, "1.0") != 0)
        return sf_error_set(err, SF_EPARSE, "%s: specversion %.16s is not 1.0", where, spec);
    if (strcmp(type, "Microsoft.ContainerRegistry.ImagePushed") != 0 &&
        strcmp(type, "Microsoft.ContainerRegistry.ImageDeleted") != 0) {
        out->ignored++;
        return SF_OK;
    }
    char dw[64];
    snprintf(dw, sizeof dw, "%s.data", where);
    return dist_event(json_object_get(ce, "data"), dw, out, err);
}

int sf_evp_cloudevents(const char *body, size_t len, sf_evlist *out, sf_error *err)
{
    json_t *doc = load(body, len, err), *ce;
    int rc = SF_OK;
    size_t i;
    if (!doc)
        return SF_EPARSE;
    if (json_is_array(doc)) { /* application/cloudevents-batch+json */
        json_array_foreach(doc, i, ce) {
            char where[48];
            snprintf(where, sizeof where, "[%zu]", i);
            if ((rc = cloudevent(ce, where, out, err)) != SF_OK)
                break;
        }
    } else {
        rc = cloudevent(doc, "event", out, err);
    }
    json_decref(doc);
    return rc;
}
