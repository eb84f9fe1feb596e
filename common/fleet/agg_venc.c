/*
 * agg_venc: the stored fleet view's own writer (see agg_venc.h). The
 * members in the order sf_agg_view_json_ref inserts them (jansson keeps
 * insertion order), strings escaped as jansson's dump escapes them
 * (quote, backslash and the short control escapes, other controls as
 * \u00XX in upper-case hex, '/' and DEL as they are), integers in
 * decimal, reals as jansson's non-dtoa conversion writes them (%.17g,
 * ".0" when that has neither '.' nor 'e', the exponent without '+' and
 * leading zeros). tests/unit/agg/test_vparse.c and the vparse fuzz target
 * compare it with the reference byte for byte.
 */
#include "fleet/agg_venc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum { VE_ERR = -1, VE_NO = 0, VE_OK = 1 };

typedef struct ve_out {
    sf_buf *b;
    int rc; /* first append failure, SF_OK while none */
} ve_out;

static void ve_put(ve_out *o, const char *s, size_t n)
{
    if (o->rc == SF_OK)
        o->rc = sf_buf_append(o->b, s, n);
}

#define VE_LIT(o, s) ve_put((o), (s), sizeof(s) - 1)

/* s[0..n) as a JSON string; VE_NO for a non-ASCII byte or a NUL. */
static int ve_strn(ve_out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *end = s + n;
    VE_LIT(o, "\"");
    const char *run = s, *p;
    for (p = s; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80 || c == 0)
            return VE_NO;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        ve_put(o, run, (size_t)(p - run));
        run = p + 1;
        char e[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t el = 2;
        const char *q = c < 0x20 ? memchr("\b\f\n\r\t", c, 5) : NULL;
        if (q)
            e[1] = "bfnrt"[q - "\b\f\n\r\t"];
        else if (c < 0x20) {
            e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
            el = 6;
        }
        ve_put(o, e, el);
    }
    ve_put(o, run, (size_t)(p - run));
    VE_LIT(o, "\"");
    return VE_OK;
}

/* s as a JSON string; VE_NO for NULL or a non-ASCII byte. */
static int ve_str(ve_out *o, const char *s) { return s ? ve_strn(o, s, strlen(s)) : VE_NO; }

static int ve_nstr(ve_out *o, const char *s)
{
    if (!s) {
        VE_LIT(o, "null");
        return VE_OK;
    }
    return ve_str(o, s);
}

static void ve_int(ve_out *o, int64_t x)
{
    char d[24];
    size_t i = sizeof d;
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    do
        d[--i] = (char)('0' + u % 10);
    while (u /= 10);
    if (x < 0)
        d[--i] = '-';
    ve_put(o, d + i, sizeof d - i);
}

static int ve_real(ve_out *o, double x)
{
    char d[40], w[44];
    size_t k = 0;
    int dot = 0;
    if (!isfinite(x))
        return VE_NO; /* json_real refuses it */
    int n = snprintf(d, sizeof d, "%.17g", x);
    if (n < 0 || (size_t)n >= sizeof d)
        return VE_NO;
    const char *e = strchr(d, 'e');
    size_t ml = e ? (size_t)(e - d) : (size_t)n;
    for (size_t i = 0; i < ml; i++) {
        if (d[i] == '.')
            dot = 1;
        else if ((d[i] < '0' || d[i] > '9') && !(i == 0 && d[i] == '-'))
            return VE_NO; /* another locale's point: the reference's */
        w[k++] = d[i];
    }
    if (!e) {
        if (!dot)
            w[k++] = '.', w[k++] = '0';
    } else {
        const char *p = e + 1;
        w[k++] = 'e';
        if (*p == '-')
            w[k++] = '-';
        if (*p == '-' || *p == '+')
            p++;
        while (*p == '0')
            p++;
        if (!*p)
            return VE_NO;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return VE_NO;
            w[k++] = *p;
        }
    }
    ve_put(o, w, k);
    return VE_OK;
}

/* One finding: [id,pkg,installed,fixed,eco,sev,cvss,kev,epss,epss_pct(,aliases)]. */
static int ve_vuln(ve_out *o, const sf_agg_vuln *x)
{
    int ok;
    VE_LIT(o, "[");
    ok = ve_str(o, x->id);
    VE_LIT(o, ",");
    ok = ok && ve_str(o, x->pkg);
    VE_LIT(o, ",");
    ok = ok && ve_nstr(o, x->installed);
    VE_LIT(o, ",");
    ok = ok && ve_nstr(o, x->fixed);
    VE_LIT(o, ",");
    ok = ok && ve_nstr(o, x->eco);
    VE_LIT(o, ",");
    ok = ok && ve_str(o, sf_agg_sev_name(x->sev));
    VE_LIT(o, ",");
    ok = ok && ve_real(o, x->cvss);
    if (x->kev)
        VE_LIT(o, ",true,");
    else
        VE_LIT(o, ",false,");
    ok = ok && ve_real(o, x->epss);
    VE_LIT(o, ",");
    ok = ok && ve_real(o, x->epss_pct);
    if (ok && x->aliases) {
        VE_LIT(o, ",");
        ok = ve_str(o, x->aliases);
    }
    VE_LIT(o, "]");
    return ok ? VE_OK : VE_NO;
}

/* "key": a string member; key is plain. */
static int ve_member(ve_out *o, const char *key, const char *s, int nullable)
{
    ve_put(o, key, strlen(key));
    return nullable ? ve_nstr(o, s) : ve_str(o, s);
}

static int ve_view(ve_out *o, const sf_agg_view *v)
{
    int ok = ve_member(o, "{\"d\":", v->digest, 0) && ve_member(o, ",\"j\":", v->job_key, 0) &&
             ve_member(o, ",\"r\":", v->run_id, 0) && ve_member(o, ",\"v\":", v->db_version, 0);
    VE_LIT(o, ",\"t\":");
    ve_int(o, v->time_ms);
    ok = ok && ve_member(o, ",\"p\":", v->platform, 1) && ve_member(o, ",\"os\":", v->os, 1) &&
         ve_member(o, ",\"err\":", v->error, 1);
    if (ok && v->refs_run)
        ok = ve_member(o, ",\"rr\":", v->refs_run, 0);
    if (v->refs_rank >= 0) {
        VE_LIT(o, ",\"rk\":");
        ve_int(o, v->refs_rank);
    }
    if (ok && v->pkhash)
        ok = ve_member(o, ",\"ph\":", v->pkhash, 0);
    if (ok && v->vhash)
        ok = ve_member(o, ",\"vh\":", v->vhash, 0);
    VE_LIT(o, ",\"refs\":[");
    for (size_t i = 0; ok && i < v->nrefs; i++) {
        if (i)
            VE_LIT(o, ",");
        ok = ve_str(o, v->refs[i]);
    }
    VE_LIT(o, "],\"vulns\":[");
    for (size_t i = 0; ok && i < v->nvulns && o->rc == SF_OK; i++) {
        if (i)
            VE_LIT(o, ",");
        ok = ve_vuln(o, &v->vulns[i]);
    }
    VE_LIT(o, "]}");
    return ok ? VE_OK : VE_NO;
}

/* Declined or failed: out as it was; the answer for r (a VE_*) and o. */
static int ve_end(ve_out *o, size_t start, int r)
{
    if (r == VE_OK && o->rc == SF_OK)
        return 1;
    o->b->len = start;
    if (o->b->data)
        o->b->data[start] = '\0';
    return o->rc != SF_OK && r == VE_OK ? o->rc : 0;
}

int sf_agg_ve_json(const sf_agg_view *v, sf_buf *out)
{
    size_t start = out->len;
    ve_out o = {out, SF_OK};
    return ve_end(&o, start, ve_view(&o, v));
}

int sf_agg_ve_facts(const sf_agg_vuln *f, sf_buf *out)
{
    size_t start = out->len;
    ve_out o = {out, SF_OK};
    int r = VE_OK;
    VE_LIT(&o, "{\"aliases\":[");
    for (const char *p = f->aliases; r == VE_OK && p && *p;) {
        size_t n = strcspn(p, "\x1f");
        if (p != f->aliases)
            VE_LIT(&o, ",");
        r = ve_strn(&o, p, n);
        p += n + (p[n] != '\0');
    }
    if (f->kev)
        VE_LIT(&o, "],\"kev\":true}");
    else
        VE_LIT(&o, "],\"kev\":false}");
    return ve_end(&o, start, r);
}
