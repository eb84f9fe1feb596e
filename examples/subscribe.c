/*
 * subscribe: follow scanfarm.results and print one line per result.
 *
 * A self-contained example of consuming the farm's output with plain
 * librdkafka and jansson (it does not use scanfarm's own libraries):
 *
 *   scanfarm-subscribe [-b BROKERS] [-t TOPIC] [-g GROUP] [-n COUNT] [-e] [-X KEY=VALUE]
 *                      [--help] [--version]
 *
 *   -b  bootstrap brokers (default 127.0.0.1:9092)
 *   -t  topic (default scanfarm.results; scanfarm.findings for deltas)
 *   -g  consumer group; without it, a throw-away group reads from the start
 *   -n  exit after COUNT messages printed
 *   -e  exit at the end of every partition
 *   -X  any librdkafka property, as kcat's -X (repeatable), e.g.
 *       -X security.protocol=sasl_ssl -X sasl.mechanism=SCRAM-SHA-512; the
 *       environment's SCANFARM_KAFKA_PROP_<KEY> (<KEY> uppercased, '.' ->
 *       '_') are applied first, as for every scanfarm program; pass a
 *       password by the environment, not -X (the process list shows it)
 *
 * Output, tab-separated, one line per message:
 *   scanfarm.result/v1:   digest  run_id  db_version  first-ref  critical  high  medium  low  error
 *   scanfarm.findings/v1: digest  run_id  db_version  first-ref  +ADDED  -REMOVED  ids
 *                         (ids: "+CVE-1,+CVE-2,-CVE-3", the added then the removed)
 * The message values are JSON documents (schemas in docs/results-schema.md);
 * the key is the image manifest digest.
 */
#include <ctype.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* The example stays independent of scanfarm's libraries; it takes only
 * the build's generated version header, for --version. */
#include "sf_version.h"

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static const char *str(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s && *s ? s : dflt;
}

static const char *first_ref(json_t *doc)
{
    const char *r = json_string_value(json_array_get(json_object_get(doc, "refs"), 0));
    return r ? r : "-";
}

/* A scanfarm.findings/v1 delta: counts, then the ids added and removed. */
static void print_findings(json_t *doc)
{
    json_t *add = json_object_get(doc, "added"), *rem = json_object_get(doc, "removed"), *v;
    size_t i;
    printf("%s\t%s\t%s\t%s\t+%zu\t-%zu\t", str(doc, "digest", "?"), str(doc, "run_id", "-"),
           str(doc, "db_version", "-"), first_ref(doc), json_array_size(add),
           json_array_size(rem));
    int first = 1;
    json_array_foreach(add, i, v) {
        printf("%s+%s", first ? "" : ",", str(v, "id", "?"));
        first = 0;
    }
    json_array_foreach(rem, i, v) {
        printf("%s-%s", first ? "" : ",", str(v, "id", "?"));
        first = 0;
    }
    printf("%s\n", first ? "-" : "");
    fflush(stdout);
}

/* One line for one result or findings document; malformed input is
 * reported, not fatal. Returns 1 when a line was printed. */
static int print_result(const char *buf, size_t len)
{
    json_error_t je;
    json_t *doc = json_loadb(buf, len, 0, &je);
    /* The results topic also carries scanfarm.refs/v1 (the refs of an image
     * whose result is unchanged, see docs/results-schema.md): not a result. */
    if (json_is_object(doc) && strcmp(str(doc, "schema", ""), "scanfarm.refs/v1") == 0) {
        json_decref(doc);
        return 0;
    }
    if (json_is_object(doc) && strcmp(str(doc, "schema", ""), "scanfarm.findings/v1") == 0) {
        print_findings(doc);
        json_decref(doc);
        return 1;
    }
    if (!json_is_object(doc) || strcmp(str(doc, "schema", ""), "scanfarm.result/v1") != 0) {
        fprintf(stderr, "skipping a message that is neither scanfarm.result/v1 nor "
                        "scanfarm.findings/v1\n");
        json_decref(doc);
        return 0;
    }
    long sev[4] = {0};
    static const char *const names[4] = {"CRITICAL", "HIGH", "MEDIUM", "LOW"};
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v) {
        for (int s = 0; s < 4; s++)
            if (strcasecmp(str(v, "severity", ""), names[s]) == 0)
                sev[s]++;
    }
    json_t *err = json_object_get(doc, "error");
    const char *ekind = json_is_object(err) ? str(err, "code", str(err, "kind", "error"))
                        : json_is_string(err) ? json_string_value(err) : "-";
    printf("%s\t%s\t%s\t%s\t%ld\t%ld\t%ld\t%ld\t%s\n", str(doc, "digest", "?"),
           str(doc, "run_id", "-"), str(doc, "db_version", "-"), first_ref(doc), sev[0], sev[1],
           sev[2], sev[3], ekind);
    fflush(stdout);
    json_decref(doc);
    return 1;
}

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [-b BROKERS] [-t TOPIC] [-g GROUP] [-n COUNT] [-e] [-X KEY=VALUE]\n"
            "       [--help] [--version]\n"
            "  -b  bootstrap brokers (default 127.0.0.1:9092)\n"
            "  -t  topic: scanfarm.results (default) or scanfarm.findings (deltas)\n"
            "  -g  consumer group (default: a throw-away group reading from the start)\n"
            "  -n  exit after COUNT messages printed\n"
            "  -e  exit at the end of every partition\n"
            "  -X  a librdkafka property (repeatable), as kcat's -X\n",
            argv0);
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char errstr[256];
    if (rd_kafka_conf_set(conf, k, v, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: %s\n", k, errstr);
        return -1;
    }
    return 0;
}

extern char **environ;

/* SCANFARM_KAFKA_PROP_SASL_MECHANISM=x sets sasl.mechanism=x. */
static int set_env_props(rd_kafka_conf_t *conf)
{
    static const char pre[] = "SCANFARM_KAFKA_PROP_";
    for (char **e = environ; *e; e++) {
        char key[256];
        const char *eq = strchr(*e, '=');
        size_t n = eq ? (size_t)(eq - *e) : 0;
        if (strncmp(*e, pre, sizeof pre - 1) != 0 || n <= sizeof pre - 1 ||
            n - (sizeof pre - 1) >= sizeof key)
            continue;
        n -= sizeof pre - 1;
        for (size_t i = 0; i < n; i++) {
            char c = (*e)[sizeof pre - 1 + i];
            key[i] = c == '_' ? '.' : (char)tolower((unsigned char)c);
        }
        key[n] = '\0';
        if (set(conf, key, eq + 1))
            return -1;
    }
    return 0;
}

/* -X key=value */
static int set_kv(rd_kafka_conf_t *conf, const char *kv)
{
    char key[256];
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key) {
        fprintf(stderr, "-X wants key=value\n");
        return -1;
    }
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    return set(conf, key, eq + 1);
}

int main(int argc, char **argv)
{
    const char *props[64];
    int nprops = 0;
    const char *brokers = "127.0.0.1:9092", *topic = "scanfarm.results", *group = NULL;
    long count = -1, seen = 0;
    int opt, at_end = 0, eofs = 0, ex = 0;
    char tmpgroup[64], errstr[256];
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout, argv[0]);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("scanfarm-subscribe %s\n", SF_VERSION_FULL);
            return 0;
        }
    }
    while ((opt = getopt(argc, argv, "b:t:g:n:eX:")) != -1) {
        switch (opt) {
        case 'b': brokers = optarg; break;
        case 't': topic = optarg; break;
        case 'g': group = optarg; break;
        case 'n': count = strtol(optarg, NULL, 10); break;
        case 'e': at_end = 1; break;
        case 'X':
            if (nprops < (int)(sizeof props / sizeof props[0])) {
                props[nprops++] = optarg;
                break;
            }
            fprintf(stderr, "too many -X\n");
            return 64;
        default:
            usage(stderr, argv[0]);
            return 64;
        }
    }
    if (!group) {
        snprintf(tmpgroup, sizeof tmpgroup, "scanfarm-subscribe-%d", (int)getpid());
        group = tmpgroup;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (set(conf, "bootstrap.servers", brokers) || set(conf, "group.id", group) ||
        set(conf, "auto.offset.reset", "earliest") ||
        set(conf, "enable.partition.eof", at_end ? "true" : "false") || set_env_props(conf)) {
        rd_kafka_conf_destroy(conf);
        return 2;
    }
    for (int i = 0; i < nprops; i++)
        if (set_kv(conf, props[i])) {
            rd_kafka_conf_destroy(conf);
            return 2;
        }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", errstr);
        return 2;
    }
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(subs, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        fprintf(stderr, "subscribe %s: %s\n", topic, rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return 2;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop && (count < 0 || seen < count)) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_topic_partition_list_t *asg = NULL;
            /* stop once every assigned partition reached its end */
            if (++eofs && rd_kafka_assignment(rk, &asg) == 0 && asg && eofs >= asg->cnt)
                stop = 1;
            if (asg)
                rd_kafka_topic_partition_list_destroy(asg);
        } else if (m->err) {
            fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
            ex = m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                 m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ? 2 : ex;
            if (ex)
                stop = 1;
        } else {
            seen += print_result(m->payload, m->len);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return ex;
}
