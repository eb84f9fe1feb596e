/*
 * keys: see keys.h. Each component is validated before it is formatted:
 * digests by sf_digest_validate, versions and run ids by a conservative
 * character set, so a key can be parsed back by splitting on ':'.
 */
#include "cache/keys.h"

#include <stdio.h>
#include <string.h>

#include <stdatomic.h>

#include "base/digest.h"

/* Version strings and run ids: printable, no ':' and no whitespace, so
 * they cannot forge another key's structure. */
/* Redis Cluster mode (set once by sf_kv_new, before any key is formatted
 * for the fleet view): process configuration, like the log level. */
static atomic_int g_cluster_tags;

void sf_keys_cluster_tags(int on) { atomic_store(&g_cluster_tags, on != 0); }

/* "agg" or "{agg}": the fleet view's hash tag in cluster mode. */
static const char *agg_word(void) { return atomic_load(&g_cluster_tags) ? "{agg}" : "agg"; }

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

/* The end of every key builder: rc from the checks of its parts, n from
 * the snprintf that ran when they passed (-1 when not). On any failure
 * out is left empty, so a key that failed is never used half-built. */
static int key_done(char out[SF_KEY_MAX], int rc, int n, sf_error *err)
{
    if (rc == SF_OK && n >= 0 && n < SF_KEY_MAX)
        return SF_OK;
    out[0] = '\0';
    return rc != SF_OK ? rc : sf_error_set(err, SF_EINTERNAL, "cache key too long");
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
    int n = -1;
    if (rc == SF_OK)
        n = tail ? snprintf(out, SF_KEY_MAX, "%s:%s:%s:%s", prefix, kind, digest, tail)
                 : snprintf(out, SF_KEY_MAX, "%s:%s:%s", prefix, kind, digest);
    return key_done(out, rc, n, err);
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

int sf_keys_layer_verified(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                           sf_error *err)
{
    return fmt_key(out, prefix, "layer-verified", digest, NULL, NULL, err);
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
    return key_done(out, rc, n, err);
}

/* ==== Running-image keys (owner: common/fleet/running.c) ==== */

int sf_keys_check_cluster(const char *s, sf_error *err) { return part_ok(s, "cluster name", err); }

int sf_keys_running_clusters(char out[SF_KEY_MAX], const char *prefix, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    int n = rc == SF_OK ? snprintf(out, SF_KEY_MAX, "%s:running:clusters", prefix) : -1;
    return key_done(out, rc, n, err);
}

int sf_keys_running_pods(char out[SF_KEY_MAX], const char *prefix, const char *cluster,
                         sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = part_ok(cluster, "cluster name", err);
    int n = rc == SF_OK ? snprintf(out, SF_KEY_MAX, "%s:running:pods:%s", prefix, cluster) : -1;
    return key_done(out, rc, n, err);
}

/* ==== Notifier keys (owner: aggregator/notify/notify*.c) ==== */

/* <prefix>:notify:<kind>:<sink>:<id>; kind a fixed word, sink a
 * configured name and id a hex hash (both checked as key parts). */
int sf_keys_notify(char out[SF_KEY_MAX], const char *prefix, const char *kind, const char *sink,
                   const char *id, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK && strcmp(kind, "sent") && strcmp(kind, "issue") &&
        strcmp(kind, "first") && strcmp(kind, "digest") && strcmp(kind, "digestat"))
        rc = sf_error_set(err, SF_EINVAL, "bad notifier key kind");
    if (rc == SF_OK)
        rc = part_ok(sink, "sink name", err);
    if (rc == SF_OK)
        rc = part_ok(id, "notification id", err);
    int n = rc == SF_OK ? snprintf(out, SF_KEY_MAX, "%s:notify:%s:%s:%s", prefix, kind, sink, id)
                        : -1;
    return key_done(out, rc, n, err);
}

/* ==== Aggregator keys (owner: aggregator/agg.c; keep this section last) ==== */

/* Fixed words only ([a-z]), never user data. */
static int word_ok(const char *s, sf_error *err)
{
    if (!s || !*s || strlen(s) > 32)
        return sf_error_set(err, SF_EINVAL, "bad aggregator key word");
    for (const char *p = s; *p; p++)
        if (*p < 'a' || *p > 'z')
            return sf_error_set(err, SF_EINVAL, "bad aggregator key word");
    return SF_OK;
}

/* Percent-encode s (at most SF_KEY_PART_MAX bytes) into out. */
static int escape_part(char *out, size_t outlen, const char *s, const char *what, sf_error *err)
{
    static const char hex[] = "0123456789ABCDEF";
    if (!s || !*s)
        return sf_error_set(err, SF_EINVAL, "empty %s in cache key", what);
    size_t n = strnlen(s, SF_KEY_PART_MAX + 1), o = 0;
    if (n > SF_KEY_PART_MAX)
        return sf_error_set(err, SF_EINVAL, "%s too long for a cache key", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '+' || c == '~' || c == '@' || c == '-';
        if (o + 4 > outlen)
            return sf_error_set(err, SF_EINTERNAL, "cache key too long");
        if (plain) {
            out[o++] = (char)c;
        } else {
            out[o++] = '%';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return SF_OK;
}

static int fmt_plain(char out[SF_KEY_MAX], int n)
{
    if (n < 0 || n >= SF_KEY_MAX) {
        out[0] = '\0';
        return SF_EINTERNAL;
    }
    return SF_OK;
}

int sf_keys_agg_shard(char out[SF_KEY_MAX], const char *prefix, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc != SF_OK)
        return rc;
    return fmt_plain(out, snprintf(out, SF_KEY_MAX, "%s:agg", prefix));
}

int sf_keys_run_published(char out[SF_KEY_MAX], const char *prefix, const char *run_id,
                          sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = part_ok(run_id, "run id", err);
    if (rc != SF_OK)
        return rc;
    return fmt_plain(out, snprintf(out, SF_KEY_MAX, "%s:run:%s:published", prefix, run_id));
}

int sf_keys_agg(char out[SF_KEY_MAX], const char *prefix, const char *name, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = word_ok(name, err);
    if (rc != SF_OK)
        return rc;
    return fmt_plain(out, snprintf(out, SF_KEY_MAX, "%s:%s:%s", prefix, agg_word(), name));
}

/* out := the NULL-terminated parts joined, SF_EINTERNAL past SF_KEY_MAX.
 * The index builder formats a key per operation (thousands per image):
 * snprintf was a fifth of the aggregator's CPU. */
static int join(char out[SF_KEY_MAX], const char *const *parts)
{
    size_t o = 0;
    for (; *parts; parts++) {
        size_t n = strlen(*parts);
        if (o + n >= SF_KEY_MAX) {
            out[0] = '\0';
            return SF_EINTERNAL;
        }
        memcpy(out + o, *parts, n);
        o += n;
    }
    out[o] = '\0';
    return SF_OK;
}

static int agg_escaped(char out[SF_KEY_MAX], const char *prefix, const char *kind, const char *s,
                       const char *what, sf_error *err)
{
    char esc[SF_KEY_PART_MAX * 3 + 1];
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = escape_part(esc, sizeof esc, s, what, err);
    if (rc != SF_OK)
        return rc;
    const char *parts[] = {prefix, ":", agg_word(), ":", kind, ":", esc, NULL};
    return join(out, parts);
}

int sf_keys_agg_cve(char out[SF_KEY_MAX], const char *prefix, const char *id, sf_error *err)
{
    return agg_escaped(out, prefix, "cve", id, "vulnerability id", err);
}

int sf_keys_agg_index(char out[SF_KEY_MAX], const char *prefix, const char *digest,
                      sf_error *err)
{
    return agg_escaped(out, prefix, "index", digest, "index digest", err);
}

int sf_keys_agg_pkg(char out[SF_KEY_MAX], const char *prefix, const char *name, sf_error *err)
{
    return agg_escaped(out, prefix, "pkg", name, "package name", err);
}

int sf_keys_agg_src(char out[SF_KEY_MAX], const char *prefix, const char *name, sf_error *err)
{
    return agg_escaped(out, prefix, "src", name, "source package name", err);
}

int sf_keys_agg_ix(char out[SF_KEY_MAX], const char *prefix, const char *kind, const char *value,
                   sf_error *err)
{
    char k[48];
    int rc = word_ok(kind, err);
    if (rc != SF_OK)
        return rc;
    memcpy(k, "ix:", 3);
    memcpy(k + 3, kind, strlen(kind) + 1); /* word_ok: at most 32 bytes */
    if (value)
        return agg_escaped(out, prefix, k, value, "index value", err);
    if ((rc = sf_keys_check_prefix(prefix, err)) != SF_OK)
        return rc;
    /* The tag too: a script touching this and a value's key must find
     * both in one Cluster slot. */
    const char *parts[] = {prefix, ":", agg_word(), ":", k, NULL};
    return join(out, parts);
}

int sf_keys_agg_run(char out[SF_KEY_MAX], const char *prefix, const char *run_id,
                    const char *what, sf_error *err)
{
    int rc = sf_keys_check_prefix(prefix, err);
    if (rc == SF_OK)
        rc = part_ok(run_id, "run id", err);
    if (rc == SF_OK)
        rc = word_ok(what, err);
    if (rc != SF_OK)
        return rc;
    return fmt_plain(out, snprintf(out, SF_KEY_MAX, "%s:%s:run:%s:%s", prefix, agg_word(),
                                   run_id, what));
}
