/* Fuzz target of the rpm analyzer. First byte: 0 mod 3 -> the rest is an
 * rpmdb.sqlite; 1 -> a Packages file (BerkeleyDB or ndb); 2 -> one rpm header
 * blob straight to our header parser (SQLite is fuzzed upstream; mutating
 * whole database files rarely reaches the blobs). */
#include <stdint.h>
#include <string.h>

#include "analyze/an_util.h"
#include "analyze/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int mode = size ? data[0] % 3 : 0;
    const char *path = mode == 1 ? "var/lib/rpm/Packages" : "var/lib/rpm/rpmdb.sqlite";
    if (size) {
        data++;
        size--;
    }
    if (mode == 2) {
        sf_pkg p;
        sf_an_rpm_header_pkg(data, size, &p);
        sf_pkg_clear(&p);
        return 0;
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
