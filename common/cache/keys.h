/*
 * keys: the one place Redis key names are formatted (DESIGN.md §4).
 *
 * Every key starts with a prefix ("scanfarm" by default; tests and
 * side-by-side deployments use their own) and embeds digests that were
 * validated first, so no untrusted string can inject a ':' separator or
 * address another key space. A formatted key always fits SF_KEY_MAX.
 */
#ifndef SF_KEYS_H
#define SF_KEYS_H

#include <stddef.h>

#include "base/err.h"

/* Longest key: prefix (64) + fixed parts (~40) + digest (135) + version
 * or run id (128) + NULs, rounded up. */
#define SF_KEY_MAX 512
/* Longest accepted prefix and version/run-id component. */
#define SF_KEY_PREFIX_MAX 64
#define SF_KEY_PART_MAX 128

/* Default prefix of every key. */
#define SF_KEY_PREFIX_DEFAULT "scanfarm"

/* SF_OK when s may be used as a key prefix: 1..64 chars of [A-Za-z0-9_.-]
 * and ':' (so "scanfarm:test1" works). */
int sf_keys_check_prefix(const char *s, sf_error *err);

/* <prefix>:layer:<digest>:<analyzer-set-version> — a layer's inventory. */
int sf_keys_layer(char out[SF_KEY_MAX], const char *prefix, const char *digest, const char *ver,
                  sf_error *err);
/* <prefix>:layer-diffid:<diff_id>:<ver> — diff_id index: holds the digest
 * of the compressed blob whose inventory is stored under sf_keys_layer. */
int sf_keys_layer_diffid(char out[SF_KEY_MAX], const char *prefix, const char *diff_id,
                         const char *ver, sf_error *err);
/* <prefix>:lock:layer:<digest> — the fleet-wide analysis lock. */
int sf_keys_lock_layer(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                       sf_error *err);
/* <prefix>:notice:layer:<digest> — pub/sub channel announcing a stored
 * inventory (message: the layer key). */
int sf_keys_notice_layer(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                         sf_error *err);
/* <prefix>:image:<digest> — last result(s) of an image with its DB version. */
int sf_keys_image(char out[SF_KEY_MAX], const char *prefix, const char *digest, sf_error *err);
/* <prefix>:attempts:<digest>:<run> — how often a job was started. */
int sf_keys_attempts(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                     const char *run_id, sf_error *err);

/* <prefix>:worker:<owner> — a live worker process's heartbeat. owner:
 * [A-Za-z0-9_.-]+ (see part rules). */
int sf_keys_worker(char out[SF_KEY_MAX], const char *prefix, const char *owner, sf_error *err);

#endif
