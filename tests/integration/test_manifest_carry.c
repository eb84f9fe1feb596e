/*
 * The root manifest riding in the job (issue 17; bus/msg_job.h
 * "manifest"), on real parts:
 *
 *   1. engine: sf_scan_registry on the stack's registry with the root
 *      manifest handed in makes exactly one request fewer than without
 *      and gives the same results, for an image and for an index (whose
 *      children are still fetched); bytes that do not hash to the digest
 *      are ignored, fetched, and the results are the same again;
 *   2. end to end: a private docker-registry with its access log, the
 *      coordinator enumerating it and a worker scanning its jobs: every
 *      job carries its manifest, the log shows no HEAD and no GET of any
 *      job's root manifest by digest (an index's children once each at
 *      most), every result is error-free, and the worker's metrics count
 *      every job as carried.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/scan.h"
#include "model/result.h"
#include "registry/registry.h"
#include "testutil.h"
#include "worker_helpers.h"

#define MAXD 16

static sf_t_scratch S;
static char g_src[512];

static int setup(void **state)
{
    (void)state;
    const char *s = getenv("SF_SRC");
    snprintf(g_src, sizeof g_src, "%s", s ? s : ".");
    unsetenv("SCANFARM_REGISTRY"); /* to a coordinator: "also enumerate this" */
    if (sf_t_stack_setup(SF_T_STACK) != 0 || sf_t_scratch_open(&S, "carry") != 0)
        return -1;
    return sf_t_scratch_topics(&S, 1);
}

/* ---- 1. engine ---- */

static sf_reg *open_reg(const char *hostport)
{
    char url[160];
    snprintf(url, sizeof url, "http://%s", hostport);
    sf_reg_opts o = {.url = url, .insecure = 1, .max_retries = -1};
    sf_reg *r = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_reg_new(&r, &o, &e) != SF_OK)
        fail_msg("registry %s: %s", hostport, e.msg);
    return r;
}

/* Scan repo@digest with root bytes man (NULL: none); the registry
 * requests it took in *reqs. */
static sf_scan_report *scan(sf_reg *r, const char *repo, const char *digest, const sf_buf *man,
                            const char *mt, long *reqs)
{
    sf_scan_opts o;
    memset(&o, 0, sizeof o);
    o.max_layer_parallel = 1;
    if (man)
        o.root_manifest = man->data, o.root_manifest_len = man->len, o.root_media_type = mt;
    sf_scan_report *rep = NULL;
    sf_error e = SF_ERROR_INIT;
    long before = sf_reg_requests(r);
    if (sf_scan_registry(r, repo, digest, &o, &rep, &e) != SF_OK)
        fail_msg("scan %s@%s: %s", repo, digest, e.msg);
    *reqs = sf_reg_requests(r) - before;
    return rep;
}

/* a and b found the same images, packages and layers, without error. */
static void same_results(const sf_scan_report *a, const sf_scan_report *b)
{
    assert_int_equal(sf_scan_report_count(a), sf_scan_report_count(b));
    for (size_t i = 0; i < sf_scan_report_count(a); i++) {
        const sf_result *x = sf_scan_report_result(a, i), *y = sf_scan_report_result(b, i);
        if (x->error_code != SF_OK || y->error_code != SF_OK)
            fail_msg("result %zu: %s / %s", i, x->error ? x->error : "-",
                     y->error ? y->error : "-");
        assert_string_equal(x->digest, y->digest);
        assert_int_equal(x->npkgs, y->npkgs);
        assert_int_equal(x->nlayers, y->nlayers);
        for (size_t k = 0; k < x->npkgs; k++)
            assert_string_equal(x->pkgs[k].name, y->pkgs[k].name);
    }
}

static void engine_case(sf_reg *r, const char *repo, const char *tag, size_t want_results)
{
    sf_buf man;
    char mt[128], digest[SF_DIGEST_MAX];
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&man, 0);
    if (sf_reg_get_manifest(r, repo, tag, &man, mt, sizeof mt, digest, &e) != SF_OK)
        fail_msg("%s:%s: %s", repo, tag, e.msg);
    long n_fetch, n_carry, n_bad;
    sf_scan_report *fetched = scan(r, repo, digest, NULL, NULL, &n_fetch);
    sf_scan_report *carried = scan(r, repo, digest, &man, mt, &n_carry);
    assert_int_equal(sf_scan_report_root(fetched), SF_SCAN_ROOT_FETCHED);
    assert_int_equal(sf_scan_report_root(carried), SF_SCAN_ROOT_CARRIED);
    assert_int_equal(sf_scan_report_count(fetched), want_results);
    assert_int_equal(n_carry, n_fetch - 1); /* the root GET, nothing else */
    same_results(fetched, carried);
    /* Bytes that parse but are not the image's: refetched, same results. */
    sf_buf_puts(&man, " ");
    sf_scan_report *bad = scan(r, repo, digest, &man, mt, &n_bad);
    assert_int_equal(sf_scan_report_root(bad), SF_SCAN_ROOT_MISMATCH);
    assert_int_equal(n_bad, n_fetch);
    same_results(fetched, bad);
    fprintf(stderr, "%s:%s: %zu result(s), requests fetched %ld carried %ld mismatch %ld\n",
            repo, tag, want_results, n_fetch, n_carry, n_bad);
    sf_scan_report_free(fetched);
    sf_scan_report_free(carried);
    sf_scan_report_free(bad);
    sf_buf_free(&man);
}

static void test_manifest_carry__engine_uses_verified_root(void **state)
{
    (void)state;
    sf_reg *r = open_reg(sf_t_registry());
    engine_case(r, "corpus/alpine", "3.10.9", 1);
    engine_case(r, "corpus/alpine-multiarch", "3.12.12", 2);
    engine_case(r, "corpus/alpine-multiarch", "3.12.12-manifestlist", 2);
    sf_reg_free(r);
}

/* ---- 2. coordinator -> worker, counted in the access log ---- */

typedef struct pushed {
    char digest[SF_DIGEST_MAX];
    char repo[128];
    int child; /* a platform manifest of the repository's index */
} pushed;

static int push(const char *reg, pushed *out, int max)
{
    char cmd[1024], line[1024];
    snprintf(cmd, sizeof cmd,
             "python3 %s/tests/fixtures/regpush.py --registry http://%s --prefix carry "
             "--repos 2 --tags 1 --alias 1 --index --scannable",
             g_src, reg);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = 0;
    while (fgets(line, sizeof line, p)) {
        json_t *o = json_loads(line, 0, NULL);
        const char *d = json_string_value(json_object_get(o, "digest"));
        int seen = 0;
        for (int i = 0; d && i < n; i++)
            seen |= strcmp(out[i].digest, d) == 0;
        if (d && !seen && n < max) {
            snprintf(out[n].digest, sizeof out[n].digest, "%s", d);
            snprintf(out[n].repo, sizeof out[n].repo, "%s",
                     json_string_value(json_object_get(o, "repo")));
            const char *tag = json_string_value(json_object_get(o, "tag"));
            out[n++].child = tag && strncmp(tag, "plat-", 5) == 0;
        }
        json_decref(o);
    }
    assert_int_equal(pclose(p), 0);
    return n;
}

/* Lines of the access log with method `m` on /v2/repo/manifests/ref. */
static int logged(const char *log, const char *m, const char *repo, const char *ref)
{
    char needle[400], line[4096];
    snprintf(needle, sizeof needle, "\"%s /v2/%s/manifests/%s", m, repo, ref ? ref : "");
    FILE *f = fopen(log, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return n;
}

/* Results of run S.name: how many, all error-free. */
static int collect(int want, int timeout_s)
{
    sf_kcons *rr = wt_results_reader(S.name, S.results, 100);
    assert_non_null(rr);
    int got = 0;
    uint64_t end = t_now_ms() + (uint64_t)timeout_s * 1000u;
    while (got < want && t_now_ms() < end) {
        json_t *doc = wt_poll_result(rr, S.name);
        if (!doc)
            continue;
        json_t *err = json_object_get(doc, "error");
        if (err && !json_is_null(err))
            fail_msg("result %s: %s", json_string_value(json_object_get(doc, "digest")),
                     json_dumps(err, 0));
        got++;
        json_decref(doc);
    }
    sf_kcons_close(rr);
    return got;
}

static void test_manifest_carry__worker_never_gets_root(void **state)
{
    (void)state;
    char dir[128], log[160], reg[32], cfg[200], cmd[2048];
    int port = t_port(0), mport = t_port(1);
    snprintf(dir, sizeof dir, "%s/registry", S.dir);
    snprintf(log, sizeof log, "%s/registry.log", S.dir);
    snprintf(reg, sizeof reg, "127.0.0.1:%d", port);
    char mk[200];
    snprintf(mk, sizeof mk, "mkdir -p %s", dir);
    assert_int_equal(system(mk), 0);
    assert_true(wt_registry_start_cfg(dir, port, NULL, log) > 0);
    pushed im[MAXD];
    int n = push(reg, im, MAXD);
    assert_int_equal(n, 2 * 4); /* per repo: v0, the index and its two platforms */

    snprintf(cfg, sizeof cfg, "%s/coord.json", S.dir);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fprintf(f, "{\"registries\":[{\"url\":\"http://%s\",\"insecure\":true}]}", reg);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s --once --progress never --kafka %s --config %s --topic %s --run-id %s "
             "> %s/coord.log 2>&1",
             wt_bin("scanfarm-coordinator"), sf_t_kafka(), cfg, S.jobs, S.name, S.dir);
    assert_int_equal(system(cmd), 0);
    /* The coordinator GETs each tag; it never HEADs. */
    assert_int_equal(logged(log, "HEAD", "", NULL), 0);

    char sport[16], logp[300];
    snprintf(sport, sizeof sport, "%d", mport);
    snprintf(logp, sizeof logp, "%s/worker.log", S.dir);
    char *argv[] = {(char *)wt_bin("scanfarm-worker"), "--kafka", (char *)sf_t_kafka(),
                    "--redis", (char *)sf_t_redis(), "--key-prefix", S.name, "--group", S.name,
                    "--jobs-topic", S.jobs, "--results-topic", S.results, "--dlq-topic", S.dlq,
                    "--metrics-port", sport, "--metrics-addr", "127.0.0.1", "--concurrency", "2",
                    "--insecure-registry", reg, "--log-level", "info", NULL};
    pid_t w = wt_spawn(argv, logp);
    assert_true(w > 0);
    /* One result per image job, two per index (linux/amd64, linux/arm64). */
    int want = n + 2;
    int got = collect(want, 180);
    if (got != want)
        wt_tail(logp, 30);
    assert_int_equal(got, want);
    static char page[1 << 16];
    assert_int_equal(wt_http_get(mport, "/metrics", page, sizeof page), 0);
    assert_int_equal((int)wt_metric(page, "scanfarm_job_manifest_carried_total", NULL), n);
    assert_int_equal((int)wt_metric(page, "scanfarm_job_manifest_mismatch_total", NULL), 0);
    assert_int_equal(wt_stop(w, 30), 0);
    wt_untrack(w);

    for (int i = 0; i < n; i++) {
        /* A platform manifest is both a job's root and an index's child:
         * the index's job fetches it, its own job does not. */
        int by_digest = logged(log, "GET", im[i].repo, im[i].digest);
        if (by_digest > im[i].child)
            fail_msg("%s@%s fetched %d times by digest (child=%d)", im[i].repo, im[i].digest,
                     by_digest, im[i].child);
    }
    /* Not vacuous: the log has the coordinator's GETs by tag. */
    assert_true(logged(log, "GET", im[0].repo, "v0") >= 1);
    fprintf(stderr, "%d jobs, %d results; manifest GETs by tag %d, by digest %d, HEADs %d\n", n,
            got, logged(log, "GET", im[0].repo, "v") + logged(log, "GET", im[0].repo, "m"),
            logged(log, "GET", im[0].repo, "sha256:"), logged(log, "HEAD", "", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_carry__engine_uses_verified_root),
        cmocka_unit_test(test_manifest_carry__worker_never_gets_root),
    };
    return cmocka_run_group_tests(tests, setup, sf_t_teardown);
}
