/* Fuzz target: WWW-Authenticate challenge parsing (untrusted header from
 * any registry the coordinator or a worker talks to). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/auth.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = sf_t_cstr(data, size, SIZE_MAX - 1);
    if (!s)
        return 0;
    sf_challenge c;
    sf_error e = SF_ERROR_INIT;
    if (sf_auth_parse_challenge(s, &c, &e) == SF_OK) {
        /* Every field must be a terminated string within its buffer. */
        if (strlen(c.realm) >= sizeof c.realm || strlen(c.scope) >= sizeof c.scope ||
            strlen(c.service) >= sizeof c.service)
            abort();
    }
    free(s);
    return 0;
}
