/*
 * scanfix: test fixtures for whole-image tests: OCI image layouts built
 * in a temporary directory from corpus layer blobs (symlinked, never
 * copied), hand-written configs, manifests and indexes.
 */
#ifndef SF_SCANFIX_H
#define SF_SCANFIX_H

#include <stddef.h>

#include "base/digest.h"

typedef struct fix_image {
    const char *const *layers; /* paths of layer blob files (gzip or plain tar) */
    size_t nlayers;
    const char *os, *arch, *variant;
} fix_image;

/* New empty temp dir (static buffer per call slot: copy it). */
char *fix_tmpdir(void);
/* Remove a directory tree. */
void fix_rmtree(const char *dir);
/* Write blob into <dir>/blobs/sha256/, digest out. */
void fix_write_blob(const char *dir, const void *data, size_t len, char digest[SF_DIGEST_MAX]);
/* Build an OCI layout at dir holding the images; several images go into
 * index.json with their platforms, one image is index.json's only entry.
 * Returns nothing; digests of the image manifests go to mdigests. */
void fix_layout(const char *dir, const fix_image *imgs, size_t n, char (*mdigests)[SF_DIGEST_MAX]);
/* sha256 and size of a file as it is (a blob's digest). */
void fix_file_digest(const char *path, char out[SF_DIGEST_MAX], size_t *size);
/* Set by tests that build layouts from corrupt blobs: diff_ids are then
 * a placeholder (the blob fails before the diff_id is checked). */
extern int fix_layout_nodiff;
/* sha256 of the decompressed content of a (gzip or plain) file. */
void fix_diff_id(const char *path, char out[SF_DIGEST_MAX]);

#endif
