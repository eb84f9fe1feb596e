/*
 * opt: the one option engine of every scanfarm program and every
 * `scanfarm` command (STYLE §10). A program describes its options in a
 * table of rows; the engine loads them (defaults < config file <
 * environment < flags, then the program's validation), prints --help in
 * one layout for all programs, prints --print-config (JSON, secrets as
 * "***", passwords in URLs hidden) and --print-docs (the Markdown
 * reference checked into docs/<name>-config.md; a drift test compares
 * the two).
 *
 * One spelling per option: the row's key is the config-file key
 * (snake_case; dotted for nested objects, "tags.newest"); its flag is
 * --key with '_' -> '-'; its environment variable is named in the row
 * (normally SCANFARM_<KEY>). Config-file keys are matched with '-' read as
 * '_', so files written with flag spellings keep working. Older spellings
 * are listed in the row's `old` (hidden: never in --help, --print-config or
 * the docs' tables, still accepted).
 *
 * Storage by type: STR char * (malloc'd), INT int, LONG long, DOUBLE
 * double, BOOL int (0/1), DURATION long seconds ("90", "90s", "15m",
 * "24h", "7d"), LIST sf_strlist (each source replaces the previous one's
 * list; repeated flags and commas add), FUNC: the row's own setter.
 *
 * Threads: loading and printing run at start-up, on the main thread; the
 * tables are const and may be read from anywhere.
 */
#ifndef SF_OPT_H
#define SF_OPT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/err.h"

typedef struct sf_strlist {
    char **v;
    size_t n;
} sf_strlist;

typedef enum sf_opt_type {
    SF_OT_STR,
    SF_OT_INT,
    SF_OT_LONG,
    SF_OT_DOUBLE,
    SF_OT_BOOL,
    SF_OT_DURATION,
    SF_OT_LIST,
    SF_OT_FUNC
} sf_opt_type;

/* Row flags. */
#define SF_OPT_SECRET 1u  /* never a flag (ps shows flags); shown as "***" */
#define SF_OPT_NOFILE 2u  /* not a config-file key */
#define SF_OPT_HIDDEN 4u  /* accepted, never shown (an old option kept working) */
#define SF_OPT_NOFLAG 8u  /* config file and environment only */
#define SF_OPT_MASKED 16u /* shown as "***" but a flag all the same (an API key
                             whose flag is a contract) */

struct sf_opt;
/* A FUNC row's setter: field is base + the row's offset; src names where
 * v came from ("--kafka-prop", "SCANFARM_X", "config x"). */
typedef int (*sf_opt_setter)(void *field, const struct sf_opt *o, const char *v,
                             const char *src, sf_error *err);

typedef struct sf_opt {
    const char *key;  /* config-file key; flag --key with '_' -> '-' */
    sf_opt_type type;
    size_t off;       /* offsetof the field in the program's struct */
    const char *def;  /* default as text; NULL = unset */
    const char *env;  /* environment variable; NULL = none */
    unsigned flags;   /* SF_OPT_* */
    long min, max;    /* numbers: range; LIST: max entries (0 = SF_LIM_OPT_LIST) */
    const char *help;
    const char *arg;  /* --help metavar (NULL: by type, e.g. N, LIST, TEXT) */
    const char *old;  /* old spellings, comma-separated: "--flag", "ENV_VAR", "file_key" */
    char short_flag;  /* one-letter flag ('o' for -o), 0 = none */
    sf_opt_setter set; /* FUNC rows */
} sf_opt;

/* A titled set of rows living at base + off (e.g. the Kafka client
 * options inside a program's sf_kprops). title NULL: the main options. */
typedef struct sf_opt_group {
    const char *title;
    const sf_opt *rows;
    size_t n;
    size_t off;
} sf_opt_group;

typedef struct sf_opt_spec {
    const char *prog;     /* "scanfarm-worker", "scanfarm db import" */
    const char *usage;    /* after prog on the usage line: "[options] <ref>" */
    const char *summary;  /* --help paragraph (NULL = none) */
    const char *epilog;   /* --help text after the options (NULL = none) */
    const char *doc_intro; /* --print-docs text between the title and the tables */
    const sf_opt_group *groups;
    size_t ngroups;
    const char *file_key; /* key of the options-file row ("config"); NULL = none */
    int max_args;         /* positional arguments allowed; -1 = any number */
    /* Config text to JSON (NULL: JSON only). */
    int (*parse)(const char *text, size_t len, json_t **doc, sf_error *err);
    /* The file's keys the tables do not hold ("registries", a "kafka" map):
     * take them out of doc (json_object_del) before the unknown-key check. */
    int (*on_doc)(void *base, json_t *doc, const char *src, sf_error *err);
    /* After the table's environment variables, before the flags. */
    int (*on_env)(void *base, sf_error *err);
    /* After everything: cross-option rules, derived values. */
    int (*on_validate)(void *base, sf_error *err);
    /* Members --print-config adds (e.g. "registries", "kafka_props"). */
    void (*on_dump)(const void *base, json_t *obj);
    /* Markdown --print-docs adds after the tables (e.g. per-registry keys). */
    int (*on_markdown)(sf_buf *b);
} sf_opt_spec;

typedef enum sf_opt_action {
    SF_OPT_RUN = 0,
    SF_OPT_HELP,
    SF_OPT_PRINT_CONFIG,
    SF_OPT_PRINT_DOCS,
    SF_OPT_VERSION
} sf_opt_action;

/* What the command line asked for besides settings. */
typedef struct sf_opt_cmd {
    sf_opt_action action;
    char **args;  /* positional arguments: the front of argv + 1, reordered */
    int nargs;
} sf_opt_cmd;

/*
 * Load base (zeroed by the caller) from defaults, the config file, the
 * environment and argv (argv[0] skipped; "--" ends the options; options
 * and positional arguments may mix: the positionals are moved to the
 * front of argv, after argv[0], in their order). --help
 * skips the file and validation; --print-config and --print-docs run them
 * (so a bad setting is an error there too). SF_ECONFIG with a message
 * naming the option and where it came from; values of secrets are never
 * in a message.
 */
int sf_opt_load(const sf_opt_spec *s, void *base, int argc, char **argv, sf_opt_cmd *cmd,
                sf_error *err);

/* Same from a config document given as text: defaults, the text, the
 * validation; no environment or argv (tests, fuzzing). */
int sf_opt_load_text(const sf_opt_spec *s, void *base, const char *text, size_t len,
                     sf_error *err);

/* Free every string and list of base the tables own (secrets wiped). */
void sf_opt_free(const sf_opt_spec *s, void *base);

/*
 * Carry out cmd->action on out: --help, --print-config, --print-docs,
 * --version ("<prog> <version>"). 1 when it did (the program exits 0), 0
 * for SF_OPT_RUN.
 */
int sf_opt_act(const sf_opt_spec *s, const void *base, const sf_opt_cmd *cmd, FILE *out);

void sf_opt_help(const sf_opt_spec *s, FILE *out);
/* The usage line ("usage: prog usage") and a pointer to --help. */
void sf_opt_usage(const sf_opt_spec *s, FILE *out);
/* The effective configuration, secrets "***" (new reference). */
json_t *sf_opt_dump(const sf_opt_spec *s, const void *base);
/* The same as indented JSON text (malloc'd). */
char *sf_opt_dump_text(const sf_opt_spec *s, const void *base);
/* The Markdown reference (malloc'd): what --print-docs prints. */
char *sf_opt_markdown(const sf_opt_spec *s);

/* ---- rows outside a spec (config-file-only tables: registries, clusters) ---- */

/* Every default of rows into base. */
int sf_opt_rows_defaults(void *base, const sf_opt *rows, size_t n, sf_error *err);
/* The members of JSON object obj into base; a key not in rows is an error
 * ("<src>: unknown setting \"k\""), so a typo is never a silent default. */
int sf_opt_rows_json(void *base, const sf_opt *rows, size_t n, json_t *obj, const char *src,
                     sf_error *err);
/* rows as members of obj (secrets "***"). */
void sf_opt_rows_dump(json_t *obj, const void *base, const sf_opt *rows, size_t n);
void sf_opt_rows_free(void *base, const sf_opt *rows, size_t n);
/* "| key | type | default | description |" rows (no header). */
int sf_opt_rows_markdown(sf_buf *b, const sf_opt *rows, size_t n);

/* ---- helpers ---- */

/* "90", "90s", "15m", "24h", "7d" in seconds; -1 when invalid. */
long sf_opt_duration(const char *s);
/* Append the comma-separated items of s (blanks around items dropped). */
int sf_strlist_add_csv(sf_strlist *l, const char *s, size_t max);
int sf_strlist_add(sf_strlist *l, const char *s, size_t n, size_t max);
int sf_strlist_copy(sf_strlist *dst, const sf_strlist *src);
void sf_strlist_free(sf_strlist *l);
/* s with the password of "scheme://user:pass@host" hidden ("user:***@"),
 * for each comma-separated item, into out (always terminated). */
void sf_opt_redact_url(const char *s, char *out, size_t cap);

#endif
