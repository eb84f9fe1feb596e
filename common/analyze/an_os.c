/*
 * an_os: OS release facts from etc/os-release, usr/lib/os-release,
 * etc/alpine-release, etc/debian_version and etc/redhat-release.
 *
 * Each file becomes one source with src->os filled from what that file
 * says; choosing between them (os-release wins over the single-purpose
 * files, a higher layer over a lower one) is the assembler's job.
 *
 * os-release follows the freedesktop spec: KEY=VALUE lines, '#' comments,
 * values unquoted or in single or double quotes; inside double quotes a
 * backslash escapes '"', '\\', '$' and '`'.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

#define OS_VALUE_MAX SF_LIM_OS_VALUE

static const char *const os_paths[] = {
    "etc/os-release", "usr/lib/os-release", "etc/alpine-release", "etc/debian_version",
    "etc/redhat-release", NULL,
};

static int os_wants(const sf_entry *e)
{
    if (!sf_an_is_regular(e))
        return 0;
    for (int i = 0; os_paths[i]; i++)
        if (strcmp(e->path, os_paths[i]) == 0)
            return 1;
    return 0;
}

/* Unquote an os-release value into out (at most OS_VALUE_MAX bytes);
 * SF_EPARSE on an unterminated quote or a too long value. */
static int unquote(const char *v, size_t n, char *out, size_t *outlen)
{
    size_t o = 0;
    char q = 0;
    if (n > 0 && (v[0] == '"' || v[0] == '\'')) {
        q = v[0];
        v++, n--;
    }
    size_t i = 0;
    for (; i < n; i++) {
        char c = v[i];
        if (q && c == q)
            break;
        if (q == '"' && c == '\\' && i + 1 < n && strchr("\"\\$`", v[i + 1]))
            c = v[++i];
        if (o >= OS_VALUE_MAX)
            return SF_EPARSE;
        out[o++] = c;
    }
    if (q && i >= n)
        return SF_EPARSE;
    *outlen = o;
    return SF_OK;
}

static int set_field(char **dst, const char *v, size_t n)
{
    char *s = NULL;
    int rc = sf_an_dup_field(&s, v, n);
    if (rc != SF_OK)
        return rc;
    free(*dst);
    *dst = s;
    return SF_OK;
}

static int parse_os_release(const uint8_t *data, size_t len, sf_osinfo *os)
{
    sf_an_lines r;
    const char *line;
    size_t n;
    char val[OS_VALUE_MAX];
    sf_an_lines_init(&r, data, len);
    while (sf_an_lines_next(&r, &line, &n)) {
        sf_an_trim(&line, &n);
        if (n == 0 || line[0] == '#')
            continue;
        const char *eq = memchr(line, '=', n);
        if (!eq)
            continue;
        size_t klen = (size_t)(eq - line), vlen = 0;
        if (unquote(eq + 1, n - klen - 1, val, &vlen) != SF_OK)
            continue; /* a broken line does not spoil the others */
        char **dst = NULL;
#define KEY(k, f)                                                                                  \
    if (klen == sizeof k - 1 && memcmp(line, k, klen) == 0)                                        \
        dst = &os->f;
        KEY("ID", id)
        KEY("VERSION_ID", version_id)
        KEY("VERSION_CODENAME", codename)
        KEY("PRETTY_NAME", pretty_name)
        KEY("ID_LIKE", id_like)
#undef KEY
        if (!dst)
            continue;
        int rc = set_field(dst, val, vlen);
        if (rc == SF_ENOMEM)
            return rc;
    }
    return SF_OK;
}

/* First line of a one-line file, trimmed. */
static void first_line(const uint8_t *data, size_t len, const char **s, size_t *n)
{
    sf_an_lines r;
    sf_an_lines_init(&r, data, len);
    *s = "";
    *n = 0;
    if (sf_an_lines_next(&r, s, n))
        sf_an_trim(s, n);
}

/* etc/debian_version: "11.11" (a release) or "bookworm/sid" (testing). */
static int parse_debian_version(const uint8_t *data, size_t len, sf_osinfo *os)
{
    const char *s;
    size_t n;
    int rc;
    first_line(data, len, &s, &n);
    if ((rc = set_field(&os->id, "debian", 6)) != SF_OK)
        return rc;
    if (n > 0 && s[0] >= '0' && s[0] <= '9')
        return set_field(&os->version_id, s, n);
    const char *slash = memchr(s, '/', n);
    return set_field(&os->codename, s, slash ? (size_t)(slash - s) : n);
}

/* etc/redhat-release: "<Name> release <version> (<codename>)". */
static const struct {
    const char *prefix;
    const char *id;
} rh_names[] = {
    {"Red Hat Enterprise Linux", "rhel"}, {"CentOS Stream", "centos"}, {"CentOS", "centos"},
    {"Fedora", "fedora"},     {"Rocky Linux", "rocky"},   {"AlmaLinux", "almalinux"},
    {"Oracle Linux", "ol"},   {"Amazon Linux", "amzn"},
};

static int parse_redhat_release(const uint8_t *data, size_t len, sf_osinfo *os)
{
    const char *s;
    size_t n;
    int rc;
    first_line(data, len, &s, &n);
    if (n == 0 || !sf_an_text_ok(s, n))
        return SF_EPARSE;
    for (size_t i = 0; i < sizeof rh_names / sizeof rh_names[0]; i++) {
        size_t pl = strlen(rh_names[i].prefix);
        if (n >= pl && memcmp(s, rh_names[i].prefix, pl) == 0) {
            if ((rc = set_field(&os->id, rh_names[i].id, strlen(rh_names[i].id))) != SF_OK)
                return rc;
            break;
        }
    }
    if ((rc = set_field(&os->pretty_name, s, n)) != SF_OK)
        return rc;
    const char *rel = memmem(s, n, " release ", 9);
    if (rel) {
        const char *v = rel + 9, *end = s + n;
        const char *ve = v;
        while (ve < end && *ve != ' ')
            ve++;
        if ((rc = set_field(&os->version_id, v, (size_t)(ve - v))) != SF_OK)
            return rc;
        const char *open = memchr(ve, '(', (size_t)(end - ve));
        const char *close = open ? memchr(open, ')', (size_t)(end - open)) : NULL;
        if (open && close)
            rc = set_field(&os->codename, open + 1, (size_t)(close - open - 1));
    }
    return rc;
}

static int parse_alpine_release(const uint8_t *data, size_t len, sf_osinfo *os)
{
    const char *s;
    size_t n;
    int rc;
    first_line(data, len, &s, &n);
    if (n == 0)
        return SF_EPARSE;
    if ((rc = set_field(&os->id, "alpine", 6)) != SF_OK)
        return rc;
    return set_field(&os->version_id, s, n);
}

static int os_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                    sf_error *err)
{
    int rc;
    const char *base = sf_an_basename(e->path);
    sf_osinfo *os = calloc(1, sizeof *os);
    if (!os)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (strcmp(base, "os-release") == 0)
        rc = parse_os_release(data, len, os);
    else if (strcmp(base, "alpine-release") == 0)
        rc = parse_alpine_release(data, len, os);
    else if (strcmp(base, "debian_version") == 0)
        rc = parse_debian_version(data, len, os);
    else
        rc = parse_redhat_release(data, len, os);
    if (rc == SF_OK && !os->id)
        rc = SF_EPARSE; /* an OS file that names no OS tells nothing */
    if (rc != SF_OK) {
        sf_osinfo_clear(os);
        free(os);
        return sf_error_set(err, rc, "%s: %s", e->path,
                            rc == SF_ENOMEM ? "out of memory" : "no usable OS release facts");
    }
    if (src->os) {
        sf_osinfo_clear(src->os);
        free(src->os);
    }
    src->os = os;
    src->status = SF_SRC_PARSED;
    return SF_OK;
}

const sf_analyzer sf_an_os = {
    .name = "os",
    .version = 1,
    .max_bytes = 64 << 10, /* os-release files are < 1 KiB */
    .wants = os_wants,
    .sniff = NULL,
    .parse = os_parse,
};
