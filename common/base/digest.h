/*
 * digest: OCI content digests ("sha256:<64 hex>", "sha512:<128 hex>"):
 * strict parsing and streaming hashing. SHA-2 comes from OpenSSL's
 * libcrypto, which uses the CPU's SHA extensions where present; hashing
 * runs on every byte of every blob, so its speed matters.
 */
#ifndef SF_DIGEST_H
#define SF_DIGEST_H

#include <stddef.h>

#include "base/err.h"

/* Longest digest string: "sha512:" + 128 hex + NUL. */
#define SF_DIGEST_MAX 136

/* SF_OK when s is a well-formed sha256/sha512 digest with lowercase hex;
 * SF_EPARSE (with a message) otherwise. Rejects anything that could act
 * as a path or a Redis key separator. */
int sf_digest_validate(const char *s, sf_error *err);

typedef struct sf_hasher sf_hasher;

/* New streaming hasher for the algorithm of digest `like` ("sha256:..."
 * or just "sha256"/"sha512"). */
int sf_hasher_new(sf_hasher **out, const char *like);
int sf_hasher_update(sf_hasher *h, const void *data, size_t n);
/* Write "algo:hex" into out (SF_DIGEST_MAX bytes). The hasher is spent. */
int sf_hasher_final(sf_hasher *h, char out[SF_DIGEST_MAX]);
void sf_hasher_free(sf_hasher *h);

/* One-shot: SF_OK if data hashes to expected, SF_EDIGEST (with both
 * digests in the message) if not. */
int sf_digest_verify(const char *expected, const void *data, size_t n, sf_error *err);
/* One-shot sha256 of data into out. */
int sf_digest_sha256(const void *data, size_t n, char out[SF_DIGEST_MAX]);

#endif
