/*
 * ver_pep440: Python package versions (PyPI) as PEP 440 and the
 * `packaging` library order them.
 *
 * [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], read with PEP 440's
 * normalisation: case-insensitive, optional leading "v", surrounding
 * whitespace, "alpha"/"beta"/"c"/"pre"/"preview" spellings, "-", "_" or
 * "." (or nothing) before pre/post/dev parts, implicit numbers ("1.0rc"
 * = "1.0rc0"), "rev"/"r" for post and the bare "-N" post release
 * ("1.0-1" = "1.0.post1"). So "1.0RC1" == "1.0rc1", "1.0-post1" ==
 * "1.0.post1".
 *
 * Order (packaging's _cmpkey): epoch; release with trailing zeros
 * ignored; then a dev release of a final version sorts before its
 * pre-releases (1.0.dev1 < 1.0a1), pre-releases a < b < rc, then the
 * final; post releases after; a dev part lowers whatever it is attached
 * to; a local version sorts after the same public version, its segments
 * compared numerically when numeric and above alphanumeric ones.
 *
 * Strings that are not PEP 440 versions sort below every version, and
 * among themselves by the generic order (packaging would refuse them or
 * use LegacyVersion, long removed).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "vuln/ver.h"
#include "vuln/ver_int.h"

enum { PRE_A, PRE_B, PRE_RC };

typedef struct pep {
    const char *epoch;
    size_t epoch_n;
    const char *rel, *rel_end; /* "N(.N)*" */
    int pre;                   /* -1 none, else PRE_* */
    const char *pre_n;         /* digits, may be empty (= 0) */
    size_t pre_nn;
    int post; /* 0/1 */
    const char *post_n;
    size_t post_nn;
    int dev;
    const char *dev_n;
    size_t dev_nn;
    const char *local, *local_end; /* without '+'; NULL = none */
} pep;

static int pep_sep(int c)
{
    return c == '-' || c == '_' || c == '.';
}

/* Length of word w at p, case-insensitively; 0 when p does not start with it. */
static size_t word_at(const char *p, const char *w)
{
    size_t n = strlen(w);
    return strncasecmp(p, w, n) == 0 ? n : 0;
}

/* "[sep]digits" after a pre/post/dev word; none is an implicit 0. */
static const char *opt_num(const char *p, const char **num, size_t *nn)
{
    const char *q = pep_sep((unsigned char)*p) ? p + 1 : p;
    size_t d = sf_ver__digits_z(q);
    if (d == 0) {
        *num = q;
        *nn = 0;
        return p;
    }
    *num = q;
    *nn = d;
    return q + d;
}

/* "[sep]word" where word is one of the list; index of the match or -1. */
static const char *opt_word(const char *p, const char *const *words, int nwords, int *which)
{
    const char *q = pep_sep((unsigned char)*p) ? p + 1 : p;
    for (int i = 0; i < nwords; i++) {
        size_t n = word_at(q, words[i]);
        if (n && !sf_ver__isalpha((unsigned char)q[n])) {
            *which = i;
            return q + n;
        }
    }
    *which = -1;
    return p;
}

static const char *const pre_words[] = {"alpha", "beta", "preview", "pre", "rc", "a", "b", "c"};
static const int pre_kind[] = {PRE_A, PRE_B, PRE_RC, PRE_RC, PRE_RC, PRE_A, PRE_B, PRE_RC};
static const char *const post_words[] = {"post", "rev", "r"};
static const char *const dev_words[] = {"dev"};

/* The local part: [a-z0-9]+ separated by single '-', '_' or '.'. */
static int local_ok(const char *p, const char *e)
{
    int need = 1;
    for (; p < e; p++) {
        if (sf_ver__isalnum((unsigned char)*p))
            need = 0;
        else if (pep_sep((unsigned char)*p) && !need)
            need = 1;
        else
            return 0;
    }
    return !need;
}

static int pep_parse(const char *s, pep *v)
{
    memset(v, 0, sizeof *v);
    v->pre = -1;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (*s == 'v' || *s == 'V')
        s++;
    size_t d = sf_ver__digits_z(s);
    if (d && s[d] == '!') {
        v->epoch = s;
        v->epoch_n = d;
        s += d + 1;
    }
    v->rel = s;
    for (;;) {
        d = sf_ver__digits_z(s);
        if (d == 0)
            return 0;
        s += d;
        if (*s != '.' || !sf_ver__isdigit((unsigned char)s[1]))
            break;
        s++;
    }
    v->rel_end = s;
    int w;
    s = opt_word(s, pre_words, 8, &w);
    if (w >= 0) {
        v->pre = pre_kind[w];
        s = opt_num(s, &v->pre_n, &v->pre_nn);
    }
    if (*s == '-' && sf_ver__isdigit((unsigned char)s[1])) {
        v->post = 1;
        v->post_n = s + 1;
        v->post_nn = sf_ver__digits_z(s + 1);
        s += 1 + v->post_nn;
    } else {
        s = opt_word(s, post_words, 3, &w);
        if (w >= 0) {
            v->post = 1;
            s = opt_num(s, &v->post_n, &v->post_nn);
        }
    }
    s = opt_word(s, dev_words, 1, &w);
    if (w >= 0) {
        v->dev = 1;
        s = opt_num(s, &v->dev_n, &v->dev_nn);
    }
    if (*s == '+') {
        v->local = s + 1;
        v->local_end = v->local + strcspn(v->local, " \t\r\n");
        if (!local_ok(v->local, v->local_end))
            return 0;
        s = v->local_end;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return *s == '\0';
}

/* Release numbers left to right, a missing number counting as 0. */
static int release_cmp(const char *a, const char *ae, const char *b, const char *be)
{
    while (a < ae || b < be) {
        int r = sf_ver__numstep(&a, ae, &b, be);
        if (r != 0)
            return r;
        if (a < ae)
            a++; /* the dot */
        if (b < be)
            b++;
    }
    return 0;
}

/* Local segments: numeric > alphanumeric; numbers by value, words
 * case-insensitively; a longer list wins on a common prefix. */
static int local_cmp(const char *a, const char *ae, const char *b, const char *be)
{
    for (;;) {
        if (a >= ae || b >= be)
            return (a >= ae) == (b >= be) ? 0 : (a >= ae ? -1 : 1);
        size_t la = 0, lb = 0;
        while (a + la < ae && !pep_sep((unsigned char)a[la]))
            la++;
        while (b + lb < be && !pep_sep((unsigned char)b[lb]))
            lb++;
        int da = sf_ver__digits(a, la) == la, db = sf_ver__digits(b, lb) == lb;
        int r;
        if (da && db) {
            r = sf_ver__numcmp(a, la, b, lb);
        } else if (da != db) {
            r = da ? 1 : -1;
        } else {
            r = 0;
            for (size_t i = 0; i < la && i < lb && r == 0; i++)
                r = sf_ver__sign(sf_ver__lower((unsigned char)a[i]) -
                                 sf_ver__lower((unsigned char)b[i]));
            if (r == 0 && la != lb)
                r = la < lb ? -1 : 1;
        }
        if (r != 0)
            return r;
        a += la + (a + la < ae);
        b += lb + (b + lb < be);
    }
}

/* Rank of the pre-release slot: dev-only final < a < b < rc < final. */
static int pre_rank(const pep *v)
{
    if (v->pre >= 0)
        return 1 + v->pre;
    return (!v->post && v->dev) ? 0 : 4;
}

static int pep_cmp(const pep *a, const pep *b)
{
    int r = sf_ver__numcmp(a->epoch ? a->epoch : "", a->epoch_n, b->epoch ? b->epoch : "",
                           b->epoch_n);
    if (r == 0)
        r = release_cmp(a->rel, a->rel_end, b->rel, b->rel_end);
    if (r == 0) {
        int ra = pre_rank(a), rb = pre_rank(b);
        r = ra != rb ? (ra < rb ? -1 : 1) : 0;
        if (r == 0 && a->pre >= 0)
            r = sf_ver__numcmp(a->pre_n, a->pre_nn, b->pre_n, b->pre_nn);
    }
    if (r == 0 && a->post != b->post)
        r = a->post ? 1 : -1;
    if (r == 0 && a->post)
        r = sf_ver__numcmp(a->post_n, a->post_nn, b->post_n, b->post_nn);
    if (r == 0 && a->dev != b->dev)
        r = a->dev ? -1 : 1;
    if (r == 0 && a->dev)
        r = sf_ver__numcmp(a->dev_n, a->dev_nn, b->dev_n, b->dev_nn);
    if (r == 0 && (a->local != NULL) != (b->local != NULL))
        r = a->local ? 1 : -1;
    if (r == 0 && a->local)
        r = local_cmp(a->local, a->local_end, b->local, b->local_end);
    return r;
}

int sf_ver_cmp_pep440(const char *a, const char *b)
{
    pep va, vb;
    a = a ? a : "";
    b = b ? b : "";
    int oka = pep_parse(a, &va), okb = pep_parse(b, &vb);
    return oka && okb ? pep_cmp(&va, &vb) : sf_ver__cmp_invalid(oka, okb, a, b);
}

int sf_ver__valid_pep440(const char *v)
{
    pep p;
    return pep_parse(v, &p);
}
