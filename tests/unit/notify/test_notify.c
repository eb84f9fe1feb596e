/* Unit tests of scanfarm-notify's pure parts: the policy parser and its
 * matching (aggregator/notify/notify_rules), delta decoding and the sink bodies
 * (notify_msg), and the option table (notify_cfg) with its generated doc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/buf.h"
#include "notify_cfg.h"
#include "notify_msg.h"
#include "notify_rules.h"
#include "testutil.h"

static const char *fake_env(const char *n)
{
    if (!strcmp(n, "HOOK_URL"))
        return "https://hooks.example/h";
    if (!strcmp(n, "HOOK_KEY"))
        return "k3y";
    if (!strcmp(n, "GH_TOKEN"))
        return "ghp_secret";
    return NULL;
}

#define SINKS                                                                                   \
    "\"sinks\":{\"hook\":{\"type\":\"webhook\",\"url_env\":\"HOOK_URL\",\"secret_env\":"      \
    "\"HOOK_KEY\"},\"gh\":{\"type\":\"github\",\"repo\":\"acme/app\",\"token_env\":"          \
    "\"GH_TOKEN\"}}"

static sf_nrules *parse_ok(const char *doc)
{
    sf_nrules *r = NULL;
    sf_error e = SF_ERROR_INIT;
    int rc = sf_nrules_parse(&r, doc, strlen(doc), fake_env, &e);
    if (rc != SF_OK)
        fail_msg("parse failed: %s", e.msg);
    return r;
}

static void test_notify_rules__parse_and_match(void **state)
{
    (void)state;
    sf_nrules *r = parse_ok("{" SINKS ",\"rules\":[{\"name\":\"crit\",\"severity\":\"HIGH\","
                            "\"fixable\":true,\"kev\":true,\"epss_min\":0.5,\"registries\":"
                            "[\"reg.acme.io\"],\"repositories\":[\"payments/*\"],\"ecosystems\":"
                            "[\"Alpine:*\"],\"advisories\":[\"CVE-2026-*\"],\"sinks\":[\"gh\","
                            "\"hook\"],\"group\":\"image\"}]}");
    assert_int_equal(r->nsinks, 2);
    assert_string_equal(r->sinks[0].url, "https://hooks.example/h");
    assert_string_equal(r->sinks[0].secret, "k3y");
    assert_string_equal(r->sinks[1].api, "https://api.github.com");
    assert_string_equal(r->sinks[1].label, "scanfarm");
    const sf_nrule *u = &r->rules[0];
    assert_int_equal(u->nsinks, 2);
    assert_int_equal(u->sinks[0], 1);
    assert_int_equal(u->group, SF_NGROUP_IMAGE);
    sf_nfacts f = {"reg.acme.io", "payments/api", "Alpine:v3.19", "CVE-2026-0001", "CRITICAL",
                   1, 1, 0.9, -1};
    assert_true(sf_nrules_match(u, &f));
    sf_nfacts g = f;
    g.severity = "MEDIUM";
    assert_false(sf_nrules_match(u, &g));
    g = f, g.fixable = 0;
    assert_false(sf_nrules_match(u, &g));
    g = f, g.kev = 0;
    assert_false(sf_nrules_match(u, &g));
    g = f, g.epss = 0.49;
    assert_false(sf_nrules_match(u, &g));
    g = f, g.epss = -1; /* absent EPSS never passes a threshold */
    assert_false(sf_nrules_match(u, &g));
    g = f, g.registry = "docker.io";
    assert_false(sf_nrules_match(u, &g));
    g = f, g.repository = "billing/api";
    assert_false(sf_nrules_match(u, &g));
    g = f, g.ecosystem = "npm";
    assert_false(sf_nrules_match(u, &g));
    g = f, g.advisory = "GHSA-xxxx";
    assert_false(sf_nrules_match(u, &g));
    g = f, g.repository = "payments/team/deep"; /* '*' crosses '/' */
    assert_true(sf_nrules_match(u, &g));
    sf_nrules_free(r);
}

static void test_notify_rules__defaults_match_everything(void **state)
{
    (void)state;
    sf_nrules *r = parse_ok("{" SINKS ",\"rules\":[{\"sinks\":[\"hook\"]}]}");
    sf_nfacts f = {NULL, NULL, NULL, "X", "UNKNOWN", 0, 0, -1, -1};
    assert_true(sf_nrules_match(&r->rules[0], &f));
    assert_string_equal(r->rules[0].name, "rule-0");
    assert_int_equal(r->rules[0].group, SF_NGROUP_FINDING);
    sf_nrules_free(r);
}

static void test_notify_rules__yaml_equals_json(void **state)
{
    (void)state;
#ifdef SF_HAVE_YAML
    const char *y = "sinks:\n  hook:\n    type: webhook\n    url_env: HOOK_URL\n"
                    "rules:\n  - severity: CRITICAL\n    fixable: \"true\"\n"
                    "    epss_min: \"0.25\"\n    sinks: [hook]\n";
    sf_nrules *r = parse_ok(y);
    assert_int_equal(r->rules[0].min_sev, 4);
    assert_int_equal(r->rules[0].fixable, 1);
    assert_true(r->rules[0].epss_min > 0.24 && r->rules[0].epss_min < 0.26);
    sf_nrules_free(r);
#else
    skip();
#endif
}

static void test_notify_rules__secret_from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/sf-notify-secret-XXXXXX";
    assert_int_equal(sf_t_write_temp(path, "https://hooks.example/x\n"), 0);
    char doc[512];
    snprintf(doc, sizeof doc,
             "{\"sinks\":{\"s\":{\"type\":\"slack\",\"url_file\":\"%s\"}},\"rules\":[{\"sinks\":"
             "[\"s\"]}]}",
             path);
    sf_nrules *r = parse_ok(doc);
    assert_string_equal(r->sinks[0].url, "https://hooks.example/x");
    sf_nrules_free(r);
    unlink(path);
}

/* Every bad policy: its code and a word of its message. */
static void test_notify_rules__bad_input(void **state)
{
    (void)state;
    static const struct {
        const char *doc;
        int code;
        const char *says;
    } cases[] = {
        {"", SF_ECONFIG, ""},
        {"[1,2]", SF_ECONFIG, "policy"},
        {"{\"sinks\":{},\"rules\":[]}", SF_ECONFIG, "sinks"},
        {"{" SINKS "}", SF_ECONFIG, "rules"},
        {"{" SINKS ",\"rules\":[{\"sinks\":[\"nope\"]}]}", SF_ECONFIG, "no sink named"},
        {"{" SINKS ",\"rules\":[{\"sinks\":[\"hook\",\"hook\"]}]}", SF_ECONFIG, "twice"},
        {"{" SINKS ",\"rules\":[{\"sinks\":[]}]}", SF_ECONFIG, "sinks"},
        {"{" SINKS ",\"rules\":[{\"severty\":\"HIGH\",\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "unknown key"},
        {"{" SINKS ",\"rules\":[{\"severity\":\"SEVERE\",\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "severity"},
        {"{" SINKS ",\"rules\":[{\"fixable\":\"yes\",\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "true or false"},
        {"{" SINKS ",\"rules\":[{\"epss_min\":1.5,\"sinks\":[\"hook\"]}]}", SF_ECONFIG, "epss"},
        {"{" SINKS ",\"rules\":[{\"group\":\"daily\",\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "group"},
        {"{" SINKS ",\"rules\":[{\"digest_minutes\":5,\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "with group: digest"},
        {"{" SINKS ",\"rules\":[{\"group\":\"digest\",\"digest_minutes\":0,\"sinks\":["
         "\"hook\"]}]}",
         SF_ECONFIG, "digest_minutes"},
        {"{" SINKS ",\"rules\":[{\"group\":\"digest\",\"digest_minutes\":\"x\",\"sinks\":["
         "\"hook\"]}]}",
         SF_ECONFIG, "digest_minutes"},
        {"{" SINKS ",\"rules\":[{\"running\":\"maybe\",\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "true or false"},
        {"{" SINKS ",\"rules\":[{\"registries\":\"x\",\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "globs"},
        {"{" SINKS ",\"rules\":[{\"advisories\":[\"\"],\"sinks\":[\"hook\"]}]}", SF_ECONFIG,
         "non-empty"},
        {"{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url\":\"https://x\"}},\"rules\":[{\"sinks\":"
         "[\"h\"]}]}",
         SF_ECONFIG, "not accepted literally"},
        {"{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url_env\":\"UNSET\"}},\"rules\":[{\"sinks\":"
         "[\"h\"]}]}",
         SF_ECONFIG, "not set"},
        {"{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url_env\":\"GH_TOKEN\"}},\"rules\":[{"
         "\"sinks\":[\"h\"]}]}",
         SF_ECONFIG, "http(s) URL"},
        {"{\"sinks\":{\"h\":{\"type\":\"email\"}},\"rules\":[{\"sinks\":[\"h\"]}]}", SF_ECONFIG,
         "type"},
        {"{\"sinks\":{\"a:b\":{\"type\":\"slack\",\"url_env\":\"HOOK_URL\"}},\"rules\":[{"
         "\"sinks\":[\"a:b\"]}]}",
         SF_ECONFIG, "sink name"},
        {"{\"sinks\":{\"g\":{\"type\":\"github\",\"repo\":\"acme\",\"token_env\":\"GH_TOKEN\"}},"
         "\"rules\":[{\"sinks\":[\"g\"]}]}",
         SF_ECONFIG, "owner/name"},
        {"{\"sinks\":{\"g\":{\"type\":\"github\",\"repo\":\"a/b\"}},\"rules\":[{\"sinks\":[\"g\"]}]}",
         SF_ECONFIG, "token"},
        {"{\"sinks\":{\"g\":{\"type\":\"github\",\"repo\":\"a/b\",\"token_env\":\"GH_TOKEN\","
         "\"url_file\":\"/x\",\"url_env\":\"X\"}},\"rules\":[{\"sinks\":[\"g\"]}]}",
         SF_OK, ""},
        {"{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url_env\":\"A\",\"url_file\":\"/b\"}},"
         "\"rules\":[{\"sinks\":[\"h\"]}]}",
         SF_ECONFIG, "not both"},
        {"{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url_file\":\"/nonexistent/x\"}},\"rules\":[{"
         "\"sinks\":[\"h\"]}]}",
         SF_ECONFIG, "cannot open"},
        {"{\"rules\":[], \"rules\":[]}", SF_ECONFIG, "duplicate"},
        {"{\"sinks\":{\"a\":{\"type\":\"azure-devops\",\"project\":\"p\",\"token_env\":"
         "\"GH_TOKEN\"}},\"rules\":[{\"sinks\":[\"a\"]}]}",
         SF_ECONFIG, "dev.azure.com"},
        {"{\"sinks\":{\"a\":{\"type\":\"azure-devops\",\"api\":\"https://dev.azure.com/o\","
         "\"token_env\":\"GH_TOKEN\"}},\"rules\":[{\"sinks\":[\"a\"]}]}",
         SF_ECONFIG, "project"},
        {"{\"sinks\":{\"a\":{\"type\":\"azure-devops\",\"api\":\"https://dev.azure.com/o\","
         "\"project\":\"it's\",\"token_env\":\"GH_TOKEN\"}},\"rules\":[{\"sinks\":[\"a\"]}]}",
         SF_ECONFIG, "project"},
        {"{\"sinks\":{\"g\":{\"type\":\"github\",\"repo\":\"a/b\",\"label\":\"x y\","
         "\"token_env\":\"GH_TOKEN\"}},\"rules\":[{\"sinks\":[\"g\"]}]}",
         SF_ECONFIG, "label"},
        {"{\"sinks\":{\"h\":{\"type\":\"webhook\",\"url_env\":\"HOOK_URL\"}},\"rules\":[{"
         "\"sinks\":[\"h\"]}], \"extra\":1}",
         SF_ECONFIG, "unknown key"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sf_nrules *r = (sf_nrules *)1;
        sf_error e = SF_ERROR_INIT;
        int rc = sf_nrules_parse(&r, cases[i].doc, strlen(cases[i].doc), fake_env, &e);
        if (rc != cases[i].code || !strstr(e.msg, cases[i].says))
            fail_msg("case %zu: rc %d (%s), want %d with \"%s\"", i, rc, e.msg, cases[i].code,
                     cases[i].says);
        if (rc == SF_OK)
            sf_nrules_free(r);
        else
            assert_null(r);
        /* a secret never appears in an error message */
        assert_null(strstr(e.msg, "ghp_secret"));
        assert_null(strstr(e.msg, "hooks.example"));
    }
}

static void test_notify_rules__limits(void **state)
{
    (void)state;
    sf_buf b;
    sf_buf_init(&b, 0);
    sf_buf_puts(&b, "{" SINKS ",\"rules\":[");
    for (int i = 0; i <= SF_LIM_NOTIFY_RULES; i++)
        sf_buf_printf(&b, "%s{\"sinks\":[\"hook\"]}", i ? "," : "");
    sf_buf_puts(&b, "]}");
    sf_nrules *r = NULL;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_nrules_parse(&r, b.data, b.len, fake_env, &e), SF_ELIMIT);
    sf_buf_free(&b);
}

static void test_notify_rules__split_ref(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"127.0.0.1:5000/team/api:1.4", "127.0.0.1:5000", "team/api"},
        {"reg.io/app@sha256:abc", "reg.io", "app"},
        {"reg.io:443/a/b/c", "reg.io:443", "a/b/c"},
    };
    char reg[64], repo[64];
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(sf_nrules_split_ref(cases[i][0], reg, sizeof reg, repo, sizeof repo),
                         SF_OK);
        assert_string_equal(reg, cases[i][1]);
        assert_string_equal(repo, cases[i][2]);
    }
    assert_int_equal(sf_nrules_split_ref("noslash", reg, sizeof reg, repo, sizeof repo),
                     SF_EPARSE);
    assert_int_equal(sf_nrules_split_ref("/x", reg, sizeof reg, repo, sizeof repo), SF_EPARSE);
}

/* RFC 4231 test case 2: the HMAC-SHA256 is computed over exactly the body. */
static void test_notify_msg__signature(void **state)
{
    (void)state;
    char sig[72];
    const char *d = "what do ya want for nothing?";
    sf_nmsg_signature("Jefe", d, strlen(d), sig);
    assert_string_equal(sig,
                        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

#define DELTA                                                                                   \
    "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"                                \
    "3ab3000000000000000000000000000000000000000000000000000000000000\",\"refs\":["            \
    "\"reg.io/team/api:1\"],\"db_version\":\"v2\",\"added\":[{\"id\":\"CVE-1\",\"package\":"   \
    "\"a<b>&c\",\"installed\":\"1\",\"fixed\":\"2\",\"severity\":\"CRITICAL\",\"cvss\":9.8,"   \
    "\"kev\":{\"date_added\":\"2026-01-01\"}}],\"removed\":[]}"

static void test_notify_msg__bodies(void **state)
{
    (void)state;
    sf_ndelta d;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_ndelta_decode(&d, DELTA, strlen(DELTA), &e), SF_OK);
    json_t *f[1] = {json_array_get(d.added, 0)};
    sf_nevent ev = {&d, "hook", 0, f, 1, {"crit"}, 1, {0}};
    sf_nevent_id(&ev);
    char id1[SF_NOTIFY_ID_LEN];
    memcpy(id1, ev.id, sizeof id1);
    assert_int_equal(strlen(id1), 32);
    char *w1 = sf_nmsg_webhook(&ev), *w2 = sf_nmsg_webhook(&ev);
    assert_string_equal(w1, w2); /* deterministic: same body, same signature */
    json_t *o = json_loads(w1, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "schema")), "scanfarm.notification/v1");
    assert_string_equal(json_string_value(json_object_get(o, "event")), "findings.added");
    assert_string_equal(json_string_value(json_object_get(o, "id")), id1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "image"), "digest")),
                        d.digest);
    assert_int_equal(json_array_size(json_object_get(o, "findings")), 1);
    json_decref(o);
    ev.removed = 1;
    sf_nevent_id(&ev);
    assert_string_not_equal(ev.id, id1);
    char *s = sf_nmsg_slack(&ev);
    o = json_loads(s, 0, NULL);
    json_t *blocks = json_object_get(o, "blocks");
    assert_string_equal(json_string_value(json_object_get(json_array_get(blocks, 0), "type")),
                        "header");
    const char *line = json_string_value(
        json_object_get(json_object_get(json_array_get(blocks, 2), "text"), "text"));
    assert_non_null(strstr(line, "a&lt;b&gt;&amp;c")); /* mrkdwn control characters escaped */
    assert_non_null(strstr(line, "KEV"));
    assert_non_null(json_string_value(json_object_get(o, "text")));
    json_decref(o);
    char *t = sf_nmsg_teams(&ev);
    o = json_loads(t, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "type")), "message");
    json_t *att = json_array_get(json_object_get(o, "attachments"), 0);
    assert_string_equal(json_string_value(json_object_get(att, "contentType")),
                        "application/vnd.microsoft.card.adaptive");
    assert_true(json_is_null(json_object_get(att, "contentUrl")));
    json_t *card = json_object_get(att, "content");
    assert_string_equal(json_string_value(json_object_get(card, "type")), "AdaptiveCard");
    assert_string_equal(json_string_value(json_object_get(card, "version")), "1.4");
    json_t *cb = json_object_get(card, "body");
    assert_string_equal(json_string_value(json_object_get(json_array_get(cb, 1), "type")),
                        "FactSet");
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(cb, 2), "text")),
                           "CVE-1 CRITICAL (CVSS 9.8) KEV in a<b>&c 1, fixed in 2"));
    json_decref(o);
    free(t);
    char iid[SF_NOTIFY_ID_LEN], marker[96];
    sf_nmsg_issue_id(d.digest, "CVE-1", iid);
    sf_nmsg_marker(iid, marker, sizeof marker);
    char *ic = sf_nmsg_issue_create(&d, f[0], "scanfarm", iid);
    o = json_loads(ic, 0, NULL);
    const char *ib = json_string_value(json_object_get(o, "body"));
    assert_non_null(strstr(ib, marker));
    /* the marker sits on its own line, delta text inside code spans */
    char mline[128];
    snprintf(mline, sizeof mline, "\n%s\n", marker);
    assert_non_null(strstr(ib, mline));
    assert_non_null(strstr(ib, "| `a<b>&c` | `1` | `2` |"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(o, "labels"), 0)),
                        "scanfarm");
    assert_non_null(strstr(json_string_value(json_object_get(o, "title")), "CVE-1"));
    json_decref(o);
    free(ic);
    free(s);
    free(w1);
    free(w2);
    sf_ndelta_clear(&d);
}

static void test_notify_msg__hostile_text_in_issue(void **state)
{
    (void)state;
    const char *doc = "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"
                      "3ab3000000000000000000000000000000000000000000000000000000000000\","
                      "\"added\":[{\"id\":\"CVE-1\",\"package\":\"x`|@team\\n"
                      "<!-- scanfarm:issue:0 -->\"}]}";
    sf_ndelta d;
    sf_error e = SF_ERROR_INIT;
    assert_int_equal(sf_ndelta_decode(&d, doc, strlen(doc), &e), SF_OK);
    char *ic = sf_nmsg_issue_create(&d, json_array_get(d.added, 0), "l", "1");
    json_t *o = json_loads(ic, 0, NULL);
    const char *b = json_string_value(json_object_get(o, "body"));
    /* no way out of the code span, no new line, no forged marker line */
    assert_non_null(strstr(b, "`x''@team'<!-- scanfarm:issue:0 -->`"));
    assert_null(strstr(b, "\n<!-- scanfarm:issue:0 -->"));
    json_decref(o);
    free(ic);
    sf_ndelta_clear(&d);
}

static void test_notify_msg__bad_delta(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "[]", "{}", "{\"schema\":\"scanfarm.result/v1\"}",
        "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"nope\"}",
        "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"
        "3ab3000000000000000000000000000000000000000000000000000000000000\",\"refs\":[1]}",
        "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"
        "3ab3000000000000000000000000000000000000000000000000000000000000\",\"added\":[{}]}",
        "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"
        "3ab3000000000000000000000000000000000000000000000000000000000000\",\"removed\":{}}",
        "{\"schema\":\"scanfarm.findings/v1\",\"digest\":\"sha256:"
        "3ab3000000000000000000000000000000000000000000000000000000000000\",\"added\":[{\"id\":"
        "\"x\",\"package\":7}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sf_ndelta d;
        sf_error e = SF_ERROR_INIT;
        if (sf_ndelta_decode(&d, bad[i], strlen(bad[i]), &e) != SF_EPARSE)
            fail_msg("case %zu accepted", i);
        assert_true(strlen(e.msg) > 0);
        assert_null(d.doc);
    }
}

static void test_notify_cfg__load_and_doc(void **state)
{
    (void)state;
    sf_notifycfg c;
    sf_error e = SF_ERROR_INIT;
    int action;
    char *ok[] = {"x", "--config", "p.yaml", "--max-retries=3", "--dry-run", NULL};
    assert_int_equal(sf_notifycfg_load(&c, 5, ok, &action, &e), SF_OK);
    assert_int_equal(c.max_retries, 3);
    assert_int_equal(c.dry_run, 1);
    assert_string_equal(c.topic, "scanfarm.findings");
    assert_string_equal(c.dlq_topic, "scanfarm.notify.dlq");
    sf_notifycfg_free(&c);
    char *bad1[] = {"x", "--max-retries", "many", NULL};
    assert_int_equal(sf_notifycfg_load(&c, 3, bad1, &action, &e), SF_ECONFIG);
    char *bad2[] = {"x", "--nope", NULL};
    assert_int_equal(sf_notifycfg_load(&c, 2, bad2, &action, &e), SF_ECONFIG);
    char *bad3[] = {"x", NULL};
    e = (sf_error)SF_ERROR_INIT;
    assert_int_equal(sf_notifycfg_load(&c, 1, bad3, &action, &e), SF_ECONFIG);
    assert_non_null(strstr(e.msg, "--config"));
    /* docs/notify-config.md holds the generated table verbatim */
    char *md = sf_notifycfg_markdown();
    size_t n = 0;
    char *doc = sf_t_read_file(sf_t_src("docs/notify-config.md"), &n);
    assert_non_null(doc);
    if (!strstr(doc, md))
        fail_msg("docs/notify-config.md drifted from the option table; regenerate it");
    free(doc);
    free(md);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notify_rules__parse_and_match),
        cmocka_unit_test(test_notify_rules__defaults_match_everything),
        cmocka_unit_test(test_notify_rules__yaml_equals_json),
        cmocka_unit_test(test_notify_rules__secret_from_file),
        cmocka_unit_test(test_notify_rules__bad_input),
        cmocka_unit_test(test_notify_rules__limits),
        cmocka_unit_test(test_notify_rules__split_ref),
        cmocka_unit_test(test_notify_msg__signature),
        cmocka_unit_test(test_notify_msg__bodies),
        cmocka_unit_test(test_notify_msg__hostile_text_in_issue),
        cmocka_unit_test(test_notify_msg__bad_delta),
        cmocka_unit_test(test_notify_cfg__load_and_doc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
