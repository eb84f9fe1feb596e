/*
 * ver_apk: Alpine version order, with the semantics of apk-tools 2.14
 * (src/version.c): digit{.digit}...{letter}{_suffix{digits}}...{-r#}.
 *
 * The version is read as tokens: an initial number; ".number" parts; one
 * lowercase letter; "_suffix[number]" parts where the suffix is one of
 * alpha < beta < pre < rc (below the release) or cvs < svn < git < hg < p
 * (above it; an empty suffix counts as the release itself); "-r#" last.
 * Tokens of the same type compare by value: numbers numerically, except
 * that a non-initial number with a leading zero compares as a string
 * against any number ("1.01" < "1.1", Gentoo's rule); the letter by byte;
 * the suffix by the order above. When one version runs out of tokens or
 * the token types differ, a pre-release suffix sorts lowest, then the
 * version whose next token type is *later* in the grammar is the smaller
 * one: "1.0.1" > "1.0-r1" (a number beats a revision) and "1.0-r1" >
 * "1.0" (a revision beats the end).
 *
 * Invalid input (as apk): tokenising stops at the first token that breaks
 * the grammar, which becomes an INVALID token. Two versions that are
 * equal up to an invalid token at the same position compare equal
 * ("1.0_foo" == "1.0_bar"); an INVALID token sorts below the end of a
 * version ("1.0_foo" < "1.0") but above a pre-release suffix; a string
 * not starting with a digit is INVALID from the start and sorts below
 * every valid version. This is a total preorder, like apk's.
 *
 * Numbers are compared as digit strings, so unlike apk's uint64 parse no
 * length overflows (apk wraps on > 20 digits; no real version has them).
 */
#include <stddef.h>
#include <string.h>

#include "vuln/ver.h"
#include "vuln/ver_int.h"

enum apk_tok {
    TOK_INITIAL_DIGIT,
    TOK_DIGIT,
    TOK_LETTER,
    TOK_SUFFIX,
    TOK_SUFFIX_NO,
    TOK_REVISION_NO,
    TOK_END,
    TOK_INVALID,
};

enum apk_suffix {
    SUF_INVALID = 0,
    SUF_ALPHA,
    SUF_BETA,
    SUF_PRE,
    SUF_RC,
    SUF_NONE, /* the release itself: everything below is a pre-release */
    SUF_CVS,
    SUF_SVN,
    SUF_GIT,
    SUF_HG,
    SUF_P,
};

static const char *const suffix_names[] = {
    [SUF_ALPHA] = "alpha", [SUF_BETA] = "beta", [SUF_PRE] = "pre", [SUF_RC] = "rc",
    [SUF_CVS] = "cvs",     [SUF_SVN] = "svn",   [SUF_GIT] = "git", [SUF_HG] = "hg",
    [SUF_P] = "p",
};

typedef struct apk_tok_state {
    int token;
    int suffix;
    const char *p; /* value of the current token */
    size_t n;
    const char *rest; /* unread input */
} apk_tok_state;

static int suffix_value(const char *p, size_t n)
{
    if (n == 0)
        return SUF_NONE;
    for (int s = SUF_ALPHA; s <= SUF_P; s++) {
        if (s == SUF_NONE)
            continue;
        if (strlen(suffix_names[s]) == n && memcmp(suffix_names[s], p, n) == 0)
            return s;
    }
    return SUF_INVALID;
}

static void take_digits(apk_tok_state *t)
{
    t->p = t->rest;
    t->n = sf_ver__digits_z(t->rest);
    t->rest += t->n;
}

static void tok_first(apk_tok_state *t, const char *s)
{
    t->rest = s;
    t->suffix = SUF_INVALID;
    take_digits(t);
    t->token = t->n ? TOK_INITIAL_DIGIT : TOK_INVALID;
}

/* Advance to the next token, checking the grammar's order of tokens. */
static void tok_next(apk_tok_state *t)
{
    unsigned char c = (unsigned char)t->rest[0];
    if (c == '\0') {
        t->token = TOK_END;
    } else if (c >= 'a' && c <= 'z') {
        if (t->token > TOK_DIGIT)
            goto invalid;
        t->p = t->rest++;
        t->n = 1;
        t->token = TOK_LETTER;
    } else if (c == '.' || sf_ver__isdigit(c)) {
        if (t->token > TOK_DIGIT && !(sf_ver__isdigit(c) && t->token == TOK_SUFFIX))
            goto invalid;
        if (c == '.')
            t->rest++;
        take_digits(t);
        t->token = t->token == TOK_SUFFIX ? TOK_SUFFIX_NO : TOK_DIGIT;
    } else if (c == '_') {
        if (t->token > TOK_SUFFIX_NO)
            goto invalid;
        const char *s = ++t->rest;
        while (*t->rest >= 'a' && *t->rest <= 'z')
            t->rest++;
        t->p = s;
        t->n = (size_t)(t->rest - s);
        t->suffix = suffix_value(s, t->n);
        if (t->suffix == SUF_INVALID)
            goto invalid;
        t->token = TOK_SUFFIX;
    } else if (c == '-') {
        if (t->token >= TOK_REVISION_NO || t->rest[1] != 'r')
            goto invalid;
        t->rest += 2;
        take_digits(t);
        t->token = TOK_REVISION_NO;
    } else {
        goto invalid;
    }
    return;
invalid:
    t->token = TOK_INVALID;
}

/* Compare two tokens of the same type (< TOK_END). */
static int tok_cmp(const apk_tok_state *a, const apk_tok_state *b)
{
    switch (a->token) {
    case TOK_DIGIT:
        /* A leading zero on either side: Gentoo's string comparison. */
        if ((a->n && a->p[0] == '0') || (b->n && b->p[0] == '0'))
            return sf_ver__bytecmp(a->p, a->n, b->p, b->n);
        /* fall through */
    case TOK_INITIAL_DIGIT:
    case TOK_SUFFIX_NO:
    case TOK_REVISION_NO:
        return sf_ver__numcmp(a->p, a->n, b->p, b->n);
    case TOK_LETTER:
        return sf_ver__sign((unsigned char)a->p[0] - (unsigned char)b->p[0]);
    case TOK_SUFFIX:
        return sf_ver__sign(a->suffix - b->suffix);
    default:
        return 0;
    }
}

int sf_ver_cmp_apk(const char *a, const char *b)
{
    apk_tok_state ta, tb;
    tok_first(&ta, a ? a : "");
    tok_first(&tb, b ? b : "");
    while (ta.token == tb.token && ta.token < TOK_END) {
        int r = tok_cmp(&ta, &tb);
        if (r != 0)
            return r;
        tok_next(&ta);
        tok_next(&tb);
    }
    if (ta.token == tb.token)
        return 0;
    /* Equal so far: a pre-release suffix is lowest; otherwise the side
     * whose next token comes later in the grammar (or ends, or is
     * invalid) is the smaller version. */
    if (ta.token == TOK_SUFFIX && ta.suffix < SUF_NONE)
        return -1;
    if (tb.token == TOK_SUFFIX && tb.suffix < SUF_NONE)
        return 1;
    return ta.token > tb.token ? -1 : 1;
}

int sf_ver__valid_apk(const char *v)
{
    apk_tok_state t;
    for (tok_first(&t, v); t.token < TOK_END; tok_next(&t))
        ;
    return t.token == TOK_END;
}
