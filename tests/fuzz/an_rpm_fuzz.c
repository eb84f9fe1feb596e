/* Fuzz target of the rpm analyzer: the input is an rpmdb.sqlite, or (when
 * the first byte is odd) a BerkeleyDB/ndb Packages file. SQLite's own
 * parser is fuzzed upstream; what this exercises is our header parsing of
 * the blobs it returns and our handling of its failures. */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = size && (data[0] & 1) ? "var/lib/rpm/Packages" : "var/lib/rpm/rpmdb.sqlite";
    if (size) {
        data++;
        size--;
    }
    sf_entry e = {path, size, 0100644};
    sf_inv_source src;
    memset(&src, 0, sizeof src);
    sf_error err = SF_ERROR_INIT;
    if (sf_an_rpm.wants(&e) && size <= sf_an_rpm.max_bytes)
        sf_an_rpm.parse(&e, data, size, &src, &err);
    sf_inv_source_clear(&src);
    return 0;
}
