/*
 * cmac: integrity of values the fleet keeps in Redis (layer inventories,
 * verified digest -> diff_id pairs, the diff_id index, whole-image
 * results). Anyone who can write Redis could otherwise decide what every
 * worker reports (docs/security.md, "Redis cache integrity").
 *
 * A sealed value is
 *
 *     "SFM1" | HMAC-SHA256(secret, frame) (32 bytes) | payload
 *     frame = "scanfarm-cache-mac/v1" NUL | u32be len(key) | key
 *             | u32be len(version) | version | payload
 *
 * so a MAC binds the payload to the exact Redis key it was written under
 * (a value copied to another layer's key fails) and to the analyzer
 * version (a value from other analyzers fails). The length prefixes make
 * the framing unambiguous.
 *
 * The secret is the farm's: every worker (and the coordinator, which
 * reads the image entries) must have the same one. It is read from a file
 * or an environment value, held only here, wiped on free, and never
 * logged.
 *
 * Threads: an sf_cmac is immutable after sf_cmac_new; seal, open and
 * verify may be called from any number of threads on one sf_cmac (each
 * call makes its own HMAC context). new/free from one thread, with no
 * call in flight.
 */
#ifndef SF_CMAC_H
#define SF_CMAC_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* Bytes a sealed value adds in front of its payload. */
#define SF_CMAC_OVERHEAD 36

typedef struct sf_cmac sf_cmac;

/* A MAC context over secret (len bytes, copied; SF_LIM_CACHE_SECRET_MIN
 * ..SF_LIM_CACHE_SECRET_MAX). SF_ECONFIG when too short or too long. */
int sf_cmac_new(sf_cmac **out, const void *secret, size_t len, sf_error *err);

/*
 * The farm secret from a file (whole content, one trailing newline
 * stripped) or, when file is NULL or empty, from value. *out = NULL and
 * SF_OK when neither is set (the caller decides whether unauthenticated
 * operation is allowed). Errors: SF_EIO (file unreadable), SF_ECONFIG
 * (both set, too short, too long); messages never include the secret.
 */
int sf_cmac_load(sf_cmac **out, const char *file, const char *value, sf_error *err);

/* Wipes the secret. NULL is a no-op. */
void sf_cmac_free(sf_cmac *m);

/* Append the sealed form of payload, written under key for version
 * (NULL = ""), to out. SF_OK, SF_ELIMIT (out's cap) or SF_EINTERNAL. */
int sf_cmac_seal(const sf_cmac *m, const char *key, const char *version, const void *payload,
                 size_t len, sf_buf *out);

/*
 * Check a sealed value read from key. SF_OK with *payload / *plen
 * pointing into data (borrowed); SF_EAUTH when the envelope is missing
 * or the MAC does not match (never trust the value then).
 */
int sf_cmac_open(const sf_cmac *m, const char *key, const char *version, const void *data,
                 size_t len, const void **payload, size_t *plen);

/* Unauthenticated mode (no secret, explicitly allowed): the payload of a
 * sealed value without checking it, or data itself when it is not
 * sealed. Never fails. */
void sf_cmac_strip(const void *data, size_t len, const void **payload, size_t *plen);

#endif
