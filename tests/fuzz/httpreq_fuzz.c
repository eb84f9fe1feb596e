/* Fuzz target: the metrics server's HTTP request-head parser. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_http_req r;
    int complete = 0;
    int rc = sf_httpd_parse_request((const char *)data, size, &r, &complete);
    if (rc == SF_OK && complete) {
        /* A parsed request is always a NUL-terminated absolute path. */
        if (r.path[0] != '/' || strlen(r.path) >= sizeof r.path || !r.method[0])
            __builtin_trap();
    }
    return 0;
}
