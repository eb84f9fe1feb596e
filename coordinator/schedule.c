/*
 * schedule: see schedule.h. The entry layout read here is the one written by
 * sf_lcache_image_put (common/cache/lcache.c): zstd( {"schema":
 * "scanfarm.image/v1","db_version","analyzer_version","results":[...]} ).
 * A job is skipped only under the exact conditions in which the worker's
 * shortcut (worker/wjob.c try_shortcut) would answer it from the entry:
 * same version string, same analyzer version, at least one result, and
 * (sf_sched_check*) each result naming a digest of this job, which the
 * refs message needs.
 */
#include "schedule.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "fleet/runs.h"
#include "analyze/analyzer.h"
#include "base/buf.h"
#include "base/digest.h"
#include "bus/msg_refs.h"
#include "cache/keys.h"

#define IMAGE_SCHEMA "scanfarm.image/v1"
/* Longest "<db>|<platforms>" string (the worker formats into 512). */
#define SCHED_VERSION_MAX 512

struct sf_sched {
    sf_kv *kv;
    char prefix[SF_KEY_PREFIX_MAX + 1];
    char *db_version;
    char *aver;
    const sf_cmac *mac;
    int trust_unsealed, trust_none;
};

int sf_sched_new(sf_sched **out, const sf_sched_opts *o, sf_error *err)
{
    *out = NULL;
    if (!o || !o->kv)
        return sf_error_set(err, SF_EINVAL, "sched needs a Redis client");
    const char *prefix = o->prefix ? o->prefix : SF_KEY_PREFIX_DEFAULT;
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc != SF_OK)
        return rc;
    sf_sched *s = calloc(1, sizeof *s);
    if (!s)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    s->kv = o->kv;
    s->mac = o->mac;
    s->trust_unsealed = !o->mac && o->unauthenticated;
    s->trust_none = !o->mac && !o->unauthenticated;
    snprintf(s->prefix, sizeof s->prefix, "%s", prefix);
    const char *av = o->analyzer_version ? o->analyzer_version : sf_analyzers_version();
    if ((o->db_version && !(s->db_version = sf_strdup(o->db_version))) ||
        !(s->aver = sf_strdup(av))) {
        sf_sched_free(s);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    *out = s;
    return SF_OK;
}

void sf_sched_free(sf_sched *s)
{
    if (!s)
        return;
    free(s->db_version);
    free(s->aver);
    free(s);
}

const char *sf_sched_verdict_name(sf_sched_verdict v)
{
    switch (v) {
    case SF_SCHED_PUBLISH_ABSENT:
        return "absent";
    case SF_SCHED_PUBLISH_STALE:
        return "stale";
    case SF_SCHED_PUBLISH_ERROR:
        return "error";
    case SF_SCHED_SKIP_CURRENT:
        return "current";
    }
    return "error";
}

int sf_sched_version(char *out, size_t cap, const char *db_version, char *const *platforms,
                     size_t nplatforms)
{
    int n = snprintf(out, cap, "%s|", db_version);
    if (n < 0 || (size_t)n >= cap)
        return SF_ELIMIT;
    size_t o = (size_t)n;
    for (size_t i = 0; i < nplatforms; i++) {
        n = snprintf(out + o, cap - o, "%s%s", i ? "," : "", platforms[i]);
        if (n < 0 || (size_t)n >= cap - o)
            return SF_ELIMIT;
        o += (size_t)n;
    }
    return SF_OK;
}

/* Decompress a zstd frame of known, bounded size into a NUL-terminated
 * malloc'd string. */
static int unzstd(const void *val, size_t len, char **text, size_t *tn, sf_error *err)
{
    unsigned long long raw = ZSTD_getFrameContentSize(val, len);
    if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN ||
        raw > SF_SCHED_MAX_ENTRY * 8ULL)
        return sf_error_set(err, SF_EPARSE, "image entry is not a bounded zstd frame");
    char *t = malloc((size_t)raw + 1);
    if (!t)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    size_t n = ZSTD_decompress(t, (size_t)raw, val, len);
    if (ZSTD_isError(n) || n != raw) {
        free(t);
        return sf_error_set(err, SF_EPARSE, "image entry does not decompress");
    }
    t[n] = '\0';
    *text = t;
    *tn = n;
    return SF_OK;
}

void sf_sched_images_clear(sf_sched_images *im)
{
    if (!im)
        return;
    for (size_t i = 0; i < im->n; i++)
        free(im->v[i]);
    free(im->v);
    im->v = NULL;
    im->n = 0;
}

/* The digest a cached result is about, when it belongs to job_digest
 * (its own digest, or its index's); NULL otherwise. *doc keeps it alive. */
static const char *result_digest(const char *text, const char *job_digest, json_t **doc)
{
    json_error_t je;
    *doc = json_loads(text, 0, &je);
    const char *d = json_string_value(json_object_get(*doc, "digest"));
    const char *ix = json_string_value(json_object_get(*doc, "index_digest"));
    if (!d || sf_digest_validate(d, NULL) != SF_OK)
        return NULL;
    if (job_digest && strcmp(d, job_digest) != 0 && (!ix || strcmp(ix, job_digest) != 0))
        return NULL;
    return d;
}

/* Every result a string (the worker rescans otherwise); with job_digest,
 * each also about that job (collected into images when not NULL). */
static int results_usable(json_t *arr, const char *job_digest, sf_sched_images *images)
{
    size_t i, n = json_array_size(arr);
    json_t *e;
    if (n == 0 || n > SF_REFS_MAX_IMAGES)
        return 0;
    if (images && !(images->v = calloc(n, sizeof *images->v)))
        return 0;
    json_array_foreach(arr, i, e) {
        json_t *doc = NULL;
        if (!json_is_string(e))
            return 0;
        if (!job_digest)
            continue;
        const char *d = result_digest(json_string_value(e), job_digest, &doc);
        int ok = d != NULL;
        if (ok && images) {
            ok = (images->v[images->n] = sf_strdup(d)) != NULL;
            images->n += ok;
        }
        json_decref(doc);
        if (!ok)
            return 0;
    }
    return 1;
}

sf_sched_verdict sf_sched_decide_images(int lookup_rc, int found, const void *val, size_t len,
                                        const char *want_version, const char *analyzer_version,
                                        const char *job_digest, sf_sched_images *images,
                                        sf_error *err)
{
    char *text = NULL;
    size_t tn = 0;
    json_t *doc = NULL, *arr = NULL;
    const char *schema = NULL, *dbv = NULL, *av = NULL;
    sf_sched_verdict v = SF_SCHED_PUBLISH_ERROR;
    if (lookup_rc != SF_OK) {
        if (err && err->code == SF_OK)
            sf_error_set(err, lookup_rc, "image entry lookup failed");
        return SF_SCHED_PUBLISH_ERROR;
    }
    if (!found)
        return SF_SCHED_PUBLISH_ABSENT;
    if (!val || unzstd(val, len, &text, &tn, err) != SF_OK)
        goto done;
    json_error_t je;
    doc = json_loadb(text, tn, JSON_REJECT_DUPLICATES, &je);
    if (!doc || json_unpack(doc, "{s:s,s:s,s:s,s:o}", "schema", &schema, "db_version", &dbv,
                            "analyzer_version", &av, "results", &arr) != 0 ||
        strcmp(schema, IMAGE_SCHEMA) != 0 || !json_is_array(arr)) {
        sf_error_set(err, SF_EPARSE, "malformed image entry");
        goto done;
    }
    v = SF_SCHED_PUBLISH_STALE;
    if (!want_version || !analyzer_version || strcmp(dbv, want_version) != 0 ||
        strcmp(av, analyzer_version) != 0)
        goto done;
    /* The worker answers from the entry only with at least one result,
     * each a string; anything else it would rescan. The refs message
     * needs each result's digest, so one without is a reason to publish. */
    if (results_usable(arr, job_digest, images))
        v = SF_SCHED_SKIP_CURRENT;
done:
    if (v != SF_SCHED_SKIP_CURRENT)
        sf_sched_images_clear(images);
    json_decref(doc);
    free(text);
    return v;
}

sf_sched_verdict sf_sched_decide(int lookup_rc, int found, const void *val, size_t len,
                                 const char *want_version, const char *analyzer_version,
                                 sf_error *err)
{
    return sf_sched_decide_images(lookup_rc, found, val, len, want_version, analyzer_version,
                                  NULL, NULL, err);
}

/* The key and wanted version of a job; SF_OK, or the verdict that needs
 * no lookup in *early. */
static int prepare(sf_sched *s, const char *digest, char *const *platforms, size_t nplatforms,
                   char *key, char *want, sf_sched_verdict *early, sf_error *err)
{
    *early = SF_SCHED_PUBLISH_STALE; /* nothing to compare, or nothing to trust */
    if (!s->db_version || s->trust_none)
        return SF_EINVAL;
    *early = SF_SCHED_PUBLISH_ERROR;
    if (sf_keys_image(key, s->prefix, digest, err) != SF_OK)
        return SF_EINVAL;
    if (sf_sched_version(want, SCHED_VERSION_MAX, s->db_version, platforms, nplatforms) !=
        SF_OK) {
        sf_error_set(err, SF_ELIMIT, "platform list too long for an image entry version");
        return SF_EINVAL;
    }
    return SF_OK;
}

/* The verdict on a GET's outcome (rc, found, the entry in v) for the job
 * of digest: the MAC first, then sf_sched_decide_images. */
static sf_sched_verdict judge(sf_sched *s, const char *digest, const char *key, const char *want,
                              int rc, int found, const sf_buf *v, sf_sched_images *images,
                              sf_error *err)
{
    const void *pl = v->data;
    size_t pn = v->len;
    if (rc == SF_OK && found && s->trust_unsealed)
        sf_cmac_strip(v->data, v->len, &pl, &pn);
    else if (rc == SF_OK && found &&
             sf_cmac_open(s->mac, key, s->aver, v->data, v->len, &pl, &pn) != SF_OK) {
        /* Not sealed by a worker of this farm: publish (the worker, which
         * trusts it no more, scans and rewrites it). */
        sf_error_set(err, SF_EAUTH, "image entry of %s has no valid MAC", digest);
        return SF_SCHED_PUBLISH_ERROR;
    }
    return sf_sched_decide_images(rc, found, pl, pn, want, s->aver, digest, images, err);
}

sf_sched_verdict sf_sched_check_images(sf_sched *s, const char *digest, char *const *platforms,
                                       size_t nplatforms, sf_sched_images *images,
                                       sf_error *err)
{
    char key[SF_KEY_MAX], want[SCHED_VERSION_MAX];
    sf_error local = SF_ERROR_INIT;
    sf_sched_verdict early;
    sf_buf v;
    int found = 0;
    if (images)
        images->v = NULL, images->n = 0;
    if (!err)
        err = &local;
    if (prepare(s, digest, platforms, nplatforms, key, want, &early, err) != SF_OK)
        return early;
    sf_buf_init(&v, SF_SCHED_MAX_ENTRY);
    /* Shard key = the digest, as the worker's cache writes it. */
    int rc = sf_kv_get(s->kv, digest, key, &v, &found, err);
    sf_sched_verdict verdict = judge(s, digest, key, want, rc, found, &v, images, err);
    sf_buf_free(&v);
    return verdict;
}

_Static_assert(SF_SCHED_BATCH <= SF_KV_GET_MANY_MAX, "one batch is one kv exchange");

/* Per-job state of one sf_sched_check_many batch. */
typedef struct many_slot {
    char key[SF_KEY_MAX], want[SCHED_VERSION_MAX];
    sf_buf v;
} many_slot;

/* it[0..n), n <= SF_SCHED_BATCH: one sf_kv_get_many for those that need
 * a lookup. */
static void check_batch(sf_sched *s, sf_sched_item *it, size_t n, many_slot *sl,
                        sf_kv_getreq *rq)
{
    size_t k = 0, ix[SF_SCHED_BATCH];
    for (size_t i = 0; i < n; i++) {
        sf_sched_verdict early;
        it[i].images.v = NULL, it[i].images.n = 0;
        sf_error_clear(&it[i].err);
        if (prepare(s, it[i].digest, it[i].platforms, it[i].nplatforms, sl[k].key, sl[k].want,
                    &early, &it[i].err) != SF_OK) {
            it[i].verdict = early;
            continue;
        }
        sf_buf_init(&sl[k].v, SF_SCHED_MAX_ENTRY);
        rq[k] = (sf_kv_getreq){.shard_key = it[i].digest, .key = sl[k].key, .out = &sl[k].v,
                               .err = &it[i].err};
        ix[k++] = i;
    }
    /* Each request keeps its own outcome: a failed one publishes alone. */
    (void)sf_kv_get_many(s->kv, rq, k, NULL);
    for (size_t m = 0; m < k; m++) {
        sf_sched_item *x = &it[ix[m]];
        x->verdict = judge(s, x->digest, sl[m].key, sl[m].want, rq[m].rc, rq[m].found, &sl[m].v,
                           &x->images, &x->err);
        sf_buf_free(&sl[m].v);
    }
}

void sf_sched_check_many(sf_sched *s, sf_sched_item *it, size_t n)
{
    many_slot *sl = n ? calloc(n < SF_SCHED_BATCH ? n : SF_SCHED_BATCH, sizeof *sl) : NULL;
    sf_kv_getreq *rq = n ? calloc(n < SF_SCHED_BATCH ? n : SF_SCHED_BATCH, sizeof *rq) : NULL;
    for (size_t i = 0; i < n; i += SF_SCHED_BATCH) {
        size_t m = n - i < SF_SCHED_BATCH ? n - i : SF_SCHED_BATCH;
        if (!sl || !rq) { /* no memory for a batch: one at a time */
            for (size_t j = i; j < i + m; j++)
                it[j].verdict = sf_sched_check_images(s, it[j].digest, it[j].platforms,
                                                      it[j].nplatforms, &it[j].images,
                                                      &it[j].err);
            continue;
        }
        check_batch(s, it + i, m, sl, rq);
    }
    free(sl);
    free(rq);
}

sf_sched_verdict sf_sched_check(sf_sched *s, const char *digest, char *const *platforms,
                                size_t nplatforms, sf_error *err)
{
    return sf_sched_check_images(s, digest, platforms, nplatforms, NULL, err);
}

const char *sf_sched_db_version(const sf_sched *s) { return s ? s->db_version : NULL; }

int sf_sched_record_published(sf_sched *s, const char *run_id, long long n, sf_error *err)
{
    return sf_agg_set_published(s->kv, s->prefix, run_id, n, err);
}
