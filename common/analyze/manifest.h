/*
 * manifest: strict, bounded parsing of what a registry or an image layout
 * says about an image: OCI image manifests and indexes, Docker schema2
 * manifests and manifest lists, and image configs (diff_ids, platform);
 * plus platform strings and the platform filter of an index.
 *
 * Everything here is untrusted: sizes are capped (limits.h), every digest
 * is validated (so it can be used in paths and keys), unknown media types
 * are refused with a message that says what was found. Docker schema1 is
 * reported as unsupported, never half-parsed.
 */
#ifndef SF_MANIFEST_H
#define SF_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define SF_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define SF_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define SF_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define SF_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define SF_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define SF_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"

/* os/architecture/variant; empty strings when absent. */
typedef struct sf_platform {
    char os[32];
    char arch[32];
    char variant[32];
} sf_platform;

/* Parse "linux/arm64/v8", "linux/amd64", "arm64" (os defaults to linux).
 * Architecture aliases are normalised (x86_64 -> amd64, aarch64 -> arm64). */
int sf_platform_parse(const char *s, sf_platform *out, sf_error *err);
/* "linux/arm64/v8" into out (outlen >= 100). */
void sf_platform_format(const sf_platform *p, char *out, size_t outlen);
/* 1 when `have` satisfies `want`: same os and architecture (after
 * normalisation); a want without variant takes any variant; otherwise the
 * variants must agree, with the defaults arm64 = v8, arm = v7, amd64 = v1. */
int sf_platform_match(const sf_platform *want, const sf_platform *have);

typedef struct sf_descriptor {
    char *media_type;
    char *digest;   /* validated */
    uint64_t size;
    sf_platform platform; /* index entries only */
    int has_platform;
    int attestation; /* index entry is a build attestation, not an image */
} sf_descriptor;

typedef enum sf_manifest_kind { SF_MANIFEST_IMAGE = 1, SF_MANIFEST_INDEX = 2 } sf_manifest_kind;

typedef struct sf_manifest {
    sf_manifest_kind kind;
    char *media_type;     /* the document's (or the transport's) media type */
    sf_descriptor config; /* image only */
    sf_descriptor *layers; /* image only, bottom first */
    size_t nlayers;
    sf_descriptor *manifests; /* index only */
    size_t nmanifests;
} sf_manifest;

/*
 * Parse a manifest or index. media_type is the transport's Content-Type
 * (or NULL); the document's own mediaType wins when present, and the two
 * must not contradict each other. SF_EPARSE (malformed), SF_ELIMIT (too
 * big or too many entries), SF_EUNSUPPORTED (schema1, artifacts, unknown
 * layer types).
 */
int sf_manifest_parse(sf_manifest **out, const char *data, size_t len, const char *media_type,
                      sf_error *err);
void sf_manifest_free(sf_manifest *m);

/*
 * Platform manifests of an index that match any of the wanted platforms
 * (nwant == 0: every linux platform). Attestations and non-image entries
 * are skipped. Fills idx[] (capacity m->nmanifests) with indexes into
 * m->manifests, in document order; returns the count.
 */
size_t sf_manifest_select(const sf_manifest *m, const sf_platform *want, size_t nwant,
                          size_t *idx);

typedef struct sf_image_config {
    sf_platform platform;
    char **diff_ids; /* validated, bottom first */
    size_t ndiff_ids;
    char *created;
} sf_image_config;

/* Parse an image config (OCI or Docker). */
int sf_image_config_parse(sf_image_config **out, const char *data, size_t len, sf_error *err);
void sf_image_config_free(sf_image_config *c);

#endif
