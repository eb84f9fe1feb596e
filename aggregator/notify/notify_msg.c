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
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
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
static json_t *finding_copy(json_t *f)
{
    static const char *const keys[] = {"id", "aliases", "package", "ecosystem", "installed",
                                       "fixed", "severity", "cvss", "kev", "epss", "priority",
                                       NULL};
    json_t *o = json_object();
    for (size_t i = 0; keys[i]; i++) {
        json_t *v = json_object_get(f, keys[i]);
        if (v)
            json_object_set(o, keys[i], v);
    }
    return o;
}

static char *dump_free(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    return s;
}

char *sf_nmsg_webhook(const sf_nevent *ev)
{
    const sf_ndelta *d = ev->d;
    json_t *rules = json_array(), *fs = json_array();
    for (size_t i = 0; i < ev->nrules; i++)
        json_array_append_new(rules, json_string(ev->rules[i]));
    for (size_t i = 0; i < ev->n && i < SF_LIM_NOTIFY_HOOK_FINDINGS; i++)
        json_array_append_new(fs, finding_copy(ev->f[i]));
    json_t *img = json_pack("{s:s, s:o}", "digest", d->digest, "refs",
                            d->refs ? json_incref(d->refs) : json_array());
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s?, s:s?, s:s?, s:s?, s:o, s:I, s:b}",
                          "schema", SF_NOTIFICATION_SCHEMA, "id", ev->id, "event",
                          ev->removed ? "findings.removed" : "findings.added", "sink", ev->sink,
                          "rules", rules, "image", img, "db_version", d->db_version,
                          "previous_db_version", d->previous_db_version, "run_id", d->run_id,
                          "produced_at", d->produced_at, "findings", fs, "findings_total",
                          (json_int_t)ev->n, "truncated", ev->n > SF_LIM_NOTIFY_HOOK_FINDINGS);
    return dump_free(o);
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

static json_t *mrk_section(const char *text)
{
    return json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn", "text",
                     text);
}

char *sf_nmsg_slack(const sf_nevent *ev)
{
    const sf_ndelta *d = ev->d;
    sf_buf b;
    /* Slack refuses a section text over 3000 characters: a longer one
     * (an absurd reference) is cut off at the append that passes 2900. */
    sf_buf_init(&b, 2900);
    json_t *blocks = json_array();
    const char *head = ev->removed ? "Vulnerability findings resolved" : "New vulnerability findings";
    json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text", "type",
                                            "plain_text", "text", head));
    sf_buf_puts(&b, "*Image* `");
    mrk(&b, first_ref(d));
    sf_buf_puts(&b, "`\n`");
    mrk(&b, d->digest);
    sf_buf_puts(&b, "`");
    json_array_append_new(blocks, mrk_section(b.data ? b.data : ""));
    for (size_t i = 0; i < ev->n && i < SF_LIM_NOTIFY_CHAT_FINDINGS; i++) {
        sf_buf_reset(&b);
        finding_line(&b, ev->f[i]);
        json_array_append_new(blocks, mrk_section(b.data ? b.data : ""));
    }
    sf_buf_reset(&b);
    if (ev->n > SF_LIM_NOTIFY_CHAT_FINDINGS)
        sf_buf_printf(&b, "and %zu more · ", ev->n - SF_LIM_NOTIFY_CHAT_FINDINGS);
    sf_buf_puts(&b, "scanfarm · db ");
    mrk(&b, d->db_version ? d->db_version : "?");
    json_array_append_new(blocks, json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context",
                                            "elements", "type", "mrkdwn", "text",
                                            b.data ? b.data : ""));
    sf_buf_reset(&b);
    /* `text` is the notification fallback Slack shows where blocks cannot be. */
    sf_buf_printf(&b, "%s: %zu in ", head, ev->n);
    mrk(&b, first_ref(d));
    json_t *o = json_pack("{s:s, s:o}", "text", b.data ? b.data : "", "blocks", blocks);
    sf_buf_free(&b);
    return dump_free(o);
}

static json_t *text_block(const char *text, int heading)
{
    json_t *t = json_pack("{s:s, s:s, s:b}", "type", "TextBlock", "text", text, "wrap", 1);
    if (heading) {
        json_object_set_new(t, "size", json_string("Medium"));
        json_object_set_new(t, "weight", json_string("Bolder"));
    }
    return t;
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
    json_t *body = json_array();
    json_array_append_new(body, text_block(head, 1));
    json_array_append_new(body, json_pack("{s:s, s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "type",
                                          "FactSet", "facts", "title", "Image", "value",
                                          first_ref(d), "title", "Digest", "value", d->digest,
                                          "title", "DB", "value",
                                          d->db_version ? d->db_version : "?"));
    sf_buf b;
    sf_buf_init(&b, 2900);
    for (size_t i = 0; i < ev->n && i < SF_LIM_NOTIFY_CHAT_FINDINGS; i++) {
        sf_buf_reset(&b);
        finding_plain(&b, ev->f[i]);
        json_array_append_new(body, text_block(b.data ? b.data : "", 0));
    }
    if (ev->n > SF_LIM_NOTIFY_CHAT_FINDINGS) {
        sf_buf_reset(&b);
        sf_buf_printf(&b, "and %zu more", ev->n - SF_LIM_NOTIFY_CHAT_FINDINGS);
        json_array_append_new(body, text_block(b.data ? b.data : "", 0));
    }
    sf_buf_free(&b);
    json_t *card = json_pack("{s:s, s:s, s:s, s:o}", "$schema",
                             "http://adaptivecards.io/schemas/adaptive-card.json", "type",
                             "AdaptiveCard", "version", "1.4", "body", body);
    json_t *o = json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message", "attachments",
                          "contentType", "application/vnd.microsoft.card.adaptive", "contentUrl",
                          "content", card);
    return dump_free(o);
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
    json_t *o = json_pack("{s:s, s:s, s:[s]}", "title", title, "body", b.data ? b.data : "",
                          "labels", label);
    sf_buf_free(&b);
    return dump_free(o);
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
    json_t *o = json_pack("{s:s}", "body", b.data ? b.data : "");
    sf_buf_free(&b);
    return dump_free(o);
}

char *sf_nmsg_dlq(const char *sink, const char *event_id, const char *digest, int code,
                  const char *reason, const char *payload, const char *at)
{
    json_t *p = payload ? json_loads(payload, 0, NULL) : NULL;
    json_t *o = json_pack("{s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:o}", "schema",
                          SF_NOTIFY_DLQ_SCHEMA, "sink", sink, "id", event_id, "digest", digest,
                          "code", sf_err_name(code), "reason", reason, "at", at, "payload",
                          p ? p : json_null());
    return dump_free(o);
}
