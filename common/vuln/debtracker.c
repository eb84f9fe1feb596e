/*
 * debtracker: Debian security tracker DSA/DLA/DTSA lists -> vdb builder
 * records (see debtracker.h). The text is read line by line in place
 * (no copy of the document); each advisory is built while its lines
 * stream by and committed at the next header or at the end.
 */
#include "vuln/debtracker.h"

#include "base/pkg.h"
#include "vuln/vdb_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Releases older than the table in base/pkg.c, still named by old DSAs. */
static const struct {
    const char *codename, *number;
} old_releases[] = {
    {"potato", "2.2"}, {"woody", "3.0"}, {"sarge", "3.1"}, {"etch", "4"}, {"lenny", "5"},
};

static const char *release_number(const char *codename)
{
    const char *n = sf_debian_release_number(codename);
    for (size_t i = 0; !n && i < sizeof old_releases / sizeof old_releases[0]; i++)
        if (strcmp(old_releases[i].codename, codename) == 0)
            n = old_releases[i].number;
    return n;
}

/* Copy the token at *p (up to a blank or one of stop) into out; advance. */
static size_t take_token(const char **p, const char *end, const char *stop, char *out, size_t outlen)
{
    const char *s = *p;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    const char *t = s;
    while (t < end && *t != ' ' && *t != '\t' && !strchr(stop, *t))
        t++;
    size_t n = (size_t)(t - s);
    if (n >= outlen)
        n = 0; /* too long: treated as absent */
    memcpy(out, s, n);
    out[n] = '\0';
    *p = t;
    return n;
}

/* "[date] ID srcpkg - title": begin the advisory's record. Returns 1 when a
 * record was begun, 0 when the header was bad (counted), or SF_ENOMEM. */
static int header(sf_vdb_builder *b, const char *p, const char *end)
{
    const char *rb = memchr(p, ']', (size_t)(end - p));
    char raw[64], id[64], src[128];
    if (!rb)
        goto bad;
    p = rb + 1;
    if (!take_token(&p, end, "", raw, sizeof raw) ||
        sf_vdb_normalize_id(raw, strlen(raw), id, sizeof id) < 0)
        goto bad;
    take_token(&p, end, "", src, sizeof src);
    while (p < end && (*p == ' ' || *p == '\t' || *p == '-'))
        p++;
    char summary[512];
    int n = snprintf(summary, sizeof summary, "%s: %.*s", src, (int)(end - p), p);
    if (n < 0)
        goto bad;
    int rc = sf_vdb_rec_begin(b, id);
    if (!rc)
        rc = sf_vdb_rec_summary(b, summary);
    return rc ? rc : 1;
bad:
    sf_vdb_builder_skip(b, "debian: malformed advisory header", 1);
    return 0;
}

/* "{CVE-... CVE-...}": the advisory's CVEs become aliases. */
static int cves(sf_vdb_builder *b, const char *p, const char *end)
{
    p++; /* '{' */
    for (;;) {
        char raw[64], id[64];
        if (!take_token(&p, end, "}", raw, sizeof raw))
            break;
        if (sf_vdb_normalize_id(raw, strlen(raw), id, sizeof id) < 0) {
            sf_vdb_builder_skip(b, "debian: malformed CVE id", 1);
            continue;
        }
        int rc = sf_vdb_rec_alias(b, id);
        if (rc)
            return rc;
    }
    return SF_OK;
}

/* The tracker's urgency at the end of a release line, "(bug #332524;
 * medium)" or "(low)", as a severity word, or NULL. "unimportant" reads
 * LOW; "not yet assigned" and free text read nothing. */
static const char *urgency(const char *p, const char *end)
{
    static const struct {
        const char *word, *sev;
    } tab[] = {{"unimportant", "LOW"}, {"low", "LOW"}, {"medium", "MEDIUM"}, {"high", "HIGH"}};
    while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    if (end == p || end[-1] != ')')
        return NULL;
    const char *e = end - 1, *s = e;
    while (s > p && s[-1] != '(' && s[-1] != ';')
        s--;
    while (s < e && *s == ' ')
        s++;
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if ((size_t)(e - s) == strlen(tab[i].word) && memcmp(s, tab[i].word, (size_t)(e - s)) == 0)
            return tab[i].sev;
    return NULL;
}

/* "[codename] - srcpkg version|<state> ...": one affected package. */
static int release_line(sf_vdb_builder *b, const char *p, const char *end)
{
    char codename[32], dash[4], pkg[128], ver[128];
    p++; /* '[' */
    const char *rb = memchr(p, ']', (size_t)(end - p));
    if (!rb || (size_t)(rb - p) >= sizeof codename)
        goto bad;
    memcpy(codename, p, (size_t)(rb - p));
    codename[rb - p] = '\0';
    p = rb + 1;
    if (!take_token(&p, end, "", dash, sizeof dash) || strcmp(dash, "-") != 0 ||
        !take_token(&p, end, "", pkg, sizeof pkg) || !take_token(&p, end, "", ver, sizeof ver))
        goto bad;
    const char *num = release_number(codename);
    if (!num) {
        sf_vdb_builder_skip(b, "debian: release without a known number", 1);
        return SF_OK;
    }
    int unfixed = strcmp(ver, "<unfixed>") == 0, eol = strcmp(ver, "<end-of-life>") == 0;
    if (ver[0] == '<' && !unfixed && !eol) {
        sf_vdb_builder_skip(b, strcmp(ver, "<not-affected>") == 0 ? "debian: <not-affected> line"
                                                                   : "debian: other state line",
                            1);
        return SF_OK;
    }
    char eco[48];
    snprintf(eco, sizeof eco, "Debian:%s", num);
    int rc = sf_vdb_rec_vendor_severity(b, urgency(p, end));
    if (rc)
        return rc;
    rc = sf_vdb_rec_affected(b, eco, pkg);
    if (rc)
        return rc == SF_ENOMEM ? rc : SF_OK;
    if ((rc = sf_vdb_rec_range(b, SF_VRNG_ECOSYSTEM)) ||
        (rc = sf_vdb_rec_event(b, SF_VEV_INTRODUCED, "0")))
        return rc;
    if (eol)
        sf_vdb_rec_flags(b, SF_VREC_F_EOL);
    if (!unfixed && !eol)
        rc = sf_vdb_rec_event(b, SF_VEV_FIXED, ver);
    return rc;
bad:
    sf_vdb_builder_skip(b, "debian: malformed release line", 1);
    return SF_OK;
}

int sf_debtracker_import(sf_vdb_builder *b, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    int open = 0, rc = SF_OK;
    while (p < end && !rc) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        p = nl ? nl + 1 : end;
        if (le > s && le[-1] == '\r')
            le--;
        if (s == le)
            continue;
        if (*s == '[') {
            if (open && (rc = sf_vdb_rec_commit(b)))
                break;
            rc = header(b, s, le);
            open = rc == 1;
            rc = rc < 0 ? rc : SF_OK;
            continue;
        }
        while (s < le && (*s == ' ' || *s == '\t'))
            s++;
        if (!open || s == le || (le - s >= 5 && memcmp(s, "NOTE:", 5) == 0))
            continue;
        if (*s == '{')
            rc = cves(b, s, le);
        else if (*s == '[')
            rc = release_line(b, s, le);
        else
            sf_vdb_builder_skip(b, "debian: unrecognised line", 1);
    }
    if (!rc && open)
        rc = sf_vdb_rec_commit(b);
    if (rc)
        sf_vdb_rec_abort(b);
    return rc;
}
