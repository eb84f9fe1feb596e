/*
 * scan_sarif: `scanfarm scan --format sarif` (see scan_out.h). Unlike the
 * fleet report's SARIF, a scan knows each finding's package file inside
 * the image, so that file is the physical location a code-scanning
 * dashboard shows; the image reference and platform are the logical one.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "fleet/sarif_util.h"
#include "scan_out.h"
#include "scan_supp.h"
#include "sf_version.h"

/* Index of the rule for id in rules, adding it on first sight. */
static long rule_for(json_t *rules, const sf_finding *f, int rank)
{
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "id")), f->id) == 0)
            return (long)i;
    }
    /* GitHub's "security-severity" (a CVSS-like score): the finding's own
     * score, else the middle of its severity's CVSS band */
    static const double band[5] = {0.0, 2.0, 5.5, 8.0, 9.5};
    char ss[16], text[512];
    snprintf(ss, sizeof ss, "%.1f", f->cvss >= 0 ? f->cvss : band[rank]);
    snprintf(text, sizeof text, "%s in %s", f->id, f->pkg_name ? f->pkg_name : "a package");
    r = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:[s,s]}}", "id", f->id, "name", f->id,
                  "shortDescription", "text", text, "defaultConfiguration", "level",
                  sf_sarif_level(rank), "properties", "security-severity", ss, "tags",
                  "security", "vulnerability");
    if (!r)
        return -1;
    if (f->summary)
        json_object_set_new(r, "fullDescription", json_pack("{s:o}", "text",
                                                            sf_jutil_str(f->summary)));
    if (sf_sarif_rule_help(r, f->id, f->summary, f->pkg_name, f->fixed) != 0 ||
        json_array_append_new(rules, r) != 0)
        return -1;
    return (long)json_array_size(rules) - 1;
}

static json_t *result_of(const sf_result *r, const sf_finding *f, long rule, int rank,
                         const char *ref)
{
    char text[1024], fp[512], where[1024];
    const char *pkg = f->pkg_name ? f->pkg_name : "?", *inst = f->installed ? f->installed : "?";
    if (f->fixed)
        snprintf(text, sizeof text, "%s %s in %s is affected by %s; fixed in %s.", pkg, inst, ref,
                 f->id, f->fixed);
    else
        snprintf(text, sizeof text, "%s %s in %s is affected by %s; no fix is available.", pkg,
                 inst, ref, f->id);
    snprintf(fp, sizeof fp, "%s/%s/%s", r->digest ? r->digest : "", f->id, pkg);
    snprintf(where, sizeof where, "%s%s%s", ref, r->platform ? " " : "",
             r->platform ? r->platform : "");
    return json_pack("{s:s, s:I, s:s, s:{s:o}, s:[{s:{s:{s:o}}, s:[{s:o, s:s}]}], "
                     "s:{s:s}, s:{s:o, s:o, s:o, s:o, s:o, s:o}}",
                     "ruleId", f->id, "ruleIndex", (json_int_t)rule, "level", sf_sarif_level(rank),
                     "message", "text", sf_jutil_str(text), "locations", "physicalLocation",
                     "artifactLocation", "uri", sf_sarif_uri(f->pkg_path ? f->pkg_path : ref),
                     "logicalLocations", "fullyQualifiedName", sf_jutil_str(where), "kind",
                     "module", "partialFingerprints", "scanfarm/finding/v1", fp, "properties",
                     "package", sf_jutil_str(pkg), "installedVersion", sf_jutil_str(f->installed),
                     "fixedVersion", sf_jutil_str(f->fixed), "imageDigest",
                     sf_jutil_str(r->digest), "platform", sf_jutil_str(r->platform), "cvss",
                     f->cvss >= 0 ? json_real(f->cvss) : json_null());
}

/* Suppressed findings stay visible to a dashboard, marked as accepted. */
static int add_suppressed(json_t *rules, json_t *results, const sf_result *const *rs,
                          const sf_suppressed *x, const char *ref)
{
    for (size_t i = 0; x && i < x->findings.n; i++) {
        const sf_finding *f = &x->findings.items[i];
        int rank = sf_severity_rank(f->severity, 0);
        long rule = rule_for(rules, f, rank);
        json_t *res = rule >= 0 ? result_of(rs[x->plat[i]], f, rule, rank, ref) : NULL;
        char why[1200];
        sf_scan_supp_explain(x->rules[i], why, sizeof why);
        if (!res || json_object_set_new(res, "suppressions",
                                        json_pack("[{s:s, s:s, s:o}]", "kind", "external",
                                                  "status", "accepted", "justification",
                                                  sf_jutil_str(why))) != 0 ||
            json_array_append_new(results, res) != 0)
            return SF_ENOMEM;
    }
    return SF_OK;
}

int sf_scan_sarif(const sf_result *const *rs, size_t n, const char *ref, const sf_suppressed *sup,
                  sf_buf *out)
{
    json_t *rules = json_array(), *results = json_array(), *doc = NULL;
    int rc = SF_ENOMEM;
    if (!rules || !results)
        goto done;
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < rs[k]->vulns.n; i++) {
            const sf_finding *f = &rs[k]->vulns.items[i];
            int rank = sf_severity_rank(f->severity, 0);
            long rule = rule_for(rules, f, rank);
            if (rule < 0 || json_array_append_new(results, result_of(rs[k], f, rule, rank,
                                                                     ref)) != 0)
                goto done;
        }
    }
    if (add_suppressed(rules, results, rs, sup, ref) != SF_OK)
        goto done;
    doc = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:s, s:O}}, s:O, s:{s:o}}]}", "$schema",
                    "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs",
                    "tool", "driver", "name", "scanfarm", "version", SF_VERSION,
                    "semanticVersion", SF_VERSION, "rules", rules, "results", results,
                    "properties", "image", sf_jutil_str(ref));
    char *s = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    rc = s ? sf_buf_puts(out, s) : SF_ENOMEM;
    free(s);
done:
    json_decref(doc);
    json_decref(rules);
    json_decref(results);
    return rc;
}
