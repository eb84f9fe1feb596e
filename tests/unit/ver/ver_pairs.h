/*
 * ver_pairs: shared by the version-order tests. A table row is a real
 * version pair with its expected order; every row is checked in both
 * directions and reflexively, and failures print the row so a broken
 * rule is named, not just counted.
 */
#ifndef SF_TEST_VER_PAIRS_H
#define SF_TEST_VER_PAIRS_H

#include <stdio.h>

#include "vuln/ver.h"

typedef struct ver_pair {
    const char *a;
    int want; /* -1: a < b, 0: a == b, 1: a > b */
    const char *b;
} ver_pair;

static inline int ver_sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Check every row of tab under scheme s; returns the number of failures. */
static inline int ver_check_pairs(sf_verscheme s, const ver_pair *tab, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        int ab = ver_sign(sf_ver_cmp(s, tab[i].a, tab[i].b));
        int ba = ver_sign(sf_ver_cmp(s, tab[i].b, tab[i].a));
        int aa = sf_ver_cmp(s, tab[i].a, tab[i].a);
        int bb = sf_ver_cmp(s, tab[i].b, tab[i].b);
        if (ab != tab[i].want || ba != -tab[i].want || aa != 0 || bb != 0) {
            fprintf(stderr, "%s: %s %s %s: got %d / reverse %d / self %d %d\n",
                    sf_ver_scheme_name(s), tab[i].a,
                    tab[i].want < 0 ? "<" : tab[i].want > 0 ? ">" : "=", tab[i].b, ab,
                    ba, aa, bb);
            bad++;
        }
    }
    return bad;
}

#define VER_CHECK(s, tab) assert_int_equal(ver_check_pairs((s), (tab), sizeof(tab) / sizeof((tab)[0])), 0)

#endif
