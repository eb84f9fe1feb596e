/*
 * sf_kcons's batched commits when the broker refuses one: the refused
 * frontier must be sent again, not taken as committed. Before this was
 * handled, an async commit that failed (seen in the soak: a commit in
 * flight when a rebalance began) left answered jobs uncommitted until the
 * consumer closed, and a crash in between redelivered them all.
 *
 * Runs on librdkafka's in-process mock cluster (no broker needed: the
 * refusal is injected with rd_kafka_mock_push_request_errors, which a real
 * broker cannot be made to do on cue). The committed offset is read back
 * by a second client of the same group, before the consumer closes (close
 * commits every frontier anyway and would hide the bug).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "base/time.h"
#include "bus/kcons.h"

#define TOPIC "kc-commit"
#define GROUP "kc-commit-group"
#define NMSGS 3

/* OffsetCommit's API key in the Kafka protocol. */
#define API_OFFSET_COMMIT 8

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, const char *group)
{
    char es[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (brokers)
        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, es, sizeof es),
                         RD_KAFKA_CONF_OK);
    if (group)
        assert_int_equal(rd_kafka_conf_set(conf, "group.id", group, es, sizeof es),
                         RD_KAFKA_CONF_OK);
    rd_kafka_t *rk = rd_kafka_new(type, conf, es, sizeof es);
    assert_non_null(rk);
    return rk;
}

/* The group's committed offset of partition 0, as the broker has it. */
static int64_t committed(const char *brokers)
{
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, brokers, GROUP);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, TOPIC, 0);
    assert_int_equal(rd_kafka_committed(rk, l, 5000), RD_KAFKA_RESP_ERR_NO_ERROR);
    int64_t off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off;
}

static void test_kcons_commit__refused_commit_is_resent(void **state)
{
    (void)state;
    rd_kafka_t *owner = client(RD_KAFKA_PRODUCER, NULL, NULL);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(owner, 1);
    assert_non_null(mc);
    const char *brokers = rd_kafka_mock_cluster_bootstraps(mc);
    assert_int_equal(rd_kafka_mock_topic_create(mc, TOPIC, 1, 1), RD_KAFKA_RESP_ERR_NO_ERROR);

    rd_kafka_t *prod = client(RD_KAFKA_PRODUCER, brokers, NULL);
    for (int i = 0; i < NMSGS; i++)
        assert_int_equal(rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(TOPIC),
                                           RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_VALUE((void *)"job", 3), RD_KAFKA_V_END),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(rd_kafka_flush(prod, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);

    sf_kcons_opts o = {.brokers = brokers, .group = GROUP, .topic = TOPIC,
                       .max_in_flight = 100, .session_timeout_ms = 6000,
                       .commit_interval_ms = 100, .close_timeout_ms = 3000};
    sf_kcons *c = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_kcons_new(&c, &o, &e), SF_OK);

    sf_kmsg *ms[NMSGS] = {0};
    int got = 0;
    uint64_t deadline = sf_time_mono_ms() + 20000;
    while (got < NMSGS && sf_time_mono_ms() < deadline) {
        assert_int_equal(sf_kcons_poll(c, 100, &ms[got], &e), SF_OK);
        got += ms[got] != NULL;
    }
    assert_int_equal(got, NMSGS);

    /* The next OffsetCommit is refused with a permanent error (librdkafka
     * does not retry it itself); then all three are finished at once. */
    rd_kafka_mock_push_request_errors(mc, API_OFFSET_COMMIT, 1,
                                      RD_KAFKA_RESP_ERR_OFFSET_METADATA_TOO_LARGE);
    for (int i = 0; i < NMSGS; i++)
        sf_kcons_done(c, ms[i]);

    /* Keep polling (the commit ticks and their answers are served there)
     * until the broker holds the frontier, or give up after 10 s. */
    int64_t off = -1;
    deadline = sf_time_mono_ms() + 10000;
    while (sf_time_mono_ms() < deadline) {
        sf_kmsg *m = NULL;
        assert_int_equal(sf_kcons_poll(c, 100, &m, &e), SF_OK);
        assert_null(m);
        if ((off = committed(brokers)) == NMSGS)
            break;
    }
    assert_int_equal(off, NMSGS);

    sf_kcons_close(c);
    rd_kafka_destroy(prod);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(owner);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kcons_commit__refused_commit_is_resent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
