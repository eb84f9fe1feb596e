/*
 * cmd_rematch: `scanfarm rematch --db FILE --kafka BROKERS [--redis
 * HOST:PORT] [--key-prefix P] [--run ID] [--findings-topic T]
 * [--results-topic T]` — re-match the fleet's stored inventories against
 * a new DB and publish per-image deltas (see rematch.h). No registry is
 * contacted.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/kprod.h"
#include "cache/keys.h"
#include "fleet/rematch.h"
#include "vuln/vdb.h"

static const char USAGE[] =
    "usage: scanfarm rematch --db FILE --kafka BROKERS [--redis HOST:PORT] [--key-prefix P]\n"
    "                        [--run ID] [--findings-topic T] [--results-topic T]\n";

int sf_cmd_rematch(int argc, char **argv)
{
    static const struct option lo[] = {
        {"db", 1, 0, 'd'},     {"kafka", 1, 0, 'k'},          {"redis", 1, 0, 'r'},
        {"key-prefix", 1, 0, 'p'}, {"prefix", 1, 0, 'p'}, {"run", 1, 0, 'n'},            {"findings-topic", 1, 0, 'f'},
        {"results-topic", 1, 0, 't'}, {"help", 0, 0, 'h'},    {0, 0, 0, 0}};
    const char *dbp = NULL, *redis = getenv("SCANFARM_REDIS"), *prefix = getenv("SCANFARM_KEY_PREFIX");
    const char *brokers = getenv("SCANFARM_KAFKA"), *run = NULL;
    sf_rematch_opts o = {0};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (opt) {
        case 'd': dbp = optarg; break;
        case 'k': brokers = optarg; break;
        case 'r': redis = optarg; break;
        case 'p': prefix = optarg; break;
        case 'n': run = optarg; break;
        case 'f': o.findings_topic = optarg; break;
        case 't': o.results_topic = optarg; break;
        case 'h': fputs(USAGE, stdout); return SF_EXIT_OK;
        default: fputs(USAGE, stderr); return SF_EXIT_USAGE;
        }
    }
    if (optind != argc || !dbp || !brokers || !*brokers) {
        fputs(USAGE, stderr);
        return SF_EXIT_USAGE;
    }
    if (!redis || !*redis)
        redis = "127.0.0.1:6379";
    if (!prefix || !*prefix)
        prefix = getenv("SCANFARM_PREFIX"); /* the older spelling */
    if (!prefix || !*prefix)
        prefix = SF_KEY_PREFIX_DEFAULT;
    sf_error e = SF_ERROR_INIT;
    sf_vdb *db = NULL;
    sf_kv *kv = NULL;
    sf_kprod *prod = NULL;
    sf_rematch_stats st;
    char runbuf[160];
    int ex = SF_EXIT_ERROR;
    const char *nodes[] = {redis};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1, .command_timeout_ms = 30000,
                     .username = getenv("SCANFARM_REDIS_USERNAME"),
                     .password = getenv("SCANFARM_REDIS_PASSWORD"),
                     .password_file = getenv("SCANFARM_REDIS_PASSWORD_FILE")};
    sf_kprod_opts po = {.brokers = brokers, .client_id = "scanfarm-rematch"};
    if (sf_vdb_open(&db, dbp, &e) != SF_OK || sf_kv_new(&kv, &ko, &e) != SF_OK ||
        sf_kprod_new(&prod, &po, &e) != SF_OK)
        goto done;
    if (!run) {
        /* one run id per DB version: re-running the same rematch gives
         * results the aggregator recognises as duplicates */
        snprintf(runbuf, sizeof runbuf, "rematch-%s", sf_vdb_version(db));
        run = runbuf;
    }
    o.kv = kv;
    o.prefix = prefix;
    o.prod = prod;
    o.db_version = sf_vdb_version(db);
    o.run_id = run;
    o.match = sf_rematch_vdb_matcher;
    o.match_ctx = db;
    if (sf_rematch_run(&o, &st, &e) != SF_OK)
        goto done;
    printf("rematch %s: %zu images, %zu distinct packages matched, %zu affected "
           "(+%zu / -%zu findings)\n",
           o.db_version, st.images, st.packages, st.affected, st.added, st.removed);
    ex = SF_EXIT_OK;
done:
    if (ex != SF_EXIT_OK)
        fprintf(stderr, "scanfarm rematch: %s\n", e.msg);
    sf_kprod_free(prod);
    sf_kv_free(kv);
    sf_vdb_close(db);
    return ex;
}
