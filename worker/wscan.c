/*
 * wscan: see wscan.h. Registry clients come from wregs (allow-list,
 * created on first use, kept with LRU eviction); sf_reg is thread-safe,
 * so all scan threads share one per host.
 */
#include "wscan.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/analyzer.h"
#include "analyze/scan.h"
#include "bus/msg_result.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/metrics.h"
#include "registry/registry.h"
#include "vuln/vdb.h"
#include "wregs.h"

struct sf_wscan {
    const sf_wconf *cfg;
    sf_vdb *db;
    sf_wregs *regs; /* registry clients and the allow-list */
    sf_mfam *m_carried;  /* jobs whose carried root manifest was used */
    sf_mfam *m_mismatch; /* jobs whose carried root manifest did not match */
};

int sf_wscan_new(sf_wscan **out, const sf_wconf *cfg, sf_error *err)
{
    *out = NULL;
    sf_wscan *s = calloc(1, sizeof *s);
    if (!s)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    s->cfg = cfg;
    s->m_carried = sf_metrics_counter(sf_metrics_default(), "scanfarm_job_manifest_carried_total",
                                      "Jobs whose root manifest came with the job (no registry "
                                      "GET)", NULL);
    s->m_mismatch = sf_metrics_counter(sf_metrics_default(),
                                       "scanfarm_job_manifest_mismatch_total",
                                       "Jobs whose carried root manifest did not hash to the "
                                       "job's digest (ignored, fetched)", NULL);
    int rrc = sf_wregs_new(&s->regs, cfg, err);
    if (rrc != SF_OK) {
        sf_wscan_free(s);
        return rrc;
    }
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
    sf_wregs_free(s->regs);
    sf_vdb_close(s->db);
    free(s);
}

static int scan(void *ctx, const sf_job *job, const sf_layer_memo *memo, sf_worker_emit_fn emit,
                void *ectx, sf_error *err)
{
    sf_wscan *s = ctx;
    sf_reg *reg = NULL;
    sf_scan_report *rep = NULL;
    sf_buf out;
    sf_buf_init(&out, SF_LIM_MESSAGE_BYTES);
    int rc = sf_wregs_acquire(s->regs, job->registry, &reg, err);
    if (rc != SF_OK)
        goto done;
    sf_scan_opts o = {
        .db = s->db,
        .memo = memo,
        .platforms = (const char *const *)(job->nplatforms ? job->platforms : s->cfg->platforms.v),
        .nplatforms = job->nplatforms ? job->nplatforms : s->cfg->platforms.n,
        .run_id = job->run_id,
        .refs = (const char *const *)job->refs,
        .nrefs = job->nrefs,
        .max_layer_parallel = (int)s->cfg->layers_per_image,
        .root_manifest = job->manifest,
        .root_manifest_len = job->manifest_len,
        .root_media_type = job->manifest_media_type,
    };
    if ((rc = sf_scan_registry(reg, job->repository, job->digest, &o, &rep, err)) != SF_OK)
        goto done;
    if (sf_scan_report_root(rep) == SF_SCAN_ROOT_CARRIED)
        sf_metric_inc(s->m_carried, NULL);
    else if (sf_scan_report_root(rep) == SF_SCAN_ROOT_MISMATCH)
        sf_metric_inc(s->m_mismatch, NULL);
    for (size_t i = 0; i < sf_scan_report_count(rep); i++) {
        if (!sf_scan_report_digest(rep, i)) {
            /* The root manifest itself could not be had (registry down,
             * 404, TLS, limits): the report's one result names no digest.
             * Hand the reason back so the job loop publishes the error
             * result under the job's own digest. */
            const sf_result *r = sf_scan_report_result(rep, i);
            rc = sf_error_set(err, r->error_code != SF_OK ? r->error_code : SF_EINTERNAL, "%s",
                              r->error ? r->error : "root manifest unavailable");
            goto done;
        }
        sf_buf_reset(&out);
        const sf_result *res = sf_scan_report_result(rep, i);
        int jrc = res ? sf_result_encode(res, &out, NULL) : SF_EINVAL;
        if (jrc != SF_OK) {
            rc = sf_error_set(err, jrc, "result %zu of %s cannot be encoded", i, job->digest);
            goto done;
        }
        emit(ectx, sf_scan_report_digest(rep, i), out.data, out.len, sf_scan_report_error(rep, i));
    }
done:
    sf_wregs_release(s->regs, reg);
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
