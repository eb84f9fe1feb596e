/* Unit tests of the aggregator's pure part: result decoding, the
 * replacement rule, ref splitting and the update plan's bookkeeping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agg_fix.h"
#include "agg_plan.h"
#include "fleet/agg_view.h"

static sf_agg_view *decode(const char *run, const char *db, const char *at, const char *refs,
                           const char *vulns, const char *err)
{
    sf_buf b;
    sf_agg_view *v = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 0);
    fix_result(&b, 'a', run, db, at, refs, vulns, err);
    assert_int_equal(sf_agg_view_from_result(b.data, b.len, &v, &e), SF_OK);
    sf_buf_free(&b);
    return v;
}

static void test_agg_view__decodes_and_dedupes_findings(void **state)
{
    (void)state;
    sf_agg_view *v = decode("r1", "db1", "2026-01-02T03:04:05.678Z", "reg.example:5000/app:1;docker.io/library/alpine:3.10;reg.example:5000/app:1",
                            "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;"
                            "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;"
                            "CVE-2022-0778:openssl:1.1.1k-r0:-:high;"
                            "GHSA-x:busybox:1.30:-:moderate",
                            NULL);
    assert_string_equal(v->digest + 7, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    assert_string_equal(v->job_key, v->digest);
    assert_int_equal(v->time_ms, 1767323045678LL);
    assert_int_equal(v->nrefs, 2); /* duplicate ref dropped */
    assert_int_equal(v->nvulns, 3); /* duplicate finding dropped */
    assert_int_equal(v->sev[SF_SEV_CRITICAL], 1);
    assert_int_equal(v->sev[SF_SEV_HIGH], 1);
    assert_int_equal(v->sev[SF_SEV_MEDIUM], 1);
    assert_int_equal(v->fixable, 1);
    assert_int_equal(v->npkgs, 3); /* openssl, busybox, musl; duplicates merged */
    assert_null(v->error);
    assert_string_equal(v->os, "alpine 3.10.3");

    /* stored view round trip keeps what reports read */
    sf_buf b;
    sf_agg_view *w = NULL;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_agg_view_json(v, &b), SF_OK);
    assert_int_equal(sf_agg_view_parse(b.data, b.len, &w, &e), SF_OK);
    assert_int_equal(w->nvulns, 3);
    assert_int_equal(w->fixable, 1);
    assert_int_equal(w->sev[SF_SEV_MEDIUM], 1);
    assert_int_equal(w->nrefs, 2);
    assert_string_equal(w->vulns[0].id, "CVE-2021-3711");
    assert_string_equal(w->vulns[0].fixed, "1.1.1l-r0");
    sf_buf_reset(&b);
    assert_int_equal(sf_agg_pkgs_json(v, &b), SF_OK);
    assert_int_equal(sf_agg_pkgs_parse(w, b.data, b.len, &e), SF_OK);
    assert_int_equal(w->npkgs, 3);
    sf_buf_free(&b);
    sf_agg_view_free(w);
    sf_agg_view_free(v);
}

static void test_agg_view__rejects_bad_documents(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "[]", "{\"schema\":\"scanfarm.job/v1\",\"digest\":\"sha256:00\"}",
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:xyz\"}",
        "{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"run_id\":\"a:b\"}",
        "{\"schema\":\"scanfarm.result/v1\",\"schema\":\"scanfarm.result/v1\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_agg_view *v = NULL;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_agg_view_from_result(bad[i], strlen(bad[i]), &v, &e), SF_EPARSE);
        assert_null(v);
    }
}

static void test_agg_view__error_results_carry_their_kind(void **state)
{
    (void)state;
    sf_agg_view *v = decode("r1", "db1", "2026-01-02T03:04:05Z", "r.io/x:1", "", "auth");
    assert_string_equal(v->error, "auth");
    assert_int_equal(v->nvulns, 0);
    sf_agg_view_free(v);
}

static void test_agg_view__order_rule(void **state)
{
    (void)state;
    sf_agg_view *a = decode("r1", "db1", "2026-01-02T03:04:05Z", "", "", NULL);
    sf_agg_view *b = decode("r1", "db2", "2026-01-02T03:05:05Z", "", "", NULL);
    sf_agg_view *c = decode("r2", "db2", "2026-01-02T03:00:00Z", "", "", NULL);
    char oa[512], oa2[512], ob[512], oc[512];
    assert_int_equal(sf_agg_order_fmt(oa, sizeof oa, 1000, a), SF_OK);
    assert_int_equal(sf_agg_order_fmt(ob, sizeof ob, 1000, b), SF_OK);
    assert_int_equal(sf_agg_order_fmt(oc, sizeof oc, 2000, c), SF_OK);
    /* same run and DB, produced again later: still a duplicate */
    a->time_ms += 60000;
    assert_int_equal(sf_agg_order_fmt(oa2, sizeof oa2, 1000, a), SF_OK);
    assert_int_equal(sf_agg_order_cmp(oa, oa), 0);
    assert_int_equal(sf_agg_order_cmp(oa, oa2), 0);
    /* same run, newer DB produced later: replaces; the reverse is stale */
    assert_int_equal(sf_agg_order_cmp(oa, ob), 1);
    assert_int_equal(sf_agg_order_cmp(ob, oa), -1);
    /* a later run wins even with an earlier clock; an earlier run never */
    assert_int_equal(sf_agg_order_cmp(ob, oc), 1);
    assert_int_equal(sf_agg_order_cmp(oc, ob), -1);
    /* garbage stored order is replaced */
    assert_int_equal(sf_agg_order_cmp("junk", oa), 1);
    sf_agg_view_free(a);
    sf_agg_view_free(b);
    sf_agg_view_free(c);
}

static void test_agg_view__ref_split(void **state)
{
    (void)state;
    static const char *const t[][3] = {
        {"reg.example:5000/team/app:1.2", "reg.example:5000", "team/app"},
        {"localhost/app@sha256:abc", "localhost", "app"},
        {"library/alpine:3.10", "docker.io", "library/alpine"},
        {"alpine", "docker.io", "alpine"},
        {"127.0.0.1:5000/agg/x:latest", "127.0.0.1:5000", "agg/x"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        char reg[128], repo[128];
        sf_agg_ref_split(t[i][0], reg, sizeof reg, repo, sizeof repo);
        assert_string_equal(reg, t[i][1]);
        assert_string_equal(repo, t[i][2]);
    }
}

/* Sum of HINCRBY deltas on counts field f across the plan. */
static long long plan_sum(const sf_agg_plan *p, const char *f)
{
    long long s = 0;
    for (size_t i = 0; i < p->n; i++)
        if (p->ops[i].code == SF_AOP_HINC && strstr(p->ops[i].key, ":agg:counts") &&
            strcmp(p->ops[i].member, f) == 0)
            s += strtoll(p->ops[i].value, NULL, 10);
    return s;
}

static void test_agg_view__plan_replaces_contributions(void **state)
{
    (void)state;
    sf_agg_view *a = decode("r1", "db1", "2026-01-02T03:04:05Z", "r.io/x:1;r.io/y:1;q.io/x:2",
                            "CVE-1:openssl:1:2:HIGH;CVE-2:zlib:1:-:LOW", NULL);
    sf_agg_view *b = decode("r1", "db2", "2026-01-02T03:05:05Z", "r.io/x:1",
                            "CVE-1:openssl:1:2:HIGH", NULL);
    sf_agg_plan p = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_agg_plan_build(&p, "t", NULL, a, "{}", 2, &e), SF_OK);
    assert_int_equal(plan_sum(&p, "images"), 1);
    assert_int_equal(plan_sum(&p, "findings"), 2);
    assert_int_equal(plan_sum(&p, "reg|r.io|images"), 1); /* two refs, one registry */
    assert_int_equal(plan_sum(&p, "repo|r.io/x|images"), 1);
    assert_int_equal(plan_sum(&p, "repo|q.io/x|sev|HIGH"), 1);
    sf_agg_plan_clear(&p);
    assert_int_equal(sf_agg_plan_build(&p, "t", a, b, "{}", 2, &e), SF_OK);
    assert_int_equal(plan_sum(&p, "images"), 0);
    assert_int_equal(plan_sum(&p, "findings"), -1);
    assert_int_equal(plan_sum(&p, "sev|LOW"), -1);
    assert_int_equal(plan_sum(&p, "reg|q.io|images"), -1);
    assert_int_equal(plan_sum(&p, "fixable"), 0);
    int srem_cve2 = 0;
    for (size_t i = 0; i < p.n; i++)
        srem_cve2 += p.ops[i].code == SF_AOP_SREM && strcmp(p.ops[i].key, "t:agg:cve:CVE-2") == 0;
    assert_int_equal(srem_cve2, 1);
    sf_agg_plan_clear(&p);
    sf_agg_view_free(a);
    sf_agg_view_free(b);
}

static int has_ref(const sf_agg_view *v, const char *ref)
{
    for (size_t i = 0; i < v->nrefs; i++)
        if (strcmp(v->refs[i], ref) == 0)
            return 1;
    return 0;
}

/* Refs of a later run replace, of the same run join, of an older run are
 * ignored; an unchanged set is "no change". */
static void test_agg_view__refs_rule(void **state)
{
    (void)state;
    sf_agg_view *v = decode("r1", "db1", "2026-01-02T03:04:05Z", "r.io/x:1;r.io/x:2", "", NULL);
    char *late[] = {"r.io/x:3", "r.io/x:1", "bad ref"}, *next[] = {"r.io/x:2", "r.io/y:1"};
    int ch = 7;
    assert_int_equal(sf_agg_view_set_refs(v, 10, "r0", 5, next, 2, &ch), SF_OK);
    assert_int_equal(ch, -1);
    assert_int_equal(v->nrefs, 2);
    assert_null(v->refs_run);
    assert_int_equal(sf_agg_view_set_refs(v, 10, "r1", 10, late, 3, &ch), SF_OK);
    assert_int_equal(ch, 1);
    assert_int_equal(v->nrefs, 3); /* joined; the unindexable ref ignored */
    assert_true(has_ref(v, "r.io/x:1") && has_ref(v, "r.io/x:2") && has_ref(v, "r.io/x:3"));
    assert_int_equal(sf_agg_view_set_refs(v, 10, "r2", 20, next, 2, &ch), SF_OK);
    assert_int_equal(ch, 1);
    assert_int_equal(v->nrefs, 2); /* replaced: x:1 and x:3 moved away */
    assert_true(has_ref(v, "r.io/x:2") && has_ref(v, "r.io/y:1"));
    assert_string_equal(v->refs_run, "r2");
    assert_int_equal(v->refs_rank, 20);
    char *same[] = {"r.io/y:1", "r.io/x:2"};
    assert_int_equal(sf_agg_view_set_refs(v, 20, "r3", 30, same, 2, &ch), SF_OK);
    assert_int_equal(ch, 0);
    assert_int_equal(v->refs_rank, 30);
    /* The refs run survives the stored form. */
    sf_buf b;
    sf_agg_view *w = NULL;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_agg_view_json(v, &b), SF_OK);
    assert_int_equal(sf_agg_view_parse(b.data, b.len, &w, NULL), SF_OK);
    assert_string_equal(w->refs_run, "r3");
    assert_int_equal(w->refs_rank, 30);
    assert_int_equal(w->nrefs, 2);
    sf_buf_free(&b);
    sf_agg_view_free(w);
    sf_agg_view_free(v);
}

/* A refs-only plan moves the per-registry/repository counts and the ref
 * map, never the fleet totals or the CVE sets. */
static void test_agg_view__plan_refs_moves_scoped_counts_only(void **state)
{
    (void)state;
    const char *refs = "r.io/x:1;q.io/x:2";
    sf_agg_view *old = decode("r1", "db1", "2026-01-02T03:04:05Z", refs,
                              "CVE-1:openssl:1:2:HIGH", NULL);
    sf_agg_view *nv = decode("r1", "db1", "2026-01-02T03:04:05Z", refs,
                             "CVE-1:openssl:1:2:HIGH", NULL);
    char *now[] = {"r.io/x:1", "s.io/z:3"};
    int ch = 0;
    assert_int_equal(sf_agg_view_set_refs(nv, 1, "r2", 2, now, 2, &ch), SF_OK);
    assert_int_equal(ch, 1);
    sf_agg_plan p = {0};
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_agg_plan_refs(&p, "t", old, nv, &e), SF_OK);
    assert_int_equal(plan_sum(&p, "images"), 0);
    assert_int_equal(plan_sum(&p, "findings"), 0);
    assert_int_equal(plan_sum(&p, "reg|q.io|images"), -1);
    assert_int_equal(plan_sum(&p, "reg|s.io|sev|HIGH"), 1);
    assert_int_equal(plan_sum(&p, "repo|r.io/x|images"), 0);
    int hdeleq = 0, mapped = 0, cve_ops = 0;
    for (size_t i = 0; i < p.n; i++) {
        const sf_agg_op *o = &p.ops[i];
        hdeleq += o->code == SF_AOP_HDELEQ && strcmp(o->key, "t:agg:refs") == 0 &&
                  strcmp(o->member, "q.io/x:2") == 0 && strcmp(o->value, old->digest) == 0;
        mapped += o->code == SF_AOP_HSET && strcmp(o->key, "t:agg:refs") == 0 &&
                  strcmp(o->member, "s.io/z:3") == 0;
        cve_ops += strstr(o->key, ":agg:cve") != NULL;
    }
    assert_int_equal(hdeleq, 1);
    assert_int_equal(mapped, 1);
    assert_int_equal(cve_ops, 0);
    assert_int_equal(sf_agg_order_rank("00000000000000000042|00000000000000000001|r|d"), 42);
    assert_int_equal(sf_agg_order_rank("junk"), -1);
    sf_agg_plan_clear(&p);
    sf_agg_view_free(old);
    sf_agg_view_free(nv);
}

static void test_agg_view__time_parse(void **state)
{
    (void)state;
    assert_int_equal(sf_agg_parse_time("1970-01-01T00:00:01Z"), 1000);
    assert_int_equal(sf_agg_parse_time("1970-01-01T01:00:00.5+01:00"), 500);
    assert_int_equal(sf_agg_parse_time("2026-01-02 03:04:05Z"), -1);
    assert_int_equal(sf_agg_parse_time("2026-13-02T03:04:05Z"), -1);
    assert_int_equal(sf_agg_parse_time(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_view__decodes_and_dedupes_findings),
        cmocka_unit_test(test_agg_view__rejects_bad_documents),
        cmocka_unit_test(test_agg_view__error_results_carry_their_kind),
        cmocka_unit_test(test_agg_view__order_rule),
        cmocka_unit_test(test_agg_view__ref_split),
        cmocka_unit_test(test_agg_view__plan_replaces_contributions),
        cmocka_unit_test(test_agg_view__time_parse),
        cmocka_unit_test(test_agg_view__refs_rule),
        cmocka_unit_test(test_agg_view__plan_refs_moves_scoped_counts_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
