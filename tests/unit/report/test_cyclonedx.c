/*
 * The CycloneDX 1.5 writer (report/sbom.h), field by field: document
 * header, the image as metadata.component, the OS and package components
 * (bom-refs, purls, licences, scanfarm:* properties), vulnerabilities
 * (rating, method, affects with the installed version, alias references,
 * recommendation); no vulnerabilities array when the image was not
 * matched; platform-prefixed refs and the index as subject for a
 * multi-arch BOM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "report/sbom.h"
#include "testutil.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define IX "sha256:9999999999999999999999999999999999999999999999999999999999999999"

static char *dup(const char *s) { return s ? strdup(s) : NULL; }

/* An Alpine image with openssl (apk) and @acme/left-pad (npm), and one
 * finding on openssl when matched. */
static void mk(sf_result *r, const char *digest, const char *platform, int matched)
{
    sf_result_init(r);
    r->digest = dup(digest);
    r->platform = dup(platform);
    r->scanned_at = dup("2026-12-02T10:00:00Z");
    r->has_os = 1;
    r->os.id = dup("alpine");
    r->os.version_id = dup("3.18.4");
    r->npkgs = 2;
    r->pkgs = calloc(2, sizeof *r->pkgs);
    assert_non_null(r->pkgs);
    r->pkgs[0] = (sf_pkg){SF_PT_APK, dup("libssl3"), dup("3.1.2-r0"), dup("openssl"), NULL,
                          dup("x86_64"), dup("Apache-2.0"), dup("lib/apk/db/installed"), 1};
    r->pkgs[1] = (sf_pkg){SF_PT_NPM, dup("@acme/left-pad"), dup("1.3.0"), NULL, NULL, NULL,
                          NULL, dup("app/node_modules/@acme/left-pad/package.json"), 2};
    if (!matched)
        return;
    r->db_version = dup("db-1");
    sf_findings_init(&r->vulns);
    r->vulns.items = calloc(1, sizeof *r->vulns.items);
    assert_non_null(r->vulns.items);
    r->vulns.n = r->vulns.cap = 1;
    sf_finding *f = &r->vulns.items[0];
    f->id = dup("CVE-2023-5678");
    f->aliases = calloc(1, sizeof *f->aliases);
    f->aliases[0] = dup("ALPINE-CVE-2023-5678");
    f->naliases = 1;
    f->pkg_name = dup("libssl3");
    f->installed = dup("3.1.2-r0");
    f->fixed = dup("3.1.4-r1");
    f->severity = dup("HIGH");
    f->cvss = 7.5;
    f->cvss_vector = dup("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    f->summary = dup("DH key check is slow");
    f->pkg_path = dup("lib/apk/db/installed");
    f->epss = f->epss_pct = -1;
}

/* The two platform images (amd64, arm64/v8) of index IX. */
static void mk_index(sf_result *a, sf_result *b)
{
    mk(a, D1, "linux/amd64", 1);
    mk(b, D2, "linux/arm64/v8", 1);
    a->index_digest = dup(IX);
    b->index_digest = dup(IX);
}

static json_t *render(const sf_result *const *rs, size_t n, const char *name)
{
    sf_buf b;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 1u << 20);
    assert_int_equal(sf_sbom_cyclonedx_n(rs, n, name, &b, &e), SF_OK);
    json_error_t je;
    json_t *doc = json_loadb(b.data, b.len, 0, &je);
    sf_buf_free(&b);
    assert_non_null(doc);
    return doc;
}

static const char *str(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    assert_true(json_is_string(v));
    return json_string_value(v);
}

/* The value of property `name` in o's properties (NULL when absent). */
static const char *prop(const json_t *o, const char *name)
{
    size_t i;
    const json_t *p;
    json_array_foreach(json_object_get(o, "properties"), i, p)
        if (strcmp(str(p, "name"), name) == 0)
            return str(p, "value");
    return NULL;
}

static void test_cyclonedx__one_platform(void **state)
{
    (void)state;
    sf_result r;
    mk(&r, D1, "linux/amd64", 1);
    const sf_result *rs[] = {&r};
    json_t *d = render(rs, 1, "registry.example/shop/api:1.4");

    assert_string_equal(str(d, "bomFormat"), "CycloneDX");
    assert_string_equal(str(d, "specVersion"), "1.5");
    assert_int_equal(json_integer_value(json_object_get(d, "version")), 1);
    const char *sn = str(d, "serialNumber");
    assert_int_equal(strlen(sn), strlen("urn:uuid:") + 36);
    assert_memory_equal(sn, "urn:uuid:", 9);
    assert_int_equal(sn[9 + 14], '4'); /* a version 4 UUID */

    const json_t *m = json_object_get(d, "metadata");
    assert_string_equal(str(m, "timestamp"), "2026-12-02T10:00:00Z");
    const json_t *tool = json_array_get(json_object_get(json_object_get(m, "tools"), "components"), 0);
    assert_string_equal(str(tool, "type"), "application");
    assert_string_equal(str(tool, "name"), "scanfarm");
    const json_t *img = json_object_get(m, "component");
    assert_string_equal(str(img, "type"), "container");
    assert_string_equal(str(img, "bom-ref"), "image");
    assert_string_equal(str(img, "name"), "registry.example/shop/api:1.4");
    assert_string_equal(str(img, "version"), D1);
    assert_string_equal(prop(img, "scanfarm:image:platform"), "linux/amd64");
    assert_string_equal(prop(img, "scanfarm:os:id"), "alpine");
    assert_string_equal(prop(img, "scanfarm:os:version"), "3.18.4");
    assert_null(prop(img, "scanfarm:image:index-digest"));

    const json_t *comps = json_object_get(d, "components");
    assert_int_equal(json_array_size(comps), 3);
    const json_t *os = json_array_get(comps, 0);
    assert_string_equal(str(os, "type"), "operating-system");
    assert_string_equal(str(os, "bom-ref"), "os");
    assert_string_equal(str(os, "name"), "alpine");
    assert_string_equal(str(os, "version"), "3.18.4");
    const json_t *ssl = json_array_get(comps, 1);
    assert_string_equal(str(ssl, "type"), "library");
    assert_string_equal(str(ssl, "bom-ref"), "pkg-0");
    assert_string_equal(str(ssl, "name"), "libssl3");
    assert_string_equal(str(ssl, "version"), "3.1.2-r0");
    assert_string_equal(str(ssl, "purl"), "pkg:apk/alpine/libssl3@3.1.2-r0?arch=x86_64&distro=alpine-3.18.4");
    const json_t *lic = json_object_get(json_array_get(json_object_get(ssl, "licenses"), 0), "license");
    assert_string_equal(str(lic, "name"), "Apache-2.0");
    assert_string_equal(prop(ssl, "scanfarm:package:type"), "apk");
    assert_string_equal(prop(ssl, "scanfarm:package:source-name"), "openssl");
    assert_null(prop(ssl, "scanfarm:package:source-version"));
    assert_string_equal(prop(ssl, "scanfarm:package:arch"), "x86_64");
    assert_string_equal(prop(ssl, "scanfarm:location:path"), "lib/apk/db/installed");
    assert_string_equal(prop(ssl, "scanfarm:location:layer"), "1");
    assert_null(prop(ssl, "scanfarm:image:platform"));
    const json_t *pad = json_array_get(comps, 2);
    assert_string_equal(str(pad, "bom-ref"), "pkg-1");
    assert_string_equal(str(pad, "purl"), "pkg:npm/%40acme/left-pad@1.3.0");
    assert_null(json_object_get(pad, "licenses"));
    assert_string_equal(prop(pad, "scanfarm:location:layer"), "2");

    const json_t *vulns = json_object_get(d, "vulnerabilities");
    assert_int_equal(json_array_size(vulns), 1);
    const json_t *v = json_array_get(vulns, 0);
    assert_string_equal(str(v, "id"), "CVE-2023-5678");
    assert_string_equal(str(v, "description"), "DH key check is slow");
    const json_t *rt = json_array_get(json_object_get(v, "ratings"), 0);
    assert_string_equal(str(rt, "severity"), "high");
    assert_true(json_real_value(json_object_get(rt, "score")) == 7.5);
    assert_string_equal(str(rt, "method"), "CVSSv31");
    assert_string_equal(str(rt, "vector"), "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H");
    const json_t *af = json_array_get(json_object_get(v, "affects"), 0);
    assert_string_equal(str(af, "ref"), "pkg-0");
    const json_t *ver = json_array_get(json_object_get(af, "versions"), 0);
    assert_string_equal(str(ver, "version"), "3.1.2-r0");
    assert_string_equal(str(ver, "status"), "affected");
    const json_t *ref = json_array_get(json_object_get(v, "references"), 0);
    assert_string_equal(str(ref, "id"), "ALPINE-CVE-2023-5678");
    assert_string_equal(str(json_object_get(ref, "source"), "name"), "alias");
    assert_string_equal(str(v, "recommendation"), "Upgrade libssl3 to 3.1.4-r1 or later");
    assert_null(json_object_get(v, "properties"));

    json_decref(d);
    sf_result_clear(&r);
}

static void test_cyclonedx__unmatched_has_no_vulnerabilities(void **state)
{
    (void)state;
    sf_result r;
    mk(&r, D1, "linux/amd64", 0);
    const sf_result *rs[] = {&r};
    json_t *d = render(rs, 1, NULL);
    assert_null(json_object_get(d, "vulnerabilities"));
    assert_string_equal(str(json_object_get(json_object_get(d, "metadata"), "component"), "name"), D1);
    json_decref(d);
    sf_result_clear(&r);
}

static void test_cyclonedx__multi_platform(void **state)
{
    (void)state;
    sf_result a, b;
    mk_index(&a, &b);
    const sf_result *rs[] = {&a, &b};
    json_t *d = render(rs, 2, "shop/api:1.4");
    const json_t *img = json_object_get(json_object_get(d, "metadata"), "component");
    assert_string_equal(str(img, "version"), IX);
    assert_string_equal(prop(img, "scanfarm:image:index-digest"), IX);
    assert_null(prop(img, "scanfarm:os:id")); /* per platform, not for the index */
    const json_t *comps = json_object_get(d, "components");
    assert_int_equal(json_array_size(comps), 6);
    assert_string_equal(str(json_array_get(comps, 0), "bom-ref"), "p0-os");
    assert_string_equal(str(json_array_get(comps, 1), "bom-ref"), "p0-pkg-0");
    assert_string_equal(str(json_array_get(comps, 4), "bom-ref"), "p1-pkg-0");
    assert_string_equal(prop(json_array_get(comps, 4), "scanfarm:image:platform"), "linux/arm64/v8");
    const json_t *vulns = json_object_get(d, "vulnerabilities");
    assert_int_equal(json_array_size(vulns), 2);
    const json_t *v1 = json_array_get(vulns, 1);
    assert_string_equal(str(json_array_get(json_object_get(v1, "affects"), 0), "ref"), "p1-pkg-0");
    assert_string_equal(prop(v1, "scanfarm:image:platform"), "linux/arm64/v8");
    json_decref(d);
    sf_result_clear(&a);
    sf_result_clear(&b);
}

static void test_cyclonedx__no_result_is_an_error(void **state)
{
    (void)state;
    sf_buf b;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 1024);
    assert_int_equal(sf_sbom_cyclonedx_n(NULL, 0, NULL, &b, &e), SF_EINVAL);
    assert_true(e.msg[0] != '\0');
    sf_buf_free(&b);
}

typedef struct sbom_job {
    const sf_result *const *rs;
    size_t n;
    int spdx;
} sbom_job;

static int write_sbom(void *ctx)
{
    const sbom_job *j = ctx;
    sf_buf b;
    sf_error e = SF_ERROR_INIT;
    sf_buf_init(&b, 0);
    int rc = j->spdx ? sf_sbom_spdx(j->rs, j->n, "shop/api:1.4", &b, &e)
                     : sf_sbom_cyclonedx_n(j->rs, j->n, "shop/api:1.4", &b, &e);
    sf_buf_free(&b);
    return rc;
}

/* Both SBOM writers with each allocation failing in turn: an error each
 * time, never a crash, double free or leak (a failed set freed its value
 * twice here before). */
static void test_cyclonedx__allocation_failures(void **state)
{
    (void)state;
    sf_result a, b;
    mk_index(&a, &b);
    const sf_result *rs[] = {&a, &b};
    for (int spdx = 0; spdx < 2; spdx++) {
        sbom_job j = {rs, 2, spdx};
        assert_true(sf_t_json_oom_sweep(write_sbom, &j) > 20);
    }
    sf_result_clear(&a);
    sf_result_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cyclonedx__one_platform),
        cmocka_unit_test(test_cyclonedx__unmatched_has_no_vulnerabilities),
        cmocka_unit_test(test_cyclonedx__multi_platform),
        cmocka_unit_test(test_cyclonedx__no_result_is_an_error),
        cmocka_unit_test(test_cyclonedx__allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
