/*
 * opt: loading (see opt.h). One pass per source in rising precedence:
 * defaults, the options file (its path from the environment, then the
 * flags), the environment, the program's on_env hook, the flags, the
 * program's validation. Printing (--help, --print-config, --print-docs)
 * is opt_out.c.
 */
#include "base/opt.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/array.h"
#include "base/limits.h"
#include "base/opt_int.h"

/* ---- lists ---- */

void sf_strlist_free(sf_strlist *l)
{
    if (!l)
        return;
    sf_strarr_free(l->v, l->n);
    l->v = NULL, l->n = 0;
}

int sf_strlist_add(sf_strlist *l, const char *s, size_t n, size_t max)
{
    if (l->n >= (max ? max : SF_LIM_OPT_LIST))
        return SF_ELIMIT;
    char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
    if (!nv)
        return SF_ENOMEM;
    l->v = nv;
    if (!(l->v[l->n] = sf_strndup(s, n)))
        return SF_ENOMEM;
    l->n++;
    return SF_OK;
}

int sf_strlist_add_csv(sf_strlist *l, const char *s, size_t max)
{
    while (*s) {
        size_t n = strcspn(s, ",");
        const char *a = s, *b = s + n;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        if (b > a) {
            int rc = sf_strlist_add(l, a, (size_t)(b - a), max);
            if (rc)
                return rc;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return SF_OK;
}

int sf_strlist_copy(sf_strlist *dst, const sf_strlist *src)
{
    for (size_t i = 0; i < src->n; i++)
        if (sf_strlist_add(dst, src->v[i], strlen(src->v[i]), SIZE_MAX) != SF_OK)
            return SF_ENOMEM;
    return SF_OK;
}

long sf_opt_duration(const char *s)
{
    char *end;
    if (!s || !*s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || v < 0)
        return -1;
    long long mul = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end || v > LONG_MAX / mul)
        return -1;
    return (long)(v * mul);
}

/* ---- one value ---- */

static int parse_bool(const char *s, int *out)
{
    static const char *t[] = {"1", "true", "yes", "on"}, *f[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, t[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, f[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

int sf_opt_is_bool(const char *s)
{
    int b;
    return s && parse_bool(s, &b) == 0;
}

/* The value as shown in a message: never a secret's. */
static const char *shown(const sf_opt *o, const char *v)
{
    return (o->flags & (SF_OPT_SECRET | SF_OPT_MASKED)) ? "***" : v;
}

static int set_number(char *p, const sf_opt *o, const char *v, const char *src, sf_error *err)
{
    char *end;
    errno = 0;
    if (o->type == SF_OT_DOUBLE) {
        double x = strtod(v, &end);
        if (errno || end == v || *end || !(x >= (double)o->min && x <= (double)o->max))
            return sf_error_set(err, SF_ECONFIG, "%s: expected a number in [%ld, %ld], got "
                                "\"%.40s\"", src, o->min, o->max, shown(o, v));
        *(double *)p = x;
        return SF_OK;
    }
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end || x < o->min || x > o->max)
        return sf_error_set(err, SF_ECONFIG, "%s: expected an integer in [%ld, %ld], got "
                            "\"%.40s\"", src, o->min, o->max, shown(o, v));
    if (o->type == SF_OT_INT)
        *(int *)p = (int)x;
    else
        *(long *)p = (long)x;
    return SF_OK;
}

int sf_opt_set_text(char *p, const sf_opt *o, const char *v, int append, const char *src,
                    sf_error *err)
{
    switch (o->type) {
    case SF_OT_STR: {
        char *d = sf_strdup(v);
        if (!d)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        free(*(char **)p);
        *(char **)p = d;
        return SF_OK;
    }
    case SF_OT_INT:
    case SF_OT_LONG:
    case SF_OT_DOUBLE:
        return set_number(p, o, v, src, err);
    case SF_OT_BOOL:
        if (parse_bool(v, (int *)p))
            return sf_error_set(err, SF_ECONFIG, "%s: expected true or false, got \"%.40s\"",
                                src, shown(o, v));
        return SF_OK;
    case SF_OT_DURATION: {
        long d = sf_opt_duration(v);
        if (d < 0 || d < o->min || d > o->max)
            return sf_error_set(err, SF_ECONFIG, "%s: expected a duration like 90s, 30m, 24h "
                                "or 7d (at least %lds), got \"%.40s\"", src, o->min,
                                shown(o, v));
        *(long *)p = d;
        return SF_OK;
    }
    case SF_OT_LIST: {
        sf_strlist *l = (sf_strlist *)p;
        if (!append)
            sf_strlist_free(l);
        int rc = sf_strlist_add_csv(l, v, (size_t)o->max);
        if (rc == SF_ENOMEM)
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        if (rc)
            return sf_error_set(err, SF_ECONFIG, "%s: more than %ld values", src,
                                o->max ? o->max : (long)SF_LIM_OPT_LIST);
        return SF_OK;
    }
    case SF_OT_FUNC:
        return o->set ? o->set(p, o, v, src, err) : SF_EINTERNAL;
    }
    return SF_EINTERNAL;
}

/* A JSON value: strings are also read for numbers and booleans (YAML, or
 * an env-templated file); arrays for lists. */
int sf_opt_set_json(char *p, const sf_opt *o, json_t *v, const char *src, sf_error *err)
{
    char num[64];
    if (o->type == SF_OT_LIST && json_is_array(v)) {
        sf_strlist *l = (sf_strlist *)p;
        size_t i;
        json_t *e;
        sf_strlist_free(l);
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                return sf_error_set(err, SF_ECONFIG, "%s: list entries must be strings", src);
            int rc = sf_strlist_add(l, json_string_value(e), json_string_length(e),
                                    (size_t)o->max);
            if (rc)
                return sf_error_set(err, rc == SF_ENOMEM ? SF_ENOMEM : SF_ECONFIG,
                                    "%s: list too long", src);
        }
        return SF_OK;
    }
    if (json_is_string(v)) {
        if (strlen(json_string_value(v)) != json_string_length(v))
            return sf_error_set(err, SF_ECONFIG, "%s: text holds a NUL byte", src);
        return sf_opt_set_text(p, o, json_string_value(v), 0, src, err);
    }
    if (json_is_boolean(v) && o->type != SF_OT_STR)
        return sf_opt_set_text(p, o, json_is_true(v) ? "true" : "false", 0, src, err);
    if (json_is_integer(v)) { /* booleans too: 1 and 0, as worker files had */
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        return sf_opt_set_text(p, o, num, 0, src, err);
    }
    if (json_is_real(v) && o->type == SF_OT_DOUBLE) {
        double x = json_real_value(v);
        if (!(x >= (double)o->min && x <= (double)o->max))
            return sf_error_set(err, SF_ECONFIG, "%s: expected a number in [%ld, %ld]", src,
                                o->min, o->max);
        *(double *)p = x;
        return SF_OK;
    }
    return sf_error_set(err, SF_ECONFIG, "%s: wrong type (expected %s)", src,
                        sf_opt_type_name(o));
}

/* ---- names ---- */

/* key (snake_case, dotted) against name (a flag's or a file key's
 * spelling): '_' and '.' in key also match '-'. */
int sf_opt_name_eq(const char *key, const char *name, size_t n)
{
    size_t i = 0;
    for (; i < n && key[i]; i++)
        if (key[i] != name[i] && !((key[i] == '_' || key[i] == '.') && name[i] == '-'))
            return 0;
    return i == n && !key[i];
}

/* 1 when the comma-separated list old holds name (n bytes) with the given
 * prefix ("--" for flags, "" for keys and variables). kind: 'f' flag,
 * 'e' environment variable (upper case), 'k' file key. */
int sf_opt_old_has(const char *old, char kind, const char *name, size_t n)
{
    for (const char *p = old; p && *p;) {
        size_t len = strcspn(p, ",");
        int is_flag = len > 2 && p[0] == '-' && p[1] == '-';
        int is_env = !is_flag && isupper((unsigned char)p[0]);
        char k = is_flag ? 'f' : is_env ? 'e' : 'k';
        const char *tok = is_flag ? p + 2 : p;
        size_t tl = is_flag ? len - 2 : len;
        if (k == kind && tl == n && strncmp(tok, name, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

/* The first old environment variable of o that is set, or NULL. */
static const char *old_env_value(const sf_opt *o)
{
    char name[SF_LIM_OPT_NAME + 1];
    for (const char *p = o->old; p && *p;) {
        size_t len = strcspn(p, ",");
        if (isupper((unsigned char)p[0]) && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            const char *v = getenv(name);
            if (v && *v)
                return v;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return NULL;
}

const sf_opt *sf_opt_find(const sf_opt_group *gs, size_t ng, char kind, const char *name,
                          size_t n, size_t *goff)
{
    for (int old = 0; old < 2; old++)
        for (size_t g = 0; g < ng; g++)
            for (size_t i = 0; i < gs[g].n; i++) {
                const sf_opt *o = &gs[g].rows[i];
                if (kind == 'k' && (o->flags & SF_OPT_NOFILE))
                    continue;
                int hit = old ? sf_opt_old_has(o->old, kind, name, n)
                              : kind == 's' ? (n == 1 && o->short_flag == name[0])
                                            : sf_opt_name_eq(o->key, name, n);
                if (hit) {
                    *goff = gs[g].off;
                    return o;
                }
            }
    return NULL;
}

/* ---- sources ---- */

static int apply_defaults(const sf_opt_spec *s, void *base, sf_error *err)
{
    for (size_t g = 0; g < s->ngroups; g++) {
        char *gb = (char *)base + s->groups[g].off;
        int rc = sf_opt_rows_defaults(gb, s->groups[g].rows, s->groups[g].n, err);
        if (rc)
            return rc;
    }
    return SF_OK;
}

/* only_file: 1 the options file's row only, 0 every other row. */
static int apply_env(const sf_opt_spec *s, void *base, int only_file, sf_error *err)
{
    for (size_t g = 0; g < s->ngroups; g++)
        for (size_t i = 0; i < s->groups[g].n; i++) {
            const sf_opt *o = &s->groups[g].rows[i];
            int is_file = s->file_key && g == 0 && strcmp(o->key, s->file_key) == 0;
            if (is_file != only_file)
                continue;
            const char *v = o->env ? getenv(o->env) : NULL;
            const char *src = o->env;
            if (!v || !*v) {
                v = old_env_value(o);
                src = "environment (older spelling)";
            }
            if (!v || !*v)
                continue;
            char *p = (char *)base + s->groups[g].off + o->off;
            int rc = sf_opt_set_text(p, o, v, 0, src, err);
            if (rc)
                return rc;
        }
    return SF_OK;
}

int sf_opt_rows_defaults(void *base, const sf_opt *rows, size_t n, sf_error *err)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].def) {
            int rc = sf_opt_set_text((char *)base + rows[i].off, &rows[i], rows[i].def, 0,
                                     "default", err);
            if (rc)
                return rc;
        }
    return SF_OK;
}

void sf_opt_rows_free(void *base, const sf_opt *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *p = (char *)base + rows[i].off;
        if (rows[i].type == SF_OT_STR) {
            char *v = *(char **)p;
            if (v && (rows[i].flags & SF_OPT_SECRET))
                explicit_bzero(v, strlen(v));
            free(v);
            *(char **)p = NULL;
        } else if (rows[i].type == SF_OT_LIST) {
            sf_strlist_free((sf_strlist *)p);
        }
    }
}

void sf_opt_free(const sf_opt_spec *s, void *base)
{
    for (size_t g = 0; base && g < s->ngroups; g++)
        sf_opt_rows_free((char *)base + s->groups[g].off, s->groups[g].rows, s->groups[g].n);
}

int sf_opt_load_text(const sf_opt_spec *s, void *base, const char *text, size_t len,
                     sf_error *err)
{
    json_t *doc = NULL;
    int rc = apply_defaults(s, base, err);
    if (!rc)
        rc = sf_opt_parse_text(s, text, len, &doc, err);
    if (!rc)
        rc = sf_opt_apply_doc(s, base, doc, "config", err);
    json_decref(doc);
    if (!rc && s->on_validate)
        rc = s->on_validate(base, err);
    return rc;
}

int sf_opt_load(const sf_opt_spec *s, void *base, int argc, char **argv, sf_opt_cmd *cmd,
                sf_error *err)
{
    memset(cmd, 0, sizeof *cmd);
    int rc = apply_defaults(s, base, err);
    if (!rc && s->file_key)
        rc = apply_env(s, base, 1, err);
    if (!rc)
        rc = sf_opt_argv(s, base, argc, argv, 0, cmd, err); /* the file's path, the action */
    /* only --print-config needs the file and the validation */
    int tables_only = cmd->action == SF_OPT_HELP || cmd->action == SF_OPT_PRINT_DOCS ||
                      cmd->action == SF_OPT_VERSION;
    if (!rc && s->file_key && !tables_only)
        rc = sf_opt_load_file(s, base, err);
    if (!rc)
        rc = apply_env(s, base, 0, err);
    if (!rc && s->on_env)
        rc = s->on_env(base, err);
    if (!rc)
        rc = sf_opt_argv(s, base, argc, argv, 1, cmd, err);
    tables_only = cmd->action == SF_OPT_HELP || cmd->action == SF_OPT_PRINT_DOCS ||
                  cmd->action == SF_OPT_VERSION;
    if (!rc && !tables_only && s->on_validate)
        rc = s->on_validate(base, err);
    return rc;
}
