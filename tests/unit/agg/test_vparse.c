/* Unit tests of the stored view's own reader (fleet/agg_vparse.h) and
 * writer (fleet/agg_venc.h). The reader: on views as the aggregator
 * writes them today and wrote them before, it reads them (and as the
 * jansson reading does); on everything else it declines or still agrees,
 * and sf_agg_view_parse answers the reference's code and view. The
 * writer: jansson's bytes, or it declines and the reference writes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg_vcmp.h"
#include "fleet/agg_view.h"
#include "fleet/agg_venc.h"
#include "fleet/agg_vparse.h"

#define D1 "sha256:0000000000000000000000000000000000000000000000000000000000000001"

/* The check on one document: agreement, then whether the own reader
 * took it and what sf_agg_view_parse returns. */
static void expect(const char *s, size_t n, int fast, int rc)
{
    char why[512] = "";
    int took = -1;
    sf_agg_view *v = NULL;
    if (!sf_t_agg_vparse_same(s, n, &took, why, sizeof why))
        fail_msg("%s: %.*s", why, (int)(n > 200 ? 200 : n), s);
    if (took != fast)
        fail_msg("own reader %s: %.*s", took ? "took" : "declined", (int)(n > 200 ? 200 : n), s);
    assert_int_equal(sf_agg_view_parse(s, n, &v, NULL), rc);
    sf_agg_view_free(v);
}

static void expect_s(const char *s, int fast, int rc) { expect(s, strlen(s), fast, rc); }

/* A view with every member set, strings needing each escape jansson
 * writes, and reals of the exact and of the strtod kind. */
static void full_view(sf_agg_view *v, sf_agg_vuln *x, char **refs)
{
    memset(v, 0, sizeof *v);
    v->digest = D1;
    v->job_key = "sha256:ab";
    v->run_id = "run \"1\" \\ /x";
    v->db_version = "db\b\f\n\r\t\x01\x1f\x7f";
    v->platform = "linux/arm64/v8";
    v->os = "alpine 3.10.3";
    v->error = NULL;
    v->time_ms = 1767323045678LL;
    v->refs_run = "run0";
    v->refs_rank = 42;
    v->pkhash = "sha256:ff";
    v->vhash = "sha256:ee";
    refs[0] = "reg.example:5000/app:1";
    refs[1] = "docker.io/library/alpine:3.10";
    v->refs = refs;
    v->nrefs = 2;
    static const double reals[][3] = {{7.5, -1, -1},
                                      {9.8, 0.00043, 0.12345678901234568},
                                      {0.1, 1e-7, 0.99999999999999989},
                                      {10, 1e22, 123456789012345.0},
                                      {-0.0, 5e-324, 1.7976931348623157e308}};
    for (int i = 0; i < 5; i++) {
        x[i] = (sf_agg_vuln){.id = "CVE-2021-3711", .pkg = "openssl", .installed = "1.1.1k-r0",
                             .fixed = i % 2 ? NULL : "1.1.1l-r0", .eco = i == 3 ? NULL : "Alpine:v3.10",
                             .sev = i % SF_SEV_N, .cvss = reals[i][0], .kev = i == 2,
                             .epss = reals[i][1], .epss_pct = reals[i][2],
                             .aliases = i == 4 ? NULL : "GHSA-a\x1fGHSA-\"b\""};
    }
    v->vulns = x;
    v->nvulns = 5;
}

/* full_view's stored form, into b (initialised here). */
static void full_doc(sf_buf *b, sf_agg_view *v, sf_agg_vuln *x, char **refs)
{
    full_view(v, x, refs);
    sf_buf_init(b, 0);
    assert_int_equal(sf_agg_view_json(v, b), SF_OK);
}

static void test_vparse__canonical_views(void **state)
{
    (void)state;
    sf_agg_view v;
    sf_agg_vuln x[5];
    char *refs[2];
    sf_buf b;
    full_doc(&b, &v, x, refs);
    expect(b.data, b.len, 1, SF_OK);
    /* and what it read is v */
    sf_agg_view *w = NULL;
    char why[512];
    assert_int_equal(sf_agg_vp_parse(b.data, b.len, &w), 1);
    assert_string_equal(w->db_version, v.db_version);
    assert_string_equal(w->vulns[0].aliases, x[0].aliases);
    assert_true(w->vulns[4].cvss == 0 && signbit(w->vulns[4].cvss));
    assert_true(w->vulns[1].epss == 0.00043 && w->vulns[4].epss == 5e-324);
    assert_int_equal(w->refs_rank, 42);
    assert_int_equal(w->fixable, 3);
    for (int i = 0; i < 5; i++)
        assert_int_equal(w->vulns[i].sev, x[i].sev);

    /* the same with the optional members absent and nothing to list */
    v.refs_run = v.pkhash = v.vhash = v.platform = v.os = NULL;
    v.error = "IMAGE_NOT_FOUND";
    v.refs_rank = -1;
    v.nrefs = v.nvulns = 0;
    sf_buf_reset(&b);
    assert_int_equal(sf_agg_view_json(&v, &b), SF_OK);
    expect(b.data, b.len, 1, SF_OK);
    sf_agg_view_free(w);
    assert_int_equal(sf_agg_vp_parse(b.data, b.len, &w), 1);
    assert_non_null(w->refs);
    assert_non_null(w->vulns);
    assert_int_equal(w->refs_rank, -1);
    assert_true(sf_t_agg_view_same(w, w, why, sizeof why));
    sf_agg_view_free(w);
    sf_buf_free(&b);
}

/* Views stored by earlier versions: no "ph"/"vh"/"rr"/"rk", 10-element
 * findings (no aliases), 7-element ones (no KEV/EPSS), no arrays. */
static void test_vparse__old_views(void **state)
{
    (void)state;
    expect_s("{\"d\":\"" D1 "\",\"j\":\"x\",\"r\":\"run1\",\"v\":\"db1\",\"t\":0,\"p\":null,"
             "\"os\":null,\"err\":null,\"refs\":[\"r.io/a:1\"],\"vulns\":[[\"CVE-1\",\"openssl\","
             "\"1\",null,null,\"HIGH\",7.5,false,-1.0,-1.0]]}",
             1, SF_OK);
    expect_s("{\"d\":\"" D1 "\",\"j\":\"x\",\"r\":\"run1\",\"v\":\"db1\",\"t\":0,\"refs\":[\"r.io/a:1\"],"
             "\"vulns\":[[\"CVE-1\",\"openssl\",\"1\",null,null,\"HIGH\",7.5]]}",
             1, SF_OK);
    expect_s("{\"d\":\"" D1 "\",\"j\":\"x\",\"r\":\"run1\",\"v\":\"\"}", 1, SF_OK);
    expect_s("{\"d\":\"" D1 "\",\"j\":\"x\",\"r\":\"run1\",\"v\":\"\",\"vulns\":[[\"a\",\"b\"],"
             "[\"c\",\"d\",null,\"2\",null,null,null,null,null,null,null]]}",
             1, SF_OK);
    /* members in another order are still the same members */
    expect_s("{\"vulns\":[],\"refs\":[],\"v\":\"\",\"r\":\"run1\",\"j\":\"x\",\"d\":\"" D1 "\"}", 1,
             SF_OK);
}

#define HEAD "{\"d\":\"" D1 "\",\"j\":\"x\",\"r\":\"r\",\"v\":\"v\","

/* What it declines: the reference answers, whichever way. */
static void test_vparse__declines_the_rest(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int rc;
    } t[] = {
        {HEAD "\"t\": 1}", SF_OK},                            /* whitespace */
        {" " HEAD "\"t\":1}", SF_OK},
        {HEAD "\"t\":1}\n", SF_OK},
        {HEAD "\"x\":1}", SF_OK},                             /* unknown member */
        {HEAD "\"d\":\"other\"}", SF_OK},                      /* duplicate: last wins */
        {HEAD "\"t\":1,\"t\":2}", SF_OK},
        {HEAD "\"\\u0074\":5}", SF_OK},                       /* escaped key */
        {HEAD "\"p\":\"caf\xc3\xa9\"}", SF_OK},               /* UTF-8 */
        {HEAD "\"p\":\"caf\\u00e9\"}", SF_OK},
        {HEAD "\"p\":\"\\ud83d\\ude00\"}", SF_OK},            /* surrogate pair */
        {HEAD "\"p\":\"\\ud83d\"}", SF_EPARSE},               /* lone surrogate */
        {HEAD "\"p\":\"\\u0000\"}", SF_EPARSE},               /* NUL escape */
        {HEAD "\"p\":\"\\x\"}", SF_EPARSE},                   /* bad escapes */
        {HEAD "\"p\":\"\\u12\"}", SF_EPARSE},
        {HEAD "\"p\":\"\\u12g4\"}", SF_EPARSE},
        {HEAD "\"p\":\"\\", SF_EPARSE},
        {HEAD "\"p\":\"a\tb\"}", SF_EPARSE},                  /* raw control */
        {HEAD "\"p\":\"\xff\"}", SF_EPARSE},                  /* not UTF-8 */
        {HEAD "\"p\":1}", SF_OK},                             /* wrong types */
        {HEAD "\"t\":\"1\"}", SF_OK},
        {HEAD "\"t\":1.5}", SF_OK},
        {HEAD "\"rk\":null}", SF_OK},
        {HEAD "\"refs\":{}}", SF_OK},
        {HEAD "\"refs\":[1,\"a\"]}", SF_OK},
        {HEAD "\"vulns\":{}}", SF_OK},
        {HEAD "\"vulns\":[[\"a\"]]}", SF_EPARSE},
        {HEAD "\"vulns\":[[\"a\",1]]}", SF_EPARSE},
        {HEAD "\"vulns\":[7]}", SF_EPARSE},
        {HEAD "\"vulns\":[[\"a\",\"b\",1]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",\"7\"]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",7,1]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,null,null,null,null,null,null,1]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"AVERYLONGSEVERITYNAME\"]]}", SF_OK},
        {HEAD "\"t\":12345678901234567890123}", SF_EPARSE},   /* huge numbers */
        {HEAD "\"t\":1234567890123456789}", SF_OK},
        {HEAD "\"t\":-01}", SF_EPARSE},
        {HEAD "\"t\":1.}", SF_EPARSE},
        {HEAD "\"t\":-}", SF_EPARSE},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",1e400]]}", SF_EPARSE},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",1e-400]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",0.1e1]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",123456789012345678901234567890.5]]}", SF_OK},
        {HEAD "\"vulns\":[[\"a\",\"b\",null,null,null,\"HIGH\",1E+2]]}", SF_OK},
        {HEAD "\"t\":1}x", SF_EPARSE},                        /* trailing bytes */
        {HEAD "\"t\":1}}", SF_EPARSE},
        {HEAD "}", SF_EPARSE},
        {"{\"j\":\"x\",\"r\":\"r\",\"v\":\"v\"}", SF_EPARSE}, /* no "d" */
        {"{\"d\":null,\"j\":\"x\",\"r\":\"r\",\"v\":\"v\"}", SF_EPARSE},
        {"{\"d\":\"x\",\"r\":\"r\",\"v\":\"v\"}", SF_EPARSE}, /* no "j" */
        {"{\"d\":\"x\",\"j\":\"x\",\"r\":null,\"v\":\"v\"}", SF_EPARSE},
        {"{}", SF_EPARSE},
        {"[]", SF_EPARSE},
        {"", SF_EPARSE},
        {"null", SF_EPARSE},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        /* the escape and number cases the own reader does take are the
         * exact ones; "1E+2" and "0.1e1" are among them */
        int fast = strstr(t[i].doc, "1E+2") != NULL || strstr(t[i].doc, "0.1e1") != NULL ||
                   strstr(t[i].doc, "1e-400") != NULL ||
                   strstr(t[i].doc, "78901234567890.5") != NULL;
        expect_s(t[i].doc, fast, t[i].rc);
    }
}

/* Every prefix of a stored view, and the view with a NUL byte at every
 * position: declined or agreed, never a crash, leak or overread (the
 * ASan build runs this). */
static void test_vparse__truncated_and_nul(void **state)
{
    (void)state;
    sf_agg_view v;
    sf_agg_vuln x[5];
    char *refs[2];
    sf_buf b;
    full_doc(&b, &v, x, refs);
    for (size_t n = 0; n < b.len; n++) {
        char *p = malloc(n ? n : 1); /* exactly n bytes: an overread is ASan's */
        assert_non_null(p);
        memcpy(p, b.data, n);
        expect(p, n, 0, SF_EPARSE);
        free(p);
    }
    char *p = malloc(b.len);
    assert_non_null(p);
    for (size_t i = 0; i < b.len; i++) {
        char why[512];
        int fast;
        memcpy(p, b.data, b.len);
        p[i] = '\0';
        if (!sf_t_agg_vparse_same(p, b.len, &fast, why, sizeof why))
            fail_msg("NUL at %zu: %s", i, why);
        assert_false(fast);
    }
    free(p);
    sf_buf_free(&b);
}

/* Nesting as deep as jansson refuses, and a long run of findings. */
static void test_vparse__deep_and_long(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_buf_puts(&b, HEAD "\"vulns\":"), SF_OK);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(sf_buf_puts(&b, "["), SF_OK);
    for (int i = 0; i < 5000; i++)
        assert_int_equal(sf_buf_puts(&b, "]"), SF_OK);
    assert_int_equal(sf_buf_puts(&b, "}"), SF_OK);
    expect(b.data, b.len, 0, SF_EPARSE);

    sf_buf_reset(&b);
    assert_int_equal(sf_buf_puts(&b, HEAD "\"refs\":["), SF_OK);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(sf_buf_printf(&b, "%s\"r.io/a:%d\"", i ? "," : "", i), SF_OK);
    assert_int_equal(sf_buf_puts(&b, "],\"vulns\":["), SF_OK);
    for (int i = 0; i < 3000; i++)
        assert_int_equal(sf_buf_printf(&b, "%s[\"CVE-%d\",\"p\",\"1\",\"2\",null,\"LOW\",%d.%d,"
                                           "true,0.%03d,1e-%d,\"A\\u001fB\"]",
                                       i ? "," : "", i, i % 10, i % 7, i % 1000, i % 30),
                  SF_OK);
    assert_int_equal(sf_buf_puts(&b, "]}"), SF_OK);
    expect(b.data, b.len, 1, SF_OK);
    sf_buf_free(&b);
}

/* The writer against the reference: same code, same bytes; fast: the
 * own writer is expected to write it (1) or decline (0). */
static void expect_enc(const sf_agg_view *v, int fast, size_t max)
{
    sf_buf a, b, c;
    sf_buf_init(&a, max);
    sf_buf_init(&b, max);
    sf_buf_init(&c, max);
    int ra = sf_agg_view_json_ref(v, &a), rb = sf_agg_view_json(v, &b);
    int rc = sf_agg_ve_json(v, &c);
    assert_int_equal(rb, ra);
    assert_int_equal(b.len, a.len);
    if (a.len && memcmp(a.data, b.data, a.len) != 0)
        fail_msg("own: %s\nref: %s", b.data, a.data);
    if (fast >= 0)
        assert_int_equal(rc, ra == SF_OK ? fast : rc);
    if (rc != 1)
        assert_int_equal(c.len, 0); /* declined or failed: untouched */
    sf_buf_free(&a);
    sf_buf_free(&b);
    sf_buf_free(&c);
}

static void test_venc__writes_jansson_bytes(void **state)
{
    (void)state;
    sf_agg_view v;
    sf_agg_vuln x[5];
    char *refs[2];
    char all[128];
    full_view(&v, x, refs);
    expect_enc(&v, 1, 0);
    for (int i = 1; i < 128; i++)
        all[i - 1] = (char)i; /* every ASCII byte, each control among them */
    all[127] = '\0';
    v.os = v.vulns[1].aliases = v.refs[1] = all;
    expect_enc(&v, 1, 0);
    v.time_ms = INT64_MIN;
    v.refs_rank = INT64_MAX;
    expect_enc(&v, 1, 0);
    v.refs_run = v.pkhash = v.vhash = v.platform = v.os = NULL;
    v.refs_rank = -1;
    v.nrefs = 0;
    expect_enc(&v, 1, 0);
    v.nvulns = 0;
    expect_enc(&v, 1, 0);
    /* the buffer's cap: both fail alike, nothing written */
    full_view(&v, x, refs);
    expect_enc(&v, -1, 100);
}

/* Reals of every kind: exact, 17 digits, exponents both ways, the
 * extremes, and 20000 random bit patterns (non-finite ones declined). */
static void test_venc__reals(void **state)
{
    (void)state;
    static const double r[] = {0,     -0.0,  1,     -1,    0.1,   7.5,    1e15, 1e16,  1e17,
                               1e21,  1e22,  1e23,  1e-4,  1e-5,  0.0001, 5e-324, 2.2250738585072014e-308,
                               1.7976931348623157e308, 123456789012345678.0, 0.00043, 100};
    sf_agg_view v;
    sf_agg_vuln x[5];
    char *refs[2];
    full_view(&v, x, refs);
    v.nvulns = 1;
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        x[0].cvss = r[i];
        x[0].epss = -r[i];
        x[0].epss_pct = r[i] / 3;
        expect_enc(&v, 1, 0);
    }
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
        double d;
        memcpy(&d, &seed, sizeof d);
        x[0].cvss = d;
        expect_enc(&v, isfinite(d) ? 1 : 0, 0);
    }
    x[0].cvss = NAN;
    expect_enc(&v, 0, 0);
    x[0].cvss = -INFINITY;
    expect_enc(&v, 0, 0);
}

/* What jansson would refuse or drop: declined, the reference's answer
 * (whatever it is) kept. */
static void test_venc__declines(void **state)
{
    (void)state;
    sf_agg_view v;
    sf_agg_vuln x[5];
    char *refs[2];
    full_view(&v, x, refs);
    v.os = "caf\xc3\xa9"; /* valid UTF-8: jansson writes it */
    expect_enc(&v, 0, 0);
    v.os = "bad\xff"; /* invalid: jansson drops the member */
    expect_enc(&v, 0, 0);
    full_view(&v, x, refs);
    v.digest = NULL;
    expect_enc(&v, 0, 0);
    full_view(&v, x, refs);
    refs[1] = NULL;
    expect_enc(&v, 0, 0);
    full_view(&v, x, refs);
    x[2].pkg = NULL;
    expect_enc(&v, 0, 0);
    full_view(&v, x, refs);
    x[3].aliases = "\x80";
    expect_enc(&v, 0, 0);
}

/* The per-finding facts (agg_index.c's "vsum") as jansson writes the
 * object {"aliases":[...],"kev":b}: byte for byte, or declined. */
static void facts_expect(const char *aliases, int kev, int fast)
{
    sf_agg_vuln f;
    memset(&f, 0, sizeof f);
    f.aliases = (char *)aliases;
    f.kev = kev;
    sf_buf got;
    sf_buf_init(&got, 0);
    assert_int_equal(sf_buf_puts(&got, "x"), SF_OK); /* appended, not overwritten */
    int r = sf_agg_ve_facts(&f, &got);
    assert_int_equal(r, fast);
    if (!fast) {
        assert_int_equal(got.len, 1);
        sf_buf_free(&got);
        return;
    }
    json_t *o = json_object(), *al = json_array();
    for (const char *p = aliases; p && *p;) {
        size_t n = strcspn(p, "\x1f");
        json_array_append_new(al, json_stringn(p, n));
        p += n + (p[n] != '\0');
    }
    json_object_set_new(o, "aliases", al);
    json_object_set_new(o, "kev", json_boolean(kev));
    char *want = json_dumps(o, JSON_COMPACT);
    assert_non_null(want);
    assert_string_equal(got.data + 1, want);
    free(want);
    json_decref(o);
    sf_buf_free(&got);
}

static void test_venc__facts(void **state)
{
    (void)state;
    facts_expect(NULL, 0, 1);
    facts_expect("", 1, 1);
    facts_expect("GHSA-aaaa-bbbb-cccc", 1, 1);
    facts_expect("GHSA-1\x1fOSV-2\x1f" "DEBIAN-CVE-3", 0, 1);
    facts_expect("a\x1f\x1f" "b\x1f", 0, 1); /* empty parts as jansson keeps them */
    facts_expect("q\"uote\\back/slash\x7f\x01\n\t", 1, 1);
    facts_expect("caf\xc3\xa9", 0, 0); /* not ASCII: declined, out untouched */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_venc__facts),
        cmocka_unit_test(test_vparse__canonical_views),
        cmocka_unit_test(test_vparse__old_views),
        cmocka_unit_test(test_vparse__declines_the_rest),
        cmocka_unit_test(test_vparse__truncated_and_nul),
        cmocka_unit_test(test_vparse__deep_and_long),
        cmocka_unit_test(test_venc__writes_jansson_bytes),
        cmocka_unit_test(test_venc__reals),
        cmocka_unit_test(test_venc__declines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
