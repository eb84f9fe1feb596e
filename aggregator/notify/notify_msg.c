/*
 * notify_msg: decode findings deltas and build sink bodies (see
 * notify_msg.h). Only jansson and OpenSSL's HMAC are used here, so every
 * shape is unit-testable without a network.
 */
#include "notify_msg.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/digest.h"
#include "base/json.h"
#include "base/limits.h"

static const char *jstr(json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int findings_ok(json_t *a, const char *what, sf_error *err)
{
    json_t *x;
    size_t i;
    if (!a || json_is_null(a))
        return SF_OK;
    if (!json_is_array(a))
        return sf_error_set(err, SF_EPARSE, "delta: %s is not a list", what);
    json_array_foreach(a, i, x) {
        const char *id = jstr(x, "id");
        if (!json_is_object(x) || !id || !*id || strlen(id) > 256)
            return sf_error_set(err, SF_EPARSE, "delta: %s[%zu] has no usable id", what, i);
        json_t *p = json_object_get(x, "package");
        if (p && !json_is_string(p))
            return sf_error_set(err, SF_EPARSE, "delta: %s[%zu].package is not a string", what, i);
    }
    return SF_OK;
}

int sf_ndelta_decode(sf_ndelta *d, const char *text, size_t len, sf_error *err)
{
    memset(d, 0, sizeof *d);
    json_error_t je;
    int lrc = SF_OK;
    json_t *doc = sf_jutil_loadb(text, len, JSON_REJECT_DUPLICATES, &lrc);
    if (lrc == SF_ENOMEM)
        return sf_error_set(err, SF_ENOMEM, "delta: out of memory parsing it");
    if (!doc) /* the position, for the message */
        doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return sf_error_set(err, SF_EPARSE, "delta: not a JSON object (%.120s)",
                            doc ? "wrong type" : je.text);
    }
    d->doc = doc;
    const char *schema = jstr(doc, "schema");
    if (!schema || strcmp(schema, "scanfarm.findings/v1"))
        goto bad_schema;
    d->digest = jstr(doc, "digest");
    sf_error de = SF_ERROR_INIT;
    if (!d->digest || sf_digest_validate(d->digest, &de) != SF_OK) {
        sf_ndelta_clear(d);
        return sf_error_set(err, SF_EPARSE, "delta: digest missing or invalid");
    }
    d->db_version = jstr(doc, "db_version");
    d->previous_db_version = jstr(doc, "previous_db_version");
    d->run_id = jstr(doc, "run_id");
    d->produced_at = jstr(doc, "produced_at");
    d->refs = json_object_get(doc, "refs");
    d->added = json_object_get(doc, "added");
    d->removed = json_object_get(doc, "removed");
    json_t *r;
    size_t i;
    if (d->refs && !json_is_array(d->refs))
        goto bad_refs;
    json_array_foreach(d->refs, i, r) if (!json_is_string(r)) goto bad_refs;
    int rc = findings_ok(d->added, "added", err);
    if (rc == SF_OK)
        rc = findings_ok(d->removed, "removed", err);
    if (rc != SF_OK)
        sf_ndelta_clear(d);
    return rc;
bad_schema:
    sf_ndelta_clear(d);
    return sf_error_set(err, SF_EPARSE, "delta: schema is not scanfarm.findings/v1");
bad_refs:
    sf_ndelta_clear(d);
    return sf_error_set(err, SF_EPARSE, "delta: refs is not a list of strings");
}

void sf_ndelta_clear(sf_ndelta *d)
{
    json_decref(d->doc);
    memset(d, 0, sizeof *d);
}

/* 32 hex digits of SHA-256 over the NUL-separated parts. */
static void hash_parts(const char *const *parts, size_t n, char out[SF_NOTIFY_ID_LEN])
{
    sf_buf b;
    sf_buf_init(&b, 0);
    for (size_t i = 0; i < n; i++) {
        sf_buf_puts(&b, parts[i] ? parts[i] : "");
        sf_buf_append(&b, "", 1);
    }
    char dg[SF_DIGEST_MAX];
    if (sf_digest_sha256(b.data ? b.data : "", b.len, dg) != SF_OK)
        dg[0] = '\0';
    sf_buf_free(&b);
    const char *hex = strchr(dg, ':');
    snprintf(out, SF_NOTIFY_ID_LEN, "%.32s", hex ? hex + 1 : "00000000000000000000000000000000");
}

void sf_nevent_id(sf_nevent *ev)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    for (size_t i = 0; i < ev->n; i++)
        sf_buf_printf(&b, "%s|%s|%s;", jstr(ev->f[i], "id"), jstr(ev->f[i], "package") ? jstr(ev->f[i], "package") : "",
                      jstr(ev->f[i], "installed") ? jstr(ev->f[i], "installed") : "");
    const char *parts[] = {ev->sink, ev->removed ? "removed" : "added", ev->d->digest,
                           ev->d->db_version, b.data};
    hash_parts(parts, 5, ev->id);
    sf_buf_free(&b);
}

/* The fields of a finding a notification carries (a fixed list, so a
 * delta's future fields do not leak into the v1 schema unannounced). */
static json_t *finding_copy(sf_jb *b, json_t *f)
{
    static const char *const keys[] = {"id", "aliases", "package", "ecosystem", "installed",
                                       "fixed", "severity", "cvss", "kev", "epss", "priority",
                                       NULL};
    json_t *o = sf_jb_new(b, json_object());
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(f, keys[i]);
        if (v)
            sf_jb_set(b, o, keys[i], json_incref(v));
    }
    return o;
}

char *sf_nmsg_dump(sf_jb *b, json_t *o, size_t flags)
{
    sf_buf out;
    sf_buf_init(&out, 0);
    int rc = sf_jb_status(b);
    if (rc == SF_OK)
        rc = sf_jutil_dump_flags(o, &out, flags);
    json_decref(o);
    char *s = rc == SF_OK ? sf_buf_steal(&out, NULL) : NULL;
    sf_buf_free(&out);
    return s;
}

static char *dump_free(sf_jb *b, json_t *o)
{
    return sf_nmsg_dump(b, o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
}

char *sf_nmsg_webhook(const sf_nevent *ev)
{
    const sf_ndelta *d = ev->d;
    sf_jb b = {0};
    json_t *rules = sf_jb_new(&b, json_array()), *fs = sf_jb_new(&b, json_array());
    for (size_t i = 0; i < ev->nrules; i++)
        sf_jb_push(&b, rules, sf_jutil_str(ev->rules[i]));
    for (size_t i = 0; i < ev->n && i < SF_LIM_NOTIFY_HOOK_FINDINGS; i++)
        sf_jb_push(&b, fs, finding_copy(&b, ev->f[i]));
    json_t *img = sf_jb_new(&b, json_object()), *o = sf_jb_new(&b, json_object());
    sf_jb_set(&b, img, "digest", sf_jutil_str(d->digest));
    sf_jb_set(&b, img, "refs", d->refs ? json_incref(d->refs) : json_array());
    sf_jb_set(&b, o, "schema", sf_jutil_str(SF_NOTIFICATION_SCHEMA));
    sf_jb_set(&b, o, "id", sf_jutil_str(ev->id));
    sf_jb_set(&b, o, "event", sf_jutil_str(ev->removed ? "findings.removed" : "findings.added"));
    sf_jb_set(&b, o, "sink", sf_jutil_str(ev->sink));
    sf_jb_set(&b, o, "rules", rules);
    sf_jb_set(&b, o, "image", img);
    /* absent ones are null (sf_jutil_str of NULL) */
    sf_jb_set(&b, o, "db_version", sf_jutil_str(d->db_version));
    sf_jb_set(&b, o, "previous_db_version", sf_jutil_str(d->previous_db_version));
    sf_jb_set(&b, o, "run_id", sf_jutil_str(d->run_id));
    sf_jb_set(&b, o, "produced_at", sf_jutil_str(d->produced_at));
    sf_jb_set(&b, o, "findings", fs);
    sf_jb_set(&b, o, "findings_total", json_integer((json_int_t)ev->n));
    sf_jb_set(&b, o, "truncated", json_boolean(ev->n > SF_LIM_NOTIFY_HOOK_FINDINGS));
    return dump_free(&b, o);
}

void sf_nmsg_signature(const char *key, const char *body, size_t len, char out[72])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    static const char hx[] = "0123456789abcdef";
    memcpy(out, "sha256=", 7);
    if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, len, mac, &n))
        n = 0;
    for (unsigned i = 0; i < n && i < 32; i++) {
        out[7 + 2 * i] = hx[mac[i] >> 4];
        out[8 + 2 * i] = hx[mac[i] & 15];
    }
    out[7 + 2 * (n < 32 ? n : 32)] = '\0';
}

/* Slack mrkdwn: &, < and > are control characters and must be escaped. */
static void mrk(sf_buf *b, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '&')
            sf_buf_puts(b, "&amp;");
        else if (*s == '<')
            sf_buf_puts(b, "&lt;");
        else if (*s == '>')
            sf_buf_puts(b, "&gt;");
        else if (*s == '`')
            sf_buf_puts(b, "'");
        else
            sf_buf_append(b, s, 1);
    }
}

void sf_nmsg_mrk(sf_buf *b, const char *s) { mrk(b, s); }

void sf_nmsg_hash(const char *const *parts, size_t n, char out[SF_NOTIFY_ID_LEN])
{
    hash_parts(parts, n, out);
}

static const char *first_ref(const sf_ndelta *d)
{
    const char *r = json_string_value(json_array_get(d->refs, 0));
    return r ? r : d->digest;
}

static void finding_line(sf_buf *b, json_t *f)
{
    json_t *cvss = json_object_get(f, "cvss");
    sf_buf_puts(b, "*");
    mrk(b, jstr(f, "id"));
    sf_buf_puts(b, "* ");
    mrk(b, jstr(f, "severity") ? jstr(f, "severity") : "UNKNOWN");
    if (json_is_number(cvss))
        sf_buf_printf(b, " (CVSS %.1f)", json_number_value(cvss));
    if (json_is_object(json_object_get(f, "kev")))
        sf_buf_puts(b, " *KEV*");
    sf_buf_puts(b, " in `");
    mrk(b, jstr(f, "package") ? jstr(f, "package") : "?");
    sf_buf_puts(b, " ");
    mrk(b, jstr(f, "installed") ? jstr(f, "installed") : "?");
    sf_buf_puts(b, "`");
    if (jstr(f, "fixed")) {
        sf_buf_puts(b, ", fixed in `");
        mrk(b, jstr(f, "fixed"));
        sf_buf_puts(b, "`");
    } else {
        sf_buf_puts(b, ", no fix yet");
    }
}

/* {"type": type, "text": {"type": ttype, "text": text}}: a Slack block. */
static json_t *slack_block(sf_jb *b, const char *type, const char *ttype, const char *text)
{
    json_t *o = sf_jb_new(b, json_object()), *t = sf_jb_new(b, json_object());
    sf_jb_set(b, t, "type", sf_jutil_str(ttype));
    /* sf_jutil_str: a text cut at the cap may end inside a UTF-8 sequence */
    sf_jb_set(b, t, "text", sf_jutil_str(text));
    sf_jb_set(b, o, "type", sf_jutil_str(type));
    sf_jb_set(b, o, "text", t);
    return o;
}

json_t *sf_nmsg_slack_block(sf_jb *b, const char *type, const char *ttype, const char *text)
{
    return slack_block(b, type, ttype, text);
}

char *sf_nmsg_slack(const sf_nevent *ev)
{
    const sf_ndelta *d = ev->d;
    sf_buf t;
    sf_jb b = {0};
    /* Slack refuses a section text over 3000 characters: a longer one
     * (an absurd reference) is cut off at the append that passes 2900. */
    sf_buf_init(&t, 2900);
    json_t *blocks = sf_jb_new(&b, json_array());
    const char *head = ev->removed ? "Vulnerability findings resolved" : "New vulnerability findings";
    sf_jb_push(&b, blocks, slack_block(&b, "header", "plain_text", head));
    sf_buf_puts(&t, "*Image* `");
    mrk(&t, first_ref(d));
    sf_buf_puts(&t, "`\n`");
    mrk(&t, d->digest);
    sf_buf_puts(&t, "`");
    sf_jb_push(&b, blocks, slack_block(&b, "section", "mrkdwn", t.data ? t.data : ""));
    for (size_t i = 0; i < ev->n && i < SF_LIM_NOTIFY_CHAT_FINDINGS; i++) {
        sf_buf_reset(&t);
        finding_line(&t, ev->f[i]);
        sf_jb_push(&b, blocks, slack_block(&b, "section", "mrkdwn", t.data ? t.data : ""));
    }
    sf_buf_reset(&t);
    if (ev->n > SF_LIM_NOTIFY_CHAT_FINDINGS)
        sf_buf_printf(&t, "and %zu more · ", ev->n - SF_LIM_NOTIFY_CHAT_FINDINGS);
    sf_buf_puts(&t, "scanfarm · db ");
    mrk(&t, d->db_version ? d->db_version : "?");
    json_t *ctx = sf_jb_new(&b, json_object()), *els = sf_jb_new(&b, json_array());
    json_t *el = sf_jb_new(&b, json_object());
    sf_jb_set(&b, el, "type", sf_jutil_str("mrkdwn"));
    sf_jb_set(&b, el, "text", sf_jutil_str(t.data ? t.data : ""));
    sf_jb_push(&b, els, el);
    sf_jb_set(&b, ctx, "type", sf_jutil_str("context"));
    sf_jb_set(&b, ctx, "elements", els);
    sf_jb_push(&b, blocks, ctx);
    sf_buf_reset(&t);
    /* `text` is the notification fallback Slack shows where blocks cannot be. */
    sf_buf_printf(&t, "%s: %zu in ", head, ev->n);
    mrk(&t, first_ref(d));
    json_t *o = sf_jb_new(&b, json_object());
    sf_jb_set(&b, o, "text", sf_jutil_str(t.data ? t.data : ""));
    sf_jb_set(&b, o, "blocks", blocks);
    sf_buf_free(&t);
    return dump_free(&b, o);
}

/* An Adaptive Card TextBlock (a heading: medium and bold). */
static json_t *text_block(sf_jb *b, const char *text, int heading)
{
    json_t *t = sf_jb_new(b, json_object());
    sf_jb_set(b, t, "type", sf_jutil_str("TextBlock"));
    sf_jb_set(b, t, "text", sf_jutil_str(text));
    sf_jb_set(b, t, "wrap", json_true());
    if (heading) {
        sf_jb_set(b, t, "size", sf_jutil_str("Medium"));
        sf_jb_set(b, t, "weight", sf_jutil_str("Bolder"));
    }
    return t;
}

json_t *sf_nmsg_text_block(sf_jb *b, const char *text, int heading)
{
    return text_block(b, text, heading);
}

/* The Teams message around an Adaptive Card 1.4 of body (stolen). */
json_t *sf_nmsg_card(sf_jb *b, json_t *body)
{
    json_t *card = sf_jb_new(b, json_object()), *att = sf_jb_new(b, json_object());
    json_t *atts = sf_jb_new(b, json_array()), *o = sf_jb_new(b, json_object());
    sf_jb_set(b, card, "$schema",
              sf_jutil_str("http://adaptivecards.io/schemas/adaptive-card.json"));
    sf_jb_set(b, card, "type", sf_jutil_str("AdaptiveCard"));
    sf_jb_set(b, card, "version", sf_jutil_str("1.4"));
    sf_jb_set(b, card, "body", body);
    sf_jb_set(b, att, "contentType", sf_jutil_str("application/vnd.microsoft.card.adaptive"));
    sf_jb_set(b, att, "contentUrl", json_null());
    sf_jb_set(b, att, "content", card);
    sf_jb_push(b, atts, att);
    sf_jb_set(b, o, "type", sf_jutil_str("message"));
    sf_jb_set(b, o, "attachments", atts);
    return o;
}

static void finding_plain(sf_buf *b, json_t *f)
{
    json_t *cvss = json_object_get(f, "cvss");
    sf_buf_printf(b, "%s %s", jstr(f, "id"), jstr(f, "severity") ? jstr(f, "severity") : "UNKNOWN");
    if (json_is_number(cvss))
        sf_buf_printf(b, " (CVSS %.1f)", json_number_value(cvss));
    if (json_is_object(json_object_get(f, "kev")))
        sf_buf_puts(b, " KEV");
    sf_buf_printf(b, " in %s %s", jstr(f, "package") ? jstr(f, "package") : "?",
                  jstr(f, "installed") ? jstr(f, "installed") : "?");
    if (jstr(f, "fixed"))
        sf_buf_printf(b, ", fixed in %s", jstr(f, "fixed"));
    else
        sf_buf_puts(b, ", no fix yet");
}

char *sf_nmsg_teams(const sf_nevent *ev)
{
    const sf_ndelta *d = ev->d;
    const char *head = ev->removed ? "Vulnerability findings resolved" : "New vulnerability findings";
    sf_jb b = {0};
    json_t *body = sf_jb_new(&b, json_array());
    sf_jb_push(&b, body, text_block(&b, head, 1));
    json_t *fset = sf_jb_new(&b, json_object()), *facts = sf_jb_new(&b, json_array());
    const char *title[] = {"Image", "Digest", "DB"};
    const char *value[] = {first_ref(d), d->digest, d->db_version ? d->db_version : "?"};
    for (size_t i = 0; i < 3; i++) {
        json_t *f = sf_jb_new(&b, json_object());
        sf_jb_set(&b, f, "title", sf_jutil_str(title[i]));
        sf_jb_set(&b, f, "value", sf_jutil_str(value[i]));
        sf_jb_push(&b, facts, f);
    }
    sf_jb_set(&b, fset, "type", sf_jutil_str("FactSet"));
    sf_jb_set(&b, fset, "facts", facts);
    sf_jb_push(&b, body, fset);
    sf_buf t;
    sf_buf_init(&t, 2900);
    for (size_t i = 0; i < ev->n && i < SF_LIM_NOTIFY_CHAT_FINDINGS; i++) {
        sf_buf_reset(&t);
        finding_plain(&t, ev->f[i]);
        sf_jb_push(&b, body, text_block(&b, t.data ? t.data : "", 0));
    }
    if (ev->n > SF_LIM_NOTIFY_CHAT_FINDINGS) {
        sf_buf_reset(&t);
        sf_buf_printf(&t, "and %zu more", ev->n - SF_LIM_NOTIFY_CHAT_FINDINGS);
        sf_jb_push(&b, body, text_block(&b, t.data ? t.data : "", 0));
    }
    sf_buf_free(&t);
    return dump_free(&b, sf_nmsg_card(&b, body));
}

void sf_nmsg_issue_id(const char *digest, const char *advisory, char out[SF_NOTIFY_ID_LEN])
{
    const char *parts[] = {"issue", digest, advisory};
    hash_parts(parts, 3, out);
}

void sf_nmsg_marker(const char *id, char *out, size_t n)
{
    snprintf(out, n, "<!-- scanfarm:issue:%s -->", id);
}

/* Text from the delta as a Markdown code span: package names and
 * versions come from image contents, and outside a code span an "@team"
 * would notify people, "<!--" could hide or forge the marker and a "|"
 * or newline would break the table. Backticks, pipes and control
 * characters are replaced; "?" for absent values. */
static void md_code(sf_buf *b, const char *s)
{
    sf_buf_puts(b, "`");
    for (; s && *s; s++)
        sf_buf_append(b, (*s == '`' || *s == '|' || (unsigned char)*s < 0x20) ? "'" : s, 1);
    sf_buf_puts(b, s ? "`" : "?`");
}

static void issue_text(sf_buf *b, const sf_ndelta *d, json_t *f)
{
    size_t i;
    json_t *r;
    sf_buf_puts(b, "**");
    md_code(b, jstr(f, "id"));
    sf_buf_puts(b, "** (");
    md_code(b, jstr(f, "severity") ? jstr(f, "severity") : "UNKNOWN");
    sf_buf_printf(b, ") affects image `%s`.\n\n| package | installed | fixed | ecosystem |\n"
                     "|---|---|---|---|\n| ",
                  d->digest);
    static const char *const cols[] = {"package", "installed", "fixed", "ecosystem"};
    for (size_t c = 0; c < 4; c++) {
        const char *v = jstr(f, cols[c]);
        md_code(b, v ? v : c == 2 ? "not fixed yet" : "?");
        sf_buf_puts(b, " | ");
    }
    sf_buf_puts(b, "\n\nReferences:\n");
    json_array_foreach(d->refs, i, r) {
        if (i >= SF_LIM_NOTIFY_CHAT_FINDINGS)
            break;
        sf_buf_puts(b, "- ");
        md_code(b, json_string_value(r));
        sf_buf_puts(b, "\n");
    }
    sf_buf_puts(b, "\nVulnerability DB ");
    md_code(b, d->db_version ? d->db_version : "?");
    sf_buf_puts(b, ".\n");
}

char *sf_nmsg_issue_create(const sf_ndelta *d, json_t *f, const char *label, const char *id)
{
    sf_buf b;
    char title[256], marker[96];
    const char *ref = first_ref(d);
    snprintf(title, sizeof title, "%.64s (%.16s) in %.160s", jstr(f, "id"),
             jstr(f, "severity") ? jstr(f, "severity") : "UNKNOWN", ref);
    sf_buf_init(&b, 0);
    issue_text(&b, d, f);
    sf_nmsg_marker(id, marker, sizeof marker);
    sf_buf_printf(&b, "\n_Opened by scanfarm-notify; closed when the finding disappears._\n%s\n",
                  marker);
    sf_jb jb = {0};
    json_t *o = sf_jb_new(&jb, json_object()), *labels = sf_jb_new(&jb, json_array());
    sf_jb_set(&jb, o, "title", sf_jutil_str(title));
    sf_jb_set(&jb, o, "body", sf_jutil_str(b.data ? b.data : ""));
    sf_jb_push(&jb, labels, sf_jutil_str(label));
    sf_jb_set(&jb, o, "labels", labels);
    sf_buf_free(&b);
    return dump_free(&jb, o);
}

char *sf_nmsg_issue_comment(const sf_ndelta *d, json_t *f, int closing)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    if (closing) {
        sf_buf_puts(&b, "Resolved: ");
        md_code(&b, jstr(f, "id"));
        sf_buf_printf(&b, " no longer affects `%s` (vulnerability DB ", d->digest);
        md_code(&b, d->db_version ? d->db_version : "?");
        sf_buf_puts(&b, "). Closing.\n");
    } else {
        sf_buf_puts(&b, "Found again; reopening.\n\n");
        issue_text(&b, d, f);
    }
    sf_jb jb = {0};
    json_t *o = sf_jb_new(&jb, json_object());
    sf_jb_set(&jb, o, "body", sf_jutil_str(b.data ? b.data : ""));
    sf_buf_free(&b);
    return dump_free(&jb, o);
}

char *sf_nmsg_dlq(const char *sink, const char *event_id, const char *digest, int code,
                  const char *reason, const char *payload, const char *at)
{
    sf_jb b = {0};
    int prc = SF_OK;
    json_t *p = payload ? sf_jutil_loadb(payload, strlen(payload), 0, &prc) : NULL;
    /* a payload that is not JSON goes as null, one that failed to load
     * for want of memory fails the entry */
    if (prc == SF_ENOMEM)
        sf_jb_new(&b, NULL);
    json_t *o = sf_jb_new(&b, json_object());
    sf_jb_set(&b, o, "schema", sf_jutil_str(SF_NOTIFY_DLQ_SCHEMA));
    sf_jb_set(&b, o, "sink", sf_jutil_str(sink)); /* null when NULL */
    sf_jb_set(&b, o, "id", sf_jutil_str(event_id));
    sf_jb_set(&b, o, "digest", sf_jutil_str(digest));
    sf_jb_set(&b, o, "code", sf_jutil_str(sf_err_name(code)));
    sf_jb_set(&b, o, "reason", sf_jutil_str(reason ? reason : ""));
    sf_jb_set(&b, o, "at", sf_jutil_str(at ? at : ""));
    sf_jb_set(&b, o, "payload", p ? p : json_null());
    return dump_free(&b, o);
}
