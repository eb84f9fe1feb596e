/*
 * msg_dlq: see msg_dlq.h.
 */
#include "bus/msg_dlq.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

/* base64 of data as a JSON string (NULL: no memory). */
static json_t *b64_string(const char *data, size_t n)
{
    char *b = malloc(4 * ((n + 2) / 3) + 1);
    if (!b)
        return NULL;
    int k = EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)data, (int)n);
    json_t *s = k >= 0 ? json_stringn(b, (size_t)k) : NULL;
    free(b);
    return s;
}

/* The quote of the job and how it is encoded ("json", "text", "base64"). */
static json_t *quote(const char *job, size_t len, const char **enc)
{
    json_error_t je;
    json_t *v = len <= SF_LIM_DLQ_JOB_BYTES ? json_loadb(job, len, 0, &je) : NULL;
    if (v) {
        *enc = "json";
        return v;
    }
    size_t n = len < SF_LIM_DLQ_JOB_BYTES ? len : SF_LIM_DLQ_JOB_BYTES;
    /* Text only without NUL bytes (many JSON readers refuse \u0000);
     * json_stringn refuses invalid UTF-8. */
    if (!memchr(job, 0, n) && (v = json_stringn(job, n))) {
        *enc = "text";
        return v;
    }
    *enc = "base64";
    return b64_string(job, n);
}

/* reason may quote the job itself (a decode error): invalid UTF-8 there
 * must not lose the entry either. */
static json_t *text_or_b64(const char *s)
{
    json_t *v = json_stringn(s, strlen(s));
    return v ? v : b64_string(s, strlen(s));
}

int sf_dlq_encode(const char *job, size_t len, const char *reason, long long attempts,
                  const char *worker, const char *at, char **out, size_t *outlen, sf_error *err)
{
    *out = NULL;
    *outlen = 0;
    if (!reason || !worker || !at || (!job && len))
        return sf_error_set(err, SF_EINVAL, "DLQ entry: missing field");
    const char *enc = NULL;
    json_t *doc = json_object();
    /* Every json_object_set_new takes its value, also on failure. */
    int bad = !doc || json_object_set_new(doc, "schema", json_string(SF_DLQ_SCHEMA)) ||
              json_object_set_new(doc, "job", quote(job ? job : "", len, &enc)) ||
              (strcmp(enc, "json") != 0 &&
               json_object_set_new(doc, "job_encoding", json_string(enc))) ||
              (len > SF_LIM_DLQ_JOB_BYTES &&
               (json_object_set_new(doc, "job_truncated", json_true()) ||
                json_object_set_new(doc, "job_bytes", json_integer((json_int_t)len)))) ||
              json_object_set_new(doc, "reason", text_or_b64(reason)) ||
              json_object_set_new(doc, "attempts", json_integer((json_int_t)attempts)) ||
              json_object_set_new(doc, "worker", text_or_b64(worker)) ||
              json_object_set_new(doc, "at", json_string(at));
    if (!bad && (*out = json_dumps(doc, JSON_COMPACT)))
        *outlen = strlen(*out);
    json_decref(doc);
    return *out ? SF_OK : sf_error_set(err, SF_ENOMEM, "DLQ entry: out of memory");
}
