/* Shared body of the analyzer fuzz targets: pick the file path from the
 * first input byte, then hand the rest to one analyzer exactly as the layer
 * walker would (wants() when the target asks for it, the analyzer's
 * max_bytes cap) and free whatever it produced. */
#ifndef SF_AN_FUZZ_COMMON_H
#define SF_AN_FUZZ_COMMON_H

#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One of the npaths paths, chosen by the first byte (paths[0] for empty
 * input), which is then consumed from *data / *size. */
static inline const char *an_fuzz_pick(const char *const *paths, size_t npaths,
                                       const uint8_t **data, size_t *size)
{
    const char *path = paths[*size ? (*data)[0] % npaths : 0];
    if (*size) {
        (*data)++;
        (*size)--;
    }
    return path;
}

/* Parse data as the file path (mode bits mode) with analyzer a. With
 * check_wants, only when a->wants accepts the entry; always within
 * a->max_bytes. */
static inline void an_fuzz_run(const sf_analyzer *a, const char *path, unsigned mode,
                               int check_wants, const uint8_t *data, size_t size)
{
    sf_entry e = {path, size, mode};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if ((!check_wants || a->wants(&e)) && size <= a->max_bytes)
        a->parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
}

#endif
