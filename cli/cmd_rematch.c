/*
 * cmd_rematch: `scanfarm rematch --db FILE --kafka BROKERS [--redis
 * HOST:PORT] [--key-prefix P] [--run ID] [--findings-topic T]
 * [--results-topic T]` — re-match the fleet's stored inventories against
 * a new DB and publish per-image deltas (see rematch.h). No registry is
 * contacted.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/kconf.h"
#include "bus/kprod.h"
#include "cache/keys.h"
#include "cli_opts.h"
#include "fleet/conn.h"
#include "fleet/rematch.h"
#include "vuln/vdb.h"

/* Table rows name the fields they use; the others are zero (base/opt.h). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct rematch_cfg {
    char *db, *kafka, *run, *findings_topic, *results_topic;
    sf_kprops kprops; /* the Kafka options (taken out by cli.c, listed here) */
    sf_fleet_conn r;
} rematch_cfg;

#define M(f) offsetof(rematch_cfg, f)
static const sf_opt REMATCH_OPTS[] = {
    {"db", SF_OT_STR, M(db), NULL, NULL, 0, 0, 0, "the new vulnerability DB (required)", "FILE"},
    {"kafka", SF_OT_STR, M(kafka), NULL, "SCANFARM_KAFKA", 0, 0, 0,
     "Kafka bootstrap servers (required)", "BROKERS"},
    {"run", SF_OT_STR, M(run), NULL, NULL, 0, 0, 0,
     "run id of the deltas (default rematch-<DB version>: re-running is recognised as "
     "duplicates)", "ID"},
    {"findings_topic", SF_OT_STR, M(findings_topic), NULL, NULL, 0, 0, 0,
     "topic of the scanfarm.findings/v1 deltas (default scanfarm.findings)", "TOPIC"},
    {"results_topic", SF_OT_STR, M(results_topic), NULL, NULL, 0, 0, 0,
     "topic of the re-matched results (default scanfarm.results)", "TOPIC"},
};
#undef M
static const sf_opt_group REMATCH_GROUPS[] = {
    {NULL, REMATCH_OPTS, sizeof REMATCH_OPTS / sizeof REMATCH_OPTS[0], 0},
    {SF_FLEET_CONN_TITLE, SF_FLEET_CONN_OPTS, SF_FLEET_CONN_NOPTS, offsetof(rematch_cfg, r)},
    {"Kafka client options (every program)", SF_KCONF_OPTS, SF_KCONF_NOPTS,
     offsetof(rematch_cfg, kprops)},
};
static const sf_opt_spec REMATCH_SPEC = {
    .prog = "scanfarm rematch",
    .usage = "--db FILE --kafka BROKERS [options]",
    .summary = "Re-match the fleet's stored inventories against a new DB and publish "
               "per-image deltas;\nno registry is contacted.",
    .groups = REMATCH_GROUPS,
    .ngroups = 3,
};

const sf_opt_spec *sf_cmd_rematch_spec(void)
{
    return &REMATCH_SPEC;
}

static int rematch_run(const rematch_cfg *c);

int sf_cmd_rematch(int argc, char **argv)
{
    rematch_cfg c;
    sf_opt_cmd cmd;
    int ex = SF_EXIT_OK;
    if (!sf_cli_opts_load(&REMATCH_SPEC, &c, sizeof c, argc, argv, &cmd, &ex)) {
        if (!c.db || !c.kafka || !*c.kafka) {
            fprintf(stderr, "scanfarm rematch: --db and --kafka are required\n");
            sf_opt_usage(&REMATCH_SPEC, stderr);
            ex = SF_EXIT_USAGE;
        } else {
            ex = rematch_run(&c);
        }
    }
    sf_kprops_clear(&c.kprops);
    sf_opt_free(&REMATCH_SPEC, &c);
    return ex;
}

static int rematch_run(const rematch_cfg *c)
{
    const char *dbp = c->db, *redis = c->r.redis, *prefix = c->r.prefix;
    const char *brokers = c->kafka, *run = c->run;
    sf_rematch_opts o = {.findings_topic = c->findings_topic, .results_topic = c->results_topic};
    if (sf_keys_check_prefix(prefix, NULL) != SF_OK) {
        fprintf(stderr, "scanfarm rematch: key prefix must be 1..64 characters of "
                        "[A-Za-z0-9_.:-]\n");
        return SF_EXIT_USAGE;
    }
    sf_error e = SF_ERROR_INIT;
    sf_vdb *db = NULL;
    sf_kv *kv = NULL;
    sf_kprod *prod = NULL;
    sf_rematch_stats st;
    char runbuf[160];
    int ex = SF_EXIT_ERROR;
    const char *nodes[] = {redis};
    sf_kv_opts ko = {.nodes = nodes, .nnodes = 1, .command_timeout_ms = 30000,
                     .username = c->r.redis_username, .password = c->r.redis_password,
                     .password_file = c->r.redis_password_file,
                     .tls_ca_file = c->r.redis_tls_ca_file,
                     .tls_cert_file = c->r.redis_tls_cert_file,
                     .tls_key_file = c->r.redis_tls_key_file,
                     .tls_server_name = c->r.redis_tls_server_name,
                     .cluster = c->r.redis_cluster};
    sf_kv_opts_env(&ko); /* TLS, cluster: SCANFARM_REDIS_* */
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
