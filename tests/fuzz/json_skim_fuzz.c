/* Fuzz target of the JSON skimmer (base/json_skim.h), differential
 * against jansson: whenever the skimmer accepts a document, jansson must
 * accept it too, with the same members: every unescaped key the skimmer
 * lists is jansson's, jansson has no key the skimmer did not list, and
 * the value span of a key's last occurrence (jansson keeps the last)
 * parses alone to the value jansson holds, and a string value decodes
 * (sf_jskim_string) to jansson's string. A document that is a top-level
 * array is listed (sf_jskim_array) as jansson's elements. Anything else
 * aborts. */
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
    if (sf_jskim_array(s, size, m, MAXM, &n, NULL) == SF_OK) {
        json_error_t ae;
        json_t *a = json_loadb(s, size, 0, &ae);
        if (!json_is_array(a) || json_array_size(a) != n)
            abort();
        for (size_t i = 0; i < n; i++) {
            json_t *el = json_loadb(s + m[i].val_off, m[i].val_len, JSON_DECODE_ANY, &ae);
            if (!el || !json_equal(el, json_array_get(a, i)))
                abort();
            json_decref(el);
        }
        json_decref(a);
        return 0;
    }
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
        if (json_is_string(want)) {
            char *str = NULL;
            size_t sl = 0;
            if (sf_jskim_string(s + m[i].val_off, m[i].val_len, &str, &sl, NULL) != SF_OK ||
                sl != json_string_length(want) || memcmp(str, json_string_value(want), sl) != 0)
                abort();
            free(str);
        }
    }
    if (json_object_size(o) > n || distinct > json_object_size(o))
        abort();
    json_decref(o);
    return 0;
}
