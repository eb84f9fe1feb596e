/*
 * agg_index: the index structures scanfarm-api answers from (issue 20),
 * written by the aggregator in the same guarded script as the rest of an
 * update, so every list, filter and count of the API is a few sorted-set
 * operations on index keys instead of a scan of the fleet.
 *
 * Layout: "<p>:agg:ix:<kind>[:<escaped value>]" on the aggregator's shard.
 * Images (members: digests):
 *   ZSETs imgall (score 0: lexical order), imgrisk (critical, high, medium,
 *   low counts as one number), imgfind (findings), imgcrit (critical),
 *   imgcvss (highest CVSS, -1 none), imgtime (result time, ms);
 *   SETs imgsev:<S> (has a finding of S), imgfix (has a fixable finding),
 *   imgeco:<e> (has a package or finding of ecosystem e, or of the family
 *   before ':'), imgreg:<r>, imgrepo:<r/repo>, imgtag:<tag> (its refs);
 *   HASH imgsum digest -> the list item's JSON.
 * Vulnerabilities (members: ids; agg:cves, id -> images, is the base):
 *   ZSETs vsev:<S>, vfix, veco:<e> (findings), vreg:<r>, vrepo:<rr>,
 *   vtag:<t> (images); maxima vcvss, vsevr (the highest sf_sev), vepss;
 *   vfirst (rank of the run it was first seen in); vpkgs:<id>
 *   "eco\x1fname\x1finstalled\x1ffixed" -> findings; HASH vsum id -> facts
 *   (aliases, KEV); HASH valias alias -> id.
 * Packages (members: "eco\x1fname"), ZSETs of images unless said:
 *   pall, peco:<e>, preg:<r>, prepo:<rr>, ptag:<t>; psev:<S>, pfix, pvuln
 *   (findings); pcvss (maximum); pver:<eco\x1fname> version -> images;
 *   pimg:<eco\x1fname> digest -> versions of the package in the image (set,
 *   not counted: only that image's view contributes to its member);
 *   SET pimgv:<eco\x1fname\x1fversion> digests with that version.
 * Registries and repositories: ZSETs regs / regfind / regcrit and repos /
 *   repofind / repocrit (images, findings, critical), reporeg:<r> -> images.
 * Name search (the `q` parameter): ZSETs pname and reponame, score 0,
 *   members "<lowercased word start>\x1f<member of pall / repos>" for the
 *   name's start and every word start after one of "/-_.:@+" (at most
 *   SF_AGG_NAME_STARTS), so ZRANGEBYLEX answers a case-insensitive prefix of
 *   the name or of one of its words. Add-only, like the maxima: readers
 *   intersect with pall / repos (sf_agg_name_entries is shared with the
 *   API's backfill of a view written before these sets existed).
 * History: agg:run:<r>:delta HASH, the changes run r's results and refs
 *   made to the counts hash (same fields), plus "new" / "resolved"
 *   findings (also "reg|r|new", "repo|rr|resolved" ...). The fleet after
 *   run r is the current counts minus the deltas of the runs after it.
 *
 * Maxima and first-seen entries are never removed: readers intersect them
 * with a counted set, so an id whose last finding left is never listed.
 * Name entries neither. So an unchanged rescan (lean) need not write
 * again those its stored view's plan wrote: they are still there.
 * Everything else is removed for old exactly as it is added for nv, so
 * replays and duplicates cannot drift it (as with the counts).
 */
#include "agg_name.h"
#include "agg_plan.h"
#include "fleet/agg_venc.h"
#include "fleet/agg_view.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "cache/keys.h"

/* Distinct registries, repositories and tags of one view; more than this
 * many refs of one image in distinct repositories are not indexed by
 * scope (the counts hash still has them). */
#define IX_MAX_SCOPES 32
#define IX_SCOPE_W 512

typedef struct ix_list {
    char v[IX_MAX_SCOPES][IX_SCOPE_W];
    size_t n;
} ix_list;

typedef struct ix_scopes {
    ix_list reg, repo, tag;
} ix_scopes;

/* Keys without a value ("pall", "imgrisk" ...) formatted once per plan. */
#define IX_MEMO 24

typedef struct ix_ctx {
    sf_agg_plan *p;
    const char *prefix;
    int sign;
    /* An unchanged rescan (sf_agg_plan_index_addonly): the old view's
     * removals and the new one's additions would cancel, so every
     * counted or set entry is left out; only what has no removal (maxima,
     * first-seen, name entries, facts) and what is written whole (scores,
     * the summary) is planned. */
    int addonly;
    const sf_agg_view *was; /* addonly: the stored view (its scores) */
    /* addonly and lean (sf_agg_plan_index_addonly): the add-only entries
     * `was` made are left out too where nv's are the same (name entries;
     * maxima and first-seen of a finding whose scores did not move):
     * they are in Redis already, never removed, so writing them again
     * changes nothing. Only for a `was` with a package hash: a view
     * stored before the name index existed has none, and the rescan
     * writes its entries as a full plan would. */
    int lean;
    struct {
        const char *kind; /* the literal itself: compared by address */
        char key[SF_KEY_MAX];
    } memo[IX_MEMO];
    size_t nmemo;
} ix_ctx;

static void list_add(ix_list *l, const char *s)
{
    size_t n = strlen(s);
    if (!n || n >= IX_SCOPE_W || l->n >= IX_MAX_SCOPES)
        return;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return;
    memcpy(l->v[l->n++], s, n + 1);
}

/* The tag of "registry/repo:tag" ("" for a digest ref). */
static void ref_tag(const char *ref, char *out, size_t outlen)
{
    const char *c = strrchr(ref, ':'), *sl = strrchr(ref, '/');
    out[0] = '\0';
    if (!strchr(ref, '@') && c && (!sl || c > sl))
        snprintf(out, outlen, "%s", c + 1);
}

static void scopes_of(const sf_agg_view *v, ix_scopes *s)
{
    char reg[256], repo[512], full[IX_SCOPE_W + 300], tag[IX_SCOPE_W];
    s->reg.n = s->repo.n = s->tag.n = 0; /* not cleared whole: 48 KiB */
    if (!v->nrefs) /* as the counts do: an image without refs is "unknown"'s */
        list_add(&s->reg, "unknown");
    for (size_t i = 0; i < v->nrefs; i++) {
        sf_agg_ref_split(v->refs[i], reg, sizeof reg, repo, sizeof repo);
        list_add(&s->reg, reg);
        if (repo[0] && snprintf(full, sizeof full, "%s/%s", reg, repo) < IX_SCOPE_W)
            list_add(&s->repo, full);
        ref_tag(v->refs[i], tag, sizeof tag);
        list_add(&s->tag, tag);
    }
}

/* One operation on ix key kind[:value]; a value too long to key is not
 * indexed (as agg_plan.c skips such ids). */
static int op(ix_ctx *c, sf_agg_opcode code, const char *kind, const char *value,
              const char *member, const char *arg)
{
    char k[SF_KEY_MAX];
    if (!value) {
        for (size_t i = 0; i < c->nmemo; i++)
            if (c->memo[i].kind == kind)
                return sf_agg_plan_op(c->p, code, c->memo[i].key, member, arg);
    }
    if (sf_keys_agg_ix(k, c->prefix, kind, value, NULL) != SF_OK)
        return SF_OK;
    if (!value && c->nmemo < IX_MEMO) {
        c->memo[c->nmemo].kind = kind;
        memcpy(c->memo[c->nmemo++].key, k, sizeof k);
    }
    return sf_agg_plan_op(c->p, code, k, member, arg);
}

/* A counted member: ZINCRBY by n * sign (removed at 0). */
static int inc(ix_ctx *c, const char *kind, const char *value, const char *member, long long n)
{
    char num[32];
    if (n == 0 || c->addonly)
        return SF_OK;
    sf_agg_num(num, n * c->sign);
    return op(c, SF_AOP_ZINC, kind, value, member, num);
}

/* The keys of one kind per scope of an image: preg:<r> ... ptag:<t>,
 * formatted once per view rather than once per package or finding
 * (key formatting and escaping were a large share of a new image's
 * plan); "" for a value too long to key (not indexed, as op() skips it). */
typedef struct ix_keys {
    char (*k)[SF_KEY_MAX];
    size_t n;
} ix_keys;

static int scope_keys(ix_ctx *c, const ix_scopes *s, const char *const kind[3], ix_keys *out)
{
    const ix_list *l[3] = {&s->reg, &s->repo, &s->tag};
    out->n = 0;
    if (!(out->k = malloc((s->reg.n + s->repo.n + s->tag.n + 1) * sizeof *out->k)))
        return SF_ENOMEM;
    for (int j = 0; j < 3; j++)
        for (size_t i = 0; i < l[j]->n; i++, out->n++)
            if (sf_keys_agg_ix(out->k[out->n], c->prefix, kind[j], l[j]->v[i], NULL) != SF_OK)
                out->k[out->n][0] = '\0';
    return SF_OK;
}

/* member counted once in every scope key of ks (inc's rule). */
static int scoped_inc(ix_ctx *c, const ix_keys *ks, const char *member)
{
    char num[32];
    int rc = SF_OK;
    if (c->addonly)
        return SF_OK;
    sf_agg_num(num, c->sign);
    for (size_t i = 0; rc == SF_OK && i < ks->n; i++)
        if (ks->k[i][0])
            rc = sf_agg_plan_op(c->p, SF_AOP_ZINC, ks->k[i], member, num);
    return rc;
}

/* A scored member: ZADD when adding, ZREM when removing. */
static int put(ix_ctx *c, const char *kind, const char *member, double score)
{
    char num[48];
    sf_agg_score(num, score);
    return op(c, c->sign > 0 ? SF_AOP_ZADD : SF_AOP_ZREM, kind, NULL, member, num);
}

/* A maximum or first-seen entry (only when adding). */
static int mark(ix_ctx *c, sf_agg_opcode code, const char *kind, const char *member, double v)
{
    char num[48];
    if (c->sign < 0)
        return SF_OK;
    sf_agg_score(num, v);
    return op(c, code, kind, NULL, member, num);
}

static int set(ix_ctx *c, const char *kind, const char *value, const char *member)
{
    if (c->addonly)
        return SF_OK;
    return op(c, c->sign > 0 ? SF_AOP_SADD : SF_AOP_SREM, kind, value, member, NULL);
}

/* The name-search entries of member (its searchable name: name); only
 * when adding, since the sets are add-only. */
static int name_ops(ix_ctx *c, const char *kind, const char *name, const char *member)
{
    char e[SF_AGG_NAME_STARTS][SF_AGG_NAME_ENTRY];
    size_t n = c->sign > 0 ? sf_agg_name_entries(name, member, e) : 0;
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < n; i++)
        rc = op(c, SF_AOP_ZADD, kind, NULL, e[i], "0");
    return rc;
}

/* e and its family ("Alpine" of "Alpine:v3.10") into l. */
static void eco_add(ix_list *l, const char *e)
{
    const char *colon = e ? strchr(e, ':') : NULL;
    char fam[IX_SCOPE_W];
    if (!e || !*e)
        return;
    list_add(l, e);
    if (colon && colon > e && (size_t)(colon - e) < sizeof fam) {
        memcpy(fam, e, (size_t)(colon - e)); /* once per package: no snprintf */
        fam[colon - e] = '\0';
        list_add(l, fam);
    }
}

/* Critical, high, medium, low counts as one sortable number (each capped
 * at 999 so the sum stays exact in a double). */
static double risk_score(const sf_agg_view *v)
{
    double s = 0;
    for (int i = 0; i < SF_SEV_N - 1; i++) { /* critical .. low */
        size_t n = v->sev[sf_sev_at(i)];
        s = s * 1000 + (double)(n > 999 ? 999 : n);
    }
    return s;
}

static double cvss_max(const sf_agg_view *v)
{
    double m = -1;
    for (size_t i = 0; i < v->nvulns; i++)
        if (v->vulns[i].cvss > m)
            m = v->vulns[i].cvss;
    return m;
}

/* The image list item, as the API serves it (it adds "running"). */
static int image_summary(const sf_agg_view *v, char **out)
{
    json_t *o = json_object(), *refs = json_array(), *sev = json_object();
    double cm = cvss_max(v);
    int rc = SF_ENOMEM;
    *out = NULL;
    if (!o || !refs || !sev)
        goto done;
    for (size_t i = 0; i < v->nrefs; i++)
        json_array_append_new(refs, json_string(v->refs[i]));
    for (int s = 0; s < SF_SEV_N; s++)
        json_object_set_new(sev, sf_agg_sev_name(s), json_integer((json_int_t)v->sev[s]));
    const char *ix = sf_agg_ref_target(v);
    json_object_set_new(o, "digest", json_string(v->digest));
    json_object_set_new(o, "index_digest", strcmp(ix, v->digest) ? json_string(ix) : json_null());
    json_object_set(o, "refs", refs);
    json_object_set_new(o, "platform", v->platform ? json_string(v->platform) : json_null());
    json_object_set_new(o, "os", v->os ? json_string(v->os) : json_null());
    json_object_set_new(o, "run_id", json_string(v->run_id));
    json_object_set_new(o, "scanned_at", v->time_ms > 0 ? json_integer(v->time_ms) : json_null());
    json_object_set_new(o, "error", v->error ? json_string(v->error) : json_null());
    json_object_set_new(o, "findings", json_integer((json_int_t)v->nvulns));
    json_object_set_new(o, "fixable", json_integer((json_int_t)v->fixable));
    json_object_set(o, "severity", sev);
    json_object_set_new(o, "cvss_max", cm >= 0 ? json_real(cm) : json_null());
    if ((*out = json_dumps(o, JSON_COMPACT)))
        rc = SF_OK;
done:
    json_decref(refs);
    json_decref(sev);
    json_decref(o);
    return rc;
}

/* Scope sets of an image (refs-dependent). */
static int image_scope_ops(ix_ctx *c, const sf_agg_view *v, const ix_scopes *s)
{
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < s->reg.n; i++)
        rc = set(c, "imgreg", s->reg.v[i], v->digest);
    for (size_t i = 0; rc == SF_OK && i < s->repo.n; i++)
        rc = set(c, "imgrepo", s->repo.v[i], v->digest);
    for (size_t i = 0; rc == SF_OK && i < s->tag.n; i++)
        rc = set(c, "imgtag", s->tag.v[i], v->digest);
    return rc;
}

/* put, but addonly leaves a score as it was (ZREM+ZADD of it cancel). */
static int score(ix_ctx *c, const char *kind, const char *member, double v, double was)
{
    return c->addonly && v == was ? SF_OK : put(c, kind, member, v);
}

static int image_ops(ix_ctx *c, const sf_agg_view *v)
{
    ix_list ecos;
    const sf_agg_view *w = c->addonly ? c->was : v;
    int rc = score(c, "imgall", v->digest, 0, 0);
    if (rc == SF_OK)
        rc = score(c, "imgrisk", v->digest, risk_score(v), risk_score(w));
    if (rc == SF_OK)
        rc = score(c, "imgfind", v->digest, (double)v->nvulns, (double)w->nvulns);
    if (rc == SF_OK)
        rc = score(c, "imgcrit", v->digest, (double)v->sev[SF_SEV_CRITICAL],
                   (double)w->sev[SF_SEV_CRITICAL]);
    if (rc == SF_OK)
        rc = score(c, "imgcvss", v->digest, cvss_max(v), cvss_max(w));
    if (rc == SF_OK)
        rc = score(c, "imgtime", v->digest, (double)v->time_ms, (double)w->time_ms);
    if (c->addonly)
        return rc; /* the rest are set entries */
    for (int s = 0; rc == SF_OK && s < SF_SEV_N; s++)
        if (v->sev[s])
            rc = set(c, "imgsev", sf_agg_sev_name(s), v->digest);
    if (rc == SF_OK && v->fixable)
        rc = set(c, "imgfix", NULL, v->digest);
    ecos.n = 0;
    for (size_t i = 0; i < v->npkgs; i++)
        eco_add(&ecos, v->pkgs[i].eco);
    for (size_t i = 0; i < v->nvulns; i++)
        eco_add(&ecos, v->vulns[i].eco);
    for (size_t i = 0; rc == SF_OK && i < ecos.n; i++)
        rc = set(c, "imgeco", ecos.v[i], v->digest);
    return rc;
}

/* The facts' JSON the slow way (sf_agg_ve_facts declined: an alias
 * that is not ASCII): as jansson writes it, every step checked. */
static int facts_ref(const sf_agg_vuln *f, sf_buf *out)
{
    sf_jb jb = {0};
    json_t *o = sf_jb_new(&jb, json_object()), *al = sf_jb_new(&jb, json_array());
    for (const char *p = f->aliases; al && p && *p;) {
        size_t n = strcspn(p, "\x1f");
        sf_jb_push(&jb, al, json_stringn(p, n));
        p += n + (p[n] != '\0');
    }
    sf_jb_set(&jb, o, "aliases", al);
    sf_jb_set(&jb, o, "kev", json_boolean(f->kev));
    int rc = sf_jb_status(&jb);
    if (rc == SF_OK)
        rc = sf_jutil_dump(o, out);
    json_decref(o);
    return rc;
}

/* Facts of an advisory kept for the API (last writer wins). */
static int vuln_facts(ix_ctx *c, const sf_agg_vuln *f)
{
    int rc = SF_OK;
    for (const char *p = f->aliases; rc == SF_OK && p && *p;) {
        size_t n = strcspn(p, "\x1f");
        char id[SF_AGG_STR_MAX + 1];
        snprintf(id, sizeof id, "%.*s", (int)n, p);
        rc = op(c, SF_AOP_HSET, "valias", NULL, id, f->id);
        p += n + (p[n] != '\0');
    }
    if (rc != SF_OK)
        return rc;
    sf_buf b;
    sf_buf_init(&b, 0);
    rc = sf_agg_ve_facts(f, &b);
    rc = rc == 1 ? SF_OK : rc == 0 ? facts_ref(f, &b) : rc;
    if (rc == SF_OK)
        rc = op(c, SF_AOP_HSET, "vsum", NULL, f->id, b.data ? b.data : "");
    sf_buf_free(&b);
    return rc;
}

/* lean: finding i of nv has the stored one's marks (sf_agg_plan_same
 * found id, package, ecosystem and severity equal at the same index). */
static int marks_stored(const ix_ctx *c, const sf_agg_view *v, const sf_agg_vuln *f)
{
    size_t i = (size_t)(f - v->vulns);
    if (!c->lean || i >= c->was->nvulns)
        return 0;
    const sf_agg_vuln *w = &c->was->vulns[i];
    return w->cvss == f->cvss && w->epss == f->epss && w->sev == f->sev;
}

/* Per finding: severity, fixable, ecosystem, maxima, packages of the id. */
static int finding_ops(ix_ctx *c, const sf_agg_view *v, const sf_agg_vuln *f, int64_t rank)
{
    char member[4 * SF_AGG_STR_MAX + 8];
    ix_list ecos; /* 16 KiB: an initialiser would clear it all, per finding */
    ecos.n = 0;
    if (marks_stored(c, v, f)) /* lean: only the facts (last writer wins) */
        return c->sign > 0 ? vuln_facts(c, f) : SF_OK;
    int rc = inc(c, "vsev", sf_agg_sev_name(f->sev), f->id, 1);
    if (rc == SF_OK && f->fixed)
        rc = inc(c, "vfix", NULL, f->id, 1);
    eco_add(&ecos, f->eco);
    for (size_t i = 0; rc == SF_OK && i < ecos.n; i++)
        rc = inc(c, "veco", ecos.v[i], f->id, 1);
    if (rc == SF_OK)
        rc = mark(c, SF_AOP_ZMAX, "vcvss", f->id, f->cvss >= 0 ? f->cvss : -1);
    if (rc == SF_OK)
        rc = mark(c, SF_AOP_ZMAX, "vsevr", f->id, f->sev);
    if (rc == SF_OK)
        rc = mark(c, SF_AOP_ZMAX, "vepss", f->id, f->epss >= 0 ? f->epss : -1);
    if (rc == SF_OK)
        rc = mark(c, SF_AOP_ZNX, "vfirst", f->id, (double)rank);
    if (rc == SF_OK && c->sign > 0)
        rc = vuln_facts(c, f);
    if (!c->addonly) {
        snprintf(member, sizeof member, "%s\x1f%s\x1f%s\x1f%s", f->eco ? f->eco : "", f->pkg,
                 f->installed ? f->installed : "", f->fixed ? f->fixed : "");
        if (rc == SF_OK)
            rc = inc(c, "vpkgs", f->id, member, 1);
    }
    /* the package side of the finding */
    snprintf(member, sizeof member, "%s\x1f%s", f->eco ? f->eco : "", f->pkg);
    if (rc == SF_OK)
        rc = inc(c, "psev", sf_agg_sev_name(f->sev), member, 1);
    if (rc == SF_OK && f->fixed)
        rc = inc(c, "pfix", NULL, member, 1);
    if (rc == SF_OK)
        rc = inc(c, "pvuln", NULL, member, 1);
    if (rc == SF_OK)
        rc = mark(c, SF_AOP_ZMAX, "pcvss", member, f->cvss >= 0 ? f->cvss : -1);
    (void)v;
    return rc;
}

/* Per distinct id: the scopes of the images carrying it. */
static int vuln_scope_ops(ix_ctx *c, const sf_agg_view *v, const ix_scopes *s)
{
    static const char *const kinds[3] = {"vreg", "vrepo", "vtag"};
    ix_keys ks;
    int rc = scope_keys(c, s, kinds, &ks);
    for (size_t i = 0; rc == SF_OK && i < v->nvulns; i++) {
        const char *id = v->vulns[i].id;
        if (i > 0 && strcmp(v->vulns[i - 1].id, id) == 0)
            continue;
        rc = scoped_inc(c, &ks, id);
    }
    free(ks.k);
    return rc;
}

/* 1 when pkgs[i] starts a new (eco, name) run (sorted by name, eco). */
static int pkg_first(const sf_agg_view *v, size_t i)
{
    return i == 0 || strcmp(v->pkgs[i - 1].name, v->pkgs[i].name) != 0 ||
           strcmp(v->pkgs[i - 1].eco, v->pkgs[i].eco) != 0;
}

static int pkg_scope_ops(ix_ctx *c, const sf_agg_view *v, const ix_scopes *s)
{
    static const char *const kinds[3] = {"preg", "prepo", "ptag"};
    char member[2 * SF_AGG_STR_MAX + 4];
    ix_keys ks;
    int rc = scope_keys(c, s, kinds, &ks);
    for (size_t i = 0; rc == SF_OK && i < v->npkgs; i++) {
        if (!pkg_first(v, i))
            continue;
        const char *mp[] = {v->pkgs[i].eco, "\x1f", v->pkgs[i].name, NULL};
        sf_agg_cat(member, sizeof member, mp);
        rc = scoped_inc(c, &ks, member);
    }
    free(ks.k);
    return rc;
}

static int pkg_ops(ix_ctx *c, const sf_agg_view *v)
{
    char member[2 * SF_AGG_STR_MAX + 4];
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < v->npkgs; i++) {
        const sf_agg_pkg *pk = &v->pkgs[i];
        const char *mp[] = {pk->eco, "\x1f", pk->name, NULL};
        sf_agg_cat(member, sizeof member, mp);
        if (c->addonly) { /* the name entries: all else is counted or set */
            if (c->lean)
                break; /* the stored view's, the same packages: written */
            if (pkg_first(v, i))
                rc = name_ops(c, "pname", pk->name, member);
            continue;
        }
        if (pkg_first(v, i)) {
            ix_list ecos; /* not cleared whole per package: 16 KiB */
            ecos.n = 0;
            eco_add(&ecos, pk->eco);
            rc = inc(c, "pall", NULL, member, 1);
            if (rc == SF_OK)
                rc = name_ops(c, "pname", pk->name, member);
            for (size_t k = 0; rc == SF_OK && k < ecos.n; k++)
                rc = inc(c, "peco", ecos.v[k], member, 1);
        }
        /* versions count images: one version twice in an image is once */
        if (rc == SF_OK && (i == 0 || pkg_first(v, i) ||
                            strcmp(v->pkgs[i - 1].version, pk->version) != 0))
            rc = inc(c, "pver", member, pk->version, 1);
        /* digest -> its versions of the package: the digest's own entry,
         * so set (ZADD / ZREM of that count) rather than counted: the
         * same member and score as counting, without a read in Redis,
         * and a rescan's ZREM+ZADD of an unchanged count cancels */
        if (rc == SF_OK && pkg_first(v, i)) {
            size_t nver = 1;
            while (i + nver < v->npkgs && !pkg_first(v, i + nver))
                nver++;
            char num[32];
            sf_agg_num(num, (long long)nver);
            rc = op(c, c->sign > 0 ? SF_AOP_ZADD : SF_AOP_ZREM, "pimg", member, v->digest, num);
        }
        char mv[3 * SF_AGG_STR_MAX + 8];
        const char *vp[] = {member, "\x1f", pk->version, NULL};
        sf_agg_cat(mv, sizeof mv, vp);
        if (rc == SF_OK)
            rc = set(c, "pimgv", mv, v->digest);
    }
    return rc;
}

/* Registries and repositories with images, findings, critical findings. */
static int rollup_ops(ix_ctx *c, const sf_agg_view *v, const ix_scopes *s)
{
    char reg[256];
    int rc = SF_OK;
    long long crit = (long long)v->sev[SF_SEV_CRITICAL], nf = (long long)v->nvulns;
    for (size_t k = 0; rc == SF_OK && k < s->reg.n; k++) {
        rc = inc(c, "regs", NULL, s->reg.v[k], 1);
        if (rc == SF_OK)
            rc = inc(c, "regfind", NULL, s->reg.v[k], nf);
        if (rc == SF_OK)
            rc = inc(c, "regcrit", NULL, s->reg.v[k], crit);
    }
    for (size_t k = 0; rc == SF_OK && k < s->repo.n; k++) {
        /* "registry/repository": a registry name has no '/' (ref_split) */
        size_t rl = strcspn(s->repo.v[k], "/");
        snprintf(reg, sizeof reg, "%.*s", (int)(rl < sizeof reg ? rl : sizeof reg - 1),
                 s->repo.v[k]);
        rc = inc(c, "repos", NULL, s->repo.v[k], 1);
        /* searched without the registry: "corpus/alpine", not "h:5000/..."
         * (lean: the stored view's, the same refs: written) */
        if (rc == SF_OK && !c->lean)
            rc = name_ops(c, "reponame", s->repo.v[k] + rl + (s->repo.v[k][rl] == '/'),
                          s->repo.v[k]);
        if (rc == SF_OK)
            rc = inc(c, "repofind", NULL, s->repo.v[k], nf);
        if (rc == SF_OK)
            rc = inc(c, "repocrit", NULL, s->repo.v[k], crit);
        if (rc == SF_OK)
            rc = inc(c, "reporeg", reg, s->repo.v[k], 1);
    }
    return rc;
}

/* Findings of a not in b (both sorted by id, package, installed). */
static long long findings_not_in(const sf_agg_view *a, const sf_agg_view *b)
{
    long long n = 0;
    size_t j = 0;
    for (size_t i = 0; a && i < a->nvulns; i++) {
        int cmp = 1;
        while (b && j < b->nvulns) {
            const sf_agg_vuln *x = &a->vulns[i], *y = &b->vulns[j];
            cmp = strcmp(y->id, x->id);
            if (!cmp)
                cmp = strcmp(y->pkg, x->pkg);
            if (!cmp)
                cmp = strcmp(y->installed ? y->installed : "", x->installed ? x->installed : "");
            if (cmp >= 0)
                break;
            j++;
        }
        n += !(b && j < b->nvulns && cmp == 0);
    }
    return n;
}

/* new / resolved findings of old -> nv into the run's delta, per scope. */
static int new_resolved(sf_agg_plan *p, const char *dkey, const sf_agg_view *old,
                        const sf_agg_view *nv)
{
    const sf_agg_view *side[2] = {nv, old};
    const char *what[2] = {"new", "resolved"};
    int rc = SF_OK;
    for (int k = 0; rc == SF_OK && k < 2; k++) {
        long long n = findings_not_in(side[k], side[1 - k]);
        ix_scopes s;
        char f[IX_SCOPE_W + 32], num[32];
        if (!n || !side[k])
            continue;
        snprintf(num, sizeof num, "%lld", n);
        rc = sf_agg_plan_op(p, SF_AOP_HINC, dkey, what[k], num);
        scopes_of(side[k], &s);
        for (size_t i = 0; rc == SF_OK && i < s.reg.n; i++) {
            snprintf(f, sizeof f, "reg|%s|%s", s.reg.v[i], what[k]);
            rc = sf_agg_plan_op(p, SF_AOP_HINC, dkey, f, num);
        }
        for (size_t i = 0; rc == SF_OK && i < s.repo.n; i++) {
            snprintf(f, sizeof f, "repo|%s|%s", s.repo.v[i], what[k]);
            rc = sf_agg_plan_op(p, SF_AOP_HINC, dkey, f, num);
        }
    }
    return rc;
}

/* Everything of v that depends on its refs. */
static int scoped_ops(ix_ctx *c, const sf_agg_view *v)
{
    ix_scopes *s = malloc(sizeof *s);
    int rc;
    if (!s)
        return SF_ENOMEM;
    scopes_of(v, s);
    /* addonly: the first three plan counted and set entries only */
    if (c->addonly ||
        ((rc = image_scope_ops(c, v, s)) == SF_OK && (rc = vuln_scope_ops(c, v, s)) == SF_OK &&
         (rc = pkg_scope_ops(c, v, s)) == SF_OK))
        rc = rollup_ops(c, v, s);
    free(s);
    return rc;
}

/* Everything of v that does not. */
static int content_ops(ix_ctx *c, const sf_agg_view *v, int64_t rank)
{
    int rc = image_ops(c, v);
    for (size_t i = 0; rc == SF_OK && i < v->nvulns; i++)
        rc = finding_ops(c, v, &v->vulns[i], rank);
    if (rc == SF_OK)
        rc = pkg_ops(c, v);
    return rc;
}

/* old -> nv under c (c->sign: -1 at the start). */
static int plan_index(ix_ctx *c, const sf_agg_view *old, const sf_agg_view *nv,
                      const char *run, int64_t rank, int refs_only, sf_error *err)
{
    char dkey[SF_KEY_MAX], *sum = NULL;
    int rc = sf_keys_agg_run(dkey, c->prefix, run, "delta", err);
    if (rc != SF_OK)
        return rc;
    if (old && (rc = scoped_ops(c, old)) == SF_OK && !refs_only)
        rc = content_ops(c, old, rank);
    c->sign = +1;
    if (rc == SF_OK && (rc = scoped_ops(c, nv)) == SF_OK && !refs_only)
        rc = content_ops(c, nv, rank);
    /* history: the counts delta of this run, and what appeared / left
     * (addonly: the same counts out and in, nothing new or resolved) */
    if (rc == SF_OK && old)
        rc = sf_agg_plan_counts(c->p, dkey, old, -1, !refs_only);
    if (rc == SF_OK && !c->addonly)
        rc = sf_agg_plan_counts(c->p, dkey, nv, +1, !refs_only);
    if (rc == SF_OK && !refs_only && !c->addonly)
        rc = new_resolved(c->p, dkey, old, nv);
    if (rc == SF_OK && (rc = image_summary(nv, &sum)) == SF_OK)
        rc = op(c, SF_AOP_HSET, "imgsum", NULL, nv->digest, sum);
    free(sum);
    return rc;
}

static int index_run(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                     const sf_agg_view *nv, const char *run, int64_t rank, int refs_only,
                     const sf_agg_view *was, int lean, sf_error *err)
{
    ix_ctx *c = malloc(sizeof *c); /* with its key memo: too big for the stack */
    int rc = SF_ENOMEM;
    if (c) {
        *c = (ix_ctx){.p = p, .prefix = prefix, .sign = -1, .addonly = was != NULL, .was = was,
                      .lean = was && lean && was->pkhash};
        rc = plan_index(c, old, nv, run, rank, refs_only, err);
        free(c);
    }
    if (rc == SF_ENOMEM)
        sf_error_set(err, rc, "out of memory");
    return rc;
}

int sf_agg_plan_index(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                      const sf_agg_view *nv, const char *run, int64_t rank, int refs_only,
                      sf_error *err)
{
    return index_run(p, prefix, old, nv, run, rank, refs_only, NULL, 0, err);
}

int sf_agg_plan_index_addonly(sf_agg_plan *p, const char *prefix, const sf_agg_view *old,
                              const sf_agg_view *nv, const char *run, int64_t rank, int lean,
                              sf_error *err)
{
    return index_run(p, prefix, NULL, nv, run, rank, 0, old, lean, err);
}
