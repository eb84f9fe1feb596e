/*
 * spdx: a scan result as an SPDX 2.3 JSON document (see sbom.h). SPDX
 * identifiers allow only letters, digits, '.' and '-', so they are built
 * from indexes ("SPDXRef-Package-1-12" = platform 1, package 12), never
 * from package names. SPDX 2.3 wants "created" as YYYY-MM-DDThh:mm:ssZ.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"
#include "report/sbom.h"
#include "sf_version.h"

#define TRY(x)                                                                                \
    do {                                                                                      \
        if ((x) != SF_OK)                                                                     \
            goto fail;                                                                        \
    } while (0)

static int relate(json_t *rels, const char *a, const char *type, const char *b)
{
    json_t *r = json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
                          "relatedSpdxElement", b);
    return r && json_array_append_new(rels, r) == 0 ? SF_OK : SF_ENOMEM;
}

/* The fields every package needs; values SPDX lets a tool not assert. */
static json_t *package(const char *id, const char *name, const char *version,
                       const char *purpose)
{
    json_t *p = json_pack("{s:s, s:o, s:s, s:b, s:s, s:s, s:s, s:s}", "SPDXID", id, "name",
                          sf_jutil_str(name && *name ? name : "unknown"), "downloadLocation",
                          "NOASSERTION", "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION",
                          "licenseDeclared", "NOASSERTION", "copyrightText", "NOASSERTION",
                          "primaryPackagePurpose", purpose);
    if (p && version && *version && sf_jutil_set_str(p, "versionInfo", version) != SF_OK) {
        json_decref(p);
        return NULL;
    }
    return p;
}

static json_t *library(const sf_result *r, size_t plat, size_t i)
{
    const sf_pkg *p = &r->pkgs[i];
    char id[64], where[600];
    snprintf(id, sizeof id, "SPDXRef-Package-%zu-%zu", plat, i);
    json_t *j = package(id, p->name, p->version, "LIBRARY"), *purl;
    if (!j)
        return NULL;
    TRY(sf_result_purl_json(r, p, &purl));
    if (purl)
        TRY(sf_jutil_set_new(j, "externalRefs",
                             json_pack("[{s:s, s:s, s:o}]", "referenceCategory",
                                       "PACKAGE-MANAGER", "referenceType", "purl",
                                       "referenceLocator", purl)));
    if (p->license)
        TRY(sf_jutil_set_str(j, "licenseComments", p->license));
    if (p->src_name)
        TRY(sf_jutil_set_str(j, "sourceInfo", p->src_name));
    snprintf(where, sizeof where, "%s (layer %d)", p->path ? p->path : "?", p->layer);
    TRY(sf_jutil_set_str(j, "comment", where));
    return j;
fail:
    json_decref(j);
    return NULL;
}

/* The image of platform `plat`, its OS and packages, and their relationships. */
static int platform(json_t *pkgs, json_t *rels, const sf_result *r, size_t plat, size_t n,
                    const char *name)
{
    char img[48], os[48], pid[64], title[1024];
    snprintf(img, sizeof img, "SPDXRef-Image-%zu", plat);
    if (n > 1 && r->platform)
        snprintf(title, sizeof title, "%s (%s)", name, r->platform);
    else
        snprintf(title, sizeof title, "%s", name);
    if (json_array_append_new(pkgs, package(img, title, r->digest, "CONTAINER")) != 0 ||
        relate(rels, "SPDXRef-DOCUMENT", "DESCRIBES", img) != SF_OK)
        return SF_ENOMEM;
    if (r->has_os) {
        snprintf(os, sizeof os, "SPDXRef-OS-%zu", plat);
        if (json_array_append_new(pkgs, package(os, r->os.id, r->os.version_id,
                                                "OPERATING-SYSTEM")) != 0 ||
            relate(rels, img, "CONTAINS", os) != SF_OK)
            return SF_ENOMEM;
    }
    for (size_t i = 0; i < r->npkgs; i++) {
        snprintf(pid, sizeof pid, "SPDXRef-Package-%zu-%zu", plat, i);
        if (json_array_append_new(pkgs, library(r, plat, i)) != 0 ||
            relate(rels, img, "CONTAINS", pid) != SF_OK)
            return SF_ENOMEM;
    }
    return SF_OK;
}

/* "2026-12-02T13:45:07.123Z" -> "2026-12-02T13:45:07Z". */
static void created(const char *at, char out[32])
{
    if (at && strlen(at) >= 19)
        snprintf(out, 32, "%.19sZ", at);
    else
        snprintf(out, 32, "1970-01-01T00:00:00Z");
}

int sf_sbom_spdx(const sf_result *const *rs, size_t n, const char *name, sf_buf *out,
                 sf_error *err)
{
    if (n == 0)
        return sf_error_set(err, SF_EINVAL, "spdx: no result");
    const char *title = name ? name : rs[0]->digest ? rs[0]->digest : "image";
    char uuid[64], ns[128], at[32];
    sf_sbom_urn_uuid(uuid);
    /* a document namespace is a unique absolute URI without '#' */
    snprintf(ns, sizeof ns, "https://spdx.org/spdxdocs/scanfarm-%s", uuid + strlen("urn:uuid:"));
    created(rs[0]->scanned_at, at);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:o, s:s, s:{s:s, s:[s]}}", "spdxVersion",
                            "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT",
                            "name", sf_jutil_str(title), "documentNamespace", ns, "creationInfo",
                            "created", at, "creators", "Tool: scanfarm-" SF_VERSION);
    json_t *pkgs = json_array(), *rels = json_array();
    int rc = SF_ENOMEM;
    if (!doc || !pkgs || !rels)
        goto fail;
    for (size_t k = 0; k < n; k++)
        TRY(platform(pkgs, rels, rs[k], k, n, title));
    TRY(sf_jutil_set_take(doc, "packages", &pkgs));
    TRY(sf_jutil_set_take(doc, "relationships", &rels));
    rc = sf_jutil_dump(doc, out);
    json_decref(doc);
    return rc == SF_OK ? SF_OK : sf_error_set(err, rc, "spdx: document too large");
fail:
    json_decref(pkgs);
    json_decref(rels);
    json_decref(doc);
    return sf_error_set(err, SF_ENOMEM, "spdx: out of memory");
}
