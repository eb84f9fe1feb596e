/*
 * kafka-topics: make sure topics exist with at least N partitions, in one
 * fast process. deploy/local/stack compiles this once into its cache and
 * uses it instead of Kafka's TopicCommand, which costs a JVM start per
 * topic (seconds each on a busy two-core box); the stack falls back to
 * TopicCommand when no C compiler or librdkafka headers are present.
 *
 *   kafka-topics BOOTSTRAP PARTITIONS TOPIC...
 *
 * A missing topic is created (replication factor 1), one with fewer
 * partitions is grown, one with more is left alone (Kafka cannot shrink).
 * Prints one line per action; exit 0 when every topic is in place.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define TIMEOUT_MS 30000

/* Partition count of topic in md, 0 when absent, -1 on a topic error. */
static int partitions_of(const struct rd_kafka_metadata *md, const char *topic)
{
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, topic) != 0)
            continue;
        if (md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
            return 0;
        if (md->topics[i].err)
            return -1;
        return md->topics[i].partition_cnt;
    }
    return 0;
}

/* Wait for one admin result event on q; print and count per-topic errors. */
static int admin_wait(rd_kafka_queue_t *q, int create)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, TIMEOUT_MS + 5000);
    if (!ev) {
        fprintf(stderr, "kafka-topics: no admin result within %d ms\n", TIMEOUT_MS);
        return 1;
    }
    int bad = 0;
    size_t n = 0;
    const rd_kafka_topic_result_t **res;
    if (rd_kafka_event_error(ev)) {
        fprintf(stderr, "kafka-topics: %s\n", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return 1;
    }
    if (create)
        res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    else
        res = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev),
                                                      &n);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            continue;
        fprintf(stderr, "kafka-topics: %s: %s\n", rd_kafka_topic_result_name(res[i]),
                rd_kafka_topic_result_error_string(res[i]));
        bad++;
    }
    rd_kafka_event_destroy(ev);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: kafka-topics BOOTSTRAP PARTITIONS TOPIC...\n");
        return 2;
    }
    char *end = NULL;
    errno = 0;
    long want = strtol(argv[2], &end, 10);
    if (errno || *end || want < 1 || want > 10000) {
        fprintf(stderr, "kafka-topics: bad partition count '%s'\n", argv[2]);
        return 2;
    }
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "kafka-topics: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return 2;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "kafka-topics: %s\n", err);
        return 1;
    }
    int rc = 1, ntopics = argc - 3, nc = 0, ng = 0;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_NewTopic_t **nt = calloc((size_t)ntopics, sizeof *nt);
    rd_kafka_NewPartitions_t **np = calloc((size_t)ntopics, sizeof *np);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    if (!nt || !np || !q || !opt)
        goto done;
    rd_kafka_AdminOptions_set_operation_timeout(opt, TIMEOUT_MS, err, sizeof err);
    rd_kafka_AdminOptions_set_request_timeout(opt, TIMEOUT_MS, err, sizeof err);
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, TIMEOUT_MS);
    if (e) {
        fprintf(stderr, "kafka-topics: metadata from %s: %s\n", argv[1], rd_kafka_err2str(e));
        goto done;
    }
    for (int i = 0; i < ntopics; i++) {
        const char *t = argv[3 + i];
        int have = partitions_of(md, t);
        if (have < 0) {
            fprintf(stderr, "kafka-topics: %s: topic in error state\n", t);
            goto done;
        }
        if (have == 0) {
            nt[nc] = rd_kafka_NewTopic_new(t, (int)want, 1, err, sizeof err);
            if (!nt[nc]) {
                fprintf(stderr, "kafka-topics: %s: %s\n", t, err);
                goto done;
            }
            nc++;
            printf("creating topic %s (%ld partitions)\n", t, want);
        } else if (have < want) {
            np[ng] = rd_kafka_NewPartitions_new(t, (size_t)want, err, sizeof err);
            if (!np[ng]) {
                fprintf(stderr, "kafka-topics: %s: %s\n", t, err);
                goto done;
            }
            ng++;
            printf("growing topic %s from %d to %ld partitions\n", t, have, want);
        }
    }
    fflush(stdout);
    int bad = 0;
    if (nc) {
        rd_kafka_CreateTopics(rk, nt, (size_t)nc, opt, q);
        bad += admin_wait(q, 1);
    }
    if (ng) {
        rd_kafka_CreatePartitions(rk, np, (size_t)ng, opt, q);
        bad += admin_wait(q, 0);
    }
    rc = bad ? 1 : 0;
done:
    for (int i = 0; i < nc; i++)
        rd_kafka_NewTopic_destroy(nt[i]);
    for (int i = 0; i < ng; i++)
        rd_kafka_NewPartitions_destroy(np[i]);
    free(nt);
    free(np);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (opt)
        rd_kafka_AdminOptions_destroy(opt);
    if (q)
        rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
    return rc;
}
