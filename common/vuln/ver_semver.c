/*
 * ver_semver: Semantic Versioning 2.0.0 precedence (npm, crates.io and
 * the semver-like ecosystems) and npm's range syntax as node-semver
 * evaluates it (the Node.js security-wg records and GHSA npm data use it).
 *
 * Comparison reads versions leniently so real-world spellings still
 * order sensibly: an optional leading "v" or "=", one to four numeric
 * parts (missing parts are 0, so "1.2" == "1.2.0"; NuGet's fourth part
 * fits), an optional "-prerelease" and an ignored "+build". Numbers of any
 * length compare by value. Strings that do not parse sort below every
 * version that does, and among themselves by the generic order, which
 * keeps the order total on any input. sf_ver_valid(SF_VS_SEMVER) is the
 * strict SemVer 2.0 grammar.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/err.h"
#include "vuln/ver.h"
#include "vuln/ver_int.h"

#define SEMVER_PARTS 4

typedef struct semver {
    const char *num[SEMVER_PARTS]; /* digit runs; NULL = absent (0) */
    size_t numn[SEMVER_PARTS];
    int nnum;
    const char *pre; /* prerelease without the '-'; NULL = none */
    size_t pren;
} semver;

/* Lenient parse of the whole of s; 0 when it is not a version. */
static int semver_parse(const char *s, semver *v)
{
    memset(v, 0, sizeof *v);
    if (*s == 'v' || *s == 'V' || *s == '=')
        s++;
    for (;;) {
        size_t n = sf_ver__digits_z(s);
        if (n == 0 || v->nnum == SEMVER_PARTS)
            return 0;
        v->num[v->nnum] = s;
        v->numn[v->nnum++] = n;
        s += n;
        if (*s != '.')
            break;
        s++;
    }
    if (*s == '-') {
        v->pre = ++s;
        while (*s && *s != '+')
            s++;
        v->pren = (size_t)(s - v->pre);
    }
    return *s == '\0' || *s == '+';
}

/* One dot-separated identifier of a prerelease. */
static size_t ident_len(const char *p, size_t n)
{
    const char *dot = memchr(p, '.', n);
    return dot ? (size_t)(dot - p) : n;
}

/* SemVer 2.0 rule 11 on two prereleases (without the '-'): identifiers
 * left to right, numeric ones by value and below alphanumeric ones, which
 * compare in ASCII order; a longer list wins on a common prefix. An empty
 * identifier (invalid, "1.0.0-a..b") counts as alphanumeric "". */
static int pre_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    for (;;) {
        size_t la = ident_len(a, an), lb = ident_len(b, bn);
        int da = la > 0 && sf_ver__digits(a, la) == la;
        int db = lb > 0 && sf_ver__digits(b, lb) == lb;
        int r;
        if (da && db)
            r = sf_ver__numcmp(a, la, b, lb);
        else if (da != db)
            r = da ? -1 : 1;
        else
            r = sf_ver__bytecmp(a, la, b, lb);
        if (r != 0)
            return r;
        int enda = la == an, endb = lb == bn;
        if (enda || endb)
            return enda == endb ? 0 : (enda ? -1 : 1);
        a += la + 1;
        an -= la + 1;
        b += lb + 1;
        bn -= lb + 1;
    }
}

static int semver_cmp_parsed(const semver *a, const semver *b)
{
    for (int i = 0; i < SEMVER_PARTS; i++) {
        int r = sf_ver__numcmp(a->num[i] ? a->num[i] : "", a->numn[i],
                               b->num[i] ? b->num[i] : "", b->numn[i]);
        if (r != 0)
            return r;
    }
    if (!a->pre || !b->pre)
        return a->pre == b->pre ? 0 : (a->pre ? -1 : 1);
    return pre_cmp(a->pre, a->pren, b->pre, b->pren);
}

int sf_ver_cmp_semver(const char *a, const char *b)
{
    semver va, vb;
    a = a ? a : "";
    b = b ? b : "";
    int oka = semver_parse(a, &va), okb = semver_parse(b, &vb);
    return oka && okb ? semver_cmp_parsed(&va, &vb) : sf_ver__cmp_invalid(oka, okb, a, b);
}

/* A numeric identifier of the strict grammar: no leading zero. */
static int strict_num(const char *p, size_t n)
{
    return n > 0 && sf_ver__digits(p, n) == n && !(n > 1 && p[0] == '0');
}

/* Dot-separated non-empty [0-9A-Za-z-] identifiers; numeric ones without
 * leading zeros when `numeric_rule` (prerelease, not build). */
static int strict_idents(const char *p, size_t n, int numeric_rule)
{
    for (;;) {
        size_t l = ident_len(p, n);
        if (l == 0)
            return 0;
        for (size_t i = 0; i < l; i++)
            if (!sf_ver__isalnum((unsigned char)p[i]) && p[i] != '-')
                return 0;
        if (numeric_rule && sf_ver__digits(p, l) == l && !strict_num(p, l))
            return 0;
        if (l == n)
            return 1;
        p += l + 1;
        n -= l + 1;
    }
}

int sf_ver__valid_semver(const char *s)
{
    semver v;
    if (!semver_parse(s, &v) || s[0] == 'v' || s[0] == 'V' || s[0] == '=' || v.nnum != 3)
        return 0;
    for (int i = 0; i < 3; i++)
        if (!strict_num(v.num[i], v.numn[i]))
            return 0;
    if (v.pre && (v.pren == 0 || !strict_idents(v.pre, v.pren, 1)))
        return 0;
    const char *plus = strchr(s, '+');
    if (plus && (plus[1] == '\0' || !strict_idents(plus + 1, strlen(plus + 1), 0)))
        return 0;
    return 1;
}


/*
 * npm ranges. A range is comparator sets joined by "||"; a set holds
 * whitespace-separated comparators, all of which must hold. Each
 * comparator ("<1.2", "~1.2.3", "^0.2", "1.x", "1.2.3 - 2.3") is expanded
 * to at most two primitive comparators exactly as node-semver does
 * (including its "-0" upper bounds, "<1.2" -> "<1.2.0-0"), then each
 * primitive is evaluated at once against the version: no allocation, one
 * pass, linear in the range's length.
 *
 * Prereleases follow node-semver (includePrerelease off): a version with
 * a prerelease satisfies a set only if some comparator of that set has a
 * prerelease on the same major.minor.patch. Numbers in ranges and in the
 * version are limited, like node-semver, to 2^53-1, so bumps never
 * overflow; a version that is not MAJOR.MINOR.PATCH[-pre][+build]
 * (optionally with a leading "v" or "=") satisfies nothing.
 */

#define NPM_MAX_SAFE 9007199254740991ULL /* Number.MAX_SAFE_INTEGER */

enum { OP_ANY, OP_NONE, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_TILDE, OP_CARET };

typedef struct npm_ver { /* a partial version as written in a range */
    uint64_t n[3];
    int parts;       /* numeric parts before the first x, X or '*': 0..3 */
    const char *pre; /* prerelease (parts == 3 only); NULL = none */
    size_t pren;
} npm_ver;

typedef struct npm_eval { /* the version under test and the set's state */
    uint64_t n[3];
    const char *pre;
    size_t pren;
    int valid;       /* version parsed */
    int ok;          /* every comparator of the set so far holds */
    int pre_allowed; /* a comparator has a prerelease on the version's tuple */
} npm_eval;

static const char npm_zero[] = "0";

static int npm_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static const char *skip_ws(const char *p, const char *e)
{
    while (p < e && npm_space((unsigned char)*p))
        p++;
    return p;
}

static const char *word_end(const char *p, const char *e)
{
    while (p < e && !npm_space((unsigned char)*p))
        p++;
    return p;
}

/* Parse digits at *p (< e) into *out, at most 2^53-1. */
static int npm_num(const char **p, const char *e, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    if (s >= e || !sf_ver__isdigit((unsigned char)*s))
        return 0;
    while (s < e && sf_ver__isdigit((unsigned char)*s)) {
        v = v * 10 + (uint64_t)(*s++ - '0');
        if (v > NPM_MAX_SAFE)
            return 0;
    }
    *p = s;
    *out = v;
    return 1;
}

/* Parse "[v=]*X[.Y[.Z[-pre][+build]]]" with x-range wildcards in [p, e). */
static int npm_partial(const char *p, const char *e, npm_ver *v)
{
    memset(v, 0, sizeof *v);
    while (p < e && (*p == 'v' || *p == '='))
        p++;
    int wild = 0;
    for (int i = 0; i < 3; i++) {
        if (p < e && (*p == 'x' || *p == 'X' || *p == '*')) {
            wild = 1;
            p++;
        } else {
            uint64_t n;
            if (!npm_num(&p, e, &n))
                return 0;
            if (!wild) {
                v->n[i] = n;
                v->parts = i + 1;
            }
        }
        if (p == e)
            return 1;
        if (i < 2 && *p == '.') {
            p++;
            continue;
        }
        if (i < 2)
            return 0;
    }
    const char *plus = memchr(p, '+', (size_t)(e - p));
    const char *pe = plus ? plus : e;
    if (plus && (plus + 1 == e || !strict_idents(plus + 1, (size_t)(e - plus - 1), 0)))
        return 0;
    if (p < pe) {
        if (*p != '-' || p + 1 == pe || !strict_idents(p + 1, (size_t)(pe - p - 1), 0))
            return 0;
        if (v->parts == 3) {
            v->pre = p + 1;
            v->pren = (size_t)(pe - p - 1);
        }
    }
    return 1;
}

/* Apply one primitive comparator to the evaluation state. */
static void npm_apply(npm_eval *ev, int op, uint64_t a, uint64_t b, uint64_t c,
                      const char *pre, size_t pren)
{
    if (op == OP_ANY)
        return;
    if (op == OP_NONE || !ev->valid) {
        ev->ok = 0;
        return;
    }
    const uint64_t n[3] = {a, b, c};
    int r = 0;
    for (int i = 0; i < 3 && r == 0; i++)
        r = ev->n[i] < n[i] ? -1 : (ev->n[i] > n[i] ? 1 : 0);
    int same_tuple = r == 0;
    if (r == 0 && (ev->pre || pre))
        r = !ev->pre ? 1 : (!pre ? -1 : pre_cmp(ev->pre, ev->pren, pre, pren));
    int sat = (op == OP_LT && r < 0) || (op == OP_LE && r <= 0) || (op == OP_GT && r > 0) ||
              (op == OP_GE && r >= 0) || (op == OP_EQ && r == 0);
    if (!sat)
        ev->ok = 0;
    if (ev->pre && pre && same_tuple)
        ev->pre_allowed = 1;
}

/* Upper bound "<X-0" just above the partial version's last given part. */
static void npm_below_next(npm_eval *ev, const npm_ver *v, int level)
{
    if (level == 0)
        npm_apply(ev, OP_LT, v->n[0] + 1, 0, 0, npm_zero, 1);
    else if (level == 1)
        npm_apply(ev, OP_LT, v->n[0], v->n[1] + 1, 0, npm_zero, 1);
    else
        npm_apply(ev, OP_LT, v->n[0], v->n[1], v->n[2] + 1, npm_zero, 1);
}

/* Expand one comparator as node-semver's replaceXRange, replaceTilde and
 * replaceCaret do, applying each resulting primitive. */
static void npm_expand(npm_eval *ev, int op, const npm_ver *v)
{
    const uint64_t *n = v->n;
    int p = v->parts;
    if (p == 0) { /* "*", "x", ">=*": anything; "<*", ">*": nothing */
        npm_apply(ev, (op == OP_LT || op == OP_GT) ? OP_NONE : OP_ANY, 0, 0, 0, NULL, 0);
        return;
    }
    if (p == 3 && op != OP_TILDE && op != OP_CARET) {
        npm_apply(ev, op, n[0], n[1], n[2], v->pre, v->pren);
        return;
    }
    switch (op) {
    case OP_GT: /* ">1" -> ">=2.0.0", ">1.2" -> ">=1.3.0" */
        if (p == 1)
            npm_apply(ev, OP_GE, n[0] + 1, 0, 0, NULL, 0);
        else
            npm_apply(ev, OP_GE, n[0], n[1] + 1, 0, NULL, 0);
        return;
    case OP_GE:
        npm_apply(ev, OP_GE, n[0], n[1], 0, NULL, 0);
        return;
    case OP_LT: /* "<1.2" -> "<1.2.0-0" */
        npm_apply(ev, OP_LT, n[0], n[1], 0, npm_zero, 1);
        return;
    case OP_LE: /* "<=1.2" -> "<1.3.0-0" */
        npm_below_next(ev, v, p - 1);
        return;
    case OP_CARET:
        npm_apply(ev, OP_GE, n[0], n[1], n[2], v->pre, v->pren);
        if (p == 1 || n[0] != 0)
            npm_below_next(ev, v, 0);
        else if (p == 2 || n[1] != 0)
            npm_below_next(ev, v, 1);
        else
            npm_below_next(ev, v, 2);
        return;
    default: /* "=", bare partials and "~" */
        npm_apply(ev, OP_GE, n[0], n[1], n[2], v->pre, v->pren);
        npm_below_next(ev, v, p == 1 ? 0 : 1);
        return;
    }
}

/* Length of the operator at the start of [p, e) and its code. */
static size_t npm_op(const char *p, const char *e, int *op)
{
    size_t n = (size_t)(e - p);
    if (n >= 2 && p[0] == '<' && p[1] == '=')
        return *op = OP_LE, 2;
    if (n >= 2 && p[0] == '>' && p[1] == '=')
        return *op = OP_GE, 2;
    if (n >= 2 && p[0] == '~' && p[1] == '>')
        return *op = OP_TILDE, 2;
    if (n >= 1 && p[0] == '<')
        return *op = OP_LT, 1;
    if (n >= 1 && p[0] == '>')
        return *op = OP_GT, 1;
    if (n >= 1 && p[0] == '~')
        return *op = OP_TILDE, 1;
    if (n >= 1 && p[0] == '^')
        return *op = OP_CARET, 1;
    if (n >= 1 && p[0] == '=')
        return *op = OP_EQ, 1;
    *op = OP_EQ;
    return 0;
}

/* "A - B": ">=A" (x parts filled with 0) and "<=B" (x parts bumped). */
static void npm_hyphen(npm_eval *ev, const npm_ver *lo, const npm_ver *hi)
{
    if (lo->parts > 0)
        npm_apply(ev, OP_GE, lo->n[0], lo->n[1], lo->n[2], lo->pre, lo->pren);
    if (hi->parts == 3)
        npm_apply(ev, OP_LE, hi->n[0], hi->n[1], hi->n[2], hi->pre, hi->pren);
    else if (hi->parts > 0)
        npm_below_next(ev, hi, hi->parts - 1);
}

/* Evaluate one comparator set [s, e); SF_EPARSE when it does not parse. */
static int npm_set(npm_eval *ev, const char *s, const char *e)
{
    const char *w = skip_ws(s, e);
    while (w < e) {
        const char *we = word_end(w, e);
        int op;
        size_t oplen = npm_op(w, we, &op);
        const char *vs = w + oplen;
        if (vs == we) { /* "> 1.2.3": the operator stands alone */
            vs = skip_ws(we, e);
            if (vs == e)
                return SF_EPARSE;
            we = word_end(vs, e);
        }
        npm_ver v;
        if (!npm_partial(vs, we, &v))
            return SF_EPARSE;
        const char *h = skip_ws(we, e);
        if (oplen == 0 && h < e && h[0] == '-' && (h + 1 == e || npm_space((unsigned char)h[1]))) {
            const char *us = skip_ws(h + 1, e), *ue = word_end(us, e);
            npm_ver hi;
            if (us == e || !npm_partial(us, ue, &hi))
                return SF_EPARSE;
            npm_hyphen(ev, &v, &hi);
            w = skip_ws(ue, e);
            continue;
        }
        npm_expand(ev, op, &v);
        w = h;
    }
    return SF_OK;
}

/* Parse the version under test into ev (valid = 0 when it is none). */
static void npm_target(npm_eval *ev, const char *version)
{
    semver sv;
    memset(ev, 0, sizeof *ev);
    while (npm_space((unsigned char)*version))
        version++;
    if (!semver_parse(version, &sv) || sv.nnum != 3)
        return;
    for (int i = 0; i < 3; i++) {
        const char *p = sv.num[i];
        if (!npm_num(&p, sv.num[i] + sv.numn[i], &ev->n[i]))
            return;
    }
    ev->pre = sv.pre;
    ev->pren = sv.pren;
    ev->valid = 1;
}

int sf_semver_range_match(const char *range, const char *version)
{
    if (!range || !version)
        return SF_EINVAL;
    npm_eval ev;
    npm_target(&ev, version);
    int any = 0;
    const char *s = range;
    for (;;) {
        const char *bar = strstr(s, "||");
        const char *e = bar ? bar : s + strlen(s);
        ev.ok = 1;
        ev.pre_allowed = 0;
        int rc = npm_set(&ev, s, e);
        if (rc != SF_OK)
            return rc;
        if (ev.valid && ev.ok && (!ev.pre || ev.pre_allowed))
            any = 1;
        if (!bar)
            break;
        s = bar + 2;
    }
    return any;
}
