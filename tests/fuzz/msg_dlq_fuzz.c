/* Fuzz target of the DLQ encoder (bus/msg_dlq.h): it quotes whatever
 * arrived on the jobs topic, so any bytes must give a document that
 * parses again and quotes them exactly (JSON re-encoded, text verbatim,
 * base64 that decodes to them). */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "bus/msg_dlq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The base64 quote decodes to exactly the quoted prefix. */
static void check_b64(const char *q, const uint8_t *data, size_t n)
{
    size_t ql = strlen(q);
    unsigned char *raw = malloc(ql / 4 * 3 + 3);
    if (!raw)
        return;
    int k = EVP_DecodeBlock(raw, (const unsigned char *)q, (int)ql);
    int pad = (ql >= 1 && q[ql - 1] == '=') + (ql >= 2 && q[ql - 2] == '=');
    if (k < 0 || (size_t)(k - pad) != n || (n && memcmp(raw, data, n) != 0))
        abort();
    free(raw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = NULL;
    size_t n = 0;
    /* The input is the job; its first bytes also stand in for a reason. */
    char reason[32];
    size_t rl = size < sizeof reason - 1 ? size : sizeof reason - 1;
    memcpy(reason, data, rl);
    reason[rl] = '\0';
    if (sf_dlq_encode((const char *)data, size, reason, 1, "w", "t", &s, &n, NULL) != SF_OK)
        return 0;
    json_error_t je;
    json_t *d = json_loadb(s, n, 0, &je);
    if (!d)
        abort();
    const char *enc = json_string_value(json_object_get(d, "job_encoding"));
    json_t *job = json_object_get(d, "job");
    size_t quoted = size < SF_LIM_DLQ_JOB_BYTES ? size : SF_LIM_DLQ_JOB_BYTES;
    if (enc && strcmp(enc, "base64") == 0)
        check_b64(json_string_value(job), data, quoted);
    else if (enc && (strcmp(enc, "text") != 0 || json_string_length(job) != quoted ||
                     memcmp(json_string_value(job), data, quoted) != 0))
        abort();
    else if (!enc && !json_is_object(job) && !json_is_array(job))
        abort();
    if (!json_is_string(json_object_get(d, "reason")))
        abort();
    json_decref(d);
    free(s);
    return 0;
}
