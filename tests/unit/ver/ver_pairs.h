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

/* Check that every string of the NULL-terminated list is (want 1) or is
 * not (want 0) a valid version under s; returns the number of failures,
 * each printed. */
static inline int ver_check_valid(sf_verscheme s, int want, const char *const *vs)
{
    int bad = 0;
    for (; *vs; vs++)
        if (!!sf_ver_valid(s, *vs) != want) {
            fprintf(stderr, "%s: '%s' should%s be valid\n", sf_ver_scheme_name(s), *vs,
                    want ? "" : " not");
            bad++;
        }
    return bad;
}

#define VER_VALID(s, ...) \
    assert_int_equal(ver_check_valid((s), 1, (const char *const[]){__VA_ARGS__, NULL}), 0)
#define VER_INVALID(s, ...) \
    assert_int_equal(ver_check_valid((s), 0, (const char *const[]){__VA_ARGS__, NULL}), 0)

/* The test test_ver_<name>__oracle_pairs: the file's table `oracle` (pairs
 * ordered by the reference implementation, at least min of them: a table
 * cut short must fail) checked under scheme s. */
#define VER_ORACLE_TEST(name, s, min)                                                    \
    static void test_ver_##name##__oracle_pairs(void **state)                            \
    {                                                                                    \
        (void)state;                                                                     \
        assert_true(sizeof oracle / sizeof oracle[0] >= (min));                          \
        VER_CHECK((s), oracle);                                                          \
    }

#define VER_CHECK(s, tab) assert_int_equal(ver_check_pairs((s), (tab), sizeof(tab) / sizeof((tab)[0])), 0)

#endif
