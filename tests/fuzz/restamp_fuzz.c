/* Fuzz target of the result re-stamp (bus/msg_restamp.h), differential
 * against the decode/modify/encode round trip (sf_restamp_round_trip):
 * whenever the decoder takes a document, the re-stamp must take it too
 * and give a document that decodes to the round trip's result.
 * Anything else aborts. (A document the decoder refuses may pass the
 * splice when only a copied member is of the wrong type: the header says
 * why that is the cache's trust, not the splice's, to decide.) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "bus/msg_restamp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *const REFS[] = {"reg.io/app:1", "reg.io/app:\"2\""};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    sf_buf got, want, canon;
    char *digest = NULL;
    sf_buf_init(&got, SF_LIM_MESSAGE_BYTES);
    sf_buf_init(&want, SF_LIM_MESSAGE_BYTES);
    sf_buf_init(&canon, SF_LIM_MESSAGE_BYTES);
    int rr = sf_restamp_round_trip(s, size, "run-f", REFS, 2, "sha256:job", &want, NULL, NULL);
    int rc = sf_restamp(s, size, "run-f", REFS, 2, "sha256:job", &got, &digest, NULL, NULL);
    if (rc == SF_OK && !digest)
        abort();
    if (rr == SF_OK) {
        if (rc != SF_OK ||
            sf_restamp_round_trip(got.data, got.len, "run-f", REFS, 2, "sha256:job", &canon, NULL,
                                  NULL) != SF_OK ||
            canon.len != want.len || memcmp(canon.data, want.data, want.len) != 0)
            abort();
    }
    free(digest);
    sf_buf_free(&got);
    sf_buf_free(&want);
    sf_buf_free(&canon);
    return 0;
}
