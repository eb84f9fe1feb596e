/*
 * opt_out: what the option engine prints, all from the same tables: the
 * one --help layout of every program and command, --print-config (JSON,
 * secrets "***"), and --print-docs (the Markdown reference in
 * docs/<name>-config.md, between the generated markers).
 *
 * --help layout, for every program:
 *
 *   usage: <prog> <usage>
 *
 *   <summary>
 *
 *   Options (default < config file < environment < flag):
 *     -o, --flag ARG
 *         help text, wrapped (default X; env SCANFARM_X)
 *     env SCANFARM_SECRET (secret: environment or config file only)
 *         help text
 *
 *   <group title>:
 *     ...
 *
 *   Every program:
 *     --help, --version, --print-config, --print-docs
 *
 *   <epilog>
 */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/opt_int.h"
#include "sf_version.h"

#define HELP_WIDTH 79
#define HELP_INDENT 6

const char *sf_opt_type_name(const sf_opt *o)
{
    static const char *n[] = {"TEXT", "N", "N", "NUM", "BOOL", "DURATION", "LIST", "TEXT"};
    if (o->arg)
        return o->arg;
    return (size_t)o->type < sizeof n / sizeof n[0] ? n[o->type] : "TEXT";
}

/* The docs' type column: the kind of value, not the metavar. */
static const char *kind_name(const sf_opt *o)
{
    static const char *n[] = {"TEXT", "N", "N", "NUM", "BOOL", "DURATION", "LIST", "TEXT"};
    return (size_t)o->type < sizeof n / sizeof n[0] ? n[o->type] : "TEXT";
}

void sf_opt_flag_of(const sf_opt *o, char *out, size_t cap)
{
    size_t k = 0;
    for (; o->key[k] && k + 1 < cap; k++)
        out[k] = o->key[k] == '_' || o->key[k] == '.' ? '-' : o->key[k];
    out[k] = '\0';
}

static int shown_row(const sf_opt *o)
{
    return !(o->flags & SF_OPT_HIDDEN);
}

/* ---- --help ---- */

/* text from column col, wrapped at HELP_WIDTH with HELP_INDENT; the new
 * column. A '\n' in text starts a new line. */
static size_t wrap(FILE *f, const char *text, size_t col)
{
    const char *p = text;
    while (*p) {
        size_t word = strcspn(p, " \n");
        if (col > HELP_INDENT && col + 1 + word > HELP_WIDTH) {
            fprintf(f, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        } else if (col > HELP_INDENT) {
            fputc(' ', f);
            col++;
        }
        fwrite(p, 1, word, f);
        col += word;
        p += word;
        if (*p == '\n') {
            fprintf(f, "\n%*s", HELP_INDENT, "");
            col = HELP_INDENT;
        }
        while (*p == ' ' || *p == '\n')
            p++;
    }
    return col;
}

static void help_row(FILE *f, const sf_opt *o)
{
    char flag[SF_LIM_OPT_NAME + 1], text[2048];
    sf_opt_flag_of(o, flag, sizeof flag);
    if (o->flags & (SF_OPT_SECRET | SF_OPT_NOFLAG))
        fprintf(f, "  env %s (%s: environment or config file only)\n", o->env ? o->env : "-",
                (o->flags & SF_OPT_SECRET) ? "secret" : "no flag");
    else
        fprintf(f, "  %s%s%s--%s%s%s\n", o->short_flag ? "-" : "",
                o->short_flag ? (char[2]){o->short_flag, '\0'} : "", o->short_flag ? ", " : "",
                flag, o->type == SF_OT_BOOL ? "" : " ",
                o->type == SF_OT_BOOL ? "" : sf_opt_type_name(o));
    const char *def = o->def && *o->def && o->type != SF_OT_FUNC ? o->def : NULL;
    int has_env = o->env && !(o->flags & (SF_OPT_SECRET | SF_OPT_NOFLAG));
    text[0] = '\0';
    if (def || has_env) /* one unit: "env X" never split from its name */
        snprintf(text, sizeof text, "(%s%s%s%s%s)", def ? "default " : "", def ? def : "",
                 def && has_env ? "; " : "", has_env ? "env " : "", has_env ? o->env : "");
    fprintf(f, "%*s", HELP_INDENT, "");
    size_t col = wrap(f, o->help ? o->help : "", HELP_INDENT);
    size_t tl = strlen(text);
    if (tl && col > HELP_INDENT && col + 1 + tl > HELP_WIDTH)
        fprintf(f, "\n%*s%s\n", HELP_INDENT, "", text);
    else
        fprintf(f, "%s%s\n", tl && col > HELP_INDENT ? " " : "", text);
}

static void help_rows(FILE *f, const sf_opt_group *g)
{
    for (size_t i = 0; i < g->n; i++)
        if (shown_row(&g->rows[i]))
            help_row(f, &g->rows[i]);
}

static int spec_has(const sf_opt_spec *s, int env)
{
    for (size_t g = 0; g < s->ngroups; g++)
        for (size_t i = 0; i < s->groups[g].n; i++)
            if (env && s->groups[g].rows[i].env)
                return 1;
    return 0;
}

void sf_opt_usage(const sf_opt_spec *s, FILE *out)
{
    fprintf(out, "usage: %s %s\n", s->prog, s->usage ? s->usage : "[options]");
    fprintf(out, "(%s --help lists the options)\n", s->prog);
}

void sf_opt_help(const sf_opt_spec *s, FILE *f)
{
    int env = spec_has(s, 1);
    fprintf(f, "usage: %s %s\n", s->prog, s->usage ? s->usage : "[options]");
    if (s->summary) {
        fputc('\n', f);
        fputs(s->summary, f);
        if (s->summary[0] && s->summary[strlen(s->summary) - 1] != '\n')
            fputc('\n', f);
    }
    if (s->ngroups && !s->groups[0].title)
        fprintf(f, "\nOptions%s%s%s:\n", s->file_key || env ? " (default < " : "",
                s->file_key ? "config file < " : "",
                s->file_key || env ? (env ? "environment < flag)" : "flag)") : "");
    for (size_t g = 0; g < s->ngroups; g++) {
        if (s->groups[g].title)
            fprintf(f, "\n%s:\n", s->groups[g].title);
        help_rows(f, &s->groups[g]);
    }
    fputs("\nEvery program:\n"
          "  --help\n      print this help and exit\n"
          "  --version\n      print the version and exit\n"
          "  --print-config\n"
          "      print the effective configuration as JSON (secrets as \"***\") and exit\n"
          "  --print-docs\n"
          "      print the Markdown reference of these options (docs/*-config.md) and exit\n",
          f);
    if (s->epilog) {
        fputc('\n', f);
        fputs(s->epilog, f);
        if (s->epilog[0] && s->epilog[strlen(s->epilog) - 1] != '\n')
            fputc('\n', f);
    }
}

/* ---- --print-config ---- */

static void redact_one(const char *s, size_t n, char *out, size_t cap, size_t *k)
{
    const char *scheme = NULL, *end = s + n;
    for (const char *q = s; q + 3 <= end; q++)
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            scheme = q + 3;
            break;
        }
    const char *at = NULL;
    for (const char *q = scheme; q && q < end && *q != '/'; q++)
        if (*q == '@')
            at = q;
    const char *colon = at ? memchr(scheme, ':', (size_t)(at - scheme)) : NULL;
    int w;
    if (!at)
        w = snprintf(out + *k, cap - *k, "%.*s", (int)n, s);
    else /* scheme and user kept, the password (or a lone token) hidden */
        w = snprintf(out + *k, cap - *k, "%.*s:***%.*s", (int)((colon ? colon : scheme) - s), s,
                     (int)(end - at), at);
    *k += w < 0 ? 0 : (size_t)w < cap - *k ? (size_t)w : cap - *k - 1;
}

void sf_opt_redact_url(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    if (!cap)
        return;
    out[0] = '\0';
    while (s && k + 1 < cap) {
        size_t n = strcspn(s, ",");
        redact_one(s, n, out, cap, &k);
        if (!s[n] || k + 1 >= cap)
            break;
        out[k++] = ',';
        out[k] = '\0';
        s += n + 1;
    }
}

static json_t *str_json(const sf_opt *o, const char *s)
{
    char shown[1024];
    if (!s)
        return json_null();
    if (o->flags & (SF_OPT_SECRET | SF_OPT_MASKED))
        return json_string("***");
    sf_opt_redact_url(s, shown, sizeof shown);
    return json_string(shown);
}

static json_t *row_json(const void *base, const sf_opt *o)
{
    const char *p = (const char *)base + o->off;
    switch (o->type) {
    case SF_OT_STR:
        return str_json(o, *(char *const *)p);
    case SF_OT_INT:
        return json_integer(*(const int *)p);
    case SF_OT_BOOL:
        return json_boolean(*(const int *)p);
    case SF_OT_LONG:
    case SF_OT_DURATION:
        return json_integer(*(const long *)p);
    case SF_OT_DOUBLE:
        return json_real(*(const double *)p);
    case SF_OT_LIST: {
        const sf_strlist *l = (const sf_strlist *)p;
        json_t *a = json_array();
        for (size_t i = 0; a && i < l->n; i++)
            json_array_append_new(a, str_json(o, l->v[i]));
        return a;
    }
    case SF_OT_FUNC:
        break;
    }
    return json_null();
}

static void put_path(json_t *obj, const char *name, json_t *v)
{
    const char *dot = strchr(name, '.');
    if (!dot) {
        json_object_set_new(obj, name, v);
        return;
    }
    char part[SF_LIM_OPT_NAME + 1];
    size_t n = (size_t)(dot - name) < sizeof part ? (size_t)(dot - name) : sizeof part - 1;
    memcpy(part, name, n);
    part[n] = '\0';
    json_t *sub = json_object_get(obj, part);
    if (!sub) {
        sub = json_object();
        json_object_set_new(obj, part, sub);
    }
    put_path(sub, dot + 1, v);
}

void sf_opt_rows_dump(json_t *obj, const void *base, const sf_opt *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (shown_row(&rows[i]) && rows[i].type != SF_OT_FUNC)
            put_path(obj, rows[i].key, row_json(base, &rows[i]));
}

json_t *sf_opt_dump(const sf_opt_spec *s, const void *base)
{
    json_t *o = json_object();
    for (size_t g = 0; o && g < s->ngroups; g++)
        sf_opt_rows_dump(o, (const char *)base + s->groups[g].off, s->groups[g].rows,
                         s->groups[g].n);
    if (o && s->on_dump)
        s->on_dump(base, o);
    return o;
}

char *sf_opt_dump_text(const sf_opt_spec *s, const void *base)
{
    json_t *o = sf_opt_dump(s, base);
    char *t = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(o);
    return t;
}

/* ---- --print-docs ---- */

/* A table cell: '|' escaped, so help text never breaks the row. */
static int cell(sf_buf *b, const char *s)
{
    int rc = SF_OK;
    for (; rc == SF_OK && s && *s; s++)
        rc = *s == '|' ? sf_buf_puts(b, "\\|") : sf_buf_append(b, s, 1);
    return rc;
}

static int md_row(sf_buf *b, const sf_opt *o, int with_key)
{
    char flag[SF_LIM_OPT_NAME + 1];
    sf_opt_flag_of(o, flag, sizeof flag);
    int rc;
    if (o->flags & (SF_OPT_SECRET | SF_OPT_NOFLAG))
        rc = sf_buf_printf(b, "| (%s, no flag) |", (o->flags & SF_OPT_SECRET) ? "secret" : "file");
    else if (o->short_flag)
        rc = sf_buf_printf(b, "| `-%c`, `--%s` |", o->short_flag, flag);
    else
        rc = sf_buf_printf(b, "| `--%s` |", flag);
    if (rc == SF_OK && with_key)
        rc = (o->flags & SF_OPT_NOFILE) ? sf_buf_puts(b, " |")
                                         : sf_buf_printf(b, " `%s` |", o->key);
    if (rc == SF_OK)
        rc = sf_buf_printf(b, " %s%s%s | %s | %s%s%s | ", o->env ? "`" : "",
                           o->env ? o->env : "", o->env ? "`" : "", kind_name(o),
                           o->def && *o->def ? "`" : "", o->def ? o->def : "",
                           o->def && *o->def ? "`" : "");
    if (rc == SF_OK)
        rc = cell(b, o->help);
    return rc == SF_OK ? sf_buf_puts(b, " |\n") : rc;
}

static int md_table(sf_buf *b, const sf_opt_group *g, int with_key)
{
    int rc = sf_buf_puts(b, with_key ? "| option | config key | environment | type | default | "
                                       "description |\n|---|---|---|---|---|---|\n"
                                     : "| option | environment | type | default | description "
                                       "|\n|---|---|---|---|---|\n");
    for (size_t i = 0; rc == SF_OK && i < g->n; i++)
        if (shown_row(&g->rows[i]))
            rc = md_row(b, &g->rows[i], with_key);
    return rc;
}

/* "Older spellings, still accepted": every row's `old`. */
static int md_old(sf_buf *b, const sf_opt_spec *s)
{
    int rc = SF_OK, any = 0;
    for (size_t g = 0; rc == SF_OK && g < s->ngroups; g++)
        for (size_t i = 0; rc == SF_OK && i < s->groups[g].n; i++) {
            const sf_opt *o = &s->groups[g].rows[i];
            if (!o->old || !shown_row(o))
                continue;
            char flag[SF_LIM_OPT_NAME + 1];
            sf_opt_flag_of(o, flag, sizeof flag);
            rc = sf_buf_puts(b, any++ ? "- " : "\nOlder spellings, still accepted (not listed by "
                                               "--help):\n\n- ");
            for (const char *p = o->old; rc == SF_OK && *p;) {
                size_t len = strcspn(p, ",");
                rc = sf_buf_printf(b, "%s`%.*s`", p == o->old ? "" : ", ", (int)len, p);
                p += len + (p[len] == ',');
            }
            if (rc == SF_OK)
                rc = sf_buf_printf(b, " for `--%s`\n", flag);
        }
    return rc;
}

int sf_opt_rows_markdown(sf_buf *b, const sf_opt *rows, size_t n)
{
    int rc = SF_OK;
    for (size_t i = 0; rc == SF_OK && i < n; i++) {
        const sf_opt *o = &rows[i];
        rc = sf_buf_printf(b, "| `%s`%s | %s | %s%s%s | ", o->key,
                           (o->flags & SF_OPT_SECRET) ? " (secret)" : "", kind_name(o),
                           o->def ? "`" : "", o->def ? o->def : "", o->def ? "`" : "");
        if (rc == SF_OK)
            rc = cell(b, o->help);
        if (rc == SF_OK)
            rc = sf_buf_puts(b, " |\n");
    }
    return rc;
}

char *sf_opt_markdown(const sf_opt_spec *s)
{
    sf_buf b;
    sf_buf_init(&b, 1u << 20);
    int rc = sf_buf_printf(&b, "<!-- generated: `%s --print-docs` (tests/unit/config/"
                               "test_docs_drift.sh fails when this block drifts) -->\n", s->prog);
    if (rc == SF_OK && s->doc_intro)
        rc = sf_buf_printf(&b, "\n%s\n", s->doc_intro);
    if (rc == SF_OK)
        rc = sf_buf_printf(&b, "\nOrder of precedence: defaults < %s%sflags.%s\n\n",
                           s->file_key ? "config file (`--config`) < " : "",
                           spec_has(s, 1) ? "environment < " : "",
                           s->file_key ? " Config-file keys are the option names with `_`."
                                       : "");
    for (size_t g = 0; rc == SF_OK && g < s->ngroups; g++) {
        if (s->groups[g].title)
            rc = sf_buf_printf(&b, "\n%s:\n\n", s->groups[g].title);
        if (rc == SF_OK)
            rc = md_table(&b, &s->groups[g], s->file_key && !s->groups[g].title);
    }
    if (rc == SF_OK && s->on_markdown)
        rc = s->on_markdown(&b);
    if (rc == SF_OK)
        rc = md_old(&b, s);
    if (rc == SF_OK)
        rc = sf_buf_puts(&b, "<!-- end generated -->\n");
    if (rc != SF_OK) {
        sf_buf_free(&b);
        return NULL;
    }
    return sf_buf_steal(&b, NULL);
}

int sf_opt_act(const sf_opt_spec *s, const void *base, const sf_opt_cmd *cmd, FILE *out)
{
    char *t = NULL;
    switch (cmd->action) {
    case SF_OPT_RUN:
        return 0;
    case SF_OPT_HELP:
        sf_opt_help(s, out);
        return 1;
    case SF_OPT_VERSION:
        fprintf(out, "%s %s\n", s->prog, SF_VERSION_FULL);
        return 1;
    case SF_OPT_PRINT_CONFIG:
        t = sf_opt_dump_text(s, base);
        break;
    case SF_OPT_PRINT_DOCS:
        t = sf_opt_markdown(s);
        break;
    }
    if (t)
        fprintf(out, "%s%s", t, cmd->action == SF_OPT_PRINT_CONFIG ? "\n" : "");
    free(t);
    return 1;
}
