/* Fuzz target: Link header parsing and resolution of the next-page URL
 * against the registry's URL (untrusted pagination headers). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/http.h"
#include "testutil.h"
#include "registry/registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = sf_t_cstr(data, size, SIZE_MAX - 1);
    if (!s)
        return 0;
    char out[512], full[SF_HTTP_HDR_MAX];
    int rc = sf_reg_parse_link_next(s, out, sizeof out);
    if (rc == 1) {
        if (strlen(out) >= sizeof out)
            abort();
        sf_error e = SF_ERROR_INIT;
        if (sf_http_resolve_url("http://127.0.0.1:5000/v2/_catalog?n=10", out, full,
                                sizeof full, &e) == SF_OK &&
            strncmp(full, "http", 4) != 0)
            abort();
    }
    free(s);
    return 0;
}
