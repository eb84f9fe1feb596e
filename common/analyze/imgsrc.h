/*
 * imgsrc: where an image's manifests and blobs come from — a registry
 * (OCI distribution API), an OCI image layout directory, or a
 * `docker save` archive — behind one small interface, so scan.c walks
 * every kind of image the same way.
 *
 * Every byte handed out is verified against its digest: manifests and
 * configs before they are returned; blobs are streamed to a sink and the
 * layer walker checks them (sf_layer). A docker-archive has no registry
 * manifest: the source synthesises an OCI manifest whose layer digests
 * are the config's diff_ids (the archive's layer tars are uncompressed),
 * and says so (layers_by_diff_id) so the blob digest is not checked twice.
 */
#ifndef SF_IMGSRC_H
#define SF_IMGSRC_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/err.h"
#include "registry/registry.h"

typedef struct sf_imgsrc sf_imgsrc;

/* Open a user reference: "oci:<dir>[:tag]", "docker-archive:<file>",
 * "registry/repo:tag" or "registry/repo@sha256:...". insecure: allow
 * plain HTTP (always on for localhost/127.0.0.1). */
int sf_imgsrc_open(sf_imgsrc **out, const char *ref, int insecure, sf_error *err);
/* The same with a registry client made from tmpl (limits, deadlines;
 * its url and insecure are set from ref), NULL = defaults. */
int sf_imgsrc_open_with(sf_imgsrc **out, const char *ref, int insecure, const sf_reg_opts *tmpl,
                        sf_error *err);
/* A source over an existing registry client (borrowed) and repository. */
int sf_imgsrc_registry(sf_imgsrc **out, sf_reg *reg, const char *repo, const char *ref,
                       sf_error *err);
void sf_imgsrc_free(sf_imgsrc *s);

/* The top manifest (or index) the reference names: bytes (capped at
 * SF_LIM_MANIFEST_BYTES), media type when known (may be ""), digest. */
int sf_imgsrc_root(sf_imgsrc *s, sf_buf *body, char *mt, size_t mtlen,
                   char digest[SF_DIGEST_MAX], sf_error *err);
/* A manifest by digest (children of an index), verified. */
int sf_imgsrc_manifest(sf_imgsrc *s, const char *digest, sf_buf *body, char *mt, size_t mtlen,
                       sf_error *err);
/* A small blob (image config) by digest into out (capped at out->max), verified. */
int sf_imgsrc_small_blob(sf_imgsrc *s, const char *digest, sf_buf *out, sf_error *err);
/* Stream a blob to sink (unverified here: the consumer hashes it). */
int sf_imgsrc_blob(sf_imgsrc *s, const char *digest, sf_sink_fn sink, void *ctx, sf_error *err);
/* The same for a blob whose descriptor declares size bytes: from a
 * registry, more bytes are an error at once (sf_reg_get_blob_sized). */
int sf_imgsrc_blob_sized(sf_imgsrc *s, const char *digest, uint64_t size, sf_sink_fn sink,
                         void *ctx, sf_error *err);

/* 1 when layer descriptors carry diff_ids rather than blob digests. */
int sf_imgsrc_layers_by_diff_id(const sf_imgsrc *s);
/* The "registry/repo:tag" refs the source knows for its image (docker
 * archives carry RepoTags); may be 0. Borrowed. */
size_t sf_imgsrc_refs(const sf_imgsrc *s, const char *const **refs);
/* Short description for messages ("oci:/tmp/x", "localhost:5000/a/b"). */
const char *sf_imgsrc_name(const sf_imgsrc *s);

/* Split "host[:port]/repo[:tag|@digest]" (Docker Hub names get
 * "registry-1.docker.io" and "library/"). Out buffers hold >= 256 bytes
 * (repo >= 512). SF_EINVAL with a message when malformed. */
int sf_imgsrc_parse_ref(const char *ref, char *host, size_t hostlen, char *repo, size_t repolen,
                        char *tag, size_t taglen, sf_error *err);

#endif
