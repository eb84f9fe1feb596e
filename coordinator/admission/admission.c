/*
 * admission: one review -> one verdict (see admission.h). Per image: a
 * digest (admission_resolve.c), its views from the fleet view, the
 * findings past the threshold; then one response for the whole pod spec.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission_int.h"
#include "globs.h"
#include "admission_review.h"
#include "fleet/agg_view.h"
#include "base/array.h"
#include "base/log.h"
#include "bus/msg_job.h"
#include "events.h"

/* What the fleet view says about one image. */
typedef enum { IMG_CLEAN = 0, IMG_BAD, IMG_UNSCANNED } img_state;

/* One reviewed image and what was found. */
typedef struct adm_img {
    const sf_adm_image *in;
    sf_adm_ref ref;
    img_state state;
    const char *why;          /* unscanned: "no result", "scan failed: <kind>", ... */
    char err_kind[64];
    size_t nbad;              /* findings past the threshold (every platform) */
    sf_agg_vuln worst[SF_LIM_ADM_WORST]; /* copies of the worst (strings borrowed from views) */
    size_t nworst;
} adm_img;

/* A review being decided. */
typedef struct adm_ctx {
    sf_adm *a;
    const sf_adm_review *rv;
    long long deadline;
    sf_agg_view **views; /* every view parsed for this review (freed at the end) */
    size_t nviews, capviews;
    sf_buf deny;         /* reasons, "; "-separated */
    char *warn[SF_LIM_ADM_WARNINGS];
    size_t nwarn;
} adm_ctx;

int sf_adm_new(sf_adm **out, const sf_adm_opts *o, sf_error *err)
{
    *out = NULL;
    sf_adm *a = calloc(1, sizeof *a);
    if (!a)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    a->o = *o;
    if (!a->o.prefix)
        a->o.prefix = SF_KEY_PREFIX_DEFAULT;
    if (!a->o.jobs_topic)
        a->o.jobs_topic = "scanfarm.jobs.priority";
    if (a->o.budget_ms <= 0)
        a->o.budget_ms = 200;
    pthread_mutex_init(&a->regmu, NULL);
    int rc = sf_keys_agg_shard(a->shard, a->o.prefix, err);
    if (rc == SF_OK)
        rc = sf_keys_agg(a->k_views, a->o.prefix, "views", err);
    if (rc == SF_OK)
        rc = sf_keys_agg(a->k_refs, a->o.prefix, "refs", err);
    if (rc == SF_OK && (sf_adm_cache_init(&a->tags) || sf_adm_cache_init(&a->queued)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc != SF_OK) {
        sf_adm_free(a);
        return rc;
    }
    sf_metrics *m = o->metrics ? o->metrics : sf_metrics_default();
    a->reviews = sf_metrics_counter(m, "scanfarm_admission_reviews_total",
                                    "Admission reviews by outcome (allowed, denied, warned, "
                                    "exempt, invalid, error)", "outcome");
    a->images = sf_metrics_counter(m, "scanfarm_admission_images_total",
                                   "Images reviewed by state (clean, bad, unscanned, queued)",
                                   "state");
    a->seconds = sf_metrics_histogram(m, "scanfarm_admission_review_seconds",
                                      "Time to answer one admission review", NULL, NULL, 0);
    *out = a;
    return SF_OK;
}

void sf_adm_free(sf_adm *a)
{
    if (!a)
        return;
    sf_adm_regs_free(a);
    sf_adm_cache_clear(&a->tags);
    sf_adm_cache_clear(&a->queued);
    pthread_mutex_destroy(&a->regmu);
    free(a);
}

/* ---- the fleet view ---- */

static int keep_view(adm_ctx *c, const char *json, size_t len, sf_agg_view **out)
{
    *out = NULL;
    sf_agg_view **nv = sf_array_grow(c->views, &c->capviews, c->nviews, sizeof *nv, 8, 0);
    if (!nv)
        return SF_ENOMEM;
    c->views = nv;
    if (sf_agg_view_parse(json, len, out, NULL) != SF_OK)
        return SF_OK; /* a corrupt stored view counts as no result */
    c->views[c->nviews++] = *out;
    return SF_OK;
}

/* Fold one view's findings into im. */
static void judge(const sf_adm *a, adm_img *im, const sf_agg_view *v)
{
    if (v->error) {
        snprintf(im->err_kind, sizeof im->err_kind, "%s", v->error);
        return;
    }
    if (im->state == IMG_UNSCANNED)
        im->state = IMG_CLEAN;
    for (size_t i = 0; i < v->nvulns; i++) {
        const sf_agg_vuln *f = &v->vulns[i];
        if (f->sev < a->o.min_sev || (a->o.fixable_only && !f->fixed)) /* worse = higher */
            continue;
        im->state = IMG_BAD;
        im->nbad++;
        /* keep the worst: higher severity first, then higher CVSS */
        size_t at = im->nworst;
        while (at > 0 && (im->worst[at - 1].sev < f->sev ||
                          (im->worst[at - 1].sev == f->sev && im->worst[at - 1].cvss < f->cvss)))
            at--;
        if (at >= SF_LIM_ADM_WORST)
            continue;
        size_t n = im->nworst < SF_LIM_ADM_WORST ? im->nworst : SF_LIM_ADM_WORST - 1;
        memmove(&im->worst[at + 1], &im->worst[at], (n - at) * sizeof *im->worst);
        im->worst[at] = *f;
        if (im->nworst < SF_LIM_ADM_WORST)
            im->nworst++;
    }
}

/* The views of digest d (its own, else its platform images'). */
static int look_up(adm_ctx *c, adm_img *im, sf_error *err)
{
    sf_adm *a = c->a;
    sf_kv_reply *r = NULL, *m = NULL, *v = NULL;
    sf_agg_view *view;
    char ikey[SF_KEY_MAX];
    const char **argv = NULL;
    const char *get[] = {"HGET", a->k_views, im->ref.digest};
    int rc = sf_kv_argv(a->o.kv, a->shard, 3, get, NULL, &r, err);
    if (rc == SF_OK && r->type == SF_KV_STR) {
        if ((rc = keep_view(c, r->str, r->len, &view)) == SF_OK && view)
            judge(a, im, view);
        goto done;
    }
    if (rc != SF_OK || sf_keys_agg_index(ikey, a->o.prefix, im->ref.digest, NULL) != SF_OK)
        goto done;
    const char *mem[] = {"SMEMBERS", ikey};
    if ((rc = sf_kv_argv(a->o.kv, a->shard, 2, mem, NULL, &m, err)) != SF_OK ||
        m->type != SF_KV_ARR || m->nelem == 0)
        goto done;
    if (!(argv = calloc(m->nelem + 2, sizeof *argv))) {
        rc = SF_ENOMEM;
        goto done;
    }
    argv[0] = "HMGET", argv[1] = a->k_views;
    for (size_t i = 0; i < m->nelem; i++)
        argv[2 + i] = m->elem[i].type == SF_KV_STR ? m->elem[i].str : "";
    if ((rc = sf_kv_argv(a->o.kv, a->shard, (int)m->nelem + 2, argv, NULL, &v, err)) != SF_OK)
        goto done;
    for (size_t i = 0; rc == SF_OK && i < v->nelem; i++)
        if (v->elem[i].type == SF_KV_STR &&
            (rc = keep_view(c, v->elem[i].str, v->elem[i].len, &view)) == SF_OK && view)
            judge(a, im, view);
done:
    free(argv);
    sf_kv_reply_free(r), sf_kv_reply_free(m), sf_kv_reply_free(v);
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "out of memory");
    return rc;
}

/* ---- the verdict ---- */

static const char *kind_word(sf_kpod_ckind k)
{
    return k == SF_KPOD_INIT ? "init container" : k == SF_KPOD_EPHEMERAL ? "ephemeral container"
                                                                         : "container";
}

static void warn(adm_ctx *c, const char *s)
{
    if (c->nwarn < SF_LIM_ADM_WARNINGS && (c->warn[c->nwarn] = sf_strdup(s)))
        c->nwarn++;
}

/* "container app (nginx:1.25, sha256:0123456789ab)" */
static void who(const adm_img *im, char *out, size_t n)
{
    const char *d = im->ref.digest;
    snprintf(out, n, "%s %s (%s%s%.19s)", kind_word(im->in->kind), im->in->container,
             im->in->image, *d && !strchr(im->in->image, '@') ? ", " : "",
             *d && !strchr(im->in->image, '@') ? d : "");
}

static void bad_text(const sf_adm *a, const adm_img *im, sf_buf *b)
{
    char w[1400];
    who(im, w, sizeof w);
    sf_buf_printf(b, "%s has %zu finding%s at or above %s%s:", w, im->nbad, im->nbad == 1 ? "" : "s",
                  sf_agg_sev_name(a->o.min_sev), a->o.fixable_only ? " with a fix" : "");
    for (size_t i = 0; i < im->nworst; i++) {
        const sf_agg_vuln *f = &im->worst[i];
        sf_buf_printf(b, "%s %s (%s) in %s %s, fixed in %s", i ? "," : "", f->id,
                      sf_agg_sev_name(f->sev), f->pkg, f->installed ? f->installed : "?",
                      f->fixed ? f->fixed : "no release yet");
    }
    if (im->nbad > im->nworst)
        sf_buf_printf(b, ", and %zu more", im->nbad - im->nworst);
}

static void queue_scan(adm_ctx *c, adm_img *im)
{
    sf_adm *a = c->a;
    char run[64], now[40], mark[SF_ADM_CACHE_VAL], *json = NULL;
    size_t len;
    if (!a->o.jobs || c->rv->dry_run || !im->ref.digest[0] ||
        sf_adm_cache_get(&a->queued, im->ref.digest, mark, sf_adm_now_ms()))
        return;
    char *refs[1] = {im->ref.ref};
    /* a push-style run: its refs join the image's, they do not replace them */
    sf_events_run_id(run, sizeof run);
    sf_job_now(now, sizeof now);
    sf_job j = {.run_id = run, .kind = SF_JOB_SCAN, .registry = im->ref.registry,
                .repository = im->ref.repository, .digest = im->ref.digest,
                .refs = im->ref.ref[0] ? refs : NULL, .nrefs = im->ref.ref[0] ? 1 : 0,
                .enqueued_at = now};
    sf_error e = SF_ERROR_INIT;
    if (sf_job_encode(&j, &json, &len, &e) == SF_OK &&
        sf_kprod_produce(a->o.jobs, a->o.jobs_topic, im->ref.digest, strlen(im->ref.digest), json,
                         len, NULL, &e) == SF_OK) {
        sf_adm_cache_put(&a->queued, im->ref.digest, "1", sf_adm_now_ms() + SF_ADM_QUEUED_TTL_MS);
        sf_metric_inc(a->images, "queued");
        SF_INFO("admission", "scan queued|digest=%s ref=%s", im->ref.digest, im->ref.ref);
    } else {
        SF_WARN("admission", "scan not queued|digest=%s reason=%s", im->ref.digest, e.msg);
    }
    free(json);
}

static void unscanned(adm_ctx *c, adm_img *im)
{
    char w[1400], t[1700];
    const char *why = im->err_kind[0] ? "its scan failed" : im->ref.digest[0] ? "it has no scan result"
                                                                               : "its tag could not be resolved";
    who(im, w, sizeof w);
    if (c->a->o.unscanned == SF_ADM_UNSCANNED_DENY) {
        snprintf(t, sizeof t, "%s%s: %s (policy: deny unscanned images)", c->deny.len ? "; " : "",
                 w, why);
        sf_buf_puts(&c->deny, t);
        return;
    }
    int scan = c->a->o.unscanned == SF_ADM_UNSCANNED_SCAN;
    if (scan)
        queue_scan(c, im);
    snprintf(t, sizeof t, "scanfarm: %s admitted unchecked: %s%s", w, why,
             scan && im->ref.digest[0] ? "; a scan is queued" : "");
    warn(c, t);
}

/* Decide every image of c->rv; SF_EREDIS when the fleet view failed. */
static int decide(adm_ctx *c, sf_error *err)
{
    const sf_adm_review *rv = c->rv;
    for (size_t i = 0; i < rv->nimages; i++) {
        adm_img im = {.in = &rv->images[i], .state = IMG_UNSCANNED};
        sf_error pe = SF_ERROR_INIT;
        int rc = SF_OK;
        if (sf_adm_ref_parse(im.in->image, &im.ref, &pe) == SF_OK) {
            rc = sf_adm_resolve(c->a, &im.ref, c->deadline, err);
            if (rc == SF_OK && im.ref.digest[0])
                rc = look_up(c, &im, err);
        }
        if (rc != SF_OK)
            return rc;
        sf_metric_inc(c->a->images, im.state == IMG_BAD ? "bad" : im.state == IMG_CLEAN ? "clean"
                                                                                        : "unscanned");
        if (im.state == IMG_UNSCANNED) {
            unscanned(c, &im);
        } else if (im.state == IMG_BAD && c->a->o.audit) {
            sf_buf b;
            sf_buf_init(&b, SF_LIM_ADM_MESSAGE);
            sf_buf_puts(&b, "scanfarm (audit, not enforced): ");
            bad_text(c->a, &im, &b);
            warn(c, b.data ? b.data : "");
            sf_buf_free(&b);
        } else if (im.state == IMG_BAD) {
            if (c->deny.len)
                sf_buf_puts(&c->deny, "; ");
            bad_text(c->a, &im, &c->deny);
        }
    }
    return SF_OK;
}

static int exempt(const sf_adm *a, const char *ns)
{
    return sf_globs_any(a->o.exempt, a->o.nexempt, ns);
}

static void respond(adm_ctx *c, sf_buf *out, const char **outcome)
{
    sf_buf msg;
    sf_buf_init(&msg, SF_LIM_ADM_MESSAGE + 64);
    int denied = c->deny.len > 0;
    if (denied)
        sf_buf_printf(&msg, "scanfarm: %s", c->deny.data);
    sf_adm_verdict v = {.allowed = !denied, .code = 403, .message = msg.data,
                        .warnings = (const char *const *)c->warn, .nwarnings = c->nwarn};
    char *s = sf_adm_response(c->rv->uid, &v);
    if (s)
        sf_buf_puts(out, s);
    free(s);
    sf_buf_free(&msg);
    *outcome = denied ? "denied" : c->nwarn ? "warned" : "allowed";
}

void sf_adm_handle(sf_adm *a, const char *body, size_t len, sf_buf *out, int *status)
{
    long long t0 = sf_adm_now_ms();
    sf_error err = SF_ERROR_INIT;
    sf_adm_review *rv = NULL;
    const char *outcome = "invalid";
    adm_ctx c = {.a = a, .deadline = t0 + a->o.budget_ms};
    sf_buf_init(&c.deny, SF_LIM_ADM_MESSAGE);
    sf_buf_reset(out);
    if (sf_adm_review_parse(body ? body : "", len, &rv, &err) != SF_OK) {
        *status = 400;
        sf_buf_printf(out, "malformed AdmissionReview: %s\n", err.msg);
        goto done;
    }
    c.rv = rv;
    *status = 200;
    if (exempt(a, rv->ns)) {
        outcome = "exempt";
        sf_adm_verdict v = {.allowed = 1};
        char *s = sf_adm_response(rv->uid, &v);
        sf_buf_puts(out, s ? s : "");
        free(s);
        goto done;
    }
    if (decide(&c, &err) != SF_OK) {
        *status = 503;
        outcome = "error";
        sf_buf_reset(out);
        sf_buf_printf(out, "fleet view unavailable: %s\n", err.msg);
        SF_WARN("admission", "review not decided|uid=%s reason=%s", rv->uid, err.msg);
        goto done;
    }
    respond(&c, out, &outcome);
    SF_INFO("admission", "review|uid=%s kind=%s ns=%s name=%s images=%zu outcome=%s", rv->uid,
            rv->kind, rv->ns, rv->name, rv->nimages, outcome);
done:
    sf_metric_inc(a->reviews, outcome);
    sf_metric_observe(a->seconds, NULL, (double)(sf_adm_now_ms() - t0) / 1000.0);
    for (size_t i = 0; i < c.nviews; i++)
        sf_agg_view_free(c.views[i]);
    free(c.views);
    for (size_t i = 0; i < c.nwarn; i++)
        free(c.warn[i]);
    sf_buf_free(&c.deny);
    sf_adm_review_free(rv);
}
