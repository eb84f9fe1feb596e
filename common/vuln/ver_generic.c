/*
 * ver_generic: the fallback order for ecosystems without a scheme of
 * their own: "dotted numbers, then text".
 *
 * A version is read as a sequence of tokens: runs of ASCII digits
 * (compared by numeric value, any length) and runs of other bytes that
 * are not separators (compared case-insensitively, bytewise). Separators
 * (. - _ + ~ : / whitespace) only delimit. At the first differing
 * position: text < end-of-version < number, so
 * "1.0rc1" < "1.0" < "1.0.1": a trailing word reads as a pre-release
 * ("2.0beta" before "2.0"), the common case in unknown ecosystems.
 */
#include <stddef.h>
#include <string.h>

#include "vuln/ver.h"
#include "vuln/ver_int.h"

enum { TK_TEXT = 0, TK_END = 1, TK_NUM = 2 };

typedef struct gtok {
    int kind;
    const char *p;
    size_t n;
} gtok;

static int is_sep(unsigned char c)
{
    return c == '.' || c == '-' || c == '_' || c == '+' || c == '~' || c == ':' ||
           c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Next token of *s; advances *s past it. */
static gtok next_tok(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    gtok t = {TK_END, NULL, 0};
    while (*p && is_sep(*p))
        p++;
    if (!*p) {
        *s = (const char *)p;
        return t;
    }
    t.p = (const char *)p;
    if (sf_ver__isdigit(*p)) {
        t.kind = TK_NUM;
        while (sf_ver__isdigit(*p))
            p++;
    } else {
        t.kind = TK_TEXT;
        while (*p && !is_sep(*p) && !sf_ver__isdigit(*p))
            p++;
    }
    t.n = (size_t)((const char *)p - t.p);
    *s = (const char *)p;
    return t;
}

static int text_cmp(const gtok *a, const gtok *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++) {
        int ca = sf_ver__lower((unsigned char)a->p[i]);
        int cb = sf_ver__lower((unsigned char)b->p[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return 0;
}

int sf_ver_cmp_generic(const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    for (;;) {
        gtok ta = next_tok(&a), tb = next_tok(&b);
        if (ta.kind != tb.kind)
            return ta.kind < tb.kind ? -1 : 1;
        if (ta.kind == TK_END)
            return 0;
        int r = ta.kind == TK_NUM ? sf_ver__numcmp(ta.p, ta.n, tb.p, tb.n)
                                  : text_cmp(&ta, &tb);
        if (r != 0)
            return r;
    }
}

int sf_ver__valid_generic(const char *v)
{
    int digit = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p <= ' ' || *p == 0x7f)
            return 0;
        if (sf_ver__isdigit(*p))
            digit = 1;
    }
    return digit;
}
