/*
 * Integration tests of the local stack (deploy/local/stack up): each real
 * service is driven from C through the same libraries scanfarm uses, so a
 * broken broker setting, Redis config or registry config shows up here
 * before it shows up as a mysterious worker failure.
 *
 *   kafka     a fresh topic (admin API; auto-creation is off), an idempotent
 *             producer with a 3 MiB message (needs the raised
 *             message.max.bytes), a consumer group that commits, a second
 *             consumer of the same group that must resume after the commit;
 *             the scanfarm.* topics exist.
 *   redis     binary-safe SET/GET/DEL with TTL; persistence is off.
 *   registry  blob upload (POST + monolithic PUT), HEAD and GET with digest
 *             check, OCI manifest PUT/GET by tag and digest, DELETE (in
 *             the repository stack-itest/services).
 *
 * Addresses: the stack's, sf_t_kafka/redis/registry() (testutil.h). Every
 * name used is
 * unique per run (pid + time), and everything created is removed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include "base/buf.h"
#include "base/digest.h"
#include "testutil.h"

#define BIG_MSG_BYTES (3u * 1024u * 1024u) /* > Kafka's 1 MiB default */
#define KAFKA_MSGS 5
#define WAIT_MS 30000

#define kafka_addr sf_t_kafka
#define redis_addr sf_t_redis
#define registry_addr sf_t_registry

/* A name unique to this process and moment, e.g. for topics and keys. */
static void unique_name(char *out, size_t n, const char *prefix)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, n, "%s%ld%09ld%d", prefix, (long)ts.tv_sec, ts.tv_nsec, (int)getpid());
}

/* Deterministic pseudo-random bytes (xorshift), so payloads are not all zero. */
static void fill_bytes(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (unsigned char)x;
    }
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ kafka */

typedef struct {
    int delivered;
    int failed;
    int32_t partition;
    int64_t last_offset;
} dr_state;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    dr_state *st = opaque;
    if (m->err) {
        fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        st->failed++;
        return;
    }
    st->delivered++;
    st->partition = m->partition;
    st->last_offset = m->offset;
}

static rd_kafka_conf_t *base_conf(void)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    char err[256];
    assert_int_equal(rd_kafka_conf_set(c, "bootstrap.servers", kafka_addr(), err, sizeof err),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(c, "socket.timeout.ms", "10000", err, sizeof err),
                     RD_KAFKA_CONF_OK);
    return c;
}

static void conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK)
        fail_msg("conf %s=%s: %s", k, v, err);
}

/* Create or delete a topic through the admin API on producer handle rk. */
static void admin_topic(rd_kafka_t *rk, const char *topic, int create)
{
    char err[256];
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_operation_timeout(opt, 15000, err, sizeof err);
    rd_kafka_NewTopic_t *nt = NULL;
    rd_kafka_DeleteTopic_t *dt = NULL;
    if (create) {
        nt = rd_kafka_NewTopic_new(topic, 3, 1, err, sizeof err);
        assert_non_null(nt);
        rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    } else {
        dt = rd_kafka_DeleteTopic_new(topic);
        rd_kafka_DeleteTopics(rk, &dt, 1, opt, q);
    }
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, WAIT_MS);
    assert_non_null(ev);
    const rd_kafka_topic_result_t **res;
    size_t n = 0;
    if (create)
        res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    else
        res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
    assert_int_equal(n, 1);
    if (rd_kafka_topic_result_error(res[0]))
        fail_msg("%s topic %s: %s", create ? "create" : "delete", topic,
                 rd_kafka_topic_result_error_string(res[0]));
    rd_kafka_event_destroy(ev);
    /* the librdkafka destructors are not NULL-safe */
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    if (dt)
        rd_kafka_DeleteTopic_destroy(dt);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_queue_destroy(q);
}

static rd_kafka_t *new_producer(dr_state *st)
{
    rd_kafka_conf_t *c = base_conf();
    char err[256];
    conf_set(c, "enable.idempotence", "true");
    conf_set(c, "message.max.bytes", "16777216");
    conf_set(c, "compression.type", "zstd");
    rd_kafka_conf_set_dr_msg_cb(c, on_delivery);
    rd_kafka_conf_set_opaque(c, st);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk)
        fail_msg("producer: %s", err);
    return rk;
}

static rd_kafka_t *new_consumer(const char *group, const char *topic)
{
    rd_kafka_conf_t *c = base_conf();
    char err[256];
    conf_set(c, "group.id", group);
    conf_set(c, "enable.auto.commit", "false");
    conf_set(c, "auto.offset.reset", "earliest");
    conf_set(c, "fetch.max.bytes", "52428800");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
    if (!rk)
        fail_msg("consumer: %s", err);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    assert_int_equal(rd_kafka_subscribe(rk, sub), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(sub);
    return rk;
}

/* Produce message i (payload: 8-byte index + body) with key and wait for it. */
static void produce_one(rd_kafka_t *rk, dr_state *st, const char *topic, const char *key, int i)
{
    size_t n = i == 0 ? BIG_MSG_BYTES : 64;
    unsigned char *p = malloc(n);
    assert_non_null(p);
    fill_bytes(p, n, (uint64_t)i + 1);
    p[0] = (unsigned char)i;
    int want = st->delivered + 1;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE(p, n), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    free(p);
    assert_int_equal(e, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(rd_kafka_flush(rk, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(st->failed, 0);
    assert_int_equal(st->delivered, want);
}

/* Poll until one message arrives; check its key and content; return its index. */
static int consume_one(rd_kafka_t *rk, const char *key, int64_t *offset, int32_t *partition)
{
    int64_t deadline = now_ms() + WAIT_MS;
    while (now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 500);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        assert_int_equal(m->key_len, strlen(key));
        assert_memory_equal(m->key, key, m->key_len);
        const unsigned char *v = m->payload;
        int idx = v[0];
        size_t n = idx == 0 ? BIG_MSG_BYTES : 64;
        assert_int_equal(m->len, n);
        unsigned char *want = malloc(n);
        assert_non_null(want);
        fill_bytes(want, n, (uint64_t)idx + 1);
        want[0] = (unsigned char)idx;
        assert_memory_equal(v, want, n);
        free(want);
        *offset = m->offset;
        *partition = m->partition;
        rd_kafka_message_destroy(m);
        return idx;
    }
    fail_msg("no message within %d ms from %s", WAIT_MS, kafka_addr());
    return -1;
}

static void test_services_kafka__group_commit_and_resume(void **state)
{
    (void)state;
    char topic[96], group[96], key[96];
    unique_name(topic, sizeof topic, "stack.itest.");
    unique_name(group, sizeof group, "stack-itest-");
    unique_name(key, sizeof key, "sha256:key");
    dr_state st = {0};
    rd_kafka_t *prod = new_producer(&st);
    admin_topic(prod, topic, 1);

    /* One key -> one partition, so order is total and resume is checkable. */
    for (int i = 0; i < KAFKA_MSGS; i++)
        produce_one(prod, &st, topic, key, i);
    int32_t part = st.partition;

    rd_kafka_t *c1 = new_consumer(group, topic);
    int64_t off = -1, last = -1;
    int32_t p = -1;
    for (int i = 0; i < KAFKA_MSGS; i++) {
        assert_int_equal(consume_one(c1, key, &off, &p), i);
        assert_int_equal(p, part);
        last = off;
    }
    assert_int_equal(last, st.last_offset);
    /* synchronous commit of the consumed position */
    assert_int_equal(rd_kafka_commit(c1, NULL, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(rd_kafka_consumer_close(c1), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(c1);

    /* The group's committed offset is one past the last consumed message. */
    rd_kafka_t *c2 = new_consumer(group, topic);
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, topic, part);
    assert_int_equal(rd_kafka_committed(c2, tp, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(tp->elems[0].err, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(tp->elems[0].offset, last + 1);
    rd_kafka_topic_partition_list_destroy(tp);

    /* ...and a new member of the group resumes there: the next message it
     * sees is the one produced after the commit, not message 0. */
    produce_one(prod, &st, topic, key, KAFKA_MSGS);
    assert_int_equal(consume_one(c2, key, &off, &p), KAFKA_MSGS);
    assert_int_equal(off, last + 1);
    assert_int_equal(rd_kafka_consumer_close(c2), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(c2);

    admin_topic(prod, topic, 0);
    rd_kafka_destroy(prod);
}

static void test_services_kafka__scanfarm_topics_exist(void **state)
{
    (void)state;
    static const char *const topics[] = {"scanfarm.jobs", "scanfarm.results", "scanfarm.dlq"};
    dr_state st = {0};
    rd_kafka_t *rk = new_producer(&st);
    const struct rd_kafka_metadata *md = NULL;
    assert_int_equal(rd_kafka_metadata(rk, 1, NULL, &md, WAIT_MS), RD_KAFKA_RESP_ERR_NO_ERROR);
    for (size_t t = 0; t < sizeof topics / sizeof *topics; t++) {
        int found = 0;
        for (int i = 0; i < md->topic_cnt; i++) {
            if (strcmp(md->topics[i].topic, topics[t]) != 0)
                continue;
            found = 1;
            assert_int_equal(md->topics[i].err, RD_KAFKA_RESP_ERR_NO_ERROR);
            assert_true(md->topics[i].partition_cnt >= 1);
        }
        if (!found)
            fail_msg("topic %s missing on %s (stack up creates it)", topics[t], kafka_addr());
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
}

/* ------------------------------------------------------------------ redis */

static redisContext *redis_connect(void)
{
    char host[256];
    const char *a = redis_addr();
    const char *colon = strrchr(a, ':');
    assert_non_null(colon);
    snprintf(host, sizeof host, "%.*s", (int)(colon - a), a);
    struct timeval tv = {5, 0};
    redisContext *c = redisConnectWithTimeout(host, (int)strtol(colon + 1, NULL, 10), tv);
    assert_non_null(c);
    if (c->err)
        fail_msg("redis %s: %s (run deploy/local/stack up)", a, c->errstr);
    redisSetTimeout(c, tv);
    return c;
}

static redisReply *cmd(redisContext *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r)
        fail_msg("redis: %s", c->errstr);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("redis: %s", r->str);
    return r;
}

static void test_services_redis__set_get_binary(void **state)
{
    (void)state;
    redisContext *c = redis_connect();
    char key[96];
    unique_name(key, sizeof key, "stack:itest:");
    unsigned char val[4096];
    fill_bytes(val, sizeof val, 42);
    val[7] = 0; /* binary-safe: an embedded NUL must survive */

    redisReply *r = cmd(c, "SET %s %b EX 60", key, val, sizeof val);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "OK");
    freeReplyObject(r);

    r = cmd(c, "GET %s", key);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_int_equal(r->len, sizeof val);
    assert_memory_equal(r->str, val, sizeof val);
    freeReplyObject(r);

    r = cmd(c, "TTL %s", key);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_true(r->integer > 0 && r->integer <= 60);
    freeReplyObject(r);

    r = cmd(c, "DEL %s", key);
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    r = cmd(c, "GET %s", key);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    freeReplyObject(r);
    redisFree(c);
}

static void test_services_redis__no_persistence(void **state)
{
    (void)state;
    redisContext *c = redis_connect();
    redisReply *r = cmd(c, "CONFIG GET save");
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "");
    freeReplyObject(r);
    r = cmd(c, "CONFIG GET appendonly");
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[1]->str, "no");
    freeReplyObject(r);
    redisFree(c);
}

/* --------------------------------------------------------------- registry */

typedef struct {
    long status;
    sf_buf body;
    char location[1024];
    char digest[SF_DIGEST_MAX];
    char ctype[256];
    long long clen;
} http_res;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    http_res *r = ud;
    return sf_buf_append(&r->body, p, sz * n) == SF_OK ? sz * n : 0;
}

/* Copy the value of header `name` from line p into out (trimmed). */
static void header_value(const char *p, size_t n, const char *name, char *out, size_t outn)
{
    size_t k = strlen(name);
    if (n <= k + 1 || strncasecmp(p, name, k) != 0 || p[k] != ':')
        return;
    p += k + 1;
    n -= k + 1;
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    while (n && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
        n--;
    snprintf(out, outn, "%.*s", (int)n, p);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    http_res *r = ud;
    size_t len = sz * n;
    char cl[32] = "";
    header_value(p, len, "Location", r->location, sizeof r->location);
    header_value(p, len, "Docker-Content-Digest", r->digest, sizeof r->digest);
    header_value(p, len, "Content-Type", r->ctype, sizeof r->ctype);
    header_value(p, len, "Content-Length", cl, sizeof cl);
    if (cl[0])
        r->clen = strtoll(cl, NULL, 10);
    return len;
}

/* One request to the registry; path is absolute ("/v2/...") or a full URL. */
static void http(http_res *r, const char *method, const char *path, const char *ctype,
                 const char *accept, const void *body, size_t n)
{
    char url[2048], h1[300], h2[300];
    if (strncmp(path, "http", 4) == 0)
        snprintf(url, sizeof url, "%s", path);
    else
        snprintf(url, sizeof url, "http://%s%s", registry_addr(), path);
    memset(r, 0, sizeof *r);
    sf_buf_init(&r->body, 64u << 20);
    r->clen = -1;
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *hs = NULL;
    if (ctype) {
        snprintf(h1, sizeof h1, "Content-Type: %s", ctype);
        hs = curl_slist_append(hs, h1);
    }
    if (accept) {
        snprintf(h2, sizeof h2, "Accept: %s", accept);
        hs = curl_slist_append(hs, h2);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body || strcmp(method, "PUT") == 0 || strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)n);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s (run deploy/local/stack up)", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hs);
    curl_easy_cleanup(c);
}

/* Upload a blob the way the registry wants it: POST, then PUT ?digest=. */
static void push_blob(const char *repo, const void *data, size_t n, const char *digest)
{
    char path[512], put[2200];
    http_res r;
    snprintf(path, sizeof path, "/v2/%s/blobs/uploads/", repo);
    http(&r, "POST", path, NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 202);
    assert_true(r.location[0] != '\0');
    /* Location may be relative; distribution 2.8 puts a query on it */
    int rel = r.location[0] == '/';
    snprintf(put, sizeof put, "%s%s%s%cdigest=%s", rel ? "http://" : "",
             rel ? registry_addr() : "", r.location, strchr(r.location, '?') ? '&' : '?', digest);
    sf_buf_free(&r.body);
    http(&r, "PUT", put, "application/octet-stream", NULL, data, n);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.digest, digest);
    sf_buf_free(&r.body);
}

static void test_services_registry__blob_and_manifest_roundtrip(void **state)
{
    (void)state;
    static const char oci_manifest[] = "application/vnd.oci.image.manifest.v1+json";
    /* One repository for every run (the catalog does not grow per run);
     * the layer starts with a unique name, so each run's digests are its
     * own and concurrent runs cannot delete each other's manifest. */
    const char *repo = "stack-itest/services";
    char name[96], path[512];
    unique_name(name, sizeof name, "svc");

    size_t n = 256 * 1024;
    unsigned char *layer = malloc(n);
    assert_non_null(layer);
    fill_bytes(layer, n, 7);
    memcpy(layer, name, strlen(name));
    char ldg[SF_DIGEST_MAX], cdg[SF_DIGEST_MAX], mdg[SF_DIGEST_MAX];
    assert_int_equal(sf_digest_sha256(layer, n, ldg), SF_OK);
    char config[512];
    int clen = snprintf(config, sizeof config,
                        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":"
                        "{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}", ldg);
    assert_int_equal(sf_digest_sha256(config, (size_t)clen, cdg), SF_OK);

    push_blob(repo, layer, n, ldg);
    push_blob(repo, config, (size_t)clen, cdg);

    http_res r;
    snprintf(path, sizeof path, "/v2/%s/blobs/%s", repo, ldg);
    http(&r, "HEAD", path, NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.clen, (long long)n);
    sf_buf_free(&r.body);
    http(&r, "GET", path, NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body.len, n);
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_digest_verify(ldg, r.body.data, r.body.len, &e), SF_OK);
    sf_buf_free(&r.body);

    char man[1024];
    int mlen = snprintf(man, sizeof man,
                        "{\"schemaVersion\":2,\"mediaType\":\"%s\","
                        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
                        "\"digest\":\"%s\",\"size\":%d},"
                        "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                        "\"digest\":\"%s\",\"size\":%zu}]}",
                        oci_manifest, cdg, clen, ldg, n);
    assert_int_equal(sf_digest_sha256(man, (size_t)mlen, mdg), SF_OK);
    snprintf(path, sizeof path, "/v2/%s/manifests/%s", repo, name);
    http(&r, "PUT", path, oci_manifest, NULL, man, (size_t)mlen);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.digest, mdg);
    sf_buf_free(&r.body);

    /* by tag, with an Accept naming the OCI type: the exact bytes back */
    http(&r, "GET", path, NULL, oci_manifest, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, oci_manifest);
    assert_string_equal(r.digest, mdg);
    assert_int_equal(r.body.len, (size_t)mlen);
    assert_memory_equal(r.body.data, man, (size_t)mlen);
    sf_buf_free(&r.body);

    /* by digest, then delete it (the stack enables deletes) */
    snprintf(path, sizeof path, "/v2/%s/manifests/%s", repo, mdg);
    http(&r, "GET", path, NULL, oci_manifest, NULL, 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(sf_digest_verify(mdg, r.body.data, r.body.len, &e), SF_OK);
    sf_buf_free(&r.body);
    http(&r, "DELETE", path, NULL, NULL, NULL, 0);
    assert_int_equal(r.status, 202);
    sf_buf_free(&r.body);
    http(&r, "GET", path, NULL, oci_manifest, NULL, 0);
    assert_int_equal(r.status, 404);
    sf_buf_free(&r.body);
    free(layer);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_services_kafka__scanfarm_topics_exist),
        cmocka_unit_test(test_services_kafka__group_commit_and_resume),
        cmocka_unit_test(test_services_redis__set_get_binary),
        cmocka_unit_test(test_services_redis__no_persistence),
        cmocka_unit_test(test_services_registry__blob_and_manifest_roundtrip),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
