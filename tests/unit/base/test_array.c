/*
 * base/array: sf_array_grow doubles from its first capacity, keeps the
 * contents, returns the array unchanged while there is room, and refuses
 * (array and capacity untouched, still the caller's) past max and on a
 * size that would overflow.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>

#include "base/array.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_grow__doubles_and_keeps_contents),
        cmocka_unit_test(test_array_grow__max_and_overflow_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
