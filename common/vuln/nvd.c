/*
 * nvd: NVD API 2.0 JSON -> CVE table (see nvd.h). Every member is read
 * with a type check; anything of the wrong type counts as absent.
 */
#include "vuln/nvd.h"

#include <string.h>

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A CVE record: an "id" of the CVE form with NVD's own members. */
static int is_record(const json_t *o)
{
    const char *id = jstr(o, "id");
    return id && strncmp(id, "CVE-", 4) == 0 &&
           (json_object_get(o, "vulnStatus") || json_object_get(o, "sourceIdentifier") ||
            json_object_get(o, "lastModified"));
}

int sf_nvd_is_doc(const json_t *doc)
{
    if (!json_is_object(doc))
        return 0;
    const json_t *v = json_object_get(doc, "vulnerabilities");
    if (json_is_array(v)) {
        const char *fmt = jstr(doc, "format");
        const json_t *first = json_array_get(v, 0);
        return (fmt && strcmp(fmt, "NVD_CVE") == 0) ||
               (json_is_object(first) && json_is_object(json_object_get(first, "cve")));
    }
    return is_record(doc) || is_record(json_object_get(doc, "cve"));
}

/* The metrics arrays, newest version first, with NVD's version strings. */
static const struct {
    const char *key, *version;
} metric_keys[] = {
    {"cvssMetricV40", "4.0"},
    {"cvssMetricV31", "3.1"},
    {"cvssMetricV30", "3.0"},
    {"cvssMetricV2", "2.0"},
};

static int add_metric(sf_vdb_builder *b, const json_t *m, const char *version)
{
    const json_t *data = json_object_get(m, "cvssData");
    const char *type = jstr(m, "type"), *vec = jstr(data, "vectorString");
    const char *dver = jstr(data, "version");
    const json_t *score = json_object_get(data, "baseScore");
    if (!json_is_object(m) || !json_is_object(data) || !vec || !type) {
        sf_vdb_builder_skip(b, "nvd: malformed CVSS metric", 1);
        return SF_OK;
    }
    if (dver && strcmp(dver, version) != 0) {
        sf_vdb_builder_skip(b, "nvd: CVSS metric filed under another version", 1);
        return SF_OK;
    }
    return sf_vdb_cve_cvss(b, version, vec, jstr(m, "source"), strcmp(type, "Primary") == 0,
                           json_is_number(score) ? json_number_value(score) : -1);
}

static int add_metrics(sf_vdb_builder *b, const json_t *metrics)
{
    for (size_t k = 0; k < sizeof metric_keys / sizeof metric_keys[0]; k++) {
        size_t i;
        const json_t *m;
        int rc;
        json_array_foreach(json_object_get(metrics, metric_keys[k].key), i, m)
        {
            if ((rc = add_metric(b, m, metric_keys[k].version)))
                return rc;
        }
    }
    return SF_OK;
}

static int add_cwes(sf_vdb_builder *b, const json_t *weaknesses)
{
    size_t i, j;
    const json_t *w, *d;
    json_array_foreach(weaknesses, i, w)
    {
        json_array_foreach(json_object_get(w, "description"), j, d)
        {
            int rc = sf_vdb_cve_cwe(b, jstr(d, "value"));
            if (rc)
                return rc;
        }
    }
    return SF_OK;
}

static int import_record(sf_vdb_builder *b, const json_t *rec)
{
    if (!json_is_object(rec)) {
        sf_vdb_builder_skip(b, "nvd: record is not an object", 1);
        return SF_OK;
    }
    int rc = sf_vdb_cve_begin(b, jstr(rec, "id"), jstr(rec, "published"),
                              jstr(rec, "lastModified"), jstr(rec, "vulnStatus"));
    if (rc == SF_EPARSE)
        return SF_OK; /* counted */
    if (!rc)
        rc = add_cwes(b, json_object_get(rec, "weaknesses"));
    if (!rc)
        rc = add_metrics(b, json_object_get(rec, "metrics"));
    if (!rc)
        return sf_vdb_cve_commit(b);
    sf_vdb_cve_abort(b);
    return rc;
}

int sf_nvd_import_json(sf_vdb_builder *b, const json_t *doc)
{
    const json_t *vulns = json_object_get(doc, "vulnerabilities");
    if (json_is_array(vulns)) {
        size_t i;
        const json_t *v;
        json_array_foreach(vulns, i, v)
        {
            int rc = import_record(b, json_object_get(v, "cve"));
            if (rc)
                return rc;
        }
        return SF_OK;
    }
    const json_t *cve = json_object_get(doc, "cve");
    return import_record(b, json_is_object(cve) ? cve : doc);
}

int sf_nvd_import(sf_vdb_builder *b, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    if (!doc) {
        sf_vdb_builder_skip(b, "nvd: invalid JSON", 1);
        return SF_OK;
    }
    int rc = sf_nvd_is_doc(doc) ? sf_nvd_import_json(b, doc) : SF_OK;
    if (!sf_nvd_is_doc(doc))
        sf_vdb_builder_skip(b, "nvd: JSON document of another format", 1);
    json_decref(doc);
    return rc;
}
