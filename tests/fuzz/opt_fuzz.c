/* Fuzz target: the option engine (base/opt.h) on untrusted config text
 * and command lines: the input is a config document (JSON) for a table of
 * every type, nested keys and old spellings, then the same bytes split at
 * newlines as argv; every successful load is dumped (redaction) and freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/opt.h"

#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

typedef struct fcfg {
    char *s, *secret;
    int i, b;
    long l, d;
    double x;
    sf_strlist list;
    int nested;
} fcfg;

#define F(f) offsetof(fcfg, f)
static const sf_opt ROWS[] = {
    {"s", SF_OT_STR, F(s), "x", NULL, 0, 0, 0, "text", NULL, "--old-s,old_s"},
    {"secret", SF_OT_STR, F(secret), NULL, NULL, SF_OPT_SECRET, 0, 0, "secret"},
    {"i", SF_OT_INT, F(i), "1", NULL, 0, -5, 5, "int", NULL, NULL, 'i'},
    {"b", SF_OT_BOOL, F(b), "false", NULL, 0, 0, 0, "bool"},
    {"l", SF_OT_LONG, F(l), "0", NULL, 0, 0, 1L << 40, "long"},
    {"d", SF_OT_DURATION, F(d), "1m", NULL, 0, 0, 86400, "duration"},
    {"x", SF_OT_DOUBLE, F(x), "0", NULL, 0, -1, 1, "double"},
    {"list", SF_OT_LIST, F(list), "a,b", NULL, 0, 0, 8, "list"},
    {"n.nested", SF_OT_INT, F(nested), "0", NULL, 0, 0, 9, "nested"},
};
static const sf_opt_group GROUPS[] = {{NULL, ROWS, sizeof ROWS / sizeof ROWS[0], 0}};
static const sf_opt_spec SPEC = {.prog = "fuzz", .groups = GROUPS, .ngroups = 1, .max_args = 3};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fcfg c;
    sf_error e = SF_ERROR_INIT;
    memset(&c, 0, sizeof c);
    if (sf_opt_load_text(&SPEC, &c, (const char *)data, size, &e) == SF_OK)
        free(sf_opt_dump_text(&SPEC, &c));
    sf_opt_free(&SPEC, &c);

    char *copy = malloc(size + 1), *argv[33];
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    int argc = 0;
    argv[argc++] = "fuzz";
    for (char *p = copy; argc < 32 && p < copy + size;) {
        argv[argc++] = p;
        char *nl = memchr(p, '\n', (size_t)(copy + size - p));
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    argv[argc] = NULL;
    sf_opt_cmd cmd;
    memset(&c, 0, sizeof c);
    e = (sf_error)SF_ERROR_INIT;
    if (sf_opt_load(&SPEC, &c, argc, argv, &cmd, &e) == SF_OK)
        free(sf_opt_dump_text(&SPEC, &c));
    sf_opt_free(&SPEC, &c);
    free(copy);
    return 0;
}
