/* rematch_int: state shared by rematch.c (walk), rematch_pub.c
 * (inventories and publishing) and rematch_doc.c (what is published). */
#ifndef SF_REMATCH_INT_H
#define SF_REMATCH_INT_H

#include <jansson.h>

#include "bus/msg_result.h"
#include "cache/keys.h"
#include "fleet/rematch.h"

/* Parsed inventories of representative images kept at once; images of
 * one base share most packages, so a small cache gets most hits. */
#define RM_INV_CACHE 64

typedef struct rm_img {
    sf_agg_view *v;       /* latest view */
    sf_agg_vuln *add;     /* findings the new DB adds */
    size_t nadd;
    sf_agg_vuln *rem;     /* findings it no longer reports */
    size_t nrem;
} rm_img;

typedef struct rm_inv {
    char *digest;
    sf_result r;          /* the stored result, decoded (packages, OS) */
    char **ecos;          /* per package: the ecosystem it is indexed under */
} rm_inv;

typedef struct rm_ctx {
    const sf_rematch_opts *o;
    sf_rematch_stats *st;
    const char *prefix;
    char shard[SF_KEY_MAX], k_views[SF_KEY_MAX], k_results[SF_KEY_MAX];
    char k_pkgnames[SF_KEY_MAX], k_dbcurrent[SF_KEY_MAX];
    rm_img *imgs;         /* sorted by digest */
    size_t nimgs, capimgs;
    rm_inv inv[RM_INV_CACHE];
    size_t ninv, next_evict;
    struct sf_running *running; /* running view: the deltas' "running" (rm_publish) */
} rm_ctx;

rm_img *rm_find(rm_ctx *c, const char *digest);
/* The package (eco, name, version) and OS facts of image digest, from its
 * stored result (borrowed, valid until the next call). *pkg = NULL when
 * the image or package is not found. */
int rm_inventory(rm_ctx *c, const char *digest, const char *eco, const char *name,
                 const char *version, const sf_pkg **pkg, const sf_osinfo **os, sf_error *err);
/* rematch_doc.c. The stored result doc (taken: freed on failure) with
 * im's removed findings dropped and its added ones appended, the summary
 * recounted, run_id, db_version and rematched_from set and the finish
 * time now; NULL when doc is not an object or out of memory. */
json_t *rm_result_doc(json_t *doc, const rm_img *im, const char *run_id, const char *db_version,
                      const char *now);
/* The scanfarm.findings/v1 delta of im; NULL when out of memory. */
json_t *rm_delta_doc(const rm_img *im, const char *run_id, const char *db_version,
                     const char *now, int running);
/* Publish deltas and updated results of affected images; mark the rest
 * current; flush. */
int rm_publish(rm_ctx *c, sf_error *err);
void rm_ctx_free(rm_ctx *c);

#endif
