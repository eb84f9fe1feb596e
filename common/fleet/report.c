/*
 * report: see report.h. The model is the list of image views; every total
 * is recomputed here from those views (never read from the counters), so
 * a report cannot disagree with the results it summarises. The counters
 * kept by the aggregator serve `status` and cheap dashboards; the
 * integration test checks the two agree.
 */
#include "fleet/report.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/array.h"
#include "base/json.h"
#include "base/time.h"
#include "cache/keys.h"
#include "sf_version.h"
#include "vuln/severity.h"

int sf_report_new(sf_report **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return SF_ENOMEM;
    (*out)->generated_ms = sf_time_wall_ms();
    return SF_OK;
}

void sf_report_free(sf_report *r)
{
    if (!r)
        return;
    SF_PTRS_FREE(r->imgs, r->nimgs, sf_agg_view_free);
    free(r->cves);
    free(r->by_priority);
    free(r->regs);
    sf_report_running_free(r);
    free(r);
}

int sf_report_add(sf_report *r, sf_agg_view *v)
{
    if (SF_ARRAY_RESERVE(r->imgs, r->capimgs, r->nimgs, 64, 0) != SF_OK) {
        sf_agg_view_free(v);
        return SF_ENOMEM;
    }
    r->imgs[r->nimgs++] = v;
    return SF_OK;
}

int sf_report_img_cmp(const sf_agg_view *a, const sf_agg_view *b)
{
    for (int i = 0; i < SF_SEV_N; i++) {
        sf_sev s = sf_sev_at(i); /* most severe first */
        if (a->sev[s] != b->sev[s])
            return a->sev[s] > b->sev[s] ? -1 : 1;
    }
    if (a->nvulns != b->nvulns)
        return a->nvulns > b->nvulns ? -1 : 1;
    return strcmp(a->digest, b->digest);
}

static int img_qcmp(const void *a, const void *b)
{
    return sf_report_img_cmp(*(sf_agg_view *const *)a, *(sf_agg_view *const *)b);
}

static int cve_id_cmp(const void *a, const void *b)
{
    return strcmp(((const sf_report_cve *)a)->id, ((const sf_report_cve *)b)->id);
}

static int cve_rank_cmp(const void *a, const void *b)
{
    const sf_report_cve *x = a, *y = b;
    if (x->images != y->images)
        return x->images > y->images ? -1 : 1;
    if (x->sev != y->sev)
        return x->sev > y->sev ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Highest priority first; ties by images, then id. */
static int cve_prio_cmp(const void *a, const void *b)
{
    const sf_report_cve *x = a, *y = b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return cve_rank_cmp(a, b);
}

/* Merge one sighting's KEV and EPSS into c. */
static void cve_facts(sf_report_cve *c, int kev, double epss, double pct)
{
    c->kev |= kev;
    if (epss > c->epss) {
        c->epss = epss;
        c->epss_pct = pct;
    }
}

static int reg_cmp(const void *a, const void *b)
{
    const sf_report_reg *x = a, *y = b;
    if (x->images != y->images)
        return x->images > y->images ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* One entry per (image, distinct id), merged by id. */
static int build_cves(sf_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nimgs; i++)
        n += r->imgs[i]->nvulns;
    r->cves = calloc(n + 1, sizeof *r->cves);
    if (!r->cves)
        return SF_ENOMEM;
    for (size_t i = 0; i < r->nimgs; i++) {
        const sf_agg_view *v = r->imgs[i];
        for (size_t k = 0; k < v->nvulns; k++) {
            const sf_agg_vuln *x = &v->vulns[k];
            sf_report_cve *c = r->ncves && k > 0 && strcmp(v->vulns[k - 1].id, x->id) == 0
                                   ? &r->cves[r->ncves - 1]
                                   : NULL;
            if (!c) {
                c = &r->cves[r->ncves++];
                c->id = x->id;
                c->sev = x->sev;
                c->cvss = x->cvss;
                c->epss = c->epss_pct = -1;
                c->images = 1;
            }
            c->sev = x->sev > c->sev ? x->sev : c->sev;
            c->cvss = x->cvss > c->cvss ? x->cvss : c->cvss;
            cve_facts(c, x->kev, x->epss, x->epss_pct);
            r->kev_findings += x->kev != 0;
            c->fixable_images |= x->fixed != NULL; /* 0/1 per image before merge */
        }
    }
    qsort(r->cves, r->ncves, sizeof *r->cves, cve_id_cmp);
    size_t w = 0;
    for (size_t i = 0; i < r->ncves; i++) {
        if (w > 0 && strcmp(r->cves[w - 1].id, r->cves[i].id) == 0) {
            sf_report_cve *c = &r->cves[w - 1];
            c->images += r->cves[i].images;
            c->fixable_images += r->cves[i].fixable_images;
            c->sev = r->cves[i].sev > c->sev ? r->cves[i].sev : c->sev;
            c->cvss = r->cves[i].cvss > c->cvss ? r->cves[i].cvss : c->cvss;
            cve_facts(c, r->cves[i].kev, r->cves[i].epss, r->cves[i].epss_pct);
            continue;
        }
        r->cves[w++] = r->cves[i];
    }
    r->ncves = w;
    for (size_t i = 0; i < r->ncves; i++) {
        sf_report_cve *c = &r->cves[i];
        c->priority = sf_priority(c->kev, c->epss_pct, c->cvss, c->fixable_images > 0);
        r->nkev += c->kev != 0;
    }
    qsort(r->cves, r->ncves, sizeof *r->cves, cve_rank_cmp);
    r->by_priority = malloc((r->ncves + 1) * sizeof *r->by_priority);
    if (!r->by_priority)
        return SF_ENOMEM;
    memcpy(r->by_priority, r->cves, r->ncves * sizeof *r->cves);
    qsort(r->by_priority, r->ncves, sizeof *r->cves, cve_prio_cmp);
    return SF_OK;
}

static sf_report_reg *reg_get(sf_report *r, const char *name, size_t cap)
{
    for (size_t i = 0; i < r->nregs; i++)
        if (strcmp(r->regs[i].name, name) == 0)
            return &r->regs[i];
    if (r->nregs == cap)
        return NULL;
    sf_report_reg *g = &r->regs[r->nregs++];
    snprintf(g->name, sizeof g->name, "%s", name);
    return g;
}

/* Each image counts once under every distinct registry of its refs. */
static int build_regs(sf_report *r)
{
    size_t cap = 0;
    for (size_t i = 0; i < r->nimgs; i++)
        cap += r->imgs[i]->nrefs ? r->imgs[i]->nrefs : 1;
    r->regs = calloc(cap + 1, sizeof *r->regs);
    if (!r->regs)
        return SF_ENOMEM;
    for (size_t i = 0; i < r->nimgs; i++) {
        const sf_agg_view *v = r->imgs[i];
        for (size_t k = 0; k < (v->nrefs ? v->nrefs : 1); k++) {
            char reg[256], repo[512], r2[256];
            int seen = 0;
            if (v->nrefs)
                sf_agg_ref_split(v->refs[k], reg, sizeof reg, repo, sizeof repo);
            else
                snprintf(reg, sizeof reg, "unknown");
            for (size_t j = 0; j < k && !seen; j++) {
                sf_agg_ref_split(v->refs[j], r2, sizeof r2, repo, sizeof repo);
                seen = strcmp(r2, reg) == 0;
            }
            sf_report_reg *g = seen ? NULL : reg_get(r, reg, cap);
            if (!g)
                continue;
            g->images++;
            g->vulnerable += v->nvulns > 0;
            g->errors += v->error != NULL;
            g->findings += v->nvulns;
            g->fixable += v->fixable;
            for (int s = 0; s < SF_SEV_N; s++)
                g->sev[s] += v->sev[s];
        }
    }
    qsort(r->regs, r->nregs, sizeof *r->regs, reg_cmp);
    return SF_OK;
}

int sf_report_finish(sf_report *r)
{
    r->images = r->nimgs;
    for (size_t i = 0; i < r->nimgs; i++) {
        const sf_agg_view *v = r->imgs[i];
        r->errors += v->error != NULL;
        r->vulnerable += v->nvulns > 0;
        r->findings += v->nvulns;
        r->fixable += v->fixable;
        for (int s = 0; s < SF_SEV_N; s++)
            r->sev[s] += v->sev[s];
    }
    if (r->nimgs)
        qsort(r->imgs, r->nimgs, sizeof *r->imgs, img_qcmp);
    int rc = build_cves(r);
    return rc == SF_OK ? build_regs(r) : rc;
}

/* ---- loading ---- */

static int add_view_str(sf_report *r, const char *s, size_t len, sf_error *err)
{
    sf_agg_view *v = NULL;
    int rc = sf_agg_view_parse(s, len, &v, err);
    if (rc != SF_OK)
        return rc;
    return sf_report_add(r, v);
}

/* Every view: HSCAN the views hash in batches. */
static int load_all(sf_report *r, sf_kv *kv, const char *shard, const char *views, sf_error *err)
{
    char cursor[32] = "0";
    int rc = SF_OK;
    do {
        sf_kv_reply *rep = NULL;
        const char *argv[] = {"HSCAN", views, cursor, "COUNT", "500"};
        if ((rc = sf_kv_argv(kv, shard, 5, argv, NULL, &rep, err)) != SF_OK)
            return rc;
        if (rep->type != SF_KV_ARR || rep->nelem != 2 || rep->elem[0].type != SF_KV_STR) {
            sf_kv_reply_free(rep);
            return sf_error_set(err, SF_EREDIS, "redis HSCAN: unexpected reply");
        }
        snprintf(cursor, sizeof cursor, "%s", rep->elem[0].str);
        const sf_kv_reply *a = &rep->elem[1];
        for (size_t i = 1; rc == SF_OK && i < a->nelem; i += 2)
            rc = add_view_str(r, a->elem[i].str, a->elem[i].len, err);
        sf_kv_reply_free(rep);
    } while (rc == SF_OK && strcmp(cursor, "0") != 0);
    return rc;
}

/* The run's images: SMEMBERS, then HMGET views in batches. */
static int load_run(sf_report *r, sf_kv *kv, const char *prefix, const char *shard,
                    const char *views, const char *run, sf_error *err)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *m = NULL;
    int rc;
    if ((rc = sf_keys_agg_run(key, prefix, run, "images", err)) != SF_OK)
        return rc;
    const char *argv[] = {"SMEMBERS", key};
    if ((rc = sf_kv_argv(kv, shard, 2, argv, NULL, &m, err)) != SF_OK)
        return rc;
    if (m->nelem == 0)
        rc = sf_error_set(err, SF_ENOTFOUND, "run %s: not found (the aggregator has no result "
                                             "of it)", run);
    for (size_t at = 0; rc == SF_OK && at < m->nelem; at += 256) {
        size_t n = m->nelem - at < 256 ? m->nelem - at : 256;
        const char *hv[2 + 256];
        sf_kv_reply *v = NULL;
        hv[0] = "HMGET";
        hv[1] = views;
        for (size_t i = 0; i < n; i++)
            hv[2 + i] = m->elem[at + i].str ? m->elem[at + i].str : "";
        if ((rc = sf_kv_argv(kv, shard, (int)(2 + n), hv, NULL, &v, err)) != SF_OK)
            break;
        for (size_t i = 0; rc == SF_OK && i < v->nelem; i++)
            if (v->elem[i].type == SF_KV_STR)
                rc = add_view_str(r, v->elem[i].str, v->elem[i].len, err);
        sf_kv_reply_free(v);
    }
    sf_kv_reply_free(m);
    return rc;
}

int sf_report_load(sf_report **out, sf_kv *kv, const char *prefix, const char *run_id,
                   sf_error *err)
{
    char shard[SF_KEY_MAX], views[SF_KEY_MAX];
    sf_report *r = NULL;
    int rc;
    *out = NULL;
    prefix = prefix ? prefix : SF_KEY_PREFIX_DEFAULT;
    if ((rc = sf_keys_agg_shard(shard, prefix, err)) != SF_OK ||
        (rc = sf_keys_agg(views, prefix, "views", err)) != SF_OK)
        return rc;
    if (sf_report_new(&r) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (run_id && *run_id) {
        snprintf(r->run, sizeof r->run, "%s", run_id);
        rc = load_run(r, kv, prefix, shard, views, run_id, err);
    } else {
        rc = load_all(r, kv, shard, views, err);
    }
    if (rc == SF_OK && (rc = sf_report_finish(r)) != SF_OK)
        sf_error_set(err, rc, "out of memory");
    if (rc == SF_OK)
        rc = sf_report_load_running(r, kv, prefix, err);
    if (rc != SF_OK) {
        sf_report_free(r);
        return rc;
    }
    *out = r;
    return SF_OK;
}

/* ---- text and JSON ---- */

static double share(size_t part, size_t whole) { return whole ? (double)part / (double)whole : 0; }

static const char *first_ref(const sf_agg_view *v) { return v->nrefs ? v->refs[0] : v->digest; }

double sf_report_unknown_share(const sf_report *r)
{
    return share(r->sev[SF_SEV_UNKNOWN], r->findings);
}

static void epss_text(char *out, size_t n, double epss, double pct)
{
    if (epss < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%.3f (p%.0f)", epss, 100.0 * (pct < 0 ? 0 : pct));
}

/* "Exploited in the wild": the CVEs CISA KEV lists, highest priority first. */
static int table_exploited(const sf_report *r, sf_buf *out)
{
    int rc = sf_buf_printf(out, "EXPLOITED IN THE WILD (CISA KEV): %zu CVE%s, %zu finding%s\n",
                           r->nkev, r->nkev == 1 ? "" : "s", r->kev_findings,
                           r->kev_findings == 1 ? "" : "s");
    if (rc == SF_OK && r->nkev)
        rc = sf_buf_printf(out, "%-24s %-9s %5s %-13s %7s %8s\n", "CVE", "SEVERITY", "CVSS", "EPSS",
                           "IMAGES", "FIXABLE");
    for (size_t i = 0; rc == SF_OK && i < r->ncves && r->by_priority[i].kev; i++) {
        const sf_report_cve *c = &r->by_priority[i];
        char e[32];
        epss_text(e, sizeof e, c->epss, c->epss_pct);
        rc = sf_buf_printf(out, "%-24s %-9s %5.1f %-13s %7zu %8zu\n", c->id,
                           sf_agg_sev_name(c->sev), c->cvss < 0 ? 0 : c->cvss, e, c->images,
                           c->fixable_images);
    }
    return rc == SF_OK ? sf_buf_puts(out, "\n") : rc;
}

int sf_report_table(const sf_report *r, sf_buf *out)
{
    int rc = SF_OK;
#define P(...) (rc = rc == SF_OK ? sf_buf_printf(out, __VA_ARGS__) : rc)
    P("scanfarm fleet report%s%s\n\n", r->run[0] ? " — run " : "", r->run);
    rc = rc == SF_OK ? sf_report_running_table(r, out) : rc;
    if (rc == SF_OK)
        rc = table_exploited(r, out);
    P("images scanned   %zu (%zu with findings, %zu failed)\n", r->images, r->vulnerable,
      r->errors);
    P("findings         %zu: critical %zu, high %zu, medium %zu, low %zu, unknown %zu "
      "(%.1f%% unknown)\n",
      r->findings, r->sev[SF_SEV_CRITICAL], r->sev[SF_SEV_HIGH], r->sev[SF_SEV_MEDIUM], r->sev[SF_SEV_LOW], r->sev[SF_SEV_UNKNOWN],
      100.0 * sf_report_unknown_share(r));
    P("fixable          %zu (%.1f%%)\n\n", r->fixable, 100.0 * share(r->fixable, r->findings));
    P("%-28s %7s %9s %9s %6s %6s %6s %6s\n", "REGISTRY", "IMAGES", "FINDINGS", "FIXABLE",
      "CRIT", "HIGH", "MED", "LOW");
    for (size_t i = 0; i < r->nregs; i++) {
        const sf_report_reg *g = &r->regs[i];
        P("%-28s %7zu %9zu %9zu %6zu %6zu %6zu %6zu\n", g->name, g->images, g->findings,
          g->fixable, g->sev[SF_SEV_CRITICAL], g->sev[SF_SEV_HIGH], g->sev[SF_SEV_MEDIUM], g->sev[SF_SEV_LOW]);
    }
    P("\n%-24s %-3s %-13s %5s %-9s %7s\n", "TOP PRIORITY", "KEV", "EPSS", "CVSS", "SEVERITY",
      "IMAGES");
    for (size_t i = 0; i < r->ncves && i < SF_REPORT_TOP; i++) {
        const sf_report_cve *c = &r->by_priority[i];
        char e[32];
        epss_text(e, sizeof e, c->epss, c->epss_pct);
        P("%-24s %-3s %-13s %5.1f %-9s %7zu\n", c->id, c->kev ? "yes" : "-", e,
          c->cvss < 0 ? 0 : c->cvss, sf_agg_sev_name(c->sev), c->images);
    }
    P("\n%-24s %-9s %7s %8s\n", "TOP CVE", "SEVERITY", "IMAGES", "FIXABLE");
    for (size_t i = 0; i < r->ncves && i < SF_REPORT_TOP; i++)
        P("%-24s %-9s %7zu %8zu\n", r->cves[i].id, sf_agg_sev_name(r->cves[i].sev),
          r->cves[i].images, r->cves[i].fixable_images);
    /* One row per image manifest: the platforms of a multi-arch tag share
     * its refs, so the platform is what tells their rows apart. */
    P("\n%-46s %-16s %5s %5s %5s %5s %6s\n", "WORST IMAGES", "PLATFORM", "CRIT", "HIGH", "MED",
      "LOW", "TOTAL");
    for (size_t i = 0; i < r->nimgs && i < SF_REPORT_TOP; i++) {
        const sf_agg_view *v = r->imgs[i];
        if (!v->nvulns)
            break;
        P("%-46.46s %-16.16s %5zu %5zu %5zu %5zu %6zu\n", first_ref(v),
          v->platform ? v->platform : "-", v->sev[SF_SEV_CRITICAL], v->sev[SF_SEV_HIGH], v->sev[SF_SEV_MEDIUM], v->sev[SF_SEV_LOW], v->nvulns);
    }
#undef P
    return rc;
}

static json_t *sev_obj(sf_jb *b, const size_t sev[SF_SEV_N], size_t total)
{
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "total", json_integer((json_int_t)total));
    for (int i = 0; i < SF_SEV_N; i++) {
        sf_sev s = sf_sev_at(i); /* keys most severe first */
        char name[16];
        size_t k = 0;
        for (const char *p = sf_agg_sev_name(s); *p && k + 1 < sizeof name; p++)
            name[k++] = (char)(*p | 0x20);
        name[k] = '\0';
        sf_jb_set(b, o, name, json_integer((json_int_t)sev[s]));
    }
    return o;
}

static json_t *refs_arr(sf_jb *b, const sf_agg_view *v)
{
    json_t *a = sf_jb_new(b, json_array());
    for (size_t i = 0; i < v->nrefs; i++)
        sf_jb_push(b, a, json_string(v->refs[i]));
    return a;
}

static json_t *cve_json(const sf_report_cve *c)
{
    json_t *o = json_pack("{s:s, s:s, s:o, s:b, s:o, s:o, s:I, s:I, s:I}", "id", c->id, "severity",
                          sf_agg_sev_name(c->sev), "cvss",
                          c->cvss >= 0 ? json_real(c->cvss) : json_null(), "kev", c->kev, "epss",
                          c->epss >= 0 ? json_real(c->epss) : json_null(), "epss_percentile",
                          c->epss_pct >= 0 ? json_real(c->epss_pct) : json_null(), "priority",
                          (json_int_t)c->priority, "images", (json_int_t)c->images,
                          "fixable_images", (json_int_t)c->fixable_images);
    return o;
}

/* "exploited" (every KEV CVE) and "top_priority", priority order. */
static void priority_lists(sf_jb *b, json_t *o, const sf_report *r)
{
    json_t *kev = sf_jb_new(b, json_array()), *top = sf_jb_new(b, json_array());
    for (size_t i = 0; i < r->ncves && r->by_priority[i].kev; i++)
        sf_jb_push(b, kev, cve_json(&r->by_priority[i]));
    for (size_t i = 0; i < r->ncves && i < SF_REPORT_TOP; i++)
        sf_jb_push(b, top, cve_json(&r->by_priority[i]));
    sf_jb_set(b, o, "exploited", kev);
    sf_jb_set(b, o, "exploited_findings", json_integer((json_int_t)r->kev_findings));
    sf_jb_set(b, o, "top_priority", top);
}

static json_t *report_obj(sf_jb *b, const sf_report *r)
{
    json_t *o = sf_jb_new(b, json_object());
    json_t *cves = sf_jb_new(b, json_array()), *worst = sf_jb_new(b, json_array());
    json_t *regs = sf_jb_new(b, json_array());
    sf_jb_set(b, o, "schema", json_string(SF_REPORT_SCHEMA));
    sf_jb_set(b, o, "generator", json_string("scanfarm " SF_VERSION_FULL));
    sf_jb_set(b, o, "generated_ms", json_integer(r->generated_ms));
    sf_jb_set(b, o, "run", r->run[0] ? json_string(r->run) : json_null());
    sf_jb_set(b, o, "images", json_integer((json_int_t)r->images));
    sf_jb_set(b, o, "images_vulnerable", json_integer((json_int_t)r->vulnerable));
    sf_jb_set(b, o, "images_failed", json_integer((json_int_t)r->errors));
    priority_lists(b, o, r);
    sf_jb_set(b, o, "findings", sev_obj(b, r->sev, r->findings));
    sf_jb_set(b, o, "unknown_share", json_real(sf_report_unknown_share(r)));
    sf_jb_set(b, o, "fixable", json_integer((json_int_t)r->fixable));
    sf_jb_set(b, o, "fixable_share", json_real(share(r->fixable, r->findings)));
    for (size_t i = 0; i < r->ncves && i < SF_REPORT_TOP; i++)
        sf_jb_push(b, cves, json_pack("{s:s, s:s, s:f, s:I, s:I}", "id", r->cves[i].id,
                                      "severity", sf_agg_sev_name(r->cves[i].sev), "cvss",
                                      r->cves[i].cvss, "images", (json_int_t)r->cves[i].images,
                                      "fixable_images", (json_int_t)r->cves[i].fixable_images));
    for (size_t i = 0; i < r->nimgs && i < SF_REPORT_TOP; i++) {
        const sf_agg_view *v = r->imgs[i];
        /* json_pack takes its "o" values even when it fails */
        sf_jb_push(b, worst, json_pack("{s:s, s:s?, s:o, s:o, s:I, s:s?}", "digest", v->digest,
                                       "platform", v->platform, "refs", refs_arr(b, v), "findings",
                                       sev_obj(b, v->sev, v->nvulns), "fixable",
                                       (json_int_t)v->fixable, "error", v->error));
    }
    for (size_t i = 0; i < r->nregs; i++) {
        const sf_report_reg *g = &r->regs[i];
        sf_jb_push(b, regs, json_pack("{s:s, s:I, s:I, s:I, s:o, s:I}", "registry", g->name,
                                      "images", (json_int_t)g->images, "images_vulnerable",
                                      (json_int_t)g->vulnerable, "images_failed",
                                      (json_int_t)g->errors, "findings",
                                      sev_obj(b, g->sev, g->findings), "fixable",
                                      (json_int_t)g->fixable));
    }
    sf_jb_set(b, o, "top_cves", cves);
    sf_jb_set(b, o, "worst_images", worst);
    sf_jb_set(b, o, "registries", regs);
    return o;
}

int sf_report_json(const sf_report *r, sf_buf *out)
{
    sf_jb b = {0};
    json_t *o = report_obj(&b, r);
    if (sf_jb_status(&b) != SF_OK || sf_report_running_json(r, o) != SF_OK)
        json_decref(o), o = NULL;
    int rc = sf_jutil_dump_pretty(o, out);
    json_decref(o);
    return rc;
}
