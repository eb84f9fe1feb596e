/*
 * ver_maven: Maven versions as Maven 3.8's ComparableVersion orders
 * them (3.8.7 checked; the order OSV and GHSA use for Maven).
 *
 * The lowercased version is parsed into a tree of items: '.' separates
 * items of one list; '-' and every switch between digits and letters
 * ("1.0alpha1", "rc1") open a nested sub-list. Items are numbers (by
 * value), qualifiers (alpha < beta < milestone < rc == cr < snapshot <
 * "" == ga == final == release < sp < any other word, other words in
 * byte order; "a1", "b1", "m1" mean alpha, beta, milestone when a digit
 * follows) and sub-lists. Trailing "null" items (0, "", empty lists) are
 * removed from every list, innermost first, as ComparableVersion's
 * normalize() does. Comparing: number > sub-list > qualifier between
 * kinds; a missing item compares as "null" (0 for numbers, the release
 * for qualifiers), so "1.0" == "1", "1-alpha" < "1" < "1-sp" < "1.1".
 *
 * Bounds: a version of more than SF_MAVEN_MAX_ITEMS items or nested
 * deeper than SF_MAVEN_MAX_DEPTH cannot be parsed within the fixed
 * arrays used here (no allocation, bounded recursion); such strings (no
 * real version comes close) sort below every other version, and among
 * themselves by the generic order.
 */
#include <stddef.h>
#include <string.h>

#include "base/limits.h"
#include "vuln/ver.h"
#include "vuln/ver_int.h"

#define SF_MAVEN_MAX_ITEMS SF_LIM_VER_MAVEN_ITEMS
#define SF_MAVEN_MAX_DEPTH SF_LIM_VER_MAVEN_DEPTH

enum { MI_INT, MI_STR, MI_LIST };

typedef struct mitem {
    int kind;
    int removed;
    const char *p; /* MI_INT: digits without leading zeros; MI_STR: qualifier */
    size_t n;
    int parent;             /* list index, -1 for the root */
    int first, last;        /* MI_LIST: children, -1 when empty */
    int next, prev;         /* siblings */
} mitem;

typedef struct mtree {
    mitem it[SF_MAVEN_MAX_ITEMS];
    int n;
    char low[SF_MAVEN_MAX_ITEMS * 8]; /* the lowercased input */
} mtree;

static int m_add(mtree *t, int list, int kind, const char *p, size_t n)
{
    if (t->n == SF_MAVEN_MAX_ITEMS)
        return -1;
    int i = t->n++;
    mitem *m = &t->it[i];
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->p = p;
    m->n = n;
    m->parent = list;
    m->first = m->last = m->next = -1;
    m->prev = list >= 0 ? t->it[list].last : -1;
    if (list >= 0) {
        if (m->prev >= 0)
            t->it[m->prev].next = i;
        else
            t->it[list].first = i;
        t->it[list].last = i;
    }
    return i;
}

/* A qualifier's spelling after ComparableVersion's aliases. */
static void m_alias(const char **p, size_t *n, int followed_by_digit)
{
    static const struct {
        const char *from, *to;
    } al[] = {{"ga", ""}, {"final", ""}, {"release", ""}, {"cr", "rc"}};
    if (followed_by_digit && *n == 1) {
        if (**p == 'a')
            *p = "alpha", *n = 5;
        else if (**p == 'b')
            *p = "beta", *n = 4;
        else if (**p == 'm')
            *p = "milestone", *n = 9;
    }
    for (size_t i = 0; i < sizeof al / sizeof al[0]; i++) {
        if (strlen(al[i].from) == *n && memcmp(al[i].from, *p, *n) == 0) {
            *p = al[i].to;
            *n = strlen(al[i].to);
            return;
        }
    }
}

/* Add the item text[0..n) to list: a number when digits, else a word. */
static int m_item(mtree *t, int list, int digits, const char *p, size_t n, int fbd)
{
    if (digits) {
        while (n > 0 && *p == '0')
            p++, n--;
        return m_add(t, list, MI_INT, p, n);
    }
    m_alias(&p, &n, fbd);
    return m_add(t, list, MI_STR, p, n);
}

/* Position of a qualifier: 0..6 for the known ones ("" is 5, the
 * release), 7 for any other word (which then orders by its bytes). */
static int m_qual(const char *p, size_t n)
{
    static const char *const q[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
    for (int i = 0; i < 7; i++)
        if (strlen(q[i]) == n && memcmp(q[i], p, n) == 0)
            return i;
    return 7;
}

static int m_isnull(const mtree *t, int i)
{
    const mitem *m = &t->it[i];
    if (m->kind == MI_INT)
        return m->n == 0;
    if (m->kind == MI_STR)
        return m_qual(m->p, m->n) == 5;
    return m->first < 0;
}

/* ListItem.normalize(): drop trailing null items, skipping over (but not
 * stopping at) non-null sub-lists. */
static void m_normalize(mtree *t, int list)
{
    for (int i = t->it[list].last; i >= 0;) {
        int prev = t->it[i].prev;
        if (m_isnull(t, i)) {
            if (t->it[i].prev >= 0)
                t->it[t->it[i].prev].next = t->it[i].next;
            else
                t->it[list].first = t->it[i].next;
            if (t->it[i].next >= 0)
                t->it[t->it[i].next].prev = t->it[i].prev;
            else
                t->it[list].last = t->it[i].prev;
            t->it[i].removed = 1;
        } else if (t->it[i].kind != MI_LIST) {
            break;
        }
        i = prev;
    }
}

/* Open a nested list in *list; -1 when a bound is hit. */
static int m_push(mtree *t, int *list, int *stack, int *depth)
{
    if (*depth == SF_MAVEN_MAX_DEPTH)
        return -1;
    int l = m_add(t, *list, MI_LIST, NULL, 0);
    if (l < 0)
        return -1;
    stack[(*depth)++] = l;
    *list = l;
    return 0;
}

/* ComparableVersion.parseVersion (Maven 3.8); 0 when a bound is exceeded. */
static int m_parse(mtree *t, const char *s)
{
    size_t len = strlen(s);
    if (len >= sizeof t->low)
        return 0;
    for (size_t i = 0; i <= len; i++)
        t->low[i] = (char)sf_ver__lower((unsigned char)s[i]);
    const char *v = t->low;
    int stack[SF_MAVEN_MAX_DEPTH], depth = 0;
    t->n = 0;
    int list = m_add(t, -1, MI_LIST, NULL, 0);
    stack[depth++] = list;
    int digit = 0;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        char c = v[i];
        if (c == '.' || c == '-') {
            int r = i == start ? m_add(t, list, MI_INT, "", 0)
                               : m_item(t, list, digit, v + start, i - start, 0);
            if (r < 0)
                return 0;
            start = i + 1;
            if (c == '-' && m_push(t, &list, stack, &depth) < 0)
                return 0;
        } else if (sf_ver__isdigit((unsigned char)c)) {
            if (!digit && i > start) {
                /* "1.0.0.Alpha1": a word followed by digits gets a
                 * sub-list of its own unless it opens the list. */
                if (t->it[list].first >= 0 && m_push(t, &list, stack, &depth) < 0)
                    return 0;
                if (m_item(t, list, 0, v + start, i - start, 1) < 0 ||
                    m_push(t, &list, stack, &depth) < 0)
                    return 0;
                start = i;
            }
            digit = 1;
        } else {
            if (digit && i > start) {
                if (m_item(t, list, 1, v + start, i - start, 0) < 0 ||
                    m_push(t, &list, stack, &depth) < 0)
                    return 0;
                start = i;
            }
            digit = 0;
        }
    }
    if (len > start) {
        /* A trailing word likewise ("1.0.sp" is 1-sp). */
        if (!digit && t->it[list].first >= 0 && m_push(t, &list, stack, &depth) < 0)
            return 0;
        if (m_item(t, list, digit, v + start, len - start, 0) < 0)
            return 0;
    }
    while (depth > 0)
        m_normalize(t, stack[--depth]);
    return 1;
}

static int m_cmp(const mtree *a, int i, const mtree *b, int j);

/*
 * Rank of an item against the others of its position, "null" (a missing
 * item) included. ComparableVersion's own rules are not transitive:
 * between kinds int > list > string, yet 0 == null, ["sp"] > null and
 * "alpha" < null, so "1.0.alpha.1" > "1-1" > "1" > "1.0.alpha.1" in
 * Maven. Ranking each item first by where it stands against null
 * restores a total order. A 0 is ranked by the rest of its list (which,
 * after normalize(), decides how that list compares with null): above
 * every list and word when the rest is above null ("1.0.1" > "1.0-1" as
 * in Maven), below null when the rest is below it. Same-kind items and
 * every comparison against null keep Maven's answer; the order differs
 * from Maven only where Maven itself contradicts itself, e.g. a 0
 * followed by a pre-release word meeting a post-release list
 * ("1.0.alpha.1" < "1-1" here, > in Maven).
 */
enum {
    RK_PRE_STR,
    RK_PRE_LIST,
    RK_ZERO_LO, /* a 0 whose list continues below null */
    RK_NULL,
    RK_POST_STR,
    RK_POST_LIST,
    RK_ZERO_HI, /* a 0 whose list continues above null */
    RK_INT
};

/* Sign of the items from k to the end of their list against null:
 * ListItem.compareTo(null) on that suffix. */
static int m_tail_null(const mtree *t, int k)
{
    for (; k >= 0; k = t->it[k].next) {
        const mitem *m = &t->it[k];
        int r;
        if (m->kind == MI_INT) {
            r = m->n != 0;
        } else if (m->kind == MI_STR) {
            int q = m_qual(m->p, m->n);
            r = q < 5 ? -1 : (q > 5 ? 1 : 0);
        } else {
            r = m_tail_null(t, m->first);
        }
        if (r != 0)
            return r;
    }
    return 0;
}

static int m_rank(const mtree *t, int i)
{
    if (i < 0)
        return RK_NULL;
    const mitem *m = &t->it[i];
    int c;
    switch (m->kind) {
    case MI_INT:
        if (m->n != 0)
            return RK_INT;
        c = m_tail_null(t, m->next);
        return c < 0 ? RK_ZERO_LO : (c > 0 ? RK_ZERO_HI : RK_NULL);
    case MI_STR:
        c = m_qual(m->p, m->n);
        return c < 5 ? RK_PRE_STR : (c > 5 ? RK_POST_STR : RK_NULL);
    default:
        c = m_tail_null(t, m->first);
        return c < 0 ? RK_PRE_LIST : (c > 0 ? RK_POST_LIST : RK_NULL);
    }
}

static int m_cmp_str(const mitem *x, const mitem *y)
{
    int qx = m_qual(x->p, x->n), qy = m_qual(y->p, y->n);
    if (qx != qy)
        return qx < qy ? -1 : 1;
    return qx == 7 ? sf_ver__bytecmp(x->p, x->n, y->p, y->n) : 0;
}

/* Item i of a versus item j of b; either may be -1 (null). */
static int m_cmp(const mtree *a, int i, const mtree *b, int j)
{
    int ra = m_rank(a, i), rb = m_rank(b, j);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    switch (ra) {
    case RK_NULL:
    case RK_ZERO_LO:
    case RK_ZERO_HI:
        return 0;
    case RK_INT:
        return sf_ver__numcmp(a->it[i].p, a->it[i].n, b->it[j].p, b->it[j].n);
    case RK_PRE_STR:
    case RK_POST_STR:
        return m_cmp_str(&a->it[i], &b->it[j]);
    default:
        break;
    }
    int ci = a->it[i].first, cj = b->it[j].first;
    while (ci >= 0 || cj >= 0) {
        int r = m_cmp(a, ci, b, cj);
        if (r != 0)
            return r;
        ci = ci >= 0 ? a->it[ci].next : -1;
        cj = cj >= 0 ? b->it[cj].next : -1;
    }
    return 0;
}

int sf_ver_cmp_maven(const char *a, const char *b)
{
    static _Thread_local mtree ta, tb; /* ~10 KiB each: off the stack */
    a = a ? a : "";
    b = b ? b : "";
    int oka = m_parse(&ta, a), okb = m_parse(&tb, b);
    return oka && okb ? m_cmp(&ta, 0, &tb, 0) : sf_ver__cmp_invalid(oka, okb, a, b);
}

/* Maven accepts any string; "valid" here means non-empty, printable,
 * without blanks, starting with a digit, and within the parse bounds. */
int sf_ver__valid_maven(const char *v)
{
    static _Thread_local mtree t;
    if (!sf_ver__isdigit((unsigned char)v[0]))
        return 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return m_parse(&t, v);
}
