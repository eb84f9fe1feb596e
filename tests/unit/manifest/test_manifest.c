/*
 * Unit tests of common/analyze/manifest: the four manifest formats, the
 * real OCI layout's manifest and the real docker-archive config from the
 * corpus, strictness (schema1, artifacts, bad digests, limits), platform
 * parsing/matching with variant rules, index selection, and registry
 * reference parsing (imgsrc).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyze/imgsrc.h"
#include "analyze/manifest.h"
#include "base/limits.h"
#include "testutil.h"

#define D1 "sha256:afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab"
#define D2 "sha256:b23a8f6569ae9ae331226205fa72f480ce5310707d0bc97e611f83fbbbde4604"

static sf_manifest *parse_ok(const char *doc, const char *mt)
{
    sf_manifest *m = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_manifest_parse(&m, doc, strlen(doc), mt, &e) != SF_OK)
        fail_msg("%s", e.msg);
    return m;
}

static int parse_err(const char *doc, const char *mt, const char *needle)
{
    sf_manifest *m = NULL;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_manifest_parse(&m, doc, strlen(doc), mt, &e);
    if (m)
        fail_msg("accepted: %s", doc);
    if (rc == SF_OK || !strstr(e.msg, needle))
        fail_msg("expected error with \"%s\", got %d: %s", needle, rc, e.msg);
    return rc;
}

static void test_manifest_parse__formats(void **state)
{
    (void)state;
    /* Docker schema2, media type from the transport only. */
    sf_manifest *m = parse_ok(
        "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\","
        "\"digest\":\"" D1 "\",\"size\":1512},\"layers\":[{\"mediaType\":"
        "\"application/vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" D2 "\",\"size\":2797541}]}",
        SF_MT_DOCKER_MANIFEST);
    assert_int_equal(m->kind, SF_MANIFEST_IMAGE);
    assert_string_equal(m->media_type, SF_MT_DOCKER_MANIFEST);
    assert_int_equal(m->nlayers, 1);
    assert_true(m->layers[0].size == 2797541);
    sf_manifest_free(m);
    /* Docker manifest list with an arm variant and an attestation. */
    m = parse_ok("{\"schemaVersion\":2,\"mediaType\":\"" SF_MT_DOCKER_LIST "\",\"manifests\":["
                 "{\"mediaType\":\"" SF_MT_DOCKER_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
                 "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}},"
                 "{\"mediaType\":\"" SF_MT_DOCKER_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
                 "\"platform\":{\"architecture\":\"aarch64\",\"os\":\"linux\"}},"
                 "{\"mediaType\":\"" SF_MT_OCI_MANIFEST "\",\"digest\":\"" D2 "\",\"size\":1,"
                 "\"platform\":{\"architecture\":\"unknown\",\"os\":\"unknown\"},"
                 "\"annotations\":{\"vnd.docker.reference.type\":\"attestation-manifest\"}},"
                 "{\"mediaType\":\"" SF_MT_OCI_MANIFEST "\",\"digest\":\"" D1 "\",\"size\":1,"
                 "\"platform\":{\"architecture\":\"amd64\",\"os\":\"windows\"}}]}",
                 NULL);
    assert_int_equal(m->kind, SF_MANIFEST_INDEX);
    assert_int_equal(m->nmanifests, 4);
    assert_string_equal(m->manifests[1].platform.arch, "arm64");
    assert_true(m->manifests[2].attestation);
    size_t idx[4];
    assert_int_equal(sf_manifest_select(m, NULL, 0, idx), 2); /* linux only, no attestation */
    sf_platform want;
    assert_int_equal(sf_platform_parse("linux/arm64/v8", &want, NULL), SF_OK);
    assert_int_equal(sf_manifest_select(m, &want, 1, idx), 1);
    assert_int_equal(idx[0], 1);
    assert_int_equal(sf_platform_parse("linux/arm/v7", &want, NULL), SF_OK);
    assert_int_equal(sf_manifest_select(m, &want, 1, idx), 0);
    sf_manifest_free(m);
    /* OCI index without mediaType is recognised by "manifests". */
    m = parse_ok("{\"schemaVersion\":2,\"manifests\":[]}", NULL);
    assert_int_equal(m->kind, SF_MANIFEST_INDEX);
    assert_string_equal(m->media_type, SF_MT_OCI_INDEX);
    sf_manifest_free(m);
}

static void test_manifest_parse__corpus_documents(void **state)
{
    (void)state;
    size_t len;
    /* The real OCI layout's image manifest (hello-world). */
    char *man = sf_t_read_tar_member(
        sf_t_corpus("images/oci-layout/trivy-testdata-hello-world.oci-layout.tar.gz"),
        "test.oci/blobs/sha256/afb744871f99e0ff8e6f253244836ed34c5d805fdb096d3a205ffaf5e9073cab",
        &len);
    assert_non_null(man);
    sf_manifest *m = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_manifest_parse(&m, man, len, NULL, &e), SF_OK);
    assert_int_equal(m->kind, SF_MANIFEST_IMAGE);
    assert_int_equal(m->nlayers, 1);
    assert_string_equal(m->config.media_type, SF_MT_OCI_CONFIG);
    sf_manifest_free(m);
    free(man);
    /* The real docker save config: one diff_id, linux/amd64. */
    char *cfg = sf_t_read_tar_member(
        sf_t_corpus("images/docker-archive/trivy-testdata-alpine-310.docker-archive.tar.gz"),
        "af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e.json", &len);
    assert_non_null(cfg);
    sf_image_config *c = NULL;
    assert_int_equal(sf_image_config_parse(&c, cfg, len, &e), SF_OK);
    assert_int_equal(c->ndiff_ids, 1);
    assert_string_equal(c->diff_ids[0],
                        "sha256:531743b7098cb2aaf615641007a129173f63ed86ca32fe7b5a246a1c47286028");
    assert_string_equal(c->platform.os, "linux");
    assert_string_equal(c->platform.arch, "amd64");
    sf_image_config_free(c);
    free(cfg);
}

static void test_manifest_parse__strict(void **state)
{
    (void)state;
    assert_int_equal(parse_err("{\"schemaVersion\":1,\"fsLayers\":[]}", NULL, "schema1"),
                     SF_EUNSUPPORTED);
    parse_err("{\"schemaVersion\":2}", "application/vnd.docker.distribution.manifest.v1+prettyjws",
              "schema1");
    parse_err("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.cncf.helm.config.v1+json\","
              "\"digest\":\"" D1 "\",\"size\":1},\"layers\":[]}", NULL, "not a container image");
    parse_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":"
              "[{\"mediaType\":\"application/vnd.cncf.helm.chart.content.v1.tar+gzip\","
              "\"digest\":\"" D2 "\",\"size\":1}]}", NULL, "not a tar layer");
    parse_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"sha256:../../etc/passwd\",\"size\":1},"
              "\"layers\":[]}", NULL, "config");
    parse_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":-1},\"layers\":[]}",
              NULL, "size");
    parse_err("{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1 "\",\"size\":1}}", NULL, "layers");
    parse_err("{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", NULL, "both");
    parse_err("{\"schemaVersion\":2,\"mediaType\":\"" SF_MT_OCI_INDEX "\",\"manifests\":[]}",
              SF_MT_OCI_MANIFEST, "served as");
    parse_err("{\"schemaVersion\":2,\"mediaType\":\"text/plain\"}", NULL, "unsupported media type");
    parse_err("{\"schemaVersion\":2,\"schemaVersion\":2}", NULL, "invalid JSON");
    parse_err("[1,2", NULL, "invalid JSON");
    /* Too many layers. */
    size_t cap = 200 * (SF_LIM_IMAGE_LAYERS + 2);
    char *big = malloc(cap);
    size_t o = (size_t)snprintf(big, cap, "{\"schemaVersion\":2,\"config\":{\"digest\":\"" D1
                                          "\",\"size\":1},\"layers\":[");
    for (int i = 0; i <= SF_LIM_IMAGE_LAYERS; i++)
        o += (size_t)snprintf(big + o, cap - o, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
                              "\"digest\":\"" D2 "\",\"size\":1}", i ? "," : "");
    snprintf(big + o, cap - o, "]}");
    assert_int_equal(parse_err(big, NULL, "limit"), SF_ELIMIT);
    free(big);
    /* Configs. */
    sf_image_config *c = NULL;
    sf_error e = SF_ERROR_INIT;
    const char *nofs = "{\"os\":\"linux\",\"architecture\":\"amd64\"}";
    assert_int_equal(sf_image_config_parse(&c, nofs, strlen(nofs), &e), SF_EPARSE);
    const char *badid = "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:abc\"]}}";
    sf_error_clear(&e);
    assert_int_equal(sf_image_config_parse(&c, badid, strlen(badid), &e), SF_EPARSE);
    assert_null(c);
}

static void test_manifest_platform__parse_and_match(void **state)
{
    (void)state;
    sf_platform w, h;
    char buf[128];
    assert_int_equal(sf_platform_parse("linux/arm64/v8", &w, NULL), SF_OK);
    sf_platform_format(&w, buf, sizeof buf);
    assert_string_equal(buf, "linux/arm64/v8");
    assert_int_equal(sf_platform_parse("x86_64", &w, NULL), SF_OK);
    sf_platform_format(&w, buf, sizeof buf);
    assert_string_equal(buf, "linux/amd64");
    assert_int_equal(sf_platform_parse("linux//x", &w, NULL), SF_EINVAL);
    assert_int_equal(sf_platform_parse("a/b/c/d", &w, NULL), SF_EINVAL);
    assert_int_equal(sf_platform_parse("", &w, NULL), SF_EINVAL);
    /* arm64 without variant is v8; arm without variant is v7. */
    static const struct {
        const char *want, *have;
        int match;
    } cases[] = {
        {"linux/arm64/v8", "linux/arm64", 1}, {"linux/arm64", "linux/arm64/v8", 1},
        {"linux/arm/v7", "linux/arm", 1},     {"linux/arm/v6", "linux/arm", 0},
        {"linux/arm/v6", "linux/arm/v6", 1},  {"linux/amd64", "linux/arm64", 0},
        {"linux/amd64", "windows/amd64", 0},  {"linux/aarch64", "linux/arm64/v8", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sf_platform_parse(cases[i].want, &w, NULL);
        sf_platform_parse(cases[i].have, &h, NULL);
        if (sf_platform_match(&w, &h) != cases[i].match)
            fail_msg("%s vs %s", cases[i].want, cases[i].have);
    }
}

static void test_manifest_ref__registry_references(void **state)
{
    (void)state;
    static const struct {
        const char *ref, *host, *repo, *tag;
    } ok[] = {
        {"localhost:5000/engine/alpine:3.10", "localhost:5000", "engine/alpine", "3.10"},
        {"alpine", "registry-1.docker.io", "library/alpine", "latest"},
        {"bitnami/redis:7", "registry-1.docker.io", "bitnami/redis", "7"},
        {"ghcr.io/a/b/c@" D1, "ghcr.io", "a/b/c", D1},
        {"localhost/x", "localhost", "x", "latest"},
    };
    char host[256], repo[512], tag[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sf_error e = SF_ERROR_INIT;
        if (sf_imgsrc_parse_ref(ok[i].ref, host, sizeof host, repo, sizeof repo, tag, sizeof tag,
                                &e) != SF_OK)
            fail_msg("%s: %s", ok[i].ref, e.msg);
        assert_string_equal(host, ok[i].host);
        assert_string_equal(repo, ok[i].repo);
        assert_string_equal(tag, ok[i].tag);
    }
    static const char *bad[] = {"localhost:5000/UP/x:1", "h.io/x@sha256:123", "h.io/x:t@g:",
                                "h.io/:tag", "h.io/x:-bad"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_error e = SF_ERROR_INIT;
        if (sf_imgsrc_parse_ref(bad[i], host, sizeof host, repo, sizeof repo, tag, sizeof tag,
                                &e) == SF_OK)
            fail_msg("accepted %s", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_parse__formats),
        cmocka_unit_test(test_manifest_parse__corpus_documents),
        cmocka_unit_test(test_manifest_parse__strict),
        cmocka_unit_test(test_manifest_platform__parse_and_match),
        cmocka_unit_test(test_manifest_ref__registry_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
