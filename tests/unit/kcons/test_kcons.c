/* Unit tests of common/bus/kcons's offset tracker: the commit point is the
 * highest *contiguous* finished offset, whatever order jobs finish in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bus/kcons.h"

static void test_kcons_offtrack__out_of_order(void **state)
{
    (void)state;
    sf_offtrack t;
    int64_t c = -1;
    sf_offtrack_init(&t);
    for (int64_t o = 10; o < 15; o++)
        assert_int_equal(sf_offtrack_add(&t, o), SF_OK);
    assert_int_equal(sf_offtrack_finish(&t, 12, &c), 0); /* 10, 11 still out */
    assert_int_equal(sf_offtrack_finish(&t, 11, &c), 0);
    assert_int_equal(sf_offtrack_pending(&t), 3);
    assert_int_equal(sf_offtrack_finish(&t, 10, &c), 1);
    assert_int_equal(c, 13); /* 10..12 done: next to read is 13 */
    assert_int_equal(sf_offtrack_finish(&t, 10, &c), -1); /* twice: ignored */
    assert_int_equal(sf_offtrack_finish(&t, 99, &c), -1);
    assert_int_equal(sf_offtrack_finish(&t, 14, &c), 0);
    assert_int_equal(sf_offtrack_finish(&t, 13, &c), 1);
    assert_int_equal(c, 15);
    assert_int_equal(sf_offtrack_pending(&t), 0);
    /* Offsets must ascend (gaps are fine: compacted topics). */
    assert_int_equal(sf_offtrack_add(&t, 14), SF_EINVAL);
    assert_int_equal(sf_offtrack_add(&t, 20), SF_OK);
    assert_int_equal(sf_offtrack_finish(&t, 20, &c), 1);
    assert_int_equal(c, 21);
    sf_offtrack_clear(&t);
}

/* Many offsets finished in a scrambled order, with growth and compaction. */
static void test_kcons_offtrack__scrambled_many(void **state)
{
    (void)state;
    enum { N = 5000 };
    sf_offtrack t;
    sf_offtrack_init(&t);
    int64_t *order = malloc(N * sizeof *order);
    for (int i = 0; i < N; i++) {
        assert_int_equal(sf_offtrack_add(&t, i * 2), SF_OK);
        order[i] = i * 2;
    }
    srand(7);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        int64_t x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    int64_t c = -1, last = -1;
    for (int i = 0; i < N; i++) {
        if (sf_offtrack_finish(&t, order[i], &c) == 1) {
            assert_true(c > last);
            last = c;
        }
    }
    assert_int_equal(last, (N - 1) * 2 + 1);
    /* Reuse after draining. */
    assert_int_equal(sf_offtrack_add(&t, N * 2), SF_OK);
    assert_int_equal(sf_offtrack_finish(&t, N * 2, &c), 1);
    assert_int_equal(c, N * 2 + 1);
    free(order);
    sf_offtrack_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kcons_offtrack__out_of_order),
        cmocka_unit_test(test_kcons_offtrack__scrambled_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
