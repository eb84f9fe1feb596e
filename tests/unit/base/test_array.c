/*
 * base/array: sf_array_grow doubles from its first capacity, keeps the
 * contents, returns the array unchanged while there is room, and refuses
 * (array and capacity untouched, still the caller's) past max and on a
 * size that would overflow. SF_ARRAY_RESERVE / SF_ARRAY_PUSH update the
 * caller's pointer and capacity (PUSH: a zeroed element, the count up)
 * and leave all untouched when refused; the release macros call the
 * element's clear once per element.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>

#include "base/array.h"
#include "base/err.h"

static void test_array_grow__doubles_and_keeps_contents(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0, n = 0;
    size_t caps[8], ncaps = 0;
    for (int i = 0; i < 100; i++) {
        size_t before = cap;
        int *nv = sf_array_grow(v, &cap, n, sizeof *v, 4, 0);
        assert_non_null(nv);
        if (cap != before)
            caps[ncaps++] = cap;
        else
            assert_ptr_equal(nv, v); /* room left: no reallocation */
        v = nv;
        v[n++] = i * 7;
    }
    for (int i = 0; i < 100; i++)
        assert_int_equal(v[i], i * 7);
    size_t want[] = {4, 8, 16, 32, 64, 128};
    assert_int_equal(ncaps, 6);
    for (size_t i = 0; i < ncaps; i++)
        assert_int_equal(caps[i], want[i]);
    free(v);
}

static void test_array_grow__room_left_is_no_realloc(void **state)
{
    (void)state;
    size_t cap = 0;
    long *v = sf_array_grow(NULL, &cap, 0, sizeof *v, 16, 0);
    assert_non_null(v);
    for (size_t n = 1; n < 16; n++)
        assert_ptr_equal(sf_array_grow(v, &cap, n, sizeof *v, 16, 0), v);
    assert_int_equal(cap, 16);
    free(v);
}

static void test_array_grow__max_and_overflow_refused(void **state)
{
    (void)state;
    char *v = NULL;
    size_t cap = 0, n = 0;
    for (; n < 10; n++) {
        char *nv = sf_array_grow(v, &cap, n, 1, 4, 10);
        assert_non_null(nv);
        v = nv;
        v[n] = (char)n;
    }
    assert_int_equal(cap, 10); /* 4, 8, then clamped to max */
    assert_null(sf_array_grow(v, &cap, n, 1, 4, 10));
    assert_int_equal(cap, 10);
    assert_int_equal(v[9], 9); /* still the caller's, intact */
    free(v);
    size_t big = SIZE_MAX / 2 + 1;
    void *p = malloc(1);
    assert_null(sf_array_grow(p, &big, big, 16, 4, 0)); /* bytes overflow */
    assert_int_equal(big, SIZE_MAX / 2 + 1);
    size_t zero = 0;
    void *q = sf_array_grow(p, &zero, 0, 8, 0, 0); /* first 0 means 1 */
    assert_non_null(q);
    assert_int_equal(zero, 1);
    free(q);
}

typedef struct item {
    int a;
    char *s;
} item;

static void test_array_push__zeroed_counted_refused_at_max(void **state)
{
    (void)state;
    item *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 5; i++) {
        item *e = SF_ARRAY_PUSH(v, cap, n, 2, 5);
        assert_non_null(e);
        assert_ptr_equal(e, &v[i]);
        assert_int_equal(e->a, 0);
        assert_null(e->s);
        e->a = i + 1;
    }
    assert_int_equal(n, 5);
    assert_int_equal(cap, 5); /* 2, 4, then clamped to max */
    item *keep = v;
    assert_null(SF_ARRAY_PUSH(v, cap, n, 2, 5));
    assert_ptr_equal(v, keep);
    assert_int_equal(n, 5);
    assert_int_equal(cap, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(v[i].a, i + 1);
    assert_int_equal(SF_ARRAY_RESERVE(v, cap, n, 2, 5), SF_ENOMEM);
    assert_int_equal(SF_ARRAY_RESERVE(v, cap, 4, 2, 5), SF_OK); /* room left */
    assert_ptr_equal(v, keep);
    free(v);
}

static int ncleared;
static void item_clear(item *e)
{
    ncleared += e->a;
    free(e->s);
}

static void test_array_free__clears_each_element(void **state)
{
    (void)state;
    item *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 1; i <= 3; i++) {
        item *e = SF_ARRAY_PUSH(v, cap, n, 1, 0);
        assert_non_null(e);
        e->a = i;
        e->s = malloc(4);
        assert_non_null(e->s);
    }
    ncleared = 0;
    SF_ARRAY_FREE(v, n, item_clear);
    assert_int_equal(ncleared, 1 + 2 + 3);
    char **sv = calloc(2, sizeof *sv);
    assert_non_null(sv);
    sv[0] = malloc(3);
    sf_strarr_free(sv, 2); /* a NULL entry is fine */
    sf_strarr_free(NULL, 7);
}

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    return (x->a > y->a) - (x->a < y->a);
}

static int ndropped;
static void drop_item(void *e)
{
    ndropped++;
    free(((item *)e)->s);
}

static void test_array_sort_unique__keeps_first_of_each(void **state)
{
    (void)state;
    item v[7] = {{3, NULL}, {1, NULL}, {3, NULL}, {2, NULL}, {1, NULL}, {3, NULL}, {5, NULL}};
    for (size_t i = 0; i < 7; i++) {
        v[i].s = malloc(2);
        assert_non_null(v[i].s);
    }
    ndropped = 0;
    size_t n = sf_array_sort_unique(v, 7, sizeof *v, cmp_item, drop_item);
    assert_int_equal(n, 4);
    assert_int_equal(ndropped, 3);
    int want[] = {1, 2, 3, 5};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(v[i].a, want[i]);
        free(v[i].s);
    }
    assert_int_equal(sf_array_sort_unique(NULL, 0, sizeof *v, cmp_item, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_grow__doubles_and_keeps_contents),
        cmocka_unit_test(test_array_grow__room_left_is_no_realloc),
        cmocka_unit_test(test_array_grow__max_and_overflow_refused),
        cmocka_unit_test(test_array_push__zeroed_counted_refused_at_max),
        cmocka_unit_test(test_array_free__clears_each_element),
        cmocka_unit_test(test_array_sort_unique__keeps_first_of_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
