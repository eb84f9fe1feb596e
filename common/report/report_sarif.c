/*
 * report_sarif: the fleet as SARIF 2.1.0 (OASIS), for code-scanning
 * dashboards. One rule per vulnerability id, one result per (image,
 * finding). Images are not files, so each result's location names the
 * image reference twice: as a percent-encoded relative URI (SARIF requires
 * a URI reference, and "host:port/..." would read as a URI scheme) and as
 * a logical location holding the reference verbatim. partialFingerprints
 * let a dashboard track one finding across runs.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "fleet/report.h"
#include "report/sarif_util.h"
#include "sf_version.h"

static const char *level_of(int sev)
{
    return sev >= SF_SEV_HIGH ? "error" : sev == SF_SEV_MEDIUM ? "warning" : "note";
}

/* GitHub's "security-severity": the CVSS score as a string (the finding's
 * own, from the severity rule: docs/severity.md); a finding without any
 * CVSS gets its band's middle, UNKNOWN none (0.0). */
static void security_severity(char *out, size_t n, int sev, double cvss)
{
    static const double fallback[SF_SEV_N] = {[SF_SEV_CRITICAL] = 9.5, [SF_SEV_HIGH] = 8.0,
                                              [SF_SEV_MEDIUM] = 5.5, [SF_SEV_LOW] = 2.0,
                                              [SF_SEV_UNKNOWN] = 0.0};
    snprintf(out, n, "%.1f", cvss >= 0 ? cvss : fallback[sev]);
}

/* One rule per CVE of the report, in the order of r->cves. */
static json_t *rules_arr(sf_jb *b, const sf_report *r)
{
    json_t *rules = sf_jb_new(b, json_array());
    for (size_t i = 0; i < r->ncves; i++) {
        const sf_report_cve *c = &r->cves[i];
        char ss[16], text[256];
        security_severity(ss, sizeof ss, c->sev, c->cvss);
        snprintf(text, sizeof text, "%s (%s) in %zu image%s", c->id, sf_agg_sev_name(c->sev),
                 c->images, c->images == 1 ? "" : "s");
        json_t *rule = json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:[s,s]}}", "id", c->id,
                                 "name", c->id, "shortDescription", "text", text,
                                 "defaultConfiguration", "level", level_of(c->sev), "properties",
                                 "security-severity", ss, "tags", "security", "vulnerability");
        if (rule && sf_sarif_rule_help(rule, c->id, NULL, NULL, NULL) != 0)
            b->fails++;
        sf_jb_push(b, rules, rule);
    }
    return rules;
}

/* Index of id in rules (sorted array of the report's CVEs by id). */
static size_t rule_index(const sf_report *r, const char *id)
{
    for (size_t i = 0; i < r->ncves; i++)
        if (strcmp(r->cves[i].id, id) == 0)
            return i;
    return 0;
}

static json_t *result_of(const sf_report *r, const sf_agg_view *v, const sf_agg_vuln *x)
{
    const char *ref = v->nrefs ? v->refs[0] : v->digest;
    char text[1024], fp[512];
    if (x->fixed)
        snprintf(text, sizeof text, "%s %s in %s is affected by %s; fixed in %s.", x->pkg,
                 x->installed ? x->installed : "?", ref, x->id, x->fixed);
    else
        snprintf(text, sizeof text, "%s %s in %s is affected by %s; no fix is available.", x->pkg,
                 x->installed ? x->installed : "?", ref, x->id);
    snprintf(fp, sizeof fp, "%s/%s/%s", v->digest, x->id, x->pkg);
    return json_pack("{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:o}}, s:[{s:s, s:s}]}], "
                     "s:{s:s}, s:{s:s, s:s?, s:s?, s:s, s:o}}",
                     "ruleId", x->id, "ruleIndex", (json_int_t)rule_index(r, x->id), "level",
                     level_of(x->sev), "message", "text", text, "locations", "physicalLocation",
                     "artifactLocation", "uri", sf_sarif_uri(ref), "logicalLocations",
                     "fullyQualifiedName", ref, "kind", "module", "partialFingerprints",
                     "scanfarm/finding/v1", fp, "properties", "package", x->pkg,
                     "installedVersion", x->installed, "fixedVersion", x->fixed, "imageDigest",
                     v->digest, "cvss", x->cvss >= 0 ? json_real(x->cvss) : json_null());
}

/* KEV and EPSS ride in the result's properties (dashboards filter on them). */
static json_t *result_with_facts(sf_jb *b, const sf_report *r, const sf_agg_view *v,
                                 const sf_agg_vuln *x)
{
    json_t *res = result_of(r, v, x), *props = json_object_get(res, "properties");
    if (res) {
        sf_jb_set(b, props, "kev", json_boolean(x->kev));
        sf_jb_set(b, props, "epss", x->epss >= 0 ? json_real(x->epss) : json_null());
    }
    return res;
}

int sf_report_sarif(const sf_report *r, sf_buf *out)
{
    sf_jb b = {0};
    json_t *results = sf_jb_new(&b, json_array());
    for (size_t i = 0; i < r->nimgs; i++)
        for (size_t k = 0; k < r->imgs[i]->nvulns; k++)
            sf_jb_push(&b, results, result_with_facts(&b, r, r->imgs[i], &r->imgs[i]->vulns[k]));
    /* json_pack takes rules and results even when it fails */
    json_t *doc = json_pack(
        "{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, s:o, s:{s:s?}}]}", "$schema",
        "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0", "runs", "tool",
        "driver", "name", "scanfarm", "version", SF_VERSION_FULL, "rules", rules_arr(&b, r),
        "results", results, "properties", "run", r->run[0] ? r->run : NULL);
    if (sf_jb_status(&b) != SF_OK)
        json_decref(doc), doc = NULL;
    int rc = sf_jutil_dump_pretty(doc, out);
    json_decref(doc);
    return rc;
}
