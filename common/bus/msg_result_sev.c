/*
 * msg_result_sev: a finding's severity_source, cvss_metrics[], kev, epss
 * and priority in scanfarm.result/v1 (docs/results-schema.md). They are
 * additions within v1: an old consumer ignores them, an old producer's
 * document decodes with them absent (kev 0, epss -1, no metrics).
 */
#include "bus/msg_result_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"

#define TRY(x)                                                                                \
    do {                                                                                      \
        if ((x) != SF_OK)                                                                     \
            goto fail;                                                                        \
    } while (0)

static json_t *metrics_json(const sf_finding *f)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < f->ncvss; i++) {
        const sf_cvss_entry *e = &f->cvss_all[i];
        json_t *m = json_object();
        if (json_array_append_new(a, m) != 0)
            goto fail;
        TRY(sf_jutil_set_str(m, "version", e->version));
        TRY(sf_jutil_set_str(m, "vector", e->vector));
        TRY(sf_jutil_set_new(m, "score", json_real(e->score)));
        TRY(sf_jutil_set_str(m, "source", e->source));
        TRY(sf_jutil_set_str(m, "type", e->type));
    }
    return a;
fail:
    json_decref(a);
    return NULL;
}

int sf_result__sev_put(json_t *o, const sf_finding *f)
{
    json_t *kev = json_null(), *epss = json_null();
    if (f->kev) {
        kev = json_object();
        TRY(sf_jutil_set_new(kev, "date_added", sf_jutil_str(f->kev_added)));
        TRY(sf_jutil_set_new(kev, "due_date", sf_jutil_str(f->kev_due)));
        TRY(sf_jutil_set_new(kev, "ransomware", json_boolean(f->kev_ransomware)));
    }
    if (f->epss >= 0) {
        epss = json_object();
        TRY(sf_jutil_set_new(epss, "score", json_real(f->epss)));
        TRY(sf_jutil_set_new(epss, "percentile", json_real(f->epss_pct)));
        TRY(sf_jutil_set_new(epss, "date", sf_jutil_str(f->epss_date)));
    }
    TRY(sf_jutil_set_new(o, "severity_source", sf_jutil_str(f->severity_source)));
    TRY(sf_jutil_set_new(o, "cvss_metrics", metrics_json(f)));
    TRY(sf_jutil_set_take(o, "kev", &kev)); /* stolen even on failure */
    TRY(sf_jutil_set_take(o, "epss", &epss));
    return sf_jutil_set_new(o, "priority", json_integer(f->priority));
fail:
    json_decref(kev);
    json_decref(epss);
    return SF_ENOMEM;
}

static int get_metrics(const json_t *a, sf_finding *f, sf_error *err)
{
    size_t i;
    const json_t *m;
    if (!a || json_is_null(a))
        return SF_OK;
    if (!json_is_array(a) || json_array_size(a) > SF_LIM_FINDING_CVSS)
        return sf_error_set(err, SF_EPARSE, "result: bad \"cvss_metrics\"");
    if (!(f->cvss_all = calloc(json_array_size(a) + 1, sizeof *f->cvss_all)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    json_array_foreach(a, i, m)
    {
        sf_cvss_entry *e = &f->cvss_all[f->ncvss++];
        const json_t *s = json_object_get(m, "score");
        int rc = json_is_object(m) && json_is_number(s) ? SF_OK : SF_EPARSE;
        if (rc)
            return sf_error_set(err, rc, "result: bad CVSS metric %zu", i);
        e->score = json_number_value(s);
        if ((rc = sf_jutil_get_strn(m, "version", 8, "result", &e->version, err)) ||
            (rc = sf_jutil_get_strn(m, "vector", SF_LIM_CVSS_VECTOR, "result", &e->vector, err)) ||
            (rc = sf_jutil_get_strn(m, "source", 256, "result", &e->source, err)) ||
            (rc = sf_jutil_get_strn(m, "type", 16, "result", &e->type, err)))
            return rc;
    }
    return SF_OK;
}

int sf_result__sev_get(const json_t *o, sf_finding *f, sf_error *err)
{
    const json_t *kev = json_object_get(o, "kev"), *epss = json_object_get(o, "epss");
    const json_t *prio = json_object_get(o, "priority");
    f->epss = f->epss_pct = -1;
    int rc = sf_jutil_get_strn(o, "severity_source", 32, "result", &f->severity_source, err);
    if (rc == SF_OK)
        rc = get_metrics(json_object_get(o, "cvss_metrics"), f, err);
    if (rc == SF_OK && json_is_object(kev)) {
        f->kev = 1;
        f->kev_ransomware = json_is_true(json_object_get(kev, "ransomware"));
        if ((rc = sf_jutil_get_strn(kev, "date_added", 32, "result", &f->kev_added, err)) == SF_OK)
            rc = sf_jutil_get_strn(kev, "due_date", 32, "result", &f->kev_due, err);
    }
    if (rc == SF_OK && json_is_object(epss)) {
        const json_t *s = json_object_get(epss, "score"), *p = json_object_get(epss, "percentile");
        f->epss = json_is_number(s) ? json_number_value(s) : -1;
        f->epss_pct = json_is_number(p) ? json_number_value(p) : -1;
        rc = sf_jutil_get_strn(epss, "date", 64, "result", &f->epss_date, err);
    }
    if (json_is_integer(prio))
        f->priority = (long)json_integer_value(prio);
    return rc;
}
