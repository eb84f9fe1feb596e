/*
 * notify_ado: one Azure DevOps work item per image x advisory, over the
 * Work Item Tracking REST API (api-version 7.1), with the same
 * open/close semantics as the GitHub issues (notify_github.c):
 *
 *   find    POST  {org}/{project}/_apis/wit/wiql     {"query": "SELECT [System.Id] ...
 *                 WHERE [System.Tags] CONTAINS 'scanfarm-<id>'"}
 *           GET   {org}/{project}/_apis/wit/workitems/{id}?fields=System.State
 *   create  POST  {org}/{project}/_apis/wit/workitems/${type}   (JSON Patch:
 *                 System.Title, System.Description, System.Tags)
 *   close / reopen
 *           PATCH {org}/{project}/_apis/wit/workitems/{id}      (JSON Patch:
 *                 System.State, System.History = the comment)
 *
 * Bodies of create and update are JSON Patch documents
 * (Content-Type: application/json-patch+json). The item is found again
 * by its tag `<label>-<id>` (WIQL reads the work item store itself, so an
 * item created a moment ago is found), the number cached in Redis like
 * the GitHub issue number. Auth: Basic with an empty user and the PAT.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cache/keys.h"
#include "notify_int.h"
#include "registry/http.h"

#define ADO_API "api-version=7.1"
#define ADO_RESP_BYTES (4u << 20)

static int ado_req(sf_notify *n, const sf_nsink *s, const char *method, const char *path,
                   const char *ctype, const char *body, sf_buf *out, sf_error *err)
{
    char proj[256], url[2048], cred[SF_LIM_NOTIFY_SECRET_BYTES + 2];
    char authz[(SF_LIM_NOTIFY_SECRET_BYTES + 2) * 4 / 3 + 16], ct[96];
    if (sf_http_query_escape(s->repo, proj, sizeof proj) != SF_OK)
        return sf_error_set(err, SF_ECONFIG, "azure-devops project name too long");
    snprintf(url, sizeof url, "%s/%s/_apis/wit/%s", s->api, proj, path);
    int cl = snprintf(cred, sizeof cred, ":%s", s->token);
    memcpy(authz, "Basic ", 6);
    EVP_EncodeBlock((unsigned char *)authz + 6, (const unsigned char *)cred, cl);
    snprintf(ct, sizeof ct, "Content-Type: %s", ctype ? ctype : "application/json");
    const char *hdrs[] = {"Accept: application/json", ct, "Expect:", NULL};
    sf_nreq r = {method, url, url, hdrs, authz, body, out};
    long st;
    int att;
    int rc = sf_nsend_do(n->o.send, &r, &st, &att, err);
    explicit_bzero(cred, sizeof cred);
    explicit_bzero(authz, sizeof authz);
    return rc;
}

static json_t *load(const sf_buf *b) { return b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL; }

/* State of item id: *open = 1 unless it is in the closed state. */
static int ado_state(sf_notify *n, const sf_nsink *s, long id, long *found, int *open,
                     sf_error *err)
{
    char path[96];
    sf_buf b;
    sf_buf_init(&b, ADO_RESP_BYTES);
    snprintf(path, sizeof path, "workitems/%ld?fields=System.State&" ADO_API, id);
    sf_error ge = SF_ERROR_INIT;
    int rc = ado_req(n, s, "GET", path, NULL, NULL, &b, &ge);
    json_t *o = rc == SF_OK ? load(&b) : NULL;
    const char *st = json_string_value(json_object_get(json_object_get(o, "fields"), "System.State"));
    *found = rc == SF_OK ? id : 0;
    *open = !st || strcmp(st, s->closed_state) != 0;
    json_decref(o);
    sf_buf_free(&b);
    if (rc == SF_ENOTFOUND)
        return SF_OK; /* deleted: look again by tag */
    return rc ? sf_error_set(err, rc, "%s", ge.msg) : SF_OK;
}

static int ado_wiql(sf_notify *n, const sf_nsink *s, const char *tag, long *found, sf_error *err)
{
    char q[512];
    /* tag is [A-Za-z0-9_.-] plus hex: nothing to escape in WIQL or JSON */
    snprintf(q, sizeof q,
             "{\"query\":\"SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = "
             "@project AND [System.Tags] CONTAINS '%s'\"}",
             tag);
    sf_buf b;
    sf_buf_init(&b, ADO_RESP_BYTES);
    int rc = ado_req(n, s, "POST", "wiql?" ADO_API, NULL, q, &b, err);
    json_t *o = rc == SF_OK ? load(&b) : NULL;
    json_t *id = json_object_get(json_array_get(json_object_get(o, "workItems"), 0), "id");
    *found = json_is_integer(id) ? (long)json_integer_value(id) : 0;
    json_decref(o);
    sf_buf_free(&b);
    return rc;
}

/* Push {"op":"add","path":"/fields/<field>","value":value} onto ops. */
static void patch_op(sf_jb *b, json_t *ops, const char *field, const char *value)
{
    char path[96];
    snprintf(path, sizeof path, "/fields/%s", field);
    json_t *o = sf_jb_new(b, json_object());
    sf_jb_set(b, o, "op", sf_jutil_str("add"));
    sf_jb_set(b, o, "path", sf_jutil_str(path));
    sf_jb_set(b, o, "value", sf_jutil_str(value));
    sf_jb_push(b, ops, o);
}

/* HTML for System.Description / System.History: the Markdown text of the
 * GitHub body, escaped and kept as preformatted lines. */
static char *html_of(const char *md)
{
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, "<pre>");
    for (const char *p = md; p && *p; p++) {
        if (*p == '<')
            sf_buf_puts(&b, "&lt;");
        else if (*p == '>')
            sf_buf_puts(&b, "&gt;");
        else if (*p == '&')
            sf_buf_puts(&b, "&amp;");
        else
            sf_buf_append(&b, p, 1);
    }
    sf_buf_puts(&b, "</pre>");
    return sf_buf_steal(&b, NULL);
}

static int ado_create(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f,
                      const char *id, const char *tag, sf_error *err)
{
    /* Title and text as for GitHub (one source of the wording). */
    char *gh = sf_nmsg_issue_create(d, f, s->label, id), *desc = NULL, *body = NULL, tags[160];
    sf_jb jb = {0};
    json_t *g = sf_jb_new(&jb, gh ? json_loads(gh, 0, NULL) : NULL);
    snprintf(tags, sizeof tags, "%s; %s", s->label, tag);
    desc = html_of(json_string_value(json_object_get(g, "body")));
    const char *title = json_string_value(json_object_get(g, "title"));
    json_t *ops = sf_jb_new(&jb, json_array());
    if (!desc)
        sf_jb_new(&jb, NULL);
    patch_op(&jb, ops, "System.Title", title ? title : "scanfarm finding");
    patch_op(&jb, ops, "System.Description", desc ? desc : "");
    patch_op(&jb, ops, "System.Tags", tags);
    body = sf_nmsg_dump(&jb, ops, JSON_COMPACT);
    json_decref(g);
    free(gh);
    free(desc);
    char type[128], path[256];
    sf_http_query_escape(s->wi_type, type, sizeof type);
    snprintf(path, sizeof path, "workitems/$%s?" ADO_API, type);
    sf_buf b;
    sf_buf_init(&b, ADO_RESP_BYTES);
    int rc = body ? ado_req(n, s, "POST", path, "application/json-patch+json", body, &b, err)
                  : sf_error_set(err, SF_ENOMEM, "out of memory");
    free(body);
    json_t *o = rc == SF_OK ? load(&b) : NULL;
    json_t *num = json_object_get(o, "id");
    long wid = json_is_integer(num) ? (long)json_integer_value(num) : 0;
    json_decref(o);
    sf_buf_free(&b);
    if (rc != SF_OK || sf_nsend_dry(n->o.send))
        return rc;
    const char *h = getenv("SCANFARM_NOTIFY_TEST_CRASH"); /* see notify_github.c */
    if (h && !strcmp(h, "ado-create")) {
        fprintf(stderr, "scanfarm-notify: test crash after an Azure DevOps create\n");
        _exit(70);
    }
    if (!wid)
        return sf_error_set(err, SF_EPARSE, "azure-devops: create answered without an id");
    return sf_notify_issue_put(n, s->name, id, wid, err);
}

static int ado_transition(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f,
                          long wid, int closing, sf_error *err)
{
    char *c = sf_nmsg_issue_comment(d, f, closing), path[96];
    sf_jb b = {0};
    json_t *cj = sf_jb_new(&b, c ? json_loads(c, 0, NULL) : NULL);
    char *hist = html_of(json_string_value(json_object_get(cj, "body")));
    json_t *ops = sf_jb_new(&b, json_array());
    if (!hist)
        sf_jb_new(&b, NULL);
    patch_op(&b, ops, "System.State", closing ? s->closed_state : s->open_state);
    patch_op(&b, ops, "System.History", hist ? hist : "");
    char *body = sf_nmsg_dump(&b, ops, JSON_COMPACT);
    json_decref(cj);
    free(c);
    free(hist);
    snprintf(path, sizeof path, "workitems/%ld?" ADO_API, wid);
    int rc = body ? ado_req(n, s, "PATCH", path, "application/json-patch+json", body, NULL, err)
                  : sf_error_set(err, SF_ENOMEM, "out of memory");
    free(body);
    return rc;
}

int sf_notify_ado(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f, int removed,
                  sf_error *err)
{
    char id[SF_NOTIFY_ID_LEN], tag[128];
    const char *adv = json_string_value(json_object_get(f, "id"));
    sf_nmsg_issue_id(d->digest, adv, id);
    snprintf(tag, sizeof tag, "%s-%s", s->label, id);
    if (sf_nsend_dry(n->o.send))
        return removed ? SF_OK : ado_create(n, s, d, f, id, tag, err);
    long cached = 0, wid = 0;
    int open = 1, rc = sf_notify_issue_get(n, s->name, id, &cached, err);
    if (rc == SF_OK && cached)
        rc = ado_state(n, s, cached, &wid, &open, err);
    if (rc == SF_OK && !wid && (rc = ado_wiql(n, s, tag, &wid, err)) == SF_OK && wid) {
        long again = 0;
        if ((rc = ado_state(n, s, wid, &again, &open, err)) == SF_OK)
            rc = sf_notify_issue_put(n, s->name, id, wid, err);
    }
    if (rc != SF_OK)
        return rc;
    if (!removed && !wid)
        return ado_create(n, s, d, f, id, tag, err);
    if (!wid || open == !removed)
        return SF_OK;
    SF_INFO("notify", "azure-devops|sink=%s item=%ld action=%s digest=%s advisory=%s", s->name,
            wid, removed ? "close" : "reopen", d->digest, adv);
    return ado_transition(n, s, d, f, wid, removed, err);
}
