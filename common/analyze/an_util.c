/* an_util: see an_util.h. */
#include "analyze/an_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/limits.h"

void sf_an_lines_init(sf_an_lines *r, const uint8_t *data, size_t len)
{
    r->p = (const char *)data;
    r->end = data ? (const char *)data + len : NULL;
}

int sf_an_lines_eof(const sf_an_lines *r) { return r->p == r->end; }

int sf_an_lines_next(sf_an_lines *r, const char **line, size_t *len)
{
    if (r->p == r->end)
        return 0;
    const char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    const char *stop = nl ? nl : r->end;
    *line = r->p;
    *len = (size_t)(stop - r->p);
    if (*len > 0 && (*line)[*len - 1] == '\r')
        (*len)--;
    r->p = nl ? nl + 1 : r->end;
    return 1;
}

void sf_an_trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t')
            return 0;
    return 1;
}

int sf_an_field_next(sf_an_lines *r, sf_an_field *f)
{
    const char *line;
    size_t len;
    for (;;) {
        if (!sf_an_lines_next(r, &line, &len))
            return 0;
        if (is_blank(line, len)) {
            /* A blank line ends the stanza; runs of blank lines give the
             * caller empty stanzas, which it ignores. */
            return 0;
        }
        if (line[0] == ' ' || line[0] == '\t')
            continue; /* continuation of a multi-line value */
        const char *colon = memchr(line, ':', len);
        if (!colon)
            continue; /* not a field: tolerate, as dpkg's own parser warns and goes on */
        f->key = line;
        f->klen = (size_t)(colon - line);
        f->val = colon + 1;
        f->vlen = len - f->klen - 1;
        sf_an_trim(&f->key, &f->klen);
        sf_an_trim(&f->val, &f->vlen);
        return 1;
    }
}

int sf_an_key_is(const sf_an_field *f, const char *k)
{
    size_t n = strlen(k);
    return f->klen == n && strncasecmp(f->key, k, n) == 0;
}

int sf_an_text_ok(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t')
                return 0;
            if (c == 0x7f)
                return 0;
            i++;
            continue;
        }
        size_t len = sf_utf8_seq(p + i, n - i); /* RFC 3629 */
        if (!len)
            return 0;
        i += len;
    }
    return 1;
}

int sf_an_dup_field(char **out, const char *s, size_t n)
{
    *out = NULL;
    sf_an_trim(&s, &n);
    if (n == 0)
        return SF_OK;
    if (n > SF_AN_FIELD_MAX || !sf_an_text_ok(s, n))
        return SF_EPARSE;
    *out = sf_strndup(s, n);
    return *out ? SF_OK : SF_ENOMEM;
}

int sf_an_is_regular(const sf_entry *e)
{
    unsigned t = e->mode & S_IFMT;
    return t == 0 || t == S_IFREG;
}

int sf_an_has_suffix(const char *path, const char *suffix)
{
    size_t pl = strlen(path), sl = strlen(suffix);
    return pl >= sl && memcmp(path + pl - sl, suffix, sl) == 0;
}

const char *sf_an_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int sf_an_is_program(const sf_entry *e)
{
    const char *base = sf_an_basename(e->path);
    int shared_lib = sf_an_has_suffix(base, ".so") || strstr(base, ".so.") != NULL;
    return sf_an_is_regular(e) && (e->mode & 0111) && e->size >= 4096 && !shared_lib;
}

int sf_an_note(sf_inv_source *src, const char *fmt, ...)
{
    char tmp[SF_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    char *n = strdup(tmp);
    if (!n)
        return SF_ENOMEM;
    free(src->note);
    src->note = n;
    return SF_OK;
}

int sf_an_take_pkg(sf_inv_source *src, sf_pkg *p, sf_error *err)
{
    if (src->npkgs >= SF_LIM_PACKAGES) {
        sf_pkg_clear(p);
        return sf_error_set(err, SF_ELIMIT, "%s: more than %llu packages", src->path ? src->path : "?",
                            (unsigned long long)SF_LIM_PACKAGES);
    }
    int rc = sf_inv_source_take_pkg(src, p);
    sf_pkg_clear(p);
    if (rc != SF_OK)
        return sf_error_set(err, rc, "out of memory adding a package");
    return SF_OK;
}

int sf_an_unparsed(sf_inv_source *src, const char *why)
{
    src->status = SF_SRC_UNPARSED;
    return sf_an_note(src, "%s", why);
}

int sf_an_source_droppable(const sf_inv_source *src)
{
    static const char *const per_file[] = {"gobin", "java", "npm", "python", "rustbin", NULL};
    if (!src || !src->analyzer || src->status != SF_SRC_PARSED || src->npkgs || src->os || src->note)
        return 0;
    for (int i = 0; per_file[i]; i++)
        if (strcmp(src->analyzer, per_file[i]) == 0)
            return 1;
    return 0;
}

int sf_an_take_built(sf_inv_source *src, int rc, sf_pkg *p, size_t *skipped, sf_error *err)
{
    if (rc == SF_OK)
        return sf_an_take_pkg(src, p, err);
    sf_pkg_clear(p);
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "out of memory");
    (*skipped)++;
    return SF_OK;
}

int sf_an_named_pkg(sf_pkg *p, sf_pkg_type type, const char *name, size_t n, const char *ver,
                    size_t vn)
{
    memset(p, 0, sizeof *p);
    p->type = type;
    p->layer = -1;
    int rc = sf_an_dup_field(&p->name, name, n);
    if (rc == SF_OK)
        rc = sf_an_dup_field(&p->version, ver, vn);
    if (rc == SF_OK && (!p->name || !p->version))
        rc = SF_EPARSE;
    return rc;
}

int sf_an_take_single(sf_inv_source *src, int rc, sf_pkg *p, sf_error *err)
{
    if (rc == SF_OK) {
        src->status = SF_SRC_PARSED;
        return sf_an_take_pkg(src, p, err);
    }
    sf_pkg_clear(p);
    return rc == SF_ENOMEM ? sf_error_set(err, rc, "out of memory") : rc;
}

int sf_an_take_named(sf_inv_source *src, sf_pkg_type type, const char *name, size_t n,
                     const char *ver, size_t vn, size_t *skipped, sf_error *err)
{
    sf_pkg p;
    int rc = sf_an_named_pkg(&p, type, name, n, ver, vn);
    return sf_an_take_built(src, rc, &p, skipped, err);
}

int sf_an_note_skipped(sf_inv_source *src, size_t skipped, const char *what, sf_error *err)
{
    if (skipped && sf_an_note(src, "%zu malformed %s(s) skipped", skipped, what) != SF_OK)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    return SF_OK;
}
