/*
 * running: which image digests run where, kept in Redis by
 * scanfarm-inventory and read by `scanfarm query`, `scanfarm report` and
 * the rematch's finding deltas (keys in cache/keys.h, "Running-image
 * keys", on the aggregator's shard).
 *
 * One hash per cluster, one field per pod ("<namespace>/<pod>"), whose
 * value lists the pod's containers that run a known digest:
 *   {"uid":"…","node":"…","platform":"linux/amd64",
 *    "owner":{"kind":"Deployment","name":"payments"},
 *    "containers":[{"name":"app","kind":"container","image":"nginx:1.25",
 *                   "repo":"docker.io/library/nginx","digest":"sha256:…",
 *                   "since":1764682620000}]}
 * A pod is one field, so adding, changing and removing it is one HSET or
 * HDEL: a crash cannot leave half a pod, and a restart that relists and
 * rewrites every pod neither forgets nor duplicates one (the field is the
 * identity); fields of pods the relist no longer returns are deleted.
 *
 * Thread safety: functions take a shared sf_kv; sf_running is caller-owned.
 */
#ifndef SF_RUNNING_H
#define SF_RUNNING_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "cache/kv.h"
#include "kube/kube_pod.h"

/* One running container. */
typedef struct sf_running_ent {
    char *cluster;
    char *ns;
    char *pod;
    char *container;
    char *kind;       /* "container", "init" or "ephemeral" */
    char *image;      /* as written in the pod spec */
    char *repo;       /* normalised repository (may be NULL) */
    char *digest;     /* manifest digest running */
    char *owner_kind; /* workload: Deployment, StatefulSet, ... or NULL (bare pod) */
    char *owner_name;
    char *node;
    char *platform;   /* the node's "os/arch", NULL unknown */
    long long since_ms;
} sf_running_ent;

/* A snapshot of entries, sorted by digest (sf_running_load). */
typedef struct sf_running {
    sf_running_ent *v;
    size_t n, cap;
} sf_running;

/* Name of a container kind as stored. */
const char *sf_running_kind_name(sf_kpod_ckind k);

/*
 * The stored value of pod p with its resolved workload owner (NULL or
 * kind NULL = p's own controller reference, or none) into out.
 * SF_ENOTFOUND when nothing of p runs a known digest (finished pod, no
 * image pulled yet): the pod's field must go.
 */
int sf_running_pod_value(const sf_kpod *p, const sf_kpod_owner *owner, sf_buf *out,
                         sf_error *err);

/* "<ns>/<pod>" into out. */
int sf_running_field(char *out, size_t outlen, const char *ns, const char *pod);

/* HSET n fields of cluster's hash in one command (and record the cluster). */
int sf_running_put(sf_kv *kv, const char *prefix, const char *cluster, const char *const *fields,
                   const char *const *values, size_t n, sf_error *err);
/* HDEL n fields. */
int sf_running_del(sf_kv *kv, const char *prefix, const char *cluster, const char *const *fields,
                   size_t n, sf_error *err);
/* HKEYS of cluster's hash into *out (caller frees). */
int sf_running_fields(sf_kv *kv, const char *prefix, const char *cluster, sf_kv_reply **out,
                      sf_error *err);

/* Every entry of cluster (NULL = every cluster) into out, sorted by
 * digest. Malformed stored values are skipped. */
int sf_running_load(sf_kv *kv, const char *prefix, const char *cluster, sf_running *out,
                    sf_error *err);
/* Parse one stored value of cluster/field into r (appending). */
int sf_running_parse(sf_running *r, const char *cluster, const char *field, const char *json,
                     size_t len, sf_error *err);
/* Sort r by digest (sf_running_load does it). */
void sf_running_sort(sf_running *r);
void sf_running_clear(sf_running *r);

/* Entries running digest: *first receives the index of the first one;
 * returns how many (0 = not running). r must be sorted. */
size_t sf_running_find(const sf_running *r, const char *digest, size_t *first);

/* Entries running an image of the fleet view: its own digest, or the
 * index it is a platform image of (index_digest may be NULL) on a node of
 * the image's platform ("linux/arm64/v8" runs on a linux/arm64 node; an
 * unknown platform on either side matches). */
size_t sf_running_count_image(const sf_running *r, const char *digest, const char *index_digest,
                              const char *platform);

/*
 * "3 pods in prod/payments" for digest (and index_digest): pods, then
 * each namespace/workload (up to 3, then ", …"); "" when not running.
 */
int sf_running_summary(const sf_running *r, const char *digest, const char *index_digest,
                       const char *platform, sf_buf *out);
/* 1 when entry e runs the image: e's digest is digest, or is index_digest
 * and e's node platform fits platform (see sf_running_count_image). */
int sf_running_ent_runs(const sf_running_ent *e, const char *digest, const char *index_digest,
                        const char *platform);

#endif
