/*
 * agg_apply_bench: how fast the aggregator folds results into the fleet
 * view, without Kafka, on one Redis: the one-at-a-time path (sf_agg_apply
 * per result with every plan in full, the aggregator before batching: the
 * same-run baseline), the batch path with every rescan planned in full
 * ("full": before the unchanged-rescan shortcut, SF_AGG_NO_SHORTCUT), the
 * batch path decoding every result whole ("whole": before the reuse of a
 * stored package list, SF_AGG_NO_LAZY), the batch path writing an
 * unchanged rescan's add-only entries again ("fat": before the lean
 * rescan, SF_AGG_NO_LEAN), the batch path decoding every result's findings
 * ("novh": before the stored view's findings were reused, SF_AGG_NO_VH)
 * and the batch path as the consumer loop runs it (sf_agg_apply_batch,
 * --batch results per call), interleaved round by round so all see the
 * same load. Results are synthetic
 * scanfarm.result/v1 documents, each with its own digest, --findings
 * findings and --packages packages (findings point at the first
 * packages), in --repos repositories.
 *
 * Per path and phase ("new": every image new; "rescan": the same images,
 * unchanged, in a later run) it prints results/s, the Redis commands run
 * per image (INFO commandstats, script inner calls included, the scripts
 * themselves not), the CPU time per result of the aggregator's side (this
 * process) and of Redis (INFO cpu), which the machine's load does not
 * change, and, after "new", the Redis memory of the path's keys per image
 * and per finding (MEMORY USAGE). A floor of plain round trips (PING) and
 * the CPU of the result's decode alone follow. Each path's keys are
 * removed after its round (--keep: not).
 *
 * usage: sf-agg_apply_bench [--redis host:port] [--results N] [--findings F]
 *        [--packages P] [--repos R] [--batch B] [--rounds K] [--prefix P] [--keep]
 *        [--only batch|full|whole|fat|novh|baseline] [--marks] [--cg new|rescan]
 * --cg: under valgrind --tool=callgrind --collect-atstart=no, instructions
 * are counted in that phase only (repeatable on a loaded machine).
 * --marks prints each phase's start and end (CLOCK_MONOTONIC seconds) on
 * stderr, to cut a `perf record -k mono` profile by phase (perf report --time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_TOGGLE_COLLECT
#endif

#include "agg.h"
#include "base/buf.h"
#include "cache/kv.h"
#include "fleet/agg_view.h"

static int marks; /* --marks: phase times on stderr (profiling) */
/* --cg new|rescan: callgrind collects during that phase only (run under
 * valgrind --tool=callgrind --collect-atstart=no): instruction counts of
 * one phase, repeatable on a loaded machine. */
static int cg_phase = -1;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One result document: image i of the run, f findings over p packages,
 * in repository i % repos. */
static void make_result(sf_buf *b, int i, int f, int p, int repos, const char *run)
{
    static const char *const sev[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
    int r = repos > 0 ? i % repos : i;
    sf_buf_reset(b);
    sf_buf_printf(b, "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"%s\",\"digest\":"
                     "\"sha256:%064x\",\"platform\":\"linux/amd64\",\"refs\":"
                     "[\"reg.example:5000/team%d/app%d:v1\"],\"os\":{\"id\":\"alpine\","
                     "\"version_id\":\"3.10.3\"},\"packages\":[",
                  run, i + 1, r % 17, r);
    for (int k = 0; k < p; k++)
        sf_buf_printf(b, "%s{\"name\":\"pkg%d\",\"version\":\"1.%d.0-r%d\",\"type\":\"apk\","
                         "\"ecosystem\":\"Alpine:v3.10\"}", k ? "," : "", k, k % 7, i % 3);
    sf_buf_printf(b, "],\"vulnerabilities\":[");
    for (int k = 0; k < f; k++)
        sf_buf_printf(b, "%s{\"id\":\"CVE-2024-%05d\",\"aliases\":[],\"package\":\"pkg%d\","
                         "\"ecosystem\":\"Alpine:v3.10\",\"installed\":\"1.%d.0-r%d\","
                         "\"fixed\":\"1.%d.1\",\"severity\":\"%s\",\"cvss\":7.5}",
                      k ? "," : "", (k * 37 + i) % 5000, k % (p ? p : 1), (k % (p ? p : 1)) % 7,
                      i % 3, k % 7, sev[k % 4]);
    sf_buf_printf(b, "],\"summary\":{},\"layers\":[],\"db_version\":\"bench-db\","
                     "\"scanned_at\":\"2026-12-03T07:00:00Z\",\"timings\":{\"total_ms\":1},"
                     "\"error\":null}");
}

/* Commands Redis ran (script inner calls included, scripts, INFO and the
 * bench's own commands not) and its used memory. */
static int redis_stats(sf_kv *kv, long long *calls, long long *mem, sf_error *e)
{
    const char *a1[] = {"INFO", "commandstats"}, *a2[] = {"INFO", "memory"};
    sf_kv_reply *r = NULL;
    int rc = sf_kv_argv(kv, "bench", 2, a1, NULL, &r, e);
    *calls = 0;
    for (const char *s = rc == SF_OK && r->str ? r->str : ""; (s = strstr(s, "cmdstat_"));) {
        const char *c = strstr(s, ":calls=");
        size_t nl = c ? (size_t)(c - s) : 0;
        if (!c)
            break;
        int skip = !strncmp(s, "cmdstat_eval", 12) || !strncmp(s, "cmdstat_info", 12) ||
                   !strncmp(s, "cmdstat_scan", 12) || !strncmp(s, "cmdstat_unlink", 14) ||
                   !strncmp(s, "cmdstat_ping", 12) || !strncmp(s, "cmdstat_memory", 14);
        if (!skip)
            *calls += strtoll(c + 7, NULL, 10);
        s += nl + 7;
    }
    sf_kv_reply_free(r);
    r = NULL;
    if (rc == SF_OK && (rc = sf_kv_argv(kv, "bench", 2, a2, NULL, &r, e)) == SF_OK) {
        const char *m = r->str ? strstr(r->str, "used_memory:") : NULL;
        *mem = m ? strtoll(m + 12, NULL, 10) : 0;
    }
    sf_kv_reply_free(r);
    return rc;
}

/* CPU seconds: this process's (the aggregator's side) and the Redis
 * server's (user + sys, INFO cpu). */
static double cpu_self(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int redis_cpu(sf_kv *kv, double *secs, sf_error *e)
{
    const char *a[] = {"INFO", "cpu"};
    sf_kv_reply *r = NULL;
    int rc = sf_kv_argv(kv, "bench", 2, a, NULL, &r, e);
    const char *u = rc == SF_OK && r->str ? strstr(r->str, "used_cpu_user:") : NULL;
    const char *s = rc == SF_OK && r->str ? strstr(r->str, "used_cpu_sys:") : NULL;
    *secs = (u ? strtod(u + 14, NULL) : 0) + (s ? strtod(s + 13, NULL) : 0);
    sf_kv_reply_free(r);
    return rc;
}

/* Every key of prefix, SCAN by SCAN: cb(kv, keys reply, ctx). */
static int each_keys(sf_kv *kv, const char *prefix,
                     int (*cb)(sf_kv *, const sf_kv_reply *, void *, sf_error *), void *ctx,
                     sf_error *e)
{
    char cursor[32] = "0", match[256];
    snprintf(match, sizeof match, "%s:*", prefix);
    int rc = SF_OK;
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", match, "COUNT", "1000"};
        sf_kv_reply *r = NULL;
        if ((rc = sf_kv_argv(kv, "bench", 6, argv, NULL, &r, e)) != SF_OK)
            return rc;
        snprintf(cursor, sizeof cursor, "%s", r->elem[0].str);
        if (r->elem[1].nelem)
            rc = cb(kv, &r->elem[1], ctx, e);
        sf_kv_reply_free(r);
    } while (rc == SF_OK && strcmp(cursor, "0") != 0);
    return rc;
}

static int unlink_cb(sf_kv *kv, const sf_kv_reply *k, void *ctx, sf_error *e)
{
    const char **del = calloc(k->nelem + 1, sizeof *del);
    sf_kv_reply *d = NULL;
    (void)ctx;
    del[0] = "UNLINK";
    for (size_t i = 0; i < k->nelem; i++)
        del[i + 1] = k->elem[i].str;
    int rc = sf_kv_argv(kv, "bench", (int)k->nelem + 1, del, NULL, &d, e);
    sf_kv_reply_free(d);
    free(del);
    return rc;
}

/* MEMORY USAGE of each key (SAMPLES 0: every element), summed. The
 * used_memory delta is not used: allocator and client buffers move it by
 * more than the data (both paths store identical keys: test_agg_compact). */
static int usage_cb(sf_kv *kv, const sf_kv_reply *k, void *ctx, sf_error *e)
{
    long long *sum = ctx;
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < k->nelem; i++) {
        const char *argv[] = {"MEMORY", "USAGE", k->elem[i].str, "SAMPLES", "0"};
        sf_kv_reply *r = NULL;
        if ((rc = sf_kv_argv(kv, "bench", 5, argv, NULL, &r, e)) == SF_OK && r->type == SF_KV_INT)
            *sum += r->integer;
        sf_kv_reply_free(r);
    }
    return rc;
}

typedef struct figs {
    double secs[2], cpu[2], rcpu[2]; /* wall, aggregator CPU, Redis CPU */
    long long calls[2], mem;
    int rounds;
} figs;

/* One path (batch 0: one at a time) over both phases under prefix. */
static int run_path(sf_kv *kv, const char *prefix, int n, int f, int p, int repos, int batch,
                    int full, int whole, int fat, int novh, int keep, figs *out, sf_error *e)
{
    sf_agg *a = NULL;
    sf_buf *docs = calloc((size_t)n, sizeof *docs);
    sf_agg_msg *msgs = calloc((size_t)n, sizeof *msgs);
    if (full) /* read by sf_agg_new */
        setenv("SF_AGG_NO_SHORTCUT", "1", 1);
    if (whole)
        setenv("SF_AGG_NO_LAZY", "1", 1);
    if (fat)
        setenv("SF_AGG_NO_LEAN", "1", 1);
    if (novh)
        setenv("SF_AGG_NO_VH", "1", 1);
    int rc = sf_agg_new(&a, kv, prefix, e);
    unsetenv("SF_AGG_NO_SHORTCUT");
    unsetenv("SF_AGG_NO_LAZY");
    unsetenv("SF_AGG_NO_LEAN");
    unsetenv("SF_AGG_NO_VH");
    static int stamp;
    for (int ph = 0; rc == SF_OK && ph < 2; ph++) {
        char run[64];
        long long c0, c1, m0, m1;
        snprintf(run, sizeof run, "bench-%ld-%d-%d", (long)time(NULL), ++stamp, ph);
        for (int i = 0; i < n; i++) {
            sf_buf_init(&docs[i], 0);
            make_result(&docs[i], i, f, p, repos, run);
            msgs[i].json = docs[i].data, msgs[i].len = docs[i].len;
        }
        double r0 = 0, r1 = 0;
        if ((rc = redis_stats(kv, &c0, &m0, e)) != SF_OK || (rc = redis_cpu(kv, &r0, e)) != SF_OK)
            break;
        double t0 = now(), u0 = cpu_self();
        if (ph == cg_phase)
            CALLGRIND_TOGGLE_COLLECT;
        if (marks) /* CLOCK_MONOTONIC: perf record -k mono, perf report --time */
            fprintf(stderr, "phase %s %s start %.6f\n", batch ? "batch" : "baseline",
                    ph ? "rescan" : "new", t0);
        for (int i = 0; rc == SF_OK && i < n; i += batch > 0 ? batch : 1) {
            size_t k = batch > 0 ? (size_t)(n - i < batch ? n - i : batch) : 1;
            if (batch > 0) {
                rc = sf_agg_apply_batch(a, msgs + i, k, e);
            } else {
                msgs[i].rc = sf_agg_apply(a, msgs[i].json, msgs[i].len, &msgs[i].is_refs,
                                          &msgs[i].outcome, &msgs[i].err);
            }
            for (size_t j = 0; rc == SF_OK && j < k; j++) {
                if (msgs[i + j].rc != SF_OK) {
                    *e = msgs[i + j].err;
                    rc = msgs[i + j].rc;
                } else if (msgs[i + j].outcome != SF_AGG_APPLIED) {
                    rc = sf_error_set(e, SF_EINTERNAL, "result %zu not applied (%d)", i + j,
                                      (int)msgs[i + j].outcome);
                }
            }
        }
        if (ph == cg_phase)
            CALLGRIND_TOGGLE_COLLECT;
        out->secs[ph] += now() - t0;
        out->cpu[ph] += cpu_self() - u0;
        if (rc == SF_OK && (rc = redis_cpu(kv, &r1, e)) == SF_OK)
            out->rcpu[ph] += r1 - r0;
        if (marks)
            fprintf(stderr, "phase %s %s end %.6f\n", batch ? "batch" : "baseline",
                    ph ? "rescan" : "new", now());
        if (rc == SF_OK && (rc = redis_stats(kv, &c1, &m1, e)) == SF_OK) {
            out->calls[ph] += c1 - c0;
            if (ph == 0) /* the keys of n new images (uncounted calls) */
                rc = each_keys(kv, prefix, usage_cb, &out->mem, e);
        }
        for (int i = 0; i < n; i++)
            sf_buf_free(&docs[i]);
    }
    out->rounds++;
    sf_agg_free(a);
    free(docs);
    free(msgs);
    if (rc == SF_OK && !keep)
        rc = each_keys(kv, prefix, unlink_cb, NULL, e);
    return rc;
}

static void print_path(const char *name, const figs *g, int n, int f)
{
    double imgs = (double)n * g->rounds;
    static const char *const ph[] = {"new", "rescan"};
    for (int i = 0; i < 2; i++) {
        printf("  %-9s %-6s %9.1f results/s  (%7.3f ms each)  %8.1f Redis calls/image\n", name,
               ph[i], imgs / g->secs[i], 1000.0 * g->secs[i] / imgs, (double)g->calls[i] / imgs);
        /* CPU per result does not depend on the machine's load; their sum
         * bounds an unloaded run (the path waits for Redis, and back) */
        double ac = 1000.0 * g->cpu[i] / imgs, rc = 1000.0 * g->rcpu[i] / imgs;
        printf("  %-9s %-6s cpu %7.3f ms aggregator + %7.3f ms Redis per result = %7.1f/s "
               "CPU-bound\n", name, ph[i], ac, rc, 1000.0 / (ac + rc));
    }
    printf("  %-9s memory %9.1f KiB/image, %.0f bytes/finding (MEMORY USAGE after new)\n", name,
           (double)g->mem / imgs / 1024.0, f ? (double)g->mem / imgs / f : 0.0);
}

int main(int argc, char **argv)
{
    const char *redis = "127.0.0.1:6379", *prefix = "sfaggbench";
    int n = 500, f = 20, p = 300, repos = 0, batch = 64, rounds = 2, keep = 0;
    const char *only = NULL; /* one path by name (profiling) */
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--keep")) {
            keep = 1;
            continue;
        }
        if (!strcmp(argv[i], "--marks")) {
            marks = 1;
            continue;
        }
        if (!v)
            goto usage;
        if (!strcmp(argv[i], "--redis"))
            redis = v;
        else if (!strcmp(argv[i], "--results"))
            n = atoi(v);
        else if (!strcmp(argv[i], "--findings"))
            f = atoi(v);
        else if (!strcmp(argv[i], "--packages"))
            p = atoi(v);
        else if (!strcmp(argv[i], "--repos"))
            repos = atoi(v);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoi(v);
        else if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(v);
        else if (!strcmp(argv[i], "--prefix"))
            prefix = v;
        else if (!strcmp(argv[i], "--only"))
            only = v;
        else if (!strcmp(argv[i], "--cg"))
            cg_phase = !strcmp(v, "rescan") ? 1 : !strcmp(v, "new") ? 0 : -2;
        else
            goto usage;
        i++;
    }
    if (n <= 0 || batch <= 0 || rounds <= 0 || cg_phase == -2)
        goto usage;
    const char *nodes[] = {redis};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1, .command_timeout_ms = 30000};
    sf_kv_opts_env(&o);
    sf_kv *kv = NULL;
    sf_error e = SF_ERROR_INIT;
    /* baseline: one sf_agg_apply per result, every plan in full (the
     * aggregator before batching); full: the batch path planning every
     * rescan in full (before the unchanged-rescan shortcut); whole: the
     * batch path decoding every result whole (before the stored package
     * list's reuse); fat: the batch path writing every add-only entry of
     * an unchanged rescan again, its stored package list always parsed
     * (before the lean rescan, SF_AGG_NO_LEAN); novh: the batch path
     * decoding every result's findings (before their reuse from the
     * stored view, SF_AGG_NO_VH); batch: as the consumer loop runs now */
    static const struct {
        const char *name;
        int batched, full, whole, fat, novh;
    } paths[] = {{"baseline", 0, 1, 1, 1, 1}, {"full", 1, 1, 1, 1, 1}, {"batch", 1, 0, 0, 0, 0},
                 {"whole", 1, 0, 1, 1, 1}, {"fat", 1, 0, 0, 1, 1}, {"novh", 1, 0, 0, 0, 1}};
#define NPATHS (sizeof paths / sizeof paths[0])
    figs fg[NPATHS];
    memset(fg, 0, sizeof fg);
    if (sf_kv_new(&kv, &o, &e) != SF_OK || sf_kv_ping(kv, 0, &e) != SF_OK)
        goto fail;
    for (int r = 0; r < rounds; r++) {
        /* interleaved, the order rotated each round: all see the same load */
        for (size_t k = 0; k < NPATHS; k++) {
            size_t b = (k + (size_t)r) % NPATHS;
            char pf[128];
            if (only && strcmp(only, paths[b].name) != 0)
                continue;
            snprintf(pf, sizeof pf, "%s-%s%d", prefix, paths[b].name, r);
            if (run_path(kv, pf, n, f, p, repos, paths[b].batched ? batch : 0, paths[b].full,
                         paths[b].whole, paths[b].fat, paths[b].novh, keep, &fg[b], &e) != SF_OK)
                goto fail;
        }
    }
    double t0 = now();
    for (int i = 0; i < n; i++)
        if (sf_kv_ping(kv, 0, &e) != SF_OK)
            goto fail;
    double t_ping = now() - t0;
    sf_buf d;
    sf_buf_init(&d, 0);
    /* the result's decode alone (every path does it once per result) */
    double t_dec = 0;
    if (marks)
        fprintf(stderr, "phase decode start %.6f\n", now());
    for (int i = 0; i < n; i++) {
        sf_agg_view *v = NULL;
        make_result(&d, i, f, p, repos, "x");
        double c0 = cpu_self(); /* the document's making left out */
        if (sf_agg_view_from_result(d.data, d.len, &v, &e) != SF_OK)
            goto fail;
        sf_agg_view_free(v);
        t_dec += cpu_self() - c0;
    }
    if (marks)
        fprintf(stderr, "phase decode end %.6f\n", now());
    make_result(&d, 0, f, p, repos, "x");
    printf("agg_apply_bench results=%d findings=%d packages=%d repos=%d batch=%d rounds=%d "
           "doc_kb=%.1f\n", n, f, p, repos ? repos : n, batch, rounds, (double)d.len / 1024.0);
    sf_buf_free(&d);
    for (size_t b = 0; b < NPATHS; b++)
        if (fg[b].rounds)
            print_path(paths[b].name, &fg[b], n, f);
    if (!only) {
        printf("  speed-up  new x%.1f, rescan x%.1f (batch over the same-run baseline)\n",
               fg[0].secs[0] / fg[2].secs[0], fg[0].secs[1] / fg[2].secs[1]);
        printf("  speed-up  new x%.2f, rescan x%.2f (batch over full, same run)\n",
               fg[1].secs[0] / fg[2].secs[0], fg[1].secs[1] / fg[2].secs[1]);
        printf("  speed-up  new x%.2f, rescan x%.2f (batch over whole, same run)\n",
               fg[3].secs[0] / fg[2].secs[0], fg[3].secs[1] / fg[2].secs[1]);
        printf("  speed-up  new x%.2f, rescan x%.2f (batch over fat, same run); aggregator "
               "cpu x%.2f, Redis cpu x%.2f (rescan)\n",
               fg[4].secs[0] / fg[2].secs[0], fg[4].secs[1] / fg[2].secs[1],
               fg[4].cpu[1] / fg[2].cpu[1], fg[4].rcpu[1] / fg[2].rcpu[1]);
        printf("  speed-up  new x%.2f, rescan x%.2f (batch over novh, same run); aggregator "
               "cpu x%.2f, Redis cpu x%.2f (rescan)\n",
               fg[5].secs[0] / fg[2].secs[0], fg[5].secs[1] / fg[2].secs[1],
               fg[5].cpu[1] / fg[2].cpu[1], fg[5].rcpu[1] / fg[2].rcpu[1]);
    }
    printf("  ping      %9.1f round trips/s (%.3f ms each; floor, same run)\n", n / t_ping,
           1000.0 * t_ping / n);
    printf("  decode    cpu %7.3f ms per result (sf_agg_view_from_result alone, same run)\n",
           1000.0 * t_dec / n);
    sf_kv_free(kv);
    return 0;
fail:
    fprintf(stderr, "agg_apply_bench: %s\n", e.msg);
    return 1;
usage:
    fprintf(stderr, "usage: %s [--redis H:P] [--results N] [--findings F] [--packages P] "
                    "[--repos R] [--batch B] [--rounds K] [--prefix P] [--keep] "
                    "[--only batch|full|whole|fat|novh|baseline] [--marks] [--cg new|rescan]\n",
            argv[0]);
    return 2;
}
