/*
 * Aggregator fleet-view rules on the stack's Redis (sf_t_redis()), under a
 * private key prefix that is removed afterwards:
 * duplicates, out-of-order results and DB changes; report totals equal
 * the sum of the per-image results and the aggregator's counters; `query
 * cve` lists exactly the images whose latest result holds the CVE;
 * replaying everything changes no count; run progress completes with a
 * DLQ entry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg_fix.h"
#include "agg.h"
#include "cache/keys.h"
#include "fleet/report.h"
#include "testutil.h"

static sf_kv *kv;
static char prefix[64];
static char shard[SF_KEY_MAX];

static void wipe(void) { sf_t_redis_del_prefix(prefix); }

/* An aggregator on an empty fleet view (the stack's Redis). */
static sf_agg *fresh_agg(void)
{
    sf_t_need(SF_T_REDIS);
    assert_non_null(kv);
    sf_agg *a = NULL;
    wipe();
    assert_int_equal(sf_agg_new(&a, kv, prefix, NULL), SF_OK);
    return a;
}

static int setup(void **state)
{
    (void)state;
    snprintf(prefix, sizeof prefix, "agg-test-%d", (int)getpid());
    if (!(kv = sf_t_kv_open()))
        return 0; /* each test then fails, naming the address (sf_t_need) */
    sf_keys_agg_shard(shard, prefix, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (kv)
        wipe();
    sf_kv_free(kv);
    return 0;
}

/* One field of the counters hash (0 when absent). */
static long long counter(const char *field)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    sf_keys_agg(key, prefix, "counts", NULL);
    const char *argv[] = {"HGET", key, field};
    assert_int_equal(sf_kv_argv(kv, shard, 3, argv, NULL, &r, NULL), SF_OK);
    long long v = r->type == SF_KV_STR ? strtoll(r->str, NULL, 10) : 0;
    sf_kv_reply_free(r);
    return v;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The counters hash as sorted "field=value" lines. */
static char *counts_snapshot(void)
{
    char key[SF_KEY_MAX];
    sf_kv_reply *r = NULL;
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_keys_agg(key, prefix, "counts", NULL);
    const char *argv[] = {"HGETALL", key};
    assert_int_equal(sf_kv_argv(kv, shard, 2, argv, NULL, &r, NULL), SF_OK);
    size_t n = r->nelem / 2;
    char **lines = calloc(n + 1, sizeof *lines);
    for (size_t i = 0; i < n; i++) {
        size_t l = r->elem[2 * i].len + r->elem[2 * i + 1].len + 3;
        lines[i] = malloc(l);
        snprintf(lines[i], l, "%s=%s", r->elem[2 * i].str, r->elem[2 * i + 1].str);
    }
    qsort(lines, n, sizeof *lines, str_cmp);
    for (size_t i = 0; i < n; i++) {
        sf_buf_printf(&b, "%s\n", lines[i]);
        free(lines[i]);
    }
    free(lines);
    sf_kv_reply_free(r);
    return sf_buf_steal(&b, NULL);
}

/* Fold one result document; it must be accepted (applied or not). */
static sf_agg_outcome apply_doc(sf_agg *a, const char *doc, size_t len)
{
    sf_error e = SF_ERROR_INIT;
    sf_agg_outcome oc = SF_AGG_STALE;
    int rc = sf_agg_apply_result(a, doc, len, &oc, &e);
    if (rc != SF_OK)
        fprintf(stderr, "apply: %s\n", e.msg);
    assert_int_equal(rc, SF_OK);
    return oc;
}

static sf_agg_outcome apply(sf_agg *a, char dc, const char *run, const char *db, const char *at,
                            const char *refs, const char *vulns, const char *err)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    fix_result(&b, dc, run, db, at, refs, vulns, err);
    sf_agg_outcome oc = apply_doc(a, b.data, b.len);
    sf_buf_free(&b);
    return oc;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; s && *s; s++)
        n += *s == '\n';
    return n;
}

static void test_agg_fleet__duplicates_out_of_order_and_db_change(void **state)
{
    (void)state;
    sf_agg *a = fresh_agg();
    const char *v1 = "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL";
    const char *v2 = "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;"
                     "CVE-2022-0778:openssl:1.1.1k-r0:-:HIGH";
    assert_int_equal(apply(a, 'a', "r1", "db1", "2026-01-01T00:00:01Z", "reg.io/app:1", v1, NULL),
                     SF_AGG_APPLIED);
    char *before = counts_snapshot();
    /* the same result again, and again produced later: nothing changes */
    assert_int_equal(apply(a, 'a', "r1", "db1", "2026-01-01T00:00:01Z", "reg.io/app:1", v1, NULL),
                     SF_AGG_DUPLICATE);
    assert_int_equal(apply(a, 'a', "r1", "db1", "2026-01-01T00:09:00Z", "reg.io/app:1", v1, NULL),
                     SF_AGG_DUPLICATE);
    char *after = counts_snapshot();
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Then, in order: what each result does and the counts after it
     * (-1: not checked). */
    static const struct {
        const char *why, *run, *db, *time;
        int v; /* 0 none, 1 v1, 2 v2 */
        sf_agg_outcome want;
        long long findings, high, images, vulnerable;
    } steps[] = {
        {"a newer DB in the same run replaces the findings", "r1", "db2",
         "2026-01-01T00:10:00Z", 2, SF_AGG_APPLIED, 2, 1, 1, -1},
        {"the db1 result arriving late (out of order) is stale", "r1", "db1",
         "2026-01-01T00:05:00Z", 1, SF_AGG_STALE, 2, -1, -1, -1},
        {"a later run with the fix applied removes both", "r2", "db2", "2026-01-02T00:00:00Z",
         0, SF_AGG_APPLIED, 0, -1, 1, 0},
        {"and a straggler of the earlier run never brings them back", "r1", "db3",
         "2026-01-03T00:00:00Z", 2, SF_AGG_STALE, 0, -1, -1, -1},
    };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        const char *vs = steps[i].v == 1 ? v1 : steps[i].v == 2 ? v2 : "";
        if (apply(a, 'a', steps[i].run, steps[i].db, steps[i].time, "reg.io/app:1", vs, NULL) !=
            steps[i].want)
            fail_msg("step %zu (%s): unexpected outcome", i, steps[i].why);
        assert_int_equal(counter("findings"), steps[i].findings);
        if (steps[i].high >= 0)
            assert_int_equal(counter("sev|HIGH"), steps[i].high);
        if (steps[i].images >= 0)
            assert_int_equal(counter("images"), steps[i].images);
        if (steps[i].vulnerable >= 0)
            assert_int_equal(counter("vulnerable"), steps[i].vulnerable);
    }
    sf_buf out;
    sf_buf_init(&out, 0);
    /* no image carries it any more: "not found", and nothing printed */
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2021-3711", 0, &out, NULL), SF_ENOTFOUND);
    assert_int_equal(out.len, 0);
    sf_buf_free(&out);
    sf_agg_free(a);
    wipe();
}

/* A small fleet: 6 images over 3 registries, one failed. */
static const struct {
    char dc;
    const char *refs, *vulns, *err;
} FLEET[] = {
    {'1', "reg.io/web:1;reg.io/web:latest",
     "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;CVE-2022-0778:openssl:1.1.1k-r0:-:HIGH",
     NULL},
    {'2', "reg.io/api:2", "CVE-2021-3711:openssl:1.1.1j-r0:1.1.1l-r0:CRITICAL", NULL},
    {'3', "127.0.0.1:5000/agg/db:9.6",
     "CVE-2019-14697:musl:1.1.20-r4:1.1.20-r5:CRITICAL;CVE-2018-20843:expat:2.2.5-r0:2.2.7-r0:HIGH;"
     "CVE-2020-1967:openssl:1.1.1d-r0:1.1.1g-r0:MEDIUM;CVE-2019-5747:busybox:1.29.3-r10:-:LOW",
     NULL},
    {'4', "docker.io/library/alpine:3.10", "", NULL},
    {'5', "127.0.0.1:5000/agg/cache:1", "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL",
     NULL},
    {'6', "reg.io/broken:1", "", "auth"},
};
#define NFLEET (sizeof FLEET / sizeof FLEET[0])

static void feed_fleet(sf_agg *a, const char *run, sf_agg_outcome want)
{
    for (size_t i = 0; i < NFLEET; i++)
        assert_int_equal(apply(a, FLEET[i].dc, run, "db1", "2026-02-01T00:00:00Z", FLEET[i].refs,
                               FLEET[i].vulns, FLEET[i].err),
                         want);
}

static void test_agg_fleet__report_totals_queries_and_replay(void **state)
{
    (void)state;
    sf_agg *a = fresh_agg();
    assert_int_equal(sf_agg_set_published(kv, prefix, "fleet1", NFLEET + 1, NULL), SF_OK);
    feed_fleet(a, "fleet1", SF_AGG_APPLIED);

    /* expected totals: the sum over the per-image results as decoded */
    size_t images = 0, findings = 0, fixable = 0, sev[SF_SEV_N] = {0}, with3711 = 0;
    for (size_t i = 0; i < NFLEET; i++) {
        sf_buf b;
        sf_agg_view *v = NULL;
        sf_buf_init(&b, 0);
        fix_result(&b, FLEET[i].dc, "fleet1", "db1", "2026-02-01T00:00:00Z", FLEET[i].refs,
                   FLEET[i].vulns, FLEET[i].err);
        assert_int_equal(sf_agg_view_from_result(b.data, b.len, &v, NULL), SF_OK);
        images++;
        findings += v->nvulns;
        fixable += v->fixable;
        for (int s = 0; s < SF_SEV_N; s++)
            sev[s] += v->sev[s];
        with3711 += strstr(FLEET[i].vulns, "CVE-2021-3711") != NULL;
        sf_agg_view_free(v);
        sf_buf_free(&b);
    }
    sf_report *r = NULL;
    assert_int_equal(sf_report_load(&r, kv, prefix, NULL, NULL), SF_OK);
    assert_int_equal(r->images, images);
    assert_int_equal(r->findings, findings);
    assert_int_equal(r->fixable, fixable);
    assert_int_equal(r->errors, 1);
    for (int s = 0; s < SF_SEV_N; s++)
        assert_int_equal(r->sev[s], sev[s]);
    assert_string_equal(r->cves[0].id, "CVE-2021-3711");
    assert_int_equal(r->cves[0].images, with3711);
    /* the aggregator's live counters agree with the report */
    assert_int_equal(counter("images"), (long long)images);
    assert_int_equal(counter("findings"), (long long)findings);
    assert_int_equal(counter("fixable"), (long long)fixable);
    assert_int_equal(counter("sev|CRITICAL"), (long long)sev[SF_SEV_CRITICAL]);
    assert_int_equal(counter("reg|reg.io|images"), 3);
    assert_int_equal(counter("reg|127.0.0.1:5000|findings"), 5);
    assert_int_equal(counter("repo|reg.io/web|images"), 1);
    assert_int_equal(counter("err|auth"), 1);
    for (size_t i = 0; i < r->nregs; i++) {
        char f[300];
        snprintf(f, sizeof f, "reg|%s|findings", r->regs[i].name);
        assert_int_equal(counter(f), (long long)r->regs[i].findings);
    }
    sf_report_free(r);

    /* query cve: exactly the refs of the images holding it */
    sf_buf q;
    sf_buf_init(&q, 0);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2021-3711", 0, &q, NULL), SF_OK);
    assert_non_null(strstr(q.data, "reg.io/web:1\topenssl\t1.1.1k-r0\t1.1.1l-r0\tCRITICAL"));
    assert_non_null(strstr(q.data, "reg.io/web:latest\t"));
    assert_non_null(strstr(q.data, "reg.io/api:2\topenssl\t1.1.1j-r0\t"));
    assert_non_null(strstr(q.data, "127.0.0.1:5000/agg/cache:1\t"));
    assert_int_equal(count_lines(q.data), 4);
    sf_buf_reset(&q);
    assert_int_equal(sf_query_package(kv, prefix, "openssl", 0, &q, NULL), SF_OK);
    assert_non_null(strstr(q.data, "openssl\tAlpine:v3.10\t1.1.1k-r0\t2 images"));
    assert_non_null(strstr(q.data, "openssl\tAlpine:v3.10\t1.1.1j-r0\t1 image\n"));
    sf_buf_reset(&q);
    assert_int_equal(sf_query_image(kv, prefix, "reg.io/api:2", &q, NULL), SF_OK);
    assert_non_null(strstr(q.data, "\"CVE-2021-3711\""));
    sf_buf_reset(&q);
    assert_int_equal(sf_query_image(kv, prefix, "reg.io/none:1", &q, NULL), SF_ENOTFOUND);
    sf_buf_free(&q);

    /* replay the whole run: every result a duplicate, no count moves */
    char *before = counts_snapshot();
    feed_fleet(a, "fleet1", SF_AGG_DUPLICATE);
    char *after = counts_snapshot();
    assert_string_equal(before, after);
    free(before);
    free(after);

    /* progress: 6 of 7 jobs; the 7th ends in the DLQ and completes the run */
    sf_agg_progress p;
    assert_int_equal(sf_agg_progress_get(kv, prefix, "fleet1", &p, NULL), SF_OK);
    assert_int_equal(p.published, NFLEET + 1);
    assert_int_equal(p.done, NFLEET);
    assert_int_equal(p.errors, 1);
    assert_false(p.complete);
    char dlq[256], d[72];
    int added = 0;
    snprintf(dlq, sizeof dlq,
             "{\"job\":{\"schema\":\"scanfarm.job/v1\",\"run_id\":\"fleet1\",\"digest\":\"%s\"},"
             "\"reason\":\"worker crashed 3 times\"}",
             fix_digest('7', d));
    assert_int_equal(sf_agg_apply_dlq(a, dlq, strlen(dlq), &added, NULL), SF_OK);
    assert_int_equal(added, 1);
    assert_int_equal(sf_agg_apply_dlq(a, dlq, strlen(dlq), &added, NULL), SF_OK);
    assert_int_equal(added, 0);
    assert_int_equal(sf_agg_progress_get(kv, prefix, "fleet1", &p, NULL), SF_OK);
    assert_int_equal(p.done, NFLEET + 1);
    assert_int_equal(p.dlq, 1);
    assert_true(p.complete);
    char latest[64];
    assert_int_equal(sf_agg_latest_run(kv, prefix, latest, sizeof latest, NULL), SF_OK);
    assert_string_equal(latest, "fleet1");
    sf_agg_free(a);
}

/* One platform image of the multi-arch index 'f' (tag reg.io/multi:1). */
static void apply_platform(sf_agg *a, char dc, const char *platform, const char *run,
                           const char *vulns)
{
    sf_buf b;
    char idx[72];
    sf_buf_init(&b, 0);
    fix_result(&b, dc, run, "db1", "2026-02-01T00:00:00Z", "reg.io/multi:1", vulns, NULL);
    json_t *r = json_loadb(b.data, b.len, 0, NULL);
    assert_non_null(r);
    json_object_set_new(r, "platform", json_string(platform));
    json_object_set_new(r, "index_digest", json_string(fix_digest('f', idx)));
    char *s = json_dumps(r, JSON_COMPACT);
    assert_int_equal(apply_doc(a, s, strlen(s)), SF_AGG_APPLIED);
    free(s);
    json_decref(r);
    sf_buf_free(&b);
}

/* A multi-arch tag is every platform's: `query cve` names the tag on each
 * platform image holding the CVE (not only the one written last), and
 * `query image` of the tag gives one result per platform. */
static void test_agg_fleet__multiarch_tag_on_every_platform(void **state)
{
    (void)state;
    sf_agg *a = fresh_agg();
    const char *both = "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL";
    apply_platform(a, 'b', "linux/amd64", "multi1", both);
    apply_platform(a, 'c', "linux/arm64/v8", "multi1",
                   "CVE-2021-3711:openssl:1.1.1k-r0:1.1.1l-r0:CRITICAL;"
                   "CVE-2022-0778:openssl:1.1.1k-r0:-:HIGH");
    sf_buf q;
    sf_buf_init(&q, 0);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2021-3711", 1, &q, NULL), SF_OK);
    json_t *rows = json_loads(q.data, 0, NULL);
    assert_true(json_is_array(rows));
    assert_int_equal(json_array_size(rows), 2);
    char dm[72], dn[72];
    int seen_m = 0, seen_n = 0;
    size_t i;
    json_t *x;
    json_array_foreach(rows, i, x) {
        const char *ref = json_string_value(json_object_get(x, "ref"));
        const char *d = json_string_value(json_object_get(x, "digest"));
        if (!ref || !d || strcmp(ref, "reg.io/multi:1") != 0)
            fail_msg("row without the tag: ref %s, digest %s", ref ? ref : "null", d ? d : "null");
        seen_m += strcmp(d, fix_digest('b', dm)) == 0;
        seen_n += strcmp(d, fix_digest('c', dn)) == 0;
    }
    assert_int_equal(seen_m, 1);
    assert_int_equal(seen_n, 1);
    json_decref(rows);
    sf_buf_reset(&q);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2022-0778", 0, &q, NULL), SF_OK);
    assert_int_equal(count_lines(q.data), 1);
    assert_non_null(strstr(q.data, "reg.io/multi:1\topenssl"));
    sf_buf_reset(&q);
    assert_int_equal(sf_query_image(kv, prefix, "reg.io/multi:1", &q, NULL), SF_OK);
    assert_int_equal(count_lines(q.data), 2);
    assert_non_null(strstr(q.data, "\"linux/amd64\""));
    assert_non_null(strstr(q.data, "\"linux/arm64/v8\""));
    sf_buf_reset(&q);

    /* The tag moves to a single-arch image: neither platform image keeps
     * it, and the tag resolves to the new image alone. */
    assert_int_equal(apply(a, 'd', "multi2", "db1", "2026-02-02T00:00:00Z", "reg.io/multi:1", both,
                           NULL),
                     SF_AGG_APPLIED);
    assert_int_equal(sf_query_cve(kv, prefix, "CVE-2022-0778", 0, &q, NULL), SF_OK);
    assert_null(strstr(q.data, "reg.io/multi:1\t"));
    sf_buf_reset(&q);
    assert_int_equal(sf_query_image(kv, prefix, "reg.io/multi:1", &q, NULL), SF_OK);
    assert_int_equal(count_lines(q.data), 1);
    char dox[72];
    assert_non_null(strstr(q.data, fix_digest('d', dox)));
    sf_buf_free(&q);
    sf_agg_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_fleet__duplicates_out_of_order_and_db_change),
        cmocka_unit_test(test_agg_fleet__report_totals_queries_and_replay),
        cmocka_unit_test(test_agg_fleet__multiarch_tag_on_every_platform),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
