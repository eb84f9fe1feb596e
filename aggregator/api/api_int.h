/* api_int: what the api_*.c files share (not for other modules). */
#ifndef SF_API_INT_H
#define SF_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "api.h"
#include "base/json.h"
#include "cache/keys.h"

struct sf_api {
    sf_kv *kv;
    char prefix[SF_KEY_PREFIX_MAX + 1];
    char shard[SF_KEY_MAX];
    char *tokens[SF_API_MAX_TOKENS];
    size_t ntokens;
    char cors[256];
    char web_root[4096]; /* realpath, "" none */
    int max_page;
    atomic_ulong seq;    /* temporary key names */
    pthread_mutex_t run_mu; /* running-images cache (api_running.c) */
    struct api_running *running;
};

/* A request in progress: the answer and what went wrong. */
typedef struct api_call {
    sf_api *a;
    const sf_api_req *req;
    sf_api_resp *resp;
} api_call;

/* Error answer: {"error":{status,code,message,parameter}}. Returns -1. */
int api_fail(api_call *c, int status, const char *param, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 503 from a Redis failure. */
int api_redis_fail(api_call *c, const sf_error *e);
/* Serialise o, built with b, as the 200 body (steals o); a 500 instead
 * when b counted a failure (o would miss members) or o does not fit. */
void api_ok(api_call *c, sf_jb *b, json_t *o);

/* Log that n stored items of the answer being built were corrupt (text
 * that is not UTF-8, a summary that is not JSON) and left out of it. */
void api_skipped(api_call *c, size_t n, const char *what);

/* Run a command on the aggregator's shard. */
/* Build the name-search sets of a view written before they existed
 * (api_backfill.c); run once at start. */
int api_backfill_names(sf_api *a, sf_error *err);
int api_cmd(sf_api *a, int argc, const char **argv, sf_kv_reply **out, sf_error *err);
/* HGET hash field: a malloc'd copy (*len its length, may be NULL) or NULL
 * when absent; runs only while *rc is SF_OK and sets it on failure. */
char *api_hget(sf_api *a, const char *hash, const char *field, size_t *len, sf_error *e,
               int *rc);
/* Index key ("ix:<kind>[:<value>]"); SF_EINVAL when value is unkeyable. */
int api_ix(sf_api *a, char out[SF_KEY_MAX], const char *kind, const char *value);
/* A fresh temporary key name. */
void api_tmp(sf_api *a, char out[SF_KEY_MAX]);

/* Route handlers (return 0 answered). */
int api_images(api_call *c, const char *must_key, int must_is_zset);
int api_image_get(api_call *c, const char *image, int what);
int api_vulns(api_call *c);
int api_vuln_get(api_call *c, const char *id, int images);
int api_pkgs(api_call *c);
int api_pkg_get(api_call *c, const char *eco, const char *name, int images);
int api_rollup(api_call *c, int repos, const char *one);
int api_runs(api_call *c, const char *one);
int api_history(api_call *c);
int api_summary(api_call *c);
int api_static(api_call *c);

/* Running images (api_running.c): tmp SET of running image digests,
 * or of ids / packages carried by running images (what: 0 images,
 * 1 vulnerabilities, 2 packages), into key. *known = 0 when no inventory. */
int api_running_key(api_call *c, int what, char key[SF_KEY_MAX], int *known);
/* 1 when image digest runs (cached snapshot). */
int api_running_has(api_call *c, const char *digest, const char *index_digest,
                    const char *platform);
void api_running_free(sf_api *a);

#endif
