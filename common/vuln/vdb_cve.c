/*
 * vdb_cve: the builder's per-CVE table (see vdb_build.h): NVD records,
 * CISA KEV entries and EPSS scores, keyed by the interned CVE id through
 * an open-addressing hash of string offsets (interned strings are equal
 * exactly when their offsets are). An NVD record is staged at the end of
 * the CVSS and CWE arrays and either adopted by its entry at commit or
 * truncated away; a replaced record's slices become garbage that
 * sf_vdb__cves_emit leaves behind when it copies every entry's slices
 * into the file's contiguous arrays.
 */
#include "vuln/vdb_build_int.h"

#include "base/err.h"
#include "vuln/cvss.h"

#include <math.h>
#include <string.h>

struct sf_vdb_cvetab {
    VEC(sf_vdb_cve) ents; /* cvss/cwe slices index cvss / cwes below */
    uint32_t *slots;      /* entry index + 1, 0 = empty */
    size_t nslots;
    VEC(sf_vdb_cvss) cvss;
    VEC(uint32_t) cwes;
    int open;             /* an NVD record is being staged */
    sf_vdb_cve cur;
};

int sf_vdb__cvetab_new(sf_vdb_cvetab **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? SF_OK : SF_ENOMEM;
}

void sf_vdb__cvetab_free(sf_vdb_cvetab *t)
{
    if (!t)
        return;
    free(t->ents.v);
    free(t->slots);
    free(t->cvss.v);
    free(t->cwes.v);
    free(t);
}

static size_t slot_of(uint32_t off, size_t nslots)
{
    return (size_t)(off * 2654435761u) & (nslots - 1);
}

static int grow_slots(sf_vdb_cvetab *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : 1024;
    uint32_t *slots = calloc(ns, sizeof *slots);
    if (!slots)
        return SF_ENOMEM;
    for (size_t i = 0; i < t->ents.n; i++) {
        size_t j = slot_of(t->ents.v[i].id, ns);
        while (slots[j])
            j = (j + 1) & (ns - 1);
        slots[j] = (uint32_t)i + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = ns;
    return SF_OK;
}

/* The entry of id (interned offset), created empty when absent. */
static sf_vdb_cve *entry(sf_vdb_cvetab *t, uint32_t id)
{
    if ((t->ents.n + 1) * 2 > t->nslots && grow_slots(t))
        return NULL;
    size_t j = slot_of(id, t->nslots);
    for (; t->slots[j]; j = (j + 1) & (t->nslots - 1))
        if (t->ents.v[t->slots[j] - 1].id == id)
            return &t->ents.v[t->slots[j] - 1];
    sf_vdb_cve *e = PUSH(t->ents);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->id = id;
    t->slots[j] = (uint32_t)t->ents.n;
    return e;
}

/* A clean CVE id: "CVE-YYYY-NNNN..." (normalised by the importers). */
static int cve_id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 13 || n > 32 || strncmp(id, "CVE-", 4) != 0 || id[8] != '-')
        return 0;
    for (size_t i = 4; i < n; i++)
        if (i != 8 && (id[i] < '0' || id[i] > '9'))
            return 0;
    return 1;
}

static sf_vdb_cve *entry_for(sf_vdb_builder *b, const char *id, int *rc)
{
    uint32_t off;
    *rc = SF_OK;
    if (!cve_id_ok(id)) {
        sf_vdb__skip(b, "cve: malformed CVE id", 1);
        return NULL;
    }
    if ((*rc = sf_vdb__intern(b, id, &off)))
        return NULL;
    sf_vdb_cve *e = entry(sf_vdb__cvetab(b), off);
    if (!e)
        *rc = SF_ENOMEM;
    return e;
}

void sf_vdb_cve_abort(sf_vdb_builder *b)
{
    sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    if (!t->open)
        return;
    t->cvss.n = t->cur.cvss_first;
    t->cwes.n = t->cur.cwe_first;
    t->open = 0;
}

int sf_vdb_cve_begin(sf_vdb_builder *b, const char *id, const char *published,
                     const char *modified, const char *status)
{
    sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    sf_vdb_cve_abort(b);
    if (!cve_id_ok(id)) {
        sf_vdb__skip(b, "nvd: missing or malformed CVE id", 1);
        return SF_EPARSE;
    }
    memset(&t->cur, 0, sizeof t->cur);
    int rc = sf_vdb__intern(b, id, &t->cur.id);
    if (!rc)
        rc = sf_vdb__intern(b, published, &t->cur.published);
    if (!rc)
        rc = sf_vdb__intern(b, modified, &t->cur.modified);
    if (!rc)
        rc = sf_vdb__intern(b, status, &t->cur.status);
    if (rc)
        return rc;
    t->cur.cvss_first = (uint32_t)t->cvss.n;
    t->cur.cwe_first = (uint32_t)t->cwes.n;
    t->open = 1;
    return SF_OK;
}

int sf_vdb_cve_cwe(sf_vdb_builder *b, const char *cwe)
{
    sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    uint32_t off;
    if (!t->open || !cwe || !*cwe)
        return SF_OK;
    int rc = sf_vdb__intern(b, cwe, &off);
    if (rc)
        return rc;
    for (uint32_t i = 0; i < t->cur.cwe_count; i++)
        if (t->cwes.v[t->cur.cwe_first + i] == off)
            return SF_OK; /* NVD lists a CWE once per source */
    uint32_t *p = PUSH(t->cwes);
    if (!p)
        return SF_ENOMEM;
    *p = off;
    t->cur.cwe_count++;
    return SF_OK;
}

static int version_code(const char *v)
{
    static const struct {
        const char *s;
        int code;
    } tab[] = {{"2.0", 20}, {"3.0", 30}, {"3.1", 31}, {"4.0", 40}};
    for (size_t i = 0; v && i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(v, tab[i].s) == 0)
            return tab[i].code;
    return 0;
}

int sf_vdb_cve_cvss(sf_vdb_builder *b, const char *version, const char *vector,
                    const char *source, int primary, double stated)
{
    sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    if (!t->open)
        return SF_OK;
    int ver = version_code(version);
    if (!ver || !vector || !*vector) {
        sf_vdb__skip(b, "nvd: CVSS metric without a known version or vector", 1);
        return SF_OK;
    }
    double score = -1;
    int have = sf_cvss_score(vector, &score, NULL, 0) == SF_OK;
    if (stated >= 0 && !(stated <= 10.0))
        stated = -1;
    if (!have && stated < 0) {
        sf_vdb__skip(b, "nvd: CVSS vector that cannot be scored and no stated score", 1);
        return SF_OK;
    }
    if (!have) {
        sf_vdb__skip(b, "nvd: CVSS vector not scored here, stated baseScore kept", 1);
        score = stated;
    } else if (stated >= 0 && lround(score * 10) != lround(stated * 10)) {
        sf_vdb__skip(b, "nvd: computed CVSS score differs from the stated baseScore", 1);
    }
    sf_vdb_cvss m = {0};
    int rc = sf_vdb__intern(b, vector, &m.vector);
    if (!rc)
        rc = sf_vdb__intern(b, source, &m.source);
    if (rc)
        return rc;
    m.version = (uint16_t)ver;
    m.type = primary ? SF_VCVSS_PRIMARY : SF_VCVSS_SECONDARY;
    m.score10 = (uint16_t)lround(score * 10);
    m.stated10 = stated >= 0 ? (uint16_t)lround(stated * 10) : 0xffff;
    sf_vdb_cvss *p = PUSH(t->cvss);
    if (!p)
        return SF_ENOMEM;
    *p = m;
    t->cur.cvss_count++;
    return SF_OK;
}

int sf_vdb_cve_commit(sf_vdb_builder *b)
{
    sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    if (!t->open)
        return SF_OK;
    sf_vdb_cve *e = entry(t, t->cur.id);
    if (!e) {
        sf_vdb_cve_abort(b);
        return SF_ENOMEM;
    }
    /* ISO 8601 timestamps of one format order as strings. */
    if ((e->flags & SF_VCVE_F_NVD) &&
        strcmp(sf_vdb__str(b, e->modified), sf_vdb__str(b, t->cur.modified)) > 0) {
        sf_vdb__skip(b, "nvd: older copy of a record already imported", 1);
        sf_vdb_cve_abort(b);
        return SF_OK;
    }
    e->published = t->cur.published;
    e->modified = t->cur.modified;
    e->status = t->cur.status;
    e->cwe_first = t->cur.cwe_first;
    e->cwe_count = t->cur.cwe_count;
    e->cvss_first = t->cur.cvss_first;
    e->cvss_count = t->cur.cvss_count;
    e->flags |= SF_VCVE_F_NVD;
    t->open = 0;
    sf_vdb__source_cve_fact(b);
    return SF_OK;
}

int sf_vdb_cve_kev(sf_vdb_builder *b, const char *id, const char *date_added,
                   const char *due_date, int ransomware)
{
    int rc;
    sf_vdb_cve *e = entry_for(b, id, &rc);
    if (!e)
        return rc;
    uint32_t added, due;
    if ((rc = sf_vdb__intern(b, date_added, &added)) || (rc = sf_vdb__intern(b, due_date, &due)))
        return rc;
    e->kev_added = added;
    e->kev_due = due;
    e->flags |= SF_VCVE_F_KEV;
    e->flags = ransomware ? e->flags | SF_VCVE_F_RANSOMWARE : e->flags & ~SF_VCVE_F_RANSOMWARE;
    sf_vdb__source_cve_fact(b);
    return SF_OK;
}

int sf_vdb_cve_epss(sf_vdb_builder *b, const char *id, double score, double percentile,
                    const char *date)
{
    if (!(score >= 0 && score <= 1 && percentile >= 0 && percentile <= 1)) {
        sf_vdb__skip(b, "epss: score or percentile outside [0, 1]", 1);
        return SF_OK;
    }
    int rc;
    sf_vdb_cve *e = entry_for(b, id, &rc);
    if (!e)
        return rc;
    uint32_t d;
    if ((rc = sf_vdb__intern(b, date, &d)))
        return rc;
    e->epss = (float)score;
    e->epss_pct = (float)percentile;
    e->epss_date = d;
    e->flags |= SF_VCVE_F_EPSS;
    sf_vdb__source_cve_fact(b);
    return SF_OK;
}

void sf_vdb_builder_cve_stats(sf_vdb_builder *b, sf_vdb_cve_stats *out)
{
    const sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < t->ents.n; i++) {
        const sf_vdb_cve *e = &t->ents.v[i];
        out->total++;
        out->with_cvss += e->cvss_count > 0;
        out->with_kev += (e->flags & SF_VCVE_F_KEV) != 0;
        out->with_epss += (e->flags & SF_VCVE_F_EPSS) != 0;
    }
}

static int idx_cmp(const void *a, const void *b, void *ctx)
{
    const char *s = ctx;
    const sf_vdb_cve *x = *(sf_vdb_cve *const *)a, *y = *(sf_vdb_cve *const *)b;
    return strcmp(s + x->id, s + y->id);
}

int sf_vdb__cves_emit(sf_vdb_builder *b, sf_vdb_cve **cves, size_t *ncve, sf_vdb_cvss **cvss,
                      size_t *ncvss)
{
    sf_vdb_cvetab *t = sf_vdb__cvetab(b);
    size_t n = t->ents.n, m = 0;
    sf_vdb_cve_abort(b);
    for (size_t i = 0; i < n; i++)
        m += t->ents.v[i].cvss_count;
    sf_vdb_cve **order = malloc((n ? n : 1) * sizeof *order);
    *cves = malloc((n ? n : 1) * sizeof **cves);
    *cvss = malloc((m ? m : 1) * sizeof **cvss);
    int rc = order && *cves && *cvss ? SF_OK : SF_ENOMEM;
    for (size_t i = 0; i < n && !rc; i++)
        order[i] = &t->ents.v[i];
    if (!rc && n)
        qsort_r(order, n, sizeof *order, idx_cmp, (void *)sf_vdb__str(b, 0));
    size_t k = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        sf_vdb_cve e = *order[i];
        if (e.cvss_count) /* t->cvss.v is NULL until a first metric */
            memcpy(*cvss + k, t->cvss.v + e.cvss_first, e.cvss_count * sizeof **cvss);
        e.cvss_first = (uint32_t)k;
        k += e.cvss_count;
        uint32_t first = 0, idx;
        for (uint32_t c = 0; c < e.cwe_count && !rc; c++) {
            rc = sf_vdb__u32_append(b, t->cwes.v[order[i]->cwe_first + c], &idx);
            if (c == 0)
                first = idx;
        }
        e.cwe_first = e.cwe_count ? first : 0;
        (*cves)[i] = e;
    }
    free(order);
    if (rc) {
        free(*cves);
        free(*cvss);
        *cves = NULL;
        *cvss = NULL;
        return rc;
    }
    *ncve = n;
    *ncvss = m;
    return SF_OK;
}
