/* Fuzz target of the scanfarm.unref/v1 decoder (bus/msg_unref.h):
 * untrusted documents from the results topic. Whatever decodes must
 * encode again and decode to the same fields. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus/msg_unref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same(const char *a, const char *b) { return (!a && !b) || (a && b && !strcmp(a, b)); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sf_unref_msg m, d;
    char *json = NULL;
    size_t len = 0;
    (void)sf_unref_maybe((const char *)data, size);
    if (sf_unref_decode((const char *)data, size, &m, NULL) == SF_OK) {
        if (sf_unref_encode(&m, &json, &len, NULL) != SF_OK)
            abort();
        if (sf_unref_decode(json, len, &d, NULL) != SF_OK || !same(m.digest, d.digest) ||
            !same(m.tag, d.tag) || !same(m.repository, d.repository))
            abort();
        sf_unref_clear(&d);
        free(json);
    }
    sf_unref_clear(&m);
    return 0;
}
