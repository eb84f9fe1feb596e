/*
 * vex: VEX documents as suppression rules (suppress.h).
 *
 * OpenVEX (v0.0.1 and v0.2.0): every statement whose status is
 * not_affected or fixed becomes a rule for its vulnerability (name, and
 * each alias) covering the package purls its products and subcomponents
 * name; products that are no package purl (pkg:oci/..., the image itself)
 * cover the whole image. CycloneDX VEX (a BOM with vulnerabilities[]):
 * analysis.state not_affected, resolved or false_positive becomes a rule
 * for the vulnerability id covering the purls its affects[].ref name
 * directly or through a component's bom-ref; refs naming no package cover
 * the whole image. Other statuses (affected, under_investigation,
 * exploitable, in_triage) suppress nothing.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "suppress.h"

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int add_purl(sf_supp_rule *r, const char *s)
{
    if (!s || strncmp(s, "pkg:", 4) != 0 || strncmp(s, "pkg:oci/", 8) == 0 ||
        strncmp(s, "pkg:docker/", 11) == 0)
        return SF_OK; /* the product itself: covers the whole image */
    char **n = realloc(r->purls, (r->npurls + 1) * sizeof *n);
    if (!n)
        return SF_ENOMEM;
    r->purls = n;
    if (!(r->purls[r->npurls] = strdup(s)))
        return SF_ENOMEM;
    r->npurls++;
    return SF_OK;
}

/* A rule per id of the statement (its name and aliases), each a copy of tmpl. */
static int add_for_ids(sf_supp *s, const sf_supp_rule *tmpl, const char *const *ids, size_t nids,
                       sf_error *err)
{
    for (size_t i = 0; i < nids; i++) {
        sf_supp_rule r = *tmpl;
        r.id = strdup(ids[i]);
        r.purls = tmpl->npurls ? calloc(tmpl->npurls, sizeof *r.purls) : NULL;
        r.npurls = 0;
        r.package = NULL;
        r.justification = tmpl->justification ? strdup(tmpl->justification) : NULL;
        r.reason = tmpl->reason ? strdup(tmpl->reason) : NULL;
        r.source = strdup(tmpl->source);
        int bad = !r.id || !r.source || (tmpl->npurls && !r.purls) ||
                  (tmpl->justification && !r.justification) || (tmpl->reason && !r.reason);
        for (size_t k = 0; !bad && k < tmpl->npurls; k++)
            bad = !(r.purls[r.npurls++] = strdup(tmpl->purls[k]));
        if (bad) {
            sf_supp_rule_clear(&r);
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        }
        int rc = sf_supp_add(s, &r, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

/* An OpenVEX product or subcomponent: "purl" (v0.0.1) or {"@id",
 * "identifiers": {"purl"}}; subcomponents nest at most 16 deep (real
 * documents nest one level: image -> package). */
static int openvex_component(sf_supp_rule *t, const json_t *c, int depth)
{
    if (depth > 16)
        return SF_EPARSE;
    if (json_is_string(c))
        return add_purl(t, json_string_value(c));
    if (!json_is_object(c))
        return SF_EPARSE;
    const char *purl = jstr(json_object_get(c, "identifiers"), "purl");
    int rc = add_purl(t, purl ? purl : jstr(c, "@id"));
    const json_t *subs = json_object_get(c, "subcomponents");
    size_t i;
    json_t *sc;
    json_array_foreach(subs, i, sc)
    {
        if (rc == SF_OK)
            rc = openvex_component(t, sc, depth + 1);
    }
    return rc;
}

static int openvex_statement(sf_supp *s, const json_t *st, const char *name, size_t idx,
                             sf_error *err)
{
    const char *status = jstr(st, "status");
    if (!status)
        return sf_error_set(err, SF_EPARSE, "%s: statement %zu has no status", name, idx);
    if (strcmp(status, "not_affected") != 0 && strcmp(status, "fixed") != 0)
        return SF_OK;
    const json_t *v = json_object_get(st, "vulnerability");
    const char *ids[17];
    size_t nids = 0;
    if (json_is_string(v))
        ids[nids++] = json_string_value(v);
    else if (jstr(v, "name"))
        ids[nids++] = jstr(v, "name");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(v, "aliases"), i, a)
    {
        if (json_is_string(a) && nids < 17)
            ids[nids++] = json_string_value(a);
    }
    if (!nids)
        return sf_error_set(err, SF_EPARSE, "%s: statement %zu names no vulnerability", name,
                            idx);
    sf_supp_rule t = {0};
    char where[300];
    snprintf(where, sizeof where, "%s: statement %zu", name, idx);
    t.status = strcmp(status, "fixed") == 0 ? "fixed" : "not_affected";
    const char *just = jstr(st, "justification");
    const char *why = jstr(st, "impact_statement") ? jstr(st, "impact_statement")
                                                    : jstr(st, "status_notes");
    int rc = SF_OK;
    if ((just && !(t.justification = strdup(just))) || (why && !(t.reason = strdup(why))) ||
        !(t.source = strdup(where)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    json_t *p;
    json_array_foreach(json_object_get(st, "products"), i, p)
    {
        if (rc == SF_OK && (rc = openvex_component(&t, p, 0)) != SF_OK)
            rc = sf_error_set(err, rc, "%s: statement %zu: bad product", name, idx);
    }
    if (rc == SF_OK)
        rc = add_for_ids(s, &t, ids, nids, err);
    sf_supp_rule_clear(&t);
    return rc;
}

static int load_openvex(sf_supp *s, const json_t *doc, const char *name, sf_error *err)
{
    const json_t *sts = json_object_get(doc, "statements");
    if (!json_is_array(sts))
        return sf_error_set(err, SF_EPARSE, "%s: OpenVEX document without statements", name);
    size_t i;
    json_t *st;
    json_array_foreach(sts, i, st)
    {
        if (!json_is_object(st))
            return sf_error_set(err, SF_EPARSE, "%s: statement %zu is not an object", name, i);
        int rc = openvex_statement(s, st, name, i, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

/* purl of the component with bom-ref ref (components nested any depth). */
static const char *cdx_purl_of(const json_t *comps, const char *ref, int depth)
{
    size_t i;
    json_t *c;
    if (depth > 16)
        return NULL;
    json_array_foreach(comps, i, c)
    {
        const char *br = jstr(c, "bom-ref");
        if (br && strcmp(br, ref) == 0)
            return jstr(c, "purl");
        const char *in = cdx_purl_of(json_object_get(c, "components"), ref, depth + 1);
        if (in)
            return in;
    }
    return NULL;
}

static int cdx_vuln(sf_supp *s, const json_t *doc, const json_t *v, const char *name, size_t idx,
                    sf_error *err)
{
    const json_t *an = json_object_get(v, "analysis");
    const char *state = jstr(an, "state"), *id = jstr(v, "id");
    if (!state || (strcmp(state, "not_affected") != 0 && strcmp(state, "resolved") != 0 &&
                   strcmp(state, "false_positive") != 0))
        return SF_OK;
    if (!id)
        return sf_error_set(err, SF_EPARSE, "%s: vulnerability %zu has no id", name, idx);
    sf_supp_rule t = {0};
    char where[300];
    snprintf(where, sizeof where, "%s: vulnerability %zu", name, idx);
    t.status = strcmp(state, "resolved") == 0 ? "fixed" : "not_affected";
    const char *just = jstr(an, "justification"), *why = jstr(an, "detail");
    if (!just && strcmp(state, "false_positive") == 0)
        just = "false_positive";
    int rc = SF_OK;
    if ((just && !(t.justification = strdup(just))) || (why && !(t.reason = strdup(why))) ||
        !(t.source = strdup(where)))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(v, "affects"), i, a)
    {
        const char *ref = jstr(a, "ref");
        if (!ref || rc != SF_OK)
            continue;
        const char *hash = strchr(ref, '#'); /* urn:cdx:<serial>/<version>#<bom-ref> */
        const char *br = strncmp(ref, "urn:cdx:", 8) == 0 && hash ? hash + 1 : ref;
        const char *purl = strncmp(br, "pkg:", 4) == 0 ? br
                           : cdx_purl_of(json_object_get(doc, "components"), br, 0);
        if (purl && add_purl(&t, purl) != SF_OK)
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    if (rc == SF_OK)
        rc = add_for_ids(s, &t, &id, 1, err);
    sf_supp_rule_clear(&t);
    return rc;
}

static int load_cdx(sf_supp *s, const json_t *doc, const char *name, sf_error *err)
{
    const json_t *vs = json_object_get(doc, "vulnerabilities");
    if (!json_is_array(vs))
        return sf_error_set(err, SF_EPARSE, "%s: CycloneDX document without vulnerabilities",
                            name);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v)
    {
        if (!json_is_object(v))
            return sf_error_set(err, SF_EPARSE, "%s: vulnerability %zu is not an object", name,
                                i);
        int rc = cdx_vuln(s, doc, v, name, i, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_supp_load_vex(sf_supp *s, const char *text, size_t len, const char *name, sf_error *err)
{
    json_error_t je;
    if (len > SF_LIM_VEX_BYTES)
        return sf_error_set(err, SF_ELIMIT, "%s: VEX document too large", name);
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return sf_error_set(err, SF_EPARSE, "%s: not JSON: %s (line %d)", name, je.text,
                            je.line);
    int rc;
    const char *ctx = jstr(doc, "@context");
    if (ctx && strstr(ctx, "openvex"))
        rc = load_openvex(s, doc, name, err);
    else if (jstr(doc, "bomFormat") && strcmp(jstr(doc, "bomFormat"), "CycloneDX") == 0)
        rc = load_cdx(s, doc, name, err);
    else
        rc = sf_error_set(err, SF_EPARSE, "%s: neither OpenVEX (@context) nor CycloneDX "
                                          "(bomFormat)", name);
    json_decref(doc);
    return rc;
}
