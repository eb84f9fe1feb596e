/*
 * notify_first: first-scan notifications. A rematch delta tells what
 * changed for an image already in the fleet view; an image scanned for
 * the first time (a new push, a new tag) has no delta, so its result on
 * `scanfarm.results` is turned into one whose `added` list is every
 * finding of the result, and handled like any delta: the rules decide
 * what it deserves, the sinks' dedup keys make redeliveries harmless.
 *
 * "First" is the notifier's own record: `<prefix>:notify:first:results:
 * <hex>` is set once the digest's result was handled, and a result of a
 * digest that has it is skipped (later changes come as rematch deltas).
 * The record is written after the notifications, so a crash in between
 * repeats them (deduplicated at the sinks), never loses them. Without
 * Redis every result counts as first.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cache/keys.h"
#include "notify_int.h"

/* The marker key of digest ("sha256:<hex>"); SF_EPARSE for another algorithm. */
static int first_key(sf_notify *n, const char *digest, char *key, sf_error *err)
{
    if (strncmp(digest, "sha256:", 7) != 0)
        return sf_error_set(err, SF_EPARSE, "result: digest is not sha256");
    return sf_keys_notify(key, n->o.prefix, "first", "results", digest + 7, err);
}

int sf_nfirst_delta(json_t *res, char **out)
{
    *out = NULL;
    const char *schema = json_string_value(json_object_get(res, "schema"));
    if (!schema || strcmp(schema, "scanfarm.result/v1") || json_object_get(res, "rematched_from"))
        return SF_OK;
    json_t *e = json_object_get(res, "error");
    if (e && !json_is_null(e))
        return SF_OK;
    static const char *const copied[] = {"digest", "refs", "run_id", "db_version",
                                         "index_digest", "platform"};
    json_t *vulns = json_object_get(res, "vulnerabilities");
    sf_jb b = {0};
    json_t *d = sf_jb_new(&b, json_object());
    sf_jb_set(&b, d, "schema", sf_jutil_str("scanfarm.findings/v1"));
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        json_t *v = json_object_get(res, copied[i]);
        if (v && !json_is_null(v))
            sf_jb_set(&b, d, copied[i], json_incref(v));
    }
    sf_jb_set(&b, d, "added", json_is_array(vulns) ? json_incref(vulns) : json_array());
    sf_jb_set(&b, d, "removed", json_array());
    sf_jb_set(&b, d, "first_scan", json_true());
    *out = sf_nmsg_dump(&b, d, JSON_COMPACT);
    return *out ? SF_OK : SF_ENOMEM;
}

int sf_notify_result(sf_notify *n, const char *msg, size_t len, sf_error *err)
{
    int lrc = SF_OK;
    json_t *res = sf_jutil_loadb(msg, len, JSON_REJECT_DUPLICATES, &lrc);
    char key[SF_KEY_MAX], *delta = NULL;
    int rc = SF_OK, seen = 0;
    const char *digest = json_string_value(json_object_get(res, "digest"));
    if (lrc == SF_ENOMEM) {
        rc = sf_error_set(err, SF_ENOMEM, "result: out of memory parsing it");
        goto done; /* not durable: retried */
    }
    if (!res || !digest)
        goto done; /* not a result */
    if (sf_nfirst_delta(res, &delta) != SF_OK) {
        rc = sf_error_set(err, SF_ENOMEM, "result: out of memory building its delta");
        goto done;
    }
    if (!delta)
        goto done; /* refs/unref messages, failed scans, rematches: nothing to tell */
    sf_error ke = SF_ERROR_INIT;
    if (first_key(n, digest, key, &ke) != SF_OK)
        goto done;
    if (n->o.kv && (rc = sf_kv_exists(n->o.kv, key, key, &seen, err)) != SF_OK)
        goto done;
    if (seen)
        goto done;
    if ((rc = sf_notify_handle(n, delta, strlen(delta), err)) != SF_OK)
        goto done;
    if (n->o.kv)
        rc = sf_kv_set(n->o.kv, key, key, "1", 1, n->o.dedup_ttl_ms, err);
    SF_DEBUG("notify", "first result handled|digest=%s", digest);
done:
    free(delta);
    json_decref(res);
    return rc;
}
