/* pkg: see pkg.h. */
#include "base/pkg.h"
#include "base/err.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *purl;
    const char *osv; /* NULL for OS package types */
    int is_os;
} types[SF_PT_COUNT] = {
    [SF_PT_UNKNOWN] = {"unknown", NULL, 0},
    [SF_PT_DPKG] = {"deb", NULL, 1},
    [SF_PT_APK] = {"apk", NULL, 1},
    [SF_PT_RPM] = {"rpm", NULL, 1},
    [SF_PT_NPM] = {"npm", "npm", 0},
    [SF_PT_PYPI] = {"pypi", "PyPI", 0},
    [SF_PT_GO] = {"golang", "Go", 0},
    [SF_PT_MAVEN] = {"maven", "Maven", 0},
    [SF_PT_CARGO] = {"cargo", "crates.io", 0},
    [SF_PT_GEM] = {"gem", "RubyGems", 0},
    [SF_PT_COMPOSER] = {"composer", "Packagist", 0},
    [SF_PT_NUGET] = {"nuget", "NuGet", 0},
};

const char *sf_pkg_type_name(sf_pkg_type t)
{
    return (unsigned)t < SF_PT_COUNT ? types[t].purl : "unknown";
}

sf_pkg_type sf_pkg_type_parse(const char *s)
{
    if (!s)
        return SF_PT_UNKNOWN;
    if (strcmp(s, "dpkg") == 0)
        return SF_PT_DPKG;
    for (int i = 1; i < SF_PT_COUNT; i++)
        if (strcmp(s, types[i].purl) == 0)
            return (sf_pkg_type)i;
    return SF_PT_UNKNOWN;
}

const char *sf_pkg_type_osv_ecosystem(sf_pkg_type t)
{
    return (unsigned)t < SF_PT_COUNT ? types[t].osv : NULL;
}

int sf_pkg_type_is_os(sf_pkg_type t) { return (unsigned)t < SF_PT_COUNT && types[t].is_os; }

const sf_strfield sf_pkg_fields[] = {
    {"name", offsetof(sf_pkg, name)},
    {"version", offsetof(sf_pkg, version)},
    {"src_name", offsetof(sf_pkg, src_name)},
    {"src_version", offsetof(sf_pkg, src_version)},
    {"arch", offsetof(sf_pkg, arch)},
    {"license", offsetof(sf_pkg, license)},
    {"path", offsetof(sf_pkg, path)},
};
const size_t sf_pkg_nfields = SF_STRFIELD_N(sf_pkg_fields);

const sf_strfield sf_osinfo_fields[] = {
    {"id", offsetof(sf_osinfo, id)},
    {"version_id", offsetof(sf_osinfo, version_id)},
    {"codename", offsetof(sf_osinfo, codename)},
    {"pretty_name", offsetof(sf_osinfo, pretty_name)},
    {"id_like", offsetof(sf_osinfo, id_like)},
};
const size_t sf_osinfo_nfields = SF_STRFIELD_N(sf_osinfo_fields);

void sf_pkg_clear(sf_pkg *p)
{
    if (!p)
        return;
    sf_strfields_free(p, sf_pkg_fields, sf_pkg_nfields);
    memset(p, 0, sizeof *p);
    p->layer = -1;
}

int sf_pkg_copy(sf_pkg *dst, const sf_pkg *src)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->layer = src->layer;
    if (sf_strfields_dup(dst, src, sf_pkg_fields, sf_pkg_nfields) == SF_OK)
        return SF_OK;
    sf_pkg_clear(dst);
    return SF_ENOMEM;
}

const char *sf_pkg_src_name(const sf_pkg *p) { return p->src_name ? p->src_name : p->name; }

const char *sf_pkg_src_version(const sf_pkg *p)
{
    return p->src_version ? p->src_version : p->version;
}

void sf_osinfo_clear(sf_osinfo *os)
{
    if (!os)
        return;
    sf_strfields_free(os, sf_osinfo_fields, sf_osinfo_nfields);
    memset(os, 0, sizeof *os);
}

int sf_osinfo_copy(sf_osinfo *dst, const sf_osinfo *src)
{
    memset(dst, 0, sizeof *dst);
    if (sf_strfields_dup(dst, src, sf_osinfo_fields, sf_osinfo_nfields) == SF_OK)
        return SF_OK;
    sf_osinfo_clear(dst);
    return SF_ENOMEM;
}

/* Debian codenames to release numbers, for images without VERSION_ID and
 * for the security tracker's [codename] lines. */
static const struct {
    const char *codename;
    const char *number;
} debian_releases[] = {
    {"squeeze", "6"}, {"wheezy", "7"},   {"jessie", "8"},  {"stretch", "9"},
    {"buster", "10"}, {"bullseye", "11"}, {"bookworm", "12"}, {"trixie", "13"},
    {"forky", "14"},  {"duke", "15"},
};

const char *sf_debian_release_number(const char *codename)
{
    if (!codename)
        return NULL;
    for (size_t i = 0; i < sizeof debian_releases / sizeof debian_releases[0]; i++)
        if (strcmp(debian_releases[i].codename, codename) == 0)
            return debian_releases[i].number;
    return NULL;
}

int sf_osinfo_osv_ecosystem(const sf_osinfo *os, char *out, size_t outlen)
{
    if (!os || !os->id)
        return SF_ENOTFOUND;
    int n = -1;
    if (strcmp(os->id, "alpine") == 0 && os->version_id) {
        /* "3.10.3" -> "v3.10"; "3.21_alpha2025" (edge) -> "v3.21" */
        const char *v = os->version_id;
        const char *dot = strchr(v, '.');
        size_t len = strlen(v);
        if (dot) {
            const char *end = dot + 1;
            while (*end >= '0' && *end <= '9')
                end++;
            len = (size_t)(end - v);
        }
        n = snprintf(out, outlen, "Alpine:v%.*s", (int)len, v);
    } else if (strcmp(os->id, "debian") == 0) {
        const char *num = os->version_id;
        if (!num)
            num = sf_debian_release_number(os->codename);
        if (num) {
            /* VERSION_ID is the major release ("11"); keep only digits before a dot. */
            size_t len = strcspn(num, ".");
            n = snprintf(out, outlen, "Debian:%.*s", (int)len, num);
        } else if (os->codename) {
            n = snprintf(out, outlen, "Debian:%s", os->codename);
        }
    } else if (strcmp(os->id, "ubuntu") == 0 && os->version_id) {
        n = snprintf(out, outlen, "Ubuntu:%s", os->version_id);
    } else if (os->version_id) {
        /* Other distros: capitalised id (e.g. "Rocky Linux" differs; refined by vuln). */
        n = snprintf(out, outlen, "%s:%s", os->id, os->version_id);
    }
    if (n < 0 || (size_t)n >= outlen)
        return SF_ENOTFOUND;
    return SF_OK;
}
