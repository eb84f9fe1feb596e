/* Unit tests of the report model and renderers on hand-made results:
 * totals are the sums over the images, the top lists are ordered, the
 * HTML is self-contained and escapes what results carry, SARIF holds one
 * result per finding with consistent rule indexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "agg_fix.h"
#include "fleet/report.h"
#include "testutil.h"

static const struct {
    char dc;
    const char *refs, *vulns, *err;
} IMGS[] = {
    {'1', "r.io/a:1;r.io/a:2", "CVE-1:openssl:1:2:CRITICAL;CVE-2:zlib:1:-:LOW", NULL},
    {'2', "q.io/b:1", "CVE-1:openssl:1:2:CRITICAL;CVE-3:musl:1:2:HIGH;CVE-4:x:1:-:MEDIUM", NULL},
    {'3', "q.io/c:<script>", "CVE-<b>:busybox:1:-:UNKNOWN", NULL},
    {'4', "r.io/d:1", "", "auth"},
    {'5', "docker.io/library/e:1", "", NULL},
};
#define N (sizeof IMGS / sizeof IMGS[0])

static sf_report *build(void)
{
    sf_report *r = NULL;
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_report_new(&r), SF_OK);
    for (size_t i = 0; i < N; i++) {
        sf_agg_view *v = NULL;
        fix_result(&b, IMGS[i].dc, "run1", "db1", "2026-01-01T00:00:00Z", IMGS[i].refs,
                   IMGS[i].vulns, IMGS[i].err);
        assert_int_equal(sf_agg_view_from_result(b.data, b.len, &v, NULL), SF_OK);
        assert_int_equal(sf_report_add(r, v), SF_OK);
    }
    sf_buf_free(&b);
    assert_int_equal(sf_report_finish(r), SF_OK);
    return r;
}

static void test_report_model__totals_are_sums(void **state)
{
    (void)state;
    sf_report *r = build();
    size_t findings = 0, fixable = 0, sev[SF_SEV_N] = {0};
    for (size_t i = 0; i < r->nimgs; i++) {
        findings += r->imgs[i]->nvulns;
        fixable += r->imgs[i]->fixable;
        for (int s = 0; s < SF_SEV_N; s++)
            sev[s] += r->imgs[i]->sev[s];
    }
    assert_int_equal(r->images, N);
    assert_int_equal(r->findings, 6);
    assert_int_equal(r->findings, findings);
    assert_int_equal(r->fixable, fixable);
    assert_int_equal(r->fixable, 3);
    for (int s = 0; s < SF_SEV_N; s++)
        assert_int_equal(r->sev[s], sev[s]);
    assert_int_equal(r->errors, 1);
    assert_int_equal(r->vulnerable, 3);
    /* top CVE: CVE-1 in 2 images, fix available in both */
    assert_string_equal(r->cves[0].id, "CVE-1");
    assert_int_equal(r->cves[0].images, 2);
    assert_int_equal(r->cves[0].fixable_images, 2);
    assert_int_equal(r->ncves, 5);
    /* worst image first: the one with a critical and a high */
    assert_int_equal(r->imgs[0]->sev[SF_SEV_HIGH], 1);
    /* registries: each image once per registry; sums of findings agree */
    size_t regf = 0;
    for (size_t i = 0; i < r->nregs; i++)
        regf += r->regs[i].findings;
    assert_int_equal(r->nregs, 3);
    assert_int_equal(regf, findings);
    assert_string_equal(r->regs[0].name, "q.io"); /* 2 images, sorted by name on ties */
    sf_report_free(r);
}

static void test_report_render__json_matches_model(void **state)
{
    (void)state;
    sf_report *r = build();
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_report_json(r, &b), SF_OK);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "schema")), "scanfarm.report/v1");
    assert_int_equal(json_integer_value(json_object_get(j, "images")), N);
    json_t *f = json_object_get(j, "findings");
    assert_int_equal(json_integer_value(json_object_get(f, "total")), 6);
    assert_int_equal(json_integer_value(json_object_get(f, "critical")), 2);
    assert_int_equal(json_integer_value(json_object_get(f, "unknown")), 1);
    assert_true(json_real_value(json_object_get(j, "fixable_share")) > 0.49);
    assert_int_equal(json_array_size(json_object_get(j, "registries")), 3);
    json_decref(j);
    sf_buf_free(&b);
    sf_report_free(r);
}

static void test_report_render__html_is_escaped_and_self_contained(void **state)
{
    (void)state;
    sf_report *r = build();
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_report_html(r, &b), SF_OK);
    assert_null(strstr(b.data, "<script>"));
    assert_null(strstr(b.data, "CVE-<b>"));
    assert_non_null(strstr(b.data, "CVE-&lt;b&gt;"));
    assert_null(strstr(b.data, "src=\"http"));
    size_t svgs = 0;
    for (const char *p = b.data; (p = strstr(p, "<svg")); p++)
        svgs++;
    assert_int_equal(svgs, 2);
    assert_non_null(strstr(b.data, "</html>"));
    sf_buf_free(&b);
    sf_report_free(r);
}

/* The rows of the one table after heading h (up to its </table>). */
static const char *table_after(const char *html, const char *h, const char **end)
{
    const char *t = strstr(html, h);
    assert_non_null(t);
    *end = strstr(t, "</table>");
    assert_non_null(*end);
    return t;
}

static size_t count_in(const char *from, const char *to, const char *needle)
{
    size_t n = 0;
    for (const char *p = from; (p = strstr(p, needle)) && p < to; p++)
        n++;
    return n;
}

static void test_report_render__html_links_anchors_and_unknown(void **state)
{
    (void)state;
    sf_report *r = build();
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_report_html(r, &b), SF_OK);
    const char *end;
    /* ids link to their advisory; the hostile one stays text */
    assert_non_null(strstr(b.data, "<a href=\"https://nvd.nist.gov/vuln/detail/CVE-1\"><code>CVE-1"
                                   "</code></a>"));
    assert_null(strstr(b.data, "href=\"https://nvd.nist.gov/vuln/detail/CVE-&lt;"));
    assert_non_null(strstr(b.data, "<td><code>CVE-&lt;b&gt;</code></td>"));
    /* every worst image links to a section with that id, which exists once */
    const char *w = table_after(b.data, "<h2>Worst images</h2>", &end);
    size_t rows = 0;
    for (const char *p = w; (p = strstr(p, "<a href=\"#img-")) && p < end; p++, rows++) {
        char id[128];
        const char *q = p + strlen("<a href=\"#");
        size_t n = strcspn(q, "\"");
        assert_true(n < 100);
        char want[160];
        snprintf(id, sizeof id, "%.*s", (int)n, q);
        snprintf(want, sizeof want, "<h3 id=\"%s\">", id);
        const char *sec = strstr(b.data, want);
        assert_non_null(sec);
        assert_null(strstr(sec + 1, want));
    }
    assert_int_equal(rows, 3); /* the images with findings */
    /* the UNKNOWN column: worst images and registries both carry it */
    assert_int_equal(count_in(w, end, "<th class=\"n\">unknown</th>"), 1);
    const char *g = table_after(b.data, "<h2>Registries</h2>", &end);
    assert_int_equal(count_in(g, end, "<th class=\"n\">unknown</th>"), 1);
    /* q.io holds the UNKNOWN finding: its row reads critical 1, high 1,
     * medium 1, low 0, unknown 1, findings 4 */
    assert_non_null(strstr(g, "<code>q.io</code></td><td class=\"n\">2</td><td class=\"n\">2"
                              "</td><td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">"
                              "1</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">"
                              "1</td><td class=\"n\">4</td>"));
    /* the image section lists findings with the fixed version */
    const char *sec = strstr(b.data, "<h2>Findings of the worst images</h2>");
    assert_non_null(sec);
    assert_non_null(strstr(sec, "<td><code>openssl</code></td><td><code>1</code></td><td><code>2"
                                "</code></td>"));
    /* ... and the distro tracker's page of each CVE for the image's OS */
    assert_non_null(strstr(sec, "CVE-1</code></a> <small><a href=\"https://security.alpinelinux.org/"
                                "vuln/CVE-1\">tracker</a></small>"));
    /* anchors are not fetches: nothing is loaded from anywhere */
    assert_null(strstr(b.data, "src=\""));
    assert_null(strstr(b.data, "<link"));
    sf_buf_free(&b);
    sf_report_free(r);
}

static void test_report_render__sarif_one_result_per_finding(void **state)
{
    (void)state;
    sf_report *r = build();
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_report_sarif(r, &b), SF_OK);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "version")), "2.1.0");
    json_t *run = json_array_get(json_object_get(j, "runs"), 0);
    json_t *rules = json_object_get(json_object_get(json_object_get(run, "tool"), "driver"),
                                    "rules");
    json_t *res = json_object_get(run, "results");
    assert_int_equal(json_array_size(res), 6);
    assert_int_equal(json_array_size(rules), 5);
    for (size_t i = 0; i < json_array_size(res); i++) {
        json_t *x = json_array_get(res, i);
        json_t *rule = json_array_get(rules, (size_t)json_integer_value(json_object_get(x, "ruleIndex")));
        assert_string_equal(json_string_value(json_object_get(rule, "id")),
                            json_string_value(json_object_get(x, "ruleId")));
        const char *uri = json_string_value(json_object_get(json_object_get(json_object_get(
            json_array_get(json_object_get(x, "locations"), 0), "physicalLocation"),
            "artifactLocation"), "uri"));
        assert_null(strchr(uri, ':')); /* would parse as a URI scheme */
    }
    json_decref(j);
    sf_buf_free(&b);
    sf_report_free(r);
}

static void test_report_render__table_lists_registries(void **state)
{
    (void)state;
    sf_report *r = build();
    sf_buf b;
    sf_buf_init(&b, 0);
    assert_int_equal(sf_report_table(r, &b), SF_OK);
    assert_non_null(strstr(b.data, "images scanned   5 (3 with findings, 1 failed)"));
    assert_non_null(strstr(b.data, "docker.io"));
    assert_non_null(strstr(b.data, "CVE-1"));
    sf_buf_free(&b);
    sf_report_free(r);
}

/* Both platforms of a multi-arch tag: one index, two image manifests with
 * the same refs and findings. Their worst-images rows must differ by
 * platform in every format that lists them, or they read as a duplicate. */
static sf_report *build_multiarch(void)
{
    static const char *plats[] = {"linux/amd64", "linux/arm64/v8"};
    sf_report *r = NULL;
    sf_buf b, doc;
    sf_buf_init(&b, 0);
    sf_buf_init(&doc, 0);
    assert_int_equal(sf_report_new(&r), SF_OK);
    for (size_t i = 0; i < 2; i++) {
        fix_result(&b, (char)('a' + i), "run1", "db1", "2026-01-01T00:00:00Z", "r.io/multi:1",
                   "CVE-1:openssl:1:2:CRITICAL", NULL);
        /* fix_result writes linux/amd64; give the second image its own */
        const char *at = strstr(b.data, "\"linux/amd64\"");
        assert_non_null(at);
        sf_buf_reset(&doc);
        assert_int_equal(sf_buf_printf(&doc, "%.*s\"%s\"%s", (int)(at - b.data), b.data, plats[i],
                                       at + strlen("\"linux/amd64\"")),
                         SF_OK);
        sf_agg_view *v = NULL;
        assert_int_equal(sf_agg_view_from_result(doc.data, doc.len, &v, NULL), SF_OK);
        assert_int_equal(sf_report_add(r, v), SF_OK);
    }
    sf_buf_free(&b);
    sf_buf_free(&doc);
    assert_int_equal(sf_report_finish(r), SF_OK);
    return r;
}

/* The text of the line holding both needles, or NULL. */
static const char *line_with(const char *text, const char *a, const char *b, char *out, size_t cap)
{
    for (const char *l = text; l && *l;) {
        size_t n = strcspn(l, "\n");
        snprintf(out, cap, "%.*s", (int)n, l);
        if (strstr(out, a) && strstr(out, b))
            return out;
        l += n + (l[n] == '\n');
    }
    return NULL;
}

static void test_report_render__worst_images_show_platform(void **state)
{
    (void)state;
    sf_report *r = build_multiarch();
    sf_buf b;
    sf_buf_init(&b, 0);
    char l1[512], l2[512];

    assert_int_equal(sf_report_table(r, &b), SF_OK);
    const char *worst = strstr(b.data, "WORST IMAGES");
    assert_non_null(worst);
    assert_non_null(strstr(worst, "PLATFORM"));
    assert_non_null(line_with(worst, "r.io/multi:1", "linux/amd64", l1, sizeof l1));
    assert_non_null(line_with(worst, "r.io/multi:1", "linux/arm64/v8", l2, sizeof l2));
    assert_string_not_equal(l1, l2);

    sf_buf_reset(&b);
    assert_int_equal(sf_report_html(r, &b), SF_OK);
    /* the worst-images table is the one whose rows hold refs in <code> */
    const char *row1 = strstr(b.data, "\"><code>r.io/multi:1</code></a></td>");
    assert_non_null(row1);
    const char *end = strstr(row1, "</table>");
    assert_non_null(end);
    const char *p1 = strstr(row1, "linux/amd64"), *p2 = strstr(row1, "linux/arm64/v8");
    assert_true(p1 && p1 < end);
    assert_true(p2 && p2 < end);
    assert_non_null(strstr(b.data, "<th>platform</th>"));

    sf_buf_reset(&b);
    assert_int_equal(sf_report_json(r, &b), SF_OK);
    json_t *j = json_loads(b.data, 0, NULL);
    assert_non_null(j);
    json_t *w = json_object_get(j, "worst_images");
    assert_int_equal(json_array_size(w), 2);
    const char *w0 = json_string_value(json_object_get(json_array_get(w, 0), "platform"));
    const char *w1 = json_string_value(json_object_get(json_array_get(w, 1), "platform"));
    assert_non_null(w0);
    assert_non_null(w1);
    assert_string_not_equal(w0, w1);
    json_decref(j);
    sf_buf_free(&b);
    sf_report_free(r);
}

/* The JSON renderers under allocation failure: every failed allocation is
 * an error, never a half-written document reported as done, and ASan
 * (CI's unit pass) sees each run free what it took, once. */
typedef struct {
    const sf_report *r;
    int (*render)(const sf_report *r, sf_buf *out);
} render_job;

static int render_once(void *ctx)
{
    const render_job *j = ctx;
    sf_buf b;
    sf_buf_init(&b, 0);
    int rc = j->render(j->r, &b);
    sf_buf_free(&b);
    return rc;
}

static void test_report_render__allocation_failures(void **state)
{
    (void)state;
    sf_report *r = build();
    render_job json = {r, sf_report_json}, sarif = {r, sf_report_sarif};
    /* each writer allocates once per value at least: many points swept */
    assert_true(sf_t_json_oom_sweep(render_once, &json) > 50);
    assert_true(sf_t_json_oom_sweep(render_once, &sarif) > 50);
    sf_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_model__totals_are_sums),
        cmocka_unit_test(test_report_render__json_matches_model),
        cmocka_unit_test(test_report_render__html_is_escaped_and_self_contained),
        cmocka_unit_test(test_report_render__html_links_anchors_and_unknown),
        cmocka_unit_test(test_report_render__sarif_one_result_per_finding),
        cmocka_unit_test(test_report_render__table_lists_registries),
        cmocka_unit_test(test_report_render__worst_images_show_platform),
        cmocka_unit_test(test_report_render__allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
