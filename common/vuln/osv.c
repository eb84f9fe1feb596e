/*
 * osv: OSV JSON -> vdb builder records (see osv.h). Every field is read
 * with a type check: a record missing its id or with malformed affected
 * entries is counted and skipped, never fatal.
 */
#include "vuln/osv.h"

#include "vuln/ver.h"

#include <string.h>

/* A string member of obj or NULL. */
static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static const struct {
    const char *key;
    sf_vev_kind kind;
} event_keys[] = {
    {"introduced", SF_VEV_INTRODUCED},
    {"fixed", SF_VEV_FIXED},
    {"last_affected", SF_VEV_LAST_AFFECTED},
    {"limit", SF_VEV_LIMIT},
};

/* Add the events of one range; returns SF_ENOMEM or SF_OK. */
static int add_events(sf_vdb_builder *b, const json_t *events)
{
    size_t i;
    const json_t *ev;
    json_array_foreach(events, i, ev)
    {
        int known = 0;
        for (size_t k = 0; k < sizeof event_keys / sizeof event_keys[0]; k++) {
            const char *v = jstr(ev, event_keys[k].key);
            if (!v)
                continue;
            known = 1;
            if (sf_vdb_rec_event(b, event_keys[k].kind, v))
                return SF_ENOMEM;
        }
        if (!known)
            sf_vdb_builder_skip(b, "osv: unknown range event", 1);
    }
    return SF_OK;
}

/* 1 when every event version of a range is well-formed under scheme s
 * (introduced "0" means "from the start"). A range holding a commit hash
 * where a version belongs would otherwise match nothing or everything. */
static int events_valid(const json_t *events, sf_verscheme s)
{
    size_t i;
    const json_t *ev;
    if (s == SF_VS_GENERIC)
        return 1;
    json_array_foreach(events, i, ev)
    {
        for (size_t k = 0; k < sizeof event_keys / sizeof event_keys[0]; k++) {
            const char *v = jstr(ev, event_keys[k].key);
            if (v && !(k == 0 && strcmp(v, "0") == 0) && !sf_ver_valid(s, v))
                return 0;
        }
    }
    return 1;
}

static int add_ranges(sf_vdb_builder *b, const json_t *ranges, const char *eco)
{
    size_t i;
    const json_t *r;
    json_array_foreach(ranges, i, r)
    {
        /* The GHSA extract spells a range as a bare array of events. */
        if (json_is_array(r)) {
            if (sf_vdb_rec_range(b, SF_VRNG_ECOSYSTEM) || add_events(b, r))
                return SF_ENOMEM;
            continue;
        }
        const char *type = jstr(r, "type");
        const json_t *events = json_object_get(r, "events");
        if (!type || !json_is_array(events)) {
            sf_vdb_builder_skip(b, "osv: malformed range", 1);
            continue;
        }
        sf_vrng_type t;
        sf_verscheme scheme = strcmp(type, "SEMVER") == 0 ? SF_VS_SEMVER
                                                          : sf_ver_scheme_for_ecosystem(eco);
        if (strcmp(type, "GIT") != 0 && !events_valid(events, scheme)) {
            sf_vdb_builder_skip(b, "osv: range with an invalid version", 1);
            continue;
        }
        if (strcmp(type, "ECOSYSTEM") == 0) {
            t = SF_VRNG_ECOSYSTEM;
        } else if (strcmp(type, "SEMVER") == 0) {
            t = SF_VRNG_SEMVER;
        } else if (strcmp(type, "GIT") == 0) {
            sf_vdb_builder_skip(b, "osv: GIT range skipped (commits, not versions)", 1);
            continue;
        } else {
            sf_vdb_builder_skip(b, "osv: unknown range type", 1);
            continue;
        }
        if (sf_vdb_rec_range(b, t) || add_events(b, events))
            return SF_ENOMEM;
    }
    return SF_OK;
}

static int add_affected(sf_vdb_builder *b, const json_t *aff, const char *dflt_eco)
{
    const json_t *pkg = json_object_get(aff, "package");
    const char *eco = NULL, *name = NULL;
    if (json_is_object(pkg)) {
        eco = jstr(pkg, "ecosystem");
        name = jstr(pkg, "name");
    } else if (json_is_string(pkg)) {
        eco = dflt_eco;
        name = json_string_value(pkg);
    }
    if (!name) {
        sf_vdb_builder_skip(b, "osv: affected entry without package name", 1);
        return SF_OK;
    }
    int rc = sf_vdb_rec_affected(b, eco, name);
    if (rc == SF_ENOMEM)
        return rc;
    if (rc)
        return SF_OK; /* counted by the builder */
    const json_t *ranges = json_object_get(aff, "ranges");
    if (json_is_array(ranges) && add_ranges(b, ranges, eco ? eco : ""))
        return SF_ENOMEM;
    const json_t *versions = json_object_get(aff, "versions");
    size_t i;
    const json_t *v;
    json_array_foreach(versions, i, v)
    {
        if (json_is_string(v) && sf_vdb_rec_version(b, json_string_value(v)))
            return SF_ENOMEM;
    }
    return SF_OK;
}

/* severity[]: CVSS vectors (v3 preferred by the builder); the "Ubuntu"
 * type carries a priority word. */
static int add_severity(sf_vdb_builder *b, const json_t *sev)
{
    size_t i;
    const json_t *s;
    json_array_foreach(sev, i, s)
    {
        const char *type = jstr(s, "type"), *score = jstr(s, "score");
        if (!type || !score)
            continue;
        int rc = SF_OK;
        if (strncmp(type, "CVSS_", 5) == 0)
            rc = sf_vdb_rec_cvss(b, score);
        else if (strcmp(type, "Ubuntu") == 0)
            rc = sf_vdb_rec_vendor_severity(b, score); /* the distro's priority */
        if (rc)
            return rc;
    }
    return SF_OK;
}

/* Import one record object. */
static int import_record(sf_vdb_builder *b, const json_t *rec, const char *dflt_eco)
{
    if (!json_is_object(rec)) {
        sf_vdb_builder_skip(b, "osv: record is not an object", 1);
        return SF_OK;
    }
    const char *raw = jstr(rec, "id");
    char id[128];
    int nid = raw ? sf_vdb_normalize_id(raw, strlen(raw), id, sizeof id) : -1;
    if (nid < 0) {
        sf_vdb_builder_skip(b, "osv: missing or malformed id", 1);
        return SF_OK;
    }
    if (nid > 0)
        sf_vdb_builder_skip(b, "dirty id normalised", 1);
    if (json_object_get(rec, "withdrawn")) {
        sf_vdb_builder_skip(b, "osv: withdrawn", 1);
        return SF_OK;
    }
    const json_t *affected = json_object_get(rec, "affected");
    if (!json_is_array(affected) || json_array_size(affected) == 0) {
        sf_vdb_builder_skip(b, "osv: no affected packages", 1);
        return SF_OK;
    }
    int rc = sf_vdb_rec_begin(b, id);
    if (rc)
        return rc;
    size_t i;
    const json_t *a;
    json_array_foreach(json_object_get(rec, "aliases"), i, a)
    {
        char al[128];
        if (!json_is_string(a) ||
            sf_vdb_normalize_id(json_string_value(a), json_string_length(a), al, sizeof al) < 0) {
            sf_vdb_builder_skip(b, "osv: malformed alias", 1);
            continue;
        }
        if ((rc = sf_vdb_rec_alias(b, al)))
            goto fail;
    }
    const json_t *ds = json_object_get(rec, "database_specific");
    const json_t *sev = json_object_get(rec, "severity");
    if ((rc = sf_vdb_rec_summary(b, jstr(rec, "summary"))))
        goto fail;
    if (json_is_string(sev))
        rc = sf_vdb_rec_severity(b, json_string_value(sev)); /* GHSA extract */
    else if (json_is_array(sev))
        rc = add_severity(b, sev);
    if (rc || (rc = sf_vdb_rec_severity(b, jstr(ds, "severity"))))
        goto fail;
    json_array_foreach(affected, i, a)
    {
        if (!json_is_object(a)) {
            sf_vdb_builder_skip(b, "osv: affected entry is not an object", 1);
            continue;
        }
        /* Schema 1.4+ allows severity per affected package. */
        if ((rc = add_severity(b, json_object_get(a, "severity"))) ||
            (rc = add_affected(b, a, dflt_eco)))
            goto fail;
    }
    return sf_vdb_rec_commit(b);
fail:
    sf_vdb_rec_abort(b);
    return rc;
}

int sf_osv_import_json(sf_vdb_builder *b, json_t *doc)
{
    size_t i;
    json_t *r;
    const json_t *advs = json_object_get(doc, "advisories");
    if (json_is_array(advs)) {
        /* The GHSA extract: npm-only records with bare package names. */
        json_array_foreach(advs, i, r)
        {
            if (import_record(b, r, "npm"))
                return SF_ENOMEM;
        }
        return SF_OK;
    }
    if (json_is_array(doc)) {
        json_array_foreach(doc, i, r)
        {
            if (import_record(b, r, NULL))
                return SF_ENOMEM;
        }
        return SF_OK;
    }
    return import_record(b, doc, NULL);
}

int sf_osv_import(sf_vdb_builder *b, const char *data, size_t len)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        sf_vdb_builder_skip(b, "osv: invalid JSON", 1);
        return SF_OK;
    }
    int rc = sf_osv_import_json(b, doc);
    json_decref(doc);
    return rc;
}
