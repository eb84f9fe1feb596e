/* stack: see stack.h. */
#include "stack.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>
#include <netdb.h>
#include <sys/socket.h>

#include "bus/kprod.h"
#include "testutil.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"
#include "worker_helpers.h"

static int kafka_check(char *msg, size_t cap)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    char topic[64];
    snprintf(topic, sizeof topic, "sf-stack-check-%d", (int)getpid());
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    int rc = sf_kprod_new(&p, &po, &e);
    if (rc == SF_OK)
        rc = sf_kprod_create_topic(p, topic, 1, 1, 10000, &e);
    if (rc == SF_OK)
        sf_kprod_delete_topic(p, topic, 10000, NULL);
    sf_kprod_free(p);
    if (rc != SF_OK)
        snprintf(msg, cap, "Kafka at %s (SF_STACK_KAFKA) does not answer: %s", sf_t_kafka(),
                 e.msg);
    return rc == SF_OK ? 0 : -1;
}

static int redis_check(char *msg, size_t cap)
{
    sf_kv *kv = sf_t_kv_open();
    sf_kv_free(kv);
    if (!kv)
        snprintf(msg, cap, "Redis at %s (SF_STACK_REDIS) does not answer PING", sf_t_redis());
    return kv ? 0 : -1;
}

static int registry_check(char *msg, size_t cap)
{
    char page[1024];
    if (sf_t_http_get(sf_t_registry(), "/v2/", page, sizeof page) == 0 &&
        strncmp(page, "HTTP/1.1 200", 12) == 0)
        return 0;
    snprintf(msg, cap, "registry at %s (SF_STACK_REGISTRY) does not answer GET /v2/ with 200",
             sf_t_registry());
    return -1;
}

int sf_t_stack_check(unsigned need, char *msg, size_t cap)
{
    char what[512] = "";
    int rc = 0;
    if ((need & SF_T_REDIS) && redis_check(what, sizeof what) != 0)
        rc = -1;
    else if ((need & SF_T_REGISTRY) && registry_check(what, sizeof what) != 0)
        rc = -1;
    else if ((need & SF_T_KAFKA) && kafka_check(what, sizeof what) != 0)
        rc = -1;
    if (rc != 0)
        snprintf(msg, cap, "%s; start the stack (deploy/local/stack up, "
                           "tests/fixtures/push-corpus) or point SCANFARM_*_PORT at it", what);
    return rc;
}

void sf_t_need(unsigned need)
{
    char msg[768];
    /* Kafka's full check (a topic made and deleted) is the fixture's; a
     * test only needs to know it listens. */
    if (sf_t_stack_check(need & (unsigned)~SF_T_KAFKA, msg, sizeof msg) != 0)
        fail_msg("stack needed and absent: %s", msg);
    if ((need & SF_T_KAFKA) && !sf_t_addr_up(sf_t_kafka()))
        fail_msg("stack needed and absent: Kafka at %s (SF_STACK_KAFKA) is not listening",
                 sf_t_kafka());
}

int sf_t_stack_setup(unsigned need)
{
    char msg[768];
    if (sf_t_stack_check(need, msg, sizeof msg) == 0)
        return 0;
    fprintf(stderr, "stack needed and absent: %s\n", msg);
    return -1;
}

int sf_t_http_get(const char *hostport, const char *path, char *out, size_t cap)
{
    char host[256];
    const char *colon = strrchr(hostport, ':');
    out[0] = '\0';
    if (!colon || (size_t)(colon - hostport) >= sizeof host)
        return -1;
    snprintf(host, sizeof host, "%.*s", (int)(colon - hostport), hostport);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return -1;
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n",
                     path, hostport);
    if (n < 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got < cap - 1 && (r = read(fd, out + got, cap - 1 - got)) > 0)
        got += (size_t)r;
    out[got] = '\0';
    close(fd);
    return 0;
}

/* The scratch sf_t_teardown closes (tests run one at a time per process). */
static sf_t_scratch *last_scratch;

int sf_t_scratch_open(sf_t_scratch *s, const char *tag)
{
    memset(s, 0, sizeof *s);
    last_scratch = s;
    snprintf(s->name, sizeof s->name, "%s-%d", tag, (int)getpid());
    snprintf(s->dir, sizeof s->dir, "/tmp/%s", s->name);
    snprintf(s->db, sizeof s->db, "%s/db.sfdb", s->dir);
    snprintf(s->jobs, sizeof s->jobs, "%s.jobs", s->name);
    snprintf(s->results, sizeof s->results, "%s.results", s->name);
    snprintf(s->dlq, sizeof s->dlq, "%s.dlq", s->name);
    return mkdir(s->dir, 0700) == 0 || access(s->dir, W_OK) == 0 ? 0 : -1;
}

int sf_t_scratch_topics(sf_t_scratch *s, int partitions)
{
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    const char *topics[] = {s->jobs, s->results, s->dlq};
    int rc = sf_kprod_new(&p, &po, &e);
    for (int i = 0; i < 3 && rc == SF_OK; i++)
        rc = sf_kprod_create_topic(p, topics[i], partitions, 1, 15000, &e);
    sf_kprod_free(p);
    if (rc != SF_OK) {
        fprintf(stderr, "creating the topics of %s: %s\n", s->name, e.msg);
        return -1;
    }
    s->topics_made = 1;
    return 0;
}

void sf_t_scratch_close(sf_t_scratch *s)
{
    wt_kill_all();
    if (!s->name[0])
        return;
    if (s->topics_made)
        wt_delete_topics(sf_t_kafka(), s->jobs, s->results, s->dlq);
    s->topics_made = 0;
    sf_t_redis_del_prefix(s->name);
    if (s->dir[0] && !getenv("SF_KEEP"))
        wt_rm_rf(s->dir);
}

int sf_t_teardown(void **state)
{
    (void)state;
    if (last_scratch)
        sf_t_scratch_close(last_scratch);
    else
        wt_kill_all();
    return 0;
}

int sf_t_build_db(const char *path, char *ver, size_t vcap)
{
    sf_vdb_builder *b = NULL;
    sf_vdb *db = NULL;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_vdb_builder_new(&b);
    if (rc == SF_OK)
        rc = sf_vdb_import_path(
            b, sf_t_corpus("vulndb/alpine-vuln-list-subset/secdb-v3.10-main.subset.json"), &e);
    if (rc == SF_OK)
        rc = sf_vdb_builder_write(b, path, &e);
    sf_vdb_builder_free(b);
    if (rc == SF_OK && ver)
        rc = sf_vdb_open(&db, path, &e);
    if (rc == SF_OK && ver)
        snprintf(ver, vcap, "%s", sf_vdb_version(db));
    sf_vdb_close(db);
    if (rc != SF_OK)
        fprintf(stderr, "DB build failed: %s\n", e.msg);
    return rc;
}

sf_kv *sf_t_kv_open(void)
{
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    sf_kv *kv = NULL;
    if (sf_kv_new(&kv, &o, NULL) != SF_OK || sf_kv_ping(kv, 0, NULL) != SF_OK) {
        sf_kv_free(kv);
        return NULL;
    }
    return kv;
}

long sf_t_redis_del_prefix(const char *prefix)
{
    char host[256];
    const char *addr = sf_t_redis(), *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host)
        return 0;
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    redisContext *c = redisConnect(host, (int)strtol(colon + 1, NULL, 10));
    long n = 0;
    char cursor[32] = "0", pat[256];
    snprintf(pat, sizeof pat, "%s:*", prefix);
    while (c && !c->err) {
        redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000", cursor, pat);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
            freeReplyObject(r);
            break;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *d = redisCommand(c, "DEL %s", r->element[1]->element[i]->str);
            if (d && d->type == REDIS_REPLY_INTEGER)
                n += (long)d->integer;
            freeReplyObject(d);
        }
        freeReplyObject(r);
        if (strcmp(cursor, "0") == 0)
            break;
    }
    if (c)
        redisFree(c);
    return n;
}
