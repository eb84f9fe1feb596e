/*
 * sbom: a scan result as a CycloneDX 1.5 JSON bill of materials: the
 * image as the subject component, every package as a component with its
 * purl, licence and where it was found (layer, path), the OS as an
 * operating-system component, and — when the image was matched — the
 * vulnerabilities with ratings and the components they affect; or as
 * an SPDX 2.3 JSON document (packages and relationships, no
 * vulnerabilities: SPDX 2.3 has no place for them).
 */
#ifndef SF_SBOM_H
#define SF_SBOM_H

#include "base/buf.h"
#include "base/err.h"
#include "model/result.h"

/* Append the CycloneDX 1.5 JSON document of r to out. `name` names the
 * image (the user's reference), or NULL for the digest. */
int sf_sbom_cyclonedx(const sf_result *r, const char *name, sf_buf *out, sf_error *err);

/* One CycloneDX 1.5 document for the n platforms of one image (n >= 1):
 * the subject is the image (the index digest as its version), every
 * component and vulnerability carries a `scanfarm:image:platform` property
 * and platform-prefixed bom-refs ("p1-pkg-3") when n > 1. n == 1 gives
 * exactly sf_sbom_cyclonedx's document. */
int sf_sbom_cyclonedx_n(const sf_result *const *rs, size_t n, const char *name, sf_buf *out,
                        sf_error *err);

/* A fresh random "urn:uuid:<v4 uuid>" (document serial numbers). */
void sf_sbom_urn_uuid(char out[64]);

/* An SPDX 2.3 JSON document of the n platforms of one image: one package
 * per platform image (primaryPackagePurpose CONTAINER) that the document
 * DESCRIBES, each CONTAINS its operating system and packages (purls as
 * externalRefs). Licences go to licenseComments as found, since package
 * metadata rarely holds a valid SPDX expression; licenseDeclared is
 * NOASSERTION. */
int sf_sbom_spdx(const sf_result *const *rs, size_t n, const char *name, sf_buf *out,
                 sf_error *err);

#endif
