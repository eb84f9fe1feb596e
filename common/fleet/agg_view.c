/*
 * agg_view: see agg_view.h. Results are read with the engine's decoder
 * (bus/msg_result.h), then reduced to the view; what the fleet view keys
 * on (digest, run id, refs, ids) is validated again here because it ends
 * up in Redis keys, hash fields and reports.
 */
#include "fleet/agg_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/array.h"
#include "base/digest.h"
#include "base/json_skim.h"
#include "base/limits.h"
#include "bus/msg_result.h"

const char *sf_agg_sev_name(int sev) { return sf_sev_name(sev); }

int sf_agg_sev_parse(const char *s) { return sf_sev_parse(s); }

void sf_agg_vuln_clear(sf_agg_vuln *x)
{
    free(x->id);
    free(x->pkg);
    free(x->eco);
    free(x->installed);
    free(x->fixed);
    free(x->aliases);
}

static void pkg_free_fields(sf_agg_pkg *p)
{
    free(p->eco);
    free(p->name);
    free(p->version);
    free(p->src);
}

void sf_agg_pkgs_clear(sf_agg_view *v)
{
    SF_ARRAY_FREE(v->pkgs, v->npkgs, pkg_free_fields);
    v->pkgs = NULL;
    v->npkgs = 0;
}

void sf_agg_view_free(sf_agg_view *v)
{
    if (!v)
        return;
    sf_strfields_free(v, sf_agg_view_fields, sf_agg_view_nfields);
    sf_strarr_free(v->refs, v->nrefs);
    SF_ARRAY_FREE(v->vulns, v->nvulns, sf_agg_vuln_clear);
    sf_agg_pkgs_clear(v);
    free(v);
}

/* Printable, bounded text we are willing to index. */
static int text_ok(const char *s, size_t max)
{
    if (!s || !*s || strlen(s) > max)
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

/* strdup of an optional field: NULL stays NULL; *oom on failure. */
static char *odup(const char *s, int *oom)
{
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

static void vuln_drop(void *x) { sf_agg_vuln_clear(x); }

/* Sort, drop duplicates (the same flaw in the same package once), count. */
static void vulns_finish(sf_agg_view *v)
{
    v->nvulns = sf_array_sort_unique(v->vulns, v->nvulns, sizeof *v->vulns, cmp_vuln, vuln_drop);
    memset(v->sev, 0, sizeof v->sev);
    v->fixable = 0;
    for (size_t i = 0; i < v->nvulns; i++) {
        v->sev[v->vulns[i].sev]++;
        v->fixable += v->vulns[i].fixed != NULL;
    }
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

static void pkg_drop(void *p) { pkg_free_fields(p); }

static void pkgs_finish(sf_agg_view *v)
{
    v->npkgs = sf_array_sort_unique(v->pkgs, v->npkgs, sizeof *v->pkgs, cmp_pkg, pkg_drop);
}

int sf_agg_pkg_eco(const sf_pkg *p, const sf_osinfo *os, char *out, size_t outlen)
{
    const char *e = NULL;
    char buf[128];
    if (sf_pkg_type_is_os(p->type)) {
        if (os && sf_osinfo_osv_ecosystem(os, buf, sizeof buf) == SF_OK)
            e = buf;
    } else {
        e = sf_pkg_type_osv_ecosystem(p->type);
    }
    if (!e)
        e = sf_pkg_type_name(p->type);
    int n = snprintf(out, outlen, "%s", e);
    return n < 0 || (size_t)n >= outlen ? SF_ELIMIT : SF_OK;
}

/* A ref we are willing to index: printable, no spaces or '|'. */
int sf_agg_ref_ok(const char *s)
{
    if (!text_ok(s, 512))
        return 0;
    return !strpbrk(s, " |");
}

static int has_ref(char *const *refs, size_t n, const char *ref)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(refs[i], ref) == 0)
            return 1;
    return 0;
}

int sf_agg_view_set_refs(sf_agg_view *v, int64_t v_rank, const char *run, int64_t rank,
                         char *const *refs, size_t n, int *changed)
{
    *changed = -1;
    if (rank < v_rank)
        return SF_OK;
    int join = rank == v_rank; /* same run: late refs add up */
    size_t base = join ? v->nrefs : 0, k = base;
    char **nr = calloc(base + n + 1, sizeof *nr);
    char *nrun = sf_strdup(run);
    if (!nr || !nrun)
        goto oom;
    for (size_t i = 0; i < base; i++)
        if (!(nr[i] = sf_strdup(v->refs[i])))
            goto oom;
    for (size_t i = 0; i < n && k < SF_AGG_MAX_REFS; i++) {
        if (!sf_agg_ref_ok(refs[i]) || has_ref(nr, k, refs[i]))
            continue;
        if (!(nr[k++] = sf_strdup(refs[i])))
            goto oom;
    }
    /* Same set (in any order): nothing for the fleet view to redo. */
    int same = k == v->nrefs;
    for (size_t i = 0; same && i < k; i++)
        same = has_ref(v->refs, v->nrefs, nr[i]);
    sf_strarr_free(v->refs, v->nrefs);
    free(v->refs_run);
    v->refs = nr, v->nrefs = k, v->refs_run = nrun, v->refs_rank = rank;
    *changed = !same;
    return SF_OK;
oom:
    sf_strarr_free(nr, k);
    free(nrun);
    return SF_ENOMEM;
}

static int conv_ident(const sf_result *r, sf_agg_view *v, sf_error *err)
{
    int oom = 0;
    if (!r->digest || sf_digest_validate(r->digest, NULL) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "result without a valid digest");
    if (r->index_digest && *r->index_digest && sf_digest_validate(r->index_digest, NULL) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "result with a malformed index_digest");
    if (r->run_id && (!text_ok(r->run_id, 128) || strpbrk(r->run_id, ": *?[]|")))
        return sf_error_set(err, SF_EPARSE, "result with a malformed run_id");
    if (r->db_version && (strlen(r->db_version) > 128 || strchr(r->db_version, '|')))
        return sf_error_set(err, SF_EPARSE, "result with a malformed db_version");
    v->digest = sf_strdup(r->digest);
    v->job_key = sf_strdup(r->index_digest && *r->index_digest ? r->index_digest : r->digest);
    v->run_id = sf_strdup(r->run_id && *r->run_id ? r->run_id : "none");
    v->db_version = sf_strdup(r->db_version ? r->db_version : "");
    v->platform = text_ok(r->platform, 64) ? odup(r->platform, &oom) : NULL;
    if (r->error_code != SF_OK)
        v->error = odup(sf_err_name(r->error_code), &oom);
    v->time_ms = r->scanned_at ? sf_agg_parse_time(r->scanned_at) : 0;
    if (v->time_ms < 0)
        v->time_ms = 0;
    if (r->has_os && text_ok(r->os.id, 64)) {
        char tmp[256];
        const char *ver = text_ok(r->os.version_id, 64) ? r->os.version_id : NULL;
        snprintf(tmp, sizeof tmp, "%s%s%s", r->os.id, ver ? " " : "", ver ? ver : "");
        v->os = odup(tmp, &oom);
    }
    if (oom || !v->digest || !v->job_key || !v->run_id || !v->db_version)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}

static int conv_refs(const sf_result *r, sf_agg_view *v, sf_error *err)
{
    if (r->nrefs > SF_AGG_MAX_REFS)
        return sf_error_set(err, SF_ELIMIT, "result with more than %d refs", SF_AGG_MAX_REFS);
    if (!(v->refs = calloc(r->nrefs + 1, sizeof *v->refs)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->nrefs; i++) {
        int dup = !sf_agg_ref_ok(r->refs[i]);
        for (size_t j = 0; j < v->nrefs && !dup; j++)
            dup = strcmp(v->refs[j], r->refs[i]) == 0;
        if (dup)
            continue;
        if (!(v->refs[v->nrefs] = sf_strdup(r->refs[i])))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        v->nrefs++;
    }
    return SF_OK;
}

/* Aliases joined by '\x1f' for the API's alias index (agg_index.c);
 * NULL when there are none. Not part of the stored view. */
static char *join_aliases(char **a, size_t n, int *oom)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        if (!text_ok(a[i], SF_AGG_STR_MAX) || strchr(a[i], '\x1f'))
            continue;
        if ((b.len && sf_buf_append(&b, "\x1f", 1) != SF_OK) || sf_buf_puts(&b, a[i]) != SF_OK)
            *oom = 1;
    }
    char *s = b.len && !*oom ? sf_strdup(b.data) : NULL;
    if (b.len && !*oom && !s)
        *oom = 1;
    sf_buf_free(&b);
    return s;
}

static int conv_vulns(const sf_result *r, sf_agg_view *v, sf_error *err)
{
    if (r->vulns.n > SF_AGG_MAX_VULNS)
        return sf_error_set(err, SF_ELIMIT, "result with more than %d findings", SF_AGG_MAX_VULNS);
    if (!(v->vulns = calloc(r->vulns.n + 1, sizeof *v->vulns)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->vulns.n; i++) {
        const sf_finding *x = &r->vulns.items[i];
        int oom = 0;
        if (!text_ok(x->id, SF_AGG_STR_MAX) || !text_ok(x->pkg_name, SF_AGG_STR_MAX))
            continue; /* a finding without id or package cannot be indexed */
        sf_agg_vuln *f = &v->vulns[v->nvulns++];
        f->id = odup(x->id, &oom);
        f->pkg = odup(x->pkg_name, &oom);
        f->eco = text_ok(x->ecosystem, SF_AGG_STR_MAX) ? odup(x->ecosystem, &oom) : NULL;
        f->installed = text_ok(x->installed, SF_AGG_STR_MAX) ? odup(x->installed, &oom) : NULL;
        f->fixed = text_ok(x->fixed, SF_AGG_STR_MAX) ? odup(x->fixed, &oom) : NULL;
        f->sev = sf_agg_sev_parse(x->severity);
        f->cvss = x->cvss;
        f->kev = x->kev;
        f->epss = x->epss;
        f->epss_pct = x->epss_pct;
        f->aliases = join_aliases(x->aliases, x->naliases, &oom);
        if (oom)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    vulns_finish(v);
    return SF_OK;
}

/* Packages without name or version are not indexed. */
static int conv_pkgs(const sf_result *r, sf_agg_view *v, sf_error *err)
{
    if (r->npkgs > SF_AGG_MAX_PKGS)
        return sf_error_set(err, SF_ELIMIT, "result with more than %d packages", SF_AGG_MAX_PKGS);
    if (!(v->pkgs = calloc(r->npkgs + 1, sizeof *v->pkgs)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < r->npkgs; i++) {
        const sf_pkg *p = &r->pkgs[i];
        char eco[128];
        if (!text_ok(p->name, SF_AGG_STR_MAX) || !text_ok(p->version, SF_AGG_STR_MAX) ||
            sf_agg_pkg_eco(p, r->has_os ? &r->os : NULL, eco, sizeof eco) != SF_OK)
            continue;
        sf_agg_pkg *d = &v->pkgs[v->npkgs++];
        d->eco = sf_strdup(eco);
        d->name = sf_strdup(p->name);
        d->version = sf_strdup(p->version);
        if (p->src_name && strcmp(p->src_name, p->name) != 0 && text_ok(p->src_name, SF_AGG_STR_MAX) &&
            !(d->src = sf_strdup(p->src_name)))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        if (!d->eco || !d->name || !d->version)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    pkgs_finish(v);
    return SF_OK;
}

/* The view of a decoded result; with_pkgs 0: all but its package list. */
static int view_of(const sf_result *r, int with_pkgs, sf_agg_view **out, sf_error *err)
{
    sf_agg_view *v = calloc(1, sizeof *v);
    int rc;
    *out = NULL;
    if (!v)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    v->refs_rank = -1;
    if ((rc = conv_ident(r, v, err)) != SF_OK || (rc = conv_refs(r, v, err)) != SF_OK ||
        (rc = conv_vulns(r, v, err)) != SF_OK ||
        (with_pkgs && (rc = conv_pkgs(r, v, err)) != SF_OK)) {
        sf_agg_view_free(v);
        return rc;
    }
    *out = v;
    return SF_OK;
}

/* The hashes of a document that allows the split (see split_members):
 * pk of its "os" and "packages" bytes, vu of its "vulnerabilities" bytes
 * ("" when that member is not one array); q: the latter's member. */
typedef struct split_hash {
    char pk[SF_DIGEST_MAX], vu[SF_DIGEST_MAX];
    int q;
} split_hash;

static int split_members(const char *json, size_t len, sf_jskim_member *m, int *p,
                         split_hash *h);

int sf_agg_view_from_result(const char *json, size_t len, sf_agg_view **out, sf_error *err)
{
    sf_result r;
    int rc;
    *out = NULL;
    /* the engine's decoder is THE reader of scanfarm.result/v1 */
    if ((rc = sf_result_decode(json, len, &r, err)) != SF_OK) {
        if (rc != SF_ENOMEM)
            rc = SF_EPARSE; /* an unusable document, whatever the reason */
    } else {
        rc = view_of(&r, 1, out, err);
    }
    sf_result_clear(&r);
    /* the hashes, as the two-step decode computes them: every path
     * stores the same view */
    split_hash h;
    int p, has = rc == SF_OK ? split_members(json, len, NULL, &p, &h) : 0;
    if (has < 0 || (has > 0 && (!((*out)->pkhash = sf_strdup(h.pk)) ||
                                (h.vu[0] && !((*out)->vhash = sf_strdup(h.vu)))))) {
        sf_agg_view_free(*out);
        *out = NULL;
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    return rc;
}

/* ---- the two-step decode ---- */

/* Top-level members of a result: ~25 (msg_result.h); more and the
 * document is decoded whole. */
#define LAZY_MEMBERS 64

struct sf_agg_lazy {
    const char *json; /* the document (borrowed) */
    size_t len;
    sf_result r;      /* decoded, its package list empty (and findings: vu_len) */
    size_t pk_off, pk_len; /* the "packages" value */
    size_t vu_off, vu_len; /* the "vulnerabilities" value, when pending (else 0) */
};

void sf_agg_lazy_free(sf_agg_lazy *lz)
{
    if (!lz)
        return;
    sf_result_clear(&lz->r);
    free(lz);
}

/* "sha256:<hex>" of the os value (none: empty), a NUL, the packages
 * value; pkgs 0 (pk the findings): of pk's value alone. */
static int pkgs_hash(const char *json, const sf_jskim_member *os, const sf_jskim_member *pk,
                     int pkgs, char out[SF_DIGEST_MAX])
{
    sf_hasher *h = NULL;
    int rc = sf_hasher_new(&h, "sha256");
    if (rc == SF_OK && os)
        rc = sf_hasher_update(h, json + os->val_off, os->val_len);
    if (rc == SF_OK && pkgs)
        rc = sf_hasher_update(h, "", 1);
    if (rc == SF_OK)
        rc = sf_hasher_update(h, json + pk->val_off, pk->val_len);
    if (rc == SF_OK)
        rc = sf_hasher_final(h, out);
    sf_hasher_free(h);
    return rc;
}

/* Whether the document allows the split, and then its hashes and (m:
 * LAZY_MEMBERS entries, or NULL) its members, "packages" m[*p]. 1
 * allowed, 0 not, < 0 out of memory. Allowed: a skimmable object (so
 * jansson parses it, and a copy with another packages value differs in
 * that value only) within the decoder's size cap, one "packages" member
 * holding an array, at most one "os" and one "vulnerabilities", no
 * escaped key (one could be either). */
static int split_members(const char *json, size_t len, sf_jskim_member *m, int *p,
                         split_hash *h)
{
    sf_jskim_member mine[LAZY_MEMBERS];
    size_t n = 0;
    if (!m)
        m = mine;
    if (len > SF_LIM_MESSAGE_BYTES ||
        sf_jskim_object(json, len, m, LAZY_MEMBERS, &n, NULL) != SF_OK)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (m[i].key_escaped)
            return 0;
    int o = sf_jskim_find(json, m, n, "os");
    *p = sf_jskim_find(json, m, n, "packages");
    h->q = sf_jskim_find(json, m, n, "vulnerabilities");
    if (*p < 0 || o == -2 || h->q == -2 || json[m[*p].val_off] != '[')
        return 0;
    if (h->q >= 0 && json[m[h->q].val_off] != '[')
        h->q = -1; /* null, or a bad value: decoded with the rest */
    h->vu[0] = '\0';
    if (pkgs_hash(json, o >= 0 ? &m[o] : NULL, &m[*p], 1, h->pk) != SF_OK ||
        (h->q >= 0 && pkgs_hash(json, NULL, &m[h->q], 0, h->vu) != SF_OK))
        return -1;
    return 1;
}

/* The split: the document with its packages value (and findings value,
 * when one array) replaced by [] decoded into lz->r. 1 done, 0 the
 * document does not allow it (or its decode failed: the full decode's
 * answer), < 0 out of memory. */
static int lazy_split(sf_agg_lazy *lz, split_hash *h)
{
    sf_jskim_member m[LAZY_MEMBERS];
    int p, rc0 = split_members(lz->json, lz->len, m, &p, h);
    if (rc0 <= 0)
        return rc0;
    lz->pk_off = m[p].val_off, lz->pk_len = m[p].val_len;
    if (h->q >= 0)
        lz->vu_off = m[h->q].val_off, lz->vu_len = m[h->q].val_len;
    /* the cut values in document order, each replaced by [] */
    size_t off[2] = {lz->pk_off, lz->vu_off}, cl[2] = {lz->pk_len, lz->vu_len};
    int nc = h->q >= 0 ? 2 : 1;
    if (nc == 2 && off[1] < off[0]) {
        size_t t = off[0];
        off[0] = off[1], off[1] = t;
        t = cl[0], cl[0] = cl[1], cl[1] = t;
    }
    char *doc = malloc(lz->len + 4);
    if (!doc)
        return -1;
    size_t at = 0, w = 0;
    for (int c = 0; c < nc; c++) {
        memcpy(doc + w, lz->json + at, off[c] - at);
        w += off[c] - at;
        memcpy(doc + w, "[]", 2);
        w += 2, at = off[c] + cl[c];
    }
    memcpy(doc + w, lz->json + at, lz->len - at);
    w += lz->len - at;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_result_decode(doc, w, &lz->r, &e);
    free(doc);
    return rc == SF_OK ? 1 : rc == SF_ENOMEM ? -1 : 0; /* a failure: the full decode's */
}

int sf_agg_view_from_result_lazy(const char *json, size_t len, sf_agg_view **out,
                                 sf_agg_lazy **lz, sf_error *err)
{
    split_hash h;
    sf_agg_lazy *l = calloc(1, sizeof *l);
    *out = NULL, *lz = NULL;
    if (!l)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    l->json = json, l->len = len;
    sf_result_init(&l->r);
    int split = lazy_split(l, &h), rc = split < 0 ? SF_ENOMEM : SF_OK;
    if (split > 0 && (rc = view_of(&l->r, 0, out, NULL)) == SF_OK &&
        (!((*out)->pkhash = sf_strdup(h.pk)) || (h.vu[0] && !((*out)->vhash = sf_strdup(h.vu)))))
        rc = SF_ENOMEM;
    if (rc == SF_ENOMEM) {
        sf_agg_view_free(*out);
        sf_agg_lazy_free(l);
        *out = NULL;
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    if (split > 0 && rc == SF_OK) {
        *lz = l;
        return SF_OK;
    }
    sf_agg_view_free(*out);
    sf_agg_lazy_free(l);
    return sf_agg_view_from_result(json, len, out, err); /* its view, or its error */
}

/* The end of a pending part's decode: rc, or, when that decode failed,
 * what the whole document's decode answers (its message included). */
static int part_failed(sf_agg_lazy *lz, int rc, sf_error *err)
{
    if (rc == SF_OK)
        return SF_OK;
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "out of memory");
    sf_agg_view *w = NULL;
    rc = sf_agg_view_from_result(lz->json, lz->len, &w, err);
    sf_agg_view_free(w);
    return rc != SF_OK ? rc : sf_error_set(err, SF_EINTERNAL, "result: split decode disagrees");
}

int sf_agg_lazy_finish(sf_agg_lazy *lz, sf_agg_view *v, const char *stored_hash, const char *pk,
                       size_t pkl, int *reused, sf_error *err)
{
    /* findings still pending (sf_agg_lazy_vulns not called): decoded, so
     * that a finished view is never left without them */
    int vr, rc0 = sf_agg_lazy_vulns(lz, v, NULL, &vr, err);
    *reused = 0;
    if (rc0 != SF_OK)
        return rc0;
    if (stored_hash && pk && v->pkhash && strcmp(stored_hash, v->pkhash) == 0) {
        int rc = sf_agg_pkgs_parse(v, pk, pkl, NULL);
        if (rc == SF_OK) {
            *reused = 1;
            return SF_OK;
        }
        if (rc == SF_ENOMEM)
            return sf_error_set(err, rc, "out of memory");
    }
    sf_agg_pkgs_clear(v);
    int rc = sf_result_decode_pkgs(lz->json + lz->pk_off, lz->pk_len, &lz->r, NULL);
    if (rc == SF_OK)
        rc = conv_pkgs(&lz->r, v, NULL);
    return part_failed(lz, rc, err);
}

/* An exact copy ("" stays ""), NULL for NULL; *oom on failure. */
static char *cdup(const char *s, int *oom)
{
    char *d = s ? sf_strdup(s) : NULL;
    if (s && !d)
        *oom = 1;
    return d;
}

/* A copy of stored's findings (and their counts) as v's. */
static int vulns_copy(sf_agg_view *v, const sf_agg_view *stored)
{
    if (!(v->vulns = calloc(stored->nvulns + 1, sizeof *v->vulns)))
        return SF_ENOMEM;
    for (size_t i = 0; i < stored->nvulns; i++) {
        const sf_agg_vuln *x = &stored->vulns[i];
        sf_agg_vuln *d = &v->vulns[v->nvulns++];
        int oom = 0;
        *d = *x;
        d->id = cdup(x->id, &oom), d->pkg = cdup(x->pkg, &oom);
        d->eco = cdup(x->eco, &oom), d->installed = cdup(x->installed, &oom);
        d->fixed = cdup(x->fixed, &oom), d->aliases = cdup(x->aliases, &oom);
        if (oom)
            return SF_ENOMEM;
    }
    memcpy(v->sev, stored->sev, sizeof v->sev);
    v->fixable = stored->fixable;
    return SF_OK;
}

int sf_agg_lazy_vulns(sf_agg_lazy *lz, sf_agg_view *v, const sf_agg_view *stored, int *reused,
                      sf_error *err)
{
    *reused = 0;
    if (!lz->vu_len)
        return SF_OK; /* decoded with the rest, or done */
    SF_ARRAY_FREE(v->vulns, v->nvulns, sf_agg_vuln_clear);
    v->vulns = NULL, v->nvulns = 0;
    int rc;
    if (stored && stored->vhash && v->vhash && strcmp(stored->vhash, v->vhash) == 0) {
        *reused = 1;
        rc = vulns_copy(v, stored);
    } else {
        sf_findings_clear(&lz->r.vulns);
        rc = sf_result_decode_vulns(lz->json + lz->vu_off, lz->vu_len, &lz->r, NULL);
        if (rc == SF_OK)
            rc = conv_vulns(&lz->r, v, NULL);
    }
    lz->vu_len = 0;
    return part_failed(lz, rc, err);
}
