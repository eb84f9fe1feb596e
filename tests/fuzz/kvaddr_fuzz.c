/* Fuzz target of cache/kvaddr: Redis addresses and URLs (user, password,
 * %-escapes, IPv6 brackets, /db). A parsed address must be consistent
 * (port in range, name without the userinfo), and redaction must hide
 * the password of every address that parses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/kvaddr.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = sf_t_cstr(data, size, 4096);
    if (!s)
        return 0;
    sf_kvaddr a;
    sf_error err = SF_ERROR_INIT;
    if (sf_kvaddr_parse(&a, s, &err) == SF_OK) {
        if (a.port < 1 || a.port > 65535 || !a.host[0])
            abort();
        if (a.pass && strchr(a.name, '@')) /* the name never carries the userinfo */
            abort();
        char red[8192];
        sf_kvaddr_redact(s, red, sizeof red);
        if (a.pass && !strstr(red, ":***@"))
            abort();
        sf_kvaddr_clear(&a);
    }
    free(s);
    return 0;
}
