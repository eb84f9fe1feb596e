/*
 * msg_unref: see msg_unref.h. Five string fields; the validity rules are
 * those of the refs the aggregator indexes (host, repository, tag names of
 * the distribution spec), checked on both sides.
 */
#include "bus/msg_unref.h"
#include "base/limits.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/json.h"
#include "registry/registry.h"

#define UNREF_HOST_MAX SF_LIM_UNREF_HOST

static int host_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > UNREF_HOST_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]", s[i]))
            return 0;
    return 1;
}

static int valid(const sf_unref_msg *m)
{
    if (!host_ok(m->registry) || !m->repository || !sf_reg_valid_repo(m->repository))
        return 0;
    if ((m->digest != NULL) == (m->tag != NULL))
        return 0;
    if (m->digest && sf_digest_validate(m->digest, NULL) != SF_OK)
        return 0;
    if (m->tag && !sf_reg_valid_tag(m->tag))
        return 0;
    return m->produced_at && strlen(m->produced_at) < 64;
}

int sf_unref_encode(const sf_unref_msg *m, char **json, size_t *len, sf_error *err)
{
    *json = NULL;
    if (!valid(m))
        return sf_error_set(err, SF_EINVAL, "unref: a field is missing or invalid");
    json_t *o = json_pack("{s:s,s:s,s:s}", "schema", SF_UNREF_SCHEMA, "registry", m->registry,
                          "repository", m->repository);
    if (o && m->digest)
        json_object_set_new(o, "digest", json_string(m->digest));
    if (o && m->tag)
        json_object_set_new(o, "tag", json_string(m->tag));
    if (o)
        json_object_set_new(o, "produced_at", json_string(m->produced_at));
    *json = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    if (!*json)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    *len = strlen(*json);
    return SF_OK;
}

/* Optional string member copied into *out; -1 on a wrong type. */
static int take(json_t *doc, const char *key, char **out)
{
    json_t *v = json_object_get(doc, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
        return -1;
    *out = sf_strdup(json_string_value(v));
    return *out ? 0 : -1;
}

int sf_unref_decode(const char *json, size_t len, sf_unref_msg *out, sf_error *err)
{
    json_error_t je;
    memset(out, 0, sizeof *out);
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    int rc = SF_OK;
    if (!json_is_object(doc) || !schema || strcmp(schema, SF_UNREF_SCHEMA) != 0)
        rc = sf_error_set(err, SF_EPARSE, "unref: not a %s document", SF_UNREF_SCHEMA);
    else if (take(doc, "registry", &out->registry) || take(doc, "repository", &out->repository) ||
             take(doc, "digest", &out->digest) || take(doc, "tag", &out->tag) ||
             take(doc, "produced_at", &out->produced_at) || !valid(out))
        rc = sf_error_set(err, SF_EPARSE, "unref: a field is missing or invalid");
    json_decref(doc);
    return rc;
}

int sf_unref_maybe(const char *json, size_t len)
{
    return sf_jmsg_maybe(json, len, SF_UNREF_SCHEMA);
}

void sf_unref_clear(sf_unref_msg *m)
{
    if (!m)
        return;
    free(m->registry), free(m->repository), free(m->digest), free(m->tag);
    free(m->produced_at);
    memset(m, 0, sizeof *m);
}
