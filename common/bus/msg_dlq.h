/*
 * msg_dlq: the `scanfarm.dlq/v1` document, a job the workers gave up on,
 * quoted with the reason (docs/results-schema.md).
 *
 *   {"schema":"scanfarm.dlq/v1","job":{...the job...},"reason":"...",
 *    "attempts":3,"worker":"host/4711","at":"2026-...Z"}
 *
 * Why a module: a job reaches the DLQ precisely because it may be
 * anything. Its bytes are quoted as the parsed JSON when they parse,
 * else as a string when they are valid UTF-8 without NUL bytes
 * ("job_encoding":"text"),
 * else base64 ("job_encoding":"base64"), so every message, however
 * poisoned, yields a DLQ entry (and its offset can be committed).
 * Quotes past SF_LIM_DLQ_JOB_BYTES keep that prefix, with
 * "job_truncated":true and "job_bytes" the original length.
 */
#ifndef SF_MSG_DLQ_H
#define SF_MSG_DLQ_H

#include <stddef.h>

#include "base/err.h"

#define SF_DLQ_SCHEMA "scanfarm.dlq/v1"

/* Encode the DLQ entry of job (len bytes, any content) to compact JSON
 * (malloc'd, NUL-terminated, *outlen without the NUL). reason, worker and
 * at are required text. SF_EINVAL on a missing field, SF_ENOMEM. */
int sf_dlq_encode(const char *job, size_t len, const char *reason, long long attempts,
                  const char *worker, const char *at, char **out, size_t *outlen,
                  sf_error *err);

#endif
