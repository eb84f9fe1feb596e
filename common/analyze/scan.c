/*
 * scan: see scan.h.
 *
 * One reference -> root manifest -> (index: the selected platform
 * manifests) -> for each image manifest: config, layer inventories (memo
 * or analysis, up to max_layer_parallel at once), assembly, matching,
 * and one sf_result. Every failure past "could not even start" lands in
 * a result's error, so callers always have something to publish.
 */
#include "analyze/scan.h"
#include "base/time.h"
#include "analyze/dbcover.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze/analyzer.h"
#include "analyze/assemble.h"
#include "analyze/imgsrc.h"
#include "analyze/layer.h"
#include "analyze/manifest.h"
#include "base/array.h"
#include "base/limits.h"
#include "base/log.h"
#include "model/result.h"
#include "sf_version.h"
#include "vuln/match.h"

struct sf_scan_report {
    sf_result *r;
    size_t n, cap;
    sf_scan_root root; /* where the root manifest came from */
};

static char *iso_now(void)
{
    char buf[SF_TIME_RFC3339_MAX];
    sf_time_rfc3339_now(buf);
    return strdup(buf);
}

/* ------------------------------------------------------------ report */

size_t sf_scan_report_count(const sf_scan_report *r) { return r ? r->n : 0; }

sf_scan_root sf_scan_report_root(const sf_scan_report *r)
{
    return r ? r->root : SF_SCAN_ROOT_FETCHED;
}

const char *sf_scan_report_digest(const sf_scan_report *r, size_t i)
{
    return i < r->n ? r->r[i].digest : NULL;
}

int sf_scan_report_error(const sf_scan_report *r, size_t i)
{
    return i < r->n ? r->r[i].error_code : SF_EINVAL;
}

const sf_result *sf_scan_report_result(const sf_scan_report *r, size_t i)
{
    return i < r->n ? &r->r[i] : NULL;
}

sf_result *sf_scan_report_result_mut(sf_scan_report *r, size_t i)
{
    return i < r->n ? &r->r[i] : NULL;
}

void sf_scan_report_free(sf_scan_report *r)
{
    if (!r)
        return;
    SF_ARRAY_FREE(r->r, r->n, sf_result_clear);
    free(r);
}

/* A new zeroed result at the end of the report (borrowed). */
static sf_result *report_add(sf_scan_report *rep)
{
    sf_result *r = SF_ARRAY_PUSH(rep->r, rep->cap, rep->n, 4, 0);
    if (r)
        sf_result_init(r);
    return r;
}

static void result_fail(sf_result *r, int code, const char *msg)
{
    if (r->error_code != SF_OK)
        return;
    r->error_code = code;
    free(r->error);
    r->error = strdup(msg && *msg ? msg : sf_err_name(code));
}

/* Fields every result carries, failed or not. */
static int result_common(sf_result *r, const sf_scan_opts *o, const char *const *refs,
                         size_t nrefs, const char *digest, const char *index_digest)
{
    if ((o->run_id && !(r->run_id = strdup(o->run_id))) ||
        (digest && !(r->digest = strdup(digest))) ||
        (index_digest && !(r->index_digest = strdup(index_digest))) ||
        !(r->analyzer_version = strdup(sf_analyzers_version())) ||
        !(r->scanner_version = strdup(SF_VERSION_FULL)) || !(r->scanned_at = iso_now()))
        return SF_ENOMEM;
    if (o->db && !(r->db_version = strdup(sf_vdb_version(o->db))))
        return SF_ENOMEM;
    if (nrefs && !(r->refs = calloc(nrefs, sizeof *r->refs)))
        return SF_ENOMEM;
    for (size_t i = 0; i < nrefs; i++)
        if (!(r->refs[r->nrefs++] = strdup(refs[i])))
            return SF_ENOMEM;
    return SF_OK;
}

/* ------------------------------------------------------------ layers */

typedef struct layer_job {
    sf_imgsrc *src;
    const sf_descriptor *desc;
    const char *diff_id;
    int by_diff_id;
    sf_inventory *inv;
    const char *cache;
    sf_error err;
    int rc;
} layer_job;

/* Sink in front of the layer that remembers whether the layer itself
 * refused bytes (its own error is then the one to report, not the
 * transport's "sink aborted"). */
typedef struct feed_ctx {
    sf_layer *l;
    int refused;
} feed_ctx;

static int feed_sink(void *ctx, const void *data, size_t n)
{
    feed_ctx *f = ctx;
    int rc = sf_layer_feed(f->l, data, n);
    if (rc != SF_OK)
        f->refused = 1;
    return rc;
}

/* sf_layer_analyze_fn: stream the blob through a layer walker. */
static int analyze_layer(void *actx, sf_inventory **out, sf_error *err)
{
    layer_job *j = actx;
    *out = NULL;
    sf_layer_opts o;
    memset(&o, 0, sizeof o);
    o.digest = j->by_diff_id ? NULL : j->desc->digest;
    o.diff_id = j->diff_id;
    o.media_type = j->desc->media_type;
    o.analyzers = sf_analyzers;
    o.analyzer_version = sf_analyzers_version();
    feed_ctx f = {NULL, 0};
    int rc = sf_layer_new(&f.l, &o, err);
    if (rc != SF_OK)
        return rc;
    sf_error ferr = SF_ERROR_INIT;
    rc = sf_imgsrc_blob_sized(j->src, j->desc->digest, j->desc->size, feed_sink, &f, &ferr);
    /* A transfer that failed on its own leaves the blob incomplete. */
    if (rc != SF_OK && !f.refused)
        sf_layer_abort(f.l, rc, ferr.msg[0] ? ferr.msg : sf_err_name(rc));
    sf_inventory *inv = NULL;
    rc = sf_layer_finish(f.l, &inv, err);
    sf_layer_free(f.l);
    if (rc != SF_OK) {
        sf_inventory_free(inv);
        return rc;
    }
    *out = inv;
    return SF_OK;
}

static void run_layer(layer_job *j, const sf_layer_memo *memo)
{
    const char *key = j->desc->digest;
    if (memo) {
        j->rc = memo->get(memo->ctx, key, j->diff_id, analyze_layer, j, &j->inv, &j->cache,
                          &j->err);
    } else {
        j->cache = "uncached";
        j->rc = analyze_layer(j, &j->inv, &j->err);
    }
    if (j->rc == SF_OK && j->inv && j->inv->error_code != SF_OK)
        j->rc = sf_error_set(&j->err, j->inv->error_code, "%s",
                             j->inv->error ? j->inv->error : "layer failed");
    if (j->rc != SF_OK && j->err.code == SF_OK)
        sf_error_set(&j->err, j->rc, "%s", sf_err_name(j->rc));
}

typedef struct layer_pool {
    layer_job *jobs;
    size_t n, next;
    const sf_layer_memo *memo;
    pthread_mutex_t mu;
} layer_pool;

static void *pool_worker(void *arg)
{
    layer_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        size_t i = p->next < p->n ? p->next++ : p->n;
        pthread_mutex_unlock(&p->mu);
        if (i >= p->n)
            return NULL;
        run_layer(&p->jobs[i], p->memo);
    }
}

static void run_layers(layer_job *jobs, size_t n, const sf_scan_opts *o)
{
    layer_pool p = {jobs, n, 0, o->memo, PTHREAD_MUTEX_INITIALIZER};
    size_t par = o->max_layer_parallel > 1 ? (size_t)o->max_layer_parallel : 1;
    if (par > n)
        par = n;
    pthread_t th[16];
    size_t started = 0;
    if (par > 16)
        par = 16;
    for (size_t i = 1; i < par; i++)
        if (pthread_create(&th[started], NULL, pool_worker, &p) == 0)
            started++;
    pool_worker(&p);
    for (size_t i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_mutex_destroy(&p.mu);
}

/* ------------------------------------------------------------ one image */

static int want_platforms(const sf_scan_opts *o, sf_platform **out, size_t *n, sf_error *err)
{
    *out = NULL;
    *n = 0;
    if (!o->nplatforms)
        return SF_OK;
    if (!(*out = calloc(o->nplatforms, sizeof **out)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->nplatforms; i++) {
        int rc = sf_platform_parse(o->platforms[i], &(*out)[i], err);
        if (rc != SF_OK)
            return rc;
    }
    *n = o->nplatforms;
    return SF_OK;
}

static int fill_layers(sf_result *r, const sf_manifest *m, const sf_image_config *cfg,
                       const layer_job *jobs)
{
    if (!(r->layers = calloc(m->nlayers ? m->nlayers : 1, sizeof *r->layers)))
        return SF_ENOMEM;
    for (size_t i = 0; i < m->nlayers; i++) {
        sf_result_layer *l = &r->layers[r->nlayers++];
        l->size = m->layers[i].size;
        if (!(l->digest = strdup(m->layers[i].digest)) ||
            !(l->diff_id = strdup(cfg->diff_ids[i])) ||
            (jobs && jobs[i].cache && !(l->cache = strdup(jobs[i].cache))) ||
            (jobs && jobs[i].rc != SF_OK && !(l->error = strdup(jobs[i].err.msg))))
            return SF_ENOMEM;
    }
    return SF_OK;
}

static int take_image(sf_result *r, sf_image_inv *img)
{
    r->has_os = img->has_os;
    r->os = img->os;
    memset(&img->os, 0, sizeof img->os);
    r->pkgs = img->pkgs;
    r->npkgs = img->npkgs;
    img->pkgs = NULL;
    img->npkgs = 0;
    if (img->nnotes && !(r->notes = calloc(img->nnotes, sizeof *r->notes)))
        return SF_ENOMEM;
    for (size_t i = 0; i < img->nnotes; i++) {
        sf_result_note *n = &r->notes[r->nnotes++];
        n->path = img->notes[i].path;
        n->analyzer = img->notes[i].analyzer;
        n->note = img->notes[i].note;
        n->status = img->notes[i].status;
        n->layer = img->notes[i].layer;
        memset(&img->notes[i], 0, sizeof img->notes[i]);
    }
    return SF_OK;
}

/* Layers -> assembly -> matching, for a parsed manifest and config. */
static int analyse_image(sf_imgsrc *src, const sf_manifest *m, const sf_image_config *cfg,
                         const sf_scan_opts *o, sf_result *r, sf_error *err)
{
    layer_job *jobs = calloc(m->nlayers ? m->nlayers : 1, sizeof *jobs);
    const sf_inventory **invs = calloc(m->nlayers ? m->nlayers : 1, sizeof *invs);
    sf_image_inv *img = NULL;
    int rc = SF_OK;
    if (!jobs || !invs) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    double t = (sf_time_mono_s() * 1e3);
    for (size_t i = 0; i < m->nlayers; i++)
        jobs[i] = (layer_job){src, &m->layers[i], cfg->diff_ids[i], sf_imgsrc_layers_by_diff_id(src),
                              NULL, NULL, SF_ERROR_INIT, SF_OK};
    run_layers(jobs, m->nlayers, o);
    r->timings.layers_ms = (sf_time_mono_s() * 1e3) - t;
    if (fill_layers(r, m, cfg, jobs) != SF_OK) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < m->nlayers; i++) {
        if (jobs[i].rc != SF_OK) {
            rc = sf_error_set(err, jobs[i].rc, "layer %zu (%s): %s", i, m->layers[i].digest,
                              jobs[i].err.msg);
            goto done;
        }
        invs[i] = jobs[i].inv;
    }
    t = (sf_time_mono_s() * 1e3);
    if ((rc = sf_assemble(invs, m->nlayers, &img, err)) != SF_OK ||
        (rc = take_image(r, img)) != SF_OK)
        goto done;
    r->timings.assemble_ms = (sf_time_mono_s() * 1e3) - t;
    if (o->db) {
        t = (sf_time_mono_s() * 1e3);
        rc = sf_match_packages(o->db, r->has_os ? &r->os : NULL, r->pkgs, r->npkgs, &r->vulns,
                               err);
        if (rc == SF_OK && sf_dbcover_note(o->db, r) != SF_OK)
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        r->timings.match_ms = (sf_time_mono_s() * 1e3) - t;
    }
done:
    for (size_t i = 0; jobs && i < m->nlayers; i++)
        sf_inventory_free(jobs[i].inv);
    free(jobs);
    free(invs);
    sf_image_inv_free(img);
    return rc;
}

/* Fetch the config of manifest m, check it against the manifest and the
 * wanted platforms, then analyse. Errors go to r. */
static void scan_image(sf_imgsrc *src, const sf_manifest *m, const sf_platform *want,
                       size_t nwant, const sf_scan_opts *o, sf_result *r)
{
    sf_error err = SF_ERROR_INIT;
    sf_buf cbuf;
    sf_buf_init(&cbuf, SF_LIM_MANIFEST_BYTES);
    sf_image_config *cfg = NULL;
    char plat[128];
    int rc = sf_imgsrc_small_blob(src, m->config.digest, &cbuf, &err);
    if (rc == SF_OK)
        rc = sf_image_config_parse(&cfg, cbuf.data ? cbuf.data : "", cbuf.len, &err);
    if (rc != SF_OK)
        goto done;
    sf_platform_format(&cfg->platform, plat, sizeof plat);
    if (!r->platform && !(r->platform = strdup(plat))) {
        rc = sf_error_set(&err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if (cfg->ndiff_ids != m->nlayers) {
        rc = sf_error_set(&err, SF_EPARSE, "image has %zu layers but its config lists %zu "
                          "diff_ids", m->nlayers, cfg->ndiff_ids);
        goto done;
    }
    int ok = nwant == 0;
    for (size_t k = 0; k < nwant && !ok; k++)
        ok = sf_platform_match(&want[k], &cfg->platform);
    if (!ok) {
        rc = sf_error_set(&err, SF_ENOTFOUND, "image is %s, not a requested platform", plat);
        goto done;
    }
    rc = analyse_image(src, m, cfg, o, r, &err);
done:
    if (rc != SF_OK)
        result_fail(r, rc, err.msg);
    sf_image_config_free(cfg);
    sf_buf_free(&cbuf);
}

/* ------------------------------------------------------------ entry points */

typedef struct scan_ctx {
    sf_imgsrc *src;
    const char *digest; /* the digest the root was asked by, or NULL (a tag, a file) */
    const sf_scan_opts *o;
    const char *const *refs;
    size_t nrefs;
    sf_platform *want;
    size_t nwant;
    sf_scan_report *rep;
} scan_ctx;

static int scan_child(scan_ctx *c, const sf_descriptor *d, const char *index_digest, double t0)
{
    sf_result *r = report_add(c->rep);
    if (!r || result_common(r, c->o, c->refs, c->nrefs, d->digest, index_digest) != SF_OK)
        return SF_ENOMEM;
    char plat[128];
    sf_platform_format(&d->platform, plat, sizeof plat);
    if (d->has_platform && !(r->platform = strdup(plat)))
        return SF_ENOMEM;
    sf_buf body;
    sf_buf_init(&body, SF_LIM_MANIFEST_BYTES);
    char mt[128];
    sf_error err = SF_ERROR_INIT;
    sf_manifest *m = NULL;
    double t = (sf_time_mono_s() * 1e3);
    int rc = sf_imgsrc_manifest(c->src, d->digest, &body, mt, sizeof mt, &err);
    if (rc == SF_OK)
        rc = sf_manifest_parse(&m, body.data ? body.data : "", body.len,
                               mt[0] ? mt : d->media_type, &err);
    if (rc == SF_OK && m->kind != SF_MANIFEST_IMAGE)
        rc = sf_error_set(&err, SF_EUNSUPPORTED, "nested index %s is not supported", d->digest);
    r->timings.manifest_ms = (sf_time_mono_s() * 1e3) - t;
    if (rc == SF_OK)
        scan_image(c->src, m, c->want, c->nwant, c->o, r);
    else
        result_fail(r, rc, err.msg);
    r->timings.total_ms = (sf_time_mono_s() * 1e3) - t0;
    sf_manifest_free(m);
    sf_buf_free(&body);
    return SF_OK;
}

static int is_index_type(const char *mt)
{
    return mt && (strcmp(mt, SF_MT_OCI_INDEX) == 0 || strcmp(mt, SF_MT_DOCKER_LIST) == 0);
}

static int is_image_type(const char *mt)
{
    return !mt || strcmp(mt, SF_MT_OCI_MANIFEST) == 0 || strcmp(mt, SF_MT_DOCKER_MANIFEST) == 0;
}

/* Why an index offered nothing to scan, child by child kind: nested
 * indexes and unknown media types are not "another platform". */
static int index_unmatched(const sf_manifest *m, const char *digest, sf_error *err)
{
    size_t nested = 0, other = 0, att = 0;
    const char *first_other = NULL;
    for (size_t i = 0; i < m->nmanifests; i++) {
        const sf_descriptor *d = &m->manifests[i];
        if (d->attestation)
            att++;
        else if (is_index_type(d->media_type))
            nested++;
        else if (!is_image_type(d->media_type) && other++ == 0)
            first_other = d->media_type;
    }
    size_t plat = m->nmanifests - nested - other - att;
    if (nested + other == 0)
        return sf_error_set(err, SF_ENOTFOUND, "index %s has no manifest for the requested "
                            "platform(s) (%zu for other platforms, %zu attestations)",
                            digest, plat, att);
    return sf_error_set(err, SF_EUNSUPPORTED,
                        "index %s has nothing to scan: of its %zu entries %zu are nested indexes "
                        "(not supported), %zu have another media type (%.60s), %zu are for "
                        "other platforms, %zu are attestations",
                        digest, m->nmanifests, nested, other,
                        first_other ? first_other : "-", plat, att);
}

/* The root manifest: the caller's carried copy when it hashes to the
 * digest the scan was asked for (the job's), else from the source. A
 * copy that does not match is never parsed: it may be anything. */
static int root_manifest(scan_ctx *c, sf_buf *body, char *mt, size_t mtlen,
                         char digest[SF_DIGEST_MAX], sf_error *err)
{
    const sf_scan_opts *o = c->o;
    if (o->root_manifest && c->digest) {
        if (sf_digest_verify(c->digest, o->root_manifest, o->root_manifest_len, NULL) == SF_OK &&
            sf_buf_append(body, o->root_manifest, o->root_manifest_len) == SF_OK) {
            snprintf(mt, mtlen, "%s", o->root_media_type ? o->root_media_type : "");
            snprintf(digest, SF_DIGEST_MAX, "%s", c->digest);
            c->rep->root = SF_SCAN_ROOT_CARRIED;
            return SF_OK;
        }
        sf_buf_reset(body);
        SF_WARN("scan", "carried root manifest does not match its digest, fetching it|"
                        "digest=%s bytes=%zu", c->digest, o->root_manifest_len);
        c->rep->root = SF_SCAN_ROOT_MISMATCH;
    }
    return sf_imgsrc_root(c->src, body, mt, mtlen, digest, err);
}

static int scan_root(scan_ctx *c)
{
    double t0 = (sf_time_mono_s() * 1e3);
    sf_buf body;
    sf_buf_init(&body, SF_LIM_MANIFEST_BYTES);
    char mt[128], digest[SF_DIGEST_MAX] = "";
    sf_error err = SF_ERROR_INIT;
    sf_manifest *m = NULL;
    int rc = root_manifest(c, &body, mt, sizeof mt, digest, &err);
    if (rc == SF_OK)
        rc = sf_manifest_parse(&m, body.data ? body.data : "", body.len, mt, &err);
    double tm = (sf_time_mono_s() * 1e3) - t0;
    if (rc == SF_OK && m->kind == SF_MANIFEST_INDEX) {
        size_t *idx = calloc(m->nmanifests ? m->nmanifests : 1, sizeof *idx);
        size_t n = idx ? sf_manifest_select(m, c->want, c->nwant, idx) : 0;
        if (!idx)
            rc = sf_error_set(&err, SF_ENOMEM, "out of memory");
        else if (n == 0)
            rc = index_unmatched(m, digest, &err);
        for (size_t i = 0; i < n && rc == SF_OK; i++)
            rc = scan_child(c, &m->manifests[idx[i]], digest, t0);
        free(idx);
        if (rc == SF_ENOMEM)
            goto done;
    } else if (rc == SF_OK) {
        sf_result *r = report_add(c->rep);
        if (!r || result_common(r, c->o, c->refs, c->nrefs, digest, NULL) != SF_OK) {
            rc = SF_ENOMEM;
            goto done;
        }
        r->timings.manifest_ms = tm;
        scan_image(c->src, m, c->want, c->nwant, c->o, r);
        r->timings.total_ms = (sf_time_mono_s() * 1e3) - t0;
    }
    if (rc != SF_OK && rc != SF_ENOMEM) {
        /* Nothing scanned: one result that carries the reason. */
        sf_result *r = report_add(c->rep);
        if (!r || result_common(r, c->o, c->refs, c->nrefs, digest[0] ? digest : NULL, NULL)) {
            rc = SF_ENOMEM;
            goto done;
        }
        result_fail(r, rc, err.msg);
        r->timings.total_ms = (sf_time_mono_s() * 1e3) - t0;
        rc = SF_OK;
    }
done:
    sf_manifest_free(m);
    sf_buf_free(&body);
    return rc;
}

static int scan_src(sf_imgsrc *src, const char *user_ref, const char *digest,
                    const sf_scan_opts *o, sf_scan_report **out, sf_error *err)
{
    scan_ctx c = {src, digest, o, o->refs, o->nrefs, NULL, 0, NULL};
    if (!c.nrefs)
        c.nrefs = sf_imgsrc_refs(src, &c.refs);
    if (!c.nrefs && user_ref && !strchr(user_ref, '@') && strncmp(user_ref, "oci:", 4) != 0 &&
        strncmp(user_ref, "docker-archive:", 15) != 0) {
        c.refs = &user_ref;
        c.nrefs = 1;
    }
    int rc = want_platforms(o, &c.want, &c.nwant, err);
    if (rc == SF_OK && !(c.rep = calloc(1, sizeof *c.rep)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK && (rc = scan_root(&c)) != SF_OK)
        sf_error_set(err, rc, "scan: out of memory");
    free(c.want);
    if (rc != SF_OK) {
        sf_scan_report_free(c.rep);
        return rc;
    }
    *out = c.rep;
    return SF_OK;
}

int sf_scan_registry(sf_reg *reg, const char *repo, const char *ref, const sf_scan_opts *opts,
                     sf_scan_report **out, sf_error *err)
{
    *out = NULL;
    sf_imgsrc *src = NULL;
    int rc = sf_imgsrc_registry(&src, reg, repo, ref, err);
    if (rc == SF_OK)
        rc = scan_src(src, NULL, strchr(ref, ':') ? ref : NULL, opts, out, err);
    sf_imgsrc_free(src);
    return rc;
}

int sf_scan_ref_insecure(const char *ref, int insecure, const sf_scan_opts *opts,
                         sf_scan_report **out, sf_error *err)
{
    *out = NULL;
    sf_imgsrc *src = NULL;
    int rc = sf_imgsrc_open_with(&src, ref, insecure, opts->reg_opts, err);
    if (rc == SF_OK)
        rc = scan_src(src, ref, NULL, opts, out, err);
    sf_imgsrc_free(src);
    return rc;
}

int sf_scan_ref(const char *ref, const sf_scan_opts *opts, sf_scan_report **out, sf_error *err)
{
    return sf_scan_ref_insecure(ref, 0, opts, out, err);
}
