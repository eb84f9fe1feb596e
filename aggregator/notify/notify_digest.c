/*
 * notify_digest: `group: digest` rules. Instead of a message per image,
 * a chat sink (webhook, Slack, Teams) gets one message per rule every
 * digest_minutes with what the window collected.
 *
 * Each per-image notification is first deduplicated like any delivery
 * (its id's "sent" key), then appended, as its scanfarm.notification/v1
 * document, to `<prefix>:notify:digest:<sink>:<rule>`; the first one of a
 * window records the window's start in `...:digestat:...`. The Kafka
 * offset is committed after the append, so a queued notification is as
 * durable as a sent one. sf_notify_flush sends a list whose window has
 * passed as one message (its id hashes the items' ids, so a flush retried
 * after a crash is deduplicated), then trims exactly the items it sent:
 * items queued meanwhile stay for the next window. A crash between the
 * append and the "sent" mark can queue an item twice; the flush drops
 * repeated ids. Digests assume one notifier replica per group (two could
 * flush the same list at once).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/time.h"
#include "cache/keys.h"
#include "notify_int.h"

/* Rule names are free text; keys take [A-Za-z0-9_.-]. */
static void key_part(const char *name, char *out, size_t n)
{
    size_t i = 0;
    for (; name[i] && i + 1 < n && i < 64; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.' || c == '-';
        out[i] = ok ? c : '_';
    }
    out[i] = '\0';
}

static int keys_of(sf_notify *n, const sf_nsink *s, const sf_nrule *r, char *list, char *at,
                   sf_error *err)
{
    char part[72];
    key_part(r->name, part, sizeof part);
    int rc = sf_keys_notify(list, n->o.prefix, "digest", s->name, part, err);
    return rc ? rc : sf_keys_notify(at, n->o.prefix, "digestat", s->name, part, err);
}

static int cmd(sf_notify *n, const char *shard, int argc, const char **argv, sf_kv_reply **out,
               sf_error *err)
{
    sf_kv_reply *r = NULL;
    int rc = sf_kv_argv(n->o.kv, shard, argc, argv, NULL, &r, err);
    if (out)
        *out = r;
    else
        sf_kv_reply_free(r);
    return rc;
}

int sf_notify_digest_queue(sf_notify *n, const sf_nsink *s, const sf_nrule *r, sf_nevent *ev,
                           sf_error *err)
{
    char list[SF_KEY_MAX], at[SF_KEY_MAX], now[24];
    int seen = 0, rc;
    sf_nevent_id(ev);
    if ((rc = sf_notify_seen(n, s->name, ev->id, &seen, err)) != SF_OK)
        return rc;
    if (seen) {
        sf_metric_add(n->total, SF_LV(s->name, "deduplicated"), 1);
        return SF_OK;
    }
    char *item = sf_nmsg_webhook(ev);
    if (!item)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    snprintf(now, sizeof now, "%lld", (long long)sf_time_wall_ms());
    const char *push[] = {"RPUSH", list, item};
    const char *open_[] = {"SET", at, now, "NX"};
    if ((rc = keys_of(n, s, r, list, at, err)) == SF_OK &&
        (rc = cmd(n, list, 3, push, NULL, err)) == SF_OK &&
        (rc = cmd(n, list, 4, open_, NULL, err)) == SF_OK)
        rc = sf_notify_mark(n, s->name, ev->id, err);
    free(item);
    if (rc == SF_OK)
        sf_metric_add(n->total, SF_LV(s->name, "queued"), 1);
    return rc;
}

/* ---- the digest message ---- */

/* The items (parsed, repeated ids dropped) into an array built with b;
 * their ids hashed into the digest's id. An item that is not JSON or has
 * no id (stored corrupt) is left out and counted in *bad: it is trimmed
 * with the others, as it can never be sent. */
static json_t *items_of(sf_jb *b, const sf_kv_reply *l, char id[SF_NOTIFY_ID_LEN], size_t *bad)
{
    json_t *arr = sf_jb_new(b, json_array());
    const char **ids = calloc(l->nelem + 1, sizeof *ids);
    size_t nids = 0;
    if (!ids)
        sf_jb_new(b, NULL); /* counted: the digest would miss every item */
    for (size_t i = 0; ids && i < l->nelem; i++) {
        int lrc = SF_OK;
        json_t *x = l->elem[i].type == SF_KV_STR
                        ? sf_jutil_loadb(l->elem[i].str, l->elem[i].len, 0, &lrc)
                        : NULL;
        if (lrc == SF_ENOMEM) { /* a good item is never dropped as corrupt */
            sf_jb_new(b, NULL);
            continue;
        }
        const char *xid = json_string_value(json_object_get(x, "id"));
        int dup = 0;
        for (size_t j = 0; xid && j < nids && !dup; j++)
            dup = !strcmp(ids[j], xid);
        if (!xid || dup) {
            *bad += !xid;
            json_decref(x);
            continue;
        }
        /* xid is x's: recorded only once arr holds x, for as long as ids is used */
        if (json_array_append(arr, x) == 0)
            ids[nids++] = xid;
        else
            sf_jb_new(b, NULL);
        json_decref(x);
    }
    sf_nmsg_hash((const char *const *)ids, nids, id);
    free(ids);
    return arr;
}

static const char *item_ref(json_t *x)
{
    json_t *img = json_object_get(x, "image");
    const char *r = json_string_value(json_array_get(json_object_get(img, "refs"), 0));
    return r ? r : json_string_value(json_object_get(img, "digest"));
}

/* "ref (added): CVE-1 CRITICAL, CVE-2 HIGH" (escaped for Slack when mrk). */
static void item_line(sf_buf *b, json_t *x, int mrk)
{
    json_t *fs = json_object_get(x, "findings"), *f;
    size_t i;
    const char *ev = json_string_value(json_object_get(x, "event"));
    if (mrk)
        sf_buf_puts(b, "*"), sf_nmsg_mrk(b, item_ref(x)), sf_buf_puts(b, "*");
    else
        sf_buf_puts(b, item_ref(x) ? item_ref(x) : "?");
    sf_buf_puts(b, ev && !strcmp(ev, "findings.removed") ? " (resolved): " : ": ");
    json_array_foreach(fs, i, f) {
        if (i == 5) {
            sf_buf_printf(b, ", and %zu more", json_array_size(fs) - 5);
            break;
        }
        const char *fid = json_string_value(json_object_get(f, "id"));
        const char *sev = json_string_value(json_object_get(f, "severity"));
        sf_buf_puts(b, i ? ", " : "");
        if (mrk)
            sf_nmsg_mrk(b, fid ? fid : "?");
        else
            sf_buf_puts(b, fid ? fid : "?");
        sf_buf_printf(b, " %s", sev ? sev : "UNKNOWN");
    }
}

char *sf_ndigest_body(const sf_nsink *s, const sf_nrule *r, const char *id, json_t *items)
{
    size_t n = json_array_size(items), i;
    json_t *x, *doc;
    sf_jb b = {0};
    sf_buf head;
    sf_buf_init(&head, 512);
    sf_buf_printf(&head, "Vulnerability digest (%s, %d min): %zu image notification%s", r->name,
                  r->digest_minutes, n, n == 1 ? "" : "s");
    if (s->type == SF_NSINK_WEBHOOK) {
        json_t *rules = sf_jb_new(&b, json_array());
        doc = sf_jb_new(&b, json_object());
        sf_jb_push(&b, rules, sf_jutil_str(r->name));
        sf_jb_set(&b, doc, "schema", sf_jutil_str(SF_NOTIFICATION_SCHEMA));
        sf_jb_set(&b, doc, "id", sf_jutil_str(id));
        sf_jb_set(&b, doc, "event", sf_jutil_str("findings.digest"));
        sf_jb_set(&b, doc, "sink", sf_jutil_str(s->name));
        sf_jb_set(&b, doc, "rules", rules);
        sf_jb_set(&b, doc, "digest_minutes", json_integer(r->digest_minutes));
        sf_jb_set(&b, doc, "notifications", json_incref(items));
        sf_jb_set(&b, doc, "notifications_total", json_integer((json_int_t)n));
    } else {
        int slack = s->type == SF_NSINK_SLACK;
        json_t *body = sf_jb_new(&b, json_array());
        if (slack)
            sf_jb_push(&b, body,
                       sf_nmsg_slack_block(&b, "header", "plain_text", "Vulnerability digest"));
        else
            sf_jb_push(&b, body, sf_nmsg_text_block(&b, head.data, 1));
        json_array_foreach(items, i, x) {
            if (i == SF_LIM_NOTIFY_CHAT_FINDINGS)
                break;
            sf_buf l;
            sf_buf_init(&l, 2900);
            item_line(&l, x, slack);
            const char *t = l.data ? l.data : "";
            sf_jb_push(&b, body, slack ? sf_nmsg_slack_block(&b, "section", "mrkdwn", t)
                                       : sf_nmsg_text_block(&b, t, 0));
            sf_buf_free(&l);
        }
        if (slack) {
            doc = sf_jb_new(&b, json_object());
            sf_jb_set(&b, doc, "text", sf_jutil_str(head.data));
            sf_jb_set(&b, doc, "blocks", body);
        } else {
            doc = sf_nmsg_card(&b, body);
        }
    }
    sf_buf_free(&head);
    return sf_nmsg_dump(&b, doc, JSON_COMPACT);
}

/* ---- flushing ---- */

/* Send what list holds (up to SF_LIM_NOTIFY_DIGEST_ITEMS), then trim it. */
static int flush_one(sf_notify *n, const sf_nsink *s, const sf_nrule *r, const char *list,
                     const char *at, sf_error *err)
{
    char id[SF_NOTIFY_ID_LEN], last[24], now[24];
    sf_kv_reply *l = NULL;
    snprintf(last, sizeof last, "%d", SF_LIM_NOTIFY_DIGEST_ITEMS - 1);
    const char *range[] = {"LRANGE", list, "0", last};
    int rc = cmd(n, list, 4, range, &l, err), seen = 0;
    if (rc != SF_OK || l->type != SF_KV_ARR || !l->nelem) {
        sf_kv_reply_free(l);
        return rc;
    }
    size_t taken = l->nelem, bad = 0;
    sf_jb b = {0};
    json_t *items = items_of(&b, l, id, &bad);
    sf_kv_reply_free(l);
    if (bad)
        SF_WARN("notify", "corrupt digest items dropped|sink=%s rule=%s n=%zu", s->name, r->name,
                bad);
    char *body = sf_jb_status(&b) == SF_OK && json_array_size(items)
                     ? sf_ndigest_body(s, r, id, items)
                     : NULL;
    if (!body && (sf_jb_status(&b) != SF_OK || json_array_size(items))) {
        /* out of memory: the list stays for the next flush, nothing trimmed */
        json_decref(items);
        return sf_error_set(err, SF_ENOMEM, "digest %s: out of memory building it", r->name);
    }
    if ((rc = sf_notify_seen(n, s->name, id, &seen, err)) == SF_OK && body && !seen) {
        sf_error se = SF_ERROR_INIT;
        if (sf_notify_post(n, s, "findings.digest", id, body, &se) == SF_OK) {
            sf_metric_add(n->total, SF_LV(s->name, "sent"), 1);
            SF_INFO("notify", "digest sent|sink=%s rule=%s id=%s notifications=%zu", s->name,
                    r->name, id, json_array_size(items));
        } else if (se.code == SF_ECANCELED) {
            rc = sf_error_set(err, SF_ECANCELED, "canceled");
        } else {
            sf_metric_add(n->total, SF_LV(s->name, "failed"), 1);
            rc = sf_notify_dead_letter(n, s->name, id, NULL, &se, body, err);
        }
        if (rc == SF_OK)
            rc = sf_notify_mark(n, s->name, id, err);
    }
    json_decref(items);
    free(body);
    if (rc != SF_OK)
        return rc;
    /* the items sent go; later ones open the next window now */
    snprintf(last, sizeof last, "%zu", taken);
    snprintf(now, sizeof now, "%lld", (long long)sf_time_wall_ms());
    const char *trim[] = {"LTRIM", list, last, "-1"};
    const char *reopen[] = {"SET", at, now};
    const char *del[] = {"DEL", at};
    sf_kv_reply *len = NULL;
    const char *llen[] = {"LLEN", list};
    if ((rc = cmd(n, list, 4, trim, NULL, err)) == SF_OK &&
        (rc = cmd(n, list, 2, llen, &len, err)) == SF_OK)
        rc = len->integer > 0 ? cmd(n, list, 3, reopen, NULL, err) : cmd(n, list, 2, del, NULL, err);
    sf_kv_reply_free(len);
    return rc;
}

/* The window of list, if it has passed: 1; opens a missing one. */
static int window_over(sf_notify *n, const sf_nrule *r, const char *list, const char *at,
                       int *over, sf_error *err)
{
    sf_buf v;
    int found = 0, rc;
    *over = 0;
    sf_buf_init(&v, 64);
    if ((rc = sf_kv_get(n->o.kv, list, at, &v, &found, err)) == SF_OK) {
        long long t0 = found && v.data ? strtoll(v.data, NULL, 10) : 0;
        *over = found && (long long)sf_time_wall_ms() - t0 >= r->digest_minutes * 60000LL;
        if (!found) { /* items without a window (a crash between append and open) */
            char now[24];
            snprintf(now, sizeof now, "%lld", (long long)sf_time_wall_ms());
            const char *open_[] = {"SET", at, now, "NX"};
            sf_kv_reply *len = NULL;
            const char *llen[] = {"LLEN", list};
            if ((rc = cmd(n, list, 2, llen, &len, err)) == SF_OK && len->integer > 0)
                rc = cmd(n, list, 4, open_, NULL, err);
            sf_kv_reply_free(len);
        }
    }
    sf_buf_free(&v);
    return rc;
}

int sf_notify_flush(sf_notify *n, sf_error *err)
{
    const sf_nrules *R = n->o.rules;
    if (!n->o.kv)
        return SF_OK;
    for (size_t i = 0; i < R->nrules; i++) {
        const sf_nrule *r = &R->rules[i];
        if (r->group != SF_NGROUP_DIGEST)
            continue;
        for (size_t j = 0; j < r->nsinks; j++) {
            const sf_nsink *s = &R->sinks[r->sinks[j]];
            char list[SF_KEY_MAX], at[SF_KEY_MAX];
            int over = 0, rc;
            if (s->type == SF_NSINK_GITHUB || s->type == SF_NSINK_ADO)
                continue;
            if ((rc = keys_of(n, s, r, list, at, err)) != SF_OK ||
                (rc = window_over(n, r, list, at, &over, err)) != SF_OK ||
                (over && (rc = flush_one(n, s, r, list, at, err)) != SF_OK))
                return rc;
        }
    }
    return SF_OK;
}
