/*
 * ver: version ordering per ecosystem. Each comparator is a pure function
 * and a total order on *any* string (invalid versions still compare
 * deterministically), so sorting and range checks never misbehave on
 * hostile input.
 */
#ifndef SF_VER_H
#define SF_VER_H

typedef enum sf_verscheme {
    SF_VS_GENERIC = 0, /* dotted numbers then text; fallback */
    SF_VS_DPKG,        /* Debian, Ubuntu */
    SF_VS_APK,         /* Alpine */
    SF_VS_RPM,         /* RHEL, Fedora, SUSE, ... (rpmvercmp with epoch/release) */
    SF_VS_SEMVER,      /* npm, crates.io, SEMVER ranges */
    SF_VS_PEP440,      /* PyPI */
    SF_VS_GO,          /* Go modules */
    SF_VS_MAVEN,       /* Maven */
    SF_VS_GEM,         /* RubyGems */
    SF_VS_COUNT
} sf_verscheme;

/* <0, 0, >0 as a orders before, equal to, after b under scheme s. */
int sf_ver_cmp(sf_verscheme s, const char *a, const char *b);
/* 1 when v is a well-formed version of scheme s. */
int sf_ver_valid(sf_verscheme s, const char *v);
/* Scheme of an OSV ecosystem string ("Alpine:v3.10" -> APK, "npm" -> SEMVER,
 * "Debian:11" -> DPKG, "PyPI" -> PEP440, ...). SF_VS_GENERIC if unknown. */
sf_verscheme sf_ver_scheme_for_ecosystem(const char *osv_ecosystem);
/* Name of a scheme ("dpkg", "apk", ...). */
const char *sf_ver_scheme_name(sf_verscheme s);

/* Per-scheme comparators (same contract as sf_ver_cmp). */
int sf_ver_cmp_generic(const char *a, const char *b);
int sf_ver_cmp_dpkg(const char *a, const char *b);
int sf_ver_cmp_apk(const char *a, const char *b);
int sf_ver_cmp_rpm(const char *a, const char *b);
int sf_ver_cmp_semver(const char *a, const char *b);
int sf_ver_cmp_pep440(const char *a, const char *b);
int sf_ver_cmp_go(const char *a, const char *b);
int sf_ver_cmp_maven(const char *a, const char *b);
int sf_ver_cmp_gem(const char *a, const char *b);

/* npm range syntax (">=1.2.3 <2.0.0 || ^3.1.0", "~1.2", "1.x", "*", hyphen
 * ranges): 1 when version satisfies range, 0 when not, negative sf_code
 * when the range does not parse. */
int sf_semver_range_match(const char *range, const char *version);

#endif
