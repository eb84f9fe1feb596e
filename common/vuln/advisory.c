/*
 * advisory: canonical advisory URLs by id namespace (advisory.h). The
 * tables are prefix -> URL prefix; the id is appended verbatim, which is
 * safe because only [A-Za-z0-9._:-] ids are accepted.
 */
#include "advisory.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *prefix;
    const char *url;
} sf_adv_ns;

/* Namespaces whose own page is authoritative (matched first). */
static const sf_adv_ns ADV_NS[] = {
    {"CVE-", "https://nvd.nist.gov/vuln/detail/"},
    {"GHSA-", "https://github.com/advisories/"},
    {"DSA-", "https://security-tracker.debian.org/tracker/"},
    {"DLA-", "https://security-tracker.debian.org/tracker/"},
    {"USN-", "https://ubuntu.com/security/notices/"},
    {"RHSA-", "https://access.redhat.com/errata/"},
    {"RHBA-", "https://access.redhat.com/errata/"},
    {"RHEA-", "https://access.redhat.com/errata/"},
};

/* OSV namespaces with no better home than osv.dev. */
static const char *const OSV_NS[] = {"PYSEC-", "GO-",   "RUSTSEC-", "OSV-",  "MAL-",
                                     "GSD-",   "UVI-",  "ALSA-",    "ALBA-", "RLSA-",
                                     "RXSA-",  "BIT-",  "CURL-",    "PSF-",  "CGA-",
                                     "MGASA-", "OESA-", "SUSE-",    "openSUSE-"};

/* Distro tracker pages of a CVE, by the OS name's first word. */
static const sf_adv_ns TRACKERS[] = {
    {"alpine", "https://security.alpinelinux.org/vuln/"},
    {"debian", "https://security-tracker.debian.org/tracker/"},
    {"ubuntu", "https://ubuntu.com/security/"},
    {"rhel", "https://access.redhat.com/security/cve/"},
    {"centos", "https://access.redhat.com/security/cve/"},
    {"rocky", "https://access.redhat.com/security/cve/"},
    {"almalinux", "https://access.redhat.com/security/cve/"},
    {"amzn", "https://explore.alas.aws.amazon.com/"},
};

static int id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > SF_ADVISORY_ID_MAX)
        return 0;
    for (const char *p = id; *p; p++) {
        char c = *p;
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == ':' || c == '-';
        if (!ok)
            return 0;
    }
    return 1;
}

static int join(char *out, size_t outlen, const char *base, const char *id, const char *suffix)
{
    int n = snprintf(out, outlen, "%s%s%s", base, id, suffix);
    return n > 0 && (size_t)n < outlen;
}

int sf_advisory_url(const char *id, char *out, size_t outlen)
{
    if (!id_ok(id))
        return 0;
    for (size_t i = 0; i < sizeof ADV_NS / sizeof ADV_NS[0]; i++)
        if (strncmp(id, ADV_NS[i].prefix, strlen(ADV_NS[i].prefix)) == 0)
            return join(out, outlen, ADV_NS[i].url, id, "");
    for (size_t i = 0; i < sizeof OSV_NS / sizeof OSV_NS[0]; i++)
        if (strncmp(id, OSV_NS[i], strlen(OSV_NS[i])) == 0)
            return sf_advisory_osv_url(id, out, outlen);
    return 0;
}

int sf_advisory_osv_url(const char *id, char *out, size_t outlen)
{
    return id_ok(id) && join(out, outlen, "https://osv.dev/vulnerability/", id, "");
}

int sf_advisory_tracker_url(const char *id, const char *os, char *out, size_t outlen)
{
    if (!id_ok(id) || strncmp(id, "CVE-", 4) != 0 || !os)
        return 0;
    size_t w = strcspn(os, " :/");
    for (size_t i = 0; i < sizeof TRACKERS / sizeof TRACKERS[0]; i++) {
        const char *name = TRACKERS[i].prefix;
        if (w == strlen(name) && strncmp(os, name, w) == 0)
            return join(out, outlen, TRACKERS[i].url, id, strcmp(name, "amzn") ? "" : ".html");
    }
    return 0;
}
