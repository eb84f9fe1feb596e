/* sbom: see sbom.h. */
#include "report/sbom.h"

#include <ctype.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "sf_version.h"

#define TRY(x)                                                                                \
    do {                                                                                      \
        if ((x) != SF_OK)                                                                     \
            goto fail;                                                                        \
    } while (0)

static int prop(json_t *props, const char *name, const char *value)
{
    if (!value)
        return SF_OK;
    json_t *p = json_object();
    if (json_array_append_new(props, p) != 0)
        return SF_ENOMEM;
    if (sf_jutil_set_str(p, "name", name) != SF_OK || sf_jutil_set_str(p, "value", value) != SF_OK)
        return SF_ENOMEM;
    return SF_OK;
}

/* bom-ref of package i of platform `plat` (of n): "pkg-3", or "p1-pkg-3"
 * when several platforms share one BOM, so every ref stays unique. */
static void pkg_ref(char *out, size_t len, size_t plat, size_t n, size_t i)
{
    if (n > 1)
        snprintf(out, len, "p%zu-pkg-%zu", plat, i);
    else
        snprintf(out, len, "pkg-%zu", i);
}

static json_t *component(const sf_result *r, size_t plat, size_t n, size_t i)
{
    const sf_pkg *p = &r->pkgs[i];
    json_t *c = json_object(), *props = json_array(), *purl;
    char ref[48], layer[16];
    pkg_ref(ref, sizeof ref, plat, n, i);
    snprintf(layer, sizeof layer, "%d", p->layer);
    if (!c || !props)
        goto fail;
    TRY(sf_jutil_set_str(c, "type", "library"));
    TRY(sf_jutil_set_str(c, "bom-ref", ref));
    TRY(sf_jutil_set_str(c, "name", p->name));
    TRY(sf_jutil_set_str(c, "version", p->version));
    TRY(sf_result_purl_json(r, p, &purl));
    if (purl)
        TRY(sf_jutil_set_new(c, "purl", purl));
    if (p->license) {
        json_t *lic = json_pack("[{s:{s:o}}]", "license", "name", sf_jutil_str(p->license));
        TRY(sf_jutil_set_new(c, "licenses", lic));
    }
    TRY(prop(props, "scanfarm:package:type", sf_pkg_type_name(p->type)));
    TRY(prop(props, "scanfarm:package:source-name", p->src_name));
    TRY(prop(props, "scanfarm:package:source-version", p->src_version));
    TRY(prop(props, "scanfarm:package:arch", p->arch));
    TRY(prop(props, "scanfarm:location:path", p->path));
    TRY(prop(props, "scanfarm:location:layer", layer));
    if (n > 1)
        TRY(prop(props, "scanfarm:image:platform", r->platform));
    TRY(sf_jutil_set_take(c, "properties", &props));
    return c;
fail:
    json_decref(props);
    json_decref(c);
    return NULL;
}

/* Index of the package a finding is about, or -1. */
static long find_pkg(const sf_result *r, const sf_finding *f)
{
    for (size_t i = 0; i < r->npkgs; i++) {
        const sf_pkg *p = &r->pkgs[i];
        if (p->name && f->pkg_name && strcmp(p->name, f->pkg_name) == 0 &&
            (!f->installed || (p->version && strcmp(p->version, f->installed) == 0)) &&
            (!f->pkg_path || (p->path && strcmp(p->path, f->pkg_path) == 0)))
            return (long)i;
    }
    return -1;
}

static json_t *vulnerability(const sf_result *r, size_t plat, size_t n, const sf_finding *f)
{
    char sev[16] = "unknown";
    if (f->severity) {
        snprintf(sev, sizeof sev, "%s", f->severity);
        for (char *s = sev; *s; s++)
            *s = (char)tolower((unsigned char)*s);
    }
    json_t *v = json_object(), *rating = json_object(), *affects = json_array();
    if (!v || !rating || !affects)
        goto fail;
    TRY(sf_jutil_set_str(v, "id", f->id));
    TRY(sf_jutil_set_str(v, "description", f->summary));
    TRY(sf_jutil_set_str(rating, "severity", sev));
    if (f->cvss >= 0)
        TRY(sf_jutil_set_new(rating, "score", json_real(f->cvss)));
    if (f->cvss_vector) {
        TRY(sf_jutil_set_str(rating, "vector", f->cvss_vector));
        TRY(sf_jutil_set_str(rating, "method",
                             strncmp(f->cvss_vector, "CVSS:4", 6) == 0   ? "CVSSv4"
                             : strncmp(f->cvss_vector, "CVSS:3.0", 8) == 0 ? "CVSSv3"
                             : strncmp(f->cvss_vector, "CVSS:3", 6) == 0   ? "CVSSv31"
                                                                           : "other"));
    }
    /* "O" takes a reference of its own: whether the pack or the set
     * fails, rating is released here exactly once. */
    json_t *ratings = json_pack("[O]", rating);
    json_decref(rating);
    rating = NULL;
    TRY(sf_jutil_set_new(v, "ratings", ratings));
    long pi = find_pkg(r, f);
    if (pi >= 0) {
        char ref[48];
        pkg_ref(ref, sizeof ref, plat, n, (size_t)pi);
        json_t *a = json_pack("{s:s}", "ref", ref);
        TRY(json_array_append_new(affects, a) == 0 ? SF_OK : SF_ENOMEM);
        if (f->installed)
            TRY(sf_jutil_set_new(a, "versions",
                                 json_pack("[{s:o, s:s}]", "version",
                                           sf_jutil_str(f->installed), "status", "affected")));
    }
    TRY(sf_jutil_set_take(v, "affects", &affects)); /* stolen even on failure */
    if (f->naliases) {
        json_t *refs = json_array();
        TRY(sf_jutil_set_new(v, "references", refs));
        for (size_t i = 0; i < f->naliases; i++)
            TRY(json_array_append_new(refs, json_pack("{s:o, s:{s:s}}", "id",
                                                      sf_jutil_str(f->aliases[i]), "source",
                                                      "name", "alias")) == 0
                    ? SF_OK
                    : SF_ENOMEM);
    }
    if (f->fixed)
        TRY(sf_jutil_set_new(v, "recommendation",
                             json_sprintf("Upgrade %s to %s or later", f->pkg_name, f->fixed)));
    if (n > 1 && r->platform)
        TRY(sf_jutil_set_new(v, "properties", json_pack("[{s:s, s:s}]", "name",
                                                        "scanfarm:image:platform", "value",
                                                        r->platform)));
    return v;
fail:
    json_decref(rating);
    json_decref(affects);
    json_decref(v);
    return NULL;
}

void sf_sbom_urn_uuid(char out[64])
{
    unsigned char u[16];
    if (RAND_bytes(u, sizeof u) != 1)
        memset(u, 0, sizeof u);
    u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
    u[8] = (u[8] & 0x3f) | 0x80;
    snprintf(out, 64, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

/* The image as the BOM's subject: with several platforms, the index is
 * the subject (its digest as version) and each platform a property. */
static json_t *metadata(const sf_result *const *rs, size_t n, const char *name)
{
    const sf_result *r = rs[0];
    json_t *m = json_object(), *subject = json_object(), *props = json_array();
    if (!m || !subject || !props)
        goto fail;
    TRY(sf_jutil_set_str(m, "timestamp", r->scanned_at));
    TRY(sf_jutil_set_new(m, "tools",
                         json_pack("{s:[{s:s, s:s, s:s}]}", "components", "type", "application",
                                   "name", "scanfarm", "version", SF_VERSION)));
    TRY(sf_jutil_set_str(subject, "type", "container"));
    TRY(sf_jutil_set_str(subject, "bom-ref", "image"));
    TRY(sf_jutil_set_str(subject, "name", name ? name : r->digest ? r->digest : "image"));
    TRY(sf_jutil_set_str(subject, "version", n > 1 && r->index_digest ? r->index_digest
                                                                       : r->digest));
    for (size_t i = 0; i < n; i++)
        TRY(prop(props, "scanfarm:image:platform", rs[i]->platform));
    TRY(prop(props, "scanfarm:image:index-digest", r->index_digest));
    if (r->has_os && n == 1) {
        TRY(prop(props, "scanfarm:os:id", r->os.id));
        TRY(prop(props, "scanfarm:os:version", r->os.version_id));
    }
    TRY(sf_jutil_set_take(subject, "properties", &props));
    TRY(sf_jutil_set_take(m, "component", &subject));
    return m;
fail:
    json_decref(props);
    json_decref(subject);
    json_decref(m);
    return NULL;
}

/* The operating-system component and the packages of platform `plat`. */
static int platform_components(json_t *comps, const sf_result *r, size_t plat, size_t n)
{
    if (r->has_os) {
        char ref[32] = "os";
        if (n > 1)
            snprintf(ref, sizeof ref, "p%zu-os", plat);
        json_t *os = json_pack("{s:s, s:s, s:o, s:o}", "type", "operating-system", "bom-ref", ref,
                               "name", sf_jutil_str(r->os.id ? r->os.id : "unknown"), "version",
                               sf_jutil_str(r->os.version_id));
        if (json_array_append_new(comps, os) != 0)
            return SF_ENOMEM;
        if (n > 1 && sf_jutil_set_new(os, "properties",
                                      json_pack("[{s:s, s:o}]", "name", "scanfarm:image:platform",
                                                "value", sf_jutil_str(r->platform))) != SF_OK)
            return SF_ENOMEM;
    }
    for (size_t i = 0; i < r->npkgs; i++)
        if (json_array_append_new(comps, component(r, plat, n, i)) != 0)
            return SF_ENOMEM;
    return SF_OK;
}

int sf_sbom_cyclonedx_n(const sf_result *const *rs, size_t n, const char *name, sf_buf *out,
                        sf_error *err)
{
    if (n == 0)
        return sf_error_set(err, SF_EINVAL, "sbom: no result");
    char sn[64];
    sf_sbom_urn_uuid(sn);
    json_t *bom = json_pack("{s:s, s:s, s:s, s:i}", "bomFormat", "CycloneDX", "specVersion", "1.5",
                            "serialNumber", sn, "version", 1);
    json_t *comps = json_array(), *vulns = json_array();
    int rc = SF_ENOMEM, matched = 0;
    if (!bom || !comps || !vulns)
        goto fail;
    TRY(sf_jutil_set_new(bom, "metadata", metadata(rs, n, name)));
    for (size_t k = 0; k < n; k++) {
        const sf_result *r = rs[k];
        TRY(platform_components(comps, r, k, n));
        for (size_t i = 0; i < r->vulns.n; i++)
            TRY(json_array_append_new(vulns, vulnerability(r, k, n, &r->vulns.items[i])) == 0
                    ? SF_OK
                    : SF_ENOMEM);
        matched |= r->db_version != NULL;
    }
    TRY(sf_jutil_set_take(bom, "components", &comps));
    if (matched)
        TRY(sf_jutil_set_take(bom, "vulnerabilities", &vulns));
    rc = sf_jutil_dump(bom, out);
    json_decref(vulns);
    json_decref(bom);
    return rc == SF_OK ? SF_OK : sf_error_set(err, rc, "sbom: document too large");
fail:
    json_decref(comps);
    json_decref(vulns);
    json_decref(bom);
    return sf_error_set(err, SF_ENOMEM, "sbom: out of memory");
}

int sf_sbom_cyclonedx(const sf_result *r, const char *name, sf_buf *out, sf_error *err)
{
    return sf_sbom_cyclonedx_n(&r, 1, name, out, err);
}
