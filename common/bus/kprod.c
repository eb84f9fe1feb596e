/*
 * kprod: see kprod.h. Delivery accounting is done in the delivery-report
 * callback, which librdkafka runs from rd_kafka_poll/flush on the calling
 * thread; counters are atomics so stats may be read from anywhere.
 */
#include "bus/kprod.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"
#include "base/time.h"
#include "bus/kconf.h"

struct sf_kprod {
    rd_kafka_t *rk;
    sf_kprod_opts o;
    size_t max_bytes;
    uint64_t produced, delivered, failed; /* atomics */
    char last_error[160];                 /* written only by the dr callback */
    pthread_t poller;                     /* with opts.poll_thread */
    int has_poller;
    atomic_int stop_poller;
};

/* Serve delivery reports as they arrive: rd_kafka_poll returns as soon as
 * one is there, so a report waits for no caller's poll cycle. */
static void *poll_main(void *arg)
{
    sf_kprod *p = arg;
    while (!atomic_load(&p->stop_poller))
        rd_kafka_poll(p->rk, 50);
    return NULL;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    sf_kprod *p = opaque;
    /* Too large is told apart: retrying the same bytes cannot succeed. */
    int code = !m->err ? SF_OK
               : m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? SF_ELIMIT
                                                                : SF_EKAFKA;
    if (m->err) {
        uint64_t n = __atomic_add_fetch(&p->failed, 1, __ATOMIC_RELAXED);
        snprintf(p->last_error, sizeof p->last_error, "%s", rd_kafka_err2str(m->err));
        /* One line per failure would flood the log when a topic is gone:
         * log the first few, then every power of two. */
        if (n <= 3 || (n & (n - 1)) == 0)
            SF_WARN("kafka", "delivery failed|topic=%s error=\"%s\" failed_total=%llu",
                    rd_kafka_topic_name(m->rkt), rd_kafka_err2str(m->err),
                    (unsigned long long)n);
    } else {
        __atomic_add_fetch(&p->delivered, 1, __ATOMIC_RELAXED);
    }
    if (p->o.on_delivery)
        p->o.on_delivery(p->o.on_delivery_ctx, m->_private, code,
                         m->err ? rd_kafka_err2str(m->err) : "");
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        SF_ERROR("kafka", "%s|facility=%s", buf, fac);
    else if (level <= 4)
        SF_WARN("kafka", "%s|facility=%s", buf, fac);
    else
        SF_DEBUG("kafka", "%s|facility=%s", buf, fac);
}

int sf_kprod_new(sf_kprod **out, const sf_kprod_opts *opts, sf_error *err)
{
    char es[512];
    int rc = SF_OK;
    *out = NULL;
    if (!opts || !opts->brokers || !*opts->brokers)
        return sf_error_set(err, SF_ECONFIG, "kafka brokers not set");
    if ((rc = sf_kconf_preflight(opts->brokers, err)) != SF_OK)
        return rc; /* refused credentials: say so now, do not retry forever */
    sf_kprod *p = calloc(1, sizeof *p);
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    if (!p || !c) {
        free(p);
        if (c)
            rd_kafka_conf_destroy(c);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    p->o = *opts;
    p->max_bytes = opts->max_message_bytes ? opts->max_message_bytes : SF_LIM_MESSAGE_BYTES;
    char maxb[32], linger[32], dto[32];
    /* message.max.bytes bounds a request; leave room for batch overhead. */
    snprintf(maxb, sizeof maxb, "%zu", p->max_bytes + 65536);
    snprintf(linger, sizeof linger, "%d", opts->linger_ms > 0 ? opts->linger_ms : 5);
    snprintf(dto, sizeof dto, "%ld",
             opts->delivery_timeout_ms > 0 ? opts->delivery_timeout_ms : 120000);
    const char *const kv[][2] = {
        {"bootstrap.servers", opts->brokers},
        {"client.id", opts->client_id ? opts->client_id : "scanfarm"},
        /* Idempotence implies acks=all and in-order, duplicate-free retries. */
        {"enable.idempotence", "true"},
        {"compression.type", "zstd"},
        {"message.max.bytes", maxb},
        {"linger.ms", linger},
        {"delivery.timeout.ms", dto},
    };
    rc = sf_kconf_set_pairs(c, "kafka", kv, sizeof kv / sizeof kv[0], err);
    if (rc == SF_OK) /* the user's properties (security, tuning) win */
        rc = sf_kconf_apply_global(c, "kafka", err);
    if (rc) {
        rd_kafka_conf_destroy(c);
        free(p);
        return rc;
    }
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_conf_set_log_cb(c, log_cb);
    rd_kafka_conf_set_opaque(c, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, es, sizeof es);
    if (!p->rk) {
        rd_kafka_conf_destroy(c);
        free(p);
        return sf_error_set(err, SF_EKAFKA, "kafka producer: %s", es);
    }
    if (opts->poll_thread) {
        if (pthread_create(&p->poller, NULL, poll_main, p) != 0) {
            rd_kafka_destroy(p->rk);
            free(p);
            return sf_error_set(err, SF_EINTERNAL, "cannot start the producer's poll thread");
        }
        p->has_poller = 1;
    }
    *out = p;
    return SF_OK;
}

void sf_kprod_free(sf_kprod *p)
{
    if (!p)
        return;
    if (p->has_poller) {
        atomic_store(&p->stop_poller, 1);
        pthread_join(p->poller, NULL);
    }
    rd_kafka_flush(p->rk, 10000);
    rd_kafka_destroy(p->rk);
    free(p);
}

int sf_kprod_produce(sf_kprod *p, const char *topic, const void *key, size_t klen,
                     const void *value, size_t vlen, void *msg_opaque, sf_error *err)
{
    if (vlen > p->max_bytes)
        return sf_error_set(err, SF_ELIMIT, "message of %zu bytes exceeds the %zu byte limit",
                            vlen, p->max_bytes);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, klen),
            RD_KAFKA_V_VALUE((void *)value, vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(msg_opaque), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            __atomic_add_fetch(&p->produced, 1, __ATOMIC_RELAXED);
            rd_kafka_poll(p->rk, 0);
            return SF_OK;
        }
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* Back-pressure: serve delivery reports until there is room. */
            rd_kafka_poll(p->rk, 100);
            continue;
        }
        if (e == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
            return sf_error_set(err, SF_ELIMIT, "kafka: message too large");
        if (sf_kprod_fatal(p, err) != SF_OK)
            return SF_EKAFKA;
        return sf_error_set(err, SF_EKAFKA, "kafka produce to %s: %s", topic,
                            rd_kafka_err2str(e));
    }
}

void sf_kprod_poll(sf_kprod *p) { rd_kafka_poll(p->rk, 0); }

void sf_kprod_prepare(sf_kprod *p, const char *topic, int timeout_ms)
{
    rd_kafka_topic_t *t = rd_kafka_topic_new(p->rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    if (t && rd_kafka_metadata(p->rk, 0, t, &md, timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR)
        rd_kafka_metadata_destroy(md);
    if (t)
        rd_kafka_topic_destroy(t);
}

int sf_kprod_fatal(sf_kprod *p, sf_error *err)
{
    char fe[256];
    if (!rd_kafka_fatal_error(p->rk, fe, sizeof fe))
        return SF_OK;
    return sf_error_set(err, SF_EKAFKA, "kafka producer fatal error: %s", fe);
}

void sf_kprod_test_fatal(sf_kprod *p)
{
    rd_kafka_test_fatal_error(p->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "test: fatal error raised on purpose");
}

static uint64_t outstanding(sf_kprod *p)
{
    uint64_t prod = __atomic_load_n(&p->produced, __ATOMIC_RELAXED);
    uint64_t done = __atomic_load_n(&p->delivered, __ATOMIC_RELAXED) +
                    __atomic_load_n(&p->failed, __ATOMIC_RELAXED);
    return prod > done ? prod - done : 0;
}

int sf_kprod_flush(sf_kprod *p, long timeout_ms, sf_error *err)
{
    uint64_t t0 = sf_time_mono_ms();
    /* rd_kafka_flush returns once the queue is empty, which includes all
     * delivery reports having been served by this call. Loop in slices so
     * an unbounded wait still logs progress. */
    while (outstanding(p) > 0) {
        long slice = 1000;
        if (timeout_ms >= 0) {
            long el = (long)(sf_time_mono_ms() - t0);
            if (el >= timeout_ms)
                break;
            if (timeout_ms - el < slice)
                slice = timeout_ms - el;
        }
        rd_kafka_flush(p->rk, (int)slice);
        if (sf_kprod_fatal(p, err) != SF_OK)
            return SF_EKAFKA;
        if (outstanding(p) > 0)
            SF_DEBUG("kafka", "waiting for delivery reports|outstanding=%llu",
                     (unsigned long long)outstanding(p));
    }
    uint64_t left = outstanding(p), failed = __atomic_load_n(&p->failed, __ATOMIC_RELAXED);
    if (left)
        return sf_error_set(err, SF_ETIMEOUT, "%llu messages still without delivery report",
                            (unsigned long long)left);
    if (failed)
        return sf_error_set(err, SF_EKAFKA, "%llu messages failed delivery (last: %s)",
                            (unsigned long long)failed, p->last_error);
    return SF_OK;
}

void sf_kprod_stats_get(sf_kprod *p, sf_kprod_stats *out)
{
    out->produced = __atomic_load_n(&p->produced, __ATOMIC_RELAXED);
    out->delivered = __atomic_load_n(&p->delivered, __ATOMIC_RELAXED);
    out->failed = __atomic_load_n(&p->failed, __ATOMIC_RELAXED);
    snprintf(out->last_error, sizeof out->last_error, "%s", p->last_error);
}

int sf_kprod_create_topic(sf_kprod *p, const char *topic, int partitions, int replication,
                          long timeout_ms, sf_error *err)
{
    char es[256];
    int rc = SF_OK;
    rd_kafka_NewTopic_t *nt =
        rd_kafka_NewTopic_new(topic, partitions, replication, es, sizeof es);
    if (!nt)
        return sf_error_set(err, SF_EINVAL, "topic %s: %s", topic, es);
    rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(p->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(ao, (int)timeout_ms, es, sizeof es);
    rd_kafka_CreateTopics(p->rk, &nt, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)timeout_ms + 2000);
    if (!ev) {
        rc = sf_error_set(err, SF_ETIMEOUT, "create topic %s: no answer", topic);
        goto done;
    }
    if (rd_kafka_event_error(ev)) {
        rc = sf_error_set(err, SF_EKAFKA, "create topic %s: %s", topic,
                          rd_kafka_event_error_string(ev));
        goto done;
    }
    size_t n = 0;
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            rc = sf_error_set(err, SF_EKAFKA, "create topic %s: %s", topic,
                              rd_kafka_topic_result_error_string(tr[i]));
    }
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_queue_destroy(q);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

int sf_kprod_delete_topic(sf_kprod *p, const char *topic, long timeout_ms, sf_error *err)
{
    int rc = SF_OK;
    rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
    rd_kafka_queue_t *q = rd_kafka_queue_new(p->rk);
    rd_kafka_DeleteTopics(p->rk, &dt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)timeout_ms);
    if (!ev) {
        rc = sf_error_set(err, SF_ETIMEOUT, "delete topic %s: no answer", topic);
    } else {
        size_t n = 0;
        const rd_kafka_DeleteTopics_result_t *res = rd_kafka_event_DeleteTopics_result(ev);
        const rd_kafka_topic_result_t **tr = res ? rd_kafka_DeleteTopics_result_topics(res, &n)
                                                 : NULL;
        if (rd_kafka_event_error(ev))
            rc = sf_error_set(err, SF_EKAFKA, "delete topic %s: %s", topic,
                              rd_kafka_event_error_string(ev));
        for (size_t i = 0; i < n && !rc; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(tr[i]);
            if (e && e != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                rc = sf_error_set(err, SF_EKAFKA, "delete topic %s: %s", topic,
                                  rd_kafka_topic_result_error_string(tr[i]));
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_DeleteTopic_destroy(dt);
    return rc;
}
