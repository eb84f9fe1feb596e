/* Fuzz target of common/analyze/manifest: the first byte picks the
 * transport media type; the rest is parsed as a manifest/index, and as an
 * image config; an index is then filtered by platform. */
#include <stdint.h>
#include <string.h>

#include "analyze/manifest.h"
#include "base/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const mts[] = {NULL, SF_MT_OCI_MANIFEST, SF_MT_OCI_INDEX,
                                      SF_MT_DOCKER_MANIFEST, SF_MT_DOCKER_LIST,
                                      "application/vnd.docker.distribution.manifest.v1+json"};
    const char *mt = mts[size ? data[0] % 6 : 0];
    if (size) {
        data++;
        size--;
    }
    sf_manifest *m = NULL;
    sf_error e = SF_ERROR_INIT;
    if (sf_manifest_parse(&m, (const char *)data, size, mt, &e) == SF_OK &&
        m->kind == SF_MANIFEST_INDEX) {
        size_t idx[SF_LIM_INDEX_MANIFESTS];
        sf_platform want[2];
        sf_platform_parse("linux/arm64/v8", &want[0], NULL);
        sf_platform_parse("linux/amd64", &want[1], NULL);
        if (m->nmanifests <= SF_LIM_INDEX_MANIFESTS) {
            sf_manifest_select(m, NULL, 0, idx);
            sf_manifest_select(m, want, 2, idx);
        }
    }
    sf_manifest_free(m);
    sf_image_config *c = NULL;
    sf_error_clear(&e);
    sf_image_config_parse(&c, (const char *)data, size, &e);
    sf_image_config_free(c);
    return 0;
}
