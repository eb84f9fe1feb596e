/*
 * pkg: the data model shared by the analyzers (which find packages), the
 * assembler, the matcher and the result encoder: a package, its type, and
 * the OS release facts of an image.
 *
 * Strings in these structs are heap-owned by the struct; sf_pkg_clear /
 * sf_osinfo_clear free them. NULL means "absent".
 */
#ifndef SF_PKG_H
#define SF_PKG_H

#include <stddef.h>

#include "base/strfield.h"

/* Package types; the names are purl types (sf_pkg_type_name). */
typedef enum sf_pkg_type {
    SF_PT_UNKNOWN = 0,
    SF_PT_DPKG,     /* purl "deb" */
    SF_PT_APK,      /* "apk" */
    SF_PT_RPM,      /* "rpm" */
    SF_PT_NPM,      /* "npm" */
    SF_PT_PYPI,     /* "pypi" */
    SF_PT_GO,       /* "golang": Go modules, and "stdlib" for the toolchain */
    SF_PT_MAVEN,    /* "maven": name is "group:artifact" */
    SF_PT_CARGO,    /* "cargo" */
    SF_PT_GEM,      /* "gem" */
    SF_PT_COMPOSER, /* "composer" */
    SF_PT_NUGET,    /* "nuget": .NET packages */
    SF_PT_COUNT
} sf_pkg_type;

/* purl type name ("deb", "apk", "npm", ...); "unknown" for others. */
const char *sf_pkg_type_name(sf_pkg_type t);
/* Inverse of sf_pkg_type_name; also accepts "dpkg". SF_PT_UNKNOWN if none. */
sf_pkg_type sf_pkg_type_parse(const char *s);
/* OSV ecosystem of a language package type ("npm", "PyPI", "Go", "Maven",
 * "crates.io", "RubyGems", "Packagist", "NuGet"); NULL for OS package types, whose
 * ecosystem depends on the distro release (see sf_osinfo_osv_ecosystem). */
const char *sf_pkg_type_osv_ecosystem(sf_pkg_type t);
/* 1 for dpkg, apk and rpm. */
int sf_pkg_type_is_os(sf_pkg_type t);

typedef struct sf_pkg {
    sf_pkg_type type;
    char *name;        /* binary / installed name (Maven: "group:artifact") */
    char *version;     /* installed version as the package DB spells it */
    char *src_name;    /* source package (dpkg Source:, apk o:, rpm SOURCERPM name); NULL = same as name */
    char *src_version; /* source version when it differs (dpkg "Source: x (ver)"); NULL = version */
    char *arch;
    char *license;
    char *path;        /* file the package was found in, relative to the root, no leading '/' */
    int layer;         /* index of the layer it came from, bottom = 0; -1 unknown */
} sf_pkg;

/* Free the strings of p and zero it. */
void sf_pkg_clear(sf_pkg *p);
/* Deep copy src into dst (dst is overwritten, not freed first). */
int sf_pkg_copy(sf_pkg *dst, const sf_pkg *src);
/* Source name used for advisory lookup: src_name or name. Borrowed. */
const char *sf_pkg_src_name(const sf_pkg *p);
/* Source version used for advisory lookup: src_version or version. Borrowed. */
const char *sf_pkg_src_version(const sf_pkg *p);

/* OS release facts (os-release keys; alpine-release etc. fill the same fields). */
typedef struct sf_osinfo {
    char *id;          /* "alpine", "debian", "ubuntu", "rhel", ... */
    char *version_id;  /* "3.10.3", "11", "22.04" */
    char *codename;    /* "bullseye" */
    char *pretty_name;
    char *id_like;
} sf_osinfo;

void sf_osinfo_clear(sf_osinfo *os);
int sf_osinfo_copy(sf_osinfo *dst, const sf_osinfo *src);

/* The string members of sf_pkg (name, version, src_name, src_version,
 * arch, license, path) and of sf_osinfo (id, version_id, codename,
 * pretty_name, id_like), keyed by their JSON names: what clear and copy
 * walk, and what layer inventories and scan results encode. */
extern const sf_strfield sf_pkg_fields[];
extern const size_t sf_pkg_nfields;
extern const sf_strfield sf_osinfo_fields[];
extern const size_t sf_osinfo_nfields;

/*
 * OSV ecosystem string of the distro, written into out:
 *   alpine 3.10.3 -> "Alpine:v3.10", debian 11 -> "Debian:11",
 *   ubuntu 22.04 -> "Ubuntu:22.04". SF_ENOTFOUND when unknown.
 * Debian without VERSION_ID (testing/sid) uses the codename's number if
 * known, else "Debian:<codename>".
 */
int sf_osinfo_osv_ecosystem(const sf_osinfo *os, char *out, size_t outlen);

/* Debian release number ("11") of a codename ("bullseye"); NULL if unknown. */
const char *sf_debian_release_number(const char *codename);

#endif
