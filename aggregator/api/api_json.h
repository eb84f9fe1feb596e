/*
 * api_json: the API's answer documents built from values already read
 * from Redis, without I/O, so each can be tested alone and under
 * allocation failure. Every builder counts what it failed to build in the
 * sf_jb it is given (base/json.h): a handler answers 500 when that
 * builder's status is SF_ENOMEM, never a document with members missing.
 *
 * Strings are made with sf_jutil_str, so a NULL value only ever means an
 * allocation failed; text the aggregator stored that is not UTF-8 (a
 * corrupt member) is the caller's to refuse first with sf_utf8_ok.
 */
#ifndef SF_API_JSON_H
#define SF_API_JSON_H

#include <jansson.h>

#include "base/json.h"
#include "fleet/agg_view.h"
#include "fleet/running.h"
#include "fleet/runs.h"
#include "model/result.h"

/* {"items":items,"total":total,"next_cursor":"<next>"|null} (steals items). */
json_t *api_j_envelope(sf_jb *b, json_t *items, long long total, long next);

/* A Counts object from the 10 count fields (api_count_fields' order):
 * images, vulnerable, errors, findings, fixable, then the severities. */
json_t *api_j_counts(sf_jb *b, const long long v[10]);

/* The error body {"error":{status,code,message,parameter}}. */
json_t *api_j_error(sf_jb *b, int status, const char *code, const char *msg, const char *param);

/* One finding of an image: v from the stored view, rf the stored
 * result's finding (aliases; NULL unknown), layer its layer's digest. */
json_t *api_j_finding(sf_jb *b, const sf_agg_vuln *v, const sf_finding *rf, const char *layer);

/* One package of an image (purl and layer may be NULL). */
json_t *api_j_pkg(sf_jb *b, const char *eco, const sf_pkg *k, const char *purl,
                  const char *layer);

/* One layer of an image's result. */
json_t *api_j_layer(sf_jb *b, const sf_result_layer *l);

/* Where an image runs: one container of the inventory. */
json_t *api_j_where(sf_jb *b, const sf_running_ent *x);

/* A vulnerability summary: its scores as the index keeps them (a
 * negative cvss / epss, a zero first seen: unknown) and facts, the stored
 * summary object (aliases, kev; NULL none; its aliases referenced). */
typedef struct api_j_vscore {
    double images, cvss, sevr, epss, first, fix;
} api_j_vscore;
json_t *api_j_vuln(sf_jb *b, const char *id, const api_j_vscore *s, json_t *facts);

/* Set o's "links": the advisory pages of id (eco picks a CVE's
 * distribution tracker; NULL none). */
void api_j_links(sf_jb *b, json_t *o, const char *id, const char *eco);

/* A run: its progress and totals (d: the run's delta, the 10 count
 * fields then new, resolved). */
json_t *api_j_run(sf_jb *b, const char *run, double started, const sf_agg_progress *pg,
                  const long long d[12]);

/* {"digest":..., "platform":...} of one platform image of an index
 * (platform: a new reference taken; NULL for null). */
json_t *api_j_platform(sf_jb *b, const char *digest, json_t *platform);

/* Parse stored JSON text (NULL: none, NULL back). An allocation that
 * failed is counted in b; text that is not JSON sets *corrupt. */
json_t *api_j_load(sf_jb *b, const char *text, int *corrupt);

#endif
