/*
 * keys: see keys.h. Each component is validated before it is formatted:
 * digests by sf_digest_validate, versions and run ids by a conservative
 * character set, so a key can be parsed back by splitting on ':'.
 */
#include "cache/keys.h"

#include <stdio.h>
#include <string.h>

#include "base/digest.h"

/* Version strings and run ids: printable, no ':' and no whitespace, so
 * they cannot forge another key's structure. */
static int part_ok(const char *s, const char *what, sf_error *err)
{
    if (!s || !*s)
        return sf_error_set(err, SF_EINVAL, "empty %s in cache key", what);
    size_t n = strnlen(s, SF_KEY_PART_MAX + 1);
    if (n > SF_KEY_PART_MAX)
        return sf_error_set(err, SF_EINVAL, "%s too long for a cache key", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || c == ':' || c == '*' || c == '?' || c == '[' || c == ']')
            return sf_error_set(err, SF_EINVAL, "bad character in %s of a cache key", what);
    }
    return SF_OK;
}

int sf_keys_check_prefix(const char *s, sf_error *err)
{
    if (!s || !*s)
        return sf_error_set(err, SF_EINVAL, "empty key prefix");
    size_t n = strnlen(s, SF_KEY_PREFIX_MAX + 1);
    if (n > SF_KEY_PREFIX_MAX)
        return sf_error_set(err, SF_EINVAL, "key prefix longer than %d", SF_KEY_PREFIX_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-' || c == ':';
        if (!ok)
            return sf_error_set(err, SF_EINVAL, "bad character in key prefix");
    }
    return SF_OK;
}

/* Format "<prefix>:<kind>:<digest>[:<tail>]" after validating each part. */
static int fmt_key(char out[SF_KEY_MAX], const char *prefix, const char *kind, const char *digest,
                   const char *tail, const char *tail_what, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = sf_digest_validate(digest, err);
    if (rc == SF_OK && tail)
        rc = part_ok(tail, tail_what, err);
    if (rc != SF_OK) {
        out[0] = '\0';
        return rc;
    }
    int n = tail ? snprintf(out, SF_KEY_MAX, "%s:%s:%s:%s", prefix, kind, digest, tail)
                 : snprintf(out, SF_KEY_MAX, "%s:%s:%s", prefix, kind, digest);
    if (n < 0 || n >= SF_KEY_MAX) {
        out[0] = '\0';
        return sf_error_set(err, SF_EINTERNAL, "cache key too long");
    }
    return SF_OK;
}

int sf_keys_layer(char out[SF_KEY_MAX], const char *prefix, const char *digest, const char *ver,
                  sf_error *err)
{
    return fmt_key(out, prefix, "layer", digest, ver, "analyzer version", err);
}

int sf_keys_layer_diffid(char out[SF_KEY_MAX], const char *prefix, const char *diff_id,
                         const char *ver, sf_error *err)
{
    return fmt_key(out, prefix, "layer-diffid", diff_id, ver, "analyzer version", err);
}

int sf_keys_lock_layer(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                       sf_error *err)
{
    return fmt_key(out, prefix, "lock:layer", digest, NULL, NULL, err);
}

int sf_keys_notice_layer(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                         sf_error *err)
{
    return fmt_key(out, prefix, "notice:layer", digest, NULL, NULL, err);
}

int sf_keys_image(char out[SF_KEY_MAX], const char *prefix, const char *digest, sf_error *err)
{
    return fmt_key(out, prefix, "image", digest, NULL, NULL, err);
}

int sf_keys_attempts(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                     const char *run_id, sf_error *err)
{
    return fmt_key(out, prefix, "attempts", digest, run_id, "run id", err);
}

int sf_keys_worker(char out[SF_KEY_MAX], const char *prefix, const char *owner, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = part_ok(owner, "worker id", err);
    int n = rc == SF_OK ? snprintf(out, SF_KEY_MAX, "%s:worker:%s", prefix, owner) : -1;
    if (n < 0 || n >= SF_KEY_MAX) {
        out[0] = '\0';
        return rc != SF_OK ? rc : sf_error_set(err, SF_EINTERNAL, "cache key too long");
    }
    return SF_OK;
}
