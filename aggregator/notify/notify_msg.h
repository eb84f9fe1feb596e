/*
 * notify_msg: what scanfarm-notify reads and what it sends, without any
 * I/O. It decodes a `scanfarm.findings/v1` delta (untrusted: it comes off
 * Kafka) and builds the bodies of the sinks: the versioned
 * `scanfarm.notification/v1` webhook document and its HMAC signature,
 * Slack Block Kit messages, and GitHub issue titles and bodies with their
 * hidden marker. docs/notifications.md describes every shape.
 *
 * Bodies are deterministic (no clock in them): a redelivered delta gives
 * byte-identical bodies, ids and signatures.
 */
#ifndef SF_NOTIFY_MSG_H
#define SF_NOTIFY_MSG_H

#include <jansson.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"

#define SF_NOTIFICATION_SCHEMA "scanfarm.notification/v1"
#define SF_NOTIFY_DLQ_SCHEMA "scanfarm.notify.dlq/v1"
/* Notification ids and issue markers: 32 hex digits of a SHA-256. */
#define SF_NOTIFY_ID_LEN 33

/* A decoded delta: doc owns everything, the rest is borrowed from it. */
typedef struct sf_ndelta {
    json_t *doc;
    const char *digest, *db_version, *previous_db_version, *run_id, *produced_at;
    json_t *refs;    /* array of strings */
    json_t *added;   /* array of finding objects, each with a string "id" */
    json_t *removed;
} sf_ndelta;

/* Decode one message. SF_EPARSE with a reason for anything that is not a
 * well-formed delta (wrong schema, missing digest, a finding without id);
 * SF_ENOMEM when parsing it ran out of memory (not the message's fault). */
int sf_ndelta_decode(sf_ndelta *d, const char *text, size_t len, sf_error *err);
void sf_ndelta_clear(sf_ndelta *d);

/* One notification: findings (borrowed objects of the delta) for one sink. */
typedef struct sf_nevent {
    const sf_ndelta *d;
    const char *sink;
    int removed;          /* 0 = findings.added, 1 = findings.removed */
    json_t **f;           /* findings */
    size_t n;
    const char *rules[8]; /* names of the rules that selected them */
    size_t nrules;
    char id[SF_NOTIFY_ID_LEN]; /* filled by sf_nevent_id */
} sf_nevent;

/* ev->id = hash(sink, event kind, digest, db version, each finding's id,
 * package and installed version). */
void sf_nevent_id(sf_nevent *ev);

/* Webhook body (scanfarm.notification/v1), compact JSON, malloc'd. */
char *sf_nmsg_webhook(const sf_nevent *ev);
/* "sha256=<hex>" of HMAC-SHA256(key, body) into out (72 bytes). */
void sf_nmsg_signature(const char *key, const char *body, size_t len, char out[72]);
/* Slack incoming-webhook body (text + blocks), malloc'd. */
char *sf_nmsg_slack(const sf_nevent *ev);
/* Microsoft Teams Workflows webhook body: a message with one Adaptive
 * Card (1.4) attachment, malloc'd. */
char *sf_nmsg_teams(const sf_nevent *ev);

/* Building the bodies (also notify_digest.c's and notify_ado.c's): each
 * counts what failed to be built in b (base/json.h) and the body is
 * NULL when anything did, so a notification never goes out with a
 * finding or a member missing; the caller retries it. */
/* The JSON text of o (stolen) with jansson's dump flags, malloc'd; NULL
 * when b counted a failure or the dump ran out of memory. */
char *sf_nmsg_dump(sf_jb *b, json_t *o, size_t flags);
/* A Slack block {"type": type, "text": {"type": ttype, "text": text}}. */
json_t *sf_nmsg_slack_block(sf_jb *b, const char *type, const char *ttype,
                            const char *text);
/* An Adaptive Card TextBlock (heading: medium and bold). */
json_t *sf_nmsg_text_block(sf_jb *b, const char *text, int heading);
/* A Teams message with one Adaptive Card (1.4) of body (stolen). */
json_t *sf_nmsg_card(sf_jb *b, json_t *body);

/* The id of n strings (32 hex digits of their SHA-256). */
void sf_nmsg_hash(const char *const *parts, size_t n, char out[SF_NOTIFY_ID_LEN]);
/* s escaped for Slack mrkdwn (&, <, >; backticks become quotes) onto b. */
void sf_nmsg_mrk(sf_buf *b, const char *s);

/* The image x advisory marker id of a GitHub issue. */
void sf_nmsg_issue_id(const char *digest, const char *advisory, char out[SF_NOTIFY_ID_LEN]);
/* The hidden marker line "<!-- scanfarm:issue:<id> -->" into out. */
void sf_nmsg_marker(const char *id, char *out, size_t n);
/* Body of POST /repos/{owner}/{repo}/issues for finding f of delta d
 * ({"title","body","labels":[label]}), malloc'd. */
char *sf_nmsg_issue_create(const sf_ndelta *d, json_t *f, const char *label, const char *id);
/* {"body": text} for a comment, malloc'd. */
char *sf_nmsg_issue_comment(const sf_ndelta *d, json_t *f, int reopened_or_closed);

/* The DLQ entry of a failed notification (payload: the body that could
 * not be delivered, or NULL), malloc'd. */
char *sf_nmsg_dlq(const char *sink, const char *event_id, const char *digest, int code,
                  const char *reason, const char *payload, const char *at);

#endif
