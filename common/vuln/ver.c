/*
 * ver: dispatch over the per-scheme version comparators (ver_<scheme>.c),
 * the OSV ecosystem -> scheme table, and the small digit/byte helpers the
 * comparators share (ver_int.h).
 *
 * NULL strings are treated as "" everywhere so that a missing version
 * still has a deterministic place in every order.
 */
#include "vuln/ver.h"

#include <string.h>
#include <strings.h>

#include "vuln/ver_int.h"

int sf_ver__cmp_invalid(int oka, int okb, const char *a, const char *b)
{
    if (oka != okb)
        return oka ? 1 : -1;
    return sf_ver_cmp_generic(a, b);
}

void sf_ver__evr_split_rest(const char *s, sf_ver__evr *v)
{
    const char *dash = strrchr(s, '-');
    v->ver = s;
    v->ver_end = dash ? dash : s + strlen(s);
    v->rel = dash ? dash + 1 : v->ver_end;
    v->rel_end = v->rel + strlen(v->rel);
}

int sf_ver__evr_cmp(const sf_ver__evr *a, const sf_ver__evr *b,
                    int (*seg)(const char *a, const char *ae, const char *b, const char *be))
{
    int r = sf_ver__numcmp(a->epoch, a->epoch_n, b->epoch, b->epoch_n);
    if (r == 0)
        r = seg(a->ver, a->ver_end, b->ver, b->ver_end);
    if (r == 0)
        r = seg(a->rel, a->rel_end, b->rel, b->rel_end);
    return r;
}

int sf_ver__numcmp(const char *a, size_t alen, const char *b, size_t blen)
{
    while (alen > 0 && *a == '0') {
        a++;
        alen--;
    }
    while (blen > 0 && *b == '0') {
        b++;
        blen--;
    }
    if (alen != blen)
        return alen < blen ? -1 : 1;
    if (alen == 0)
        return 0;
    return sf_ver__sign(memcmp(a, b, alen));
}

int sf_ver__bytecmp(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int r = n ? memcmp(a, b, n) : 0;
    if (r != 0)
        return sf_ver__sign(r);
    if (alen != blen)
        return alen < blen ? -1 : 1;
    return 0;
}

size_t sf_ver__digits(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && sf_ver__isdigit((unsigned char)s[i]))
        i++;
    return i;
}

int sf_ver__numstep(const char **a, const char *ae, const char **b, const char *be)
{
    size_t an = sf_ver__digits(*a, (size_t)(ae - *a));
    size_t bn = sf_ver__digits(*b, (size_t)(be - *b));
    int r = sf_ver__numcmp(*a, an, *b, bn);
    *a += an;
    *b += bn;
    return r;
}

typedef int (*sf_ver_cmp_fn)(const char *, const char *);
typedef int (*sf_ver_valid_fn)(const char *);

/* One row per scheme, indexed by sf_verscheme. */
static const struct {
    const char *name;
    sf_ver_cmp_fn cmp;
    sf_ver_valid_fn valid;
} scheme_tab[SF_VS_COUNT] = {
    [SF_VS_GENERIC] = {"generic", sf_ver_cmp_generic, sf_ver__valid_generic},
    [SF_VS_DPKG] = {"dpkg", sf_ver_cmp_dpkg, sf_ver__valid_dpkg},
    [SF_VS_APK] = {"apk", sf_ver_cmp_apk, sf_ver__valid_apk},
    [SF_VS_RPM] = {"rpm", sf_ver_cmp_rpm, sf_ver__valid_rpm},
    [SF_VS_SEMVER] = {"semver", sf_ver_cmp_semver, sf_ver__valid_semver},
    [SF_VS_PEP440] = {"pep440", sf_ver_cmp_pep440, sf_ver__valid_pep440},
    [SF_VS_GO] = {"go", sf_ver_cmp_go, sf_ver__valid_go},
    [SF_VS_MAVEN] = {"maven", sf_ver_cmp_maven, sf_ver__valid_maven},
    [SF_VS_GEM] = {"gem", sf_ver_cmp_gem, sf_ver__valid_gem},
};

int sf_ver_cmp(sf_verscheme s, const char *a, const char *b)
{
    if ((unsigned)s >= SF_VS_COUNT)
        s = SF_VS_GENERIC;
    return scheme_tab[s].cmp(a ? a : "", b ? b : "");
}

int sf_ver_valid(sf_verscheme s, const char *v)
{
    if (!v || (unsigned)s >= SF_VS_COUNT)
        return 0;
    return scheme_tab[s].valid(v) ? 1 : 0;
}

const char *sf_ver_scheme_name(sf_verscheme s)
{
    if ((unsigned)s >= SF_VS_COUNT)
        return "unknown";
    return scheme_tab[s].name;
}

/*
 * OSV ecosystems (the schema's enum, 2024-2026) by the part before the
 * first ':' ("Alpine:v3.10", "Debian:12", "Ubuntu:Pro:22.04:LTS"),
 * compared case-insensitively so hand-written configs still match.
 * Packagist maps to semver: composer's stability words (dev < alpha <
 * beta < RC < stable < pl) mostly coincide with semver prerelease order
 * for the versions advisories use; "dev-<branch>" versions do not order
 * meaningfully under any scheme. NuGet maps to semver too: its optional
 * fourth number is accepted by the semver comparator's lenient parse.
 */
static const struct {
    const char *eco;
    sf_verscheme scheme;
} eco_tab[] = {
    {"Alpine", SF_VS_APK},        {"Wolfi", SF_VS_APK},
    {"Chainguard", SF_VS_APK},    {"MinimOS", SF_VS_APK},
    {"Debian", SF_VS_DPKG},       {"Ubuntu", SF_VS_DPKG},
    {"Echo", SF_VS_DPKG},         {"Red Hat", SF_VS_RPM},
    {"Rocky Linux", SF_VS_RPM},   {"AlmaLinux", SF_VS_RPM},
    {"openSUSE", SF_VS_RPM},      {"SUSE", SF_VS_RPM},
    {"Mageia", SF_VS_RPM},        {"Photon OS", SF_VS_RPM},
    {"openEuler", SF_VS_RPM},     {"Azure Linux", SF_VS_RPM},
    {"CBL-Mariner", SF_VS_RPM},   {"Oracle Linux", SF_VS_RPM},
    {"Fedora", SF_VS_RPM},        {"CentOS", SF_VS_RPM},
    {"npm", SF_VS_SEMVER},        {"crates.io", SF_VS_SEMVER},
    {"Packagist", SF_VS_SEMVER},  {"NuGet", SF_VS_SEMVER},
    {"Hex", SF_VS_SEMVER},        {"Pub", SF_VS_SEMVER},
    {"SwiftURL", SF_VS_SEMVER},   {"Bitnami", SF_VS_SEMVER},
    {"GitHub Actions", SF_VS_SEMVER}, {"Julia", SF_VS_SEMVER},
    {"VSCode", SF_VS_SEMVER},     {"PyPI", SF_VS_PEP440},
    {"Go", SF_VS_GO},             {"Maven", SF_VS_MAVEN},
    {"RubyGems", SF_VS_GEM},
};

sf_verscheme sf_ver_scheme_for_ecosystem(const char *osv_ecosystem)
{
    if (!osv_ecosystem)
        return SF_VS_GENERIC;
    const char *colon = strchr(osv_ecosystem, ':');
    size_t n = colon ? (size_t)(colon - osv_ecosystem) : strlen(osv_ecosystem);
    for (size_t i = 0; i < sizeof eco_tab / sizeof eco_tab[0]; i++) {
        if (strlen(eco_tab[i].eco) == n &&
            strncasecmp(eco_tab[i].eco, osv_ecosystem, n) == 0)
            return eco_tab[i].scheme;
    }
    return SF_VS_GENERIC;
}
