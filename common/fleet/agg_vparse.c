/*
 * agg_vparse: the stored fleet view's own reader (see agg_vparse.h for
 * what it accepts). One pass over the bytes with a cursor; every member
 * and element is checked against the one form sf_agg_view_json writes,
 * and anything else ends the pass with VP_NO, the view so far freed, for
 * the jansson reading to answer. Equal answers need every accepted value
 * to be what jansson would make of it: strings are taken only when each
 * byte is printable ASCII or a short escape (jansson's unescaping of
 * those is one byte each), numbers only in JSON's grammar and converted
 * as jansson converts them (strtoll's value for integers, strtod's,
 * correctly rounded, for reals).
 */
#include "fleet/agg_vparse.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"

/* A string member or finding field: agg_view.c keeps none longer than
 * SF_AGG_STR_MAX. The aliases are many ids of that cap joined: 64 of
 * them is far past any advisory's list (longer: the reference reads it). */
#define VP_STR_MAX SF_AGG_STR_MAX
#define VP_ALIASES_MAX (64 * (SF_AGG_STR_MAX + 1))
/* A real as jansson writes it (%.17g, an exponent) is under 25 bytes. */
#define VP_NUM_MAX 32
/* A severity name is under 16 bytes ("MODERATE", "CRITICAL"). */
#define VP_SEV_MAX 15
/* The longest member name ("vulns"). */
#define VP_KEY_MAX 8

enum { VP_OOM = -1, VP_NO = 0, VP_OK = 1 };

typedef struct vp_cur {
    const char *s; /* the document (no NUL needed) */
    size_t i;      /* next byte */
    size_t n;      /* its length */
} vp_cur;

/* Members past sf_agg_view_fields (the string members), by index
 * sf_agg_view_nfields + k. */
static const char *const vp_extra[] = {"t", "rk", "refs", "vulns"};
enum { VP_T, VP_RK, VP_REFS, VP_VULNS, VP_NEXTRA };

static int vp_ch(vp_cur *c, char ch)
{
    if (c->i < c->n && c->s[c->i] == ch) {
        c->i++;
        return 1;
    }
    return 0;
}

static int vp_lit(vp_cur *c, const char *w, size_t wl)
{
    if (c->n - c->i < wl || memcmp(c->s + c->i, w, wl) != 0)
        return 0;
    c->i += wl;
    return 1;
}

static int vp_hex(char ch)
{
    static const char digits[] = "0123456789abcdefABCDEF";
    const char *p = ch ? memchr(digits, ch, sizeof digits - 1) : NULL;
    if (!p)
        return -1;
    return p - digits < 16 ? (int)(p - digits) : (int)(p - digits) - 6;
}

/* The escape at s[*i] (its backslash), s[0..n): the byte it stands for,
 * *i past it; -1 when not one this reader takes (\u0000 and \u0080 on
 * decode to NUL or to UTF-8 sequences: the reference's to handle). */
static int vp_esc(const char *s, size_t n, size_t *i)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    size_t k = *i + 1;
    if (k >= n)
        return -1;
    const char *p = memchr(from, s[k], sizeof from - 1);
    if (p) {
        *i = k + 1;
        return to[p - from];
    }
    if (s[k] != 'u' || n - k < 5)
        return -1;
    int r = 0;
    for (size_t j = 1; j <= 4; j++) {
        int h = vp_hex(s[k + j]);
        if (h < 0)
            return -1;
        r = r * 16 + h;
    }
    if (r < 1 || r > 0x7f)
        return -1;
    *i = k + 5;
    return r;
}

/* The string at c (its opening quote), not consumed: *end the index of
 * its closing quote, *dl its decoded length (at most max). 0 when not of
 * the fast form. */
static int vp_span(const vp_cur *c, size_t max, size_t *end, size_t *dl)
{
    size_t i = c->i, d = 0;
    if (i >= c->n || c->s[i] != '"')
        return 0;
    for (i++;; d++) {
        if (i >= c->n || d > max)
            return 0;
        unsigned char ch = (unsigned char)c->s[i];
        if (ch == '"')
            break;
        if (ch < 0x20 || ch >= 0x80)
            return 0;
        if (ch != '\\')
            i++;
        else if (vp_esc(c->s, c->n, &i) < 0)
            return 0;
    }
    *end = i;
    *dl = d;
    return 1;
}

/* Decode s[i..end), checked by vp_span, into d (room for it and a NUL). */
static void vp_decode(const char *s, size_t i, size_t end, char *d)
{
    if (!memchr(s + i, '\\', end - i)) {
        memcpy(d, s + i, end - i);
        d[end - i] = '\0';
        return;
    }
    size_t k = 0;
    while (i < end)
        d[k++] = s[i] == '\\' ? (char)vp_esc(s, end, &i) : s[i++];
    d[k] = '\0';
}

/* A string into a new heap copy, *out. */
static int vp_str(vp_cur *c, size_t max, char **out)
{
    size_t end, dl;
    if (!vp_span(c, max, &end, &dl))
        return VP_NO;
    char *d = malloc(dl + 1);
    if (!d)
        return VP_OOM;
    vp_decode(c->s, c->i + 1, end, d);
    c->i = end + 1;
    *out = d;
    return VP_OK;
}

/* A string or null (*out NULL), as the reference's dup_or_null reads the
 * members it keeps. */
static int vp_nstr(vp_cur *c, size_t max, char **out)
{
    if (vp_lit(c, "null", 4)) {
        *out = NULL;
        return VP_OK;
    }
    return vp_str(c, max, out);
}

/* The number token at c in JSON's grammar: its length (0: none), *isint
 * 0 when it has a fraction or an exponent (jansson's real). */
static size_t vp_numtok(const vp_cur *c, int *isint)
{
    const char *s = c->s;
    size_t i = c->i, n = c->n, b;
    *isint = 1;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        *isint = 0;
        for (b = ++i; i < n && s[i] >= '0' && s[i] <= '9';)
            i++;
        if (i == b)
            return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        *isint = 0;
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (b = i; i < n && s[i] >= '0' && s[i] <= '9';)
            i++;
        if (i == b)
            return 0;
    }
    return i - c->i;
}

/* An integer token of at most 18 digits (no int64 overflow, where
 * jansson's strtoll would fail past 19). */
static int vp_int(vp_cur *c, int64_t *out)
{
    int isint;
    size_t tl = vp_numtok(c, &isint);
    const char *p = c->s + c->i;
    size_t neg = tl > 0 && *p == '-';
    if (!tl || !isint || tl - neg > 18)
        return VP_NO;
    int64_t v = 0;
    for (size_t i = neg; i < tl; i++)
        v = v * 10 + (p[i] - '0');
    *out = neg ? -v : v;
    c->i += tl;
    return VP_OK;
}

/* p[0..tl), a real token, when its digits and exponent allow one exact
 * operation (at most 15 significant digits, so the integer is exact,
 * and a power of ten that a double holds exactly): that operation's
 * correctly rounded result is strtod's. 0: not that case. */
static int vp_real_exact(const char *p, size_t tl, double *out)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#if FLT_EVAL_METHOD != 0
    return 0; /* wider intermediates would round twice */
#endif
    size_t i = *p == '-';
    uint64_t m = 0;
    int nd = 0, frac = 0, e10 = 0, ex = 0, eneg = 0;
    for (; i < tl && p[i] != 'e' && p[i] != 'E'; i++) {
        if (p[i] == '.') {
            frac = 1;
            continue;
        }
        e10 -= frac;
        if (m == 0 && p[i] == '0')
            continue; /* a leading zero is no significant digit */
        if (++nd > 15)
            return 0;
        m = m * 10 + (uint64_t)(p[i] - '0');
    }
    if (i < tl && (p[++i] == '+' || p[i] == '-'))
        eneg = p[i++] == '-';
    for (; i < tl; i++)
        if ((ex = ex * 10 + (p[i] - '0')) > 400)
            return 0;
    e10 += eneg ? -ex : ex;
    double d = (double)m;
    if (m != 0 && (e10 < -22 || e10 > 22))
        return 0;
    if (m != 0)
        d = e10 < 0 ? d / p10[-e10] : d * p10[e10];
    *out = *p == '-' ? -d : d;
    return 1;
}

/* A number (json_number_value: an integer's value as a double too). */
static int vp_real(vp_cur *c, double *out)
{
    int isint;
    size_t tl = vp_numtok(c, &isint);
    if (isint) {
        int64_t v;
        if (vp_int(c, &v) != VP_OK)
            return VP_NO;
        *out = (double)v;
        return VP_OK;
    }
    if (tl > VP_NUM_MAX)
        return VP_NO;
    const char *p = c->s + c->i;
    if (!vp_real_exact(p, tl, out)) {
        /* jansson's own conversion: strtod, the '.' put in the locale's
         * form first; here a locale without '.' stops strtod short and
         * the reference answers */
        char buf[VP_NUM_MAX + 1], *end;
        memcpy(buf, p, tl);
        buf[tl] = '\0';
        double d = strtod(buf, &end);
        if (end != buf + tl || !isfinite(d)) /* overflow: jansson's error */
            return VP_NO;
        *out = d;
    }
    c->i += tl;
    return VP_OK;
}

/* A number or null (-1, the reference's "not a number"). */
static int vp_nreal(vp_cur *c, double *out)
{
    if (vp_lit(c, "null", 4)) {
        *out = -1;
        return VP_OK;
    }
    return vp_real(c, out);
}

/* A severity name (or null: the reference's sf_agg_sev_parse(NULL)). */
static int vp_sev(vp_cur *c, int *sev)
{
    char name[VP_SEV_MAX + 1];
    size_t end, dl;
    if (vp_lit(c, "null", 4)) {
        *sev = sf_agg_sev_parse(NULL);
        return VP_OK;
    }
    if (!vp_span(c, VP_SEV_MAX, &end, &dl))
        return VP_NO;
    vp_decode(c->s, c->i + 1, end, name);
    c->i = end + 1;
    *sev = sf_agg_sev_parse(name);
    return VP_OK;
}

/* true / false / null as json_is_true reads them. */
static int vp_bool(vp_cur *c, int *out)
{
    if (vp_lit(c, "true", 4))
        return *out = 1, VP_OK;
    return vp_lit(c, "false", 5) || vp_lit(c, "null", 4) ? (*out = 0, VP_OK) : VP_NO;
}

/* Element k of a finding tuple into f: [id, pkg, installed, fixed, eco,
 * severity, cvss, kev, epss, epss_pct, aliases], the last ones absent in
 * older views. */
static int vp_elem(vp_cur *c, sf_agg_vuln *f, int k)
{
    switch (k) {
    case 0: return vp_str(c, VP_STR_MAX, &f->id);
    case 1: return vp_str(c, VP_STR_MAX, &f->pkg);
    case 2: return vp_nstr(c, VP_STR_MAX, &f->installed);
    case 3: return vp_nstr(c, VP_STR_MAX, &f->fixed);
    case 4: return vp_nstr(c, VP_STR_MAX, &f->eco);
    case 5: return vp_sev(c, &f->sev);
    case 6: return vp_nreal(c, &f->cvss);
    case 7: return vp_bool(c, &f->kev);
    case 8: return vp_nreal(c, &f->epss);
    case 9: return vp_nreal(c, &f->epss_pct);
    case 10: return vp_nstr(c, VP_ALIASES_MAX, &f->aliases);
    default: return VP_NO; /* more than the reference reads */
    }
}

static int vp_vuln(vp_cur *c, sf_agg_vuln *f)
{
    f->sev = sf_agg_sev_parse(NULL);
    f->cvss = f->epss = f->epss_pct = -1;
    if (!vp_ch(c, '['))
        return VP_NO;
    for (int k = 0;; k++) {
        int r = vp_elem(c, f, k);
        if (r != VP_OK)
            return r;
        if (vp_ch(c, ']'))
            return k >= 1 ? VP_OK : VP_NO; /* id and pkg are required */
        if (!vp_ch(c, ','))
            return VP_NO;
    }
}

/* An array at c whose elements elem reads into v (*cap: the room of
 * the array it fills). */
typedef int (*vp_elem_fn)(vp_cur *c, sf_agg_view *v, size_t *cap);

static int vp_array(vp_cur *c, sf_agg_view *v, vp_elem_fn elem)
{
    size_t cap = 0;
    if (!vp_ch(c, '['))
        return VP_NO;
    if (vp_ch(c, ']'))
        return VP_OK;
    for (;;) {
        int r = elem(c, v, &cap);
        if (r != VP_OK)
            return r;
        if (vp_ch(c, ']'))
            return VP_OK;
        if (!vp_ch(c, ','))
            return VP_NO;
    }
}

/* One finding of the findings array. It is counted in v before it is
 * read, so that sf_agg_view_free releases a half-read one. */
static int vp_vulns_elem(vp_cur *c, sf_agg_view *v, size_t *cap)
{
    if (v->nvulns >= SF_AGG_MAX_VULNS)
        return VP_NO;
    /* room for one more and the zeroed slot after it (the reference's
     * calloc(n + 1)) */
    if (SF_ARRAY_RESERVE(v->vulns, *cap, v->nvulns + 1, 32, 0) != SF_OK)
        return VP_OOM;
    sf_agg_vuln *f = &v->vulns[v->nvulns++];
    memset(f, 0, 2 * sizeof *f);
    int r = vp_vuln(c, f);
    if (r == VP_OK) {
        v->sev[f->sev]++;
        v->fixable += f->fixed != NULL;
    }
    return r;
}

/* One ref: strings only, the list NULL-terminated as the reference's. */
static int vp_refs_elem(vp_cur *c, sf_agg_view *v, size_t *cap)
{
    if (v->nrefs >= SF_AGG_MAX_REFS)
        return VP_NO;
    if (SF_ARRAY_RESERVE(v->refs, *cap, v->nrefs + 1, 4, 0) != SF_OK)
        return VP_OOM;
    v->refs[v->nrefs] = v->refs[v->nrefs + 1] = NULL;
    int r = vp_str(c, VP_STR_MAX, &v->refs[v->nrefs]);
    v->nrefs += r == VP_OK;
    return r;
}

/* The member name at c: its index (sf_agg_view_fields, then vp_extra),
 * c past it; -1 when unknown or not plain. */
static int vp_key(vp_cur *c)
{
    size_t end, dl;
    if (!vp_span(c, VP_KEY_MAX, &end, &dl) || dl != end - c->i - 1)
        return -1;
    const char *k = c->s + c->i + 1;
    for (size_t m = 0; m < sf_agg_view_nfields + VP_NEXTRA; m++) {
        const char *name =
            m < sf_agg_view_nfields ? sf_agg_view_fields[m].key : vp_extra[m - sf_agg_view_nfields];
        if (strlen(name) == dl && memcmp(name, k, dl) == 0) {
            c->i = end + 1;
            return (int)m;
        }
    }
    return -1;
}

static int vp_member(vp_cur *c, sf_agg_view *v, size_t m)
{
    if (m < sf_agg_view_nfields)
        return vp_nstr(c, VP_STR_MAX, SF_STRFIELD_PTR(v, sf_agg_view_fields[m]));
    switch (m - sf_agg_view_nfields) {
    case VP_T: return vp_int(c, &v->time_ms);
    case VP_RK: return vp_int(c, &v->refs_rank);
    case VP_REFS: return vp_array(c, v, vp_refs_elem);
    default: return vp_array(c, v, vp_vulns_elem);
    }
}

/* The object, each known member at most once (the reference keeps a
 * repeated one's last value: declined rather than followed). */
static int vp_members(vp_cur *c, sf_agg_view *v)
{
    uint32_t seen = 0;
    if (sf_agg_view_nfields + VP_NEXTRA > 32 || !vp_ch(c, '{'))
        return VP_NO;
    if (vp_ch(c, '}'))
        return VP_OK;
    for (;;) {
        int m = vp_key(c);
        if (m < 0 || (seen >> m & 1) || !vp_ch(c, ':'))
            return VP_NO;
        seen |= UINT32_C(1) << m;
        int r = vp_member(c, v, (size_t)m);
        if (r != VP_OK)
            return r;
        if (vp_ch(c, '}'))
            return VP_OK;
        if (!vp_ch(c, ','))
            return VP_NO;
    }
}

int sf_agg_vp_parse(const char *json, size_t len, sf_agg_view **out)
{
    vp_cur c = {json, 0, json ? len : 0};
    sf_agg_view *v = calloc(1, sizeof *v);
    *out = NULL;
    if (!v)
        return SF_ENOMEM;
    v->refs_rank = -1; /* absent "rk" */
    int r = vp_members(&c, v);
    /* the reference's requirements: all of the document, "d" a string,
     * "j", "r", "v" present */
    if (r == VP_OK && (c.i != c.n || !v->digest || !v->job_key || !v->run_id || !v->db_version))
        r = VP_NO;
    /* no refs or findings: the reference's empty arrays are allocated */
    if (r == VP_OK && !v->refs && !(v->refs = calloc(1, sizeof *v->refs)))
        r = VP_OOM;
    if (r == VP_OK && !v->vulns && !(v->vulns = calloc(1, sizeof *v->vulns)))
        r = VP_OOM;
    if (r != VP_OK) {
        sf_agg_view_free(v);
        return r == VP_OOM ? SF_ENOMEM : 0;
    }
    *out = v;
    return 1;
}
