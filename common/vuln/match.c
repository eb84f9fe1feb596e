/*
 * match: packages x vulnerability DB -> findings (see match.h).
 *
 * For each package: pick the ecosystem (the distro's for OS packages,
 * looked up by SOURCE name and, for dpkg, SOURCE version; the language's
 * otherwise), normalise the name, binary-search the index, evaluate every
 * affected entry of every advisory against the version, then merge the
 * hits that share an id or alias (CVE <-> GHSA <-> DSA <-> ALPINE) into
 * one finding per (package, flaw).
 *
 * Range semantics follow the OSV spec: events sorted by version, an
 * introduced event opens, fixed (v >= fixed) and last_affected
 * (v > last) close; limit events bound the range from above. Alpine secdb
 * ranges (ALLBELOW) are affected when the version is below every listed
 * fixed version; npm range text is evaluated by sf_semver_range_match.
 */
#include "vuln/match.h"
#include "base/array.h"

#include "base/buf.h"
#include "vuln/match_int.h"
#include "vuln/severity.h"
#include "vuln/vdb_int.h"
#include "vuln/ver.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ctx {
    const struct sf_vdb_view *v;
    sf_verscheme scheme;
    int strip_v; /* Go: installed "v1.2.3" vs OSV "1.2.3" */
} ctx;

static const char *S(const ctx *c, uint32_t off) { return c->v->str + off; }

/* Compare versions under the range's scheme; "0" is below everything. */
static int vcmp(const ctx *c, sf_verscheme s, const char *a, const char *b)
{
    int a0 = strcmp(a, "0") == 0, b0 = strcmp(b, "0") == 0;
    if (a0 || b0)
        return b0 - a0;
    if (c->strip_v || s == SF_VS_SEMVER) {
        if ((a[0] == 'v' || a[0] == 'V') && a[1] >= '0' && a[1] <= '9')
            a++;
        if ((b[0] == 'v' || b[0] == 'V') && b[1] >= '0' && b[1] <= '9')
            b++;
    }
    return sf_ver_cmp(s, a, b);
}

/* Insertion sort of a range's events by version (ranges are short). */
static void sort_events(const ctx *c, sf_verscheme s, uint32_t *ev, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t x = ev[i];
        size_t j = i;
        while (j > 0 && vcmp(c, s, S(c, SF_VEV_STR(ev[j - 1])), S(c, SF_VEV_STR(x))) > 0) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = x;
    }
}

/* Smaller of the current best fixed version and cand, if cand > ver. */
static const char *better_fix(const ctx *c, sf_verscheme s, const char *best, const char *cand,
                              const char *ver)
{
    if (vcmp(c, s, cand, ver) <= 0)
        return best;
    return !best || vcmp(c, s, cand, best) < 0 ? cand : best;
}

/* OSV ECOSYSTEM/SEMVER range. */
static int eval_osv(const ctx *c, const sf_vdb_rng *r, const char *ver, const char **fix)
{
    sf_verscheme s = r->type == SF_VRNG_SEMVER ? SF_VS_SEMVER : c->scheme;
    uint32_t small[32], *ev = small;
    if (r->ev_count > 32 && !(ev = malloc(r->ev_count * sizeof *ev)))
        return -1;
    memcpy(ev, c->v->ev + r->ev_first, r->ev_count * sizeof *ev);
    sort_events(c, s, ev, r->ev_count);
    int affected = 0, has_limit = 0, below_limit = 0;
    for (uint32_t i = 0; i < r->ev_count; i++) {
        const char *e = S(c, SF_VEV_STR(ev[i]));
        switch (SF_VEV_KIND(ev[i])) {
        case SF_VEV_INTRODUCED:
            if (vcmp(c, s, ver, e) >= 0)
                affected = 1;
            break;
        case SF_VEV_FIXED:
            if (vcmp(c, s, ver, e) >= 0)
                affected = 0;
            break;
        case SF_VEV_LAST_AFFECTED:
            if (vcmp(c, s, ver, e) > 0)
                affected = 0;
            break;
        default:
            has_limit = 1;
            below_limit |= vcmp(c, s, ver, e) < 0;
            break;
        }
    }
    if (has_limit && !below_limit)
        affected = 0;
    for (uint32_t i = 0; affected && i < r->ev_count; i++)
        if (SF_VEV_KIND(ev[i]) == SF_VEV_FIXED)
            *fix = better_fix(c, s, *fix, S(c, SF_VEV_STR(ev[i])), ver);
    if (ev != small)
        free(ev);
    return affected;
}

/* Alpine secdb: affected when below every fixed version (equal = fixed). */
static int eval_allbelow(const ctx *c, const sf_vdb_rng *r, const char *ver, const char **fix)
{
    const char *best = NULL;
    for (uint32_t i = 0; i < r->ev_count; i++) {
        const char *e = S(c, SF_VEV_STR(c->v->ev[r->ev_first + i]));
        if (vcmp(c, c->scheme, ver, e) >= 0)
            return 0;
        best = better_fix(c, c->scheme, best, e, ver);
    }
    if (best)
        *fix = better_fix(c, c->scheme, *fix, best, ver);
    return 1;
}

/* The lowest version named in an npm "patched" range above ver
 * (">=4.17.5" -> "4.17.5"; "^8.1.4 || ^7.10.1" -> the smaller above ver). */
static const char *npm_fix(const char *patched, const char *ver, char *out, size_t outlen)
{
    const char *best = NULL;
    char tok[64];
    for (const char *p = patched; *p;) {
        while (*p && !(*p >= '0' && *p <= '9'))
            p++;
        size_t n = 0;
        while (p[n] && p[n] != ' ' && p[n] != '|' && p[n] != ',' && n < sizeof tok - 1)
            n++;
        if (!n)
            break;
        memcpy(tok, p, n);
        tok[n] = '\0';
        p += n;
        if (sf_ver_cmp_semver(tok, ver) > 0 &&
            (!best || sf_ver_cmp_semver(tok, best) < 0) && n < outlen) {
            memcpy(out, tok, n + 1);
            best = out;
        }
    }
    return best;
}

static int eval_npm(const ctx *c, const sf_vdb_rng *r, const char *ver, char *fixbuf,
                    size_t fixlen, const char **fix)
{
    const char *vuln = NULL, *patched = NULL;
    for (uint32_t i = 0; i < r->ev_count; i++) {
        uint32_t e = c->v->ev[r->ev_first + i];
        if (SF_VEV_KIND(e) == SF_VEV_INTRODUCED)
            vuln = S(c, SF_VEV_STR(e));
        else if (SF_VEV_KIND(e) == SF_VEV_FIXED)
            patched = S(c, SF_VEV_STR(e));
    }
    if (!vuln || sf_semver_range_match(vuln, ver) != 1)
        return 0;
    if (patched && sf_semver_range_match(patched, ver) == 1)
        return 0;
    const char *f = patched ? npm_fix(patched, ver, fixbuf, fixlen) : NULL;
    if (f && (!*fix || sf_ver_cmp_semver(f, *fix) < 0))
        *fix = f;
    return 1;
}

/*
 * Is ver affected by this entry? Sets *fix to the smallest fixed version
 * above ver (NULL when none is known). fixbuf holds a fix derived from
 * npm range text. Returns 1/0, or -1 on allocation failure.
 */
static int eval_aff(const ctx *c, const sf_vdb_aff *a, const char *ver, char *fixbuf,
                    size_t fixlen, const char **fix)
{
    int affected = 0;
    *fix = NULL;
    for (uint32_t i = 0; i < a->ver_count && !affected; i++)
        affected = vcmp(c, c->scheme, ver, S(c, c->v->u32[a->ver_first + i])) == 0;
    for (uint32_t i = 0; i < a->rng_count; i++) {
        const sf_vdb_rng *r = &c->v->rng[a->rng_first + i];
        int hit;
        if (r->type == SF_VRNG_ALLBELOW)
            hit = eval_allbelow(c, r, ver, fix);
        else if (r->type == SF_VRNG_NPMRANGE)
            hit = eval_npm(c, r, ver, fixbuf, fixlen, fix);
        else
            hit = eval_osv(c, r, ver, fix);
        if (hit < 0)
            return -1;
        affected |= hit;
    }
    return affected;
}

/* A bsearch key into the package index: the entries name their strings
 * by offset into str. */
typedef struct pkg_key {
    const char *str, *eco, *name;
} pkg_key;

static int pkg_key_cmp(const void *key, const void *entry)
{
    const pkg_key *k = key;
    const sf_vdb_pkg *e = entry;
    int c = strcmp(k->eco, k->str + e->eco);
    return c ? c : strcmp(k->name, k->str + e->name);
}

/* The index entry of (eco, name), or NULL. */
static const sf_vdb_pkg *find_pkg(const struct sf_vdb_view *v, const char *eco, const char *name)
{
    pkg_key k = {v->str, eco, name};
    return v->npkg ? bsearch(&k, v->pkg, v->npkg, sizeof *v->pkg, pkg_key_cmp) : NULL;
}


/* One affected advisory of the package being matched. */
typedef struct hit {
    uint32_t rec;
    int has_fix;
    char fix[128];
    size_t root; /* union-find parent */
} hit;

static size_t uf_find(hit *h, size_t i)
{
    while (h[i].root != i) {
        h[i].root = h[h[i].root].root;
        i = h[i].root;
    }
    return i;
}

typedef struct idref {
    uint32_t str; /* interned id: equal offsets = equal ids */
    size_t hit;
} idref;

static int idref_cmp(const void *a, const void *b)
{
    const idref *x = a, *y = b;
    if (x->str != y->str)
        return x->str < y->str ? -1 : 1;
    return (x->hit > y->hit) - (x->hit < y->hit);
}

/* Union hits that share any id or alias. */
static int merge_hits(const ctx *c, hit *h, size_t n)
{
    size_t nref = 0;
    for (size_t i = 0; i < n; i++)
        nref += 1 + c->v->rec[h[i].rec].alias_count;
    idref *refs = malloc((nref ? nref : 1) * sizeof *refs);
    if (!refs)
        return SF_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const sf_vdb_rec *r = &c->v->rec[h[i].rec];
        h[i].root = i;
        refs[k++] = (idref){r->id, i};
        for (uint32_t a = 0; a < r->alias_count; a++)
            refs[k++] = (idref){c->v->u32[r->alias_first + a], i};
    }
    qsort(refs, k, sizeof *refs, idref_cmp);
    for (size_t i = 1; i < k; i++) {
        if (refs[i].str != refs[i - 1].str)
            continue;
        size_t a = uf_find(h, refs[i].hit), b = uf_find(h, refs[i - 1].hit);
        if (a != b)
            h[a > b ? a : b].root = a < b ? a : b;
    }
    free(refs);
    return SF_OK;
}

static int is_cve(const char *id) { return strncmp(id, "CVE-", 4) == 0; }

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The ids of a group, sorted and unique (borrowed strings). */
static const char **group_ids(const ctx *c, const hit *h, size_t n, size_t root, size_t *nids)
{
    size_t cap = 0;
    for (size_t i = 0; i < n; i++)
        if (h[i].root == root)
            cap += 1 + c->v->rec[h[i].rec].alias_count;
    const char **ids = malloc((cap ? cap : 1) * sizeof *ids);
    if (!ids)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (h[i].root != root)
            continue;
        const sf_vdb_rec *r = &c->v->rec[h[i].rec];
        ids[k++] = S(c, r->id);
        for (uint32_t a = 0; a < r->alias_count; a++)
            ids[k++] = S(c, c->v->u32[r->alias_first + a]);
    }
    qsort(ids, k, sizeof *ids, str_cmp);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || strcmp(ids[u - 1], ids[i]) != 0)
            ids[u++] = ids[i];
    *nids = u;
    return ids;
}

/* Preferred id: a record's own CVE id, else the group's only CVE, else the
 * smallest record id (a DSA with several CVEs stays the DSA). */
static const char *preferred_id(const ctx *c, const hit *h, size_t n, size_t root,
                                const char **ids, size_t nids)
{
    const char *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *id = S(c, c->v->rec[h[i].rec].id);
        if (h[i].root == root && is_cve(id) && (!best || strcmp(id, best) < 0))
            best = id;
    }
    if (best)
        return best;
    size_t ncve = 0;
    for (size_t i = 0; i < nids; i++)
        if (is_cve(ids[i]))
            best = ids[i], ncve++;
    if (ncve == 1)
        return best;
    best = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *id = S(c, c->v->rec[h[i].rec].id);
        if (h[i].root == root && (!best || strcmp(id, best) < 0))
            best = id;
    }
    return best;
}

static sf_finding *findings_push(sf_findings *out)
{
    return SF_ARRAY_PUSH(out->items, out->cap, out->n, 16, 0);
}

typedef struct pkgkey {
    const sf_pkg *p;
    const char *eco, *name; /* normalised lookup key */
} pkgkey;

/* Emit the finding of one merged group. */
static int emit_group(const ctx *c, const hit *h, size_t n, size_t root, const pkgkey *k,
                      sf_findings *out)
{
    size_t nids = 0;
    const char **ids = group_ids(c, h, n, root, &nids);
    sf_finding *f = ids ? findings_push(out) : NULL;
    if (!f) {
        free(ids);
        return SF_ENOMEM;
    }
    const char *pref = preferred_id(c, h, n, root, ids, nids);
    const sf_vdb_rec **recs = malloc(n * sizeof *recs);
    size_t nrecs = 0;
    for (size_t i = 0; recs && i < n; i++)
        if (h[i].root == root)
            recs[nrecs++] = &c->v->rec[h[i].rec];
    f->id = strdup(pref);
    f->aliases = calloc(nids ? nids : 1, sizeof *f->aliases);
    int ok = f->id && f->aliases && recs &&
             sf_match__enrich(c->v, recs, nrecs, ids, nids, f) == SF_OK;
    for (size_t i = 0; ok && i < nids; i++)
        if (strcmp(ids[i], pref) != 0)
            ok = (f->aliases[f->naliases++] = strdup(ids[i])) != NULL;
    free(recs);
    free(ids);
    /* Fixed: every merged advisory must be fixed, so the highest of their
     * first fixed versions. An advisory that names no fix (a versions list,
     * a last_affected bound, <unfixed>) does not veto the others' fix: the
     * flaw is "unfixed" only when none of them knows a fix. */
    const char *fix = NULL;
    const char *summary = NULL;
    for (size_t i = 0; i < n; i++) {
        if (h[i].root != root)
            continue;
        const sf_vdb_rec *r = &c->v->rec[h[i].rec];
        if (r->summary && (!summary || strcmp(S(c, r->id), pref) == 0))
            summary = S(c, r->summary);
        if (h[i].has_fix && (!fix || vcmp(c, c->scheme, h[i].fix, fix) > 0))
            fix = h[i].fix;
    }
    const sf_pkg *p = k->p;
    f->pkg_name = sf_strdup(p->name);
    const char *src = sf_pkg_src_name(p);
    f->src_name = sf_pkg_type_is_os(p->type) && src && p->name && strcmp(src, p->name) ? strdup(src) : NULL;
    f->ecosystem = strdup(k->eco);
    f->pkg_type = p->type;
    f->installed = sf_strdup(p->version);
    f->fixed = sf_strdup(fix);
    f->priority = sf_priority(f->kev, f->epss_pct, f->cvss, fix != NULL);
    f->summary = summary && *summary ? strdup(summary) : NULL;
    f->pkg_path = sf_strdup(p->path);
    f->layer = p->layer;
    ok = ok && f->pkg_name && f->ecosystem && f->severity && (f->installed || !p->version) &&
         (!fix || f->fixed);
    if (!ok) {
        sf_finding_clear(f);
        out->n--;
        return SF_ENOMEM;
    }
    return SF_OK;
}

/* Match one package under its lookup key. */
static int match_pkg(ctx *c, const pkgkey *k, const char *ver, sf_findings *out)
{
    const sf_vdb_pkg *e = find_pkg(c->v, k->eco, k->name);
    if (!e || !ver || !*ver)
        return SF_OK;
    hit *h = malloc((e->aff_count ? e->aff_count : 1) * sizeof *h);
    if (!h)
        return SF_ENOMEM;
    size_t n = 0;
    int rc = SF_OK;
    for (uint32_t i = 0; i < e->aff_count; i++) {
        const sf_vdb_aff *a = &c->v->aff[e->aff_first + i];
        const char *fix = NULL;
        char fixbuf[64];
        int r = eval_aff(c, a, ver, fixbuf, sizeof fixbuf, &fix);
        if (r < 0) {
            rc = SF_ENOMEM;
            goto done;
        }
        if (!r)
            continue;
        h[n].rec = a->rec;
        h[n].has_fix = fix && strlen(fix) < sizeof h[n].fix;
        snprintf(h[n].fix, sizeof h[n].fix, "%s", h[n].has_fix ? fix : "");
        n++;
    }
    if (!n || (rc = merge_hits(c, h, n)))
        goto done;
    for (size_t i = 0; i < n; i++)
        h[i].root = uf_find(h, i);
    for (size_t i = 0; i < n && !rc; i++)
        if (h[i].root == i)
            rc = emit_group(c, h, n, i, k, out);
done:
    free(h);
    return rc;
}

static int finding_cmp(const void *pa, const void *pb)
{
    const sf_finding *a = pa, *b = pb;
    int c = strcmp(a->pkg_name ? a->pkg_name : "", b->pkg_name ? b->pkg_name : "");
    if (!c)
        c = strcmp(a->installed ? a->installed : "", b->installed ? b->installed : "");
    if (!c)
        c = strcmp(a->pkg_path ? a->pkg_path : "", b->pkg_path ? b->pkg_path : "");
    if (!c)
        c = strcmp(a->id, b->id);
    if (!c)
        c = (a->layer > b->layer) - (a->layer < b->layer);
    return c;
}


int sf_match_packages(const sf_vdb *db, const sf_osinfo *os, const sf_pkg *pkgs, size_t npkgs,
                      sf_findings *out, sf_error *err)
{
    char os_eco[64] = "";
    int have_os = os && sf_osinfo_osv_ecosystem(os, os_eco, sizeof os_eco) == SF_OK &&
                  sf_vdb_normalize_eco(os_eco, os_eco, sizeof os_eco) == SF_OK;
    size_t first = out->n;
    ctx c = {.v = sf_vdb__view(db)};
    for (size_t i = 0; i < npkgs; i++) {
        const sf_pkg *p = &pkgs[i];
        const char *eco = sf_pkg_type_is_os(p->type) ? (have_os ? os_eco : NULL)
                                                     : sf_pkg_type_osv_ecosystem(p->type);
        const char *raw = sf_pkg_type_is_os(p->type) ? sf_pkg_src_name(p) : p->name;
        const char *ver = sf_pkg_type_is_os(p->type) ? sf_pkg_src_version(p) : p->version;
        char name[1024];
        if (!eco || !raw || sf_vdb_normalize_name(eco, raw, name, sizeof name) != SF_OK)
            continue;
        pkgkey k = {p, eco, name};
        c.scheme = sf_ver_scheme_for_ecosystem(eco);
        c.strip_v = p->type == SF_PT_GO;
        int rc = match_pkg(&c, &k, ver, out);
        if (rc)
            return sf_error_set(err, rc, "match: out of memory matching %s", p->name);
    }
    if (out->n > first)
        qsort(out->items + first, out->n - first, sizeof *out->items, finding_cmp);
    return SF_OK;
}
