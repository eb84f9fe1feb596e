/*
 * msg_job: see msg_job.h. One table lists each field with its JSON name,
 * type, place in sf_job and whether it is required; encode and decode
 * are loops over that table (sf_jmsg_encode/decode of base/json,
 * shared with msg_refs) calling the per-field functions.
 */
#include "bus/msg_job.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/json.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"

#define JOB_STR_MAX SF_LIM_MSG_STR

typedef enum { F_SCHEMA, F_STR, F_KIND, F_STRARR, F_DIGEST, F_MANIFEST, F_MTYPE } ftype;

/* off: of the char* / kind / char** member; cnt_off, max: F_STRARR's. */
static const sf_jmsg_field FIELDS[] = {
    {"schema", F_SCHEMA, 0, 0, 0, 1},
    {"run_id", F_STR, offsetof(sf_job, run_id), 0, 0, 1},
    {"kind", F_KIND, offsetof(sf_job, kind), 0, 0, 1},
    {"registry", F_STR, offsetof(sf_job, registry), 0, 0, 1},
    {"repository", F_STR, offsetof(sf_job, repository), 0, 0, 1},
    {"digest", F_DIGEST, offsetof(sf_job, digest), 0, 0, 1},
    {"refs", F_STRARR, offsetof(sf_job, refs), offsetof(sf_job, nrefs), SF_JOB_MAX_REFS, 1},
    {"platforms", F_STRARR, offsetof(sf_job, platforms), offsetof(sf_job, nplatforms),
     SF_JOB_MAX_PLATFORMS, 0},
    {"enqueued_at", F_STR, offsetof(sf_job, enqueued_at), 0, 0, 1},
    {"manifest", F_MANIFEST, offsetof(sf_job, manifest), 0, 0, 0},
    {"manifest_media_type", F_MTYPE, offsetof(sf_job, manifest_media_type), 0, 0, 0},
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

static const char *const KINDS[] = {"scan", "rematch"};

const char *sf_job_kind_name(sf_job_kind k) { return (unsigned)k < 2 ? KINDS[k] : "unknown"; }

#define MEMBER(j, f, T) ((T *)((char *)(j) + (f)->off))
#define CMEMBER(j, f, T) ((const T *)((const char *)(j) + (f)->off))

void sf_job_now(char *out, size_t outlen)
{
    char now[SF_TIME_RFC3339_MAX];
    sf_time_rfc3339_now(now);
    snprintf(out, outlen, "%s", now);
}

int sf_job_manifest_ok(const char *data, size_t n)
{
    if (!data || n == 0 || n > SF_LIM_JOB_MANIFEST)
        return 0;
    for (size_t i = 0, k; i < n; i += k)
        if (data[i] == '\0' || !(k = sf_utf8_seq((const unsigned char *)data + i, n - i)))
            return 0;
    return 1;
}

/* The carried manifest and its media type: both or neither. */
static json_t *encode_manifest(const sf_job *j, const sf_jmsg_field *f, sf_error *err)
{
    if (!j->manifest && !j->manifest_media_type)
        return json_null();
    if (!j->manifest || !j->manifest_media_type ||
        !sf_job_manifest_ok(j->manifest, j->manifest_len) || !*j->manifest_media_type ||
        strlen(j->manifest_media_type) > SF_JOB_MEDIA_TYPE_MAX) {
        sf_error_set(err, SF_EINVAL, "job: field %s invalid", f->name);
        return NULL;
    }
    return f->type == F_MANIFEST ? json_stringn(j->manifest, j->manifest_len)
                                 : json_string(j->manifest_media_type);
}

static json_t *encode_field(const void *msg, const sf_jmsg_field *f, sf_error *err)
{
    const sf_job *j = msg;
    switch (f->type) {
    case F_MANIFEST:
    case F_MTYPE:
        return encode_manifest(j, f, err);
    case F_SCHEMA:
        return json_string(SF_JOB_SCHEMA);
    case F_KIND: {
        sf_job_kind k = *CMEMBER(j, f, sf_job_kind);
        if ((unsigned)k > SF_JOB_REMATCH) {
            sf_error_set(err, SF_EINVAL, "job: bad kind");
            return NULL;
        }
        return json_string(KINDS[k]);
    }
    case F_STR:
    case F_DIGEST: {
        const char *s = *CMEMBER(j, f, char *);
        if (!s || (f->type == F_DIGEST && sf_digest_validate(s, NULL) != SF_OK)) {
            sf_error_set(err, SF_EINVAL, "job: field %s missing or invalid", f->name);
            return NULL;
        }
        return json_string(s);
    }
    case F_STRARR: {
        char *const *arr = *(char **const *)((const char *)j + f->off);
        size_t n = *(const size_t *)((const char *)j + f->cnt_off);
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++) {
            if (!arr[i] || json_array_append_new(a, json_string(arr[i]))) {
                json_decref(a);
                sf_error_set(err, SF_EINVAL, "job: bad entry in %s", f->name);
                return NULL;
            }
        }
        return a;
    }
    }
    return NULL;
}

int sf_job_encode(const sf_job *j, char **json, size_t *len, sf_error *err)
{
    return sf_jmsg_encode(j, FIELDS, NFIELDS, encode_field, SF_LIM_MESSAGE_BYTES, "job", json, len,
                          err);
}

/* The carried manifest fields: unusable ones are dropped, not fatal (the
 * worker fetches the manifest instead), with the reason logged. */
static int decode_manifest(sf_job *j, const sf_jmsg_field *f, json_t *v)
{
    size_t max = f->type == F_MANIFEST ? SF_LIM_JOB_MANIFEST : SF_JOB_MEDIA_TYPE_MAX;
    const char *s = sf_jutil_bstr(v, max);
    if (!s || !*s || (f->type == F_MANIFEST && !sf_job_manifest_ok(s, json_string_length(v)))) {
        SF_WARN("bus", "job field ignored, not a usable string|field=%s type=%s bytes=%zu",
                f->name, json_is_string(v) ? "string" : "other",
                json_is_string(v) ? json_string_length(v) : 0);
        return SF_OK;
    }
    char *copy = sf_strdup(s);
    if (!copy)
        return SF_ENOMEM;
    *MEMBER(j, f, char *) = copy;
    if (f->type == F_MANIFEST)
        j->manifest_len = json_string_length(v);
    return SF_OK;
}

static int decode_field(void *msg, const sf_jmsg_field *f, json_t *v, sf_error *err)
{
    sf_job *j = msg;
    switch (f->type) {
    case F_MANIFEST:
    case F_MTYPE:
        if (decode_manifest(j, f, v) != SF_OK)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        return SF_OK;
    case F_SCHEMA:
        if (!json_is_string(v) || strcmp(json_string_value(v), SF_JOB_SCHEMA) != 0)
            return sf_error_set(err, SF_EPARSE, "job: schema is not %s", SF_JOB_SCHEMA);
        return SF_OK;
    case F_KIND:
        for (int k = 0; k < 2; k++)
            if (json_is_string(v) && strcmp(json_string_value(v), KINDS[k]) == 0) {
                *MEMBER(j, f, sf_job_kind) = (sf_job_kind)k;
                return SF_OK;
            }
        return sf_error_set(err, SF_EPARSE, "job: unknown kind");
    case F_STR:
    case F_DIGEST: {
        const char *s = sf_jutil_bstr(v, JOB_STR_MAX);
        if (!s)
            return sf_error_set(err, SF_EPARSE, "job: field %s must be a string", f->name);
        if (f->type == F_DIGEST && sf_digest_validate(s, err) != SF_OK)
            return SF_EPARSE;
        *MEMBER(j, f, char *) = sf_strdup(s);
        return *MEMBER(j, f, char *) ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    case F_STRARR:
        return sf_jutil_get_strarr(v, f->max, JOB_STR_MAX, NULL, "job", f->name,
                                   MEMBER(j, f, char **), (size_t *)((char *)j + f->cnt_off), err);
    }
    return SF_EINTERNAL;
}

int sf_job_decode(const char *json, size_t len, sf_job *out, sf_error *err)
{
    memset(out, 0, sizeof *out);
    int rc = sf_jmsg_decode(json, len, FIELDS, NFIELDS, decode_field, SF_LIM_MESSAGE_BYTES, "job",
                            out, err);
    if (rc == SF_OK && !out->manifest != !out->manifest_media_type) {
        SF_WARN("bus", "job manifest ignored, it needs both manifest and manifest_media_type|"
                       "digest=%s", out->digest);
        free(out->manifest), free(out->manifest_media_type);
        out->manifest = out->manifest_media_type = NULL;
        out->manifest_len = 0;
    }
    return rc;
}

void sf_job_clear(sf_job *j)
{
    if (!j)
        return;
    sf_jmsg_clear(j, FIELDS, NFIELDS,
                  1u << F_STR | 1u << F_DIGEST | 1u << F_MANIFEST | 1u << F_MTYPE);
    memset(j, 0, sizeof *j);
}
