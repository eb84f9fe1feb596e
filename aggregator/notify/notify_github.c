/*
 * notify_github: one GitHub issue per image x advisory, over the REST API
 * (v3, "application/vnd.github+json", API version 2022-11-28):
 *
 *   create   POST  /repos/{owner}/{repo}/issues            {title, body, labels}
 *   comment  POST  /repos/{owner}/{repo}/issues/{n}/comments {body}
 *   close    PATCH /repos/{owner}/{repo}/issues/{n}        {state: closed,
 *                                                          state_reason: completed}
 *   reopen   PATCH /repos/{owner}/{repo}/issues/{n}        {state: open,
 *                                                          state_reason: reopened}
 *   find     GET   /repos/{owner}/{repo}/issues?labels=L&state=all&per_page=100&page=P
 *
 * An issue is found again by the hidden marker in its body
 * ("<!-- scanfarm:issue:<id> -->"): first through the number cached in
 * Redis (`<prefix>:notify:issue:<sink>:<id>`, written right after the
 * create), else by listing the sink's label and reading the bodies. The
 * listing, not the search API, is the source of truth: search is indexed
 * asynchronously, so an issue created a second earlier may not be found
 * by it, and a crash between the create and the Redis write must still
 * not lead to a second issue.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cache/keys.h"
#include "notify_int.h"
#include "registry/http.h"

/* Pages of 100 issues read when looking for a marker: 2,000 issues under
 * one label is more than a team keeps open; past it we would rather fail
 * (and retry later) than create a duplicate. */
#define GH_MAX_PAGES 20
/* A response page of issues (100 bodies of up to 64 KiB each is the
 * theoretical top; real pages are well under 1 MiB). */
#define GH_PAGE_BYTES (8u << 20)

static const char *const gh_headers[] = {"Accept: application/vnd.github+json",
                                         "X-GitHub-Api-Version: 2022-11-28",
                                         "Content-Type: application/json", "Expect:", NULL};

typedef struct gh_issue {
    long number; /* 0 = none */
    int open;
} gh_issue;

static int gh_req(sf_notify *n, const sf_nsink *s, const char *method, const char *path,
                  const char *body, sf_buf *out, sf_error *err)
{
    char url[2048], authz[SF_LIM_NOTIFY_SECRET_BYTES + 16];
    long st;
    int att;
    snprintf(url, sizeof url, "%s/repos/%s%s", s->api, s->repo, path);
    snprintf(authz, sizeof authz, "Bearer %s", s->token);
    sf_nreq r = {method, url, url, gh_headers, authz, body, out};
    int rc = sf_nsend_do(n->o.send, &r, &st, &att, err);
    explicit_bzero(authz, sizeof authz);
    return rc;
}

/* Number and state of an issue object; 0 when it is not one. */
static void issue_of(json_t *o, gh_issue *is)
{
    json_t *num = json_object_get(o, "number");
    is->number = json_is_integer(num) ? (long)json_integer_value(num) : 0;
    const char *st = json_string_value(json_object_get(o, "state"));
    is->open = !st || strcmp(st, "closed") != 0;
}

static int gh_get(sf_notify *n, const sf_nsink *s, long num, gh_issue *is, sf_error *err)
{
    char path[64];
    sf_buf b;
    sf_buf_init(&b, GH_PAGE_BYTES);
    snprintf(path, sizeof path, "/issues/%ld", num);
    sf_error ge = SF_ERROR_INIT; /* a 404 is an answer, not this call's error */
    int rc = gh_req(n, s, "GET", path, NULL, &b, &ge);
    json_t *o = rc == SF_OK && b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    if (o)
        issue_of(o, is);
    json_decref(o);
    sf_buf_free(&b);
    if (rc == SF_ENOTFOUND) { /* deleted by a human: look again by marker */
        is->number = 0;
        return SF_OK;
    }
    return rc ? sf_error_set(err, rc, "%s", ge.msg) : SF_OK;
}

/* 1 when body holds marker on a line of its own. Text from image data
 * sits in code spans with newlines removed (notify_msg.c), so a package
 * named like another issue's marker cannot make that issue found here. */
static int has_marker(const char *body, const char *marker)
{
    size_t n = strlen(marker);
    for (const char *p = body; (p = strstr(p, marker)) != NULL; p += n) {
        int starts = p == body || p[-1] == '\n';
        int ends = p[n] == '\0' || p[n] == '\n' || p[n] == '\r';
        if (starts && ends)
            return 1;
    }
    return 0;
}

/* Scan one listing page for the marker; *count = issues on the page. */
static void page_find(const sf_buf *b, const char *marker, gh_issue *is, size_t *count)
{
    json_t *a = b->data ? json_loadb(b->data, b->len, 0, NULL) : NULL, *x;
    size_t i;
    *count = json_is_array(a) ? json_array_size(a) : 0;
    json_array_foreach(a, i, x) {
        const char *body = json_string_value(json_object_get(x, "body"));
        if (!json_object_get(x, "pull_request") && body && has_marker(body, marker)) {
            issue_of(x, is);
            break;
        }
    }
    json_decref(a);
}

static int gh_list_find(sf_notify *n, const sf_nsink *s, const char *marker, gh_issue *is,
                        sf_error *err)
{
    char lab[256], path[512];
    if (sf_http_query_escape(s->label, lab, sizeof lab) != SF_OK)
        return sf_error_set(err, SF_ECONFIG, "github label too long");
    sf_buf b;
    sf_buf_init(&b, GH_PAGE_BYTES);
    int rc = SF_OK;
    for (int page = 1; page <= GH_MAX_PAGES; page++) {
        size_t count = 0;
        snprintf(path, sizeof path, "/issues?labels=%s&state=all&per_page=100&page=%d", lab, page);
        if ((rc = gh_req(n, s, "GET", path, NULL, &b, err)) != SF_OK)
            break;
        page_find(&b, marker, is, &count);
        if (is->number || count < 100)
            break;
        if (page == GH_MAX_PAGES)
            rc = sf_error_set(err, SF_ELIMIT, "github: more than %d issues labelled %s",
                              GH_MAX_PAGES * 100, s->label);
    }
    sf_buf_free(&b);
    return rc;
}

static int gh_find(sf_notify *n, const sf_nsink *s, const char *id, gh_issue *is, sf_error *err)
{
    char marker[96];
    long num = 0;
    is->number = 0;
    int rc = sf_notify_issue_get(n, s->name, id, &num, err);
    if (rc == SF_OK && num > 0)
        rc = gh_get(n, s, num, is, err);
    if (rc != SF_OK || is->number)
        return rc;
    sf_nmsg_marker(id, marker, sizeof marker);
    rc = gh_list_find(n, s, marker, is, err);
    if (rc == SF_OK && is->number)
        rc = sf_notify_issue_put(n, s->name, id, is->number, err);
    return rc;
}

/* Test hook (tests/integration/test_notify.sh): die right after GitHub
 * acknowledged a create, before anything is remembered or committed. */
static void crash_hook(void)
{
    const char *h = getenv("SCANFARM_NOTIFY_TEST_CRASH");
    if (h && !strcmp(h, "github-create")) {
        fprintf(stderr, "scanfarm-notify: test crash after a GitHub create\n");
        _exit(70);
    }
}

static int gh_create(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f,
                     const char *id, sf_error *err)
{
    char *body = sf_nmsg_issue_create(d, f, s->label, id);
    sf_buf b;
    sf_buf_init(&b, GH_PAGE_BYTES);
    int rc = body ? gh_req(n, s, "POST", "/issues", body, &b, err) : SF_ENOMEM;
    free(body);
    gh_issue is = {0, 1};
    json_t *o = rc == SF_OK && b.data ? json_loadb(b.data, b.len, 0, NULL) : NULL;
    if (o)
        issue_of(o, &is);
    json_decref(o);
    sf_buf_free(&b);
    if (rc != SF_OK)
        return rc;
    if (sf_nsend_dry(n->o.send))
        return SF_OK;
    crash_hook();
    if (!is.number)
        return sf_error_set(err, SF_EPARSE, "github: create answered without an issue number");
    return sf_notify_issue_put(n, s->name, id, is.number, err);
}

/* Comment, then PATCH the state. */
static int gh_transition(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f,
                         long num, int closing, sf_error *err)
{
    char path[64];
    char *c = sf_nmsg_issue_comment(d, f, closing);
    snprintf(path, sizeof path, "/issues/%ld/comments", num);
    int rc = c ? gh_req(n, s, "POST", path, c, NULL, err) : SF_ENOMEM;
    free(c);
    if (rc != SF_OK)
        return rc;
    snprintf(path, sizeof path, "/issues/%ld", num);
    return gh_req(n, s, "PATCH", path,
                  closing ? "{\"state\":\"closed\",\"state_reason\":\"completed\"}"
                          : "{\"state\":\"open\",\"state_reason\":\"reopened\"}",
                  NULL, err);
}

int sf_notify_github(sf_notify *n, const sf_nsink *s, const sf_ndelta *d, json_t *f, int removed,
                     sf_error *err)
{
    char id[SF_NOTIFY_ID_LEN];
    const char *adv = json_string_value(json_object_get(f, "id"));
    sf_nmsg_issue_id(d->digest, adv, id);
    if (sf_nsend_dry(n->o.send)) /* nothing to look up: show the create or the close */
        return removed ? SF_OK : gh_create(n, s, d, f, id, err);
    gh_issue is = {0, 0};
    int rc = gh_find(n, s, id, &is, err);
    if (rc != SF_OK)
        return rc;
    if (!removed && !is.number)
        return gh_create(n, s, d, f, id, err);
    if (!is.number || is.open == !removed)
        return SF_OK; /* already in the wanted state */
    SF_INFO("notify", "github|sink=%s issue=%ld action=%s digest=%s advisory=%s", s->name,
            is.number, removed ? "close" : "reopen", d->digest, adv);
    return gh_transition(n, s, d, f, is.number, removed, err);
}
