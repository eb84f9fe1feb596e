/*
 * json_skim (sf_jskim_*): the members of a JSON document's top-level
 * object (or the elements of its top-level array) as byte ranges (key and
 * raw value), found without building a tree, and a string value decoded
 * alone. The aggregator uses it to hash the bulky members of a result and
 * to decode only the rest (agg_lazy.c in common/fleet); the worker's
 * image cache reads its entries and re-stamps cached results with it
 * (cache/lcache.c, bus/msg_restamp.c).
 *
 * Untrusted input. The skimmer validates the whole document as jansson's
 * json_loadb (flags 0) does: strings (escapes, \u surrogate pairs, no
 * \u0000, no raw control characters, strict UTF-8), numbers, literals,
 * structure, nothing but whitespace after the object. It is stricter
 * where jansson's answer depends on more than the grammar (so an accepted
 * document is always one jansson accepts, with the same members):
 * nesting deeper than SF_LIM_JSON_DEPTH, an integer of more than 18
 * digits (jansson refuses what overflows json_int_t) and a real whose
 * magnitude could overflow a double are refused. Duplicate keys are not
 * looked for (JSON_REJECT_DUPLICATES is the decoder's business): every
 * member is listed, in document order.
 */
#ifndef SF_JSON_SKIM_H
#define SF_JSON_SKIM_H

#include <stddef.h>

#include "base/err.h"

typedef struct sf_jskim_member {
    size_t key_off, key_len; /* the key's raw bytes, between its quotes */
    size_t val_off, val_len; /* the value's text (a string with its quotes) */
    int key_escaped;         /* the key's raw bytes hold a backslash escape */
} sf_jskim_member;

/* Members of the top-level object of s[0..len) into out[0..*n). SF_EPARSE
 * (with the offset in the message) when the document is not one the
 * skimmer accepts, SF_ELIMIT past max members. */
int sf_jskim_object(const char *s, size_t len, sf_jskim_member *out, size_t max, size_t *n,
                    sf_error *err);

/* The elements of a top-level array, the same way: out[i] has only
 * val_off and val_len. */
int sf_jskim_array(const char *s, size_t len, sf_jskim_member *out, size_t max, size_t *n,
                   sf_error *err);

/* The string value s[0..len) (its quotes included, e.g. a member's
 * val_off/val_len) decoded into *out (NUL-terminated, the caller frees
 * it; *outlen its length when outlen is not NULL), as jansson decodes it.
 * SF_EPARSE when s[0..len) is not exactly one string the skimmer
 * accepts, SF_ENOMEM. */
int sf_jskim_string(const char *s, size_t len, char **out, size_t *outlen, sf_error *err);

/* The member whose raw key is exactly key (unescaped keys only): its
 * index, -1 when absent, -2 when present more than once. */
int sf_jskim_find(const char *s, const sf_jskim_member *m, size_t n, const char *key);

#endif
