/*
 * ver_gem: RubyGems versions as Gem::Version orders them (rubygems 3.x).
 *
 * A version is digits then ".segment"s of letters and digits, with an
 * optional "-pre" part ("1.0.0-rc1"; the "-" becomes ".pre."), blanks
 * around it allowed. It is read as segments: runs of digits (numbers) and
 * runs of letters (strings). Trailing zeros are dropped from the numeric
 * release part and from the part after the first string segment, then
 * versions compare segment by segment, a missing segment counting as 0:
 * a string sorts below any number (so "1.0.a" < "1.0", a prerelease),
 * strings compare bytewise, numbers by value. "1.0" == "1" == "1.0.0".
 *
 * Strings Gem::Version would reject (it raises ArgumentError) sort below
 * every version, and among themselves by the generic order.
 */
#include <stddef.h>
#include <string.h>

#include "vuln/ver.h"
#include "vuln/ver_int.h"

static int gem_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Gem::Version::ANCHORED_VERSION_PATTERN, blanks trimmed; "" is "0". */
static int gem_valid(const char *s)
{
    while (gem_space((unsigned char)*s))
        s++;
    const char *e = s + strlen(s);
    while (e > s && gem_space((unsigned char)e[-1]))
        e--;
    if (s == e)
        return 1;
    size_t d = sf_ver__digits(s, (size_t)(e - s));
    if (d == 0)
        return 0;
    s += d;
    while (s < e && *s == '.') { /* (\.[0-9a-zA-Z]+)* */
        const char *q = ++s;
        while (s < e && sf_ver__isalnum((unsigned char)*s))
            s++;
        if (s == q)
            return 0;
    }
    if (s < e && *s == '-') { /* -[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)* */
        s++;
        int need = 1;
        for (; s < e; s++) {
            if (sf_ver__isalnum((unsigned char)*s) || *s == '-')
                need = 0;
            else if (*s == '.' && !need)
                need = 1;
            else
                return 0;
        }
        return !need;
    }
    return s == e;
}

typedef struct gem_seg {
    int is_str; /* -1: past the end (reads as 0) */
    const char *p;
    size_t n;
} gem_seg;

/* Segment cursor over a valid version with trailing zeros of each part
 * dropped: `num_end`/`end` bound the numeric prefix and the whole
 * canonical sequence, computed once by gem_canon. */
typedef struct gem_cur {
    const char *p, *e;    /* unread input */
    const char *num_keep; /* numeric prefix: segments starting before here kept */
    const char *str_at;   /* start of the first string segment, or e */
    const char *tail_keep;
} gem_cur;

/* Next raw segment at or after p (< e); n == 0 at the end. "pre" from a
 * '-' is implicit: the '-' acts as the string segment "pre". */
static gem_seg gem_raw(const char **p, const char *e)
{
    gem_seg g = {-1, NULL, 0};
    const char *s = *p;
    while (s < e && !sf_ver__isalnum((unsigned char)*s) && *s != '-')
        s++;
    if (s == e) {
        *p = s;
        return g;
    }
    g.p = s;
    if (*s == '-') {
        g.is_str = 1;
        g.p = "pre";
        g.n = 3;
        *p = s + 1;
        return g;
    }
    g.is_str = !sf_ver__isdigit((unsigned char)*s);
    while (s < e && (g.is_str ? sf_ver__isalpha((unsigned char)*s)
                              : sf_ver__isdigit((unsigned char)*s)))
        s++;
    g.n = (size_t)(s - g.p);
    *p = s;
    return g;
}

static int gem_zero(const gem_seg *g)
{
    return !g->is_str && sf_ver__digits(g->p, g->n) == g->n &&
           sf_ver__numcmp(g->p, g->n, "", 0) == 0;
}

/* Find where the first string segment starts and the end of the last
 * non-zero segment before it and after it. */
static void gem_canon(gem_cur *c, const char *s, const char *e)
{
    c->p = s;
    c->e = e;
    c->str_at = e;
    c->num_keep = s;
    c->tail_keep = e;
    const char *q = s, *tail = NULL;
    for (;;) {
        const char *before = q;
        gem_seg g = gem_raw(&q, e);
        if (g.is_str < 0)
            break;
        if (g.is_str && c->str_at == e) {
            c->str_at = before;
            tail = before;
        }
        if (c->str_at == e) {
            if (!gem_zero(&g))
                c->num_keep = q;
        } else if (!gem_zero(&g)) {
            tail = q;
        }
    }
    c->tail_keep = tail ? tail : e;
}

/* Next canonical segment; is_str == -1 past the end. */
static gem_seg gem_next(gem_cur *c)
{
    for (;;) {
        const char *before = c->p;
        gem_seg g = gem_raw(&c->p, c->e);
        if (g.is_str < 0)
            return g;
        if (before < c->str_at) {
            if (c->p <= c->num_keep)
                return g;
            continue; /* a trailing zero of the numeric part */
        }
        if (c->p <= c->tail_keep)
            return g;
        g.is_str = -1;
        return g;
    }
}

static void gem_trim(const char **s, const char **e)
{
    while (gem_space((unsigned char)**s))
        (*s)++;
    *e = *s + strlen(*s);
    while (*e > *s && gem_space((unsigned char)(*e)[-1]))
        (*e)--;
}

static int gem_cmp_valid(const char *a, const char *b)
{
    const char *ae, *be;
    gem_trim(&a, &ae);
    gem_trim(&b, &be);
    gem_cur ca, cb;
    gem_canon(&ca, a, ae);
    gem_canon(&cb, b, be);
    for (;;) {
        gem_seg x = gem_next(&ca), y = gem_next(&cb);
        if (x.is_str < 0 && y.is_str < 0)
            return 0;
        /* A missing segment is the number 0. */
        int xs = x.is_str > 0, ys = y.is_str > 0;
        if (xs != ys)
            return xs ? -1 : 1;
        int r = xs ? sf_ver__bytecmp(x.p, x.n, y.p, y.n)
                   : sf_ver__numcmp(x.p ? x.p : "", x.n, y.p ? y.p : "", y.n);
        if (r != 0)
            return r;
    }
}

int sf_ver_cmp_gem(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    int oka = gem_valid(a), okb = gem_valid(b);
    return oka && okb ? gem_cmp_valid(a, b) : sf_ver__cmp_invalid(oka, okb, a, b);
}

int sf_ver__valid_gem(const char *v)
{
    return gem_valid(v);
}
