/*
 * sf_agg_plan_compact: what cancels in a plan is dropped, counter
 * increments per (key, member) are summed, and everything else (mixed
 * kinds on one member, lone ops) stays in its order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agg_plan.h"

static void add(sf_agg_plan *p, sf_agg_opcode c, const char *k, const char *m, const char *v)
{
    assert_int_equal(sf_agg_plan_op(p, c, k, m, v), SF_OK);
}

static void expect_op(const sf_agg_plan *p, size_t i, sf_agg_opcode c, const char *k,
                      const char *m, const char *v)
{
    assert_true(i < p->n);
    assert_int_equal(p->ops[i].code, c);
    assert_string_equal(p->ops[i].key, k);
    assert_string_equal(p->ops[i].member, m);
    assert_string_equal(p->ops[i].value, v);
}

/* An unchanged rescan: -old then +new for every counter and set. */
static void test_rescan_cancels(void **state)
{
    (void)state;
    sf_agg_plan p = {0};
    add(&p, SF_AOP_ZINC, "ix:pall", "apk\x1fmusl", "-1");
    add(&p, SF_AOP_HINC, "counts", "critical", "-3");
    add(&p, SF_AOP_SREM, "ix:imgsev:HIGH", "sha256:aa", NULL);
    add(&p, SF_AOP_HSET, "views", "sha256:aa", "{\"new\":1}");
    add(&p, SF_AOP_ZINC, "ix:pall", "apk\x1fmusl", "1");
    add(&p, SF_AOP_HINC, "counts", "critical", "3");
    add(&p, SF_AOP_SADD, "ix:imgsev:HIGH", "sha256:aa", NULL);
    assert_int_equal(sf_agg_plan_compact(&p), SF_OK);
    assert_int_equal(p.n, 1);
    expect_op(&p, 0, SF_AOP_HSET, "views", "sha256:aa", "{\"new\":1}");
    sf_agg_plan_clear(&p);
}

/* A changed rescan keeps the net change, in the first op's place. */
static void test_net_change_kept(void **state)
{
    (void)state;
    sf_agg_plan p = {0};
    add(&p, SF_AOP_HINC, "counts", "high", "-2");
    add(&p, SF_AOP_ZREM, "ix:imgtime", "sha256:aa", NULL);
    add(&p, SF_AOP_ZINC, "ix:pall", "apk\x1fzlib", "1"); /* a new package */
    add(&p, SF_AOP_HINC, "counts", "high", "5");
    add(&p, SF_AOP_ZADD, "ix:imgtime", "sha256:aa", "1700");
    add(&p, SF_AOP_SREM, "ix:imgsev:LOW", "sha256:aa", NULL); /* finding gone */
    assert_int_equal(sf_agg_plan_compact(&p), SF_OK);
    assert_int_equal(p.n, 4);
    expect_op(&p, 0, SF_AOP_HINC, "counts", "high", "3");
    expect_op(&p, 1, SF_AOP_ZINC, "ix:pall", "apk\x1fzlib", "1");
    expect_op(&p, 2, SF_AOP_ZADD, "ix:imgtime", "sha256:aa", "1700");
    expect_op(&p, 3, SF_AOP_SREM, "ix:imgsev:LOW", "sha256:aa", "");
    sf_agg_plan_clear(&p);
}

/* Shapes it does not know are left exactly as built. */
static void test_unknown_shapes_untouched(void **state)
{
    (void)state;
    sf_agg_plan p = {0};
    add(&p, SF_AOP_SADD, "k", "m", NULL);
    add(&p, SF_AOP_SREM, "k", "m", NULL); /* add then remove: order matters */
    add(&p, SF_AOP_ZINC, "z", "m", "1");
    add(&p, SF_AOP_ZMAX, "z", "m", "9"); /* mixed kinds on one member */
    add(&p, SF_AOP_HDELEQ, "h", "m", "a");
    add(&p, SF_AOP_HDELEQ, "h", "m", "b"); /* each compares its own value */
    add(&p, SF_AOP_ZINC, "z", "other", "-1");
    assert_int_equal(sf_agg_plan_compact(&p), SF_OK);
    assert_int_equal(p.n, 7);
    expect_op(&p, 0, SF_AOP_SADD, "k", "m", "");
    expect_op(&p, 1, SF_AOP_SREM, "k", "m", "");
    expect_op(&p, 3, SF_AOP_ZMAX, "z", "m", "9");
    expect_op(&p, 4, SF_AOP_HDELEQ, "h", "m", "a");
    expect_op(&p, 5, SF_AOP_HDELEQ, "h", "m", "b");
    expect_op(&p, 6, SF_AOP_ZINC, "z", "other", "-1");
    sf_agg_plan_clear(&p);
}

/* Several images' plans in one (a batch): repeats of one kind on a member
 * collapse to what Redis would hold after all of them. */
static void test_repeats_collapse(void **state)
{
    (void)state;
    sf_agg_plan p = {0};
    add(&p, SF_AOP_HSET, "h", "m", "a");
    add(&p, SF_AOP_ZMAX, "vcvss", "CVE-1", "5.5");
    add(&p, SF_AOP_ZNX, "vfirst", "CVE-1", "3");
    add(&p, SF_AOP_ZADD, "pname", "apk\x1fmusl", "0");
    add(&p, SF_AOP_SADD, "s", "x", NULL);
    add(&p, SF_AOP_HSET, "h", "m", "b");
    add(&p, SF_AOP_ZMAX, "vcvss", "CVE-1", "9.8");
    add(&p, SF_AOP_ZNX, "vfirst", "CVE-1", "4");
    add(&p, SF_AOP_ZADD, "pname", "apk\x1fmusl", "0");
    add(&p, SF_AOP_SADD, "s", "x", NULL);
    add(&p, SF_AOP_ZMAX, "vcvss", "CVE-1", "7");
    assert_int_equal(sf_agg_plan_compact(&p), SF_OK);
    assert_int_equal(p.n, 5);
    expect_op(&p, 0, SF_AOP_ZNX, "vfirst", "CVE-1", "3");
    expect_op(&p, 1, SF_AOP_SADD, "s", "x", "");
    expect_op(&p, 2, SF_AOP_HSET, "h", "m", "b");
    expect_op(&p, 3, SF_AOP_ZMAX, "vcvss", "CVE-1", "9.8");
    expect_op(&p, 4, SF_AOP_ZADD, "pname", "apk\x1fmusl", "0");
    sf_agg_plan_clear(&p);
}

/* ZREM then ZADD of the score the old view gave: the member stays as it is. */
static void test_same_score_cancels(void **state)
{
    (void)state;
    sf_agg_plan p = {0};
    add(&p, SF_AOP_ZREM, "ix:imgrisk", "sha256:aa", "3000");
    add(&p, SF_AOP_ZREM, "ix:imgtime", "sha256:aa", "1700");
    add(&p, SF_AOP_ZADD, "ix:imgrisk", "sha256:aa", "3000");
    add(&p, SF_AOP_ZADD, "ix:imgtime", "sha256:aa", "1800");
    assert_int_equal(sf_agg_plan_compact(&p), SF_OK);
    assert_int_equal(p.n, 1);
    expect_op(&p, 0, SF_AOP_ZADD, "ix:imgtime", "sha256:aa", "1800");
    sf_agg_plan_clear(&p);
}

/* Members that differ only after the key/member boundary stay apart. */
static void test_key_member_boundary(void **state)
{
    (void)state;
    sf_agg_plan p = {0};
    add(&p, SF_AOP_ZINC, "ab", "c", "1");
    add(&p, SF_AOP_ZINC, "a", "bc", "-1");
    assert_int_equal(sf_agg_plan_compact(&p), SF_OK);
    assert_int_equal(p.n, 2);
    sf_agg_plan_clear(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rescan_cancels),
        cmocka_unit_test(test_net_change_kept),
        cmocka_unit_test(test_unknown_shapes_untouched),
        cmocka_unit_test(test_key_member_boundary),
        cmocka_unit_test(test_repeats_collapse),
        cmocka_unit_test(test_same_score_cancels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
