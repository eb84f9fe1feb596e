/* msg_restamp: see msg_restamp.h. */
#include "bus/msg_restamp.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/json.h"
#include "base/json_skim.h"
#include "base/limits.h"
#include "bus/msg_result.h"
#include "bus/msg_result_int.h"

int sf_restamp_set_refs(sf_result *r, char *const *refs, size_t nrefs)
{
    sf_strarr_free(r->refs, r->nrefs);
    r->refs = NULL;
    r->nrefs = 0;
    if (nrefs == 0)
        return SF_OK;
    if (!(r->refs = calloc(nrefs, sizeof *r->refs)))
        return SF_ENOMEM;
    for (size_t i = 0; i < nrefs; i++) {
        if (!(r->refs[i] = sf_strdup(refs[i])))
            return SF_ENOMEM;
        r->nrefs++;
    }
    return SF_OK;
}

int sf_restamp_round_trip(const char *json, size_t len, const char *run_id, char *const *refs,
                          size_t nrefs, const char *fallback_digest, sf_buf *out, char **digest,
                          sf_error *err)
{
    sf_result r;
    sf_buf_reset(out);
    int rc = sf_result_decode(json, len, &r, err);
    if (rc == SF_OK) {
        free(r.run_id);
        r.run_id = run_id ? sf_strdup(run_id) : NULL;
        for (size_t i = 0; i < r.nlayers; i++) {
            free(r.layers[i].cache);
            r.layers[i].cache = sf_strdup("hit");
            if (!r.layers[i].cache)
                rc = SF_ENOMEM;
        }
        if (rc == SF_OK && ((run_id && !r.run_id) || sf_restamp_set_refs(&r, refs, nrefs)))
            rc = SF_ENOMEM;
        if (rc == SF_ENOMEM)
            sf_error_set(err, rc, "out of memory");
    }
    if (rc == SF_OK)
        rc = sf_result_encode(&r, out, err);
    if (rc == SF_OK && digest && !(*digest = sf_strdup(r.digest ? r.digest : fallback_digest)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    sf_result_clear(&r);
    return rc;
}

/* A scalar or container appended as compact JSON; v is consumed. */
static int put_json(sf_buf *out, json_t *v)
{
    int rc = sf_jutil_dump_any(v, out);
    json_decref(v);
    return rc;
}

/* The members the splice needs, each present exactly once. */
typedef struct spots {
    int run, refs, layers, digest;
} spots;

/* 1 when every key is unescaped and given once: the decoder refuses
 * duplicates (JSON_REJECT_DUPLICATES), so the splice must not pass them. */
static int keys_plain(const char *json, const sf_jskim_member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m[i].key_escaped)
            return 0;
        for (size_t k = 0; k < i; k++)
            if (m[k].key_len == m[i].key_len &&
                memcmp(json + m[k].key_off, json + m[i].key_off, m[i].key_len) == 0)
                return 0;
    }
    return 1;
}

static int find_spots(const char *json, const sf_jskim_member *m, size_t n, spots *s)
{
    if (!keys_plain(json, m, n))
        return 0;
    static const char schema[] = "\"" SF_RESULT_SCHEMA "\"";
    int sc = sf_jskim_find(json, m, n, "schema");
    s->run = sf_jskim_find(json, m, n, "run_id");
    s->refs = sf_jskim_find(json, m, n, "refs");
    s->layers = sf_jskim_find(json, m, n, "layers");
    s->digest = sf_jskim_find(json, m, n, "digest");
    if (sc < 0 || s->run < 0 || s->refs < 0 || s->layers < 0 || s->digest < 0)
        return 0;
    if (m[sc].val_len != sizeof schema - 1 ||
        memcmp(json + m[sc].val_off, schema, sizeof schema - 1) != 0)
        return 0;
    /* A digest is a plain string: no escapes to undo. */
    const sf_jskim_member *d = &m[s->digest];
    return d->val_len >= 2 && json[d->val_off] == '"' &&
           !memchr(json + d->val_off, '\\', d->val_len);
}

/* The splice itself; 0 (out untouched) when the document's shape asks
 * for the round trip, 1 done, or a negative code. */
static int splice(const char *json, size_t len, const char *run_id, char *const *refs,
                  size_t nrefs, sf_buf *out, char **digest, sf_error *err)
{
    sf_jskim_member m[SF_RESTAMP_MAX_MEMBERS];
    size_t n = 0;
    spots s;
    if (sf_jskim_object(json, len, m, SF_RESTAMP_MAX_MEMBERS, &n, NULL) != SF_OK ||
        !find_spots(json, m, n, &s))
        return 0;
    int rc = sf_buf_append(out, "{", 1);
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        if (i)
            rc = sf_buf_append(out, ",", 1);
        /* the key's bytes as they were (quotes included) */
        if (rc == SF_OK)
            rc = sf_buf_append(out, json + m[i].key_off - 1, m[i].key_len + 2);
        if (rc == SF_OK)
            rc = sf_buf_append(out, ":", 1);
        if (rc != SF_OK)
            break;
        if ((int)i == s.run)
            rc = put_json(out, sf_jutil_str(run_id));
        else if ((int)i == s.refs)
            rc = put_json(out, sf_result__strv(refs, nrefs));
        else if ((int)i == s.layers)
            rc = sf_result__layers_hit(json + m[i].val_off, m[i].val_len, out, err);
        else
            rc = sf_buf_append(out, json + m[i].val_off, m[i].val_len);
    }
    if (rc == SF_OK)
        rc = sf_buf_append(out, "}", 1);
    const sf_jskim_member *d = &m[s.digest];
    if (rc == SF_OK && !(*digest = sf_strndup(json + d->val_off + 1, d->val_len - 2)))
        rc = SF_ENOMEM;
    if (rc == SF_ENOMEM || rc == SF_ELIMIT)
        sf_error_set(err, rc, rc == SF_ENOMEM ? "out of memory" : "result: document too large");
    return rc == SF_OK ? 1 : rc;
}

int sf_restamp(const char *json, size_t len, const char *run_id, char *const *refs,
               size_t nrefs, const char *fallback_digest, sf_buf *out, char **digest,
               int *fast, sf_error *err)
{
    *digest = NULL;
    if (fast)
        *fast = 0;
    sf_buf_reset(out);
    if (len > SF_LIM_MESSAGE_BYTES)
        return sf_error_set(err, SF_ELIMIT, "result: %zu bytes exceeds the limit of %zu", len,
                            (size_t)SF_LIM_MESSAGE_BYTES);
    int rc = splice(json, len, run_id, refs, nrefs, out, digest, err);
    if (rc == 1 && fast)
        *fast = 1;
    if (rc != 0)
        return rc == 1 ? SF_OK : rc;
    return sf_restamp_round_trip(json, len, run_id, refs, nrefs, fallback_digest, out, digest,
                                 err);
}
