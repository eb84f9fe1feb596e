/*
 * agg_plan: the update plan (old view -> new view as Redis operations).
 * The stored forms of a view are in common/fleet/agg_store.c. See
 * fleet/agg_view.h for the replacement rule and agg.h for the key layout.
 *
 * Every counter is derived from a view alone: the plan subtracts exactly
 * what the old view added and adds what the new one contributes. That
 * makes the fleet counts a pure function of the set of latest views, so
 * duplicates and replays cannot drift them.
 */
#include "agg_plan.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "cache/keys.h"

/* ---- the update plan ---- */

struct sf_agg_plan_blk {
    sf_agg_plan_blk *next;
    size_t used, cap;
    char data[];
};

#define PLAN_BLK_MIN (64 * 1024)

void sf_agg_plan_clear(sf_agg_plan *p)
{
    while (p->blk) {
        sf_agg_plan_blk *n = p->blk->next;
        free(p->blk);
        p->blk = n;
    }
    free(p->ops);
    memset(p, 0, sizeof *p);
}

static char *plan_strn(sf_agg_plan *p, const char *s, size_t len)
{
    size_t n = len + 1;
    sf_agg_plan_blk *b = p->blk;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > PLAN_BLK_MIN ? n : PLAN_BLK_MIN;
        if (!(b = malloc(sizeof *b + cap)))
            return NULL;
        b->used = 0, b->cap = cap, b->next = p->blk;
        p->blk = b;
    }
    char *d = b->data + b->used;
    memcpy(d, s, len);
    d[len] = '\0';
    b->used += n;
    return d;
}

char *sf_agg_plan_str(sf_agg_plan *p, const char *s) { return plan_strn(p, s, strlen(s)); }

int sf_agg_plan_move(sf_agg_plan *dst, sf_agg_plan *src)
{
    if (dst->cap - dst->n < src->n) {
        size_t nc = dst->cap ? dst->cap : 64;
        while (nc - dst->n < src->n)
            nc *= 2;
        sf_agg_op *o = realloc(dst->ops, nc * sizeof *o);
        if (!o)
            return SF_ENOMEM;
        dst->ops = o, dst->cap = nc;
    }
    if (src->n)
        memcpy(dst->ops + dst->n, src->ops, src->n * sizeof *src->ops);
    dst->n += src->n;
    /* src's blocks go after dst's newest one: dst keeps filling its own */
    sf_agg_plan_blk **tail = &src->blk;
    while (*tail)
        tail = &(*tail)->next;
    if (dst->blk) {
        *tail = dst->blk->next;
        dst->blk->next = src->blk;
    } else {
        dst->blk = src->blk;
    }
    src->blk = NULL;
    free(src->ops);
    memset(src, 0, sizeof *src);
    return SF_OK;
}

/* A word-at-a-time string hash (not for adversaries: a collision only
 * costs a string compare). */
static uint64_t hash_bytes(uint64_t h, const char *s, size_t n)
{
    const uint64_t m = 0x9e3779b97f4a7c15ull;
    uint64_t w;
    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * m;
        h ^= h >> 29;
    }
    w = 0;
    memcpy(&w, s, n);
    h = (h ^ w ^ ((uint64_t)n << 56)) * m;
    return h ^ (h >> 32);
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
    size_t kl = strlen(key), ml = strlen(member);
    o->code = code;
    o->key = plan_strn(p, key, kl);
    o->member = plan_strn(p, member, ml);
    o->value = sf_agg_plan_str(p, value ? value : "");
    if (!o->key || !o->member || !o->value)
        return SF_ENOMEM;
    o->khash = hash_bytes(1469598103934665603ull, key, kl);
    o->hash = hash_bytes(o->khash ^ 0xff, member, ml);
    p->n++;
    return SF_OK;
}

void sf_agg_cat(char *out, size_t outlen, const char *const *parts)
{
    size_t o = 0;
    for (; *parts && o + 1 < outlen; parts++) {
        size_t n = strlen(*parts);
        if (n > outlen - 1 - o)
            n = outlen - 1 - o;
        memcpy(out + o, *parts, n);
        o += n;
    }
    out[o] = '\0';
}

void sf_agg_num(char out[32], long long n)
{
    char tmp[24];
    size_t k = 0, o = 0;
    unsigned long long u = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
    do
        tmp[k++] = (char)('0' + u % 10);
    while ((u /= 10));
    if (n < 0)
        out[o++] = '-';
    while (k)
        out[o++] = tmp[--k];
    out[o] = '\0';
}

void sf_agg_score(char out[48], double v)
{
    /* an integer below 1e15 prints as its digits under "%.17g" too */
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
        sf_agg_num(out, (long long)v);
    else
        snprintf(out, 48, "%.17g", v);
}

static int plan_num(sf_agg_plan *p, sf_agg_opcode code, const char *key, const char *member,
                    long long n)
{
    char num[32];
    if (n == 0)
        return SF_OK;
    sf_agg_num(num, n);
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
    for (int i = 0; i < SF_SEV_N; i++) {
        sf_sev s = sf_sev_at(i); /* the plan's order: most severe first */
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
        const char *mp[] = {pk->eco, "\x1f", pk->version, "\x1f", v->digest, NULL};
        sf_agg_cat(member, sizeof member, mp);
        rc = plan_add(c->p, set_op, key, member, NULL);
        if (rc == SF_OK)
            rc = plan_num(c->p, SF_AOP_ZINC, c->pkgnames, pk->name, sign);
        /* by source name too, so `query package openssl` finds libssl3 */
        if (rc == SF_OK && pk->src && sf_keys_agg_src(key, c->prefix, pk->src, NULL) == SF_OK) {
            const char *sp[] = {pk->eco, "\x1f", pk->version, "\x1f", v->digest, "\x1f",
                                pk->name, NULL};
            sf_agg_cat(member, sizeof member, sp);
            rc = plan_add(c->p, set_op, key, member, NULL);
        }
    }
    return rc;
}

/* A string jansson's compact dump writes as its bytes between quotes:
 * printable ASCII but '"' and '\\' (valid UTF-8 that needs no escape). */
static int plain(const char *s)
{
    if (!s)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e || *s == '"' || *s == '\\')
            return 0;
    return 1;
}

static void quoted(sf_buf *b, const char *s, int *rc)
{
    if (*rc == SF_OK && (*rc = sf_buf_append(b, "\"", 1)) == SF_OK &&
        (*rc = sf_buf_puts(b, s)) == SF_OK)
        *rc = sf_buf_append(b, "\"", 1);
}

int sf_agg_plan_pkgs_json(const sf_agg_view *v, sf_buf *out)
{
    /* jansson's json_pack + json_dumps was ~10% of a rescan's CPU */
    for (size_t i = 0; i < v->npkgs; i++) {
        const sf_agg_pkg *pk = &v->pkgs[i];
        if (!plain(pk->eco) || !plain(pk->name) || !plain(pk->version) ||
            (pk->src && !plain(pk->src)))
            return sf_agg_pkgs_json(v, out); /* escapes, UTF-8: jansson's own */
    }
    int rc = sf_buf_append(out, "[", 1);
    for (size_t i = 0; rc == SF_OK && i < v->npkgs; i++) {
        const sf_agg_pkg *pk = &v->pkgs[i];
        rc = sf_buf_append(out, i ? ",[" : "[", i ? 2 : 1);
        quoted(out, pk->eco, &rc);
        if (rc == SF_OK)
            rc = sf_buf_append(out, ",", 1);
        quoted(out, pk->name, &rc);
        if (rc == SF_OK)
            rc = sf_buf_append(out, ",", 1);
        quoted(out, pk->version, &rc);
        if (rc == SF_OK && pk->src && (rc = sf_buf_append(out, ",", 1)) == SF_OK)
            quoted(out, pk->src, &rc);
        if (rc == SF_OK)
            rc = sf_buf_append(out, "]", 1);
    }
    if (rc == SF_OK)
        rc = sf_buf_append(out, "]", 1);
    return rc;
}

int sf_agg_plan_same(const sf_agg_view *old, const sf_agg_view *nv, int pkgs_known)
{
    if (strcmp(old->digest, nv->digest) != 0 || !sf_str_eq(old->error, nv->error) ||
        old->nrefs != nv->nrefs || old->nvulns != nv->nvulns || old->fixable != nv->fixable ||
        memcmp(old->sev, nv->sev, sizeof old->sev) != 0)
        return 0;
    for (size_t i = 0; i < nv->nrefs; i++)
        if (strcmp(old->refs[i], nv->refs[i]) != 0)
            return 0;
    /* cvss, EPSS, KEV and aliases feed maxima and facts only (always
     * planned) and the image's cvss score (always written) */
    for (size_t i = 0; i < nv->nvulns; i++) {
        const sf_agg_vuln *x = &old->vulns[i], *y = &nv->vulns[i];
        if (x->sev != y->sev || strcmp(x->id, y->id) != 0 || strcmp(x->pkg, y->pkg) != 0 ||
            !sf_str_eq(x->eco, y->eco) || !sf_str_eq(x->installed, y->installed) ||
            !sf_str_eq(x->fixed, y->fixed))
            return 0;
    }
    if (pkgs_known)
        return 1;
    if (old->npkgs != nv->npkgs)
        return 0;
    for (size_t i = 0; i < nv->npkgs; i++) {
        const sf_agg_pkg *x = &old->pkgs[i], *y = &nv->pkgs[i];
        if (strcmp(x->eco, y->eco) != 0 || strcmp(x->name, y->name) != 0 ||
            strcmp(x->version, y->version) != 0 || !sf_str_eq(x->src, y->src))
            return 0;
    }
    return 1;
}

/* Per-digest documents and the ref -> digest map of the new view;
 * pkgs_stored: the stored package list is nv's already, byte for byte;
 * kept (NULL: none): the stored view document, whose findings nv has
 * value for value (sf_agg_view_json_keep). */
static int doc_ops(plan_ctx *c, const sf_agg_view *nv, const char *result_json, size_t rlen,
                   int pkgs_stored, const char *kept, size_t kept_len)
{
    char key[SF_KEY_MAX];
    sf_buf b;
    int rc;
    sf_buf_init(&b, 0);
    rc = sf_agg_view_json_keep(nv, kept, kept_len, &b);
    if (rc == SF_ENOTFOUND)
        rc = sf_agg_view_json(nv, &b);
    if (rc != SF_OK)
        goto done;
    if ((rc = sf_keys_agg(key, c->prefix, "views", c->err)) != SF_OK ||
        (rc = plan_add(c->p, SF_AOP_HSET, key, nv->digest, b.data)) != SF_OK)
        goto done;
    sf_buf_reset(&b);
    if (!pkgs_stored &&
        ((rc = sf_agg_plan_pkgs_json(nv, &b)) != SF_OK ||
         (rc = sf_keys_agg(key, c->prefix, "pkgsof", c->err)) != SF_OK ||
         (rc = plan_add(c->p, SF_AOP_HSET, key, nv->digest, b.data)) != SF_OK))
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
    if ((rc = doc_ops(&c, nv, result_json, result_len, 0, NULL, 0)) == SF_OK && old)
        rc = dropped_refs(&c, old, nv);
done:
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "out of memory");
    return rc;
}

int sf_agg_plan_rescan(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                       const sf_agg_view *nv, const char *result_json, size_t result_len,
                       int64_t rank, unsigned flags, const char *old_json, size_t old_len,
                       sf_error *err)
{
    plan_ctx c = {.p = p, .prefix = prefix, .err = err};
    /* lean, and findings whose stored values did not move (scores, KEV,
     * EPSS, aliases: sf_agg_plan_same does not compare them): the stored
     * view's findings bytes are nv's */
    int keep = (flags & SF_AGG_RESCAN_LEAN) && old_json && old->nvulns == nv->nvulns;
    for (size_t i = 0; keep && i < nv->nvulns; i++) {
        const sf_agg_vuln *x = &old->vulns[i], *y = &nv->vulns[i];
        keep = x->cvss == y->cvss && x->kev == y->kev && x->epss == y->epss &&
               x->epss_pct == y->epss_pct && sf_str_eq(x->aliases, y->aliases);
    }
    /* the refs are old's: none dropped; counters and index sets cancel */
    int rc = doc_ops(&c, nv, result_json, result_len, (flags & SF_AGG_RESCAN_PKGS_STORED) != 0,
                     keep ? old_json : NULL, old_len);
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "out of memory");
    if (rc == SF_OK)
        rc = sf_agg_plan_index_addonly(p, prefix, old, nv, nv->run_id, rank,
                                       (flags & SF_AGG_RESCAN_LEAN) != 0, err);
    return rc;
}
