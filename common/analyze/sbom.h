/*
 * sbom: a scan result as a CycloneDX 1.5 JSON bill of materials: the
 * image as the subject component, every package as a component with its
 * purl, licence and where it was found (layer, path), the OS as an
 * operating-system component, and — when the image was matched — the
 * vulnerabilities with ratings and the components they affect.
 */
#ifndef SF_SBOM_H
#define SF_SBOM_H

#include "base/buf.h"
#include "base/err.h"
#include "bus/msg_result.h"

/* Append the CycloneDX 1.5 JSON document of r to out. `name` names the
 * image (the user's reference), or NULL for the digest. */
int sf_sbom_cyclonedx(const sf_result *r, const char *name, sf_buf *out, sf_error *err);

#endif
