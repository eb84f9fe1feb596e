/*
 * json_skim: see json_skim.h. A recursive descent over the bytes, its
 * depth bounded by SF_LIM_JSON_DEPTH; every rule mirrors jansson 2.14's
 * lexer (load.c) or is stricter than it.
 *
 * Speed: most of a result is string text, so string bodies are scanned 8
 * bytes at a time (SWAR on a 64-bit word) for the only bytes that need a
 * closer look ('"', '\\', control bytes, bytes >= 0x80); those go through
 * the byte-exact rules below. Plain C11, no intrinsics: one code path on
 * every compiler, the one the tests and the fuzzer run.
 */
#include "base/json_skim.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/limits.h"

typedef struct sk {
    const unsigned char *s;
    size_t len, i;
    int bad; /* set once: everything after fails */
} sk;

static void ws_run(sk *k)
{
    while (k->i < k->len &&
           (k->s[k->i] == ' ' || k->s[k->i] == '\t' || k->s[k->i] == '\n' || k->s[k->i] == '\r'))
        k->i++;
}

/* Whitespace: compact documents have none, so one test for the usual
 * byte (every whitespace byte is <= ' ') before the loop. */
static inline void ws(sk *k)
{
    if (k->i < k->len && k->s[k->i] <= ' ')
        ws_run(k);
}

static int fail(sk *k)
{
    k->bad = 1;
    return -1;
}

/* One UTF-8 sequence at k->i (its first byte >= 0x80), by the rule
 * jansson's utf8_check_first/_full apply (sf_utf8_seq). */
static int utf8_seq(sk *k)
{
    size_t n = sf_utf8_seq(k->s + k->i, k->len - k->i);
    if (!n)
        return fail(k);
    k->i += n;
    return 0;
}

/* Four hex digits at k->i into *v. */
static int hex4(sk *k, unsigned *v)
{
    if (k->len - k->i < 4)
        return fail(k);
    *v = 0;
    for (int j = 0; j < 4; j++) {
        unsigned char c = k->s[k->i++];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return fail(k);
        *v = *v << 4 | d;
    }
    return 0;
}

/* Keeps the rare paths out of string(), so it needs no saved registers
 * (an optimisation hint only: without it the code means the same). */
#if defined(__GNUC__) || defined(__clang__)
#define SK_COLD __attribute__((noinline, cold))
#else
#define SK_COLD
#endif

#define SK_ONES UINT64_C(0x0101010101010101)
#define SK_HIGHS UINT64_C(0x8080808080808080)

/* s[0..8) as a little-endian word whatever the host's byte order, so the
 * lowest byte is the first in memory (compilers make this one load). */
static inline uint64_t load8(const unsigned char *s)
{
    return (uint64_t)s[0] | (uint64_t)s[1] << 8 | (uint64_t)s[2] << 16 | (uint64_t)s[3] << 24 |
           (uint64_t)s[4] << 32 | (uint64_t)s[5] << 40 | (uint64_t)s[6] << 48 |
           (uint64_t)s[7] << 56;
}

/* The high bit of w's bytes that are '"', '\\', < 0x20 or >= 0x80, by
 * bytewise subtraction: x - 1 has its high bit set when x is 0 (a match)
 * or >= 0x81, and q, b and w share their high bit, which "| w" flags
 * anyway; w - 0x20 has it when w < 0x20 or >= 0xa0. A borrow crosses into
 * the next byte only out of a byte that matched, so the lowest flagged
 * byte is always a true match (bytes above it may be flagged falsely,
 * and are never looked at), and with no match nothing is flagged. */
static inline uint64_t special8(uint64_t w)
{
    uint64_t q = w ^ (SK_ONES * '"'), b = w ^ (SK_ONES * '\\');
    return ((q - SK_ONES) | (b - SK_ONES) | (w - SK_ONES * 0x20) | w) & SK_HIGHS;
}

/* The index of the lowest flagged byte of m (m != 0, flags on high bits):
 * below it, m - 1's bytes are 0xff, its own 0x7f; summing their low bits
 * by one multiplication counts those bytes. Portable, unlike ctz. */
static inline size_t first8(uint64_t m)
{
    uint64_t low = m & (~m + 1);
    return (size_t)((((low - 1) & SK_ONES) * SK_ONES) >> 56) - 1;
}

/* The first byte at or after i that string() must look at ('"', '\\',
 * < 0x20, >= 0x80), or len. Word loads only while 8 bytes remain. */
static inline size_t plain_run(const unsigned char *s, size_t i, size_t len)
{
    while (len - i >= 8) {
        uint64_t m = special8(load8(s + i));
        if (m)
            return i + first8(m);
        i += 8;
    }
    while (i < len && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\')
        i++;
    return i;
}

/* A backslash escape at k->i (just past the backslash); *esc = 1. */
static int escape(sk *k)
{
    if (k->i >= k->len)
        return fail(k);
    unsigned char c = k->s[k->i++];
    if (c == 'u') {
        unsigned v, lo;
        if (hex4(k, &v) != 0 || v == 0) /* \u0000: not without JSON_ALLOW_NUL */
            return fail(k);
        if (v >= 0xdc00 && v <= 0xdfff)
            return fail(k); /* a low surrogate alone */
        if (v >= 0xd800 && v <= 0xdbff) {
            if (k->len - k->i < 2 || k->s[k->i] != '\\' || k->s[k->i + 1] != 'u')
                return fail(k);
            k->i += 2;
            if (hex4(k, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff)
                return fail(k);
        }
    } else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
        return fail(k);
    }
    return 0;
}

/* What string() does at a byte plain_run() stopped at (k->i) that is not
 * the closing quote: the end of the buffer, a control byte, a UTF-8
 * sequence or an escape. */
static int special(sk *k, int *esc)
{
    if (k->i >= k->len)
        return fail(k);
    unsigned char c = k->s[k->i];
    if (c < 0x20)
        return fail(k); /* jansson: control character in a string */
    if (c >= 0x80)
        return utf8_seq(k);
    k->i++; /* the backslash */
    *esc = 1;
    return escape(k);
}

/* The rest of a string from its first special byte (k->i) on. */
SK_COLD static int string_rest(sk *k, int *esc)
{
    for (;;) {
        if (special(k, esc) != 0)
            return -1;
        size_t i = plain_run(k->s, k->i, k->len);
        if (i < k->len && k->s[i] == '"') {
            k->i = i + 1;
            return 0;
        }
        k->i = i;
    }
}

/* A string at k->i (its opening quote); *esc = 1 when it holds an escape.
 * Most strings are plain text up to the closing quote: that case alone
 * is here, so it needs no saved registers. On failure k->i is where the
 * byte loop this replaced stopped (the offset in the caller's message). */
static int string(sk *k, int *esc)
{
    size_t i = plain_run(k->s, k->i + 1, k->len);
    *esc = 0;
    if (i < k->len && k->s[i] == '"') {
        k->i = i + 1;
        return 0;
    }
    k->i = i;
    return string_rest(k, esc);
}

static size_t digits(sk *k)
{
    size_t n = 0;
    while (k->i < k->len && k->s[k->i] >= '0' && k->s[k->i] <= '9')
        k->i++, n++;
    return n;
}

/* A number: the JSON grammar; integers of at most 18 digits (never past
 * json_int_t), reals of at most 200 integer digits and a 2-digit exponent
 * (never past DBL_MAX: jansson refuses an overflow). */
static int number(sk *k)
{
    if (k->s[k->i] == '-')
        k->i++;
    size_t start = k->i, nint = digits(k), nexp = 0;
    int real = 0;
    if (nint == 0 || (nint > 1 && k->s[start] == '0'))
        return fail(k);
    if (k->i < k->len && k->s[k->i] == '.') {
        k->i++, real = 1;
        if (digits(k) == 0)
            return fail(k);
    }
    if (k->i < k->len && (k->s[k->i] == 'e' || k->s[k->i] == 'E')) {
        k->i++, real = 1;
        if (k->i < k->len && (k->s[k->i] == '+' || k->s[k->i] == '-'))
            k->i++;
        if ((nexp = digits(k)) == 0)
            return fail(k);
    }
    if ((!real && nint > 18) || (real && (nint > 200 || nexp > 2)))
        return fail(k);
    return 0;
}

static int literal(sk *k, const char *w)
{
    size_t n = strlen(w);
    if (k->len - k->i < n || memcmp(k->s + k->i, w, n) != 0)
        return fail(k);
    k->i += n;
    return 0;
}

/* The byte at k->i once whitespace is skipped, 0 at the end of the
 * buffer: no rule wants a NUL byte between tokens, so the end fails
 * wherever a NUL would, at the same k->i. */
static inline unsigned char peek(sk *k)
{
    if (k->i < k->len && k->s[k->i] > ' ')
        return k->s[k->i]; /* compact documents: no whitespace */
    ws_run(k);
    return k->i < k->len ? k->s[k->i] : 0;
}

static int value(sk *k, int depth);

/* An object or array at k->i; top-level members into m (may be NULL). */
static int container(sk *k, int depth, sf_jskim_member *m, size_t max, size_t *n)
{
    int obj = k->s[k->i] == '{';
    unsigned char close = obj ? '}' : ']';
    if (depth >= SF_LIM_JSON_DEPTH)
        return fail(k);
    k->i++;
    if (peek(k) == close) {
        k->i++;
        return 0;
    }
    for (;;) {
        sf_jskim_member one = {0};
        if (obj) {
            int esc;
            if (peek(k) != '"')
                return fail(k);
            one.key_off = k->i + 1;
            if (string(k, &esc) != 0)
                return -1;
            one.key_len = k->i - 1 - one.key_off, one.key_escaped = esc;
            if (peek(k) != ':')
                return fail(k);
            k->i++;
        }
        (void)peek(k); /* the whitespace before the value */
        one.val_off = k->i;
        if (value(k, depth + 1) != 0)
            return -1;
        one.val_len = k->i - one.val_off;
        if (m) {
            if (*n >= max)
                return -2;
            m[(*n)++] = one;
        }
        unsigned char c = peek(k);
        if (c == close) {
            k->i++;
            return 0;
        }
        if (c != ',')
            return fail(k);
        k->i++;
    }
}

static int value(sk *k, int depth)
{
    int esc;
    if (k->i >= k->len)
        return fail(k);
    switch (k->s[k->i]) {
    case '{':
    case '[':
        return container(k, depth, NULL, 0, NULL);
    case '"':
        return string(k, &esc);
    case 't':
        return literal(k, "true");
    case 'f':
        return literal(k, "false");
    case 'n':
        return literal(k, "null");
    default:
        if (k->s[k->i] == '-' || (k->s[k->i] >= '0' && k->s[k->i] <= '9'))
            return number(k);
        return fail(k);
    }
}

/* The top-level container opening with open ('{' or '['), its members
 * (or elements) into out. */
static int top(const char *s, size_t len, char open, sf_jskim_member *out, size_t max,
               size_t *n, sf_error *err)
{
    sk k = {.s = (const unsigned char *)s, .len = len};
    *n = 0;
    ws(&k);
    int rc = k.i < len && s[k.i] == open ? container(&k, 0, out, max, n) : fail(&k);
    if (rc == -2)
        return sf_error_set(err, SF_ELIMIT, "json: more than %zu %s", max,
                            open == '{' ? "members" : "elements");
    if (rc == 0) {
        ws(&k);
        if (k.i == len)
            return SF_OK;
    }
    *n = 0;
    return sf_error_set(err, SF_EPARSE, "json: not skimmable at byte %zu", k.i);
}

int sf_jskim_object(const char *s, size_t len, sf_jskim_member *out, size_t max, size_t *n,
                    sf_error *err)
{
    return top(s, len, '{', out, max, n, err);
}

int sf_jskim_find(const char *s, const sf_jskim_member *m, size_t n, const char *key)
{
    size_t kl = strlen(key);
    int at = -1;
    for (size_t i = 0; i < n; i++)
        if (!m[i].key_escaped && m[i].key_len == kl && memcmp(s + m[i].key_off, key, kl) == 0) {
            if (at >= 0)
                return -2;
            at = (int)i;
        }
    return at;
}

int sf_jskim_array(const char *s, size_t len, sf_jskim_member *out, size_t max, size_t *n,
                   sf_error *err)
{
    return top(s, len, '[', out, max, n, err);
}

/* Code point v as UTF-8 at o; its length. */
static size_t utf8_put(unsigned char *o, unsigned v)
{
    if (v < 0x80) {
        o[0] = (unsigned char)v;
        return 1;
    }
    if (v < 0x800) {
        o[0] = (unsigned char)(0xc0 | v >> 6);
        o[1] = (unsigned char)(0x80 | (v & 0x3f));
        return 2;
    }
    if (v < 0x10000) {
        o[0] = (unsigned char)(0xe0 | v >> 12);
        o[1] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
        o[2] = (unsigned char)(0x80 | (v & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | v >> 18);
    o[1] = (unsigned char)(0x80 | (v >> 12 & 0x3f));
    o[2] = (unsigned char)(0x80 | (v >> 6 & 0x3f));
    o[3] = (unsigned char)(0x80 | (v & 0x3f));
    return 4;
}

int sf_jskim_string(const char *s, size_t len, char **out, size_t *outlen, sf_error *err)
{
    sk k = {.s = (const unsigned char *)s, .len = len};
    int esc;
    *out = NULL;
    if (len < 2 || s[0] != '"' || string(&k, &esc) != 0 || k.i != len)
        return sf_error_set(err, SF_EPARSE, "json: not a string");
    /* Valid from here on (string() checked every escape); an escape
     * never decodes to more bytes than it takes, so len bytes suffice. */
    unsigned char *o = malloc(len);
    if (!o)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    size_t w = 0;
    k.i = 1;
    while (k.i < len - 1) {
        unsigned char c = k.s[k.i++];
        if (c != '\\') {
            o[w++] = c;
            continue;
        }
        c = k.s[k.i++];
        if (c != 'u') {
            o[w++] = (unsigned char)to[strchr(from, c) - from];
            continue;
        }
        /* string() checked these escapes, so hex4 cannot fail here; the
         * zeros are for -O3's maybe-uninitialized, which cannot see that */
        unsigned v = 0, lo = 0;
        (void)hex4(&k, &v);
        if (v >= 0xd800 && v <= 0xdbff) {
            k.i += 2; /* the "\\u" of the low half */
            (void)hex4(&k, &lo);
            v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
        }
        w += utf8_put(o + w, v);
    }
    o[w] = '\0';
    *out = (char *)o;
    if (outlen)
        *outlen = w;
    return SF_OK;
}
