/*
 * ver_rpm: RPM version order (RHEL, Fedora, SUSE, Rocky, Alma, Mageia,
 * ...): rpmvercmp as rpm >= 4.15 implements it, on [epoch:]version-release.
 *
 * The epoch is the digits before a ':' (rpm's parseEVR: an empty epoch is
 * 0, a missing one too); the release follows the last '-'. Version and
 * release are each read as segments: runs of ASCII letters, runs of
 * digits, and the '~' and '^' markers; every other byte only separates.
 * At the first difference: '~' sorts before everything, even the end
 * (1.0~rc1 < 1.0); '^' sorts after the end but before any segment
 * (1.0 < 1.0^git1 < 1.0.1); the end before a segment; letters before
 * digits; letter runs in byte order, digit runs by value.
 */
#include <stddef.h>
#include <string.h>

#include "vuln/ver.h"
#include "vuln/ver_int.h"

/* Segment kinds in order of precedence at a differing position. */
enum { SEG_TILDE, SEG_END, SEG_CARET, SEG_ALPHA, SEG_NUM };

typedef struct rpm_seg {
    int kind;
    const char *p;
    size_t n;
} rpm_seg;

/* Next segment of [*s, e); advances *s. */
static rpm_seg rpm_next(const char **s, const char *e)
{
    const char *p = *s;
    rpm_seg g = {SEG_END, p, 0};
    while (p < e && !sf_ver__isalnum((unsigned char)*p) && *p != '~' && *p != '^')
        p++;
    if (p == e) {
        *s = p;
        return g;
    }
    g.p = p;
    if (*p == '~' || *p == '^') {
        g.kind = *p == '~' ? SEG_TILDE : SEG_CARET;
        p++;
    } else if (sf_ver__isdigit((unsigned char)*p)) {
        g.kind = SEG_NUM;
        while (p < e && sf_ver__isdigit((unsigned char)*p))
            p++;
    } else {
        g.kind = SEG_ALPHA;
        while (p < e && sf_ver__isalpha((unsigned char)*p))
            p++;
    }
    g.n = (size_t)(p - g.p);
    *s = p;
    return g;
}

/* rpmvercmp over [a, ae) and [b, be). */
static int rpmvercmp(const char *a, const char *ae, const char *b, const char *be)
{
    for (;;) {
        rpm_seg x = rpm_next(&a, ae), y = rpm_next(&b, be);
        if (x.kind != y.kind)
            return x.kind < y.kind ? -1 : 1;
        if (x.kind == SEG_END)
            return 0;
        int r = 0;
        if (x.kind == SEG_NUM)
            r = sf_ver__numcmp(x.p, x.n, y.p, y.n);
        else if (x.kind == SEG_ALPHA)
            r = sf_ver__bytecmp(x.p, x.n, y.p, y.n);
        if (r != 0)
            return r;
    }
}

/* rpm's epoch: the leading digits when a ':' follows them. */
static void rpm_split(const char *s, sf_ver__evr *v)
{
    size_t d = sf_ver__digits_z(s);
    v->epoch = s;
    v->epoch_n = 0;
    if (s[d] == ':') {
        v->epoch_n = d;
        s += d + 1;
    }
    sf_ver__evr_split_rest(s, v);
}

int sf_ver_cmp_rpm(const char *a, const char *b)
{
    sf_ver__evr x, y;
    rpm_split(a ? a : "", &x);
    rpm_split(b ? b : "", &y);
    return sf_ver__evr_cmp(&x, &y, rpmvercmp);
}

/* rpm's rules for Version/Release tags: non-empty, no '-', printable
 * ASCII from the set rpmbuild accepts (alnum . _ + ~ ^ and '%{}' never
 * survive a build). */
static int rpm_part_ok(const char *p, const char *e)
{
    if (p == e)
        return 0;
    for (; p < e; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(sf_ver__isalnum(c) || c == '.' || c == '_' || c == '+' || c == '~' || c == '^'))
            return 0;
    }
    return 1;
}

int sf_ver__valid_rpm(const char *s)
{
    sf_ver__evr v;
    rpm_split(s, &v);
    if (!rpm_part_ok(v.ver, v.ver_end))
        return 0;
    if (*v.ver_end == '-' && !rpm_part_ok(v.rel, v.rel_end))
        return 0;
    return 1;
}
