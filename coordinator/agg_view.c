/*
 * agg_view: see agg_view.h. The result decoder is the one place the
 * aggregator reads `scanfarm.result/v1`; it is deliberately lenient about
 * fields it does not need (forward compatibility within v1) and strict
 * about the ones it keys on (schema, digest).
 */
#include "agg_view.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/digest.h"
#include "base/limits.h"

static const char *const SEV_NAMES[SF_SEV_N] = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"};

const char *sf_agg_sev_name(int sev)
{
    return sev >= 0 && sev < SF_SEV_N ? SEV_NAMES[sev] : "UNKNOWN";
}

int sf_agg_sev_parse(const char *s)
{
    if (!s)
        return SF_SEV_UNKNOWN;
    for (int i = 0; i < SF_SEV_N; i++)
        if (strcasecmp(s, SEV_NAMES[i]) == 0)
            return i;
    if (strcasecmp(s, "MODERATE") == 0)
        return SF_SEV_MEDIUM;
    return SF_SEV_UNKNOWN;
}

void sf_agg_view_free(sf_agg_view *v)
{
    if (!v)
        return;
    free(v->digest);
    free(v->job_key);
    free(v->run_id);
    free(v->db_version);
    free(v->platform);
    free(v->os);
    free(v->error);
    for (size_t i = 0; i < v->nrefs; i++)
        free(v->refs[i]);
    free(v->refs);
    for (size_t i = 0; i < v->nvulns; i++) {
        sf_agg_vuln *x = &v->vulns[i];
        free(x->id);
        free(x->pkg);
        free(x->eco);
        free(x->installed);
        free(x->fixed);
    }
    free(v->vulns);
    for (size_t i = 0; i < v->npkgs; i++) {
        free(v->pkgs[i].eco);
        free(v->pkgs[i].name);
        free(v->pkgs[i].version);
    }
    free(v->pkgs);
    free(v);
}

/* A string field: present, a string, printable, bounded. NULL otherwise. */
static const char *jstr(json_t *o, const char *k)
{
    json_t *x = o ? json_object_get(o, k) : NULL;
    if (!json_is_string(x))
        return NULL;
    const char *s = json_string_value(x);
    if (json_string_length(x) > SF_AGG_STR_MAX)
        return NULL;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    return s;
}

/* strdup of a field, "" -> NULL. Sets *oom on allocation failure. */
static char *jdup(json_t *o, const char *k, int *oom)
{
    const char *s = jstr(o, k);
    if (!s || !*s)
        return NULL;
    char *d = sf_strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

int64_t sf_agg_parse_time(const char *s)
{
    int Y, M, D, h, m, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6 || n != 19)
        return -1;
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60 || Y < 1970)
        return -1;
    const char *p = s + 19;
    long ms = 0;
    if (*p == '.') {
        int digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
        for (; digits > 0 && digits < 3; digits++)
            ms *= 10;
    }
    long off = 0;
    if (*p == '+' || *p == '-') {
        int oh, om;
        if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || strlen(p) != 6)
            return -1;
        off = (oh * 60L + om) * 60L * (*p == '+' ? 1 : -1);
    } else if (!((*p == 'Z' || *p == 'z') && p[1] == '\0')) {
        return -1;
    }
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    return ((int64_t)t - off) * 1000 + ms;
}

/* When the worker produced the result: the first time field found. */
static int64_t result_time(json_t *doc)
{
    static const char *const top[] = {"produced_at", "finished_at", "scanned_at", NULL};
    static const char *const sub[] = {"finished_at", "end", "produced_at", NULL};
    for (int i = 0; top[i]; i++) {
        int64_t t = sf_agg_parse_time(jstr(doc, top[i]));
        if (t >= 0)
            return t;
    }
    json_t *tm = json_object_get(doc, "timings");
    for (int i = 0; sub[i] && json_is_object(tm); i++) {
        int64_t t = sf_agg_parse_time(jstr(tm, sub[i]));
        if (t >= 0)
            return t;
    }
    return 0;
}

/* error: null | "code" | {"code"|"kind"|"name": ...} (the worker writes
 * {"code","kind","message"}). */
static int result_error(json_t *doc, sf_agg_view *v)
{
    json_t *e = json_object_get(doc, "error");
    const char *s = NULL;
    if (!e || json_is_null(e) || json_is_false(e))
        return SF_OK;
    if (json_is_string(e))
        s = jstr(doc, "error");
    else if (json_is_object(e))
        /* the code ("auth", "notfound", "limit") says what went wrong;
         * the kind (retriable/image/fatal) is coarser */
        s = jstr(e, "code") ? jstr(e, "code") : jstr(e, "kind") ? jstr(e, "kind") : jstr(e, "name");
    v->error = sf_strdup(s && *s && strlen(s) <= 64 ? s : "error");
    return v->error ? SF_OK : SF_ENOMEM;
}

/* A ref we are willing to index: printable, no spaces or '|'. */
static int ref_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 512)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '|')
            return 0;
    return 1;
}

static int result_refs(json_t *doc, sf_agg_view *v, sf_error *err)
{
    json_t *a = json_object_get(doc, "refs"), *x;
    size_t i;
    if (!json_is_array(a))
        return SF_OK;
    if (json_array_size(a) > SF_AGG_MAX_REFS)
        return sf_error_set(err, SF_ELIMIT, "result with more than %d refs", SF_AGG_MAX_REFS);
    v->refs = calloc(json_array_size(a) + 1, sizeof *v->refs);
    if (!v->refs)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    json_array_foreach(a, i, x) {
        const char *s = json_string_value(x);
        if (!ref_ok(s))
            continue;
        int dup = 0;
        for (size_t j = 0; j < v->nrefs && !dup; j++)
            dup = strcmp(v->refs[j], s) == 0;
        if (dup)
            continue;
        if (!(v->refs[v->nrefs] = sf_strdup(s)))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        v->nrefs++;
    }
    return SF_OK;
}

static int cmp_vuln(const void *a, const void *b)
{
    const sf_agg_vuln *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    if (!c)
        c = strcmp(x->pkg, y->pkg);
    if (!c)
        c = strcmp(x->installed ? x->installed : "", y->installed ? y->installed : "");
    return c;
}

/* Sort, drop duplicates (the same flaw in the same package once), count. */
static void vulns_finish(sf_agg_view *v)
{
    size_t w = 0;
    if (v->nvulns)
        qsort(v->vulns, v->nvulns, sizeof *v->vulns, cmp_vuln);
    for (size_t i = 0; i < v->nvulns; i++) {
        if (w > 0 && cmp_vuln(&v->vulns[w - 1], &v->vulns[i]) == 0) {
            sf_agg_vuln *x = &v->vulns[i];
            free(x->id);
            free(x->pkg);
            free(x->eco);
            free(x->installed);
            free(x->fixed);
            continue;
        }
        v->vulns[w++] = v->vulns[i];
    }
    v->nvulns = w;
    memset(v->sev, 0, sizeof v->sev);
    v->fixable = 0;
    for (size_t i = 0; i < w; i++) {
        v->sev[v->vulns[i].sev]++;
        v->fixable += v->vulns[i].fixed != NULL;
    }
}

static int result_vulns(json_t *doc, sf_agg_view *v, sf_error *err)
{
    json_t *a = json_object_get(doc, "vulnerabilities"), *x;
    size_t i;
    int oom = 0;
    if (!json_is_array(a))
        return SF_OK;
    if (json_array_size(a) > SF_AGG_MAX_VULNS)
        return sf_error_set(err, SF_ELIMIT, "result with more than %d findings", SF_AGG_MAX_VULNS);
    v->vulns = calloc(json_array_size(a) + 1, sizeof *v->vulns);
    if (!v->vulns)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    json_array_foreach(a, i, x) {
        const char *id = jstr(x, "id"), *pkg = jstr(x, "package");
        if (!id || !*id || !pkg || !*pkg)
            continue; /* a finding without id or package cannot be indexed */
        sf_agg_vuln *f = &v->vulns[v->nvulns++];
        f->id = sf_strdup(id);
        f->pkg = sf_strdup(pkg);
        oom |= !f->id || !f->pkg;
        f->eco = jdup(x, "ecosystem", &oom);
        f->installed = jdup(x, "installed", &oom);
        f->fixed = jdup(x, "fixed", &oom);
        f->sev = sf_agg_sev_parse(jstr(x, "severity"));
        json_t *c = json_object_get(x, "cvss");
        f->cvss = json_is_number(c) ? json_number_value(c) : -1;
        if (oom)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    vulns_finish(v);
    return SF_OK;
}

static int cmp_pkg(const void *a, const void *b)
{
    const sf_agg_pkg *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (!c)
        c = strcmp(x->eco, y->eco);
    if (!c)
        c = strcmp(x->version, y->version);
    return c;
}

static void pkgs_finish(sf_agg_view *v)
{
    size_t w = 0;
    if (v->npkgs)
        qsort(v->pkgs, v->npkgs, sizeof *v->pkgs, cmp_pkg);
    for (size_t i = 0; i < v->npkgs; i++) {
        if (w > 0 && cmp_pkg(&v->pkgs[w - 1], &v->pkgs[i]) == 0) {
            free(v->pkgs[i].eco);
            free(v->pkgs[i].name);
            free(v->pkgs[i].version);
            continue;
        }
        v->pkgs[w++] = v->pkgs[i];
    }
    v->npkgs = w;
}

/* packages: [{"name","version", "ecosystem"|"type"}]; eco defaults to the
 * purl type. Packages without name or version are not indexed. */
static int result_pkgs(json_t *doc, sf_agg_view *v, sf_error *err)
{
    json_t *a = json_object_get(doc, "packages"), *x;
    size_t i;
    if (!json_is_array(a))
        return SF_OK;
    if (json_array_size(a) > SF_AGG_MAX_PKGS)
        return sf_error_set(err, SF_ELIMIT, "result with more than %d packages", SF_AGG_MAX_PKGS);
    v->pkgs = calloc(json_array_size(a) + 1, sizeof *v->pkgs);
    if (!v->pkgs)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    json_array_foreach(a, i, x) {
        const char *name = jstr(x, "name"), *ver = jstr(x, "version");
        const char *eco = jstr(x, "ecosystem");
        if (!eco || !*eco)
            eco = jstr(x, "type");
        if (!name || !*name || !ver || !*ver || strchr(name, 0x1f))
            continue;
        sf_agg_pkg *p = &v->pkgs[v->npkgs++];
        p->eco = sf_strdup(eco && *eco ? eco : "unknown");
        p->name = sf_strdup(name);
        p->version = sf_strdup(ver);
        if (!p->eco || !p->name || !p->version)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    pkgs_finish(v);
    return SF_OK;
}

static int result_os(json_t *doc, sf_agg_view *v)
{
    json_t *os = json_object_get(doc, "os");
    const char *id = jstr(os, "id"), *ver = jstr(os, "version_id");
    char tmp[256];
    if (!id || !*id)
        return SF_OK;
    snprintf(tmp, sizeof tmp, "%s%s%s", id, ver && *ver ? " " : "", ver && *ver ? ver : "");
    v->os = sf_strdup(tmp);
    return v->os ? SF_OK : SF_ENOMEM;
}

static int result_ident(json_t *doc, sf_agg_view *v, sf_error *err)
{
    const char *schema = jstr(doc, "schema"), *d = jstr(doc, "digest");
    const char *idx = jstr(doc, "index_digest"), *run = jstr(doc, "run_id");
    const char *db = jstr(doc, "db_version");
    int oom = 0;
    if (!schema || strcmp(schema, "scanfarm.result/v1") != 0)
        return sf_error_set(err, SF_EPARSE, "not a scanfarm.result/v1 document");
    if (!d || sf_digest_validate(d, NULL) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "result without a valid digest");
    if (idx && *idx && sf_digest_validate(idx, NULL) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "result with a malformed index_digest");
    if (run && (strlen(run) > 128 || strpbrk(run, ": *?[]")))
        return sf_error_set(err, SF_EPARSE, "result with a malformed run_id");
    v->digest = sf_strdup(d);
    v->job_key = sf_strdup(idx && *idx ? idx : d);
    v->run_id = sf_strdup(run && *run ? run : "none");
    v->db_version = sf_strdup(db ? db : "");
    v->platform = jdup(doc, "platform", &oom);
    if (oom || !v->digest || !v->job_key || !v->run_id || !v->db_version)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (strchr(v->db_version, '|'))
        return sf_error_set(err, SF_EPARSE, "result with a malformed db_version");
    v->time_ms = result_time(doc);
    return SF_OK;
}

int sf_agg_view_from_result(const char *json, size_t len, sf_agg_view **out, sf_error *err)
{
    json_error_t je;
    sf_agg_view *v = NULL;
    int rc;
    *out = NULL;
    json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        rc = sf_error_set(err, SF_EPARSE, "result JSON: %s", doc ? "not an object" : je.text);
        goto done;
    }
    v = calloc(1, sizeof *v);
    if (!v) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    if ((rc = result_ident(doc, v, err)) != SF_OK || (rc = result_refs(doc, v, err)) != SF_OK ||
        (rc = result_vulns(doc, v, err)) != SF_OK || (rc = result_pkgs(doc, v, err)) != SF_OK)
        goto done;
    if ((rc = result_error(doc, v)) != SF_OK || (rc = result_os(doc, v)) != SF_OK) {
        sf_error_set(err, rc, "out of memory");
        goto done;
    }
    *out = v;
    v = NULL;
done:
    json_decref(doc);
    sf_agg_view_free(v);
    return rc;
}
