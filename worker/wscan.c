/*
 * wscan: see wscan.h. Registry clients are created on first use and kept
 * for the life of the process (connection reuse, token caches); sf_reg is
 * thread-safe, so all scan threads share one per host.
 */
#include "wscan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyzer.h"
#include "analyze/scan.h"
#include "base/limits.h"
#include "base/log.h"
#include "registry/registry.h"
#include "vuln/vdb.h"

/* Registries one worker talks to; jobs naming more are refused. */
#define WSCAN_MAX_REGISTRIES 64

typedef struct regent {
    char *host;
    sf_reg *reg;
} regent;

struct sf_wscan {
    const sf_wconf *cfg;
    sf_vdb *db;
    pthread_mutex_t mu;
    regent regs[WSCAN_MAX_REGISTRIES];
    size_t nregs;
};

int sf_wscan_new(sf_wscan **out, const sf_wconf *cfg, sf_error *err)
{
    *out = NULL;
    sf_wscan *s = calloc(1, sizeof *s);
    if (!s)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    s->cfg = cfg;
    pthread_mutex_init(&s->mu, NULL);
    if (cfg->db) {
        int rc = sf_vdb_open(&s->db, cfg->db, err);
        if (rc != SF_OK) {
            sf_wscan_free(s);
            return rc;
        }
        SF_INFO("worker", "vulnerability DB loaded|path=%s version=%s", cfg->db,
                sf_vdb_version(s->db));
    }
    *out = s;
    return SF_OK;
}

void sf_wscan_free(sf_wscan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nregs; i++) {
        sf_reg_free(s->regs[i].reg);
        free(s->regs[i].host);
    }
    sf_vdb_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int insecure(const sf_wconf *c, const char *host)
{
    for (size_t i = 0; i < c->ninsecure_registries; i++)
        if (strcmp(c->insecure_registries[i], host) == 0)
            return 1;
    return 0;
}

static int reg_get(sf_wscan *s, const char *host, sf_reg **out, sf_error *err)
{
    int rc = SF_OK;
    *out = NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nregs; i++)
        if (strcmp(s->regs[i].host, host) == 0) {
            *out = s->regs[i].reg;
            goto done;
        }
    if (s->nregs == WSCAN_MAX_REGISTRIES) {
        rc = sf_error_set(err, SF_ELIMIT, "more than %d registries", WSCAN_MAX_REGISTRIES);
        goto done;
    }
    char url[512];
    int sec = !insecure(s->cfg, host);
    snprintf(url, sizeof url, "%s://%s", sec ? "https" : "http", host);
    sf_reg_opts o = {.url = url, .insecure = !sec, .docker_config = s->cfg->docker_config,
                     .max_retries = -1};
    sf_reg *r = NULL;
    if ((rc = sf_reg_new(&r, &o, err)) != SF_OK)
        goto done;
    char *h = sf_strdup(host);
    if (!h) {
        sf_reg_free(r);
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    s->regs[s->nregs++] = (regent){h, r};
    *out = r;
done:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static int scan(void *ctx, const sf_job *job, const sf_layer_memo *memo, sf_worker_emit_fn emit,
                void *ectx, sf_error *err)
{
    sf_wscan *s = ctx;
    sf_reg *reg = NULL;
    sf_scan_report *rep = NULL;
    sf_buf out;
    sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
    int rc = reg_get(s, job->registry, &reg, err);
    if (rc != SF_OK)
        goto done;
    sf_scan_opts o = {
        .db = s->db,
        .memo = memo,
        .platforms = (const char *const *)(job->nplatforms ? job->platforms : s->cfg->platforms),
        .nplatforms = job->nplatforms ? job->nplatforms : s->cfg->nplatforms,
        .run_id = job->run_id,
        .refs = (const char *const *)job->refs,
        .nrefs = job->nrefs,
        .max_layer_parallel = (int)s->cfg->layers_per_image,
    };
    if ((rc = sf_scan_registry(reg, job->repository, job->digest, &o, &rep, err)) != SF_OK)
        goto done;
    for (size_t i = 0; i < sf_scan_report_count(rep); i++) {
        sf_buf_reset(&out);
        int jrc = sf_scan_report_result_json(rep, i, &out);
        if (jrc != SF_OK) {
            rc = sf_error_set(err, jrc, "result %zu of %s cannot be encoded", i, job->digest);
            goto done;
        }
        emit(ectx, sf_scan_report_digest(rep, i), out.data, out.len, sf_scan_report_error(rep, i));
    }
done:
    sf_scan_report_free(rep);
    sf_buf_free(&out);
    return rc;
}

static const char *db_version(void *ctx)
{
    sf_wscan *s = ctx;
    return s->db ? sf_vdb_version(s->db) : "none";
}

static int64_t db_built(void *ctx)
{
    sf_wscan *s = ctx;
    return s->db ? sf_vdb_built(s->db) : -1;
}

sf_worker_scanner sf_wscan_scanner(sf_wscan *s)
{
    sf_worker_scanner sc = {s, scan, db_version, sf_analyzers_version(), db_built};
    return sc;
}
