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
/* <prefix>:layer-verified:<digest> — the diff_id this worker fleet itself
 * computed for the blob <digest> (a verified pair, never a claimed one).
 * No analyzer version: it is a fact about the blob's bytes. */
int sf_keys_layer_verified(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                           sf_error *err);
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


/* ==== Running-image keys (owner: common/fleet/running.c, scanfarm-inventory) ====
 * Read and written with the aggregator's shard key (sf_keys_agg_shard), so
 * queries join them with the fleet view on one node.
 *   <prefix>:running:clusters        SET of cluster names with an inventory
 *   <prefix>:running:pods:<cluster>  HASH "<namespace>/<pod>" -> the pod's
 *                                    running containers (JSON, running.h)
 * A cluster name follows the version/run-id part rules (no ':' or space). */

/* <prefix>:running:clusters. */
int sf_keys_running_clusters(char out[SF_KEY_MAX], const char *prefix, sf_error *err);
/* <prefix>:running:pods:<cluster>. */
int sf_keys_running_pods(char out[SF_KEY_MAX], const char *prefix, const char *cluster,
                         sf_error *err);
/* SF_OK when s may name a cluster in a key. */
int sf_keys_check_cluster(const char *s, sf_error *err);

/* ==== Notifier keys (owner: aggregator/notify/notify*.c) ====
 *   <prefix>:notify:sent:<sink>:<id>   STRING  a notification <id> (hex)
 *                                              was acknowledged by <sink>
 *   <prefix>:notify:issue:<sink>:<id>  STRING  the GitHub issue number of
 *                                              image x advisory <id>
 * Sharded by the key itself. sink: [A-Za-z0-9_.-]+ (part rules). */
int sf_keys_notify(char out[SF_KEY_MAX], const char *prefix, const char *kind, const char *sink,
                   const char *id, sf_error *err);

/* ==== Aggregator keys (owner: aggregator/agg.c; keep this section last) ====
 *
 * The fleet view lives on ONE Redis node: the node that owns the shard key
 * sf_keys_agg_shard() ("<prefix>:agg"), because its updates are guarded
 * multi-key scripts. Everything below (including the run counter the
 * coordinator writes) must be read and written with that shard key.
 *
 *   <prefix>:run:<run>:published   STRING  jobs the coordinator published
 *                                          for run <run> (it SETs the final
 *                                          count, or INCRBYs as it goes)
 *   <prefix>:agg:<name>            fleet-wide structures, see agg.h
 *   <prefix>:agg:cve:<id>          SET of digests whose latest result has <id>
 *   <prefix>:agg:pkg:<name>        SET of "eco\x1fversion\x1fdigest"
 *   <prefix>:agg:src:<name>        SET of "eco\x1fversion\x1fdigest\x1fbinary name"
 *                                  (packages whose source package is <name>)
 *   <prefix>:agg:run:<run>:<what>  run progress (jobs, images, progress)
 *
 * CVE ids and package names are untrusted: bytes outside
 * [A-Za-z0-9._+~@-] are percent-encoded, so ':' cannot forge structure.
 */

/* "<prefix>:agg" — the shard key of every aggregator key. */
int sf_keys_agg_shard(char out[SF_KEY_MAX], const char *prefix, sf_error *err);
/* <prefix>:run:<run_id>:published — set by the coordinator. */
int sf_keys_run_published(char out[SF_KEY_MAX], const char *prefix, const char *run_id,
                          sf_error *err);
/* <prefix>:agg:<name>, name one of a fixed set of [a-z] words. */
int sf_keys_agg(char out[SF_KEY_MAX], const char *prefix, const char *name, sf_error *err);
/* <prefix>:agg:cve:<escaped id>. */
int sf_keys_agg_cve(char out[SF_KEY_MAX], const char *prefix, const char *id, sf_error *err);
/* <prefix>:agg:index:<digest>: the platform images of a multi-arch index. */
int sf_keys_agg_index(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                      sf_error *err);
/* <prefix>:agg:pkg:<escaped name>. */
int sf_keys_agg_pkg(char out[SF_KEY_MAX], const char *prefix, const char *name, sf_error *err);
/* "<prefix>:agg:src:<source name>" (escaped like package names). */
int sf_keys_agg_src(char out[SF_KEY_MAX], const char *prefix, const char *name, sf_error *err);
/* <prefix>:agg:ix:<kind> (value NULL) or <prefix>:agg:ix:<kind>:<escaped
 * value>: the API's index structures (coordinator/agg_index.c). */
int sf_keys_agg_ix(char out[SF_KEY_MAX], const char *prefix, const char *kind, const char *value,
                   sf_error *err);
/* <prefix>:agg:run:<run_id>:<what>. */
int sf_keys_agg_run(char out[SF_KEY_MAX], const char *prefix, const char *run_id,
                    const char *what, sf_error *err);

#endif
