/*
 * ver_go: Go module versions, as golang.org/x/mod/semver orders them.
 *
 * "v" MAJOR[.MINOR[.PATCH]][-pre][+build]; OSV's Go records drop the "v"
 * ("1.20.3"), so it is optional here. Shorthands "v1" and "v1.2" mean
 * v1.0.0 and v1.2.0 as in x/mod. "+incompatible" is build metadata and
 * ignored for ordering. Pseudo-versions (v0.0.0-20191109021931-daa7c04131f5,
 * v1.2.4-0.20191109021931-daa7c04131f5) are prereleases and order by
 * SemVer's prerelease rules, i.e. by base then timestamp, which is what
 * the go command relies on.
 *
 * Go toolchain spellings as the go command and Go binaries report the
 * standard library ("go1.20.3", "go1.21rc2", "go1.9beta1") read as the
 * OSV "stdlib" versions do ("1.20.3", "1.21.0-rc.2", "1.9.0-beta.1").
 *
 * Anything else (four numbers, "=" prefixes, stray bytes) is invalid and,
 * as in x/mod, sorts below every valid version; invalid strings order
 * among themselves by the generic order instead of all being equal, so
 * sort results stay deterministic.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "vuln/ver.h"
#include "base/limits.h"
#include "vuln/ver_int.h"

/* Pointer past an optional "v", or NULL when s is not a Go version. */
static const char *go_body(const char *s)
{
    const char *p = (*s == 'v') ? s + 1 : s;
    int parts = 0;
    for (;;) {
        size_t d = sf_ver__digits_z(p);
        if (d == 0 || ++parts > 3)
            return NULL;
        p += d;
        if (*p != '.')
            break;
        p++;
    }
    if (*p == '-' && parts < 3)
        return NULL; /* x/mod: no prerelease on shorthand versions */
    if (*p == '-' || *p == '+' || *p == '\0')
        return (*s == 'v') ? s + 1 : s;
    return NULL;
}

#define GO_TOOLCHAIN_MAX SF_LIM_GO_TOOLCHAIN

/* "go1.21rc2" -> "1.21.0-rc.2" and "go1.20.3" -> "1.20.3" into buf;
 * s unchanged when it is not a toolchain version. */
static const char *go_toolchain(const char *s, char *buf, size_t cap)
{
    if (strncmp(s, "go", 2) != 0 || !sf_ver__isdigit((unsigned char)s[2]))
        return s;
    const char *p = s + 2, *core = p;
    int dots = 0;
    for (;;) {
        size_t d = sf_ver__digits_z(p);
        if (d == 0)
            return s;
        p += d;
        if (*p != '.' || dots == 2)
            break;
        dots++;
        p++;
    }
    size_t corelen = (size_t)(p - core);
    const char *tag = strncmp(p, "rc", 2) == 0 ? "rc" : strncmp(p, "beta", 4) == 0 ? "beta" : NULL;
    if (*p == '\0' && corelen < cap) {
        memcpy(buf, core, corelen + 1);
        return buf;
    }
    if (!tag)
        return s;
    const char *num = p + strlen(tag);
    size_t nd = sf_ver__digits_z(num);
    if (nd == 0 || num[nd] != '\0' || dots == 2)
        return s;
    int n = snprintf(buf, cap, "%.*s%s-%s.%s", (int)corelen, core, dots == 1 ? ".0" : ".0.0", tag, num);
    return (n > 0 && (size_t)n < cap) ? buf : s;
}

int sf_ver_cmp_go(const char *a, const char *b)
{
    char bufa[GO_TOOLCHAIN_MAX], bufb[GO_TOOLCHAIN_MAX];
    a = go_toolchain(a ? a : "", bufa, sizeof bufa);
    b = go_toolchain(b ? b : "", bufb, sizeof bufb);
    const char *ba = go_body(a), *bb = go_body(b);
    if (ba && bb)
        return sf_ver_cmp_semver(ba, bb); /* a Go body always parses there */
    if (!ba != !bb)
        return ba ? 1 : -1;
    return sf_ver_cmp_generic(a, b);
}

/* x/mod's IsValid, except that the "v" may be missing (OSV spelling):
 * strict SemVer numbers and identifiers, shorthands allowed. */
int sf_ver__valid_go(const char *v)
{
    char buf[GO_TOOLCHAIN_MAX];
    const char *body = go_body(go_toolchain(v, buf, sizeof buf));
    if (!body)
        return 0;
    size_t parts = 1;
    for (const char *p = body; *p && *p != '-' && *p != '+'; p++)
        parts += *p == '.';
    if (parts == 3)
        return sf_ver__valid_semver(body);
    /* Shorthand: numbers without leading zeros, optional build only. */
    for (const char *p = body; *p && *p != '+'; p++)
        if (*p == '0' && (p == body || p[-1] == '.') && sf_ver__isdigit((unsigned char)p[1]))
            return 0;
    const char *plus = strchr(body, '+');
    return !plus || plus[1] != '\0';
}
