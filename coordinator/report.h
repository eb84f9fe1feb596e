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

#include "agg_view.h"
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
    sf_report_reg *regs;    /* after finish: most images first */
    size_t nregs;
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

/* Escape s for HTML text and attributes. */
int sf_report_html_escape(sf_buf *out, const char *s);

#endif
