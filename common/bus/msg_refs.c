/*
 * msg_refs: see msg_refs.h. One table lists each field with its JSON
 * name, type, place in sf_refs_msg, cap and whether it is required;
 * encode and decode are loops over that table (sf_jmsg_encode/decode of
 * base/json, shared with msg_job) calling the per-field functions.
 */
#include "bus/msg_refs.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/limits.h"
#include "bus/msg_job.h"

#define REFS_STR_MAX SF_LIM_MSG_STR

typedef enum { F_SCHEMA, F_STR, F_DIGEST, F_STRARR, F_DIGESTARR } ftype;

/* off: of the char* / char** member; cnt_off, max: the arrays'. */
static const sf_jmsg_field FIELDS[] = {
    {"schema", F_SCHEMA, 0, 0, 0, 1},
    {"run_id", F_STR, offsetof(sf_refs_msg, run_id), 0, 0, 1},
    {"digest", F_DIGEST, offsetof(sf_refs_msg, digest), 0, 0, 1},
    {"images", F_DIGESTARR, offsetof(sf_refs_msg, images), offsetof(sf_refs_msg, nimages),
     SF_REFS_MAX_IMAGES, 1},
    {"refs", F_STRARR, offsetof(sf_refs_msg, refs), offsetof(sf_refs_msg, nrefs),
     SF_JOB_MAX_REFS, 1},
    {"platforms", F_STRARR, offsetof(sf_refs_msg, platforms), offsetof(sf_refs_msg, nplatforms),
     SF_JOB_MAX_PLATFORMS, 0},
    {"db_version", F_STR, offsetof(sf_refs_msg, db_version), 0, 0, 1},
    {"produced_at", F_STR, offsetof(sf_refs_msg, produced_at), 0, 0, 1},
};
#define NFIELDS (sizeof FIELDS / sizeof FIELDS[0])

#define MEMBER(m, f, T) ((T *)((char *)(m) + (f)->off))
#define CMEMBER(m, f, T) ((const T *)((const char *)(m) + (f)->off))
#define COUNT(m, f) ((size_t *)((char *)(m) + (f)->cnt_off))
#define CCOUNT(m, f) ((const size_t *)((const char *)(m) + (f)->cnt_off))

static int str_ok(const char *s, int digest)
{
    return s && strlen(s) <= REFS_STR_MAX && (!digest || sf_digest_validate(s, NULL) == SF_OK);
}

static json_t *encode_field(const void *msg, const sf_jmsg_field *f, sf_error *err)
{
    const sf_refs_msg *m = msg;
    if (f->type == F_SCHEMA)
        return json_string(SF_REFS_SCHEMA);
    if (f->type == F_STR || f->type == F_DIGEST) {
        const char *s = *CMEMBER(m, f, char *);
        if (!str_ok(s, f->type == F_DIGEST)) {
            sf_error_set(err, SF_EINVAL, "refs: field %s missing or invalid", f->name);
            return NULL;
        }
        return json_string(s);
    }
    char *const *arr = *(char **const *)((const char *)m + f->off);
    size_t n = *CCOUNT(m, f);
    if (n > f->max) {
        sf_error_set(err, SF_ELIMIT, "refs: %zu entries in %s (max %zu)", n, f->name, f->max);
        return NULL;
    }
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (!str_ok(arr[i], f->type == F_DIGESTARR) ||
            json_array_append_new(a, json_string(arr[i]))) {
            json_decref(a);
            sf_error_set(err, SF_EINVAL, "refs: bad entry in %s", f->name);
            return NULL;
        }
    }
    if (!a)
        sf_error_set(err, SF_ENOMEM, "out of memory");
    return a;
}

int sf_refs_encode(const sf_refs_msg *m, char **json, size_t *len, sf_error *err)
{
    return sf_jmsg_encode(m, FIELDS, NFIELDS, encode_field, SF_LIM_MESSAGE_BYTES, "refs", json,
                          len, err);
}

static int digest_ok(const char *s)
{
    return sf_digest_validate(s, NULL) == SF_OK;
}

static int decode_field(void *msg, const sf_jmsg_field *f, json_t *v, sf_error *err)
{
    sf_refs_msg *m = msg;
    const char *s;
    switch (f->type) {
    case F_SCHEMA:
        if (!json_is_string(v) || strcmp(json_string_value(v), SF_REFS_SCHEMA) != 0)
            return sf_error_set(err, SF_EPARSE, "refs: schema is not %s", SF_REFS_SCHEMA);
        return SF_OK;
    case F_STR:
    case F_DIGEST:
        if (!(s = sf_jutil_bstr(v, REFS_STR_MAX)))
            return sf_error_set(err, SF_EPARSE, "refs: field %s must be a string", f->name);
        if (f->type == F_DIGEST && sf_digest_validate(s, err) != SF_OK)
            return SF_EPARSE;
        *MEMBER(m, f, char *) = sf_strdup(s);
        return *MEMBER(m, f, char *) ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    case F_STRARR:
    case F_DIGESTARR:
        return sf_jutil_get_strarr(v, f->max, REFS_STR_MAX,
                                   f->type == F_DIGESTARR ? digest_ok : NULL, "refs", f->name,
                                   MEMBER(m, f, char **), COUNT(m, f), err);
    }
    return SF_EINTERNAL;
}

int sf_refs_decode(const char *json, size_t len, sf_refs_msg *out, sf_error *err)
{
    memset(out, 0, sizeof *out);
    return sf_jmsg_decode(json, len, FIELDS, NFIELDS, decode_field, SF_LIM_MESSAGE_BYTES, "refs",
                          out, err);
}

int sf_refs_maybe(const char *json, size_t len)
{
    return sf_jmsg_maybe(json, len, SF_REFS_SCHEMA);
}

void sf_refs_clear(sf_refs_msg *m)
{
    if (!m)
        return;
    sf_jmsg_clear(m, FIELDS, NFIELDS, 1u << F_STR | 1u << F_DIGEST);
    memset(m, 0, sizeof *m);
}
