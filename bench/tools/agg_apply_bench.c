/*
 * agg_apply_bench: how fast the aggregator folds results into the fleet
 * view, without Kafka (sf_agg_apply called in a loop on one Redis), next
 * to the floor of the same number of plain round trips (PING) on the same
 * connection in the same run. Results are synthetic scanfarm.result/v1
 * documents, each with its own digest, --findings findings and --packages
 * packages (findings point at the first packages).
 *
 * The gap between "apply" and "ping x rtts" is what is not round trips:
 * Lua work in Redis, plan building and JSON in the aggregator.
 *
 * usage: sf-agg_apply_bench [--redis host:port] [--results N]
 *        [--findings F] [--packages P] [--prefix P]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg.h"
#include "base/buf.h"
#include "cache/kv.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One result document: image i of the run, f findings over p packages. */
static void make_result(sf_buf *b, int i, int f, int p, const char *run)
{
    static const char *const sev[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
    sf_buf_reset(b);
    sf_buf_printf(b, "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"%s\",\"digest\":"
                     "\"sha256:%064x\",\"platform\":\"linux/amd64\",\"refs\":"
                     "[\"reg.example:5000/team%d/app%d:v1\"],\"os\":{\"id\":\"alpine\","
                     "\"version_id\":\"3.10.3\"},\"packages\":[",
                  run, i + 1, i % 17, i);
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

int main(int argc, char **argv)
{
    const char *redis = "127.0.0.1:6379", *prefix = "sfaggbench";
    int n = 500, f = 20, p = 300;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--redis"))
            redis = argv[i + 1];
        else if (!strcmp(argv[i], "--results"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--findings"))
            f = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--packages"))
            p = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--prefix"))
            prefix = argv[i + 1];
        else {
            fprintf(stderr, "usage: %s [--redis H:P] [--results N] [--findings F] "
                            "[--packages P] [--prefix P]\n", argv[0]);
            return 2;
        }
    }
    const char *nodes[] = {redis};
    sf_kv_opts o = {.nodes = nodes, .nnodes = 1};
    sf_kv_opts_env(&o);
    sf_kv *kv = NULL;
    sf_agg *a = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_kv_new(&kv, &o, &e) != SF_OK || sf_kv_ping(kv, 0, &e) != SF_OK ||
        sf_agg_new(&a, kv, prefix, &e) != SF_OK) {
        fprintf(stderr, "agg_apply_bench: %s\n", e.msg);
        return 1;
    }
    /* Phase 1: every image new (no old view: nothing cancels). Phase 2:
     * the same images, unchanged, in a later run (a warm rescan: the
     * plan's -old/+new pairs cancel unless SF_AGG_NO_COMPACT is set). */
    double t_phase[2];
    size_t bytes = 0;
    sf_buf *docs = calloc((size_t)n, sizeof *docs);
    for (int ph = 0; ph < 2; ph++) {
        char run[64];
        snprintf(run, sizeof run, "bench-%ld-%d", (long)time(NULL), ph);
        bytes = 0;
        for (int i = 0; i < n; i++) {
            sf_buf_init(&docs[i], 0);
            make_result(&docs[i], i, f, p, run);
            bytes += docs[i].len;
        }
        double t0 = now();
        for (int i = 0; i < n; i++) {
            int is_refs = 0;
            sf_agg_outcome oc;
            if (sf_agg_apply(a, docs[i].data, docs[i].len, &is_refs, &oc, &e) != SF_OK) {
                fprintf(stderr, "agg_apply_bench: apply %d: %s\n", i, e.msg);
                return 1;
            }
            if (oc != SF_AGG_APPLIED) {
                fprintf(stderr, "agg_apply_bench: result %d not applied (%d)\n", i, (int)oc);
                return 1;
            }
        }
        t_phase[ph] = now() - t0;
        for (int i = 0; i < n; i++)
            sf_buf_free(&docs[i]);
    }
    double t0 = now();
    for (int i = 0; i < n; i++)
        if (sf_kv_ping(kv, 0, &e) != SF_OK) {
            fprintf(stderr, "agg_apply_bench: ping: %s\n", e.msg);
            return 1;
        }
    double t_ping = now() - t0;
    printf("agg_apply_bench results=%d findings=%d packages=%d doc_kb=%.1f\n", n, f, p,
           (double)bytes / n / 1024.0);
    printf("  new     %8.1f results/s  (%.3f ms each)\n", n / t_phase[0],
           1000.0 * t_phase[0] / n);
    printf("  rescan  %8.1f results/s  (%.3f ms each)%s\n", n / t_phase[1],
           1000.0 * t_phase[1] / n, getenv("SF_AGG_NO_COMPACT") ? "  [SF_AGG_NO_COMPACT]" : "");
    printf("  ping    %8.1f round trips/s (%.3f ms each; floor, same run)\n", n / t_ping,
           1000.0 * t_ping / n);
    free(docs);
    sf_agg_free(a);
    sf_kv_free(kv);
    return 0;
}
