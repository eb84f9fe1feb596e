/*
 * report: the fleet summary behind `scanfarm report` and the answers of
 * `scanfarm query`. A report is built from the aggregator's stored views
 * (one per image, the latest result of each digest), so its totals are by
 * construction the sum of the per-image results; it renders as a text
 * table, JSON (`scanfarm.report/v1`), one self-contained HTML page with
 * inline SVG charts (report_html.c), or SARIF 2.1.0.
 */
#ifndef SF_REPORT_H
#define SF_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fleet/agg_view.h"
#include "base/buf.h"
#include "base/err.h"
#include "cache/kv.h"

#define SF_REPORT_SCHEMA "scanfarm.report/v1"
/* Rows in the "top CVEs" and "worst images" lists. */
#define SF_REPORT_TOP 20

typedef struct sf_report_cve {
    const char *id;        /* borrowed from a view */
    int sev;               /* highest severity seen for it */
    double cvss;           /* highest score seen (-1 none) */
    int kev;               /* in CISA KEV: exploited in the wild */
    double epss, epss_pct; /* highest EPSS probability / percentile seen (-1 none) */
    long priority;         /* sf_priority(kev, epss_pct, cvss, any image fixable) */
    size_t images;         /* images carrying it */
    size_t fixable_images; /* of which a fix exists */
} sf_report_cve;

typedef struct sf_report_reg {
    char name[256];
    size_t images, vulnerable, errors, findings, fixable;
    size_t sev[SF_SEV_N];
} sf_report_reg;

typedef struct sf_report {
    char run[129];          /* "" = the whole fleet */
    int64_t generated_ms;
    sf_agg_view **imgs;     /* owned; after finish: worst first */
    size_t nimgs, capimgs;
    size_t images, errors, vulnerable, findings, fixable;
    size_t sev[SF_SEV_N];
    sf_report_cve *cves;    /* after finish: most images first */
    size_t ncves;
    sf_report_cve *by_priority; /* after finish: the same CVEs, highest priority
                                   first (KEV, EPSS percentile, CVSS, fixable) */
    size_t nkev, kev_findings;  /* CVEs in CISA KEV, and findings of them */
    sf_report_reg *regs;    /* after finish: most images first */
    size_t nregs;
    struct sf_running *running; /* running view (report_running.c); NULL = none */
} sf_report;

int sf_report_new(sf_report **out);
void sf_report_free(sf_report *r);
/* Add one image's view (ownership moves to r, also on failure). */
int sf_report_add(sf_report *r, sf_agg_view *v);
/* Aggregate and sort; call once after the last add. */
int sf_report_finish(sf_report *r);

/* Load every stored view (run_id NULL/"": whole fleet; else the images
 * with a result in that run) and finish. */
int sf_report_load(sf_report **out, sf_kv *kv, const char *prefix, const char *run_id,
                   sf_error *err);

int sf_report_table(const sf_report *r, sf_buf *out);
int sf_report_json(const sf_report *r, sf_buf *out);
int sf_report_sarif(const sf_report *r, sf_buf *out);
int sf_report_html(const sf_report *r, sf_buf *out); /* report_html.c */

/* Share of findings whose severity is UNKNOWN, 0..1. */
double sf_report_unknown_share(const sf_report *r);

/* Worst-first ordering of images: critical, high, medium, low, total. */
int sf_report_img_cmp(const sf_agg_view *a, const sf_agg_view *b);

/* `query cve ID`: every ref carrying id with installed and fixed version
 * (json: an array of objects). SF_ENOTFOUND when no image carries it. */
int sf_query_cve(sf_kv *kv, const char *prefix, const char *id, int json, sf_buf *out,
                 sf_error *err);
/* `query image REF|DIGEST`: the latest result document as stored.
 * SF_ENOTFOUND when unknown. */
int sf_query_image(sf_kv *kv, const char *prefix, const char *ref, sf_buf *out, sf_error *err);
/* `query package NAME`: versions in the fleet of packages named NAME or
 * built from source NAME, with image counts and the images (query_pkg.c).
 * SF_ENOTFOUND when none. */
int sf_query_package(sf_kv *kv, const char *prefix, const char *name, int json, sf_buf *out,
                     sf_error *err);

/* ---- running images (report_running.c; the view is running.h) ---- */
struct sf_running;
struct json_t;
/* Attach the running view to r (sf_report_load does it). */
int sf_report_load_running(sf_report *r, sf_kv *kv, const char *prefix, sf_error *err);
void sf_report_running_free(sf_report *r);
/* The "running now" section leading each format, then the count of
 * registry-only images. */
int sf_report_running_table(const sf_report *r, sf_buf *out);
int sf_report_running_json(const sf_report *r, struct json_t *obj);
int sf_report_running_html(sf_buf *out, const sf_report *r);

typedef struct sf_query_running_opts {
    int min_sev;    /* SF_SEV_* at least this severe; -1 = any */
    int fixable;    /* only findings with a fix */
    const char *ns; /* only this namespace; NULL = all */
} sf_query_running_opts;
/* `query running`: running workloads with (matching) findings, worst first. */
int sf_query_running(sf_kv *kv, const char *prefix, const sf_query_running_opts *o, int json,
                     sf_buf *out, sf_error *err);
/* "running: ..." of one image for `query cve`: a tab-indented line (text)
 * or a "running" member on arr's entries from index `from` (JSON). */
int sf_query_running_note(const struct sf_running *run, const sf_agg_view *v, struct json_t *arr,
                          size_t from, sf_buf *out);
/* "running: N pods in ns/workload" (or "running: no") for the result
 * documents `query image` printed (one a line). */
int sf_query_image_running(sf_kv *kv, const char *prefix, const sf_buf *docs, sf_buf *note,
                           sf_error *err);

/* Escape s for HTML text and attributes. */
int sf_report_html_escape(sf_buf *out, const char *s);

#endif
