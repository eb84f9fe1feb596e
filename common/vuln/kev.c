/* kev: CISA KEV catalog -> CVE table (see kev.h). */
#include "vuln/kev.h"

#include <string.h>

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

int sf_kev_is_doc(const json_t *doc)
{
    const json_t *v = json_object_get(doc, "vulnerabilities");
    if (!json_is_object(doc) || !json_is_array(v))
        return 0;
    return json_object_get(doc, "catalogVersion") != NULL ||
           jstr(json_array_get(v, 0), "cveID") != NULL;
}

/* "YYYY-MM-DD" (KEV's date form). */
static int date_ok(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return 0;
    return 1;
}

int sf_kev_import_json(sf_vdb_builder *b, const json_t *doc)
{
    size_t i;
    const json_t *v;
    json_array_foreach(json_object_get(doc, "vulnerabilities"), i, v)
    {
        const char *id = jstr(v, "cveID"), *added = jstr(v, "dateAdded"),
                   *due = jstr(v, "dueDate"), *rw = jstr(v, "knownRansomwareCampaignUse");
        if (!id || !date_ok(added)) {
            sf_vdb_builder_skip(b, "kev: entry without cveID or dateAdded", 1);
            continue;
        }
        if (due && !date_ok(due))
            due = NULL;
        int rc = sf_vdb_cve_kev(b, id, added, due, rw && strcmp(rw, "Known") == 0);
        if (rc)
            return rc;
    }
    return SF_OK;
}

int sf_kev_import(sf_vdb_builder *b, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    int rc = SF_OK;
    if (!doc)
        sf_vdb_builder_skip(b, "kev: invalid JSON", 1);
    else if (!sf_kev_is_doc(doc))
        sf_vdb_builder_skip(b, "kev: JSON document of another format", 1);
    else
        rc = sf_kev_import_json(b, doc);
    json_decref(doc);
    return rc;
}
