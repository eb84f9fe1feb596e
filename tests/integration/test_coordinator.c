/*
 * Integration tests of scanfarm-coordinator against real services: the
 * stack's registry and Kafka (sf_t_registry/kafka(), testutil.h), and
 * registries this test starts itself (docker-registry behind htpasswd
 * basic auth with bcrypt, behind token auth with tests/fixtures/
 * tokenserver.py, behind tests/fixtures/faultproxy.py answering 429 with
 * Retry-After and 503). Images are pushed with tests/fixtures/regpush.py,
 * which prints every repo/tag/digest it pushed: that is the expectation.
 * The coordinator binary runs as a subprocess; its jobs are read back
 * from a topic created for this test run, and must be exactly one job per
 * digest whose refs are exactly the pushed tags of that digest.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus/kprod.h"
#include "base/digest.h"
#include "bus/msg_job.h"
#include "testutil.h"

/* The stack's addresses (testutil.h), read once in setup. */
static char g_kafka[128] = "127.0.0.1:9092";
static char g_shared[128] = "127.0.0.1:5000";
#define KAFKA g_kafka
#define SHARED g_shared
/* The basic-auth registry's account, as regpush flags and as the
 * coordinator's environment (the htpasswd in setup holds the same). */
#define BASIC_USER "--user reguser --password 'p@ss w0rd!'"
#define BASIC_ENV "SCANFARM_REGISTRY_USERNAME=reguser SCANFARM_REGISTRY_PASSWORD='p@ss w0rd!'"

static char g_tmp[64];
static char g_src[512], g_bin[512];
static int g_basic_port, g_tok_port, g_ts_port, g_proxy_port, g_dead_port, g_tls_port;
static pid_t g_pids[8];
static int g_npids;
static int g_topic_seq;
static char g_topics[16][128]; /* created here, deleted in teardown */
static int g_ntopics;
static int g_carried; /* jobs of the last read_jobs carrying their manifest */

/* ---- process and port helpers ---- */

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof a;
    bind(s, (struct sockaddr *)&a, sizeof a);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static int wait_port(int port)
{
    for (int i = 0; i < 100; i++) {
        if (port_open(port))
            return 1;
        usleep(100000);
    }
    return 0;
}

static void spawn(const char *logname, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void write_file(const char *name, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int coordinator(char **log, const char *env, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Start a background command (sh -c), output to logname in g_tmp. */
static void spawn(const char *logname, const char *fmt, ...)
{
    char cmd[2048], log[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(log, sizeof log, "%s/%s", g_tmp, logname);
    pid_t p = fork();
    if (p == 0) {
        setpgid(0, 0);
        FILE *f = freopen(log, "w", stdout);
        (void)f;
        dup2(1, 2);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    g_pids[g_npids++] = p;
}

static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_file(const char *name, const char *fmt, ...)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fclose(f);
}

static void start_registry(const char *name, int port, const char *auth_yaml)
{
    write_file(name,
               "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
               "storage:\n  filesystem:\n    rootdirectory: %s/%s-data\n"
               "http:\n  addr: 127.0.0.1:%d\n%s",
               g_tmp, name, port, auth_yaml);
    char log[128];
    snprintf(log, sizeof log, "%s.log", name);
    spawn(log, "exec /usr/bin/docker-registry serve %s/%s", g_tmp, name);
}

/* ---- expectations and Kafka read-back ---- */

/* digest -> JSON array of refs, from regpush output (and job reads);
 * regpush speaks `scheme` ("http", "https") to host. */
static void push_to(json_t *expect, const char *scheme, const char *host, const char *args)
{
    char cmd[2048], line[1024];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/fixtures/regpush.py --registry %s://%s %s",
             g_src, scheme, host, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof line, p)) {
        json_t *o = json_loads(line, 0, NULL);
        assert_non_null(o);
        const char *d = json_string_value(json_object_get(o, "digest"));
        char ref[512];
        snprintf(ref, sizeof ref, "%s/%s:%s", host,
                 json_string_value(json_object_get(o, "repo")),
                 json_string_value(json_object_get(o, "tag")));
        json_t *a = json_object_get(expect, d);
        if (!a) {
            a = json_array();
            json_object_set_new(expect, d, a);
        }
        json_array_append_new(a, json_string(ref));
        json_decref(o);
    }
    assert_int_equal(pclose(p), 0);
}

static void push(json_t *expect, const char *host, const char *args)
{
    push_to(expect, "http", host, args);
}

static char *new_topic(void)
{
    static char t[128];
    snprintf(t, sizeof t, "reg-it-%d-%ld-%d", (int)getpid(), (long)time(NULL), g_topic_seq++);
    sf_kprod *p = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_kprod_opts o = {.brokers = KAFKA};
    assert_int_equal(sf_kprod_new(&p, &o, &e), SF_OK);
    if (sf_kprod_create_topic(p, t, 3, 1, 15000, &e))
        fail_msg("create topic: %s", e.msg);
    sf_kprod_free(p);
    if (g_ntopics < 16)
        snprintf(g_topics[g_ntopics++], sizeof g_topics[0], "%s", t);
    return t;
}

static int cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static void sort_array(json_t *a)
{
    size_t n = json_array_size(a);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(a, i));
    qsort(v, n, sizeof *v, cmp_json_str);
    json_array_clear(a);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, v[i]);
    free(v);
}

/* Read every job of topic (all partitions, from the start to the end)
 * into digest -> refs; *dups counts digests seen more than once. A job
 * carrying its root manifest must carry bytes that hash to its digest
 * (g_carried counts them). */
static json_t *read_jobs(const char *topic, const char *run_id, int *dups, int *total)
{
    char es[256];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    rd_kafka_conf_set(c, "bootstrap.servers", KAFKA, es, sizeof es);
    rd_kafka_conf_set(c, "group.id", topic, es, sizeof es);
    rd_kafka_conf_set(c, "enable.partition.eof", "true", es, sizeof es);
    rd_kafka_conf_set(c, "enable.auto.commit", "false", es, sizeof es);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, es, sizeof es);
    assert_non_null(rk);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(3);
    for (int i = 0; i < 3; i++)
        rd_kafka_topic_partition_list_add(parts, topic, i)->offset = RD_KAFKA_OFFSET_BEGINNING;
    assert_int_equal(rd_kafka_assign(rk, parts), 0);
    rd_kafka_topic_partition_list_destroy(parts);
    json_t *got = json_object();
    int eofs = 0;
    *dups = 0, *total = 0;
    g_carried = 0;
    for (int idle = 0; eofs < 3 && idle < 300;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            idle++;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (!m->err) {
            sf_job j;
            sf_error e = SF_ERROR_INIT;
            if (sf_job_decode(m->payload, m->len, &j, &e))
                fail_msg("bad job on topic: %s", e.msg);
            assert_int_equal(m->key_len, strlen(j.digest));
            assert_memory_equal(m->key, j.digest, m->key_len);
            if (!run_id || strcmp(j.run_id, run_id) == 0) {
                (*total)++;
                if (j.manifest && sf_digest_verify(j.digest, j.manifest, j.manifest_len, &e))
                    fail_msg("job carries a manifest that is not its digest's: %s", e.msg);
                g_carried += j.manifest != NULL;
                if (json_object_get(got, j.digest))
                    (*dups)++;
                json_t *a = json_array();
                for (size_t i = 0; i < j.nrefs; i++)
                    json_array_append_new(a, json_string(j.refs[i]));
                json_object_set_new(got, j.digest, a);
            }
            sf_job_clear(&j);
        }
        rd_kafka_message_destroy(m);
    }
    assert_int_equal(eofs, 3);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return got;
}

/* Exactly the expected digests, each once, with exactly its refs. */
static void assert_jobs_match(json_t *expect, json_t *got, int dups)
{
    const char *d;
    json_t *a;
    assert_int_equal(dups, 0);
    json_object_foreach(expect, d, a)
    {
        json_t *g = json_object_get(got, d);
        if (!g)
            fail_msg("no job for %s (%s)", d, json_string_value(json_array_get(a, 0)));
        sort_array(a);
        sort_array(g);
        if (!json_equal(a, g)) {
            char *x = json_dumps(a, 0), *y = json_dumps(g, 0);
            fail_msg("refs differ for %s: want %s got %s", d, x, y);
        }
    }
    json_object_foreach(got, d, a)
    {
        if (!json_object_get(expect, d))
            fail_msg("unexpected job for %s", d);
    }
}

/* The basic-auth registry's fleet (host:port into host): pushed, and
 * returned as the jobs it must yield (digest -> refs). */
static json_t *push_basic(char *host, size_t hostlen)
{
    snprintf(host, hostlen, "127.0.0.1:%d", g_basic_port);
    json_t *expect = json_object();
    push(expect, host, BASIC_USER " --prefix reg-it/basic --repos 4 --tags 2 --alias 1 --index");
    return expect;
}

/* The jobs on topic (any run) are exactly expect's. */
static void assert_topic_jobs(json_t *expect, const char *topic)
{
    int dups, total;
    json_t *got = read_jobs(topic, NULL, &dups, &total);
    assert_jobs_match(expect, got, dups);
    json_decref(got);
}

/* Run the coordinator; return its exit status, log text in *log. */
static int coordinator(char **log, const char *env, const char *fmt, ...)
{
    char args[4096], path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(path, sizeof path, "%s/coord.log", g_tmp);
    int st = sh("%s %s/scanfarm-coordinator --once --progress never --kafka %s %s > %s 2>&1",
                env ? env : "", g_bin, KAFKA, args, path);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    *log = buf;
    return st;
}

/* ---- setup ---- */

static int group_setup(void **state)
{
    (void)state;
    const char *s = getenv("SF_SRC"), *b = getenv("SF_BIN");
    snprintf(g_src, sizeof g_src, "%s", s ? s : ".");
    snprintf(g_bin, sizeof g_bin, "%s", b ? b : "./build/bin");
    snprintf(g_kafka, sizeof g_kafka, "%s", sf_t_kafka());
    snprintf(g_shared, sizeof g_shared, "%s", sf_t_registry());
    /* To a coordinator this means "also enumerate this registry". */
    unsetenv("SCANFARM_REGISTRY");
    if (!sf_t_addr_up(g_kafka) || !sf_t_addr_up(g_shared)) {
        fprintf(stderr, "Kafka %s or registry %s not reachable\n", g_kafka, g_shared);
        return -1;
    }
    snprintf(g_tmp, sizeof g_tmp, "/tmp/sf-reg-it-XXXXXX");
    if (!mkdtemp(g_tmp))
        return -1;
    g_basic_port = free_port(), g_tok_port = free_port(), g_ts_port = free_port();
    g_proxy_port = free_port(), g_dead_port = free_port(), g_tls_port = free_port();
    /* Basic auth with a bcrypt htpasswd entry. */
    if (sh("htpasswd -Bbc %s/htpasswd reguser 'p@ss w0rd!' >/dev/null 2>&1", g_tmp))
        return -1;
    char auth[1024];
    snprintf(auth, sizeof auth,
             "auth:\n  htpasswd:\n    realm: sf-basic\n    path: %s/htpasswd\n", g_tmp);
    start_registry("basic.yml", g_basic_port, auth);
    /* Token auth: a throwaway RSA key and self-signed certificate. */
    if (sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem "
           "-days 1 -subj /CN=sf-test-token >/dev/null 2>&1", g_tmp, g_tmp))
        return -1;
    snprintf(auth, sizeof auth,
             "auth:\n  token:\n    realm: http://127.0.0.1:%d/token\n    service: sf-it\n"
             "    issuer: sf-it-issuer\n    rootcertbundle: %s/cert.pem\n",
             g_ts_port, g_tmp);
    start_registry("token.yml", g_tok_port, auth);
    spawn("tokenserver.log",
          "exec python3 %s/tests/fixtures/tokenserver.py --port %d --key %s/key.pem "
          "--cert %s/cert.pem --issuer sf-it-issuer --user tokuser --password tokpass",
          g_src, g_ts_port, g_tmp, g_tmp);
    /* TLS with a self-signed certificate for 127.0.0.1. */
    if (sh("openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/tls.key -out %s/tls.crt "
           "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1",
           g_tmp, g_tmp))
        return -1;
    snprintf(auth, sizeof auth, "  tls:\n    certificate: %s/tls.crt\n    key: %s/tls.key\n",
             g_tmp, g_tmp);
    start_registry("tls.yml", g_tls_port, auth);
    /* The fault proxy in front of the shared registry: the first 4
     * requests fail (429 with Retry-After: 1, 503, ...), then every 7th. */
    spawn("faultproxy.log",
          "exec python3 %s/tests/fixtures/faultproxy.py --port %d --upstream http://%s "
          "--fail-first 4 --fail-every 7 --retry-after 1",
          g_src, g_proxy_port, SHARED);
    if (!wait_port(g_basic_port) || !wait_port(g_tok_port) || !wait_port(g_ts_port) ||
        !wait_port(g_proxy_port) || !wait_port(g_tls_port))
        return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < g_npids; i++) {
        kill(-g_pids[i], SIGTERM);
        waitpid(g_pids[i], NULL, 0);
    }
    sf_kprod *p = NULL;
    sf_kprod_opts o = {.brokers = KAFKA};
    if (g_ntopics && sf_kprod_new(&p, &o, NULL) == SF_OK) {
        for (int i = 0; i < g_ntopics; i++)
            sf_kprod_delete_topic(p, g_topics[i], 15000, NULL);
        sf_kprod_free(p);
    }
    if (g_tmp[0] && !getenv("SF_KEEP_TMP"))
        sh("rm -rf %s", g_tmp);
    return 0;
}

/* ---- cases ---- */

static void test_coordinator_fleet__catalog_pages_dedupe_index(void **state)
{
    (void)state;
    json_t *expect = json_object();
    /* 1,000 repositories, v0 and alias0 share a digest, v1 another. */
    push(expect, SHARED, "--prefix reg-it/fleet --repos 1000 --tags 2 --alias 1 --threads 6");
    /* The same manifest in 5 repositories: one job carrying all refs. */
    push(expect, SHARED, "--prefix reg-it/shared --repos 5 --tags 1 --alias 1 "
                         "--same-digest-across-repos");
    /* Multi-arch index plus its platform manifests. */
    push(expect, SHARED, "--prefix reg-it/multi --repos 3 --tags 1 --index");
    assert_true(json_object_size(expect) >= 2000 + 1 + 3 * 4);
    json_t *shared_refs = NULL;
    const char *d;
    json_t *a;
    json_object_foreach(expect, d, a) if (json_array_size(a) == 10) shared_refs = a;
    assert_non_null(shared_refs);

    write_file("fleet.json",
               "{\"registries\":[{\"url\":\"http://%s\",\"page_size\":100,"
               "\"include\":[\"reg-it/fleet/*\",\"reg-it/shared/*\",\"reg-it/multi/*\"]}]}",
               SHARED);
    char *topic = new_topic(), *log, run_id[64];
    snprintf(run_id, sizeof run_id, "reg-it-fleet-%d", (int)getpid());
    /* A merge window (the default 0 publishes per repository) with no
     * time limit: all refs of the shared digest must land in one job
     * however slow the machine is. */
    int st = coordinator(&log, NULL, "--config %s/fleet.json --topic %s --run-id %s "
                                     "--merge-window 100000 --merge-hold 0",
                         g_tmp, topic, run_id);
    if (st != 0)
        fail_msg("coordinator exit %d:\n%s", st, log);
    assert_non_null(strstr(log, "registries_failed=0"));
    char want[64];
    snprintf(want, sizeof want, "digests=%zu ", json_object_size(expect));
    if (!strstr(log, want))
        fail_msg("summary lacks %s:\n%s", want, log);
    int dups, total;
    json_t *got = read_jobs(topic, run_id, &dups, &total);
    assert_int_equal(total, (int)json_object_size(expect));
    assert_jobs_match(expect, got, dups);
    /* Every manifest (images and indexes alike) is small: each rides in its job. */
    assert_int_equal(g_carried, total);
    /* The catalog was paged: at least 10 pages of 100 for our repos. */
    fprintf(stderr, "fleet: %d jobs; %s", total, strstr(log, "run enumerated"));
    json_decref(got);
    json_decref(expect);
}

static void test_coordinator_auth__basic_bcrypt(void **state)
{
    (void)state;
    char host[64], env[256];
    json_t *expect = push_basic(host, sizeof host);
    char *topic = new_topic(), *log;
    int st = coordinator(&log, BASIC_ENV, "--registry http://%s --topic %s", host, topic);
    if (st != 0)
        fail_msg("coordinator exit %d:\n%s", st, log);
    assert_topic_jobs(expect, topic);
    /* Wrong password: the registry is reported and skipped, and neither
     * password shows up anywhere in the output. */
    snprintf(env, sizeof env,
             "SCANFARM_REGISTRY_USERNAME=reguser SCANFARM_REGISTRY_PASSWORD='WrongSecret99'");
    st = coordinator(&log, env, "--registry http://%s --topic %s", host, topic);
    assert_int_equal(st, 1);
    assert_non_null(strstr(log, "registry skipped"));
    assert_non_null(strstr(log, "auth"));
    assert_null(strstr(log, "WrongSecret99"));
    assert_null(strstr(log, "p@ss"));
    json_decref(expect);
}

static void test_coordinator_auth__bearer_token_flow(void **state)
{
    (void)state;
    char host[64], env[256], url[128];
    snprintf(host, sizeof host, "127.0.0.1:%d", g_tok_port);
    json_t *expect = json_object();
    push(expect, host, "--user tokuser --password tokpass --prefix reg-it/tok --repos 6 "
                       "--tags 3 --alias 2");
    snprintf(url, sizeof url, "curl -s http://127.0.0.1:%d/stats > %s/ts0.json", g_ts_port,
             g_tmp);
    sh("%s", url);
    char *topic = new_topic(), *log;
    snprintf(env, sizeof env, "SF_TOK_USER=tokuser SF_TOK_PW=tokpass");
    write_file("tok.json",
               "{\"registries\":[{\"url\":\"http://%s\",\"username_env\":\"SF_TOK_USER\","
               "\"password_env\":\"SF_TOK_PW\",\"concurrency\":4}]}",
               host);
    int st = coordinator(&log, env, "--config %s/tok.json --topic %s", g_tmp, topic);
    if (st != 0)
        fail_msg("coordinator exit %d:\n%s", st, log);
    assert_topic_jobs(expect, topic);
    /* Tokens are cached per scope: one per repository plus the catalog,
     * not one per request (6 repos x (1 list + 5 resolves)). */
    snprintf(url, sizeof url, "curl -s http://127.0.0.1:%d/stats > %s/ts1.json", g_ts_port,
             g_tmp);
    sh("%s", url);
    char p0[256], p1[256];
    snprintf(p0, sizeof p0, "%s/ts0.json", g_tmp);
    snprintf(p1, sizeof p1, "%s/ts1.json", g_tmp);
    json_t *s0 = json_load_file(p0, 0, NULL), *s1 = json_load_file(p1, 0, NULL);
    assert_non_null(s0);
    assert_non_null(s1);
    long issued = (long)(json_integer_value(json_object_get(s1, "tokens")) -
                         json_integer_value(json_object_get(s0, "tokens")));
    fprintf(stderr, "bearer: %ld tokens for %zu jobs\n", issued, json_object_size(expect));
    assert_true(issued >= 7 && issued <= 7 + 4 /* concurrent first requests may race */);
    json_decref(s0), json_decref(s1);
    json_decref(expect);
}

static void test_coordinator_faults__429_503_retried(void **state)
{
    (void)state;
    json_t *expect = json_object();
    push(expect, SHARED, "--prefix reg-it/faults --repos 8 --tags 2 --alias 1");
    /* Refs name the proxy's host:port, the registry the coordinator saw. */
    json_t *via = json_object();
    const char *d;
    json_t *a;
    char from[160], to[64];
    snprintf(from, sizeof from, "%s/", SHARED);
    snprintf(to, sizeof to, "127.0.0.1:%d/", g_proxy_port);
    json_object_foreach(expect, d, a)
    {
        json_t *b = json_array();
        size_t i;
        json_t *r;
        json_array_foreach(a, i, r)
        {
            char ref[512];
            snprintf(ref, sizeof ref, "%s%s", to, json_string_value(r) + strlen(from));
            json_array_append_new(b, json_string(ref));
        }
        json_object_set_new(via, d, b);
    }
    write_file("faults.json",
               "{\"registries\":[{\"url\":\"http://127.0.0.1:%d\",\"page_size\":500,"
               "\"include\":[\"reg-it/faults/*\"],\"concurrency\":3}]}",
               g_proxy_port);
    char *topic = new_topic(), *log;
    int st = coordinator(&log, NULL, "--config %s/faults.json --topic %s", g_tmp, topic);
    if (st != 0)
        fail_msg("coordinator exit %d:\n%s", st, log);
    assert_topic_jobs(via, topic);
    char cmd[256], path[256];
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/__stats > %s/proxy.json",
             g_proxy_port, g_tmp);
    sh("%s", cmd);
    snprintf(path, sizeof path, "%s/proxy.json", g_tmp);
    json_t *ps = json_load_file(path, 0, NULL);
    assert_non_null(ps);
    char *dump = json_dumps(ps, JSON_COMPACT);
    fprintf(stderr, "faults: %s\n", dump);
    free(dump);
    assert_true(json_integer_value(json_object_get(ps, "injected_429")) >= 2);
    assert_true(json_integer_value(json_object_get(ps, "injected_503")) >= 3);
    /* Two 429s with Retry-After: 1 came first: nothing was forwarded
     * before they were honoured. */
    assert_true(json_number_value(json_object_get(ps, "first_forward_after_s")) >= 2.0);
    json_decref(ps);
    json_decref(via);
    json_decref(expect);
}

static void test_coordinator_faults__dead_registry_beside_live(void **state)
{
    (void)state;
    char host[64];
    /* Everything in the basic registry is expected (other cases pushed
     * there too). */
    json_t *expect = push_basic(host, sizeof host);
    push(expect, host, BASIC_USER " --prefix reg-it/live --repos 5 --tags 2");
    char *topic = new_topic(), *log;
    int st = coordinator(&log, BASIC_ENV, "--registry http://127.0.0.1:%d --registry http://%s "
                                    "--topic %s",
                         g_dead_port, host, topic);
    assert_int_equal(st, 1);
    assert_non_null(strstr(log, "registries=2 registries_failed=1"));
    assert_non_null(strstr(log, "network="));
    assert_topic_jobs(expect, topic);
    json_decref(expect);
}

static void test_coordinator_tls__verified_unless_insecure(void **state)
{
    (void)state;
    char host[64], args[512];
    snprintf(host, sizeof host, "127.0.0.1:%d", g_tls_port);
    json_t *expect = json_object();
    snprintf(args, sizeof args, "--cafile %s/tls.crt --prefix reg-it/tls --repos 3 --tags 2 "
                                "--index", g_tmp);
    push_to(expect, "https", host, args);
    char *topic = new_topic(), *log;
    /* No scheme means https, verified against the system CAs: refused. */
    int st = coordinator(&log, NULL, "--registry %s --topic %s", host, topic);
    assert_int_equal(st, 1);
    assert_non_null(strstr(log, "registry skipped"));
    /* Trusting the private CA works, with verification on. */
    st = coordinator(&log, NULL, "--registry %s --ca-file %s/tls.crt --topic %s", host, g_tmp,
                     topic);
    if (st != 0)
        fail_msg("coordinator exit %d:\n%s", st, log);
    assert_topic_jobs(expect, topic);
    /* --insecure skips verification (a second run, same digests). */
    char *topic2 = strdup(new_topic());
    st = coordinator(&log, NULL, "--registry https://%s --insecure --topic %s", host, topic2);
    if (st != 0)
        fail_msg("coordinator exit %d:\n%s", st, log);
    assert_topic_jobs(expect, topic2);
    free(topic2);
    json_decref(expect);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coordinator_fleet__catalog_pages_dedupe_index),
        cmocka_unit_test(test_coordinator_auth__basic_bcrypt),
        cmocka_unit_test(test_coordinator_auth__bearer_token_flow),
        cmocka_unit_test(test_coordinator_faults__429_503_retried),
        cmocka_unit_test(test_coordinator_faults__dead_registry_beside_live),
        cmocka_unit_test(test_coordinator_tls__verified_unless_insecure),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
