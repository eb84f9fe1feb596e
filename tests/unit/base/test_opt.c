/* Unit tests of the option engine (base/opt.h) on a table of every type:
 * precedence (default < file < environment < flag), types and their
 * errors, unknown keys and flags, old spellings, secrets (never a flag,
 * "***" in the dump, never in a message), positionals, help and docs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/opt.h"
#include "testutil.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct tcfg {
    char *config;
    char *name;
    int count;
    long big;
    double ratio;
    int on;
    long wait_s;
    sf_strlist hosts;
    char *token;  /* secret */
    char *url;
    int nested_n; /* "deep.n" */
    int checked;  /* set by the validation hook */
} tcfg;

#define T(f) offsetof(tcfg, f)
static const sf_opt ROWS[] = {
    {"config", SF_OT_STR, T(config), NULL, "SFT_CONFIG", 0, 0, 0, "options file", "FILE"},
    {"name", SF_OT_STR, T(name), "dflt", "SFT_NAME", 0, 0, 0, "a name", NULL, "--title,SFT_TITLE,title",
     'n'},
    {"count", SF_OT_INT, T(count), "3", "SFT_COUNT", 0, 1, 10, "how many"},
    {"big", SF_OT_LONG, T(big), "0", NULL, 0, 0, 1000000000, "a big number"},
    {"ratio", SF_OT_DOUBLE, T(ratio), "0.5", NULL, 0, 0, 1, "a share"},
    {"on", SF_OT_BOOL, T(on), "false", "SFT_ON", 0, 0, 0, "a switch"},
    {"wait", SF_OT_DURATION, T(wait_s), "1m", NULL, 0, 1, 86400, "a wait"},
    {"host", SF_OT_LIST, T(hosts), "a:1", "SFT_HOST", 0, 0, 4, "hosts (repeatable)"},
    {"token", SF_OT_STR, T(token), NULL, "SFT_TOKEN", SF_OPT_SECRET, 0, 0, "a secret token"},
    {"url", SF_OT_STR, T(url), NULL, NULL, 0, 0, 0, "a URL | with a pipe"},
    {"deep.n", SF_OT_INT, T(nested_n), "0", NULL, SF_OPT_NOFLAG, 0, 9, "nested"},
};

static int check(void *base, sf_error *err)
{
    tcfg *c = base;
    c->checked = 1;
    if (c->count == 7)
        return sf_error_set(err, SF_ECONFIG, "count 7 is unlucky");
    return SF_OK;
}

static const sf_opt_group GROUPS[] = {{NULL, ROWS, sizeof ROWS / sizeof ROWS[0], 0}};
static const sf_opt_spec SPEC = {.prog = "sft",
                                 .usage = "[options] <thing>...",
                                 .summary = "A test program.",
                                 .groups = GROUPS,
                                 .ngroups = 1,
                                 .file_key = "config",
                                 .max_args = 2,
                                 .on_validate = check};

static void clear_env(void)
{
    static const char *v[] = {"SFT_CONFIG", "SFT_NAME", "SFT_TITLE", "SFT_COUNT", "SFT_ON",
                              "SFT_HOST", "SFT_TOKEN"};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        unsetenv(v[i]);
}

static int load(tcfg *c, sf_opt_cmd *cmd, sf_error *e, int argc, char **argv)
{
    memset(c, 0, sizeof *c);
    *e = (sf_error)SF_ERROR_INIT;
    return sf_opt_load(&SPEC, c, argc, argv, cmd, e);
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/sf-opt-XXXXXX");
    assert_int_equal(sf_t_write_temp(path, text), 0);
    return path;
}

static void test_opt_load__defaults_and_types(void **state)
{
    (void)state;
    clear_env();
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    char *argv[] = {"sft", "--big=123456789", "--ratio", "0.25", "--wait", "2h", "--on"};
    assert_int_equal(load(&c, &cmd, &e, 7, argv), SF_OK);
    assert_string_equal(c.name, "dflt");
    assert_int_equal(c.count, 3);
    assert_int_equal(c.big, 123456789);
    assert_true(c.ratio > 0.24 && c.ratio < 0.26);
    assert_int_equal(c.wait_s, 7200);
    assert_int_equal(c.on, 1);
    assert_int_equal(c.hosts.n, 1);
    assert_string_equal(c.hosts.v[0], "a:1");
    assert_int_equal(c.checked, 1);
    assert_int_equal(cmd.action, SF_OPT_RUN);
    assert_int_equal(cmd.nargs, 0);
    sf_opt_free(&SPEC, &c);
    assert_null(c.name);
}

/* default < file < environment < flag, for text, numbers and lists; a
 * list given again by a later source is replaced, repeated flags add. */
static void test_opt_load__precedence_file_env_flag(void **state)
{
    (void)state;
    clear_env();
    char *path = write_tmp("{\"name\": \"file\", \"count\": 4, \"host\": [\"f:1\", \"f:2\"], "
                           "\"on\": true, \"big\": 5}");
    setenv("SFT_CONFIG", path, 1);
    setenv("SFT_COUNT", "5", 1);
    setenv("SFT_NAME", "env", 1);
    char *argv[] = {"sft", "--name", "flag", "--host", "x:1", "--host=y:1,z:1"};
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    int rc = load(&c, &cmd, &e, 6, argv);
    clear_env();
    unlink(path);
    if (rc)
        fail_msg("%s", e.msg);
    assert_string_equal(c.name, "flag"); /* flag > env > file */
    assert_int_equal(c.count, 5);        /* env > file */
    assert_int_equal(c.big, 5);          /* file > default */
    assert_int_equal(c.on, 1);
    assert_int_equal(c.hosts.n, 3); /* the flags replace the file's list */
    assert_string_equal(c.hosts.v[0], "x:1");
    assert_string_equal(c.hosts.v[2], "z:1");
    sf_opt_free(&SPEC, &c);
}

/* Every bad value names where it came from, what was expected and what
 * was given; validation runs last. */
static void test_opt_load__errors_are_clear(void **state)
{
    (void)state;
    clear_env();
    static const struct {
        int argc;
        char *argv[4];
        const char *msg;
    } C[] = {
        {3, {"sft", "--count", "11"}, "--count: expected an integer in [1, 10], got \"11\""},
        {3, {"sft", "--count", "3x"}, "--count: expected an integer in [1, 10], got \"3x\""},
        {3, {"sft", "--ratio", "2"}, "--ratio: expected a number in [0, 1], got \"2\""},
        {2, {"sft", "--on=maybe"}, "--on: expected true or false, got \"maybe\""},
        {3, {"sft", "--wait", "soon"}, "--wait: expected a duration like 90s, 30m, 24h"},
        {3, {"sft", "--host", "a,b,c,d,e"}, "--host: more than 4 values"},
        {2, {"sft", "--nope"}, "unknown option --nope (see --help)"},
        {2, {"sft", "-x"}, "unknown option -x (see --help)"},
        {2, {"sft", "--count"}, "option --count needs a value"},
        {4, {"sft", "a", "b", "c"}, "unexpected argument \"c\" (too many)"},
        {3, {"sft", "--deep-n", "1"}, "--deep-n is not a flag: use the config file"},
        {3, {"sft", "--count", "7"}, "count 7 is unlucky"},
    };
    for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
        tcfg c;
        sf_opt_cmd cmd;
        sf_error e;
        assert_int_equal(load(&c, &cmd, &e, C[i].argc, (char **)C[i].argv), SF_ECONFIG);
        if (!strstr(e.msg, C[i].msg))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, C[i].msg);
        sf_opt_free(&SPEC, &c);
    }
    setenv("SFT_COUNT", "0", 1);
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    char *argv[] = {"sft"};
    assert_int_equal(load(&c, &cmd, &e, 1, argv), SF_ECONFIG);
    assert_string_equal(e.msg, "SFT_COUNT: expected an integer in [1, 10], got \"0\"");
    sf_opt_free(&SPEC, &c);
    clear_env();
}

/* Config text: unknown keys, wrong types, duplicates and non-objects are
 * errors naming the key; dashed keys, nested keys and old keys work. */
static void test_opt_file__keys_checked(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } BAD[] = {
        {"{\"nmae\": \"x\"}", "config: unknown setting \"nmae\""},
        {"{\"deep\": {\"m\": 1}}", "config: unknown setting \"deep.m\""},
        {"{\"count\": \"many\"}", "config count: expected an integer"},
        {"{\"count\": [1]}", "config count: wrong type (expected N)"},
        {"{\"host\": [1]}", "config host: list entries must be strings"},
        {"{\"name\": \"a\", \"name\": \"b\"}", "config:1: duplicate object key"},
        {"[1, 2]", "config: top level must be an object"},
        {"{\"on\": 2}", "config on: expected true or false"},
        {"{\"name\": \"a\\u0000b\"}", "is not allowed"},
        {"{", "config:1:"},
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
        tcfg c;
        sf_error e = SF_ERROR_INIT;
        memset(&c, 0, sizeof c);
        assert_int_equal(sf_opt_load_text(&SPEC, &c, BAD[i].text, strlen(BAD[i].text), &e),
                         SF_ECONFIG);
        if (!strstr(e.msg, BAD[i].msg))
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, e.msg, BAD[i].msg);
        sf_opt_free(&SPEC, &c);
    }
    const char *ok = "{\"deep\": {\"n\": 4}, \"title\": \"old\", \"count\": 2, "
                     "\"big\": \"77\", \"config\": \"ignored\"}";
    tcfg c;
    sf_error e = SF_ERROR_INIT;
    memset(&c, 0, sizeof c);
    if (sf_opt_load_text(&SPEC, &c, ok, strlen(ok), &e))
        fail_msg("%s", e.msg);
    assert_int_equal(c.nested_n, 4);
    assert_string_equal(c.name, "old"); /* the old key */
    assert_int_equal(c.big, 77);        /* numbers as text (YAML, templates) */
    sf_opt_free(&SPEC, &c);
}

/* The options file: missing, or past SF_LIM_OPT_FILE_BYTES, is an error
 * naming it (read with a cap, never whole into memory first). */
static void test_opt_file__missing_and_too_large(void **state)
{
    (void)state;
    clear_env();
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    char *missing[] = {"sft", "--config", "/nonexistent/sf-opt.json"};
    assert_int_equal(load(&c, &cmd, &e, 3, missing), SF_ECONFIG);
    assert_string_equal(e.msg, "config /nonexistent/sf-opt.json: cannot open");
    sf_opt_free(&SPEC, &c);
    char path[] = "/tmp/sf-opt-big-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static char chunk[1 << 16];
    memset(chunk, ' ', sizeof chunk);
    for (int i = 0; i < 65; i++) /* 4 MiB + 64 KiB of blanks */
        assert_int_equal(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
    close(fd);
    char *big[] = {"sft", "--config", path};
    int rc = load(&c, &cmd, &e, 3, big);
    unlink(path);
    assert_int_equal(rc, SF_ECONFIG);
    assert_non_null(strstr(e.msg, "unreadable or larger than 4194304 bytes"));
    sf_opt_free(&SPEC, &c);
}

/* Old spellings: flags, variables and keys reach the same row; the new
 * spelling wins when both are given. */
static void test_opt_alias__old_spellings(void **state)
{
    (void)state;
    clear_env();
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    char *a1[] = {"sft", "--title", "t1"};
    assert_int_equal(load(&c, &cmd, &e, 3, a1), SF_OK);
    assert_string_equal(c.name, "t1");
    sf_opt_free(&SPEC, &c);
    setenv("SFT_TITLE", "t2", 1);
    char *a2[] = {"sft"};
    assert_int_equal(load(&c, &cmd, &e, 1, a2), SF_OK);
    assert_string_equal(c.name, "t2");
    sf_opt_free(&SPEC, &c);
    setenv("SFT_NAME", "new", 1);
    assert_int_equal(load(&c, &cmd, &e, 1, a2), SF_OK);
    assert_string_equal(c.name, "new");
    sf_opt_free(&SPEC, &c);
    clear_env();
    const char *both = "{\"title\": \"old\", \"name\": \"new\"}";
    memset(&c, 0, sizeof c);
    assert_int_equal(sf_opt_load_text(&SPEC, &c, both, strlen(both), &e), SF_OK);
    assert_string_equal(c.name, "new");
    sf_opt_free(&SPEC, &c);
    char *a3[] = {"sft", "-n", "short"};
    assert_int_equal(load(&c, &cmd, &e, 3, a3), SF_OK);
    assert_string_equal(c.name, "short");
    sf_opt_free(&SPEC, &c);
}

/* A secret is never a flag, never in a message, "***" in the dump; a URL's
 * password is hidden. */
static void test_opt_secret__redacted(void **state)
{
    (void)state;
    clear_env();
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    char *bad[] = {"sft", "--token", "hunter2"};
    assert_int_equal(load(&c, &cmd, &e, 3, bad), SF_ECONFIG);
    assert_null(strstr(e.msg, "hunter2"));
    assert_non_null(strstr(e.msg, "--token is not a flag (the process list would show it): use "
                                  "SFT_TOKEN or the config file"));
    sf_opt_free(&SPEC, &c);
    setenv("SFT_TOKEN", "hunter2", 1);
    char *argv[] = {"sft", "--url", "redis://user:pw9@h:6379/0,https://x@y/z", "--print-config"};
    assert_int_equal(load(&c, &cmd, &e, 4, argv), SF_OK);
    clear_env();
    assert_int_equal(cmd.action, SF_OPT_PRINT_CONFIG);
    assert_string_equal(c.token, "hunter2");
    char *d = sf_opt_dump_text(&SPEC, &c);
    assert_non_null(d);
    assert_null(strstr(d, "hunter2"));
    assert_null(strstr(d, "pw9"));
    assert_non_null(strstr(d, "\"token\": \"***\""));
    assert_non_null(strstr(d, "\"url\": \"redis://user:***@h:6379/0,https://:***@y/z\""));
    assert_non_null(strstr(d, "\"deep\": {\n    \"n\": 0\n  }"));
    free(d);
    sf_opt_free(&SPEC, &c);
}

/* Positionals mix with options and move to the front; "--" ends the
 * options; a switch takes a following boolean word only. */
static void test_opt_argv__positionals_and_switches(void **state)
{
    (void)state;
    clear_env();
    tcfg c;
    sf_opt_cmd cmd;
    sf_error e;
    char *argv[] = {"sft", "--on", "first", "--count", "2", "--", "--second"};
    assert_int_equal(load(&c, &cmd, &e, 7, argv), SF_OK);
    assert_int_equal(c.on, 1);
    assert_int_equal(c.count, 2);
    assert_int_equal(cmd.nargs, 2);
    assert_string_equal(cmd.args[0], "first");
    assert_string_equal(cmd.args[1], "--second");
    sf_opt_free(&SPEC, &c);
    char *off[] = {"sft", "--on", "false", "-"};
    assert_int_equal(load(&c, &cmd, &e, 4, off), SF_OK);
    assert_int_equal(c.on, 0);
    assert_int_equal(cmd.nargs, 1);
    assert_string_equal(cmd.args[0], "-");
    sf_opt_free(&SPEC, &c);
    /* --help: no validation (so a bad setting does not hide the help) */
    char *help[] = {"sft", "--count", "7", "--help", "--print-config"};
    assert_int_equal(load(&c, &cmd, &e, 5, help), SF_OK);
    assert_int_equal(cmd.action, SF_OPT_HELP);
    assert_int_equal(c.checked, 0);
    sf_opt_free(&SPEC, &c);
}

static char *capture(void (*fn)(FILE *))
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    fn(f);
    fclose(f);
    return text;
}

static void print_help(FILE *f)
{
    sf_opt_help(&SPEC, f);
}

/* The one --help layout: flag line, then indented help with default and
 * environment; secrets by their variable; no old spelling shown. */
static void test_opt_help__layout(void **state)
{
    (void)state;
    char *h = capture(print_help);
    assert_non_null(strstr(h, "usage: sft [options] <thing>...\n\nA test program.\n\n"
                              "Options (default < config file < environment < flag):\n"
                              "  --config FILE\n      options file (env SFT_CONFIG)\n"
                              "  -n, --name TEXT\n      a name (default dflt; env SFT_NAME)\n"));
    assert_non_null(strstr(h, "  --on\n      a switch (default false; env SFT_ON)\n"));
    assert_non_null(strstr(h, "  env SFT_TOKEN (secret: environment or config file only)\n"
                              "      a secret token\n"));
    assert_non_null(strstr(h, "  --print-docs\n"));
    assert_null(strstr(h, "title"));
    assert_null(strstr(h, "--token"));
    free(h);
}

/* The Markdown reference: markers, one row per shown option, '|' escaped,
 * old spellings listed, and nothing else. */
static void test_opt_markdown__table(void **state)
{
    (void)state;
    char *md = sf_opt_markdown(&SPEC);
    assert_non_null(md);
    assert_true(strncmp(md, "<!-- generated: `sft --print-docs`", 34) == 0);
    assert_non_null(strstr(md, "| option | config key | environment | type | default | "
                               "description |\n|---|---|---|---|---|---|\n"));
    assert_non_null(strstr(md, "| `-n`, `--name` | `name` | `SFT_NAME` | TEXT | `dflt` | a name |\n"));
    assert_non_null(strstr(md, "| (secret, no flag) | `token` | `SFT_TOKEN` | TEXT |  | a secret token |\n"));
    assert_non_null(strstr(md, "| `--url` | `url` |  | TEXT |  | a URL \\| with a pipe |\n"));
    assert_non_null(strstr(md, "- `--title`, `SFT_TITLE`, `title` for `--name`\n"));
    size_t n = strlen(md);
    assert_true(n > 23 && strcmp(md + n - 23, "<!-- end generated -->\n") == 0);
    free(md);
}

static void test_opt_helpers__duration_and_redact(void **state)
{
    (void)state;
    assert_int_equal(sf_opt_duration("90"), 90);
    assert_int_equal(sf_opt_duration("15m"), 900);
    assert_int_equal(sf_opt_duration("7d"), 604800);
    assert_int_equal(sf_opt_duration("-1"), -1);
    assert_int_equal(sf_opt_duration("1w"), -1);
    assert_int_equal(sf_opt_duration(" 1"), -1);
    assert_int_equal(sf_opt_duration("99999999999999999999d"), -1);
    char out[16];
    sf_opt_redact_url("redis://u:secretpassword@host", out, sizeof out);
    assert_int_equal(strlen(out), sizeof out - 1); /* cut, still terminated */
    assert_null(strstr(out, "secret"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opt_load__defaults_and_types),
        cmocka_unit_test(test_opt_load__precedence_file_env_flag),
        cmocka_unit_test(test_opt_load__errors_are_clear),
        cmocka_unit_test(test_opt_file__keys_checked),
        cmocka_unit_test(test_opt_file__missing_and_too_large),
        cmocka_unit_test(test_opt_alias__old_spellings),
        cmocka_unit_test(test_opt_secret__redacted),
        cmocka_unit_test(test_opt_argv__positionals_and_switches),
        cmocka_unit_test(test_opt_help__layout),
        cmocka_unit_test(test_opt_markdown__table),
        cmocka_unit_test(test_opt_helpers__duration_and_redact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
