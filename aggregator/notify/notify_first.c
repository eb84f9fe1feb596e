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

/* The delta a first result stands for (malloc'd JSON), or NULL when the
 * result is none to notify (not a result, a failed scan, a rematch). */
static char *as_delta(json_t *res)
{
    const char *schema = json_string_value(json_object_get(res, "schema"));
    if (!schema || strcmp(schema, "scanfarm.result/v1") || json_object_get(res, "rematched_from"))
        return NULL;
    json_t *e = json_object_get(res, "error");
    if (e && !json_is_null(e))
        return NULL;
    static const char *const copied[] = {"digest", "refs", "run_id", "db_version",
                                         "index_digest", "platform"};
    json_t *vulns = json_object_get(res, "vulnerabilities");
    json_t *d = json_object();
    json_object_set_new(d, "schema", json_string("scanfarm.findings/v1"));
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        json_t *v = json_object_get(res, copied[i]);
        if (v && !json_is_null(v))
            json_object_set(d, copied[i], v);
    }
    json_object_set_new(d, "added", json_is_array(vulns) ? json_incref(vulns) : json_array());
    json_object_set_new(d, "removed", json_array());
    json_object_set_new(d, "first_scan", json_true());
    char *s = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    return s;
}

int sf_notify_result(sf_notify *n, const char *msg, size_t len, sf_error *err)
{
    json_error_t je;
    json_t *res = json_loadb(msg, len, JSON_REJECT_DUPLICATES, &je);
    char key[SF_KEY_MAX], *delta = NULL;
    int rc = SF_OK, seen = 0;
    const char *digest = json_string_value(json_object_get(res, "digest"));
    if (!res || !digest || !(delta = as_delta(res)))
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
