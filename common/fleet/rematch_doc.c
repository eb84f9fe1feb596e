/*
 * rematch_doc: the two documents a rematch publishes for an affected
 * image, built without I/O so each can be tested alone: the
 * `scanfarm.findings/v1` delta and the stored result rewritten for the new
 * DB. Both are built through sf_jb: a failed allocation anywhere gives
 * NULL, never a document with a field missing (a result whose findings
 * list lost an entry would read downstream as a fixed vulnerability).
 */
#include <jansson.h>
#include <string.h>

#include "base/json.h"
#include "fleet/rematch_int.h"

static json_t *vuln_json(const sf_agg_vuln *x)
{
    return json_pack("{s:s, s:[], s:s, s:s?, s:s?, s:s?, s:s, s:o}", "id", x->id, "aliases",
                     "package", x->pkg, "ecosystem", x->eco, "installed", x->installed, "fixed",
                     x->fixed, "severity", sf_agg_sev_name(x->sev), "cvss",
                     x->cvss >= 0 ? json_real(x->cvss) : json_null());
}

static json_t *vulns_json(sf_jb *b, const sf_agg_vuln *v, size_t n)
{
    json_t *a = sf_jb_new(b, json_array());
    for (size_t i = 0; i < n; i++)
        sf_jb_push(b, a, vuln_json(&v[i]));
    return a;
}

/* The summary's vulnerability counts follow the rewritten list (packages
 * and ecosystems do not change on a rematch). A consumer reading only the
 * summary must see the same numbers as one counting the list. */
static void recount_summary(sf_jb *b, json_t *doc)
{
    json_t *sum = json_object_get(doc, "summary");
    if (!json_is_object(sum))
        return;
    json_int_t by[SF_SEV_N] = {0}, fixable = 0;
    json_t *vulns = json_object_get(doc, "vulnerabilities"), *x;
    size_t i;
    json_array_foreach(vulns, i, x) {
        by[sf_agg_sev_parse(json_string_value(json_object_get(x, "severity")))]++;
        fixable += json_is_string(json_object_get(x, "fixed"));
    }
    json_t *bs = sf_jb_new(b, json_object());
    for (int k = 0; k < SF_SEV_N; k++) /* CRITICAL first, as the encoder writes them */
        sf_jb_set(b, bs, sf_agg_sev_name(sf_sev_at(k)), json_integer(by[sf_sev_at(k)]));
    sf_jb_set(b, sum, "by_severity", bs);
    sf_jb_set(b, sum, "vulnerabilities", json_integer((json_int_t)json_array_size(vulns)));
    sf_jb_set(b, sum, "fixable", json_integer(fixable));
}

/* x is one of the findings the new DB no longer reports. */
static int removed(const rm_img *im, const json_t *x)
{
    const char *id = json_string_value(json_object_get(x, "id"));
    const char *pkg = json_string_value(json_object_get(x, "package"));
    const char *inst = json_string_value(json_object_get(x, "installed"));
    if (!id || !pkg)
        return 0;
    for (size_t k = 0; k < im->nrem; k++)
        if (!strcmp(im->rem[k].id, id) && !strcmp(im->rem[k].pkg, pkg) &&
            ((!inst && !im->rem[k].installed) ||
             (inst && im->rem[k].installed && !strcmp(inst, im->rem[k].installed))))
            return 1;
    return 0;
}

json_t *rm_result_doc(json_t *doc, const rm_img *im, const char *run_id, const char *db_version,
                      const char *now)
{
    if (!json_is_object(doc)) {
        json_decref(doc);
        return NULL;
    }
    sf_jb b = {0};
    json_t *old = json_object_get(doc, "vulnerabilities"), *nv = sf_jb_new(&b, json_array()), *x;
    size_t i;
    json_array_foreach(old, i, x)
        if (!removed(im, x) && json_array_append(nv, x) != 0)
            b.fails++;
    for (size_t k = 0; k < im->nadd; k++)
        sf_jb_push(&b, nv, vuln_json(&im->add[k]));
    sf_jb_set(&b, doc, "vulnerabilities", nv);
    recount_summary(&b, doc);
    sf_jb_set(&b, doc, "run_id", json_string(run_id));
    sf_jb_set(&b, doc, "db_version", json_string(db_version));
    sf_jb_set(&b, doc, "rematched_from", json_string(im->v->db_version));
    json_t *t = json_object_get(doc, "timings");
    if (!json_is_object(t)) {
        sf_jb_set(&b, doc, "timings", sf_jb_new(&b, json_object()));
        t = json_object_get(doc, "timings"); /* not an object if that failed: counted below */
    }
    sf_jb_set(&b, t, "finished_at", json_string(now));
    json_object_del(doc, "produced_at");
    json_object_del(doc, "finished_at");
    if (sf_jb_status(&b) != SF_OK) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

json_t *rm_delta_doc(const rm_img *im, const char *run_id, const char *db_version,
                     const char *now, int running)
{
    sf_jb b = {0};
    json_t *refs = sf_jb_new(&b, json_array());
    for (size_t i = 0; i < im->v->nrefs; i++)
        sf_jb_push(&b, refs, json_string(im->v->refs[i]));
    /* json_pack takes its "o" values even when it fails */
    json_t *delta = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:o}", "schema",
                              SF_FINDINGS_SCHEMA, "digest", im->v->digest, "refs", refs,
                              "run_id", run_id, "db_version", db_version, "previous_db_version",
                              im->v->db_version, "produced_at", now, "added",
                              vulns_json(&b, im->add, im->nadd), "removed",
                              vulns_json(&b, im->rem, im->nrem));
    sf_jb_set(&b, delta, "running", json_boolean(running));
    if (!delta || sf_jb_status(&b) != SF_OK) {
        json_decref(delta);
        return NULL;
    }
    return delta;
}
