/* Unit tests of aggregator/notify's bodies under allocation failure: every
 * body the notifier sends (webhook, Slack, Teams, GitHub issue and
 * comment, DLQ entry, digest, first-scan delta) is either the whole body
 * or NULL (an error the delivery retries), never a body with a finding or
 * a member left out. The sweep fails jansson's k-th allocation for every
 * k (tests/support: sf_t_json_oom_sweep) and checks each body built
 * against the one built with no failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notify_int.h"
#include "notify_msg.h"
#include "notify_rules.h"
#include "testutil.h"

#define DELTA                                                                                   \
    "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"                                \
    "3ab3000000000000000000000000000000000000000000000000000000000000\",\"refs\":["            \
    "\"reg.io/team/api:1\",\"reg.io/team/api:latest\"],\"db_version\":\"v2\",\"run_id\":"      \
    "\"r1\",\"added\":[{\"id\":\"CVE-1\",\"aliases\":[\"GHSA-x\"],\"package\":\"a<b>&c\","      \
    "\"installed\":\"1\",\"fixed\":\"2\",\"severity\":\"CRITICAL\",\"cvss\":9.8,\"kev\":{"     \
    "\"date_added\":\"2026-01-01\"},\"epss\":{\"score\":0.25}},{\"id\":\"CVE-2\",\"package\":"  \
    "\"zlib\",\"installed\":\"1.2\",\"severity\":\"HIGH\"}],\"removed\":[]}"

typedef struct fixture {
    sf_ndelta d;
    json_t *f[2];
    sf_nevent ev;
} fixture;

static void fixture_init(fixture *x)
{
    sf_error e = SF_ERROR_INIT;
    memset(x, 0, sizeof *x);
    assert_int_equal(sf_ndelta_decode(&x->d, DELTA, strlen(DELTA), &e), SF_OK);
    x->f[0] = json_array_get(x->d.added, 0);
    x->f[1] = json_array_get(x->d.added, 1);
    sf_nevent ev = {&x->d, "hook", 0, x->f, 2, {"crit", "all"}, 2, {0}};
    x->ev = ev;
    sf_nevent_id(&x->ev);
}

/* One body builder, and the body it gives with no allocation failing. */
typedef struct job {
    char *(*build)(struct job *j);
    fixture *x;
    const sf_nsink *sink;
    const sf_nrule *rule;
    json_t *items;
    const char *want;
} job;

static int build_once(void *ctx)
{
    job *j = ctx;
    char *s = j->build(j);
    if (!s)
        return SF_ENOMEM;
    /* a body built is the whole body: byte for byte the one built freely */
    if (strcmp(s, j->want) != 0)
        fail_msg("a body built while an allocation failed differs:\n%s\nwant\n%s", s, j->want);
    free(s);
    return SF_OK;
}

/* Sweep j's builder; more than min allocation points must be covered. */
static void sweep(job *j, size_t min)
{
    char *want = j->build(j);
    assert_non_null(want);
    j->want = want;
    size_t n = sf_t_json_oom_sweep(build_once, j);
    if (n <= min)
        fail_msg("only %zu allocation points swept (want more than %zu)", n, min);
    free(want);
}

static char *b_webhook(job *j) { return sf_nmsg_webhook(&j->x->ev); }
static char *b_slack(job *j) { return sf_nmsg_slack(&j->x->ev); }
static char *b_teams(job *j) { return sf_nmsg_teams(&j->x->ev); }
static char *b_issue(job *j)
{
    return sf_nmsg_issue_create(&j->x->d, j->x->f[0], "scanfarm", "0123456789abcdef");
}
static char *b_comment(job *j) { return sf_nmsg_issue_comment(&j->x->d, j->x->f[0], 0); }
static char *b_dlq(job *j)
{
    /* the payload is parsed back into the entry: its loading swept too */
    return sf_nmsg_dlq("hook", j->x->ev.id, j->x->d.digest, SF_ENET, "HTTP 500",
                       "{\"a\":[1,2,{\"b\":\"c\"}]}", "2026-01-01T00:00:00Z");
}
static char *b_digest(job *j) { return sf_ndigest_body(j->sink, j->rule, "d1", j->items); }
/* The result is parsed outside the sweep: jansson 2.14's lexer writes
 * past its buffer when growing it fails (valgrind), its own bug. */
static char *b_first(job *j)
{
    char *out = NULL;
    return sf_nfirst_delta(j->items, &out) == SF_OK ? out : NULL;
}

static void test_notify_oom__event_bodies(void **state)
{
    (void)state;
    fixture x;
    fixture_init(&x);
    char *(*const builders[])(job *) = {b_webhook, b_slack, b_teams, b_issue, b_comment, b_dlq};
    for (size_t i = 0; i < sizeof builders / sizeof builders[0]; i++) {
        job j = {builders[i], &x, NULL, NULL, NULL, NULL};
        sweep(&j, 3);
    }
    json_t *res = json_loads("{\"schema\":\"scanfarm.result/v1\",\"digest\":\"sha256:ab\","
                             "\"refs\":[\"r:1\"],\"run_id\":\"x\",\"db_version\":\"v1\","
                             "\"vulnerabilities\":[{\"id\":\"CVE-1\"}]}",
                             0, NULL);
    assert_non_null(res);
    job f = {b_first, &x, NULL, NULL, res, NULL};
    sweep(&f, 3);
    json_decref(res);
    sf_ndelta_clear(&x.d);
}

static void test_notify_oom__digest_bodies(void **state)
{
    (void)state;
    fixture x;
    fixture_init(&x);
    /* the digest's items are webhook bodies as the queue stores them */
    char *w = sf_nmsg_webhook(&x.ev);
    json_t *items = json_array();
    for (int i = 0; i < 3; i++)
        json_array_append_new(items, json_loads(w, 0, NULL));
    free(w);
    assert_int_equal(json_array_size(items), 3);
    sf_nrule r = {0};
    r.name = "daily";
    r.digest_minutes = 60;
    const sf_nsink_type types[] = {SF_NSINK_WEBHOOK, SF_NSINK_SLACK, SF_NSINK_TEAMS};
    for (size_t i = 0; i < 3; i++) {
        sf_nsink s = {0};
        s.name = "chat";
        s.type = types[i];
        job j = {b_digest, &x, &s, &r, items, NULL};
        sweep(&j, 8);
    }
    json_decref(items);
    sf_ndelta_clear(&x.d);
}

/* A Slack section's text is cut at the cap inside a multi-byte character
 * (bytes from the delta, escaped one at a time): the message is still
 * built, the cut character replaced, rather than failing as if out of
 * memory (it used to be dead-lettered). */
static void test_notify_oom__cut_text_is_not_out_of_memory(void **state)
{
    (void)state;
    /* with 0 or 1 byte before them, the cap falls inside a character once */
    for (int pad = 0; pad < 2; pad++) {
        sf_buf doc;
        sf_buf_init(&doc, 0);
        sf_buf_puts(&doc, "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"
                          "3ab3000000000000000000000000000000000000000000000000000000000000\","
                          "\"refs\":[\"");
        sf_buf_puts(&doc, pad ? "x" : "");
        for (int i = 0; i < 2000; i++)
            sf_buf_puts(&doc, "\xc3\xa9"); /* U+00E9, two bytes */
        sf_buf_puts(&doc, "\"],\"added\":[{\"id\":\"CVE-1\"}],\"removed\":[]}");
        sf_ndelta d;
        sf_error e = SF_ERROR_INIT;
        assert_int_equal(sf_ndelta_decode(&d, doc.data, doc.len, &e), SF_OK);
        json_t *f[1] = {json_array_get(d.added, 0)};
        sf_nevent ev = {&d, "chat", 0, f, 1, {"all"}, 1, {0}};
        sf_nevent_id(&ev);
        char *s = sf_nmsg_slack(&ev);
        assert_non_null(s);
        json_t *o = json_loads(s, 0, NULL);
        assert_non_null(o);
        json_decref(o);
        free(s);
        sf_ndelta_clear(&d);
        sf_buf_free(&doc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_oom__event_bodies),
        cmocka_unit_test(test_notify_oom__digest_bodies),
        cmocka_unit_test(test_notify_oom__cut_text_is_not_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
