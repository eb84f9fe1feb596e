/*
 * testutil: helpers shared by the C tests: corpus paths, reading files,
 * skipping tests whose inputs are absent.
 */
#ifndef SF_TESTUTIL_H
#define SF_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "bus/kcons.h"
#include "stack.h"
#include "vuln/match.h"

/* Absolute path of a file under ../shared/corpus (SF_CORPUS), in a static
 * buffer overwritten by the next call. */
const char *sf_t_corpus(const char *rel);
/* Absolute path of a file in the source tree (SF_SRC). Static buffer. */
const char *sf_t_src(const char *rel);
/* Read a whole file (malloc'd, NUL-terminated); NULL on error. */
char *sf_t_read_file(const char *path, size_t *len);
/* Make a temp file from the mkstemp template path (filled in place) holding
 * text: a config, secret or credentials file for a test to load. 0, or -1
 * when it could not be made or written whole. */
int sf_t_write_temp(char *path, const char *text);
/* Read a file out of a .tar/.tar.gz archive by member name (with or
 * without leading "./"); NULL when absent. */
char *sf_t_read_tar_member(const char *archive, const char *member, size_t *len);
/* 1 when the environment variable SF_INTEGRATION is set or services are reachable. */
int sf_t_env_flag(const char *name);
/* The local stack's addresses (host:port) for integration tests:
 * SF_STACK_KAFKA, SF_STACK_REDIS, SF_STACK_REGISTRY, which ctest sets for
 * every integration test from the stack's SCANFARM_*_PORT variables (see
 * tests/stackenv.sh); 127.0.0.1 with the default port (9092, 6379, 5000)
 * when unset, i.e. a test binary run by hand against the default stack. */
const char *sf_t_kafka(void);
const char *sf_t_redis(void);
const char *sf_t_registry(void);
/* 1 when a TCP connection to "host:port" succeeds. */
int sf_t_addr_up(const char *hostport);
/* Called by sf_t_consume_idle for each message (before it is marked
 * done); test assertions may be made here. */
typedef void (*sf_t_msg_fn)(const sf_kmsg *m, void *arg);
/* Read topic from its start with a new consumer in group grp on brokers,
 * calling fn(m, arg) for every message, until idle_polls polls of poll_ms
 * in a row bring none. *n counts the messages. SF_OK, or the code of the
 * consumer's creation or a failed poll (err filled). */
int sf_t_consume_idle(const char *brokers, const char *topic, const char *grp, int poll_ms,
                      size_t idle_polls, sf_t_msg_fn fn, void *arg, size_t *n, sf_error *err);
/* The number n of " name=<n>" in a structured (key=value) log line, -1
 * when the line has no such field. */
long sf_t_log_field(const char *line, const char *name);
/* Run the shell command cmd (which sends its log to the file log) and
 * copy the last line of that log containing needle to line (empty when
 * none). Returns the command's exit status, -1 when it did not exit. */
int sf_t_run_log_line(const char *cmd, const char *log, const char *needle, char *line,
                      size_t cap);
/* A fuzz input as a C string: a malloc'd NUL-terminated copy of the size
 * bytes at data (caller frees), or NULL when size > max or out of memory
 * (the target then returns without testing). */
char *sf_t_cstr(const uint8_t *data, size_t size, size_t max);
/* 1 when finding f is advisory id, by its own id or one of its aliases. */
int sf_t_finding_has_id(const sf_finding *f, const char *id);

/* A self-signed P-256 certificate for subject CN cn and its key, written
 * as PEM files (each replaced by a rename, as a Secret volume update
 * does). 0 on success. */
int sf_t_make_cert(const char *cert, const char *key, const char *cn);

/* A temp folder holding a self-signed pair for a TLS test: dir, cert
 * (<dir>/tls.crt) and key (<dir>/tls.key). */
typedef struct sf_t_tls {
    char dir[64], cert[96], key[96];
} sf_t_tls;

/* Make the folder from the mkdtemp template `tmpl` and a pair for cn in
 * it; 0, or -1 on any failure. Renew with sf_t_make_cert(t->cert, t->key,
 * cn); sf_t_tls_free removes it all. */
int sf_t_tls_new(sf_t_tls *t, const char *tmpl, const char *cn);
void sf_t_tls_free(sf_t_tls *t);

/* Out-of-memory sweep of a JSON writer: fn(ctx) runs with jansson's k-th
 * allocation failing, for k = 1, 2, ... until a run needs fewer than k
 * allocations (then it must succeed). Every run with a failed allocation
 * must return an error, not SF_OK; ASan (CI's unit pass) checks that
 * each run frees exactly what it allocated, once. Returns the number of
 * allocation points swept. Not thread-safe: jansson's allocator is
 * global. */
size_t sf_t_json_oom_sweep(int (*fn)(void *ctx), void *ctx);

#endif
