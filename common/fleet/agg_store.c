/*
 * agg_store: the stored forms of a fleet view (compact JSON of the view
 * and of its packages), the refs and ordering rules, as written by the
 * aggregator (aggregator/agg_plan.c) and read by every fleet reader.
 * See agg_view.h for the replacement rule and aggregator/agg.h for the
 * key layout.
 */
#include "fleet/agg_view.h"

#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/json_skim.h"
#include "fleet/agg_venc.h"
#include "fleet/agg_vparse.h"

/* ---- stored JSON ---- */

const sf_strfield sf_agg_view_fields[] = {
    {"d", offsetof(sf_agg_view, digest)},
    {"j", offsetof(sf_agg_view, job_key)},
    {"r", offsetof(sf_agg_view, run_id)},
    {"v", offsetof(sf_agg_view, db_version)},
    {"p", offsetof(sf_agg_view, platform)},
    {"os", offsetof(sf_agg_view, os)},
    {"err", offsetof(sf_agg_view, error)},
    {"rr", offsetof(sf_agg_view, refs_run)},
    {"ph", offsetof(sf_agg_view, pkhash)},
    {"vh", offsetof(sf_agg_view, vhash)},
};
const size_t sf_agg_view_nfields = SF_STRFIELD_N(sf_agg_view_fields);

static json_t *jstr_or_null(const char *s) { return s ? json_string(s) : json_null(); }

int sf_agg_view_json_ref(const sf_agg_view *v, sf_buf *out)
{
    int rc = SF_ENOMEM;
    json_t *o = json_object(), *refs = json_array(), *vulns = json_array();
    if (!o || !refs || !vulns)
        goto done;
    for (size_t i = 0; i < v->nrefs; i++)
        json_array_append_new(refs, json_string(v->refs[i]));
    for (size_t i = 0; i < v->nvulns; i++) {
        const sf_agg_vuln *x = &v->vulns[i];
        /* KEV and EPSS ride at the end, then the aliases (when any):
         * views stored before them parse with kev 0, no EPSS, none */
        json_t *e = json_pack("[s s o o o s f b f f]", x->id, x->pkg, jstr_or_null(x->installed),
                              jstr_or_null(x->fixed), jstr_or_null(x->eco),
                              sf_agg_sev_name(x->sev), x->cvss, x->kev, x->epss, x->epss_pct);
        if (e && x->aliases && json_array_append_new(e, json_string(x->aliases)) != 0) {
            json_decref(e);
            e = NULL;
        }
        if (json_array_append_new(vulns, e) != 0)
            goto done;
    }
    json_object_set_new(o, "d", json_string(v->digest));
    json_object_set_new(o, "j", json_string(v->job_key));
    json_object_set_new(o, "r", json_string(v->run_id));
    json_object_set_new(o, "v", json_string(v->db_version));
    json_object_set_new(o, "t", json_integer(v->time_ms));
    json_object_set_new(o, "p", jstr_or_null(v->platform));
    json_object_set_new(o, "os", jstr_or_null(v->os));
    json_object_set_new(o, "err", jstr_or_null(v->error));
    if (v->refs_run) /* absent: the refs are the result's, of run "r" */
        json_object_set_new(o, "rr", json_string(v->refs_run));
    if (v->refs_rank >= 0)
        json_object_set_new(o, "rk", json_integer(v->refs_rank));
    if (v->pkhash) /* absent: unknown (views before it, agg.c's path) */
        json_object_set_new(o, "ph", json_string(v->pkhash));
    if (v->vhash) /* absent: unknown (views before it, whose findings lack aliases) */
        json_object_set_new(o, "vh", json_string(v->vhash));
    json_object_set(o, "refs", refs);
    json_object_set(o, "vulns", vulns);
    char *s = json_dumps(o, JSON_COMPACT);
    if (!s)
        goto done;
    rc = sf_buf_puts(out, s);
    free(s);
done:
    json_decref(refs);
    json_decref(vulns);
    json_decref(o);
    return rc;
}

int sf_agg_view_json(const sf_agg_view *v, sf_buf *out)
{
    int rc = sf_agg_ve_json(v, out);
    if (rc == 1)
        return SF_OK;
    return rc != 0 ? rc : sf_agg_view_json_ref(v, out);
}

/* Members of a stored view: 14 (sf_agg_view_json); more is not one. */
#define VIEW_MEMBERS 24

int sf_agg_view_json_keep(const sf_agg_view *v, const char *stored, size_t len, sf_buf *out)
{
    static const char tail[] = "\"vulns\":[]}";
    const size_t tl = sizeof tail - 1;
    sf_jskim_member m[VIEW_MEMBERS];
    size_t n = 0;
    if (!stored || sf_jskim_object(stored, len, m, VIEW_MEMBERS, &n, NULL) != SF_OK)
        return SF_ENOTFOUND;
    int k = sf_jskim_find(stored, m, n, "vulns");
    if (k < 0 || stored[m[k].val_off] != '[')
        return SF_ENOTFOUND;
    /* v without its findings, written as always: it ends in an empty
     * "vulns" (the last member), where the stored findings go */
    sf_agg_view shell = *v;
    shell.nvulns = 0;
    sf_buf b;
    sf_buf_init(&b, 0);
    int rc = sf_agg_view_json(&shell, &b);
    if (rc == SF_OK && (b.len < tl || memcmp(b.data + b.len - tl, tail, tl) != 0))
        rc = SF_ENOTFOUND; /* not the layout this relies on: write it whole */
    if (rc == SF_OK && (rc = sf_buf_append(out, b.data, b.len - 3)) == SF_OK &&
        (rc = sf_buf_append(out, stored + m[k].val_off, m[k].val_len)) == SF_OK)
        rc = sf_buf_append(out, "}", 1);
    sf_buf_free(&b);
    return rc;
}

static char *dup_or_null(json_t *x, int *oom)
{
    if (!json_is_string(x))
        return NULL;
    char *s = sf_strdup(json_string_value(x));
    if (!s)
        *oom = 1;
    return s;
}

static int view_parse_vulns(sf_agg_view *v, json_t *a)
{
    size_t i;
    json_t *x;
    int oom = 0;
    v->vulns = calloc(json_array_size(a) + 1, sizeof *v->vulns);
    if (!v->vulns)
        return SF_ENOMEM;
    json_array_foreach(a, i, x) {
        if (!json_is_array(x) || !json_is_string(json_array_get(x, 0)) ||
            !json_is_string(json_array_get(x, 1)))
            return SF_EPARSE;
        sf_agg_vuln *f = &v->vulns[v->nvulns++];
        f->id = dup_or_null(json_array_get(x, 0), &oom);
        f->pkg = dup_or_null(json_array_get(x, 1), &oom);
        f->installed = dup_or_null(json_array_get(x, 2), &oom);
        f->fixed = dup_or_null(json_array_get(x, 3), &oom);
        f->eco = dup_or_null(json_array_get(x, 4), &oom);
        f->sev = sf_agg_sev_parse(json_string_value(json_array_get(x, 5)));
        json_t *c = json_array_get(x, 6);
        f->cvss = json_is_number(c) ? json_number_value(c) : -1;
        json_t *e = json_array_get(x, 8), *ep = json_array_get(x, 9);
        f->kev = json_is_true(json_array_get(x, 7));
        f->epss = json_is_number(e) ? json_number_value(e) : -1;
        f->epss_pct = json_is_number(ep) ? json_number_value(ep) : -1;
        f->aliases = dup_or_null(json_array_get(x, 10), &oom);
        if (oom)
            return SF_ENOMEM;
        v->sev[f->sev]++;
        v->fixable += f->fixed != NULL;
    }
    return SF_OK;
}

int sf_agg_view_parse_ref(const char *json, size_t len, sf_agg_view **out, sf_error *err)
{
    json_error_t je;
    int rc = SF_EPARSE, oom = 0;
    sf_agg_view *v = NULL;
    json_t *o = json_loadb(json, len, 0, &je), *refs, *x;
    size_t i;
    *out = NULL;
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "d")))
        goto done;
    if (!(v = calloc(1, sizeof *v))) {
        rc = SF_ENOMEM;
        goto done;
    }
    for (size_t k = 0; k < sf_agg_view_nfields; k++) {
        const sf_strfield *f = &sf_agg_view_fields[k];
        *SF_STRFIELD_PTR(v, *f) = dup_or_null(json_object_get(o, f->key), &oom);
    }
    v->time_ms = json_integer_value(json_object_get(o, "t"));
    v->refs_rank = json_is_integer(json_object_get(o, "rk"))
                       ? json_integer_value(json_object_get(o, "rk"))
                       : -1;
    if (oom || !v->job_key || !v->run_id || !v->db_version) {
        rc = oom ? SF_ENOMEM : SF_EPARSE;
        goto done;
    }
    refs = json_object_get(o, "refs");
    v->refs = calloc(json_array_size(refs) + 1, sizeof *v->refs);
    if (!v->refs) {
        rc = SF_ENOMEM;
        goto done;
    }
    json_array_foreach(refs, i, x) {
        if (json_is_string(x) && !(v->refs[v->nrefs++] = sf_strdup(json_string_value(x)))) {
            rc = SF_ENOMEM;
            goto done;
        }
    }
    rc = view_parse_vulns(v, json_object_get(o, "vulns"));
done:
    json_decref(o);
    if (rc != SF_OK) {
        sf_agg_view_free(v);
        return sf_error_set(err, rc, "stored fleet view unreadable");
    }
    *out = v;
    return SF_OK;
}

int sf_agg_view_parse(const char *json, size_t len, sf_agg_view **out, sf_error *err)
{
    int rc = sf_agg_vp_parse(json, len, out);
    if (rc == 1)
        return SF_OK;
    if (rc != 0)
        return sf_error_set(err, rc, "out of memory");
    return sf_agg_view_parse_ref(json, len, out, err);
}

int sf_agg_pkgs_json(const sf_agg_view *v, sf_buf *out)
{
    json_t *a = json_array();
    int rc = SF_ENOMEM;
    if (!a)
        return rc;
    for (size_t i = 0; i < v->npkgs; i++) {
        json_t *x = json_pack("[s s s]", v->pkgs[i].eco, v->pkgs[i].name, v->pkgs[i].version);
        if (x && v->pkgs[i].src) /* a 4th element: older readers ignore it */
            json_array_append_new(x, json_string(v->pkgs[i].src));
        json_array_append_new(a, x);
    }
    char *s = json_dumps(a, JSON_COMPACT);
    if (s) {
        rc = sf_buf_puts(out, s);
        free(s);
    }
    json_decref(a);
    return rc;
}

/* A string of the plain form at s[*i] (its opening quote): printable
 * ASCII but '"' and '\\', the bytes jansson's compact dump writes as they
 * are. NULL when not plain or out of memory (*oom). */
static char *plain_str(const char *s, size_t len, size_t *i, int *oom)
{
    if (*i >= len || s[*i] != '"')
        return NULL;
    size_t b = ++*i;
    while (*i < len && s[*i] != '"') {
        unsigned char c = (unsigned char)s[*i];
        if (c < 0x20 || c > 0x7e || c == '\\')
            return NULL;
        ++*i;
    }
    if (*i >= len)
        return NULL;
    char *d = sf_strndup(s + b, *i - b);
    ++*i;
    *oom |= !d;
    return d;
}

/* The stored list in its plain form (sf_agg_plan_pkgs_json's, compact,
 * no string needing an escape): read without jansson, the same packages
 * sf_agg_pkgs_parse's jansson reading gives (its share of an unchanged
 * rescan was ~30%). 1 done, 0 not that form (v left empty), -1 out of
 * memory. */
static int pkgs_parse_plain(sf_agg_view *v, const char *s, size_t len)
{
    size_t i = 1, cap = 0;
    int oom = 0;
    if (len < 2 || s[0] != '[')
        return 0;
    if (s[i] == ']')
        return i + 1 == len;
    for (;;) {
        char *f[4] = {0};
        int nf = 0, ok = s[i++] == '[';
        while (ok && nf < 4 && (f[nf] = plain_str(s, len, &i, &oom)) != NULL) {
            nf++;
            if (i >= len || s[i] != ',')
                break;
            i++;
        }
        ok = ok && !oom && nf >= 3 && i < len && s[i++] == ']';
        if (ok && SF_ARRAY_RESERVE(v->pkgs, cap, v->npkgs, 256, 0) != SF_OK)
            oom = 1, ok = 0;
        if (!ok) {
            for (int k = 0; k < 4; k++)
                free(f[k]);
            sf_agg_pkgs_clear(v);
            return oom ? -1 : 0;
        }
        v->pkgs[v->npkgs++] = (sf_agg_pkg){.eco = f[0], .name = f[1], .version = f[2], .src = f[3]};
        if (i < len && s[i] == ',' && i + 1 < len) {
            i++;
            continue;
        }
        if (i + 1 == len && s[i] == ']')
            return 1;
        sf_agg_pkgs_clear(v);
        return 0;
    }
}

int sf_agg_pkgs_parse(sf_agg_view *v, const char *json, size_t len, sf_error *err)
{
    json_error_t je;
    json_t *a, *x;
    size_t i;
    int rc = SF_OK;
    sf_agg_pkgs_clear(v);
    int plain = pkgs_parse_plain(v, json, len);
    if (plain != 0)
        return plain > 0 ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    a = json_loadb(json, len, 0, &je);
    if (!json_is_array(a)) {
        rc = sf_error_set(err, SF_EPARSE, "stored package list unreadable");
        goto done;
    }
    v->pkgs = calloc(json_array_size(a) + 1, sizeof *v->pkgs);
    if (!v->pkgs) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    json_array_foreach(a, i, x) {
        const char *e = json_string_value(json_array_get(x, 0));
        const char *n = json_string_value(json_array_get(x, 1));
        const char *ver = json_string_value(json_array_get(x, 2));
        const char *src = json_string_value(json_array_get(x, 3));
        if (!e || !n || !ver)
            continue;
        sf_agg_pkg *p = &v->pkgs[v->npkgs++];
        p->eco = sf_strdup(e);
        p->name = sf_strdup(n);
        p->version = sf_strdup(ver);
        p->src = src ? sf_strdup(src) : NULL;
        if (!p->eco || !p->name || !p->version || (src && !p->src)) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            goto done;
        }
    }
done:
    json_decref(a);
    return rc;
}

/* ---- refs and ordering ---- */

static void copy_n(char *dst, size_t dstlen, const char *s, size_t n)
{
    if (n >= dstlen)
        n = dstlen - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

void sf_agg_ref_split(const char *ref, char *reg, size_t reglen, char *repo, size_t repolen)
{
    reg[0] = repo[0] = '\0';
    if (!ref || !*ref)
        return;
    const char *slash = strchr(ref, '/');
    const char *path = ref;
    if (slash) {
        size_t n = (size_t)(slash - ref);
        int is_host = memchr(ref, '.', n) || memchr(ref, ':', n) ||
                      (n == 9 && strncmp(ref, "localhost", 9) == 0);
        if (is_host) {
            copy_n(reg, reglen, ref, n);
            path = slash + 1;
        }
    }
    if (!reg[0])
        copy_n(reg, reglen, "docker.io", 9);
    size_t plen = strcspn(path, "@");
    const char *colon = NULL;
    for (const char *p = path; p < path + plen; p++)
        if (*p == ':')
            colon = p;
    if (colon && !strchr(colon, '/'))
        plen = (size_t)(colon - path);
    copy_n(repo, repolen, path, plen);
}

int sf_agg_order_fmt(char *out, size_t outlen, int64_t rank, const sf_agg_view *v)
{
    int n = snprintf(out, outlen, "%020" PRId64 "|%020" PRId64 "|%s|%s", rank < 0 ? 0 : rank,
                     v->time_ms < 0 ? 0 : v->time_ms, v->run_id, v->db_version);
    return n < 0 || (size_t)n >= outlen ? SF_ELIMIT : SF_OK;
}

int64_t sf_agg_order_rank(const char *order)
{
    if (!order || strlen(order) < 43 || order[20] != '|')
        return -1;
    int64_t r = 0;
    for (int i = 0; i < 20; i++) {
        if (order[i] < '0' || order[i] > '9')
            return -1;
        r = r * 10 + (order[i] - '0');
    }
    return r;
}

/* Split an order string into its numeric prefix (42 chars) and the
 * "run|db" identity. */
static int order_parts(const char *s, const char **ident)
{
    if (!s || strlen(s) < 43 || s[20] != '|' || s[41] != '|')
        return -1;
    *ident = s + 42;
    return 0;
}

int sf_agg_order_cmp(const char *a, const char *b)
{
    const char *ia, *ib;
    if (order_parts(a, &ia) != 0)
        return 1;
    if (order_parts(b, &ib) != 0)
        return -1;
    if (strcmp(ia, ib) == 0)
        return 0;
    int c = strncmp(a, b, 41); /* zero-padded rank|time: lexical = numeric */
    if (c != 0)
        return c < 0 ? 1 : -1;
    /* Exact tie: db_version, then run id, as strings. */
    const char *da = strchr(ia, '|'), *db = strchr(ib, '|');
    c = strcmp(da ? da + 1 : "", db ? db + 1 : "");
    if (c == 0)
        c = strcmp(ia, ib);
    return c < 0 ? 1 : -1;
}

/* What a ref of v resolves to in the ref map: the digest its tag points
 * at, so the index for a multi-arch tag (every platform image of it then
 * keeps the tag), the image itself otherwise. */
const char *sf_agg_ref_target(const sf_agg_view *v)
{
    return v->job_key && *v->job_key ? v->job_key : v->digest;
}
