/* worker_helpers: see worker_helpers.h. */
#include "worker_helpers.h"
#include <librdkafka/rdkafka.h>

static int wt_nprocs;
static pid_t wt_procs[WT_MAX_PROCS];
const char *wt_bin(const char *name)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", getenv("SF_BIN") ? getenv("SF_BIN") : "bin", name);
    return path[k];
}

void wt_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

pid_t wt_track(pid_t p)
{
    if (p > 0 && wt_nprocs < WT_MAX_PROCS)
        wt_procs[wt_nprocs++] = p;
    return p;
}

void wt_untrack(pid_t p)
{
    for (int i = 0; i < wt_nprocs; i++)
        if (wt_procs[i] == p) {
            wt_procs[i] = wt_procs[--wt_nprocs];
            return;
        }
}

void wt_kill_all(void)
{
    for (int i = 0; i < wt_nprocs; i++)
        if (kill(wt_procs[i], SIGKILL) == 0)
            waitpid(wt_procs[i], NULL, 0);
    wt_nprocs = 0;
}

pid_t wt_spawn(char *const argv[], const char *logpath)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(logpath ? logpath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return wt_track(pid);
}

int wt_stop(pid_t pid, int timeout_s)
{
    int st = 0;
    kill(pid, SIGTERM);
    for (int i = 0; i < timeout_s * 10; i++) {
        if (waitpid(pid, &st, WNOHANG) == pid) {
            wt_untrack(pid);
            return st;
        }
        wt_sleep_ms(100);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    wt_untrack(pid);
    return -1;
}

int wt_http_get(int port, const char *path, char *out, size_t cap)
{
    char addr[32];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    return sf_t_http_get(addr, path, out, cap);
}

double wt_metric(const char *page, const char *name, const char *label)
{
    double sum = 0;
    size_t nl = strlen(name);
    for (const char *line = page; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nl && strncmp(line, name, nl) == 0 && (line[nl] == ' ' || line[nl] == '{')) {
            char buf[512];
            snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), line);
            const char *sp = strrchr(buf, ' ');
            const char *close = strchr(buf, '}');
            int match = !label || (buf[nl] == '{' && close && strstr(buf, label) &&
                                   strstr(buf, label) < close);
            if (sp && match)
                sum += strtod(sp + 1, NULL);
        }
        line = end ? end + 1 : NULL;
    }
    return sum;
}

long wt_status_kib(pid_t pid, const char *field)
{
    char path[64], line[256];
    long kib = -1;
    size_t fl = strlen(field);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, fl) == 0 && line[fl] == ':')
            kib = strtol(line + fl + 1, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

void wt_tail(const char *path, int lines)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "tail -n %d '%s' >&2", lines, path);
    if (system(cmd) != 0)
        fprintf(stderr, "(no log at %s)\n", path);
}

pid_t wt_registry_start_cfg(const char *dir, int port, const char *extra,
                                          const char *logpath)
{
    char cfg[512];
    snprintf(cfg, sizeof cfg, "%s/config.yml", dir);
    FILE *f = fopen(cfg, "w");
    if (!f)
        return -1;
    fprintf(f,
            "version: 0.1\nlog:\n  level: %s\n  accesslog:\n    disabled: %s\n"
            "storage:\n  filesystem:\n    rootdirectory: %s/data\n  delete:\n    enabled: true\n"
            "http:\n  addr: 127.0.0.1:%d\n%s",
            logpath ? "info" : "warn", logpath ? "false" : "true", dir, port, extra ? extra : "");
    fclose(f);
    char *argv[] = {"/usr/bin/docker-registry", "serve", cfg, NULL};
    if (access(argv[0], X_OK) != 0)
        return -1;
    pid_t pid = wt_spawn(argv, logpath);
    return wt_wait_200(port, "/v2/", 150) == 0 ? pid : -1;
}

pid_t wt_registry_start(const char *dir, int port)
{
    return wt_registry_start_cfg(dir, port, NULL, NULL);
}

int wt_corpus_images(const char *registry, const char *list, wt_image *out, int max)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/fixtures/push-corpus --registry %s --list %s --quiet",
             getenv("SF_SRC") ? getenv("SF_SRC") : ".", registry, list);
    if (system(cmd) != 0)
        return 0;
    json_error_t je;
    json_t *doc = json_load_file(list, 0, &je);
    size_t i;
    json_t *img;
    int n = 0;
    json_array_foreach(json_object_get(doc, "images"), i, img) {
        if (n == max)
            break;
        wt_image *m = &out[n++];
        snprintf(m->digest, sizeof m->digest, "%s", json_string_value(json_object_get(img, "digest")));
        snprintf(m->repo, sizeof m->repo, "%s", json_string_value(json_object_get(img, "repository")));
        snprintf(m->ref, sizeof m->ref, "%s", json_string_value(json_object_get(img, "reference")));
    }
    json_decref(doc);
    return n;
}

int wt_produce_job(sf_kprod *p, const char *topic, const char *run_id,
                                 const char *registry, const char *repo, const char *digest,
                                 const char *ref, sf_error *e)
{
    char at[40];
    char *refs[] = {(char *)ref};
    sf_job_now(at, sizeof at);
    sf_job j = {.run_id = (char *)run_id, .kind = SF_JOB_SCAN, .registry = (char *)registry,
                .repository = (char *)repo, .digest = (char *)digest, .refs = refs, .nrefs = 1,
                .enqueued_at = at};
    char *json = NULL;
    size_t len = 0;
    int rc = sf_job_encode(&j, &json, &len, e);
    if (rc == SF_OK)
        rc = sf_kprod_produce(p, topic, digest, strlen(digest), json, len, NULL, e);
    free(json);
    return rc;
}

int wt_produce_images(const sf_t_scratch *s, const wt_image *im, size_t n, sf_error *e)
{
    sf_kprod *p = NULL;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    int rc = sf_kprod_new(&p, &po, e);
    for (size_t k = 0; rc == SF_OK && k < n; k++)
        rc = wt_produce_job(p, s->jobs, s->name, sf_t_registry(), im[k].repo, im[k].digest,
                            im[k].ref, e);
    if (rc == SF_OK)
        rc = sf_kprod_flush(p, 30000, e);
    sf_kprod_free(p);
    return rc;
}

pid_t wt_spawn_fleet_worker(const sf_t_scratch *s, const char *group, const char *redis,
                            int cluster, int i, int port, const char *concurrency)
{
    char sport[16], cid[128], logp[400];
    snprintf(sport, sizeof sport, "%d", port);
    snprintf(cid, sizeof cid, "%s-w%d", s->name, i);
    snprintf(logp, sizeof logp, "%s/worker-%d.log", s->dir, i);
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                    "--redis", (char *)redis, "--key-prefix", (char *)s->name, "--group",
                    (char *)group, "--jobs-topic", (char *)s->jobs, "--results-topic",
                    (char *)s->results, "--dlq-topic", (char *)s->dlq, "--metrics-port", sport,
                    "--metrics-addr", "127.0.0.1", "--concurrency", (char *)concurrency,
                    "--insecure-registry", (char *)sf_t_registry(), "--client-id", cid,
                    "--grace", "30", "--log-level", "info",
                    /* not a cluster: the NULL here ends argv */
                    cluster ? "--redis-cluster" : NULL, "1", NULL};
    return wt_spawn(argv, logp);
}

int wt_fleet_assigned(const sf_t_scratch *s, int i)
{
    char logp[400], line[1024];
    snprintf(logp, sizeof logp, "%s/worker-%d.log", s->dir, i);
    FILE *f = fopen(logp, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        /* ts=... comp=kcons msg="partitions assigned" count=2 */
        const char *a = strstr(line, "msg=\"partitions assigned\"");
        const char *r = a ? NULL : strstr(line, "msg=\"partitions revoked\"");
        const char *c = a ? strstr(a, " count=") : r ? strstr(r, " count=") : NULL;
        if (c)
            n += (a ? 1 : -1) * (int)strtol(c + strlen(" count="), NULL, 10);
    }
    if (f)
        fclose(f);
    return n;
}

int wt_wait_fleet_settled(const sf_t_scratch *s, const pid_t *w, const int *ports, int n,
                          int partitions, int timeout_s)
{
    uint64_t t0 = t_now_ms();
    int stable = 0;
    while (t_now_ms() - t0 < (uint64_t)timeout_s * 1000) {
        int ok = 1;
        for (int i = 0; i < n; i++)
            if (waitpid(w[i], NULL, WNOHANG) == w[i]) {
                char logp[400];
                snprintf(logp, sizeof logp, "%s/worker-%d.log", s->dir, i);
                wt_untrack(w[i]);
                fprintf(stderr, "worker %d exited before taking jobs\n", i);
                wt_tail(logp, 20);
                return -2;
            }
        for (int i = 0; i < n && ok; i++) {
            char page[1024];
            ok = wt_http_get(ports[i], "/healthz", page, sizeof page) == 0 &&
                 strstr(page, " 200 ") && wt_fleet_assigned(s, i) == partitions / n;
        }
        stable = ok ? stable + 1 : 0;
        if (stable == 2)
            return 0;
        wt_sleep_ms(500);
    }
    return -1;
}

int wt_stop_fleet(const sf_t_scratch *s, const pid_t *w, int n, int timeout_s, int *status)
{
    int bad = -1;
    for (int i = 0; i < n; i++)
        kill(w[i], SIGTERM);
    for (int i = 0; i < n; i++) {
        int st = wt_stop(w[i], timeout_s);
        wt_untrack(w[i]);
        if (bad < 0 && !(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
            char logp[400];
            snprintf(logp, sizeof logp, "%s/worker-%d.log", s->dir, i);
            wt_tail(logp, 30);
            *status = st;
            bad = i;
        }
    }
    return bad;
}

sf_kcons *wt_results_reader(const char *run, const char *topic, int max_in_flight)
{
    char rg[200];
    snprintf(rg, sizeof rg, "%s.reader", run);
    sf_kcons *rr = NULL;
    sf_kcons_opts ro = {.brokers = sf_t_kafka(), .group = rg, .topic = topic,
                        .max_in_flight = max_in_flight};
    return sf_kcons_new(&rr, &ro, NULL) == SF_OK ? rr : NULL;
}

json_t *wt_poll_result(sf_kcons *rr, const char *run)
{
    sf_kmsg *m = NULL;
    if (sf_kcons_poll(rr, 200, &m, NULL) != SF_OK || !m)
        return NULL;
    json_error_t je;
    json_t *r = json_loadb(m->value, m->len, 0, &je);
    const char *dg = json_string_value(json_object_get(r, "digest"));
    const char *rid = json_string_value(json_object_get(r, "run_id"));
    if (!dg || !rid || strcmp(rid, run) != 0) {
        json_decref(r);
        r = NULL;
    }
    sf_kcons_done(rr, m);
    return r;
}

void wt_delete_topics(const char *brokers, const char *jobs, const char *results,
                                    const char *dlq)
{
    sf_kprod *p = NULL;
    sf_kprod_opts po = {.brokers = brokers};
    if (sf_kprod_new(&p, &po, NULL) != SF_OK)
        return;
    sf_kprod_delete_topic(p, jobs, 15000, NULL);
    sf_kprod_delete_topic(p, results, 15000, NULL);
    sf_kprod_delete_topic(p, dlq, 15000, NULL);
    sf_kprod_free(p);
}

void wt_rm_rf(const char *dir)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

long wt_redis_del_prefix(const char *prefix)
{
    return sf_t_redis_del_prefix(prefix);
}

int wt_wait_200(int port, const char *path, int tries)
{
    for (int i = 0; i < tries; i++) {
        char page[512];
        if (wt_http_get(port, path, page, sizeof page) == 0 && strstr(page, " 200 "))
            return 0;
        wt_sleep_ms(100);
    }
    return -1;
}

int64_t wt_committed(const char *group, const char *topic)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", sf_t_kafka(), errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk)
        return -1;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(l, topic, 0);
    int64_t off = -1;
    if (rd_kafka_committed(rk, l, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR && !l->elems[0].err)
        off = l->elems[0].offset;
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return off;
}
