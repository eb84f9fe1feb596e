/*
 * opt_int: what the files of the option engine share (opt.c loading and
 * values, opt_src.c the command line and the options file, opt_out.c
 * help, dump and docs). Nothing outside them includes it.
 */
#ifndef SF_OPT_INT_H
#define SF_OPT_INT_H

#include "base/opt.h"

/* Set the row at p from text (append: add to a list instead of replacing). */
int sf_opt_set_text(char *p, const sf_opt *o, const char *v, int append, const char *src,
                    sf_error *err);
int sf_opt_set_json(char *p, const sf_opt *o, json_t *v, const char *src, sf_error *err);
/* 1 when s is a boolean literal (true/false/1/0/yes/no/on/off). */
int sf_opt_is_bool(const char *s);
/* 1 when the row's comma-separated old spellings hold name; kind 'f' a
 * flag ("--x"), 'e' an environment variable, 'k' a file key. */
int sf_opt_old_has(const char *old, char kind, const char *name, size_t n);
/* The row named name (kind 'f' flag, 'k' file key, 's' one-letter flag),
 * its own spelling first, then the old ones; *goff its group's offset. */
const sf_opt *sf_opt_find(const sf_opt_group *gs, size_t ng, char kind, const char *name,
                          size_t n, size_t *goff);
/* 1 when key (snake_case) is name (n bytes), '-' in name read as '_'. */
int sf_opt_name_eq(const char *key, const char *name, size_t n);
/* argv, pass 0 the options file's flag only, pass 1 the rest. */
int sf_opt_argv(const sf_opt_spec *s, void *base, int argc, char **argv, int pass,
                sf_opt_cmd *cmd, sf_error *err);
/* Read and apply the options file named by the file row (if set). */
int sf_opt_load_file(const sf_opt_spec *s, void *base, sf_error *err);
int sf_opt_parse_text(const sf_opt_spec *s, const char *text, size_t len, json_t **doc,
                      sf_error *err);
/* A parsed document: the on_doc hook, then every member by the tables. */
int sf_opt_apply_doc(const sf_opt_spec *s, void *base, json_t *doc, const char *src,
                     sf_error *err);
/* "TEXT", "N", "NUM", "BOOL", "DURATION", "LIST" (or the row's arg). */
const char *sf_opt_type_name(const sf_opt *o);
/* The flag of o without "--" ('_' -> '-'). */
void sf_opt_flag_of(const sf_opt *o, char *out, size_t cap);

#endif
