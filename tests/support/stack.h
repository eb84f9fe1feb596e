/*
 * stack: what an integration test needs from the local stack, and the
 * per-test scratch it leaves there.
 *
 * Requirement: a test that needs Kafka, Redis or the registry calls
 * sf_t_need() first. A service that does not answer FAILS the test with
 * its address (it never skips: a skipped integration test made the label
 * pass with nothing running). ctest also runs sf_stack_check
 * (integration_stack_check, the `stack` fixture) before every test that
 * requires the fixture, so a dead stack is reported once, clearly.
 *
 * Scratch: one name per test process ("<tag>-<pid>") from which its topics,
 * consumer groups, Redis key prefix and /tmp folder are made, and one
 * cleanup that removes all of them and stops every process the test spawned
 * (worker_helpers.h). Setup and teardown call these instead of each test
 * writing its own.
 *
 * Threads: a test's main thread only (setup, teardown, the test bodies).
 */
#ifndef SF_TEST_STACK_H
#define SF_TEST_STACK_H

#include <stddef.h>

#include "base/err.h"
#include "cache/kv.h"

/* Services of the stack, for sf_t_need / sf_t_stack_check. */
enum { SF_T_KAFKA = 1, SF_T_REDIS = 2, SF_T_REGISTRY = 4, SF_T_STACK = 7 };

/* 0 when every service in `need` answers (Kafka: a topic can be created
 * and deleted; Redis: PING; registry: GET /v2/ is 200). Otherwise -1 with
 * the first one that did not, its address and what to do, in msg. */
int sf_t_stack_check(unsigned need, char *msg, size_t cap);
/* cmocka: fail the running test unless the services in `need` answer. */
void sf_t_need(unsigned need);

/* For a cmocka setup function: 0 when the services in `need` answer,
 * else -1 with the reason on stderr (the group's tests then fail). */
int sf_t_stack_setup(unsigned need);

/* GET http://hostport/path (plain HTTP/1.1, Connection: close) into out,
 * status line and headers included, NUL-terminated, truncated at cap.
 * 0 when connected and sent, -1 otherwise. */
int sf_t_http_get(const char *hostport, const char *path, char *out, size_t cap);

/* One test's names on the shared stack, all from name = "<tag>-<pid>". */
typedef struct sf_t_scratch {
    char name[48];    /* key prefix, topic and group stem (tag <= 32 chars) */
    char dir[64];     /* /tmp/<name> (made by sf_t_scratch_open) */
    char db[80];      /* <dir>/db.sfdb (sf_t_build_db writes it) */
    char jobs[64];    /* <name>.jobs */
    char results[64];/* <name>.results */
    char dlq[64];     /* <name>.dlq */
    int topics_made;  /* sf_t_scratch_topics succeeded */
} sf_t_scratch;

/* Fill the names and create the folder. 0, or -1 when mkdir failed. */
int sf_t_scratch_open(sf_t_scratch *s, const char *tag);
/* Create the jobs, results and dlq topics with partitions each. 0 or -1
 * (message on stderr). */
int sf_t_scratch_topics(sf_t_scratch *s, int partitions);
/* Teardown: stop every spawned process, delete the topics when made,
 * every Redis key under "<name>:", and the folder (kept when SF_KEEP is
 * set). Safe on a scratch that was never opened. */
void sf_t_scratch_close(sf_t_scratch *s);

/* A cmocka teardown that closes the scratch sf_t_scratch_open last
 * opened (tests whose teardown is only that use it as is). */
int sf_t_teardown(void **state);

/* A vulnerability DB at path from the corpus's Alpine 3.10 secdb subset
 * (the DB every worker and aggregator test scans against). When ver is
 * non-NULL the DB's version string goes there. SF_OK or the builder's
 * code (message on stderr). */
int sf_t_build_db(const char *path, char *ver, size_t vcap);

/* A connection to the stack's Redis that answered PING, or NULL. */
sf_kv *sf_t_kv_open(void);
/* Delete every key under "<prefix>:" on the stack's Redis; how many. */
long sf_t_redis_del_prefix(const char *prefix);

#endif
