/*
 * json (functions sf_jutil_*, their name from when this lived in
 * analyze/jutil): the few jansson helpers the engine's JSON documents share
 * (layer inventories, scan results, SBOMs): strings that may carry
 * non-UTF-8 bytes from package databases, strict typed getters for
 * untrusted documents (also the bus messages' bounded strings and string
 * arrays), and dumping a tree into a capped sf_buf.
 *
 * jansson refuses invalid UTF-8 (json_string returns NULL), but package
 * databases are not guaranteed to be UTF-8; such bytes are replaced with
 * U+FFFD so a document is always produced and always valid JSON.
 */
#ifndef SF_BASE_JSON_H
#define SF_BASE_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/pkg.h"
#include "base/strfield.h"

/* Length of the valid UTF-8 sequence at s (n > 0 bytes there), 0 when
 * invalid: RFC 3629, no overlong forms, no surrogates, nothing past
 * U+10FFFF (jansson's rule too). An ASCII byte is a sequence of 1. */
size_t sf_utf8_seq(const unsigned char *s, size_t n);
/* 1 when s (NUL-terminated; NULL counts as empty) is all valid UTF-8:
 * what jansson's json_string accepts. A caller that must tell stored
 * text that is corrupt from an allocation that failed checks first. */
int sf_utf8_ok(const char *s);
/* New JSON string from s (invalid UTF-8 replaced); json null for NULL s.
 * NULL only when out of memory. */
json_t *sf_jutil_str(const char *s);

/* Set obj[key] to sf_jutil_str(s) unless s is NULL. SF_OK or SF_ENOMEM. */
int sf_jutil_set_str(json_t *obj, const char *key, const char *s);

/* Set obj[key] = v, stealing v (which may be NULL: then SF_ENOMEM). */
int sf_jutil_set_new(json_t *obj, const char *key, json_t *v);
/* sf_jutil_set_new of *v that also takes the caller's pointer: *v is NULL
 * afterwards whatever happens, the value being obj's or, when the set
 * failed, already freed; so a cleanup that json_decref's it frees nothing
 * twice. */
int sf_jutil_set_take(json_t *obj, const char *key, json_t **v);

/* A JSON document built with one check at the end rather than one a
 * step, for writers that set many fields: each sf_jb_set/sf_jb_push that
 * fails (the value or the container NULL, i.e. an allocation failed
 * before it, or the set itself failing) is counted. jansson's *_new calls
 * take the value even when they fail, so nothing leaks; a document whose
 * builder counted a failure is incomplete and must be dropped:
 * sf_jb_status is then SF_ENOMEM. */
typedef struct sf_jb {
    size_t fails;
} sf_jb;
void sf_jb_set(sf_jb *b, json_t *obj, const char *key, json_t *v);
void sf_jb_push(sf_jb *b, json_t *arr, json_t *v);
/* v itself, a NULL v counted as a failure (a container made up front). */
json_t *sf_jb_new(sf_jb *b, json_t *v);
int sf_jb_status(const sf_jb *b);

/* Append the compact JSON text of root to out. SF_OK, SF_ELIMIT, SF_ENOMEM. */
int sf_jutil_dump(const json_t *root, sf_buf *out);
/* sf_jutil_dump with jansson's dump flags (a real precision, say). */
int sf_jutil_dump_flags(const json_t *root, sf_buf *out, size_t flags);
/* sf_jutil_dump of any value, a bare string or number too (a member's
 * value spliced into a document). */
int sf_jutil_dump_any(const json_t *v, sf_buf *out);

/* Append root as JSON indented by two, and a newline: the form of the
 * reports and query answers people read. A NULL root (a build that ran
 * out of memory) gives SF_ENOMEM. SF_OK, SF_ENOMEM or sf_buf's SF_ELIMIT. */
int sf_jutil_dump_pretty(const json_t *root, sf_buf *out);

/* Parse untrusted JSON text (at most max bytes, no duplicate keys, NUL
 * bytes refused) into *out. SF_EPARSE with the position in err. */
int sf_jutil_load(json_t **out, const char *text, size_t len, size_t max, const char *what,
                  sf_error *err);

/* Parse text[0..len) (an object or an array; jansson's flags) into a
 * tree, NULL on failure with *rc SF_EPARSE when the text is not JSON,
 * SF_ENOMEM when it is (or may be) and jansson ran out of memory: a
 * reader that skips corrupt stored documents must not skip a good one
 * it merely had no memory for. *rc SF_OK with a tree. */
json_t *sf_jutil_loadb(const char *text, size_t len, size_t flags, int *rc);

/* Optional string member: *out = heap copy or NULL when absent/null.
 * SF_EPARSE when present with another type. */
int sf_jutil_get_str(const json_t *obj, const char *key, char **out, sf_error *err);

/* Optional non-negative integer member (absent = leaves *out). */
int sf_jutil_get_u64(const json_t *obj, const char *key, uint64_t *out, sf_error *err);

/* Optional integer member in [lo, hi] (absent = leaves *out). */
int sf_jutil_get_int(const json_t *obj, const char *key, long long lo, long long hi, int *out,
                     sf_error *err);

/* Optional string member as sf_jutil_get_str, refused (SF_EPARSE, "<what>:
 * field \"<key>\" too long") when longer than max bytes; max 0 = no bound. */
int sf_jutil_get_strn(const json_t *obj, const char *key, size_t max, const char *what,
                      char **out, sf_error *err);

/* The value of v when it is a JSON string of at most max bytes without
 * NUL bytes; NULL otherwise. */
const char *sf_jutil_bstr(const json_t *v, size_t max);

/* Decode v, a JSON array of at most max_n strings (each as
 * sf_jutil_bstr(max_len) and, when valid is not NULL, accepted by it),
 * into *out (heap array of heap strings) and *n. On error what was copied
 * so far stays in *out and *n, for the caller's clear to free
 * (sf_strarr_free, base/array.h). SF_EPARSE
 * or SF_ELIMIT with "<what>: ..." naming field `name`, or SF_ENOMEM. */
int sf_jutil_get_strarr(const json_t *v, size_t max_n, size_t max_len, int (*valid)(const char *s),
                        const char *what, const char *name, char ***out, size_t *n,
                        sf_error *err);

/*
 * Flat messages described by a field table (the bus's job and refs
 * messages): each field's JSON name, a type only the message's own code
 * interprets, where its member lies, an array's count and cap, and
 * whether it is required. sf_jmsg_encode/decode walk the table and call
 * the message's per-field function; the object, the size cap, duplicate
 * keys, missing required fields and the messages ("<what>: ...") are
 * theirs.
 */
typedef struct sf_jmsg_field {
    const char *name;
    int type;
    size_t off;     /* of the member */
    size_t cnt_off; /* of an array's count */
    size_t max;     /* array cap */
    int required;
} sf_jmsg_field;

/* A field's JSON value (NULL with err set when it cannot be encoded);
 * json null for an optional field leaves the field out. */
typedef json_t *(*sf_jmsg_enc_fn)(const void *msg, const sf_jmsg_field *f, sf_error *err);
/* Read a field's (present, non-null) JSON value into msg. */
typedef int (*sf_jmsg_dec_fn)(void *msg, const sf_jmsg_field *f, json_t *v, sf_error *err);

/* Encode the n fields of msg in table order into compact JSON text *json
 * (heap, caller frees; NULL on error) of at most max bytes, *len long.
 * SF_OK, the field function's error, SF_ELIMIT "<what> message too
 * large" or SF_ENOMEM. */
int sf_jmsg_encode(const void *msg, const sf_jmsg_field *f, size_t n, sf_jmsg_enc_fn enc,
                   size_t max, const char *what, char **json, size_t *len, sf_error *err);

/* Decode JSON text (at most max bytes, an object without duplicate keys)
 * into msg, zeroed by the caller, field by field in table order; stops at
 * the first error, leaving what was read in msg for the caller's clear.
 * SF_OK, SF_ELIMIT, SF_EPARSE ("<what>: field x missing", ...) or the
 * field function's error. */
int sf_jmsg_decode(const char *json, size_t len, const sf_jmsg_field *f, size_t n,
                   sf_jmsg_dec_fn dec, size_t max, const char *what, void *msg, sf_error *err);

/* Free what sf_jmsg_decode (or the message's own code) left in msg: for
 * each of the n fields, an array (cnt_off set: the messages' arrays are
 * all of heap strings) with its count, and a member whose type is in
 * str_types (bit 1u << type set) as one heap string. Other members are
 * not touched; the caller zeroes msg. */
void sf_jmsg_clear(void *msg, const sf_jmsg_field *f, size_t n, unsigned str_types);

/* 1 when the message text json[0..len) may be of schema (the quoted name
 * appears in it): a cheap byte search to dispatch on before decoding,
 * which decides. */
int sf_jmsg_maybe(const char *json, size_t len, const char *schema);

/* String-member tables (base/strfield.h; sf_pkg_fields and
 * sf_osinfo_fields in base/pkg.h): documents that carry the same struct
 * share one table, so encoding and decoding stay symmetric. */

/* Set obj[key] for each of the n fields of base. A NULL member is left out
 * when nulls is 0, written as JSON null when 1. SF_OK or SF_ENOMEM. */
int sf_jutil_put_fields(json_t *obj, const void *base, const sf_strfield *f, size_t n, int nulls);

/* Read each of the n fields of base with sf_jutil_get_strn(max, what);
 * stops at the first error (fields read so far stay set, owned by base). */
int sf_jutil_get_fields(const json_t *obj, void *base, const sf_strfield *f, size_t n, size_t max,
                        const char *what, sf_error *err);

#endif
