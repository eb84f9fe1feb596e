/*
 * vdb_build: the builder that importers feed and that serialises the DB
 * file (layout in vdb_int.h). Strings are interned in one table through an
 * open-addressing hash so that the thousands of repeated ecosystem names,
 * package names and version strings are stored once. Records, affected
 * entries, ranges and events are appended to flat arrays; a half-built
 * record is undone by truncating them to the lengths saved at its start.
 * At write time the affected entries are sorted by (ecosystem, name) to
 * form the binary-searchable index.
 */
#include "vuln/vdb_build.h"

#include "base/buf.h"
#include "base/digest.h"
#include "vuln/vdb_int.h"
#include "vuln/vdb_build_int.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* An affected entry before sorting: keeps its (ecosystem, name) key. */
typedef struct bld_aff {
    uint32_t eco, name;
    sf_vdb_aff a;
} bld_aff;

typedef struct counter {
    char *key;
    uint64_t n;
} counter;

typedef struct source {
    char *label, *kind;
    uint64_t records;
    uint64_t cve_facts; /* NVD records, KEV entries, EPSS rows taken from it */
} source;


struct sf_vdb_builder {
    sf_buf str;        /* string table: offset 0 is "" */
    uint32_t *slots;   /* hash slots: string offset + 1, 0 = empty */
    size_t nslots, nstr;
    VEC(sf_vdb_rec) recs;
    VEC(bld_aff) affs;
    VEC(sf_vdb_rng) rngs;
    VEC(uint32_t) evs;
    VEC(uint32_t) u32s;
    VEC(uint32_t) aliases; /* of the current record, copied to u32s at commit */
    VEC(counter) skips;
    VEC(source) sources;
    int64_t built;
    char kind[16];     /* importer of the records being added ("osv", ...) */
    /* current record */
    int in_rec;
    sf_vdb_rec cur;
    size_t save_affs, save_rngs, save_evs, save_u32s;
    int aff_state; /* 0 none, 1 open, -1 ignoring (bad affected) */
    int rng_open;
    sf_vdb_cvetab *cves; /* NVD / KEV / EPSS facts per CVE (vdb_cve.c) */
};

sf_vdb_cvetab *sf_vdb__cvetab(sf_vdb_builder *b) { return b->cves; }

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int rehash(sf_vdb_builder *b)
{
    size_t ns = b->nslots ? b->nslots * 2 : 4096;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots)
        return SF_ENOMEM;
    for (size_t i = 0; i < b->nslots; i++) {
        if (!b->slots[i])
            continue;
        const char *s = b->str.data + b->slots[i] - 1;
        size_t j = hash_str(s, strlen(s)) & (ns - 1);
        while (slots[j])
            j = (j + 1) & (ns - 1);
        slots[j] = b->slots[i];
    }
    free(b->slots);
    b->slots = slots;
    b->nslots = ns;
    return SF_OK;
}

/* Intern s[0..n) (no NUL inside) and return its offset in *off. */
static int intern_n(sf_vdb_builder *b, const char *s, size_t n, uint32_t *off)
{
    if (n == 0) {
        *off = 0;
        return SF_OK;
    }
    if ((b->nstr + 1) * 2 > b->nslots && rehash(b))
        return SF_ENOMEM;
    size_t j = hash_str(s, n) & (b->nslots - 1);
    for (; b->slots[j]; j = (j + 1) & (b->nslots - 1)) {
        const char *t = b->str.data + b->slots[j] - 1;
        if (strncmp(t, s, n) == 0 && t[n] == '\0') {
            *off = b->slots[j] - 1;
            return SF_OK;
        }
    }
    size_t at = b->str.len;
    if (at + n + 1 > SF_VDB_STR_MAX)
        return SF_ELIMIT;
    if (sf_buf_append(&b->str, s, n) || sf_buf_append(&b->str, "", 1))
        return SF_ENOMEM;
    b->slots[j] = (uint32_t)at + 1;
    b->nstr++;
    *off = (uint32_t)at;
    return SF_OK;
}

static int intern(sf_vdb_builder *b, const char *s, uint32_t *off)
{
    if (!s) {
        *off = 0;
        return SF_OK;
    }
    size_t n = strnlen(s, SF_VDB_STR_MAX);
    return intern_n(b, s, n, off);
}

int sf_vdb__intern(sf_vdb_builder *b, const char *s, uint32_t *off) { return intern(b, s, off); }

const char *sf_vdb__str(const sf_vdb_builder *b, uint32_t off) { return b->str.data + off; }

void sf_vdb__source_cve_fact(sf_vdb_builder *b)
{
    if (b->sources.n)
        b->sources.v[b->sources.n - 1].cve_facts++;
}

int sf_vdb__u32_append(sf_vdb_builder *b, uint32_t v, uint32_t *idx)
{
    uint32_t *p = PUSH(b->u32s);
    if (!p)
        return SF_ENOMEM;
    *p = v;
    *idx = (uint32_t)(b->u32s.n - 1);
    return SF_OK;
}

int sf_vdb_builder_new(sf_vdb_builder **out)
{
    sf_vdb_builder *b = calloc(1, sizeof *b);
    if (!b)
        return SF_ENOMEM;
    sf_buf_init(&b->str, SF_VDB_STR_MAX);
    if (sf_buf_append(&b->str, "", 1) || rehash(b) || sf_vdb__cvetab_new(&b->cves)) {
        sf_vdb_builder_free(b);
        return SF_ENOMEM;
    }
    b->built = (int64_t)time(NULL);
    *out = b;
    return SF_OK;
}

void sf_vdb_builder_free(sf_vdb_builder *b)
{
    if (!b)
        return;
    sf_buf_free(&b->str);
    sf_vdb__cvetab_free(b->cves);
    free(b->slots);
    free(b->recs.v);
    free(b->affs.v);
    free(b->rngs.v);
    free(b->evs.v);
    free(b->u32s.v);
    free(b->aliases.v);
    for (size_t i = 0; i < b->skips.n; i++)
        free(b->skips.v[i].key);
    free(b->skips.v);
    for (size_t i = 0; i < b->sources.n; i++) {
        free(b->sources.v[i].label);
        free(b->sources.v[i].kind);
    }
    free(b->sources.v);
    free(b);
}

void sf_vdb_builder_kind(sf_vdb_builder *b, const char *kind)
{
    snprintf(b->kind, sizeof b->kind, "%s", kind ? kind : "");
}

void sf_vdb_builder_set_time(sf_vdb_builder *b, int64_t unix_seconds) { b->built = unix_seconds; }

void sf_vdb_builder_skip(sf_vdb_builder *b, const char *reason, uint64_t n)
{
    for (size_t i = 0; i < b->skips.n; i++) {
        if (strcmp(b->skips.v[i].key, reason) == 0) {
            b->skips.v[i].n += n;
            return;
        }
    }
    char *k = strdup(reason);
    counter *c = k ? PUSH(b->skips) : NULL;
    if (!c) {
        free(k); /* counting is best effort under memory pressure */
        return;
    }
    c->key = k;
    c->n = n;
}

uint64_t sf_vdb_builder_skipped(const sf_vdb_builder *b, const char *reason)
{
    for (size_t i = 0; i < b->skips.n; i++)
        if (strcmp(b->skips.v[i].key, reason) == 0)
            return b->skips.v[i].n;
    return 0;
}

uint64_t sf_vdb_builder_records(const sf_vdb_builder *b) { return b->recs.n; }

int sf_vdb_builder_source(sf_vdb_builder *b, const char *label, const char *kind)
{
    char *l = strdup(label ? label : ""), *k = strdup(kind ? kind : "");
    source *s = (l && k) ? PUSH(b->sources) : NULL;
    if (!s) {
        free(l);
        free(k);
        return SF_ENOMEM;
    }
    s->label = l;
    s->kind = k;
    s->records = 0;
    s->cve_facts = 0;
    return SF_OK;
}

/* ---- records ---- */

void sf_vdb_rec_abort(sf_vdb_builder *b)
{
    if (!b->in_rec)
        return;
    b->affs.n = b->save_affs;
    b->rngs.n = b->save_rngs;
    b->evs.n = b->save_evs;
    b->u32s.n = b->save_u32s;
    b->aliases.n = 0;
    b->in_rec = 0;
    b->aff_state = 0;
    b->rng_open = 0;
}

int sf_vdb_rec_begin(sf_vdb_builder *b, const char *id)
{
    sf_vdb_rec_abort(b);
    memset(&b->cur, 0, sizeof b->cur);
    int rc = intern(b, id, &b->cur.id);
    if (rc)
        return rc;
    if ((rc = intern(b, b->kind, &b->cur.source)))
        return rc;
    b->save_affs = b->affs.n;
    b->save_rngs = b->rngs.n;
    b->save_evs = b->evs.n;
    b->save_u32s = b->u32s.n;
    b->aliases.n = 0;
    b->in_rec = 1;
    b->aff_state = 0;
    b->rng_open = 0;
    return SF_OK;
}

int sf_vdb_rec_alias(sf_vdb_builder *b, const char *alias)
{
    if (!b->in_rec || !alias || !*alias)
        return SF_OK;
    uint32_t off;
    int rc = intern(b, alias, &off);
    if (rc)
        return rc;
    if (off == b->cur.id)
        return SF_OK;
    for (size_t i = 0; i < b->aliases.n; i++)
        if (b->aliases.v[i] == off)
            return SF_OK;
    uint32_t *p = PUSH(b->aliases);
    if (!p)
        return SF_ENOMEM;
    *p = off;
    return SF_OK;
}

int sf_vdb_rec_summary(sf_vdb_builder *b, const char *summary)
{
    return b->in_rec ? intern(b, summary, &b->cur.summary) : SF_OK;
}

/* Intern a severity word upper-cased; GitHub's MODERATE reads MEDIUM. */
static int intern_sev(sf_vdb_builder *b, const char *severity, uint32_t *off)
{
    char up[32];
    size_t n = 0;
    for (; severity[n] && n < sizeof up - 1; n++)
        up[n] = (char)toupper((unsigned char)severity[n]);
    up[n] = '\0';
    /* GitHub says MODERATE where CVSS says MEDIUM: one vocabulary. */
    if (strcmp(up, "MODERATE") == 0)
        memcpy(up, "MEDIUM", sizeof "MEDIUM");
    return intern(b, up, off);
}

int sf_vdb_rec_severity(sf_vdb_builder *b, const char *severity)
{
    if (!b->in_rec || !severity)
        return SF_OK;
    return intern_sev(b, severity, &b->cur.severity);
}

int sf_vdb_rec_vendor_severity(sf_vdb_builder *b, const char *severity)
{
    if (!b->in_rec || !severity || !*severity)
        return SF_OK;
    return intern_sev(b, severity, &b->cur.vendor_sev);
}

int sf_vdb_rec_cvss(sf_vdb_builder *b, const char *vector)
{
    if (!b->in_rec || !vector || !*vector)
        return SF_OK;
    if (b->cur.cvss) {
        const char *have = b->str.data + b->cur.cvss;
        if (strncmp(have, "CVSS:3", 6) == 0 || strncmp(vector, "CVSS:3", 6) != 0)
            return SF_OK;
    }
    return intern(b, vector, &b->cur.cvss);
}

void sf_vdb_rec_flags(sf_vdb_builder *b, uint32_t flags)
{
    if (b->in_rec)
        b->cur.flags |= flags;
}

/* Close the current range: drop it when it cannot match anything. */
static void range_close(sf_vdb_builder *b)
{
    if (!b->rng_open)
        return;
    b->rng_open = 0;
    sf_vdb_rng *r = &b->rngs.v[b->rngs.n - 1];
    int has_intro = 0, has_fixed = 0;
    for (uint32_t i = 0; i < r->ev_count; i++) {
        uint32_t k = SF_VEV_KIND(b->evs.v[r->ev_first + i]);
        has_intro |= k == SF_VEV_INTRODUCED;
        has_fixed |= k == SF_VEV_FIXED;
    }
    int ok = r->type == SF_VRNG_ALLBELOW ? has_fixed : has_intro;
    if (!ok) {
        sf_vdb_builder_skip(b, r->ev_count ? "range without introduced event"
                                           : "range without events", 1);
        b->evs.n = r->ev_first;
        b->rngs.n--;
        return;
    }
    b->affs.v[b->affs.n - 1].a.rng_count++;
}

/* Close the current affected entry: drop it when it has nothing to match. */
static void aff_close(sf_vdb_builder *b)
{
    range_close(b);
    if (b->aff_state == 1) {
        bld_aff *a = &b->affs.v[b->affs.n - 1];
        if (a->a.rng_count == 0 && a->a.ver_count == 0) {
            sf_vdb_builder_skip(b, "affected package without ranges or versions", 1);
            b->affs.n--;
        }
    }
    b->aff_state = 0;
}

int sf_vdb_rec_affected(sf_vdb_builder *b, const char *eco, const char *name)
{
    if (!b->in_rec)
        return SF_EINVAL;
    aff_close(b);
    b->aff_state = -1;
    char neco[128], nname[1024];
    int rc = sf_vdb_normalize_eco(eco ? eco : "", neco, sizeof neco);
    if (rc) {
        sf_vdb_builder_skip(b, eco && *eco ? "unknown ecosystem" : "missing ecosystem", 1);
        return rc;
    }
    rc = sf_vdb_normalize_name(neco, name ? name : "", nname, sizeof nname);
    if (rc) {
        sf_vdb_builder_skip(b, "missing or bad package name", 1);
        return rc;
    }
    bld_aff a = {0};
    if ((rc = intern(b, neco, &a.eco)) || (rc = intern(b, nname, &a.name)))
        return rc;
    a.a.rng_first = (uint32_t)b->rngs.n;
    a.a.ver_first = (uint32_t)b->u32s.n;
    bld_aff *p = PUSH(b->affs);
    if (!p)
        return SF_ENOMEM;
    *p = a;
    b->aff_state = 1;
    return SF_OK;
}

int sf_vdb_rec_range(sf_vdb_builder *b, sf_vrng_type type)
{
    if (b->aff_state != 1)
        return SF_OK;
    range_close(b);
    sf_vdb_rng *r = PUSH(b->rngs);
    if (!r)
        return SF_ENOMEM;
    r->type = (uint32_t)type;
    r->ev_first = (uint32_t)b->evs.n;
    r->ev_count = 0;
    b->rng_open = 1;
    return SF_OK;
}

void sf_vdb_rec_range_abort(sf_vdb_builder *b)
{
    if (!b->rng_open)
        return;
    b->evs.n = b->rngs.v[b->rngs.n - 1].ev_first;
    b->rngs.n--;
    b->rng_open = 0;
}

int sf_vdb_rec_event(sf_vdb_builder *b, sf_vev_kind kind, const char *version)
{
    if (b->aff_state != 1 || !b->rng_open || !version)
        return SF_OK;
    if (!*version) {
        sf_vdb_builder_skip(b, "empty version in range event", 1);
        return SF_OK;
    }
    uint32_t off;
    int rc = intern(b, version, &off);
    if (rc)
        return rc;
    uint32_t *e = PUSH(b->evs);
    if (!e)
        return SF_ENOMEM;
    *e = SF_VEV_MAKE(kind & 3, off);
    b->rngs.v[b->rngs.n - 1].ev_count++;
    return SF_OK;
}

int sf_vdb_rec_version(sf_vdb_builder *b, const char *version)
{
    if (b->aff_state != 1 || !version || !*version)
        return SF_OK;
    /* Versions of one entry are contiguous in u32s: the aliases wait in
     * their own vector until commit, and only this entry appends now. */
    uint32_t off;
    int rc = intern(b, version, &off);
    if (rc)
        return rc;
    uint32_t *p = PUSH(b->u32s);
    if (!p)
        return SF_ENOMEM;
    *p = off;
    b->affs.v[b->affs.n - 1].a.ver_count++;
    return SF_OK;
}

int sf_vdb_rec_commit(sf_vdb_builder *b)
{
    if (!b->in_rec)
        return SF_OK;
    aff_close(b);
    if (b->affs.n == b->save_affs) {
        sf_vdb_builder_skip(b, "no usable affected package", 1);
        sf_vdb_rec_abort(b);
        return SF_OK;
    }
    b->cur.alias_first = (uint32_t)b->u32s.n;
    b->cur.alias_count = (uint32_t)b->aliases.n;
    for (size_t i = 0; i < b->aliases.n; i++) {
        uint32_t *p = PUSH(b->u32s);
        if (!p) {
            sf_vdb_rec_abort(b);
            return SF_ENOMEM;
        }
        *p = b->aliases.v[i];
    }
    uint32_t idx = (uint32_t)b->recs.n;
    sf_vdb_rec *r = PUSH(b->recs);
    if (!r) {
        sf_vdb_rec_abort(b);
        return SF_ENOMEM;
    }
    *r = b->cur;
    for (size_t i = b->save_affs; i < b->affs.n; i++)
        b->affs.v[i].a.rec = idx;
    if (b->sources.n)
        b->sources.v[b->sources.n - 1].records++;
    b->in_rec = 0;
    b->aliases.n = 0;
    return SF_OK;
}

/* ---- ids ---- */

static int id_char(int c) { return isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_'; }

int sf_vdb_normalize_id(const char *in, size_t inlen, char *out, size_t outlen)
{
    while (inlen && isspace((unsigned char)*in))
        in++, inlen--;
    while (inlen && isspace((unsigned char)in[inlen - 1]))
        inlen--;
    if (inlen == 0 || inlen + 1 > outlen)
        return -1;
    int changed = 0;
    size_t n = 0;
    /* "CVE 2018-16859", "CVE_2019-2426", "cve-2019-1" -> "CVE-...". */
    if (inlen > 4 && strncasecmp(in, "cve", 3) == 0 && strchr(" _-", in[3]) &&
        isdigit((unsigned char)in[4])) {
        changed = strncmp(in, "CVE-", 4) != 0;
        memcpy(out, "CVE-", 4);
        n = 4;
        in += 4;
        inlen -= 4;
        size_t digits = 0;
        while (digits < inlen && isdigit((unsigned char)in[digits]))
            digits++;
        if (digits != 4 || inlen < 6 || in[4] != '-')
            return -1;
        for (size_t i = 5; i < inlen; i++)
            if (!isdigit((unsigned char)in[i]))
                return -1;
        if (inlen - 5 < 4)
            return -1;
    }
    /* A list separator glued to the id ("GHSA-jf66-3q76-h5p5,"). */
    while (inlen && (in[inlen - 1] == ',' || in[inlen - 1] == ';')) {
        inlen--;
        changed = 1;
    }
    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!id_char(c))
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    /* An id is a letter prefix, a dash and more: "XSA-297", "GHSA-xxxx-...",
     * "wnpa-sec-2017-18"; "XPTI" or "CVE-????-?????" are not ids. */
    const char *dash = strchr(out, '-');
    if (!isalpha((unsigned char)out[0]) || !dash || !dash[1])
        return -1;
    return changed;
}

/* ---- serialisation ---- */

static int aff_cmp(const void *pa, const void *pb, void *ctx)
{
    const char *s = ctx;
    const bld_aff *a = pa, *b = pb;
    int c = a->eco == b->eco ? 0 : strcmp(s + a->eco, s + b->eco);
    if (!c)
        c = a->name == b->name ? 0 : strcmp(s + a->name, s + b->name);
    if (!c)
        c = a->a.rec < b->a.rec ? -1 : a->a.rec > b->a.rec;
    return c;
}

/* {"total","cvss","kev","epss"}: CVEs known, and those with each fact. */
static json_t *cve_counts(sf_vdb_builder *b)
{
    sf_vdb_cve_stats st;
    sf_vdb_builder_cve_stats(b, &st);
    return json_pack("{s:I,s:I,s:I,s:I}", "total", (json_int_t)st.total, "cvss",
                     (json_int_t)st.with_cvss, "kev", (json_int_t)st.with_kev, "epss",
                     (json_int_t)st.with_epss);
}

/* Build the meta JSON: sources, records per ecosystem, skipped counts. */
static int build_meta(sf_vdb_builder *b, const sf_vdb_pkg *pkgs, size_t npkg, uint32_t *off)
{
    int rc = SF_ENOMEM;
    char *text = NULL;
    uint32_t *seen = calloc(b->recs.n ? b->recs.n : 1, sizeof *seen);
    json_t *m = json_object(), *srcs = json_array(), *ecos = json_object(),
           *skips = json_object();
    if (!seen || !m || !srcs || !ecos || !skips)
        goto done;
    for (size_t i = 0; i < b->sources.n; i++) {
        json_t *s = json_pack("{s:s,s:s,s:I,s:I}", "source", b->sources.v[i].label, "kind",
                              b->sources.v[i].kind, "records",
                              (json_int_t)b->sources.v[i].records, "cve_facts",
                              (json_int_t)b->sources.v[i].cve_facts);
        if (!s || json_array_append_new(srcs, s))
            goto done;
    }
    /* Records per ecosystem: pkgs are sorted by ecosystem, so one pass with
     * a per-record stamp of the ecosystem group counts each record once. */
    uint32_t stamp = 0;
    for (size_t i = 0; i < npkg;) {
        const char *eco = b->str.data + pkgs[i].eco;
        stamp++;
        json_int_t n = 0;
        for (; i < npkg && strcmp(b->str.data + pkgs[i].eco, eco) == 0; i++) {
            for (uint32_t k = 0; k < pkgs[i].aff_count; k++) {
                uint32_t r = b->affs.v[pkgs[i].aff_first + k].a.rec;
                if (seen[r] != stamp) {
                    seen[r] = stamp;
                    n++;
                }
            }
        }
        if (json_object_set_new(ecos, eco, json_integer(n)))
            goto done;
    }
    for (size_t i = 0; i < b->skips.n; i++)
        if (json_object_set_new(skips, b->skips.v[i].key, json_integer((json_int_t)b->skips.v[i].n)))
            goto done;
    if (json_object_set(m, "sources", srcs) || json_object_set(m, "ecosystems", ecos) ||
        json_object_set(m, "skipped", skips) ||
        json_object_set_new(m, "records", json_integer((json_int_t)b->recs.n)) ||
        json_object_set_new(m, "packages", json_integer((json_int_t)npkg)) ||
        json_object_set_new(m, "cves", cve_counts(b)))
        goto done;
    text = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text)
        goto done;
    rc = intern(b, text, off);
done:
    free(text);
    free(seen);
    json_decref(m);
    json_decref(srcs);
    json_decref(ecos);
    json_decref(skips);
    return rc;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

int sf_vdb_builder_serialize(sf_vdb_builder *b, void **out, size_t *outlen, sf_error *err)
{
    int rc = SF_ENOMEM;
    sf_vdb_pkg *pkgs = NULL;
    sf_vdb_cve *cves = NULL;
    sf_vdb_cvss *cvss = NULL;
    char *file = NULL;
    size_t npkg = 0, ncve = 0, ncvss = 0, u32_save = b->u32s.n;
    sf_vdb_rec_abort(b);
    /* CWE lists join u32s for this image only: serialising twice must not
     * append them twice. */
    if ((rc = sf_vdb__cves_emit(b, &cves, &ncve, &cvss, &ncvss)))
        goto done;
    rc = SF_ENOMEM;
    if (b->affs.n)
        qsort_r(b->affs.v, b->affs.n, sizeof *b->affs.v, aff_cmp, b->str.data);
    /* Group the sorted entries into the index; affs keep their order. */
    pkgs = malloc((b->affs.n ? b->affs.n : 1) * sizeof *pkgs);
    if (!pkgs)
        goto done;
    for (size_t i = 0; i < b->affs.n; i++) {
        const bld_aff *a = &b->affs.v[i];
        if (npkg && pkgs[npkg - 1].eco == a->eco && pkgs[npkg - 1].name == a->name) {
            pkgs[npkg - 1].aff_count++;
            continue;
        }
        pkgs[npkg++] = (sf_vdb_pkg){a->eco, a->name, (uint32_t)i, 1};
    }
    uint32_t meta = 0;
    if ((rc = build_meta(b, pkgs, npkg, &meta)))
        goto done;
    rc = SF_ENOMEM;
    sf_vdb_hdr h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SF_VDB_MAGIC, 8);
    h.format = SF_VDB_FORMAT;
    h.endian = SF_VDB_ENDIAN;
    h.built = b->built;
    h.meta = meta;
    const size_t counts[SF_VSEC_COUNT] = {b->str.len, b->recs.n, npkg, b->affs.n, b->rngs.n,
                                          b->evs.n, b->u32s.n, ncve, ncvss};
    const size_t elem[SF_VSEC_COUNT] = {1, sizeof(sf_vdb_rec), sizeof(sf_vdb_pkg),
                                        sizeof(sf_vdb_aff), sizeof(sf_vdb_rng), 4, 4,
                                        sizeof(sf_vdb_cve), sizeof(sf_vdb_cvss)};
    size_t pos = SF_VDB_HDR_SIZE;
    for (int s = 0; s < SF_VSEC_COUNT; s++) {
        h.sec[s].off = pos;
        h.sec[s].count = counts[s];
        pos = align8(pos + counts[s] * elem[s]);
    }
    h.file_size = pos;
    file = calloc(1, pos);
    if (!file)
        goto done;
    memcpy(file + h.sec[SF_VSEC_STRINGS].off, b->str.data, b->str.len);
    if (b->recs.n)
        memcpy(file + h.sec[SF_VSEC_RECORDS].off, b->recs.v, b->recs.n * sizeof(sf_vdb_rec));
    if (npkg)
        memcpy(file + h.sec[SF_VSEC_PKGS].off, pkgs, npkg * sizeof *pkgs);
    sf_vdb_aff *affs = (sf_vdb_aff *)(file + h.sec[SF_VSEC_AFFS].off);
    for (size_t i = 0; i < b->affs.n; i++)
        affs[i] = b->affs.v[i].a;
    if (b->rngs.n)
        memcpy(file + h.sec[SF_VSEC_RANGES].off, b->rngs.v, b->rngs.n * sizeof(sf_vdb_rng));
    if (b->evs.n)
        memcpy(file + h.sec[SF_VSEC_EVENTS].off, b->evs.v, b->evs.n * 4);
    if (b->u32s.n)
        memcpy(file + h.sec[SF_VSEC_U32S].off, b->u32s.v, b->u32s.n * 4);
    if (ncve)
        memcpy(file + h.sec[SF_VSEC_CVES].off, cves, ncve * sizeof *cves);
    if (ncvss)
        memcpy(file + h.sec[SF_VSEC_CVSS].off, cvss, ncvss * sizeof *cvss);
    memcpy(file, &h, sizeof h); /* sha256 still zero: hashed that way */
    if (sf_vdb_checksum(file, pos, h.sha256)) {
        rc = SF_EINTERNAL;
        goto done;
    }
    memcpy(file + offsetof(sf_vdb_hdr, sha256), h.sha256, sizeof h.sha256);
    *out = file;
    *outlen = pos;
    file = NULL;
    rc = SF_OK;
done:
    if (rc)
        sf_error_set(err, rc, "vdb: serialising the database failed");
    b->u32s.n = u32_save;
    free(cves);
    free(cvss);
    free(pkgs);
    free(file);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int sf_vdb_builder_write(sf_vdb_builder *b, const char *path, sf_error *err)
{
    void *data = NULL;
    size_t len = 0;
    char tmp[4096], dir[4096];
    int fd = -1, created = 0;
    int rc = sf_vdb_builder_serialize(b, &data, &len, err);
    if (rc)
        return rc;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
        rc = sf_error_set(err, SF_EINVAL, "vdb: path too long: %s", path);
        goto done;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = sf_error_set(err, SF_EIO, "vdb: cannot create %s: %s", tmp, strerror(errno));
        goto done;
    }
    created = 1;
    if (write_all(fd, data, len) || fsync(fd)) {
        rc = sf_error_set(err, SF_EIO, "vdb: writing %s: %s", tmp, strerror(errno));
        goto done;
    }
    close(fd);
    fd = -1;
    if (rename(tmp, path)) {
        rc = sf_error_set(err, SF_EIO, "vdb: rename to %s: %s", path, strerror(errno));
        goto done;
    }
    created = 0;
    /* Make the rename itself durable. */
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
done:
    if (fd >= 0) {
        close(fd);
    }
    if (created)
        unlink(tmp);
    free(data);
    return rc;
}
