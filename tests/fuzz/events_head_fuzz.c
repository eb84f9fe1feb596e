/* Fuzz target of the events listener's request head parser
 * (coordinator/events_http.h): bytes from any client that can connect.
 * A complete head must have a path starting with '/', a bounded length and
 * a head_len inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_evh_req r;
    int complete = 0;
    int rc = sf_evh_parse_head((const char *)data, size, &r, &complete);
    if (rc == SF_OK && complete) {
        if (r.path[0] != '/' || r.head_len > size || r.head_len > SF_EVH_HEAD_MAX ||
            strlen(r.path) >= sizeof r.path || r.content_length < -1)
            abort();
    }
    if (rc != SF_OK && complete)
        abort();
    return 0;
}
