/*
 * assemble: the image's final package set from its layer inventories,
 * applied bottom-up with the overlay filesystem's rules:
 *
 *  - a source file at path P in layer i replaces P from every lower layer
 *    (a package DB rewritten by `apt-get install` in a higher layer is the
 *    only one that counts);
 *  - a whiteout `.wh.<name>` deletes <name> and everything under it from
 *    lower layers;
 *  - an opaque directory (`.wh..wh..opq`) deletes everything under it from
 *    lower layers, not from its own layer.
 *
 * OS facts come from the surviving os file of highest precedence
 * (etc/os-release > usr/lib/os-release > etc/alpine-release >
 * etc/debian_version > etc/redhat-release), with fields it lacks filled
 * from lower-precedence files of the same distro. Every package records
 * the index of the layer it came from.
 */
#ifndef SF_ASSEMBLE_H
#define SF_ASSEMBLE_H

#include <stddef.h>

#include "analyze/inventory.h"
#include "base/err.h"
#include "base/pkg.h"

/* A surviving source that was recognised but not (fully) parsed: the
 * result reports these, so nothing is skipped silently. */
typedef struct sf_img_note {
    char *path;
    char *analyzer;
    int status; /* sf_src_status */
    char *note;
    int layer;
} sf_img_note;

typedef struct sf_image_inv {
    int has_os;
    sf_osinfo os;
    char *os_path;   /* file the OS facts came from */
    sf_pkg *pkgs;    /* every surviving package, layer set */
    size_t npkgs;
    sf_img_note *notes;
    size_t nnotes;
} sf_image_inv;

/* Assemble layers[0..n) (bottom first; each non-NULL and without error)
 * into *out (caller frees with sf_image_inv_free). */
int sf_assemble(const sf_inventory *const *layers, size_t n, sf_image_inv **out, sf_error *err);
void sf_image_inv_free(sf_image_inv *img);

#endif
