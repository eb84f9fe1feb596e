/* scan_supp: see scan_supp.h. */
#include "scan_supp.h"

#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/json.h"

static void today_utc(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

int sf_scan_supp_load(sf_supp **out, const char *ignore_file, const char *const *vex,
                      size_t nvex, sf_error *err)
{
    char today[11];
    today_utc(today);
    *out = NULL;
    const char *ign = ignore_file;
    if (!ign && access(".scanfarmignore", R_OK) == 0)
        ign = ".scanfarmignore";
    if (!ign && nvex == 0)
        return SF_OK;
    sf_supp *s = NULL;
    int rc = sf_supp_new(&s);
    if (rc == SF_OK && ign)
        rc = sf_supp_load_file(s, ign, 0, today, err);
    for (size_t i = 0; rc == SF_OK && i < nvex; i++)
        rc = sf_supp_load_file(s, vex[i], 1, today, err);
    if (rc != SF_OK) {
        sf_supp_free(s);
        return rc;
    }
    for (size_t i = 0; i < sf_supp_count(s); i++) {
        const sf_supp_rule *r = sf_supp_rule_at(s, i);
        if (r->expired)
            fprintf(stderr, "scanfarm scan: %s: the rule for %s expired on %s: not applied\n",
                    r->source, r->id, r->expires);
    }
    *out = s;
    return SF_OK;
}

int sf_scan_supp_apply(const sf_supp *s, sf_scan_report *rep, sf_suppressed *x)
{
    int rc = SF_OK;
    for (size_t i = 0; s && rc == SF_OK && i < sf_scan_report_count(rep); i++)
        rc = sf_supp_apply(s, sf_scan_report_result_mut(rep, i), i, x);
    return rc;
}

void sf_scan_supp_explain(const sf_supp_rule *r, char *out, size_t n)
{
    snprintf(out, n, "%s%s%s%s%s%s [%s]", r->status, r->justification ? " (" : "",
             r->justification ? r->justification : "", r->justification ? ")" : "",
             r->reason ? ": " : "", r->reason ? r->reason : "", r->source);
}

void sf_scan_supp_print(const sf_suppressed *x, size_t plat, FILE *f)
{
    size_t n = 0;
    for (size_t i = 0; i < x->findings.n; i++)
        n += x->plat[i] == plat;
    if (!n)
        return;
    fprintf(f, "Suppressed: %zu\n", n);
    for (size_t i = 0; i < x->findings.n; i++) {
        if (x->plat[i] != plat)
            continue;
        const sf_finding *fd = &x->findings.items[i];
        char why[1024];
        sf_scan_supp_explain(x->rules[i], why, sizeof why);
        fprintf(f, "  %-20s %-24s %s\n", fd->id, fd->pkg_name ? fd->pkg_name : "", why);
    }
}

/* ------------------------------------------------------------ documents */

static json_t *suppressed_json(const sf_finding *f, const sf_supp_rule *r)
{
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "id", sf_jutil_str(f->id),
                     "package", sf_jutil_str(f->pkg_name), "installed",
                     sf_jutil_str(f->installed), "fixed", sf_jutil_str(f->fixed), "severity",
                     sf_jutil_str(f->severity ? f->severity : "UNKNOWN"), "status", r->status,
                     "justification", sf_jutil_str(r->justification), "reason",
                     sf_jutil_str(r->reason), "source", sf_jutil_str(r->source));
}

/* OpenVEX justification labels -> CycloneDX's. */
static const char *const JUST_MAP[][2] = {
    {"component_not_present", "code_not_present"},
    {"vulnerable_code_not_present", "code_not_present"},
    {"vulnerable_code_not_in_execute_path", "code_not_reachable"},
    {"vulnerable_code_cannot_be_controlled_by_adversary", "protected_by_mitigating_control"},
    {"inline_mitigations_already_exist", "protected_by_mitigating_control"},
    {"code_not_present", "code_not_present"},
    {"code_not_reachable", "code_not_reachable"},
    {"requires_configuration", "requires_configuration"},
    {"requires_dependency", "requires_dependency"},
    {"requires_environment", "requires_environment"},
    {"protected_by_compiler", "protected_by_compiler"},
    {"protected_at_runtime", "protected_at_runtime"},
    {"protected_at_perimeter", "protected_at_perimeter"},
    {"protected_by_mitigating_control", "protected_by_mitigating_control"},
};

void sf_scan_supp_cdx_analysis(const sf_supp_rule *r, const char **state, const char **just,
                               const char **response)
{
    *just = NULL;
    *response = NULL;
    if (strcmp(r->status, "fixed") == 0) {
        *state = "resolved";
        return;
    }
    if (strcmp(r->status, "ignored") == 0) {
        /* present, and accepted: an ignore is a risk decision, not a VEX claim */
        *state = "exploitable";
        *response = "will_not_fix";
        return;
    }
    *state = r->justification && strcmp(r->justification, "false_positive") == 0
                 ? "false_positive"
                 : "not_affected";
    for (size_t i = 0; r->justification && i < sizeof JUST_MAP / sizeof JUST_MAP[0]; i++)
        if (strcmp(r->justification, JUST_MAP[i][0]) == 0)
            *just = JUST_MAP[i][1];
}

/* bom-ref of the component finding f is about (platform plat when n > 1). */
static const char *cdx_ref(const json_t *comps, const sf_finding *f, const char *platform,
                           size_t n)
{
    size_t i;
    json_t *c;
    json_array_foreach(comps, i, c)
    {
        const char *name = json_string_value(json_object_get(c, "name"));
        const char *ver = json_string_value(json_object_get(c, "version"));
        if (!name || !f->pkg_name || strcmp(name, f->pkg_name) != 0 ||
            (f->installed && (!ver || strcmp(ver, f->installed) != 0)))
            continue;
        if (n > 1 && platform) {
            int same = 0;
            size_t k;
            json_t *p;
            json_array_foreach(json_object_get(c, "properties"), k, p)
            {
                const char *pv = json_string_value(json_object_get(p, "value"));
                same |= pv && strcmp(json_string_value(json_object_get(p, "name")),
                                     "scanfarm:image:platform") == 0 &&
                        strcmp(pv, platform) == 0;
            }
            if (!same)
                continue;
        }
        return json_string_value(json_object_get(c, "bom-ref"));
    }
    return NULL;
}

static json_t *cdx_suppressed(const json_t *bom, const sf_finding *f, const sf_supp_rule *r,
                              const char *platform, size_t n)
{
    const char *state, *just, *resp;
    char detail[1200], sev[16] = "unknown";
    sf_scan_supp_cdx_analysis(r, &state, &just, &resp);
    snprintf(detail, sizeof detail, "%s%s[%s]", r->reason ? r->reason : "", r->reason ? " " : "",
             r->source);
    for (size_t i = 0; f->severity && f->severity[i] && i + 1 < sizeof sev; i++)
        sev[i] = (char)(f->severity[i] | 0x20), sev[i + 1] = '\0';
    json_t *an = json_pack("{s:s, s:o}", "state", state, "detail", sf_jutil_str(detail));
    if (an && just)
        json_object_set_new(an, "justification", json_string(just));
    if (an && resp)
        json_object_set_new(an, "response", json_pack("[s]", resp));
    json_t *v = json_pack("{s:o, s:[{s:s}], s:o}", "id", sf_jutil_str(f->id), "ratings",
                          "severity", sev, "analysis", an);
    const char *ref = v ? cdx_ref(json_object_get(bom, "components"), f, platform, n) : NULL;
    if (ref)
        json_object_set_new(v, "affects", json_pack("[{s:s}]", "ref", ref));
    return v;
}

static int annotate_json(json_t *doc, const sf_result *const *rs, size_t n,
                         const sf_suppressed *x, sf_scan_fmt fmt)
{
    for (size_t i = 0; i < x->findings.n; i++) {
        const sf_finding *f = &x->findings.items[i];
        size_t plat = x->plat[i];
        json_t *target = fmt == SF_SCAN_FMT_JSON && json_is_array(doc) ? json_array_get(doc, plat)
                                                                       : doc;
        if (!target)
            continue;
        const char *key = fmt == SF_SCAN_FMT_JSON ? "suppressed" : "vulnerabilities";
        json_t *arr = json_object_get(target, key);
        if (!arr) {
            arr = json_array();
            if (json_object_set_new(target, key, arr) != 0)
                return SF_ENOMEM;
        }
        json_t *item = fmt == SF_SCAN_FMT_JSON
                           ? suppressed_json(f, x->rules[i])
                           : cdx_suppressed(doc, f, x->rules[i], rs[plat]->platform, n);
        if (json_array_append_new(arr, item) != 0)
            return SF_ENOMEM;
    }
    return SF_OK;
}

int sf_scan_supp_annotate(sf_scan_fmt fmt, const sf_result *const *rs, size_t n,
                          const sf_suppressed *x, sf_buf *doc)
{
    if (!x || !x->findings.n || (fmt != SF_SCAN_FMT_JSON && fmt != SF_SCAN_FMT_CYCLONEDX))
        return SF_OK;
    json_error_t je;
    json_t *j = json_loadb(doc->data, doc->len, 0, &je);
    if (!j)
        return SF_EPARSE;
    int rc = annotate_json(j, rs, n, x, fmt);
    if (rc == SF_OK) {
        sf_buf_reset(doc);
        rc = sf_jutil_dump(j, doc);
        if (rc == SF_OK)
            rc = sf_buf_puts(doc, "\n");
    }
    json_decref(j);
    return rc;
}
