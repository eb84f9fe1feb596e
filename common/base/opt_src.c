/*
 * opt_src: the two sources of the option engine that need parsing: the
 * command line and the options file (untrusted text: bounded size, JSON
 * with duplicate keys refused, every key checked against the tables;
 * tests/fuzz/opt_fuzz.c).
 */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/opt_int.h"

/* ---- command line ---- */

static int action_rank(sf_opt_action a)
{
    static const int rank[] = {0, 4, 1, 2, 3}; /* help > version > docs > config */
    return rank[a];
}

static void set_action(sf_opt_cmd *cmd, sf_opt_action a)
{
    if (action_rank(a) > action_rank(cmd->action))
        cmd->action = a;
}

/* 1 when a is one of the actions every program answers. */
static int is_action(const char *a, sf_opt_action *out)
{
    static const struct {
        const char *flag;
        sf_opt_action act;
    } A[] = {{"--help", SF_OPT_HELP},
             {"-h", SF_OPT_HELP},
             {"--version", SF_OPT_VERSION},
             {"--print-config", SF_OPT_PRINT_CONFIG},
             {"--print-docs", SF_OPT_PRINT_DOCS}};
    for (size_t i = 0; i < sizeof A / sizeof A[0]; i++)
        if (strcmp(a, A[i].flag) == 0)
            return *out = A[i].act, 1;
    return 0;
}

/* The row argv[*i] names, and its value (consuming the next argument
 * when the value is separate). */
static int flag_row(const sf_opt_spec *s, int argc, char **argv, int *i, const sf_opt **o,
                    size_t *goff, const char **val, sf_error *err)
{
    const char *a = argv[*i], *name = a + 2;
    size_t n;
    *val = NULL;
    if (a[1] == '-') {
        n = strcspn(name, "=");
        if (name[n] == '=')
            *val = name + n + 1;
        *o = n <= SF_LIM_OPT_NAME ? sf_opt_find(s->groups, s->ngroups, 'f', name, n, goff)
                                  : NULL;
    } else {
        *o = a[2] ? NULL : sf_opt_find(s->groups, s->ngroups, 's', a + 1, 1, goff);
    }
    if (!*o)
        return sf_error_set(err, SF_ECONFIG, "unknown option %.64s (see --help)", a);
    if ((*o)->flags & (SF_OPT_SECRET | SF_OPT_NOFLAG)) {
        char flag[SF_LIM_OPT_NAME + 1];
        sf_opt_flag_of(*o, flag, sizeof flag);
        return sf_error_set(err, SF_ECONFIG, "--%s is not a flag%s: use %s%sthe config file",
                            flag, ((*o)->flags & SF_OPT_SECRET)
                                      ? " (the process list would show it)" : "",
                            (*o)->env ? (*o)->env : "", (*o)->env ? " or " : "");
    }
    if (*val)
        return SF_OK;
    if ((*o)->type == SF_OT_BOOL) {
        /* --once, --once=false, or --once false: the next argument only when
         * it is a boolean word, so positionals after a switch stay positional */
        if (*i + 1 < argc && sf_opt_is_bool(argv[*i + 1]))
            *val = argv[++*i];
        else
            *val = "true";
        return SF_OK;
    }
    if (*i + 1 >= argc)
        return sf_error_set(err, SF_ECONFIG, "option %.64s needs a value", a);
    *val = argv[++*i];
    return SF_OK;
}

/* Index of o among every row of s (for "first seen on the command line"). */
static size_t row_index(const sf_opt_spec *s, const sf_opt *o)
{
    size_t k = 0;
    for (size_t g = 0; g < s->ngroups; g++) {
        if (o >= s->groups[g].rows && o < s->groups[g].rows + s->groups[g].n)
            return k + (size_t)(o - s->groups[g].rows);
        k += s->groups[g].n;
    }
    return k;
}

static size_t row_count(const sf_opt_spec *s)
{
    size_t k = 0;
    for (size_t g = 0; g < s->ngroups; g++)
        k += s->groups[g].n;
    return k;
}

static int positional(const sf_opt_spec *s, char **argv, int *w, char *a, int pass,
                      sf_error *err)
{
    if (s->max_args >= 0 && *w - 1 >= s->max_args)
        return sf_error_set(err, SF_ECONFIG, s->max_args ? "unexpected argument \"%.64s\" "
                            "(too many)" : "unexpected argument \"%.64s\"", a);
    if (pass == 1)
        argv[*w] = a; /* w <= the current index: only visited slots move */
    (*w)++;
    return SF_OK;
}

int sf_opt_argv(const sf_opt_spec *s, void *base, int argc, char **argv, int pass,
                sf_opt_cmd *cmd, sf_error *err)
{
    unsigned char *seen = calloc(row_count(s) + 1, 1);
    int rc = seen ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    int w = 1, rest = 0;
    for (int i = 1; rc == SF_OK && i < argc; i++) {
        char *a = argv[i];
        sf_opt_action act;
        if (rest || a[0] != '-' || a[1] == '\0') {
            rc = positional(s, argv, &w, a, pass, err);
            continue;
        }
        if (strcmp(a, "--") == 0) {
            rest = 1;
            continue;
        }
        if (is_action(a, &act)) {
            set_action(cmd, act);
            continue;
        }
        const sf_opt *o;
        const char *v;
        size_t goff;
        rc = flag_row(s, argc, argv, &i, &o, &goff, &v, err);
        if (rc)
            break;
        int is_file = s->file_key && goff == 0 && o >= s->groups[0].rows &&
                      o < s->groups[0].rows + s->groups[0].n && !strcmp(o->key, s->file_key);
        if (is_file != (pass == 0))
            continue;
        char src[SF_LIM_OPT_NAME + 8];
        if (a[1] == '-')
            snprintf(src, sizeof src, "%.*s", (int)strcspn(a, "="), a);
        else
            snprintf(src, sizeof src, "%s", a);
        size_t idx = row_index(s, o);
        rc = sf_opt_set_text((char *)base + goff + o->off, o, v, seen[idx], src, err);
        seen[idx] = 1;
    }
    if (pass == 1 && rc == SF_OK) {
        cmd->args = argv + 1;
        cmd->nargs = w - 1;
    }
    free(seen);
    return rc;
}

/* ---- the options file ---- */

int sf_opt_parse_text(const sf_opt_spec *s, const char *text, size_t len, json_t **doc,
                      sf_error *err)
{
    json_error_t je;
    size_t i = 0;
    *doc = NULL;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (s->parse && !(i < len && text[i] == '{'))
        return s->parse(text, len, doc, err);
    *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!*doc)
        return sf_error_set(err, SF_ECONFIG, "config:%d: %s", je.line, je.text);
    return SF_OK;
}

int sf_opt_load_file(const sf_opt_spec *s, void *base, sf_error *err)
{
    size_t goff;
    const sf_opt *o = sf_opt_find(s->groups, s->ngroups, 'f', s->file_key,
                                  strlen(s->file_key), &goff);
    const char *path = o ? *(char *const *)((char *)base + goff + o->off) : NULL;
    if (!path || !*path)
        return SF_OK;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sf_error_set(err, SF_ECONFIG, "config %.200s: cannot open", path);
    sf_buf b;
    sf_buf_init(&b, SF_LIM_OPT_FILE_BYTES);
    int rc = sf_buf_read_file(&b, f);
    fclose(f);
    json_t *doc = NULL;
    if (rc)
        rc = sf_error_set(err, SF_ECONFIG, "config %.200s: unreadable or larger than %u bytes",
                          path, SF_LIM_OPT_FILE_BYTES);
    if (!rc)
        rc = sf_opt_parse_text(s, b.data ? b.data : "", b.len, &doc, err);
    if (!rc)
        rc = sf_opt_apply_doc(s, base, doc, "config", err);
    json_decref(doc);
    sf_buf_free(&b);
    return rc;
}

/* 1 when some row's key starts with name (n bytes) and a '.'. */
static int nested_prefix(const sf_opt_group *gs, size_t ng, const char *name, size_t n)
{
    for (size_t g = 0; g < ng; g++)
        for (size_t i = 0; i < gs[g].n; i++) {
            const char *k = gs[g].rows[i].key;
            const char *dot = strchr(k, '.');
            size_t j = 0;
            while (dot && j < n && (k[j] == name[j] || (k[j] == '_' && name[j] == '-')))
                j++;
            if (dot && j == n && (size_t)(dot - k) == n)
                return 1;
        }
    return 0;
}

static int apply_one(const sf_opt_group *gs, size_t ng, void *base, const char *key,
                     json_t *v, const char *src, int old, sf_error *err)
{
    size_t goff, n = strlen(key);
    const sf_opt *o = sf_opt_find(gs, ng, 'k', key, n, &goff);
    int is_old = o && !sf_opt_name_eq(o->key, key, n);
    if (!o || is_old != old || json_is_null(v))
        return SF_OK;
    char where[SF_LIM_OPT_NAME * 2 + 32];
    snprintf(where, sizeof where, "%s %s", src, o->key);
    return sf_opt_set_json((char *)base + goff + o->off, o, v, where, err);
}

/* The members of obj; nested objects of dotted keys one level deep. Old
 * spellings first (old = 1), so the new spelling wins when both are set. */
static int apply_members(const sf_opt_group *gs, size_t ng, const char *file_key, void *base,
                         json_t *obj, const char *src, int old, sf_error *err)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        size_t n = strlen(k), goff;
        if (n > SF_LIM_OPT_NAME)
            return sf_error_set(err, SF_ECONFIG, "%s: unknown setting \"%.64s...\"", src, k);
        if (file_key && sf_opt_name_eq(file_key, k, n))
            continue; /* the file's own path */
        int rc = SF_OK;
        if (sf_opt_find(gs, ng, 'k', k, n, &goff)) {
            rc = apply_one(gs, ng, base, k, v, src, old, err);
        } else if (json_is_object(v) && nested_prefix(gs, ng, k, n)) {
            const char *sk;
            json_t *sv;
            json_object_foreach(v, sk, sv)
            {
                char full[SF_LIM_OPT_NAME * 2 + 2];
                snprintf(full, sizeof full, "%s.%.*s", k, SF_LIM_OPT_NAME, sk);
                if (!sf_opt_find(gs, ng, 'k', full, strlen(full), &goff))
                    return sf_error_set(err, SF_ECONFIG, "%s: unknown setting \"%.64s\"", src,
                                        full);
                if ((rc = apply_one(gs, ng, base, full, sv, src, old, err)) != SF_OK)
                    return rc;
            }
        } else {
            return sf_error_set(err, SF_ECONFIG, "%s: unknown setting \"%.64s\"", src, k);
        }
        if (rc)
            return rc;
    }
    return SF_OK;
}

int sf_opt_apply_doc(const sf_opt_spec *s, void *base, json_t *doc, const char *src,
                     sf_error *err)
{
    if (!json_is_object(doc))
        return sf_error_set(err, SF_ECONFIG, "%s: top level must be an object", src);
    int rc = s->on_doc ? s->on_doc(base, doc, src, err) : SF_OK;
    for (int old = 1; rc == SF_OK && old >= 0; old--)
        rc = apply_members(s->groups, s->ngroups, s->file_key, base, doc, src, old, err);
    return rc;
}

int sf_opt_rows_json(void *base, const sf_opt *rows, size_t n, json_t *obj, const char *src,
                     sf_error *err)
{
    sf_opt_group g = {NULL, rows, n, 0};
    if (!json_is_object(obj))
        return sf_error_set(err, SF_ECONFIG, "%s: must be an object", src);
    int rc = SF_OK;
    for (int old = 1; rc == SF_OK && old >= 0; old--)
        rc = apply_members(&g, 1, NULL, base, obj, src, old, err);
    return rc;
}
