/*
 * Integration test of the refs of digests skipped as current (bus/msg_refs.h)
 * on the real stack: registry, Kafka and Redis at sf_t_registry/kafka/redis()
 * (corpus images from tests/fixtures/push-corpus),
 * and the real programs: scanfarm-coordinator, scanfarm-worker and
 * `scanfarm aggregate`. Names are "refs-it-<pid>" (repository, topics, key
 * prefix, group, run ids) so parallel tests never meet.
 *
 *  1. corpus/alpine:3.10.3 is tagged refs-it-<pid>/app:v1 (D1). Run 1: one
 *     job, the worker scans it, the aggregator shows app:v1 with findings.
 *  2. The same manifest is PUT as app:v2 (same digest D1). Run 2: the
 *     coordinator skips D1 as current (no job) and publishes a refs
 *     message; the aggregator now shows both tags on D1 with the same
 *     findings (query cve, the view, report --run 2; run 2 is complete
 *     with 0 jobs and 1 digest current), and the worker
 *     neither got a job nor fetched a layer (its metrics).
 *  3. app:v1 moves to corpus/alpine:3.12.12 (D2). Run 3: D2 is scanned,
 *     D1 skipped again with refs [v2] only: v1 is no longer reported under
 *     D1 (view, query cve, report) and resolves to D2.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <jansson.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agg.h"
#include "coord_fix.h"
#include "fleet/agg_view.h"
#include "base/buf.h"
#include "bus/kprod.h"
#include "cache/keys.h"
#include "cache/kv.h"
#include "testutil.h"
#include "worker_helpers.h"
#include "vuln/vdb.h"
#include "vuln/vdb_build.h"

#define METRICS_PORT_BASE 19600

static sf_t_scratch S; /* name, folder, DB path, topics; one cleanup */
static char g_cfg[224], g_bin[512], g_src[512];
static char g_repo[160];
static char g_d1[100], g_d2[100], g_ref1[200], g_ref2[200];
static int g_mport;
static sf_kv *g_kv;
static sf_kprod *g_prod; /* topic admin */
static pid_t g_worker = -1, g_agg = -1;

/* Stop a spawned program (SIGTERM, then SIGKILL after 10 s). */
static void stop(pid_t *pid)
{
    if (*pid > 0)
        wt_stop(*pid, 10);
    *pid = -1;
}

static int build_db(void) { return sf_t_build_db(S.db, NULL, 0); }

static int setup(void **state)
{
    (void)state;
    char cmd[1024], src[160], dst[200];
    const char *s = getenv("SF_SRC"), *b = getenv("SF_BIN");
    snprintf(g_src, sizeof g_src, "%s", s ? s : ".");
    snprintf(g_bin, sizeof g_bin, "%s", b ? b : "./build/bin");
    if (sf_t_stack_setup(SF_T_STACK) != 0 || sf_t_scratch_open(&S, "refs-it") != 0)
        return -1;
    g_mport = METRICS_PORT_BASE + (int)(getpid() % 300);
    snprintf(g_repo, sizeof g_repo, "%s/app", S.name);
    snprintf(g_ref1, sizeof g_ref1, "%s/%s:v1", sf_t_registry(), g_repo);
    snprintf(g_ref2, sizeof g_ref2, "%s/%s:v2", sf_t_registry(), g_repo);
    if (sf_t_coord_config(g_cfg, sizeof g_cfg, &S, g_repo) != 0)
        return -1;
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/push-corpus --registry %s --list %s/corpus.json --quiet",
             g_src, sf_t_registry(), S.dir);
    if (system(cmd) != 0 || build_db() != SF_OK)
        return -1;
    snprintf(src, sizeof src, "corpus/alpine:3.10.3");
    snprintf(dst, sizeof dst, "%s:v1", g_repo);
    if (sf_t_regtag("", src, dst, g_d1, sizeof g_d1) != 0)
        return -1;
    const char *nodes[] = {sf_t_redis()};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1};
    if (sf_kv_new(&g_kv, &ko, NULL) != SF_OK || sf_kv_ping(g_kv, 0, NULL) != SF_OK)
        return -1;
    sf_kprod_opts po = {.brokers = sf_t_kafka()};
    if (sf_kprod_new(&g_prod, &po, NULL) != SF_OK)
        return -1;
    if (sf_t_scratch_topics(&S, 3) != 0)
        return -1;
    /* Worker and aggregator run through all three coordinator runs. */
    char wlog[256], alog[256], port[16];
    snprintf(wlog, sizeof wlog, "%s/worker.log", S.dir);
    snprintf(alog, sizeof alog, "%s/agg.log", S.dir);
    snprintf(port, sizeof port, "%d", g_mport);
    char wbin[600], sbin[600], group[96], agroup[96];
    snprintf(wbin, sizeof wbin, "%s/scanfarm-worker", g_bin);
    snprintf(sbin, sizeof sbin, "%s/scanfarm", g_bin);
    snprintf(group, sizeof group, "%s-w", S.name);
    snprintf(agroup, sizeof agroup, "%s-a", S.name);
    char *wargv[] = {wbin, "--kafka", (char *)sf_t_kafka(), "--redis", (char *)sf_t_redis(),
                     "--key-prefix", S.name, "--db", S.db, "--group", group, "--jobs-topic",
                     S.jobs, "--results-topic", S.results, "--dlq-topic", S.dlq,
                     "--metrics-port", port, "--metrics-addr", "127.0.0.1", "--concurrency", "1",
                     "--insecure-registry", (char *)sf_t_registry(), "--session-timeout-ms", "6000", "--grace", "10",
                     NULL};
    char *aargv[] = {sbin, "aggregate", "--kafka", (char *)sf_t_kafka(), "--redis",
                     (char *)sf_t_redis(), "--prefix", S.name, "--group", agroup,
                     "--results-topic", S.results, "--dlq-topic", S.dlq, NULL};
    g_worker = wt_spawn(wargv, wlog);
    g_agg = wt_spawn(aargv, alog);
    return g_worker > 0 && g_agg > 0 ? 0 : -1;
}

/* Delete every key under the test's prefix (SCAN, not KEYS). */
static void drop_keys(void)
{
    char cmd[768], host[128];
    const char *r = sf_t_redis(), *colon = strrchr(r, ':');
    snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - r) : (int)strlen(r), r);
    const char *port = colon ? colon + 1 : "6379";
    snprintf(cmd, sizeof cmd,
             "redis-cli -h %s -p %s --scan --pattern '%s:*' | "
             "xargs -r -n 100 redis-cli -h %s -p %s DEL >/dev/null",
             host, port, S.name, host, port);
    if (system(cmd) != 0)
        fprintf(stderr, "could not drop the test's Redis keys\n");
}

static int teardown(void **state)
{
    (void)state;
    stop(&g_worker);
    stop(&g_agg);
    if (g_kv)
        drop_keys();
    sf_kv_free(g_kv);
    sf_kprod_free(g_prod);
    sf_t_scratch_close(&S);
    return 0;
}

/* HGET on the aggregator's hash name; malloc'd or NULL. */
static char *agg_hget(const char *name, const char *field_)
{
    return sf_t_agg_hget(g_kv, S.name, name, field_);
}

/* Wait (up to 120 s) until ref maps to digest in the aggregator. */
static int wait_ref(const char *ref, const char *digest)
{
    for (int i = 0; i < 600; i++) {
        char *d = agg_hget("refs", ref);
        int ok = d && strcmp(d, digest) == 0;
        free(d);
        if (ok)
            return 0;
        usleep(200000);
    }
    fprintf(stderr, "%s never mapped to %s\n", ref, digest);
    return -1;
}

static sf_agg_view *view_of(const char *digest)
{
    char *j = agg_hget("views", digest);
    sf_agg_view *v = NULL;
    assert_non_null(j);
    assert_int_equal(sf_agg_view_parse(j, strlen(j), &v, NULL), SF_OK);
    free(j);
    return v;
}

static int view_has_ref(const sf_agg_view *v, const char *ref)
{
    for (size_t i = 0; i < v->nrefs; i++)
        if (strcmp(v->refs[i], ref) == 0)
            return 1;
    return 0;
}

/* The findings of a view as one comparable string. */
static char *findings_of(const sf_agg_view *v)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    for (size_t i = 0; i < v->nvulns; i++)
        sf_buf_printf(&b, "%s|%s|%s|%s|%s\n", v->vulns[i].id, v->vulns[i].pkg,
                      v->vulns[i].installed ? v->vulns[i].installed : "",
                      v->vulns[i].fixed ? v->vulns[i].fixed : "", sf_agg_sev_name(v->vulns[i].sev));
    return sf_buf_steal(&b, NULL);
}

static json_t *run_json(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s/scanfarm %s --redis %s --prefix %s", g_bin, args, sf_t_redis(),
             S.name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t je;
    json_t *j = json_loadf(p, 0, &je);
    assert_int_equal(pclose(p), 0);
    assert_non_null(j);
    return j;
}

/* Rows of `query cve id --json` for digest: their distinct refs (a flaw
 * in two packages gives two rows per ref), "|"-joined sorted. */
static void cve_refs(const char *id, const char *digest, char *out, size_t cap)
{
    char args[256];
    snprintf(args, sizeof args, "query cve %s --json", id);
    json_t *rows = run_json(args), *r;
    size_t i;
    const char *got[16];
    size_t n = 0;
    json_array_foreach(rows, i, r) {
        const char *d = json_string_value(json_object_get(r, "digest"));
        const char *ref = json_string_value(json_object_get(r, "ref"));
        int dup = 0;
        for (size_t k = 0; ref && k < n; k++)
            dup |= strcmp(got[k], ref) == 0;
        if (d && ref && !dup && strcmp(d, digest) == 0 && n < 16)
            got[n++] = ref;
    }
    for (size_t a = 0; a < n; a++) /* tiny n: insertion sort */
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(got[b], got[a]) < 0) {
                const char *t = got[a];
                got[a] = got[b], got[b] = t;
            }
    out[0] = '\0';
    for (size_t k = 0, o = 0; k < n && o < cap; k++)
        o += (size_t)snprintf(out + o, cap - o, "%s%s", k ? "|" : "", got[k]);
    json_decref(rows);
}

/* Sum of a worker counter over its label sets, from /metrics. */
static double worker_metric(const char *name)
{
    char cmd[256], line[1024];
    double sum = 0;
    snprintf(cmd, sizeof cmd, "curl -s http://127.0.0.1:%d/metrics", g_mport);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t nl = strlen(name);
    while (fgets(line, sizeof line, p))
        if (strncmp(line, name, nl) == 0 && (line[nl] == '{' || line[nl] == ' ')) {
            const char *sp = strrchr(line, ' ');
            sum += sp ? strtod(sp + 1, NULL) : 0;
        }
    pclose(p);
    return sum;
}

/* The report of run n (scanfarm.report/v1) holds digest's image with
 * exactly the refs given (NULL-terminated). */
static void report_refs(int n, const char *digest, const char *const *want)
{
    char args[256];
    snprintf(args, sizeof args, "report --format json --run %s-%d", S.name, n);
    json_t *rep = run_json(args), *img;
    size_t i, found = 0;
    json_array_foreach(json_object_get(rep, "worst_images"), i, img) {
        const char *dg = json_string_value(json_object_get(img, "digest"));
        if (!dg || strcmp(dg, digest) != 0)
            continue;
        found++;
        json_t *refs = json_object_get(img, "refs");
        size_t nw = 0;
        while (want[nw])
            nw++;
        assert_int_equal(json_array_size(refs), nw);
        for (size_t k = 0; k < nw; k++) {
            int has = 0;
            size_t x;
            json_t *r;
            json_array_foreach(refs, x, r) has |= strcmp(json_string_value(r), want[k]) == 0;
            assert_true(has);
        }
    }
    assert_int_equal(found, 1);
    json_decref(rep);
}

/* Coordinator run n: exit 0, and its jobs delivered, digests skipped as
 * current and refs messages delivered as given. */
static void expect_run(int n, long delivered, long skipped, long refs)
{
    sf_t_coord_sum s = sf_t_coordinator(&S, g_cfg, n);
    assert_int_equal(s.status, 0);
    assert_int_equal(s.delivered, delivered);
    assert_int_equal(s.skipped, skipped);
    assert_int_equal(s.refs_delivered, refs);
}

static void test_agg_refs__new_tag_on_current_digest_is_reported(void **state)
{
    (void)state;
    char dst[200], refs[1024], want[1024];
    /* Run 1: one job, scanned; the aggregator has app:v1 with findings. */
    sf_t_coord_sum s1 = sf_t_coordinator(&S, g_cfg, 1);
    assert_int_equal(s1.status, 0);
    assert_int_equal(s1.delivered, 1);
    assert_int_equal(s1.skipped, 0);
    assert_int_equal(wait_ref(g_ref1, g_d1), 0);
    sf_agg_view *v1 = view_of(g_d1);
    assert_true(v1->nvulns > 0);
    char *f1 = findings_of(v1);
    char cve[128];
    snprintf(cve, sizeof cve, "%s", v1->vulns[0].id);
    sf_agg_view_free(v1);
    /* The worker counts a job once its result's delivery is confirmed,
     * which can come after the aggregator already folded the result. */
    double jobs1 = 0;
    for (int i = 0; i < 100 && (jobs1 = worker_metric("scanfarm_jobs_total")) < 1; i++)
        usleep(100 * 1000);
    double layers1 = worker_metric("scanfarm_layers_total");
    double bytes1 = worker_metric("scanfarm_layer_bytes_analysed_total");
    assert_true(jobs1 >= 1);

    /* Run 2: a second tag on the same digest; D1 is current, no job. */
    snprintf(dst, sizeof dst, "%s:v2", g_repo);
    char d[100];
    assert_int_equal(sf_t_regtag("", "corpus/alpine:3.10.3", dst, d, sizeof d), 0);
    assert_string_equal(d, g_d1);
    expect_run(2, 0, 1, 1);
    assert_int_equal(wait_ref(g_ref2, g_d1), 0);
    { /* run 2: no job, complete at once, one digest confirmed as current */
        char r2[96];
        sf_agg_progress pr;
        snprintf(r2, sizeof r2, "%s-2", S.name);
        assert_int_equal(sf_agg_progress_get(g_kv, S.name, r2, &pr, NULL), SF_OK);
        assert_int_equal(pr.published, 0);
        assert_int_equal(pr.done, 0);
        assert_int_equal(pr.current, 1);
        assert_true(pr.complete);
    }
    sf_agg_view *v2 = view_of(g_d1);
    assert_int_equal(v2->nrefs, 2);
    assert_true(view_has_ref(v2, g_ref1) && view_has_ref(v2, g_ref2));
    char *f2 = findings_of(v2);
    assert_string_equal(f1, f2); /* same findings, not rescanned */
    { /* the findings still come from run 1's result */
        char r1[96];
        snprintf(r1, sizeof r1, "%s-1", S.name);
        assert_string_equal(v2->run_id, r1);
    }
    sf_agg_view_free(v2);
    cve_refs(cve, g_d1, refs, sizeof refs);
    snprintf(want, sizeof want, "%s|%s", g_ref1, g_ref2);
    assert_string_equal(refs, want);
    const char *both[] = {g_ref1, g_ref2, NULL};
    report_refs(2, g_d1, both);
    /* The worker got no job and fetched no layer for run 2. */
    assert_true(worker_metric("scanfarm_jobs_total") == jobs1);
    assert_true(worker_metric("scanfarm_layers_total") == layers1);
    assert_true(worker_metric("scanfarm_layer_bytes_analysed_total") == bytes1);
    free(f1);
    free(f2);

    /* Run 3: v1 moves to another image (D2, scanned); D1 keeps v2 only. */
    snprintf(dst, sizeof dst, "%s:v1", g_repo);
    assert_int_equal(sf_t_regtag("", "corpus/alpine:3.12.12", dst, g_d2, sizeof g_d2), 0);
    assert_string_not_equal(g_d2, g_d1);
    expect_run(3, 1, 1, 1);
    assert_int_equal(wait_ref(g_ref1, g_d2), 0);
    for (int i = 0; i < 300; i++) { /* the refs message may land after D2's result */
        sf_agg_view *v = view_of(g_d1);
        int moved = !view_has_ref(v, g_ref1);
        sf_agg_view_free(v);
        if (moved)
            break;
        usleep(200000);
    }
    sf_agg_view *v3 = view_of(g_d1);
    assert_int_equal(v3->nrefs, 1);
    assert_string_equal(v3->refs[0], g_ref2);
    sf_agg_view_free(v3);
    cve_refs(cve, g_d1, refs, sizeof refs);
    assert_string_equal(refs, g_ref2);
    const char *only2[] = {g_ref2, NULL};
    report_refs(3, g_d1, only2);
    sf_agg_view *vd2 = view_of(g_d2);
    assert_int_equal(vd2->nrefs, 1);
    assert_string_equal(vd2->refs[0], g_ref1);
    sf_agg_view_free(vd2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_refs__new_tag_on_current_digest_is_reported),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
