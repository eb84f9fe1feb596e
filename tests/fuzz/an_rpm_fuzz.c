/* Fuzz target of the rpm analyzer. First byte: 0 mod 3 -> the rest is an
 * rpmdb.sqlite; 1 -> a Packages file (BerkeleyDB or ndb); 2 -> one rpm header
 * blob straight to our header parser (SQLite is fuzzed upstream; mutating
 * whole database files rarely reaches the blobs). */
#include "an_fuzz_common.h"

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
    an_fuzz_run(&sf_an_rpm, path, 0100644, 1, data, size);
    return 0;
}
