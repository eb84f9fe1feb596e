/*
 * agg_plan: the stored forms of a view (compact JSON) and the update plan
 * (old view -> new view as Redis operations). See agg_view.h for the
 * replacement rule and agg.h for the key layout.
 *
 * Every counter is derived from a view alone: the plan subtracts exactly
 * what the old view added and adds what the new one contributes. That
 * makes the fleet counts a pure function of the set of latest views, so
 * duplicates and replays cannot drift them.
 */
#include "agg_view.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/keys.h"

/* ---- stored JSON ---- */

static json_t *jstr_or_null(const char *s) { return s ? json_string(s) : json_null(); }

int sf_agg_view_json(const sf_agg_view *v, sf_buf *out)
{
    int rc = SF_ENOMEM;
    json_t *o = json_object(), *refs = json_array(), *vulns = json_array();
    if (!o || !refs || !vulns)
        goto done;
    for (size_t i = 0; i < v->nrefs; i++)
        json_array_append_new(refs, json_string(v->refs[i]));
    for (size_t i = 0; i < v->nvulns; i++) {
        const sf_agg_vuln *x = &v->vulns[i];
        /* KEV and EPSS ride at the end: views stored before them parse
         * with kev 0 and no EPSS. */
        json_array_append_new(vulns, json_pack("[s s o o o s f b f f]", x->id, x->pkg,
                                               jstr_or_null(x->installed), jstr_or_null(x->fixed),
                                               jstr_or_null(x->eco), sf_agg_sev_name(x->sev),
                                               x->cvss, x->kev, x->epss, x->epss_pct));
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
        if (oom)
            return SF_ENOMEM;
        v->sev[f->sev]++;
        v->fixable += f->fixed != NULL;
    }
    return SF_OK;
}

int sf_agg_view_parse(const char *json, size_t len, sf_agg_view **out, sf_error *err)
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
    v->digest = dup_or_null(json_object_get(o, "d"), &oom);
    v->job_key = dup_or_null(json_object_get(o, "j"), &oom);
    v->run_id = dup_or_null(json_object_get(o, "r"), &oom);
    v->db_version = dup_or_null(json_object_get(o, "v"), &oom);
    v->platform = dup_or_null(json_object_get(o, "p"), &oom);
    v->os = dup_or_null(json_object_get(o, "os"), &oom);
    v->error = dup_or_null(json_object_get(o, "err"), &oom);
    v->time_ms = json_integer_value(json_object_get(o, "t"));
    v->refs_run = dup_or_null(json_object_get(o, "rr"), &oom);
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

int sf_agg_pkgs_parse(sf_agg_view *v, const char *json, size_t len, sf_error *err)
{
    json_error_t je;
    json_t *a = json_loadb(json, len, 0, &je), *x;
    size_t i;
    int rc = SF_OK;
    for (size_t k = 0; k < v->npkgs; k++) {
        free(v->pkgs[k].eco);
        free(v->pkgs[k].name);
        free(v->pkgs[k].version);
        free(v->pkgs[k].src);
    }
    free(v->pkgs);
    v->pkgs = NULL;
    v->npkgs = 0;
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

/* ---- the update plan ---- */

void sf_agg_plan_clear(sf_agg_plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->ops[i].key);
        free(p->ops[i].member);
        free(p->ops[i].value);
    }
    free(p->ops);
    memset(p, 0, sizeof *p);
}

static int plan_add(sf_agg_plan *p, sf_agg_opcode code, const char *key, const char *member,
                    const char *value)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        sf_agg_op *o = realloc(p->ops, nc * sizeof *o);
        if (!o)
            return SF_ENOMEM;
        p->ops = o;
        p->cap = nc;
    }
    sf_agg_op *o = &p->ops[p->n];
    o->code = code;
    o->key = sf_strdup(key);
    o->member = sf_strdup(member);
    o->value = sf_strdup(value ? value : "");
    if (!o->key || !o->member || !o->value) {
        free(o->key);
        free(o->member);
        free(o->value);
        return SF_ENOMEM;
    }
    p->n++;
    return SF_OK;
}

static int plan_num(sf_agg_plan *p, sf_agg_opcode code, const char *key, const char *member,
                    long long n)
{
    char num[32];
    if (n == 0)
        return SF_OK;
    snprintf(num, sizeof num, "%lld", n);
    return plan_add(p, code, key, member, num);
}

int sf_agg_plan_op(sf_agg_plan *p, sf_agg_opcode code, const char *key, const char *member,
                   const char *value)
{
    return plan_add(p, code, key, member, value);
}

/* Context of one plan: the fixed keys, formatted once. */
typedef struct plan_ctx {
    sf_agg_plan *p;
    const char *prefix;
    char counts[SF_KEY_MAX], cves[SF_KEY_MAX], pkgnames[SF_KEY_MAX];
    sf_error *err;
} plan_ctx;

/* Counter fields of one scope ("" fleet, "reg|<r>|", "repo|<r/repo>|"). */
static int scope_counts(plan_ctx *c, const char *scope, const sf_agg_view *v, int sign)
{
    char f[1200];
    int rc = SF_OK;
#define INC(name, n)                                                                       \
    do {                                                                                   \
        snprintf(f, sizeof f, "%s%s", scope, name);                                        \
        if (rc == SF_OK)                                                                   \
            rc = plan_num(c->p, SF_AOP_HINC, c->counts, f, (long long)(n) * sign);         \
    } while (0)
    INC("images", 1);
    INC("errors", v->error ? 1 : 0);
    INC("vulnerable", v->nvulns ? 1 : 0);
    INC("findings", v->nvulns);
    INC("fixable", v->fixable);
    for (int s = 0; s < SF_SEV_N; s++) {
        char name[32];
        snprintf(name, sizeof name, "sev|%s", sf_agg_sev_name(s));
        INC(name, v->sev[s]);
    }
#undef INC
    return rc;
}

/* Distinct registries and repositories of v's refs, each counted once;
 * with fleet, the fleet-wide and error counters too. */
static int scoped_counts(plan_ctx *c, const sf_agg_view *v, int sign, int fleet)
{
    char reg[256], repo[512], scope[1024];
    int rc = fleet ? scope_counts(c, "", v, sign) : SF_OK;
    if (rc == SF_OK && fleet && v->error) {
        snprintf(scope, sizeof scope, "err|%s", v->error);
        rc = plan_num(c->p, SF_AOP_HINC, c->counts, scope, sign);
    }
    for (size_t i = 0; rc == SF_OK && i <= v->nrefs; i++) {
        if (i == v->nrefs && v->nrefs)
            break;
        if (v->nrefs)
            sf_agg_ref_split(v->refs[i], reg, sizeof reg, repo, sizeof repo);
        else
            snprintf(reg, sizeof reg, "unknown"), repo[0] = '\0';
        int seen_reg = 0, seen_repo = 0;
        for (size_t j = 0; j < i; j++) {
            char r2[256], p2[512];
            sf_agg_ref_split(v->refs[j], r2, sizeof r2, p2, sizeof p2);
            seen_reg |= strcmp(r2, reg) == 0;
            seen_repo |= strcmp(r2, reg) == 0 && strcmp(p2, repo) == 0;
        }
        if (!seen_reg) {
            snprintf(scope, sizeof scope, "reg|%s|", reg);
            rc = scope_counts(c, scope, v, sign);
        }
        if (rc == SF_OK && !seen_repo && repo[0]) {
            snprintf(scope, sizeof scope, "repo|%s/%s|", reg, repo);
            rc = scope_counts(c, scope, v, sign);
        }
    }
    return rc;
}

int sf_agg_plan_counts(sf_agg_plan *p, const char *key, const sf_agg_view *v, int sign,
                       int fleet)
{
    plan_ctx c = {.p = p, .prefix = ""};
    snprintf(c.counts, sizeof c.counts, "%s", key);
    return scoped_counts(&c, v, sign, fleet);
}

/* CVE sets and package index entries of v. */
static int index_ops(plan_ctx *c, const sf_agg_view *v, int sign)
{
    char key[SF_KEY_MAX];
    int rc = SF_OK;
    sf_agg_opcode set_op = sign > 0 ? SF_AOP_SADD : SF_AOP_SREM;
    for (size_t i = 0; rc == SF_OK && i < v->nvulns; i++) {
        if (i > 0 && strcmp(v->vulns[i - 1].id, v->vulns[i].id) == 0)
            continue; /* sorted by id: one entry per distinct flaw */
        if (sf_keys_agg_cve(key, c->prefix, v->vulns[i].id, NULL) != SF_OK)
            continue; /* an id we cannot key (too long) is still in the view */
        rc = plan_add(c->p, set_op, key, v->digest, NULL);
        if (rc == SF_OK)
            rc = plan_num(c->p, SF_AOP_ZINC, c->cves, v->vulns[i].id, sign);
    }
    for (size_t i = 0; rc == SF_OK && i < v->npkgs; i++) {
        const sf_agg_pkg *pk = &v->pkgs[i];
        char member[3 * SF_AGG_STR_MAX + 200];
        if (sf_keys_agg_pkg(key, c->prefix, pk->name, NULL) != SF_OK)
            continue;
        snprintf(member, sizeof member, "%s\x1f%s\x1f%s", pk->eco, pk->version, v->digest);
        rc = plan_add(c->p, set_op, key, member, NULL);
        if (rc == SF_OK)
            rc = plan_num(c->p, SF_AOP_ZINC, c->pkgnames, pk->name, sign);
        /* by source name too, so `query package openssl` finds libssl3 */
        if (rc == SF_OK && pk->src && sf_keys_agg_src(key, c->prefix, pk->src, NULL) == SF_OK) {
            snprintf(member, sizeof member, "%s\x1f%s\x1f%s\x1f%s", pk->eco, pk->version,
                     v->digest, pk->name);
            rc = plan_add(c->p, set_op, key, member, NULL);
        }
    }
    return rc;
}

/* Per-digest documents and the ref -> digest map of the new view. */
/* What a ref of v resolves to in the ref map: the digest its tag points
 * at, so the index for a multi-arch tag (every platform image of it then
 * keeps the tag), the image itself otherwise. */
const char *sf_agg_ref_target(const sf_agg_view *v)
{
    return v->job_key && *v->job_key ? v->job_key : v->digest;
}

static int doc_ops(plan_ctx *c, const sf_agg_view *nv, const char *result_json, size_t rlen)
{
    char key[SF_KEY_MAX];
    sf_buf b;
    int rc;
    sf_buf_init(&b, 0);
    if ((rc = sf_agg_view_json(nv, &b)) != SF_OK)
        goto done;
    if ((rc = sf_keys_agg(key, c->prefix, "views", c->err)) != SF_OK ||
        (rc = plan_add(c->p, SF_AOP_HSET, key, nv->digest, b.data)) != SF_OK)
        goto done;
    sf_buf_reset(&b);
    if ((rc = sf_agg_pkgs_json(nv, &b)) != SF_OK ||
        (rc = sf_keys_agg(key, c->prefix, "pkgsof", c->err)) != SF_OK ||
        (rc = plan_add(c->p, SF_AOP_HSET, key, nv->digest, b.data)) != SF_OK)
        goto done;
    sf_buf_reset(&b);
    if (result_json && (rc = sf_buf_append(&b, result_json, rlen)) == SF_OK &&
        (rc = sf_keys_agg(key, c->prefix, "results", c->err)) == SF_OK)
        rc = plan_add(c->p, SF_AOP_HSET, key, nv->digest, b.data);
    if (rc != SF_OK || (rc = sf_keys_agg(key, c->prefix, "refs", c->err)) != SF_OK)
        goto done;
    for (size_t i = 0; rc == SF_OK && i < nv->nrefs; i++)
        rc = plan_add(c->p, SF_AOP_HSET, key, nv->refs[i], sf_agg_ref_target(nv));
    /* A platform image of an index: the index names its images, so a tag
     * resolved to the index can be expanded (query image). */
    if (rc == SF_OK && strcmp(sf_agg_ref_target(nv), nv->digest) != 0 &&
        (rc = sf_keys_agg_index(key, c->prefix, nv->job_key, c->err)) == SF_OK)
        rc = plan_add(c->p, SF_AOP_SADD, key, nv->digest, NULL);
done:
    sf_buf_free(&b);
    return rc;
}

/* Refs old listed and nv does not: out of the ref map, unless another
 * image took them meanwhile (HDELEQ). */
static int dropped_refs(plan_ctx *c, const sf_agg_view *old, const sf_agg_view *nv)
{
    char key[SF_KEY_MAX];
    int rc = sf_keys_agg(key, c->prefix, "refs", c->err);
    for (size_t i = 0; rc == SF_OK && i < old->nrefs; i++) {
        int kept = 0;
        for (size_t j = 0; j < nv->nrefs && !kept; j++)
            kept = strcmp(old->refs[i], nv->refs[j]) == 0;
        if (!kept)
            rc = plan_add(c->p, SF_AOP_HDELEQ, key, old->refs[i], sf_agg_ref_target(old));
    }
    return rc;
}

int sf_agg_plan_refs(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                     const sf_agg_view *nv, sf_error *err)
{
    plan_ctx c = {.p = p, .prefix = prefix, .err = err};
    char key[SF_KEY_MAX];
    sf_buf b;
    int rc;
    sf_buf_init(&b, 0);
    if ((rc = sf_keys_agg(c.counts, prefix, "counts", err)) != SF_OK ||
        (rc = scoped_counts(&c, old, -1, 0)) != SF_OK ||
        (rc = scoped_counts(&c, nv, +1, 0)) != SF_OK || (rc = sf_agg_view_json(nv, &b)) != SF_OK ||
        (rc = sf_keys_agg(key, prefix, "views", err)) != SF_OK ||
        (rc = plan_add(p, SF_AOP_HSET, key, nv->digest, b.data)) != SF_OK ||
        (rc = sf_keys_agg(key, prefix, "refs", err)) != SF_OK)
        goto done;
    for (size_t i = 0; rc == SF_OK && i < nv->nrefs; i++)
        rc = plan_add(p, SF_AOP_HSET, key, nv->refs[i], sf_agg_ref_target(nv));
    if (rc == SF_OK)
        rc = dropped_refs(&c, old, nv);
done:
    sf_buf_free(&b);
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "out of memory");
    return rc;
}

int sf_agg_plan_build(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                      const sf_agg_view *nv, const char *result_json, size_t result_len,
                      sf_error *err)
{
    plan_ctx c = {.p = p, .prefix = prefix, .err = err};
    int rc;
    if ((rc = sf_keys_agg(c.counts, prefix, "counts", err)) != SF_OK ||
        (rc = sf_keys_agg(c.cves, prefix, "cves", err)) != SF_OK ||
        (rc = sf_keys_agg(c.pkgnames, prefix, "pkgnames", err)) != SF_OK)
        return rc;
    if (old && ((rc = scoped_counts(&c, old, -1, 1)) != SF_OK ||
                (rc = index_ops(&c, old, -1)) != SF_OK))
        goto done;
    if ((rc = scoped_counts(&c, nv, +1, 1)) != SF_OK || (rc = index_ops(&c, nv, +1)) != SF_OK)
        goto done;
    if ((rc = doc_ops(&c, nv, result_json, result_len)) == SF_OK && old)
        rc = dropped_refs(&c, old, nv);
done:
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "out of memory");
    return rc;
}
