/*
 * Helpers shared by the scanfarm-worker process tests (fleet race, big
 * layer, end to end, worker loop, broker restart): spawning worker
 * processes with their own log files, queueing scan jobs, reading their
 * Prometheus /metrics and /proc status, private docker-registry, topic,
 * folder and Redis-prefix cleanup. Built into the test support library
 * (sf_testsupport).
 * Builds on cache_helpers.h (t_port, t_now_ms, t_service_up).
 */
#ifndef SF_TEST_WORKER_HELPERS_H
#define SF_TEST_WORKER_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/digest.h"
#include "bus/kcons.h"
#include "bus/kprod.h"
#include "bus/msg_job.h"
#include "cache_helpers.h"
#include "stack.h"

/* Path of a program in SF_BIN (rotating static buffers: up to 4 live). */
const char *wt_bin(const char *name);

void wt_sleep_ms(long ms);

/* Every process a test starts, so a failed assertion cannot leak them:
 * the test's teardown calls wt_kill_all(). */
#define WT_MAX_PROCS 64

pid_t wt_track(pid_t p);

/* Forget a process the test has reaped itself. */
void wt_untrack(pid_t p);

void wt_kill_all(void);

/* fork+exec argv with stdout and stderr to logpath (NULL: /dev/null). */
pid_t wt_spawn(char *const argv[], const char *logpath);

/* SIGTERM, then wait up to timeout_s for the exit; returns the wait status
 * or -1 when the process had to be killed. */
int wt_stop(pid_t pid, int timeout_s);

/* GET http://127.0.0.1:port/path into out (headers included, NUL-ended).
 * 0 when connected. */
int wt_http_get(int port, const char *path, char *out, size_t cap);

/* Sum of the samples of metric `name` in a Prometheus text page whose
 * label set contains `label` (e.g. "result=\"hit\""; NULL = every series).
 * Histogram series (_bucket, _sum, _count) are other names. */
double wt_metric(const char *page, const char *name, const char *label);

/* Poll GET path on 127.0.0.1:port every 100 ms, up to tries times; 0
 * once it answers 200, -1 otherwise (a started server's readiness). */
int wt_wait_200(int port, const char *path, int tries);

/* A /proc/<pid>/status field in KiB (VmHWM = peak RSS, VmRSS), or -1. */
long wt_status_kib(pid_t pid, const char *field);

/* Print the last lines of a log (a failing process's story). */
void wt_tail(const char *path, int lines);

/* A private docker-registry on 127.0.0.1:port with storage under dir (so a
 * test can remove what it pushed, blobs included: the shared registry can
 * only unlink a blob from a repository, its bytes stay until an offline
 * garbage collection). Returns its pid once /v2/ answers, -1 otherwise. */
/* wt_registry_start with extra YAML appended to the config (e.g.
 * notifications) and, when logpath is set, the access log (info level)
 * written there. */
pid_t wt_registry_start_cfg(const char *dir, int port, const char *extra,
                                          const char *logpath);

pid_t wt_registry_start(const char *dir, int port);

/* One image of the corpus, as tests/fixtures/push-corpus lists it. */
typedef struct wt_image {
    char digest[SF_DIGEST_MAX];
    char repo[128];
    char ref[256];
} wt_image;

/* Push the corpus images to registry with tests/fixtures/push-corpus (a
 * no-op for what is there already), which writes their list to the file
 * `list`, and read up to max of them into out. Returns how many (0 when
 * the push failed or listed none). */
int wt_corpus_images(const char *registry, const char *list, wt_image *out, int max);

/* Queue a scan job of run run_id for registry/repo@digest, known by ref,
 * on topic (keyed by its digest). SF_OK or the encoder's or producer's
 * code (e filled). */
int wt_produce_job(sf_kprod *p, const char *topic, const char *run_id,
                                 const char *registry, const char *repo, const char *digest,
                                 const char *ref, sf_error *e);

/* Queue one scan job per image of im (n of them) on s's jobs topic, as run
 * s->name, for the stack's registry, then flush (30 s). SF_OK or the first
 * failing code (e filled). */
int wt_produce_images(const sf_t_scratch *s, const wt_image *im, size_t n, sf_error *e);

/* Start worker i of a fleet test on s's topics and key prefix, in consumer
 * group `group`, with Redis at redis (cluster: a seed node, and the worker
 * told so), metrics on 127.0.0.1:port, `concurrency` threads, client id
 * "<s->name>-w<i>" and its log in s->dir/worker-<i>.log. */
pid_t wt_spawn_fleet_worker(const sf_t_scratch *s, const char *group, const char *redis,
                            int cluster, int i, int port, const char *concurrency);

/* Partitions fleet worker i holds now, from its log: assigned minus
 * revoked counts (right for both rebalance protocols: eager revokes all
 * and assigns the full set, cooperative moves only the difference). */
int wt_fleet_assigned(const sf_t_scratch *s, int i);

/* Until each of the n workers w answers /healthz on ports[i] and holds
 * `partitions` / n partitions, twice in a row 500 ms apart: jobs produced
 * before the group settles are redelivered by the rebalance that moves
 * them (at-least-once), which a test counting duplicates must not see.
 * 0; -1 after timeout_s; -2 when a worker exited (its log's end printed). */
int wt_wait_fleet_settled(const sf_t_scratch *s, const pid_t *w, const int *ports, int n,
                          int partitions, int timeout_s);

/* Stop the n workers w of a fleet test together (SIGTERM to all, then up
 * to timeout_s each) and forget them. Returns the index of the first that
 * did not exit with status 0 (its wait status in *status, the end of its
 * log printed), or -1 when all did. */
int wt_stop_fleet(const sf_t_scratch *s, const pid_t *w, int n, int timeout_s, int *status);

/* A reader of the results topic of a run, from its start, in its own
 * group "<run>.reader" on the stack's Kafka. NULL on error. */
sf_kcons *wt_results_reader(const char *run, const char *topic, int max_in_flight);

/* The committed offset of group on topic's partition 0 (-1: none or the
 * broker did not answer), asked by a handle that does not join the group. */
int64_t wt_committed(const char *group, const char *topic);

/* Poll rr once (up to 200 ms) for a result of run: the parsed document
 * (caller decrefs), NULL when nothing came or it was another run's or
 * had no digest. The message is marked done either way. */
json_t *wt_poll_result(sf_kcons *rr, const char *run);

/* Delete a test's jobs, results and DLQ topics from brokers (teardown:
 * best effort, errors ignored). */
void wt_delete_topics(const char *brokers, const char *jobs, const char *results,
                                    const char *dlq);

/* Remove a test's scratch folder and everything in it. */
void wt_rm_rf(const char *dir);

/* Delete every Redis key under "<prefix>:" on the stack's Redis; returns
 * the number deleted (a test's cache keys must not outlive it). */
long wt_redis_del_prefix(const char *prefix);

#endif
