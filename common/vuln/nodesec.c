/*
 * nodesec: Node.js security-wg records -> vdb builder records (see
 * nodesec.h). The npm range text is kept verbatim: npm's range grammar is
 * evaluated at match time by sf_semver_range_match, so nothing is lost
 * converting it into OSV events.
 */
#include "vuln/nodesec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The record number: the "id" member, else the file's base name digits. */
static long record_number(const json_t *doc, const char *name)
{
    const json_t *id = json_object_get(doc, "id");
    if (json_is_integer(id) && json_integer_value(id) > 0 && json_integer_value(id) < 100000000)
        return (long)json_integer_value(id);
    const char *base = name ? strrchr(name, '/') : NULL;
    base = base ? base + 1 : (name ? name : "");
    long n = 0;
    int digits = 0;
    for (; isdigit((unsigned char)*base) && digits < 8; base++, digits++)
        n = n * 10 + (*base - '0');
    return digits && strcmp(base, ".json") == 0 ? n : -1;
}

int sf_nodesec_import_json(sf_vdb_builder *b, json_t *doc, const char *name)
{
    const char *module = jstr(doc, "module_name");
    if (!module) {
        if (json_object_get(doc, "vulnerable") || json_object_get(doc, "reason"))
            sf_vdb_builder_skip(b, "nodesec: Node.js core/deps advisory (not an npm package)", 1);
        else
            sf_vdb_builder_skip(b, "nodesec: record without module_name", 1);
        return SF_OK;
    }
    const char *vuln = jstr(doc, "vulnerable_versions");
    long num = record_number(doc, name);
    if (num < 0) {
        sf_vdb_builder_skip(b, "nodesec: record without id", 1);
        return SF_OK;
    }
    if (!vuln || !*vuln) {
        sf_vdb_builder_skip(b, "nodesec: record without vulnerable_versions", 1);
        return SF_OK;
    }
    char id[48];
    snprintf(id, sizeof id, "NSWG-NPM-%ld", num);
    int rc = sf_vdb_rec_begin(b, id);
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(doc, "cves"), i, c)
    {
        char al[64];
        if (rc || !json_is_string(c))
            continue;
        if (sf_vdb_normalize_id(json_string_value(c), json_string_length(c), al, sizeof al) < 0)
            sf_vdb_builder_skip(b, "nodesec: malformed CVE id", 1);
        else
            rc = sf_vdb_rec_alias(b, al);
    }
    /* cvss_score is not kept: the score is recomputed from the vector. */
    if (!rc)
        rc = sf_vdb_rec_summary(b, jstr(doc, "title"));
    if (!rc)
        rc = sf_vdb_rec_cvss(b, jstr(doc, "cvss_vector"));
    if (!rc && sf_vdb_rec_affected(b, "npm", module) == SF_OK) {
        const char *patched = jstr(doc, "patched_versions");
        rc = sf_vdb_rec_range(b, SF_VRNG_NPMRANGE);
        if (!rc)
            rc = sf_vdb_rec_event(b, SF_VEV_INTRODUCED, vuln);
        /* "<0.0.0" is the tracker's way of saying "no patch". */
        if (!rc && patched && *patched && strcmp(patched, "<0.0.0") != 0)
            rc = sf_vdb_rec_event(b, SF_VEV_FIXED, patched);
    }
    if (!rc)
        return sf_vdb_rec_commit(b);
    sf_vdb_rec_abort(b);
    return rc;
}

int sf_nodesec_import(sf_vdb_builder *b, const char *data, size_t len, const char *name)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    if (!doc || !json_is_object(doc)) {
        sf_vdb_builder_skip(b, "nodesec: invalid JSON", 1);
        json_decref(doc);
        return SF_OK;
    }
    int rc = sf_nodesec_import_json(b, doc, name);
    json_decref(doc);
    return rc;
}
