/*
 * lcache: see lcache.h for the protocol. This file holds the singleflight
 * state machine (get -> lock -> analyse/store or wait/take over), the lock
 * renewer thread, and the whole-image shortcut entries.
 *
 * Failure policy: every Redis error downgrades to "uncached" for this one
 * call and is counted; nothing here retries Redis in a loop, because kv
 * already backs off a failed node and a scan must not wait on its cache.
 */
#include "cache/lcache.h"

#include "base/json_skim.h"
#include "base/time.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "base/array.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/limits.h"
#include "base/thread.h"
#include "cache/keys.h"

/* A lock this process holds, registered with the renewer while the
 * analysis runs. Lives on the stack of the get() call that holds it. */
typedef struct held_lock {
    char key[SF_KEY_MAX];
    const char *shard;      /* the layer digest */
    const char *owner;
    int lost;               /* renewer found it owned by someone else */
    struct held_lock *next;
} held_lock;

struct sf_lcache {
    sf_kv *kv;
    char prefix[SF_KEY_PREFIX_MAX + 1];
    char *aver;
    sf_lcache_encode_fn encode;
    sf_lcache_decode_fn decode;
    long long ttl_ms, lock_ttl_ms, wait_max_ms;
    long poll_min_ms, poll_max_ms;
    size_t max_value;
    const sf_cmac *mac;     /* NULL: unauthenticated (unauth) or cache off (disabled) */
    int unauth, disabled;
    char owner_tag[200];
    atomic_ullong seq;

    pthread_mutex_t mu;     /* guards held, stop */
    pthread_cond_t cv;
    held_lock *held;
    int stop;
    pthread_t renewer;
    int renewer_started;

    struct {
        atomic_ullong hits, misses, waits, uncached, analyses, analysis_errors, takeovers,
            lost_locks, redis_errors, corrupt, stored_bytes, mac_failures;
    } st;
    sf_mfam *m_mac;
    sf_mfam *m_lookups, *m_analyses, *m_takeovers, *m_errors, *m_wait, *m_stored, *m_analyse_s;
};

static void redis_error(sf_lcache *lc, const char *op, const char *digest, const sf_error *e)
{
    atomic_fetch_add(&lc->st.redis_errors, 1);
    sf_metric_inc(lc->m_errors, op);
    SF_WARN("cache", "redis unavailable, layer goes uncached|op=%s layer=%s error=\"%s\"", op,
            digest, e->msg);
}

/* ---- renewer ---------------------------------------------------------- */

static void *renewer_main(void *arg)
{
    sf_lcache *lc = arg;
    long long period = lc->lock_ttl_ms / 3 > 0 ? lc->lock_ttl_ms / 3 : 1;
    pthread_mutex_lock(&lc->mu);
    while (!lc->stop) {
        struct timespec until = sf_time_deadline((long)period);
        pthread_cond_timedwait(&lc->cv, &lc->mu, &until);
        if (lc->stop)
            break;
        /* The list is walked under the mutex: a holder unregistering waits
         * at most one command timeout per lock, and no entry can vanish
         * mid-renewal. */
        for (held_lock *h = lc->held; h; h = h->next) {
            if (h->lost)
                continue;
            sf_error e = SF_ERROR_INIT;
            int kept = 0;
            if (sf_kv_renew_if(lc->kv, h->shard, h->key, h->owner, lc->lock_ttl_ms, &kept, &e) !=
                SF_OK) {
                /* Keep trying: the lock may survive a short Redis blip. */
                redis_error(lc, "renew", h->shard, &e);
            } else if (!kept) {
                h->lost = 1;
                atomic_fetch_add(&lc->st.lost_locks, 1);
                SF_WARN("cache", "layer lock lost while analysing|layer=%s", h->shard);
            }
        }
    }
    pthread_mutex_unlock(&lc->mu);
    return NULL;
}

static void hold(sf_lcache *lc, held_lock *h)
{
    pthread_mutex_lock(&lc->mu);
    h->next = lc->held;
    lc->held = h;
    pthread_mutex_unlock(&lc->mu);
}

static void unhold(sf_lcache *lc, held_lock *h)
{
    pthread_mutex_lock(&lc->mu);
    for (held_lock **pp = &lc->held; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    pthread_mutex_unlock(&lc->mu);
}

/* ---- life cycle ------------------------------------------------------- */

static void init_metrics(sf_lcache *lc, sf_metrics *m)
{
    lc->m_lookups = sf_metrics_counter(m, "scanfarm_cache_layer_lookups_total",
                                       "Layer cache lookups by outcome (hit, miss, wait, uncached)",
                                       "result");
    lc->m_analyses = sf_metrics_counter(m, "scanfarm_layers_analysed_total",
                                        "Layer analyses run by this process", "outcome");
    lc->m_takeovers = sf_metrics_counter(m, "scanfarm_cache_lock_takeovers_total",
                                         "Layer locks won after another holder's lock lapsed",
                                         NULL);
    lc->m_errors = sf_metrics_counter(m, "scanfarm_cache_errors_total",
                                      "Failed Redis operations of the layer cache", "op");
    lc->m_wait = sf_metrics_histogram(m, "scanfarm_cache_wait_seconds",
                                      "Time spent waiting for another worker's analysis", NULL,
                                      NULL, 0);
    lc->m_stored = sf_metrics_counter(m, "scanfarm_cache_stored_bytes_total",
                                      "Encoded inventory bytes written to Redis", NULL);
    lc->m_analyse_s = sf_metrics_histogram(m, "scanfarm_layer_analysis_seconds",
                                           "Duration of one layer analysis", NULL, NULL, 0);
    lc->m_mac = sf_metrics_counter(m, "scanfarm_cache_mac_failures_total",
                                   "Cached values ignored for a missing or bad MAC "
                                   "(layer, pair, index, image)",
                                   "kind");
}

/* What the cache may trust: sealed values (a secret), anything
 * (unauthenticated, asked for), or nothing (no secret: cache off). */
static void init_trust(sf_lcache *lc, const sf_lcache_opts *o)
{
    lc->mac = o->mac;
    lc->unauth = !o->mac && o->unauthenticated;
    lc->disabled = !o->mac && !o->unauthenticated;
    if (lc->disabled)
        SF_WARN("cache", "no cache secret: the layer cache is off and every layer is analysed "
                "(set a cache secret, or allow unauthenticated cache values explicitly)|");
    else if (lc->unauth)
        SF_WARN("cache", "cache values are not authenticated: whoever can write Redis decides "
                "what is reported|");
}

int sf_lcache_new(sf_lcache **out, const sf_lcache_opts *o, sf_error *err)
{
    int rc = SF_OK;
    sf_lcache *lc = NULL;
    *out = NULL;
    if (!o || !o->kv || !o->encode || !o->decode || !o->analyzer_version)
        return sf_error_set(err, SF_EINVAL, "layer cache needs kv, codec and analyzer version");
    const char *prefix = o->prefix ? o->prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_check_prefix(prefix, err)) != SF_OK)
        return rc;
    char probe[SF_KEY_MAX];
    if ((rc = sf_keys_layer(probe, prefix, "sha256:" "0000000000000000000000000000000000000000"
                                                     "000000000000000000000000",
                            o->analyzer_version, err)) != SF_OK)
        return rc;
    lc = calloc(1, sizeof *lc);
    if (!lc)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    pthread_mutex_init(&lc->mu, NULL);
    pthread_cond_init(&lc->cv, NULL);
    lc->kv = o->kv;
    snprintf(lc->prefix, sizeof lc->prefix, "%s", prefix);
    lc->encode = o->encode;
    lc->decode = o->decode;
    lc->ttl_ms = o->ttl_ms > 0 ? o->ttl_ms : 7LL * 24 * 3600 * 1000;
    lc->lock_ttl_ms = o->lock_ttl_ms > 0 ? o->lock_ttl_ms : 30000;
    lc->wait_max_ms = o->wait_max_ms > 0 ? o->wait_max_ms : 30LL * 60 * 1000;
    lc->poll_min_ms = o->poll_min_ms > 0 ? o->poll_min_ms : 25;
    lc->poll_max_ms = o->poll_max_ms > 0 ? o->poll_max_ms : 500;
    if (lc->poll_max_ms < lc->poll_min_ms)
        lc->poll_max_ms = lc->poll_min_ms;
    lc->max_value = o->max_value_bytes > 0 ? o->max_value_bytes : (64u << 20);
    if (o->owner_tag) {
        snprintf(lc->owner_tag, sizeof lc->owner_tag, "%s", o->owner_tag);
    } else {
        char host[128] = "host";
        gethostname(host, sizeof host - 1);
        host[sizeof host - 1] = '\0';
        snprintf(lc->owner_tag, sizeof lc->owner_tag, "%s:%ld", host, (long)getpid());
    }
    lc->aver = sf_strdup(o->analyzer_version);
    if (!lc->aver) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    init_metrics(lc, o->metrics ? o->metrics : sf_metrics_default());
    init_trust(lc, o);
    if (pthread_create(&lc->renewer, NULL, renewer_main, lc) != 0) {
        rc = sf_error_set(err, SF_EINTERNAL, "cannot start the lock renewer thread");
        goto done;
    }
    lc->renewer_started = 1;
done:
    if (rc != SF_OK) {
        sf_lcache_free(lc);
        lc = NULL;
    }
    *out = lc;
    return rc;
}

void sf_lcache_free(sf_lcache *lc)
{
    if (!lc)
        return;
    if (lc->renewer_started)
        sf_thread_stop(lc->renewer, &lc->mu, &lc->cv, &lc->stop);
    pthread_mutex_destroy(&lc->mu);
    pthread_cond_destroy(&lc->cv);
    free(lc->aver);
    free(lc);
}

void sf_lcache_get_stats(sf_lcache *lc, sf_lcache_stats *s)
{
    s->hits = atomic_load(&lc->st.hits);
    s->misses = atomic_load(&lc->st.misses);
    s->waits = atomic_load(&lc->st.waits);
    s->uncached = atomic_load(&lc->st.uncached);
    s->analyses = atomic_load(&lc->st.analyses);
    s->analysis_errors = atomic_load(&lc->st.analysis_errors);
    s->takeovers = atomic_load(&lc->st.takeovers);
    s->lost_locks = atomic_load(&lc->st.lost_locks);
    s->redis_errors = atomic_load(&lc->st.redis_errors);
    s->corrupt = atomic_load(&lc->st.corrupt);
    s->stored_bytes = atomic_load(&lc->st.stored_bytes);
    s->mac_failures = atomic_load(&lc->st.mac_failures);
}

/* ---- lookup ----------------------------------------------------------- */

/* Kinds of sealed values, as bits of a get()'s MAC failures. */
enum { MK_LAYER = 1, MK_PAIR = 2, MK_INDEX = 4, MK_IMAGE = 8 };
static const char *const mk_names[] = {"layer", "pair", "index", "image"};

/* Count each kind of MAC failure of one get() once, and say so. */
static void count_mac(sf_lcache *lc, unsigned bad, const char *digest)
{
    for (unsigned k = 0; k < 4; k++) {
        if (!(bad & (1u << k)))
            continue;
        atomic_fetch_add(&lc->st.mac_failures, 1);
        sf_metric_inc(lc->m_mac, mk_names[k]);
        SF_WARN("cache", "cached value has a missing or bad MAC: ignored, analysed "
                "again|kind=%s layer=%s", mk_names[k], digest);
    }
}

/*
 * GET key and check its seal: *ok = 1 with *pl, *pn (borrowed from v) when
 * the value exists and may be trusted; a value that fails its MAC sets
 * kind in *bad. Oversized values are a miss. SF_OK or SF_EREDIS.
 */
static int get_sealed(sf_lcache *lc, const char *shard, const char *key, const char *ver,
                      sf_buf *v, const void **pl, size_t *pn, int *ok, unsigned kind,
                      unsigned *bad, sf_error *err)
{
    int found = 0;
    *ok = 0;
    sf_buf_reset(v);
    int rc = sf_kv_get(lc->kv, shard, key, v, &found, err);
    if (rc == SF_ELIMIT) {
        sf_error_clear(err);
        return SF_OK;
    }
    if (rc != SF_OK || !found)
        return rc;
    if (!lc->mac)
        sf_cmac_strip(v->data, v->len, pl, pn);
    else if (sf_cmac_open(lc->mac, key, ver, v->data, v->len, pl, pn) != SF_OK) {
        *bad |= kind;
        return SF_OK;
    }
    *ok = 1;
    return SF_OK;
}

/* SET key to data, sealed for key and ver when the cache has a secret. */
static int put_sealed(sf_lcache *lc, const char *shard, const char *key, const char *ver,
                      const void *data, size_t len, sf_error *err)
{
    if (!lc->mac)
        return sf_kv_set(lc->kv, shard, key, data, len, lc->ttl_ms, err);
    sf_buf v;
    sf_buf_init(&v, 0);
    int rc = sf_cmac_seal(lc->mac, key, ver, data, len, &v);
    if (rc != SF_OK)
        rc = sf_error_set(err, rc, "cannot seal a cache value");
    else
        rc = sf_kv_set(lc->kv, shard, key, v.data, v.len, lc->ttl_ms, err);
    sf_buf_free(&v);
    return rc;
}

/* Decode a trusted value; a value that does not decode (truncated, other
 * format) is dropped so the next holder rewrites it. */
static int decode_value(sf_lcache *lc, const char *digest, const char *key, const void *data,
                        size_t len, sf_inventory **out)
{
    sf_error e = SF_ERROR_INIT;
    if (lc->decode(out, data, len, &e) == SF_OK && *out)
        return 1;
    *out = NULL;
    atomic_fetch_add(&lc->st.corrupt, 1);
    SF_WARN("cache", "cached inventory does not decode, dropping it|layer=%s error=\"%s\"", digest,
            e.msg);
    sf_error e2 = SF_ERROR_INIT;
    sf_kv_del(lc->kv, digest, key, &e2);
    return 0;
}

/* 1 when the n bytes at p are exactly the string s. */
static int same_str(const void *p, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(p, s, n) == 0;
}

/*
 * The inventory stored under the other blob of the same content, reached
 * through the diff_id index — only when this fleet verified digest ->
 * diff_id itself (a sealed layer-verified pair). SF_OK or SF_EREDIS.
 */
static int lookup_alias(sf_lcache *lc, const char *digest, const char *diff_id, sf_buf *v,
                        sf_inventory **out, unsigned *bad, sf_error *err)
{
    char pkey[SF_KEY_MAX], ikey[SF_KEY_MAX], key[SF_KEY_MAX], other[SF_DIGEST_MAX];
    const void *pl = NULL;
    size_t pn = 0;
    int ok = 0, rc;
    sf_error ie = SF_ERROR_INIT;
    if (sf_keys_layer_verified(pkey, lc->prefix, digest, &ie) != SF_OK ||
        sf_keys_layer_diffid(ikey, lc->prefix, diff_id, lc->aver, &ie) != SF_OK)
        return SF_OK; /* an unusable diff_id only disables the index */
    /* A blob whose digest is the diff_id is the uncompressed tar itself:
     * fetching it would verify exactly that, so the pair holds already. */
    if (strcmp(digest, diff_id) != 0) {
        rc = get_sealed(lc, digest, pkey, NULL, v, &pl, &pn, &ok, MK_PAIR, bad, err);
        if (rc != SF_OK || !ok || !same_str(pl, pn, diff_id))
            return rc; /* a claimed diff_id is never enough */
    }
    rc = get_sealed(lc, diff_id, ikey, lc->aver, v, &pl, &pn, &ok, MK_INDEX, bad, err);
    if (rc != SF_OK || !ok || pn >= sizeof other)
        return rc;
    memcpy(other, pl, pn);
    other[pn] = '\0';
    if (strcmp(other, digest) == 0 || sf_keys_layer(key, lc->prefix, other, lc->aver, &ie) != SF_OK)
        return SF_OK;
    rc = get_sealed(lc, other, key, lc->aver, v, &pl, &pn, &ok, MK_LAYER, bad, err);
    if (rc == SF_OK && ok)
        decode_value(lc, other, key, pl, pn, out);
    return rc;
}

/*
 * Look the layer up by the digest it is fetched by, then (verified pairs
 * only) through the diff_id index. SF_OK with *out set (hit) or NULL
 * (miss); SF_EREDIS when Redis failed. MAC failures go to *bad.
 */
static int lookup(sf_lcache *lc, const char *digest, const char *diff_id, sf_inventory **out,
                  unsigned *bad, sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_buf v;
    const void *pl = NULL;
    size_t pn = 0;
    int ok = 0, rc;
    *out = NULL;
    sf_buf_init(&v, lc->max_value);
    if ((rc = sf_keys_layer(key, lc->prefix, digest, lc->aver, err)) != SF_OK)
        goto done;
    rc = get_sealed(lc, digest, key, lc->aver, &v, &pl, &pn, &ok, MK_LAYER, bad, err);
    if (rc != SF_OK || (ok && decode_value(lc, digest, key, pl, pn, out)) || !diff_id)
        goto done;
    rc = lookup_alias(lc, digest, diff_id, &v, out, bad, err);
done:
    sf_buf_free(&v);
    return rc;
}

/* ---- analyse and store -------------------------------------------------- */

static double secs_since(uint64_t t0) { return (double)(sf_time_mono_ms() - t0) / 1000.0; }

/* Run the analysis with no cache involvement. */
static int analyse(sf_lcache *lc, const char *digest, sf_layer_analyze_fn analyze, void *actx,
                   sf_inventory **out, sf_error *err)
{
    uint64_t t0 = sf_time_mono_ms();
    atomic_fetch_add(&lc->st.analyses, 1);
    int rc = analyze(actx, out, err);
    int failed = rc != SF_OK || !*out || (*out)->error_code != SF_OK;
    if (rc == SF_OK && !*out)
        rc = sf_error_set(err, SF_EINTERNAL, "analysis returned no inventory");
    if (failed)
        atomic_fetch_add(&lc->st.analysis_errors, 1);
    sf_metric_inc(lc->m_analyses, failed ? "error" : "ok");
    sf_metric_observe(lc->m_analyse_s, NULL, secs_since(t0));
    SF_DEBUG("cache", "layer analysed|layer=%s ok=%d ms=%llu", digest, !failed,
             (unsigned long long)(sf_time_mono_ms() - t0));
    return rc;
}

/* After a successful analysis (which verified the blob against diff_id):
 * record the verified pair and point the diff_id index at this blob. */
static void store_pair(sf_lcache *lc, const char *digest, const char *diff_id)
{
    char pkey[SF_KEY_MAX], ikey[SF_KEY_MAX];
    sf_error ie = SF_ERROR_INIT;
    if (!diff_id || strcmp(diff_id, digest) == 0 ||
        sf_keys_layer_verified(pkey, lc->prefix, digest, &ie) != SF_OK ||
        sf_keys_layer_diffid(ikey, lc->prefix, diff_id, lc->aver, &ie) != SF_OK)
        return;
    if (put_sealed(lc, digest, pkey, NULL, diff_id, strlen(diff_id), &ie) != SF_OK ||
        put_sealed(lc, diff_id, ikey, lc->aver, digest, strlen(digest), &ie) != SF_OK)
        redis_error(lc, "index", digest, &ie);
}

/* Store inv under the layer key, the verified pair and the diff_id
 * index, then announce it. SF_OK or SF_EREDIS. */
static int store(sf_lcache *lc, const char *digest, const char *diff_id, const sf_inventory *inv,
                 sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_buf v;
    int rc;
    sf_buf_init(&v, lc->max_value > SF_CMAC_OVERHEAD ? lc->max_value - SF_CMAC_OVERHEAD : 1);
    if ((rc = sf_keys_layer(key, lc->prefix, digest, lc->aver, err)) != SF_OK)
        goto done;
    if ((rc = lc->encode(inv, &v)) != SF_OK) {
        /* Too big or unencodable: not a Redis fault; just do not cache. */
        SF_WARN("cache", "inventory not cached: cannot encode|layer=%s error=%s", digest,
                sf_err_name(rc));
        rc = SF_OK;
        goto done;
    }
    if ((rc = put_sealed(lc, digest, key, lc->aver, v.data, v.len, err)) != SF_OK)
        goto done;
    atomic_fetch_add(&lc->st.stored_bytes, v.len);
    sf_metric_add(lc->m_stored, NULL, (double)v.len);
    store_pair(lc, digest, diff_id);
    char chan[SF_KEY_MAX];
    sf_error ie = SF_ERROR_INIT;
    if (sf_keys_notice_layer(chan, lc->prefix, digest, &ie) == SF_OK &&
        sf_kv_publish(lc->kv, digest, chan, key, NULL, &ie) != SF_OK)
        redis_error(lc, "publish", digest, &ie);
done:
    sf_buf_free(&v);
    return rc;
}

/* We hold the lock: analyse with the renewer extending it, store a good
 * inventory, release the lock if still ours. */
static int holder_path(sf_lcache *lc, const char *digest, const char *diff_id,
                       const char *lockkey, const char *owner, sf_layer_analyze_fn analyze,
                       void *actx, sf_inventory **out, const char **state, sf_error *err)
{
    held_lock h = {.shard = digest, .owner = owner};
    snprintf(h.key, sizeof h.key, "%s", lockkey);
    hold(lc, &h);
    int rc = analyse(lc, digest, analyze, actx, out, err);
    unhold(lc, &h);
    *state = "miss";
    sf_error se = SF_ERROR_INIT;
    if (rc == SF_OK && (*out)->error_code == SF_OK) {
        if (store(lc, digest, diff_id, *out, &se) != SF_OK) {
            redis_error(lc, "store", digest, &se);
            *state = "uncached";
        }
    }
    int deleted = 0;
    sf_error_clear(&se);
    if (sf_kv_del_if(lc->kv, digest, lockkey, owner, &deleted, &se) != SF_OK)
        redis_error(lc, "release", digest, &se); /* the lock's TTL frees it */
    return rc;
}

static int uncached_path(sf_lcache *lc, const char *digest, sf_layer_analyze_fn analyze,
                         void *actx, sf_inventory **out, const char **state, sf_error *err)
{
    *state = "uncached";
    return analyse(lc, digest, analyze, actx, out, err);
}

/* Backoff with +-25% jitter so waiters on one layer do not poll in step. */
static long jittered(long ms)
{
    unsigned r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (unsigned)sf_time_mono_ms();
    long j = ms / 4;
    return j > 0 ? ms - j + (long)(r % (unsigned)(2 * j + 1)) : ms;
}

int sf_lcache_get(sf_lcache *lc, const char *digest, const char *diff_id,
                  sf_layer_analyze_fn analyze, void *actx, sf_inventory **out,
                  const char **cache_state, sf_error *err)
{
    char lockkey[SF_KEY_MAX], owner[256];
    sf_error re = SF_ERROR_INIT;
    const char *state = "uncached";
    int rc, waited = 0;
    unsigned bad = 0;
    uint64_t t0 = sf_time_mono_ms();
    *out = NULL;
    if ((rc = sf_keys_lock_layer(lockkey, lc->prefix, digest, err)) != SF_OK)
        goto done; /* not a valid digest: nothing to analyse */
    if (lc->disabled) {
        rc = uncached_path(lc, digest, analyze, actx, out, &state, err);
        goto done;
    }
    if (diff_id && sf_digest_validate(diff_id, &re) != SF_OK) {
        diff_id = NULL;
        sf_error_clear(&re);
    }
    snprintf(owner, sizeof owner, "%s:%llu", lc->owner_tag,
             (unsigned long long)atomic_fetch_add(&lc->seq, 1));
    if (lookup(lc, digest, diff_id, out, &bad, &re) != SF_OK)
        goto redis_down;
    if (*out) {
        state = "hit";
        goto done;
    }
    for (long poll = lc->poll_min_ms;; poll = poll * 2 > lc->poll_max_ms ? lc->poll_max_ms
                                                                           : poll * 2) {
        int acquired = 0;
        if (sf_kv_set_nx(lc->kv, digest, lockkey, owner, lc->lock_ttl_ms, &acquired, &re) !=
            SF_OK)
            goto redis_down;
        if (acquired) {
            /* Someone may have stored it between our lookup and the lock. */
            if (lookup(lc, digest, diff_id, out, &bad, &re) == SF_OK && *out) {
                int d = 0;
                sf_kv_del_if(lc->kv, digest, lockkey, owner, &d, &re);
                state = waited ? "wait" : "hit";
                goto done;
            }
            sf_error_clear(&re);
            if (waited) {
                atomic_fetch_add(&lc->st.takeovers, 1);
                sf_metric_inc(lc->m_takeovers, NULL);
                SF_INFO("cache", "took over an expired layer lock|layer=%s", digest);
            }
            rc = holder_path(lc, digest, diff_id, lockkey, owner, analyze, actx, out, &state,
                             err);
            goto done;
        }
        if (sf_time_mono_ms() - t0 > (uint64_t)lc->wait_max_ms) {
            SF_WARN("cache", "gave up waiting for another worker's analysis|layer=%s wait_ms=%lld",
                    digest, lc->wait_max_ms);
            rc = uncached_path(lc, digest, analyze, actx, out, &state, err);
            goto done;
        }
        waited = 1;
        sf_time_sleep_ms(jittered(poll), NULL);
        if (lookup(lc, digest, diff_id, out, &bad, &re) != SF_OK)
            goto redis_down;
        if (*out) {
            state = "wait";
            goto done;
        }
    }
redis_down:
    redis_error(lc, "get", digest, &re);
    rc = uncached_path(lc, digest, analyze, actx, out, &state, err);
done:
    count_mac(lc, bad, digest);
    if (waited)
        sf_metric_observe(lc->m_wait, NULL, secs_since(t0));
    if (strcmp(state, "hit") == 0)
        atomic_fetch_add(&lc->st.hits, 1);
    else if (strcmp(state, "miss") == 0)
        atomic_fetch_add(&lc->st.misses, 1);
    else if (strcmp(state, "wait") == 0)
        atomic_fetch_add(&lc->st.waits, 1);
    else
        atomic_fetch_add(&lc->st.uncached, 1);
    sf_metric_inc(lc->m_lookups, state);
    *cache_state = state;
    return rc;
}

static int memo_get(void *ctx, const char *digest, const char *diff_id,
                    sf_layer_analyze_fn analyze, void *actx, sf_inventory **out,
                    const char **cache_state, sf_error *err)
{
    return sf_lcache_get(ctx, digest, diff_id, analyze, actx, out, cache_state, err);
}

sf_layer_memo sf_lcache_memo(sf_lcache *lc)
{
    sf_layer_memo m = {lc, memo_get};
    return m;
}

/* ---- whole-image shortcut ------------------------------------------------ */

/* Value: zstd( {"schema":"scanfarm.image/v1","db_version","analyzer_version",
 * "results":["<result json>", ...]} ). Results stay strings: the cache
 * never interprets them, and the worker re-stamps run id and refs. */
#define IMAGE_SCHEMA "scanfarm.image/v1"
/* Results one entry may hold: one per platform manifest of an index. */
#define IMAGE_RESULTS_MAX (SF_LIM_INDEX_MANIFESTS + 1)

int sf_lcache_image_put(sf_lcache *lc, const char *digest, const char *db_version,
                        const char *const *results, size_t n, sf_error *err)
{
    char key[SF_KEY_MAX];
    int rc;
    char *text = NULL;
    void *z = NULL;
    json_t *arr = NULL, *doc = NULL;
    if ((rc = sf_keys_image(key, lc->prefix, digest, err)) != SF_OK)
        return rc;
    if (lc->disabled)
        return SF_OK; /* no secret: nothing is cached */
    if (!db_version)
        return sf_error_set(err, SF_EINVAL, "image entry needs a DB version");
    arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(results[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    doc = arr ? json_pack("{s:s,s:s,s:s,s:o}", "schema", IMAGE_SCHEMA, "db_version", db_version,
                          "analyzer_version", lc->aver, "results", arr)
              : NULL;
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    if (!text) {
        rc = sf_error_set(err, SF_ENOMEM, "cannot encode image entry");
        goto done;
    }
    size_t len = strlen(text), zcap = ZSTD_compressBound(len);
    z = malloc(zcap);
    size_t zn = z ? ZSTD_compress(z, zcap, text, len, 3) : 0;
    if (!z || ZSTD_isError(zn)) {
        rc = sf_error_set(err, SF_ENOMEM, "cannot compress image entry");
        goto done;
    }
    if (zn > lc->max_value) {
        rc = sf_error_set(err, SF_ELIMIT, "image entry of %zu bytes over the cache limit", zn);
        goto done;
    }
    rc = put_sealed(lc, digest, key, lc->aver, z, zn, err);
    if (rc != SF_OK)
        atomic_fetch_add(&lc->st.redis_errors, 1);
done:
    free(z);
    free(text);
    json_decref(doc);
    return rc;
}

void sf_lcache_results_free(char **results, size_t n) { sf_strarr_free(results, n); }

/* The string member key of the entry's members m[0..n), decoded into
 * *out; SF_EPARSE when absent, repeated or not a string. */
static int image_str(const char *text, const sf_jskim_member *m, size_t n, const char *key,
                     char **out)
{
    int at = sf_jskim_find(text, m, n, key);
    if (at < 0)
        return SF_EPARSE;
    return sf_jskim_string(text + m[at].val_off, m[at].val_len, out, NULL, NULL);
}

/* Parse a decompressed image entry; *found stays 0 when it is for another
 * DB or analyzer version. Skimmed, not a jansson tree: building one to copy
 * the long result strings out was most of a warm job's CPU (issue 17). */
static int image_parse(sf_lcache *lc, const char *text, size_t len, const char *db_version,
                       char ***results, size_t *n, int *found, sf_error *err)
{
    sf_jskim_member m[8], *el = NULL;
    size_t nm = 0, cnt = 0;
    char *schema = NULL, *dbv = NULL, *av = NULL, **r = NULL;
    int rc = SF_OK, ra = -1;
    if (sf_jskim_object(text, len, m, sizeof m / sizeof m[0], &nm, NULL) != SF_OK ||
        image_str(text, m, nm, "schema", &schema) != SF_OK || strcmp(schema, IMAGE_SCHEMA) != 0 ||
        image_str(text, m, nm, "db_version", &dbv) != SF_OK ||
        image_str(text, m, nm, "analyzer_version", &av) != SF_OK ||
        (ra = sf_jskim_find(text, m, nm, "results")) < 0 || text[m[ra].val_off] != '[') {
        rc = sf_error_set(err, SF_EPARSE, "malformed image cache entry");
        goto done;
    }
    if (strcmp(dbv, db_version) != 0 || strcmp(av, lc->aver) != 0)
        goto done;
    /* one result per platform manifest of an index, at most */
    if (!(el = malloc(IMAGE_RESULTS_MAX * sizeof *el))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if (sf_jskim_array(text + m[ra].val_off, m[ra].val_len, el, IMAGE_RESULTS_MAX, &cnt, NULL) !=
        SF_OK) {
        rc = sf_error_set(err, SF_EPARSE, "bad image cache entry");
        goto done;
    }
    if (!(r = calloc(cnt ? cnt : 1, sizeof *r)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; r && i < cnt; i++) {
        const char *v = text + m[ra].val_off + el[i].val_off;
        int src = v[0] == '"' ? sf_jskim_string(v, el[i].val_len, &r[i], NULL, NULL) : SF_EPARSE;
        if (src != SF_OK) {
            sf_lcache_results_free(r, cnt);
            r = NULL;
            rc = sf_error_set(err, src, "bad result in image cache entry");
            goto done;
        }
    }
    if (r) {
        *results = r;
        *n = cnt;
        *found = 1;
    }
done:
    free(el);
    free(schema);
    free(dbv);
    free(av);
    return rc;
}

int sf_lcache_image_get(sf_lcache *lc, const char *digest, const char *db_version,
                        char ***results, size_t *n, int *found, sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_buf v;
    char *text = NULL;
    const void *pl = NULL;
    size_t pn = 0;
    unsigned bad = 0;
    int rc, have = 0;
    *results = NULL;
    *n = 0;
    *found = 0;
    sf_buf_init(&v, lc->max_value);
    if ((rc = sf_keys_image(key, lc->prefix, digest, err)) != SF_OK)
        goto done;
    if (lc->disabled)
        goto done; /* no secret: nothing cached is trusted */
    rc = get_sealed(lc, digest, key, lc->aver, &v, &pl, &pn, &have, MK_IMAGE, &bad, err);
    count_mac(lc, bad, digest);
    if (rc != SF_OK || !have) {
        if (rc == SF_EREDIS)
            atomic_fetch_add(&lc->st.redis_errors, 1);
        goto done;
    }
    unsigned long long raw = ZSTD_getFrameContentSize(pl, pn);
    if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN ||
        raw > SF_LIM_MESSAGE_BYTES * 8) {
        rc = sf_error_set(err, SF_EPARSE, "bad image cache entry");
        goto done;
    }
    text = malloc((size_t)raw + 1);
    size_t tn = text ? ZSTD_decompress(text, (size_t)raw, pl, pn) : 0;
    if (!text || ZSTD_isError(tn) || tn != raw) {
        rc = sf_error_set(err, text ? SF_EPARSE : SF_ENOMEM, "bad image cache entry");
        goto done;
    }
    text[tn] = '\0';
    rc = image_parse(lc, text, tn, db_version, results, n, found, err);
done:
    free(text);
    sf_buf_free(&v);
    return rc;
}
