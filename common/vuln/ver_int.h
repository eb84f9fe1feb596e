/*
 * ver_int: internals shared by the per-scheme version comparators
 * (ver_*.c). Not part of the public interface; only ver*.c include it.
 *
 * Every comparator maps a string to a key and compares keys
 * lexicographically, where each key element has a total order. That is
 * what makes each comparator a total preorder on arbitrary byte strings:
 * two different strings may compare equal ("1.0" and "1.00" in dpkg),
 * but sign(cmp(a,b)) == -sign(cmp(b,a)) and transitivity always hold.
 * Digit runs are compared as strings (zeros stripped, then by length,
 * then bytewise), so no input length can overflow an integer.
 */
#ifndef SF_VER_INT_H
#define SF_VER_INT_H

#include <stddef.h>

/* -1, 0 or 1 by the sign of v. */
static inline int sf_ver__sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Compare two runs of ASCII digits by numeric value, any length; empty
 * runs count as 0. */
int sf_ver__numcmp(const char *a, size_t alen, const char *b, size_t blen);

/* The order of a and b when they are not both valid in a strict scheme
 * (oka, okb: whether each is): a valid version sorts after an invalid
 * one, and two invalid ones compare as generic versions. The fallback
 * rule shared by gem, maven, pep440 and semver. */
int sf_ver__cmp_invalid(int oka, int okb, const char *a, const char *b);

/* An epoch:version-release version (dpkg's epoch:upstream-revision, rpm's
 * epoch:version-release), split: the epoch's digits (none: epoch 0) and
 * the two parts as [start, end) ranges, rel empty without a '-'. */
typedef struct sf_ver__evr {
    const char *epoch;
    size_t epoch_n;
    const char *ver, *ver_end;
    const char *rel, *rel_end;
} sf_ver__evr;

/* Split s, what follows the epoch, at its last '-' into v's ver and rel. */
void sf_ver__evr_split_rest(const char *s, sf_ver__evr *v);

/* Compare two split versions: epochs by value, then the versions, then
 * the releases by the scheme's comparison of two ranges, seg. */
int sf_ver__evr_cmp(const sf_ver__evr *a, const sf_ver__evr *b,
                    int (*seg)(const char *a, const char *ae, const char *b, const char *be));

/* Bytewise comparison of two byte ranges, shorter-is-less on a common
 * prefix (like memcmp then length). */
int sf_ver__bytecmp(const char *a, size_t alen, const char *b, size_t blen);

/* Length of the run of ASCII digits at s (at most n bytes). */
size_t sf_ver__digits(const char *s, size_t n);

/* Compare the digit runs at *a (up to ae) and *b (up to be) by value, as
 * sf_ver__numcmp, and step both pointers past their run: the numeric
 * step of the segment walks (dpkg's verrevcmp, PEP 440 releases). */
int sf_ver__numstep(const char **a, const char *ae, const char **b, const char *be);

/* Digits at the start of the NUL-terminated s (no strlen: the NUL is not
 * a digit, so the scan stops there; keeps token loops linear). */
static inline size_t sf_ver__digits_z(const char *s)
{
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    return i;
}

/* ASCII-only classification (locale independent). */
static inline int sf_ver__isdigit(int c)
{
    return c >= '0' && c <= '9';
}
static inline int sf_ver__isalpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline int sf_ver__isalnum(int c)
{
    return sf_ver__isdigit(c) || sf_ver__isalpha(c);
}
static inline int sf_ver__lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Validity per scheme (sf_ver_valid dispatches here). */
int sf_ver__valid_generic(const char *v);
int sf_ver__valid_dpkg(const char *v);
int sf_ver__valid_apk(const char *v);
int sf_ver__valid_rpm(const char *v);
int sf_ver__valid_semver(const char *v);
int sf_ver__valid_pep440(const char *v);
int sf_ver__valid_go(const char *v);
int sf_ver__valid_maven(const char *v);
int sf_ver__valid_gem(const char *v);

#endif
