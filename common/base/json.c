/* json: see json.h. */
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/json_skim.h"

size_t sf_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    unsigned cp = c & (0x3F >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Bytes of s[0..n) before its first invalid sequence (n: all valid). */
static size_t utf8_valid_len(const unsigned char *u, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t l = sf_utf8_seq(u + i, n - i);
        if (!l)
            break;
        i += l;
    }
    return i;
}

int sf_utf8_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return utf8_valid_len((const unsigned char *)s, n) == n;
}

json_t *sf_jutil_str(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    const unsigned char *u = (const unsigned char *)s;
    size_t i;
    if (utf8_valid_len(u, n) == n)
        return json_stringn_nocheck(s, n);
    /* Repair: each invalid byte becomes U+FFFD (3 bytes). */
    size_t cap;
    if (sf_mul_overflow(n, 3, &cap) || sf_add_overflow(cap, 1, &cap))
        return NULL;
    char *fix = malloc(cap);
    if (!fix)
        return NULL;
    size_t o = 0;
    for (i = 0; i < n;) {
        size_t l = sf_utf8_seq(u + i, n - i);
        if (l) {
            memcpy(fix + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(fix + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    json_t *j = json_stringn_nocheck(fix, o);
    free(fix);
    return j;
}

int sf_jutil_set_new(json_t *obj, const char *key, json_t *v)
{
    if (!v)
        return SF_ENOMEM;
    return json_object_set_new(obj, key, v) == 0 ? SF_OK : SF_ENOMEM;
}

int sf_jutil_set_take(json_t *obj, const char *key, json_t **v)
{
    json_t *x = *v;
    *v = NULL;
    return sf_jutil_set_new(obj, key, x);
}

void sf_jb_set(sf_jb *b, json_t *obj, const char *key, json_t *v)
{
    if (sf_jutil_set_new(obj, key, v) != SF_OK)
        b->fails++;
}

void sf_jb_push(sf_jb *b, json_t *arr, json_t *v)
{
    /* json_array_append_new frees v when arr is not an array (NULL). */
    if (!v || json_array_append_new(arr, v) != 0)
        b->fails++;
}

json_t *sf_jb_new(sf_jb *b, json_t *v)
{
    if (!v)
        b->fails++;
    return v;
}

int sf_jb_status(const sf_jb *b)
{
    return b->fails ? SF_ENOMEM : SF_OK;
}

int sf_jutil_set_str(json_t *obj, const char *key, const char *s)
{
    if (!s)
        return SF_OK;
    return sf_jutil_set_new(obj, key, sf_jutil_str(s));
}

struct dump_ctx {
    sf_buf *out;
    int rc;
};

static int dump_cb(const char *buf, size_t size, void *data)
{
    struct dump_ctx *d = data;
    /* jansson ignores this callback's failure for an object's keys (2.14:
     * do_dump does not check dump_string's result there) and dumps on:
     * so the first failure is kept here, and nothing after it appended. */
    if (d->rc != SF_OK)
        return -1;
    int rc = sf_buf_append(d->out, buf, size);
    if (rc != SF_OK) {
        d->rc = rc;
        return -1;
    }
    return 0;
}

/* root's JSON text appended to out through dump_cb (never through
 * jansson's own string buffer, whose failed growth a key's dump would
 * also ignore): SF_OK, or an error with out as it was. */
static int dump_flags(const json_t *root, sf_buf *out, size_t flags)
{
    if (!root)
        return SF_ENOMEM;
    struct dump_ctx d = {out, SF_OK};
    size_t mark = out->len;
    int jrc = json_dump_callback(root, dump_cb, &d, flags);
    if (jrc == 0 && d.rc == SF_OK)
        return SF_OK;
    out->len = mark;
    if (out->data)
        out->data[mark] = '\0';
    return d.rc != SF_OK ? d.rc : SF_ENOMEM;
}

int sf_jutil_dump(const json_t *root, sf_buf *out)
{
    return dump_flags(root, out, JSON_COMPACT);
}

int sf_jutil_dump_flags(const json_t *root, sf_buf *out, size_t flags)
{
    return dump_flags(root, out, flags);
}

int sf_jutil_dump_any(const json_t *v, sf_buf *out)
{
    return dump_flags(v, out, JSON_COMPACT | JSON_ENCODE_ANY);
}

int sf_jutil_dump_pretty(const json_t *root, sf_buf *out)
{
    int rc = dump_flags(root, out, JSON_INDENT(2));
    return rc == SF_OK ? sf_buf_puts(out, "\n") : rc;
}

int sf_jutil_load(json_t **out, const char *text, size_t len, size_t max, const char *what,
                  sf_error *err)
{
    *out = NULL;
    if (len > max)
        return sf_error_set(err, SF_ELIMIT, "%s: %zu bytes exceeds the limit of %zu", what, len,
                            max);
    json_error_t je;
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return sf_error_set(err, SF_EPARSE, "%s: invalid JSON at line %d column %d: %s", what,
                            je.line, je.column, je.text);
    *out = j;
    return SF_OK;
}

/* SF_EPARSE when text[0..len) is not JSON the skimmer accepts (it
 * allocates nothing but its member list, at most one per 2 bytes). */
static int skim_check(const char *text, size_t len)
{
    size_t ws = 0, n = 0;
    while (ws < len && strchr(" \t\r\n", text[ws]) && text[ws])
        ws++;
    int arr = ws < len && text[ws] == '[';
    sf_jskim_member few[64], *m = few;
    size_t max = sizeof few / sizeof few[0];
    sf_error e = SF_ERROR_INIT;
    for (int pass = 0; pass < 2; pass++) {
        int rc = arr ? sf_jskim_array(text, len, m, max, &n, &e)
                     : sf_jskim_object(text, len, m, max, &n, &e);
        if (rc != SF_ELIMIT || pass == 1) {
            if (m != few)
                free(m);
            return rc;
        }
        /* more members than the few: a list that cannot run out */
        max = len / 2 + 1;
        if (!(m = calloc(max, sizeof *m)))
            return SF_ENOMEM;
    }
    return SF_ENOMEM; /* not reached */
}

json_t *sf_jutil_loadb(const char *text, size_t len, size_t flags, int *rc)
{
    json_error_t je;
    memset(&je, 0, sizeof je); /* jansson leaves it unset when out of memory */
    json_t *j = json_loadb(text, len, flags, &je);
    *rc = SF_OK;
    if (j)
        return j;
    /* jansson reports a failed allocation as a syntax error (2.14): the
     * skimmer, which builds no tree, tells whether the text is JSON.
     * What it cannot tell is taken as the allocation's fault, so nothing
     * valid is ever dropped as bad. A document jansson refuses for its
     * duplicate keys (JSON_REJECT_DUPLICATES) is bad, as ever. */
    int src = skim_check(text, len);
    *rc = src == SF_EPARSE || (src == SF_OK && json_error_code(&je) == json_error_duplicate_key)
              ? SF_EPARSE
              : SF_ENOMEM;
    return NULL;
}

int sf_jutil_get_str(const json_t *obj, const char *key, char **out, sf_error *err)
{
    *out = NULL;
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return SF_OK;
    if (!json_is_string(v))
        return sf_error_set(err, SF_EPARSE, "field \"%s\" is not a string", key);
    size_t n = json_string_length(v);
    if (memchr(json_string_value(v), '\0', n))
        return sf_error_set(err, SF_EPARSE, "field \"%s\" holds a NUL byte", key);
    *out = sf_strndup(json_string_value(v), n);
    return *out ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
}

int sf_jutil_get_strn(const json_t *obj, const char *key, size_t max, const char *what,
                      char **out, sf_error *err)
{
    int rc = sf_jutil_get_str(obj, key, out, err);
    if (rc == SF_OK && max && *out && strlen(*out) > max) {
        free(*out);
        *out = NULL;
        return sf_error_set(err, SF_EPARSE, "%s: field \"%s\" too long", what, key);
    }
    return rc;
}

int sf_jutil_put_fields(json_t *obj, const void *base, const sf_strfield *f, size_t n, int nulls)
{
    for (size_t i = 0; i < n; i++) {
        const char *v = *SF_STRFIELD_CPTR(base, f[i]);
        int rc = nulls ? sf_jutil_set_new(obj, f[i].key, sf_jutil_str(v))
                       : sf_jutil_set_str(obj, f[i].key, v);
        if (rc != SF_OK)
            return SF_ENOMEM;
    }
    return SF_OK;
}

int sf_jutil_get_fields(const json_t *obj, void *base, const sf_strfield *f, size_t n, size_t max,
                        const char *what, sf_error *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = sf_jutil_get_strn(obj, f[i].key, max, what, SF_STRFIELD_PTR(base, f[i]), err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_jutil_get_u64(const json_t *obj, const char *key, uint64_t *out, sf_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return SF_OK;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return sf_error_set(err, SF_EPARSE, "field \"%s\" is not a non-negative integer", key);
    *out = (uint64_t)json_integer_value(v);
    return SF_OK;
}

int sf_jutil_get_int(const json_t *obj, const char *key, long long lo, long long hi, int *out,
                     sf_error *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return SF_OK;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return sf_error_set(err, SF_EPARSE, "field \"%s\" is not an integer in [%lld, %lld]", key,
                            lo, hi);
    *out = (int)json_integer_value(v);
    return SF_OK;
}

const char *sf_jutil_bstr(const json_t *v, size_t max)
{
    if (!json_is_string(v) || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v))
        return NULL;
    return json_string_value(v);
}

int sf_jutil_get_strarr(const json_t *v, size_t max_n, size_t max_len, int (*valid)(const char *s),
                        const char *what, const char *name, char ***out, size_t *n,
                        sf_error *err)
{
    if (!json_is_array(v))
        return sf_error_set(err, SF_EPARSE, "%s: field %s must be an array", what, name);
    size_t len = json_array_size(v), i;
    if (len > max_n)
        return sf_error_set(err, SF_ELIMIT, "%s: %zu entries in %s (max %zu)", what, len, name,
                            max_n);
    char **arr = calloc(len ? len : 1, sizeof *arr);
    if (!arr)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    *out = arr;
    json_t *e;
    json_array_foreach(v, i, e)
    {
        const char *s = sf_jutil_bstr(e, max_len);
        if (!s || (valid && !valid(s)))
            return sf_error_set(err, SF_EPARSE, "%s: bad entry in %s", what, name);
        if (!(arr[i] = sf_strdup(s)))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        *n = i + 1;
    }
    return SF_OK;
}

int sf_jmsg_encode(const void *msg, const sf_jmsg_field *f, size_t n, sf_jmsg_enc_fn enc,
                   size_t max, const char *what, char **json, size_t *len, sf_error *err)
{
    *json = NULL;
    json_t *o = json_object();
    if (!o)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        sf_error e = SF_ERROR_INIT;
        json_t *v = enc(msg, &f[i], &e);
        if (!v) {
            json_decref(o);
            return sf_error_set(err, e.code ? e.code : SF_ENOMEM, "%s",
                                e.code ? e.msg : "out of memory");
        }
        if (!f[i].required && json_is_null(v)) {
            json_decref(v); /* an absent optional field: decode reads null as absent */
            continue;
        }
        json_object_set_new(o, f[i].name, v);
    }
    *json = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!*json)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    *len = strlen(*json);
    if (*len > max) {
        free(*json);
        *json = NULL;
        return sf_error_set(err, SF_ELIMIT, "%s message too large", what);
    }
    return SF_OK;
}

void sf_jmsg_clear(void *msg, const sf_jmsg_field *f, size_t n, unsigned str_types)
{
    char *m = msg;
    for (size_t i = 0; i < n; i++) {
        if (f[i].cnt_off)
            sf_strarr_free(*(char ***)(m + f[i].off), *(size_t *)(m + f[i].cnt_off));
        else if (f[i].type >= 0 && f[i].type < 32 && (str_types & 1u << f[i].type))
            free(*(char **)(m + f[i].off));
    }
}

int sf_jmsg_maybe(const char *json, size_t len, const char *schema)
{
    char needle[128];
    int k = snprintf(needle, sizeof needle, "\"%s\"", schema);
    return json && k > 0 && (size_t)k < sizeof needle &&
           memmem(json, len, needle, (size_t)k) != NULL;
}

int sf_jmsg_decode(const char *json, size_t len, const sf_jmsg_field *f, size_t n,
                   sf_jmsg_dec_fn dec, size_t max, const char *what, void *msg, sf_error *err)
{
    json_error_t je;
    int rc = SF_OK;
    if (len > max)
        return sf_error_set(err, SF_ELIMIT, "%s message too large", what);
    json_t *o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return sf_error_set(err, SF_EPARSE, "%s: not a JSON object (%s)", what, je.text);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        json_t *v = json_object_get(o, f[i].name);
        if (!v || json_is_null(v)) {
            if (f[i].required)
                rc = sf_error_set(err, SF_EPARSE, "%s: field %s missing", what, f[i].name);
            continue;
        }
        rc = dec(msg, &f[i], v, err);
    }
    json_decref(o);
    return rc;
}
