/*
 * kcons: see kcons.h. librdkafka stays inside this file. Tracking state
 * (partitions -> sf_offtrack, in-flight count, generation) sits under one
 * mutex because done() arrives on producer delivery-report threads while
 * poll() and the rebalance callback run on the consumer thread.
 */
#include "bus/kcons.h"
#include "base/array.h"
#include "base/time.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/log.h"
#include "bus/kconf.h"

/* ---- offset tracker ------------------------------------------------------ */

void sf_offtrack_init(sf_offtrack *t)
{
    memset(t, 0, sizeof *t);
    t->commit = -1;
}

void sf_offtrack_clear(sf_offtrack *t)
{
    free(t->offs);
    free(t->done);
    sf_offtrack_init(t);
}

int sf_offtrack_add(sf_offtrack *t, int64_t off)
{
    if (off < 0 || (t->n > t->head && off <= t->offs[t->n - 1]) || (off < t->commit))
        return SF_EINVAL;
    if (t->head > 0 && t->head == t->n) { /* empty: restart at the front */
        t->head = t->n = 0;
    }
    if (t->n == t->cap) {
        if (t->head > t->cap / 2) { /* compact before growing */
            size_t live = t->n - t->head;
            memmove(t->offs, t->offs + t->head, live * sizeof *t->offs);
            memmove(t->done, t->done + t->head, live);
            t->head = 0;
            t->n = live;
        } else {
            size_t cap = t->cap ? t->cap * 2 : 16;
            int64_t *o = realloc(t->offs, cap * sizeof *o);
            if (!o)
                return SF_ENOMEM;
            t->offs = o;
            unsigned char *d = realloc(t->done, cap);
            if (!d)
                return SF_ENOMEM;
            t->done = d;
            t->cap = cap;
        }
    }
    t->offs[t->n] = off;
    t->done[t->n] = 0;
    t->n++;
    return SF_OK;
}

int sf_offtrack_finish(sf_offtrack *t, int64_t off, int64_t *commit)
{
    /* Binary search: offsets are ascending. */
    size_t lo = t->head, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->offs[mid] < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == t->n || t->offs[lo] != off || t->done[lo])
        return -1;
    t->done[lo] = 1;
    int moved = 0;
    while (t->head < t->n && t->done[t->head]) {
        t->commit = t->offs[t->head] + 1;
        t->head++;
        moved = 1;
    }
    if (moved)
        *commit = t->commit;
    return moved;
}

size_t sf_offtrack_pending(const sf_offtrack *t)
{
    size_t k = 0;
    for (size_t i = t->head; i < t->n; i++)
        k += !t->done[i];
    return k;
}

/* ---- consumer ------------------------------------------------------------ */

typedef struct kpart {
    int32_t partition;
    sf_offtrack tr;
    int64_t committed; /* frontier last sent in a commit (-1 none) */
} kpart;

struct sf_kcons {
    rd_kafka_t *rk;
    char *topic;
    int max_in_flight;
    pthread_mutex_t mu;  /* guards parts, in_flight, gen */
    kpart *parts;
    size_t nparts, capparts;
    int in_flight;
    unsigned gen;        /* bumped on every assignment change */
    int paused;          /* consumer thread only */
    int close_timeout_ms;
    int commit_interval_ms;
    uint64_t next_commit_ms; /* consumer thread only */
};


static kpart *part_find(sf_kcons *c, int32_t p)
{
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].partition == p)
            return &c->parts[i];
    return NULL;
}

static kpart *part_get(sf_kcons *c, int32_t p)
{
    kpart *k = part_find(c, p);
    if (k)
        return k;
    kpart *np = sf_array_grow(c->parts, &c->capparts, c->nparts, sizeof *np, 8, 0);
    if (!np)
        return NULL;
    c->parts = np;
    k = &c->parts[c->nparts++];
    k->partition = p;
    k->committed = -1;
    sf_offtrack_init(&k->tr);
    return k;
}

/* Commit one partition's offset (consumer may be on any thread). */
static void commit_one(sf_kcons *c, int32_t p, int64_t off, int async)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, c->topic, p)->offset = off;
    rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, async);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        SF_WARN("kcons", "offset commit failed|partition=%d offset=%lld error=\"%s\"", (int)p,
                (long long)off, rd_kafka_err2str(e));
    rd_kafka_topic_partition_list_destroy(l);
}

/* Frontiers that moved since they were last sent, of every tracked
 * partition (parts NULL) or of those in parts; NULL when none moved.
 * Marks them sent. Caller holds mu. */
static rd_kafka_topic_partition_list_t *moved_locked(sf_kcons *c,
                                                     const rd_kafka_topic_partition_list_t *parts,
                                                     int all)
{
    rd_kafka_topic_partition_list_t *l = NULL;
    for (size_t i = 0; i < c->nparts; i++) {
        kpart *k = &c->parts[i];
        if (k->tr.commit < 0 || (!all && k->tr.commit == k->committed))
            continue;
        if (parts && !rd_kafka_topic_partition_list_find(parts, c->topic, k->partition))
            continue;
        if (!l && !(l = rd_kafka_topic_partition_list_new((int)c->nparts)))
            return NULL;
        rd_kafka_topic_partition_list_add(l, c->topic, k->partition)->offset = k->tr.commit;
        k->committed = k->tr.commit;
    }
    return l;
}

static void commit_bounded(sf_kcons *c, rd_kafka_topic_partition_list_t *l, uint64_t deadline);

/* Send the moved frontiers in one commit, async; or, before a revoke
 * gives the partitions up, every frontier of parts, waiting for the
 * answer (bounded). The revoke resends even those already sent: an async
 * commit still in flight when the rebalance began fails with the old
 * generation, and its failure may not have been served yet (the soak saw
 * five answered jobs left uncommitted that way). */
static void commit_moved(sf_kcons *c, const rd_kafka_topic_partition_list_t *parts, int wait)
{
    pthread_mutex_lock(&c->mu);
    rd_kafka_topic_partition_list_t *l = moved_locked(c, parts, wait);
    pthread_mutex_unlock(&c->mu);
    if (!l)
        return;
    if (wait) {
        commit_bounded(c, l, sf_time_mono_ms() + (uint64_t)c->close_timeout_ms);
    } else {
        rd_kafka_resp_err_t e = rd_kafka_commit(c->rk, l, 1);
        if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
            SF_WARN("kcons", "offset commit failed|partitions=%d error=\"%s\"", l->cnt,
                    rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* Forget every tracked partition (they are being revoked); messages still
 * out become stale and their done() is ignored. Caller holds mu. */
static void forget_all(sf_kcons *c)
{
    for (size_t i = 0; i < c->nparts; i++) {
        c->in_flight -= (int)sf_offtrack_pending(&c->parts[i].tr);
        sf_offtrack_clear(&c->parts[i].tr);
    }
    if (c->in_flight < 0)
        c->in_flight = 0;
    c->nparts = 0;
    c->gen++;
}

static void set_paused(sf_kcons *c, int pause);

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    sf_kcons *c = opaque;
    int coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        SF_INFO("kcons", "partitions assigned|count=%d", parts->cnt);
        pthread_mutex_lock(&c->mu);
        c->gen++;
        pthread_mutex_unlock(&c->mu);
        if (coop)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        /* librdkafka keeps a partition's pause flag across revoke and
         * re-assign: a partition paused by backpressure before a rebalance
         * would come back paused while our in-flight count was reset, and
         * nothing would ever resume it. Start every assignment resumed;
         * poll() re-applies backpressure to the new set. (The assign
         * above has taken effect: set_paused reads the new assignment.) */
        set_paused(c, 0);
        return;
    }
    /* Revoked (or lost): finished offsets were committed as they finished
     * (batched: the ones not yet sent go now, while they are still ours);
     * anything still out will be redelivered to the next owner. */
    SF_INFO("kcons", "partitions revoked|count=%d lost=%d", parts->cnt,
            rd_kafka_assignment_lost(rk));
    if (c->commit_interval_ms > 0 && !rd_kafka_assignment_lost(rk))
        commit_moved(c, parts, 1);
    pthread_mutex_lock(&c->mu);
    if (coop) {
        for (int i = 0; i < parts->cnt; i++) {
            kpart *k = part_find(c, parts->elems[i].partition);
            if (k) {
                c->in_flight -= (int)sf_offtrack_pending(&k->tr);
                sf_offtrack_clear(&k->tr);
            }
        }
        c->gen++;
    } else {
        forget_all(c);
    }
    pthread_mutex_unlock(&c->mu);
    if (coop)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

/* An async commit failed: forget that its frontier was sent, so the next
 * tick (or the revoke, or close) sends it again. Served by poll(). */
static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                      rd_kafka_topic_partition_list_t *offs, void *opaque)
{
    (void)rk;
    sf_kcons *c = opaque;
    if (e == RD_KAFKA_RESP_ERR__NO_OFFSET || !offs)
        return;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < offs->cnt; i++) {
        rd_kafka_resp_err_t pe = e ? e : offs->elems[i].err;
        if (!pe)
            continue;
        SF_WARN("kcons", "offset commit failed, will resend|partition=%d offset=%lld error=\"%s\"",
                (int)offs->elems[i].partition, (long long)offs->elems[i].offset,
                rd_kafka_err2str(pe));
        kpart *k = part_find(c, offs->elems[i].partition);
        if (k && k->committed == offs->elems[i].offset)
            k->committed = -1;
    }
    pthread_mutex_unlock(&c->mu);
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (level <= 4)
        SF_WARN("kafka", "%s|facility=%s", buf, fac);
    else
        SF_DEBUG("kafka", "%s|facility=%s", buf, fac);
}

static int build_conf(rd_kafka_conf_t *conf, const sf_kcons_opts *o, sf_error *err)
{
    char sess[32], poll[32];
    snprintf(sess, sizeof sess, "%d", o->session_timeout_ms > 0 ? o->session_timeout_ms : 30000);
    snprintf(poll, sizeof poll, "%d",
             o->max_poll_interval_ms > 0 ? o->max_poll_interval_ms : 300000);
    const char *const kv[][2] = {
        {"bootstrap.servers", o->brokers},
        {"group.id", o->group},
        {"client.id", o->client_id ? o->client_id : "scanfarm"},
        {"enable.auto.commit", "false"},
        {"enable.auto.offset.store", "false"},
        {"auto.offset.reset", o->offset_reset ? o->offset_reset : "earliest"},
        {"session.timeout.ms", sess},
        {"max.poll.interval.ms", poll},
        /* Jobs are small; do not prefetch thousands that another worker
         * could take while this one is busy. */
        {"queued.max.messages.kbytes", "1024"},
    };
    int rc = sf_kconf_set_pairs(conf, "kafka consumer", kv, sizeof kv / sizeof kv[0], err);
    for (size_t i = 0; rc == SF_OK && o->extra && o->extra[i]; i++) {
        char kbuf[256];
        const char *eq = strchr(o->extra[i], '=');
        if (!eq || (size_t)(eq - o->extra[i]) >= sizeof kbuf)
            return sf_error_set(err, SF_ECONFIG, "bad kafka property '%.64s'", o->extra[i]);
        memcpy(kbuf, o->extra[i], (size_t)(eq - o->extra[i]));
        kbuf[eq - o->extra[i]] = '\0';
        rc = sf_kconf_set(conf, "kafka consumer", kbuf, eq + 1, err);
    }
    if (rc == SF_OK) /* the user's properties (security, tuning) win */
        rc = sf_kconf_apply_global(conf, "kafka consumer", err);
    return rc;
}

int sf_kcons_new(sf_kcons **out, const sf_kcons_opts *o, sf_error *err)
{
    char es[512];
    int rc = SF_OK;
    *out = NULL;
    if (!o || !o->brokers || !o->group || !o->topic)
        return sf_error_set(err, SF_ECONFIG, "kafka consumer needs brokers, group and topic");
    if ((rc = sf_kconf_preflight(o->brokers, err)) != SF_OK)
        return rc; /* refused credentials: say so now, do not retry forever */
    sf_kcons *c = calloc(1, sizeof *c);
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!c || !conf || !(c->topic = sf_strdup(o->topic))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    pthread_mutex_init(&c->mu, NULL);
    c->max_in_flight = o->max_in_flight > 0 ? o->max_in_flight : 8;
    c->close_timeout_ms = o->close_timeout_ms > 0 ? o->close_timeout_ms : 10000;
    c->commit_interval_ms = o->commit_interval_ms > 0 ? o->commit_interval_ms : 0;
    if ((rc = build_conf(conf, o, err)) != SF_OK)
        goto done;
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_offset_commit_cb(conf, commit_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof es);
    if (!c->rk) {
        rc = sf_error_set(err, SF_EKAFKA, "kafka consumer: %s", es);
        goto done;
    }
    conf = NULL; /* owned by rk now */
    rd_kafka_poll_set_consumer(c->rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(c->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e)
        rc = sf_error_set(err, SF_EKAFKA, "subscribe %s: %s", o->topic, rd_kafka_err2str(e));
done:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rc != SF_OK && c) {
        if (c->rk)
            rd_kafka_destroy(c->rk);
        free(c->topic);
        free(c);
        c = NULL;
    }
    *out = c;
    return rc;
}

/* Pause or resume every assigned partition. Consumer thread. */
static void set_paused(sf_kcons *c, int pause)
{
    rd_kafka_topic_partition_list_t *a = NULL;
    if (rd_kafka_assignment(c->rk, &a) != 0 || !a)
        return;
    if (a->cnt > 0) {
        if (pause)
            rd_kafka_pause_partitions(c->rk, a);
        else
            rd_kafka_resume_partitions(c->rk, a);
    }
    rd_kafka_topic_partition_list_destroy(a);
    c->paused = pause;
    SF_DEBUG("kcons", "%s partitions|in_flight=%d", pause ? "paused" : "resumed",
             sf_kcons_in_flight(c));
}

/* A NUL-terminated copy of all n bytes: values and keys are binary (a
 * poison job may hold NUL bytes), and readers trust len, so a string copy
 * that stops at the first NUL would let them read past it. */
static char *memdup0(const void *p, size_t n)
{
    char *c = malloc(n + 1);
    if (c) {
        if (n)
            memcpy(c, p, n);
        c[n] = '\0';
    }
    return c;
}

static sf_kmsg *copy_msg(const rd_kafka_message_t *rm)
{
    sf_kmsg *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->partition = rm->partition;
    m->offset = rm->offset;
    m->len = rm->payload ? rm->len : 0;
    m->value = memdup0(rm->payload, m->len);
    if (rm->key) {
        m->keylen = rm->key_len;
        m->key = memdup0(rm->key, rm->key_len);
    }
    if (!m->value || (rm->key && !m->key)) {
        free(m->value);
        free(m->key);
        free(m);
        return NULL;
    }
    return m;
}

int sf_kcons_poll(sf_kcons *c, int timeout_ms, sf_kmsg **out, sf_error *err)
{
    *out = NULL;
    /* Hysteresis: in librdkafka 2.x a pause discards the partition's
     * prefetched messages, which are fetched again only after resume, so
     * resume at half the bound, while the local queue still covers that
     * refetch, rather than pausing and resuming on every job. */
    int n = sf_kcons_in_flight(c);
    if (!c->paused && n >= c->max_in_flight)
        set_paused(c, 1);
    else if (c->paused && n <= c->max_in_flight / 2)
        set_paused(c, 0);
    if (c->commit_interval_ms > 0 && sf_time_mono_ms() >= c->next_commit_ms) {
        commit_moved(c, NULL, 0);
        c->next_commit_ms = sf_time_mono_ms() + (uint64_t)c->commit_interval_ms;
    }
    rd_kafka_message_t *rm = rd_kafka_consumer_poll(c->rk, timeout_ms);
    if (!rm)
        return SF_OK;
    int rc = SF_OK;
    if (rm->err) {
        if (rm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            /* nothing: end of partition is not an event for us */
        } else if (rm->err == RD_KAFKA_RESP_ERR__FATAL) {
            rc = sf_error_set(err, SF_EKAFKA, "kafka consumer: %s", rd_kafka_message_errstr(rm));
        } else {
            /* Transient, including a topic that does not exist yet (a
             * worker may start before the coordinator creates it):
             * librdkafka retries and the subscription picks it up. */
            SF_WARN("kcons", "consumer error (retrying)|error=\"%s\"",
                    rd_kafka_message_errstr(rm));
        }
        rd_kafka_message_destroy(rm);
        return rc;
    }
    sf_kmsg *m = copy_msg(rm);
    pthread_mutex_lock(&c->mu);
    kpart *k = m ? part_get(c, rm->partition) : NULL;
    if (k && sf_offtrack_add(&k->tr, rm->offset) == SF_OK) {
        c->in_flight++;
        m->gen = c->gen;
    } else if (m) {
        /* Out-of-order redelivery (a seek) or no memory: hand it out but
         * never let it move the frontier. */
        m->gen = c->gen - 1u;
        SF_WARN("kcons", "message not tracked|partition=%d offset=%lld", (int)rm->partition,
                (long long)rm->offset);
    }
    pthread_mutex_unlock(&c->mu);
    rd_kafka_message_destroy(rm);
    if (!m)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    *out = m;
    return SF_OK;
}

static void msg_free(sf_kmsg *m)
{
    if (!m)
        return;
    free(m->key);
    free(m->value);
    free(m);
}

void sf_kcons_done(sf_kcons *c, sf_kmsg *m)
{
    if (!m)
        return;
    int64_t commit = -1;
    int counted = 0;
    pthread_mutex_lock(&c->mu);
    kpart *k = m->gen == c->gen ? part_find(c, m->partition) : NULL;
    if (k)
        counted = sf_offtrack_finish(&k->tr, m->offset, &commit) >= 0;
    int sync = c->commit_interval_ms == 0;
    pthread_mutex_unlock(&c->mu);
    if (commit >= 0 && sync)
        commit_one(c, m->partition, commit, 1);
    msg_free(m);
    /* Last: once in_flight reaches 0 the owner may close (free) c, so
     * nothing here may touch c after this (ThreadSanitizer found the
     * worker's drain freeing the consumer while a delivery report's
     * done() was still reading it). */
    if (counted) {
        pthread_mutex_lock(&c->mu);
        c->in_flight--;
        pthread_mutex_unlock(&c->mu);
    }
}

void sf_kcons_release(sf_kcons *c, sf_kmsg *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&c->mu);
    if (m->gen == c->gen && part_find(c, m->partition))
        c->in_flight--; /* stays unfinished in the tracker: blocks the frontier */
    pthread_mutex_unlock(&c->mu);
    msg_free(m);
}

int sf_kcons_in_flight(sf_kcons *c)
{
    pthread_mutex_lock(&c->mu);
    int n = c->in_flight;
    pthread_mutex_unlock(&c->mu);
    return n;
}

int64_t sf_kcons_frontier(sf_kcons *c, int32_t partition)
{
    pthread_mutex_lock(&c->mu);
    kpart *k = part_find(c, partition);
    int64_t v = k ? k->tr.commit : -1;
    pthread_mutex_unlock(&c->mu);
    return v;
}

/* Commit l and wait for the answer until deadline. A plain synchronous
 * commit waits as long as librdkafka retries, which with the group
 * coordinator gone is unbounded. */
static void commit_bounded(sf_kcons *c, rd_kafka_topic_partition_list_t *l, uint64_t deadline)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_resp_err_t e = rd_kafka_commit_queue(c->rk, l, q, NULL, NULL);
    rd_kafka_event_t *ev = NULL;
    if (!e) {
        ev = rd_kafka_queue_poll(q, sf_time_left_ms(deadline));
        e = ev ? rd_kafka_event_error(ev) : RD_KAFKA_RESP_ERR__TIMED_OUT;
    }
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
        SF_WARN("kcons", "final commit failed|error=\"%s\"", rd_kafka_err2str(e));
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
}

/* Leave the group (revoking the assignment through rebalance_cb) until
 * deadline; 1 when the consumer closed. rd_kafka_consumer_close() is not
 * used: with the broker down it blocked for good (seen for 12 minutes
 * with librdkafka 2.0), and a worker told to stop during a broker outage
 * must still exit within its grace period. */
static int leave_bounded(sf_kcons *c, uint64_t deadline)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_error_t *er = rd_kafka_consumer_close_queue(c->rk, q);
    if (er) {
        SF_WARN("kcons", "consumer close failed|error=\"%s\"", rd_kafka_error_string(er));
        rd_kafka_error_destroy(er);
    }
    while (!er && !rd_kafka_consumer_closed(c->rk) && sf_time_left_ms(deadline) > 0) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, sf_time_left_ms(deadline) < 100 ? sf_time_left_ms(deadline) : 100);
        if (ev && rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
            rebalance_cb(c->rk, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), c);
        if (ev)
            rd_kafka_event_destroy(ev);
    }
    int closed = rd_kafka_consumer_closed(c->rk);
    rd_kafka_queue_destroy(q);
    return closed;
}

void sf_kcons_close(sf_kcons *c)
{
    if (!c)
        return;
    uint64_t deadline = sf_time_mono_ms() + (uint64_t)c->close_timeout_ms;
    /* Every finished offset was committed (async) as it finished; a final
     * commit flushes those still in flight (or failed, e.g. while the
     * broker was away) to the broker. */
    pthread_mutex_lock(&c->mu);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
        c->nparts > 0 ? (int)c->nparts : 1);
    for (size_t i = 0; i < c->nparts; i++)
        if (c->parts[i].tr.commit >= 0)
            rd_kafka_topic_partition_list_add(l, c->topic, c->parts[i].partition)->offset =
                c->parts[i].tr.commit;
    pthread_mutex_unlock(&c->mu);
    if (l->cnt > 0)
        commit_bounded(c, l, deadline);
    rd_kafka_topic_partition_list_destroy(l);
    if (leave_bounded(c, deadline)) {
        rd_kafka_destroy(c->rk);
    } else {
        /* The group will notice by the session timeout; what was not
         * committed is redelivered. */
        SF_WARN("kcons", "group not left within the close timeout; closing without it|timeout_ms=%d",
                c->close_timeout_ms);
        rd_kafka_destroy_flags(c->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->nparts; i++)
        sf_offtrack_clear(&c->parts[i].tr);
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    free(c->parts);
    free(c->topic);
    free(c);
}
