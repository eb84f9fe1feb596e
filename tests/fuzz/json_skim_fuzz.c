/* Fuzz target of the JSON skimmer (base/json_skim.h), differential
 * against jansson: whenever the skimmer accepts a document, jansson must
 * accept it too, with the same members: every unescaped key the skimmer
 * lists is jansson's, jansson has no key the skimmer did not list, and
 * the value span of a key's last occurrence (jansson keeps the last)
 * parses alone to the value jansson holds. Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_skim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXM 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sf_jskim_member m[MAXM];
    const char *s = (const char *)data;
    size_t n = 0;
    if (sf_jskim_object(s, size, m, MAXM, &n, NULL) != SF_OK)
        return 0;
    json_error_t je;
    json_t *o = json_loadb(s, size, 0, &je);
    if (!json_is_object(o))
        abort(); /* the skimmer accepted what jansson refuses */
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        int later = 0;
        for (size_t j = i + 1; j < n && !later; j++)
            later = m[j].key_len == m[i].key_len &&
                    memcmp(s + m[j].key_off, s + m[i].key_off, m[i].key_len) == 0;
        if (later || m[i].key_escaped)
            continue; /* an escaped key's name is jansson's to decode */
        distinct++;
        json_t *want = json_object_getn(o, s + m[i].key_off, m[i].key_len);
        json_t *got = json_loadb(s + m[i].val_off, m[i].val_len, JSON_DECODE_ANY, &je);
        if (!want || !got || !json_equal(want, got))
            abort();
        json_decref(got);
    }
    if (json_object_size(o) > n || distinct > json_object_size(o))
        abort();
    json_decref(o);
    return 0;
}
