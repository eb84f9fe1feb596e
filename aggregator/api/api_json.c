/* api_json: see api_json.h. */
#include "api_json.h"

#include <stdio.h>
#include <string.h>

#include "api_params.h"
#include "model/severity.h"
#include "vuln/advisory.h"

static const char *const COUNT_NAMES[5] = {"images", "vulnerable", "errors", "findings",
                                           "fixable"};
/* Counts objects list severities most severe first, by name. */
static const char *const SEV_NAMES[5] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};

static json_t *num_or_null(double v) { return v >= 0 ? json_real(v) : json_null(); }

json_t *api_j_envelope(sf_jb *b, json_t *items, long long total, long next)
{
    char cur[32];
    json_t *o = sf_jb_new(b, json_object());
    sf_api_cursor_fmt(cur, sizeof cur, next);
    sf_jb_set(b, o, "items", items);
    sf_jb_set(b, o, "total", json_integer((json_int_t)total));
    sf_jb_set(b, o, "next_cursor", next >= 0 ? sf_jutil_str(cur) : json_null());
    return o;
}

json_t *api_j_counts(sf_jb *b, const long long v[10])
{
    json_t *o = sf_jb_new(b, json_object()), *sev = sf_jb_new(b, json_object());
    for (size_t i = 0; i < 5; i++)
        sf_jb_set(b, o, COUNT_NAMES[i], json_integer((json_int_t)v[i]));
    for (size_t i = 0; i < 5; i++)
        sf_jb_set(b, sev, SEV_NAMES[i], json_integer((json_int_t)v[5 + i]));
    sf_jb_set(b, o, "severity", sev);
    return o;
}

json_t *api_j_error(sf_jb *b, int status, const char *code, const char *msg, const char *param)
{
    json_t *o = sf_jb_new(b, json_object()), *e = sf_jb_new(b, json_object());
    sf_jb_set(b, e, "status", json_integer(status));
    sf_jb_set(b, e, "code", sf_jutil_str(code));
    sf_jb_set(b, e, "message", sf_jutil_str(msg));
    sf_jb_set(b, e, "parameter", sf_jutil_str(param));
    sf_jb_set(b, o, "error", e);
    return o;
}

json_t *api_j_finding(sf_jb *b, const sf_agg_vuln *v, const sf_finding *rf, const char *layer)
{
    json_t *o = sf_jb_new(b, json_object()), *al = sf_jb_new(b, json_array());
    json_t *links = sf_jb_new(b, json_object());
    char u[600];
    for (size_t i = 0; rf && i < rf->naliases; i++)
        sf_jb_push(b, al, sf_jutil_str(rf->aliases[i]));
    snprintf(u, sizeof u, "https://osv.dev/vulnerability/%s", v->id);
    sf_jb_set(b, links, "osv", sf_jutil_str(u));
    if (strncmp(v->id, "CVE-", 4) == 0) {
        snprintf(u, sizeof u, "https://nvd.nist.gov/vuln/detail/%s", v->id);
        sf_jb_set(b, links, "nvd", sf_jutil_str(u));
    }
    if (strncmp(v->id, "GHSA-", 5) == 0) {
        snprintf(u, sizeof u, "https://github.com/advisories/%s", v->id);
        sf_jb_set(b, links, "ghsa", sf_jutil_str(u));
    }
    sf_jb_set(b, o, "id", sf_jutil_str(v->id));
    sf_jb_set(b, o, "aliases", al);
    sf_jb_set(b, o, "package", sf_jutil_str(v->pkg));
    sf_jb_set(b, o, "ecosystem", sf_jutil_str(v->eco));
    sf_jb_set(b, o, "installed", sf_jutil_str(v->installed));
    sf_jb_set(b, o, "fixed", sf_jutil_str(v->fixed));
    sf_jb_set(b, o, "severity", sf_jutil_str(sf_sev_name(v->sev)));
    sf_jb_set(b, o, "cvss", num_or_null(v->cvss));
    sf_jb_set(b, o, "kev", json_boolean(v->kev));
    sf_jb_set(b, o, "epss", num_or_null(v->epss));
    sf_jb_set(b, o, "epss_percentile", num_or_null(v->epss_pct));
    sf_jb_set(b, o, "layer", sf_jutil_str(layer));
    sf_jb_set(b, o, "links", links);
    return o;
}

json_t *api_j_pkg(sf_jb *b, const char *eco, const sf_pkg *k, const char *purl,
                  const char *layer)
{
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "ecosystem", sf_jutil_str(eco));
    sf_jb_set(b, o, "name", sf_jutil_str(k->name));
    sf_jb_set(b, o, "version", sf_jutil_str(k->version));
    sf_jb_set(b, o, "source", sf_jutil_str(k->src_name));
    sf_jb_set(b, o, "purl", sf_jutil_str(purl));
    sf_jb_set(b, o, "license", sf_jutil_str(k->license));
    sf_jb_set(b, o, "path", sf_jutil_str(k->path));
    sf_jb_set(b, o, "layer", sf_jutil_str(layer));
    return o;
}

json_t *api_j_layer(sf_jb *b, const sf_result_layer *l)
{
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "digest", sf_jutil_str(l->digest));
    sf_jb_set(b, o, "size", json_integer((json_int_t)l->size));
    sf_jb_set(b, o, "cache", sf_jutil_str(l->cache));
    sf_jb_set(b, o, "error", sf_jutil_str(l->error));
    return o;
}

json_t *api_j_where(sf_jb *b, const sf_running_ent *x)
{
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "cluster", sf_jutil_str(x->cluster));
    sf_jb_set(b, o, "namespace", sf_jutil_str(x->ns));
    sf_jb_set(b, o, "pod", sf_jutil_str(x->pod));
    sf_jb_set(b, o, "container", sf_jutil_str(x->container));
    sf_jb_set(b, o, "node", sf_jutil_str(x->node));
    sf_jb_set(b, o, "owner_kind", sf_jutil_str(x->owner_kind));
    sf_jb_set(b, o, "owner_name", sf_jutil_str(x->owner_name));
    sf_jb_set(b, o, "since", x->since_ms > 0 ? json_integer(x->since_ms) : json_null());
    return o;
}

/* The id's namespace key in Links: its own page is NVD's, GitHub's, or
 * (DSA, DLA, USN, RHSA, ...) the distribution's. */
static const char *own_key(const char *id, const char *url)
{
    if (strncmp(id, "CVE-", 4) == 0)
        return "nvd";
    if (strncmp(id, "GHSA-", 5) == 0)
        return "ghsa";
    return strncmp(url, "https://osv.dev/", 16) == 0 ? "osv" : "tracker";
}

/* Advisory pages of id (vuln/advisory.h, shared with the HTML report); the
 * tracker of a CVE follows the ecosystem's distribution ("Alpine:v3.10"
 * -> "alpine"). */
void api_j_links(sf_jb *b, json_t *o, const char *id, const char *eco)
{
    char u[SF_ADVISORY_URL_MAX], os[32] = "";
    json_t *l = sf_jb_new(b, json_object());
    if (sf_advisory_url(id, u, sizeof u))
        sf_jb_set(b, l, own_key(id, u), sf_jutil_str(u));
    if (sf_advisory_osv_url(id, u, sizeof u))
        sf_jb_set(b, l, "osv", sf_jutil_str(u));
    for (size_t i = 0; eco && eco[i] && i + 1 < sizeof os; i++)
        os[i] = (char)(eco[i] >= 'A' && eco[i] <= 'Z' ? eco[i] - 'A' + 'a' : eco[i]), os[i + 1] = '\0';
    if (sf_advisory_tracker_url(id, os, u, sizeof u))
        sf_jb_set(b, l, "tracker", sf_jutil_str(u));
    sf_jb_set(b, o, "links", l);
}

json_t *api_j_vuln(sf_jb *b, const char *id, const api_j_vscore *s, json_t *facts)
{
    json_t *al = json_object_get(facts, "aliases");
    int sev = s->sevr >= 0 && s->sevr < SF_SEV_N ? (int)s->sevr : SF_SEV_UNKNOWN; /* an sf_sev */
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "id", sf_jutil_str(id));
    sf_jb_set(b, o, "aliases", json_is_array(al) ? json_incref(al) : json_array());
    sf_jb_set(b, o, "images", json_integer((json_int_t)s->images));
    sf_jb_set(b, o, "severity", sf_jutil_str(sf_sev_name(sev)));
    sf_jb_set(b, o, "cvss", num_or_null(s->cvss));
    sf_jb_set(b, o, "kev", json_boolean(json_is_true(json_object_get(facts, "kev"))));
    sf_jb_set(b, o, "epss", num_or_null(s->epss));
    sf_jb_set(b, o, "fixable", json_boolean(s->fix > 0));
    sf_jb_set(b, o, "first_seen",
              s->first > 0 ? json_integer((json_int_t)s->first) : json_null());
    api_j_links(b, o, id, NULL);
    return o;
}

json_t *api_j_run(sf_jb *b, const char *run, double started, const sf_agg_progress *pg,
                  const long long d[12])
{
    json_t *o = sf_jb_new(b, json_object()), *t = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "run_id", sf_jutil_str(run));
    sf_jb_set(b, o, "started_at", json_integer((json_int_t)started));
    sf_jb_set(b, o, "published", pg->published >= 0 ? json_integer(pg->published) : json_null());
    sf_jb_set(b, o, "done", json_integer(pg->done));
    sf_jb_set(b, o, "results", json_integer(pg->results));
    sf_jb_set(b, o, "dlq", json_integer(pg->dlq));
    sf_jb_set(b, o, "errors", json_integer(pg->errors));
    sf_jb_set(b, o, "current", json_integer(pg->current));
    sf_jb_set(b, o, "first_result_at", pg->first_ms > 0 ? json_integer(pg->first_ms) : json_null());
    sf_jb_set(b, o, "last_result_at", pg->last_ms > 0 ? json_integer(pg->last_ms) : json_null());
    sf_jb_set(b, o, "complete", json_boolean(pg->complete));
    sf_jb_set(b, o, "progress",
              pg->published > 0 ? json_real(pg->done >= pg->published
                                                ? 1.0
                                                : (double)pg->done / (double)pg->published)
                                : json_null());
    sf_jb_set(b, t, "new", json_integer(d[10]));
    sf_jb_set(b, t, "resolved", json_integer(d[11]));
    sf_jb_set(b, t, "delta", api_j_counts(b, d));
    sf_jb_set(b, o, "totals", t);
    return o;
}

json_t *api_j_platform(sf_jb *b, const char *digest, json_t *platform)
{
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "digest", sf_jutil_str(digest));
    sf_jb_set(b, o, "platform", platform ? json_incref(platform) : json_null());
    return o;
}

json_t *api_j_load(sf_jb *b, const char *text, int *corrupt)
{
    int rc = SF_OK;
    json_t *o = text ? sf_jutil_loadb(text, strlen(text), 0, &rc) : NULL;
    if (rc == SF_EPARSE)
        *corrupt = 1;
    else if (rc != SF_OK)
        sf_jb_new(b, NULL); /* counted: not the data's fault */
    return o;
}
