/*
 * opttab: the option-table engine of config.c, for other programs of this
 * folder (scanfarm-inventory). A table row names a setting's JSON key
 * (dotted for nested objects; the flag is --key with '_' -> '-'), type,
 * place (offsetof in the program's struct), default, environment
 * variable, secret flag, bounds and help. The same rows load defaults, a
 * JSON or YAML file, the environment and argv, print --help, dump the
 * effective configuration with secrets as "***", and generate the
 * Markdown reference a drift test compares with docs/.
 *
 * String fields are char *, lists sf_strlist (config.h), numbers int /
 * long / double as the type says, booleans int, durations long seconds.
 */
#ifndef SF_COORD_OPTTAB_H
#define SF_COORD_OPTTAB_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"

typedef enum sf_opt_type {
    OT_STR,
    OT_INT,
    OT_LONG,
    OT_DOUBLE,
    OT_BOOL,
    OT_DURATION,
    OT_LIST
} sf_opt_type;

typedef struct sf_opt {
    const char *name;  /* JSON key; flag is --name with '_' -> '-' */
    sf_opt_type type;
    size_t off;
    const char *def;   /* default as text, NULL = unset */
    const char *env;   /* environment variable or NULL */
    int secret;        /* redact in --print-config; no command-line flag */
    long min, max;     /* range of numbers */
    const char *help;
} sf_opt;

/* Every default of t into base. */
int sf_opt_defaults(void *base, const sf_opt *t, size_t n, sf_error *err);
/* The settings of JSON object obj into base; keys not in t (except
 * extra, NULL = none) are an error, so a typo is never a silent default. */
int sf_opt_apply_doc(void *base, const sf_opt *t, size_t n, json_t *obj, const char *extra,
                     const char *src, sf_error *err);
/* A config file (JSON when it starts with '{', YAML otherwise) into *doc. */
int sf_opt_read_file(const char *path, json_t **doc, sf_error *err);
/* The environment variables of t (only_config: only the "config" row,
 * else every other row). */
int sf_opt_env(void *base, const sf_opt *t, size_t n, int only_config, sf_error *err);
/* argv (argv[0] skipped): pass 0 takes only --config, pass 1 the rest;
 * *action = 1 --help, 2 --print-config, 3 --version. */
int sf_opt_argv(void *base, const sf_opt *t, size_t n, int argc, char **argv, int pass,
                int *action, sf_error *err);
/* Rows of t as members of obj (secrets "***"). */
void sf_opt_dump(json_t *obj, const void *base, const sf_opt *t, size_t n);
/* Free every string and list of base (secrets wiped first). */
void sf_opt_free(void *base, const sf_opt *t, size_t n);
/* One --help entry per row. */
void sf_opt_help(FILE *f, const sf_opt *t, size_t n);
/* The Markdown table of t (header included). */
void sf_opt_markdown(sf_buf *b, const sf_opt *t, size_t n);
/* Rows of a config-file-only table ("| key | type | default | description |"
 * rows, no header). */
void sf_opt_markdown_keys(sf_buf *b, const sf_opt *t, size_t n);

#endif
