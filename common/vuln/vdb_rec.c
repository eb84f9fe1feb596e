/*
 * vdb_rec: one advisory record at a time into the builder (see
 * vdb_build.h): begin, then its aliases, severity, CVSS, flags and
 * affected packages with their ranges, events and versions, then commit
 * or abort. Records, affected entries, ranges and events are appended to
 * the builder's flat arrays; a half-built record is undone by truncating
 * them to the lengths saved at its start, and an entry or range that
 * cannot match anything is dropped (and counted as skipped) when it
 * closes. Also here: advisory id normalisation, which importers apply to
 * the ids they hand to sf_vdb_rec_begin and sf_vdb_rec_alias. Its own
 * file because this is the builder's input side, the state machine that
 * every importer drives; the string table is vdb_build.c's, the output
 * vdb_write.c's.
 */
#include "vuln/vdb_build.h"

#include "vuln/vdb_int.h"
#include "vuln/vdb_build_int.h"

#include <ctype.h>
#include <string.h>

void sf_vdb_rec_abort(sf_vdb_builder *b)
{
    if (!b->in_rec)
        return;
    b->affs.n = b->save_affs;
    b->rngs.n = b->save_rngs;
    b->evs.n = b->save_evs;
    b->u32s.n = b->save_u32s;
    b->aliases.n = 0;
    b->in_rec = 0;
    b->aff_state = 0;
    b->rng_open = 0;
}

int sf_vdb_rec_begin(sf_vdb_builder *b, const char *id)
{
    sf_vdb_rec_abort(b);
    memset(&b->cur, 0, sizeof b->cur);
    int rc = sf_vdb__intern(b, id, &b->cur.id);
    if (rc)
        return rc;
    if ((rc = sf_vdb__intern(b, b->kind, &b->cur.source)))
        return rc;
    b->save_affs = b->affs.n;
    b->save_rngs = b->rngs.n;
    b->save_evs = b->evs.n;
    b->save_u32s = b->u32s.n;
    b->aliases.n = 0;
    b->in_rec = 1;
    b->aff_state = 0;
    b->rng_open = 0;
    return SF_OK;
}

int sf_vdb_rec_alias(sf_vdb_builder *b, const char *alias)
{
    if (!b->in_rec || !alias || !*alias)
        return SF_OK;
    uint32_t off;
    int rc = sf_vdb__intern(b, alias, &off);
    if (rc)
        return rc;
    if (off == b->cur.id)
        return SF_OK;
    for (size_t i = 0; i < b->aliases.n; i++)
        if (b->aliases.v[i] == off)
            return SF_OK;
    uint32_t *p = PUSH(b->aliases);
    if (!p)
        return SF_ENOMEM;
    *p = off;
    return SF_OK;
}

int sf_vdb_rec_summary(sf_vdb_builder *b, const char *summary)
{
    return b->in_rec ? sf_vdb__intern(b, summary, &b->cur.summary) : SF_OK;
}

/* Intern a severity word upper-cased; GitHub's MODERATE reads MEDIUM. */
static int intern_sev(sf_vdb_builder *b, const char *severity, uint32_t *off)
{
    char up[32];
    size_t n = 0;
    for (; severity[n] && n < sizeof up - 1; n++)
        up[n] = (char)toupper((unsigned char)severity[n]);
    up[n] = '\0';
    /* GitHub says MODERATE where CVSS says MEDIUM: one vocabulary. */
    if (strcmp(up, "MODERATE") == 0)
        memcpy(up, "MEDIUM", sizeof "MEDIUM");
    return sf_vdb__intern(b, up, off);
}

int sf_vdb_rec_severity(sf_vdb_builder *b, const char *severity)
{
    if (!b->in_rec || !severity)
        return SF_OK;
    return intern_sev(b, severity, &b->cur.severity);
}

int sf_vdb_rec_vendor_severity(sf_vdb_builder *b, const char *severity)
{
    if (!b->in_rec || !severity || !*severity)
        return SF_OK;
    return intern_sev(b, severity, &b->cur.vendor_sev);
}

int sf_vdb_rec_cvss(sf_vdb_builder *b, const char *vector)
{
    if (!b->in_rec || !vector || !*vector)
        return SF_OK;
    if (b->cur.cvss) {
        const char *have = b->str.data + b->cur.cvss;
        if (strncmp(have, "CVSS:3", 6) == 0 || strncmp(vector, "CVSS:3", 6) != 0)
            return SF_OK;
    }
    return sf_vdb__intern(b, vector, &b->cur.cvss);
}

void sf_vdb_rec_flags(sf_vdb_builder *b, uint32_t flags)
{
    if (b->in_rec)
        b->cur.flags |= flags;
}

/* Close the current range: drop it when it cannot match anything. */
static void range_close(sf_vdb_builder *b)
{
    if (!b->rng_open)
        return;
    b->rng_open = 0;
    sf_vdb_rng *r = &b->rngs.v[b->rngs.n - 1];
    int has_intro = 0, has_fixed = 0;
    for (uint32_t i = 0; i < r->ev_count; i++) {
        uint32_t k = SF_VEV_KIND(b->evs.v[r->ev_first + i]);
        has_intro |= k == SF_VEV_INTRODUCED;
        has_fixed |= k == SF_VEV_FIXED;
    }
    int ok = r->type == SF_VRNG_ALLBELOW ? has_fixed : has_intro;
    if (!ok) {
        sf_vdb_builder_skip(b, r->ev_count ? "range without introduced event"
                                           : "range without events", 1);
        b->evs.n = r->ev_first;
        b->rngs.n--;
        return;
    }
    b->affs.v[b->affs.n - 1].a.rng_count++;
}

/* Close the current affected entry: drop it when it has nothing to match. */
static void aff_close(sf_vdb_builder *b)
{
    range_close(b);
    if (b->aff_state == 1) {
        bld_aff *a = &b->affs.v[b->affs.n - 1];
        if (a->a.rng_count == 0 && a->a.ver_count == 0) {
            sf_vdb_builder_skip(b, "affected package without ranges or versions", 1);
            b->affs.n--;
        }
    }
    b->aff_state = 0;
}

int sf_vdb_rec_affected(sf_vdb_builder *b, const char *eco, const char *name)
{
    if (!b->in_rec)
        return SF_EINVAL;
    aff_close(b);
    b->aff_state = -1;
    char neco[128], nname[1024];
    int rc = sf_vdb_normalize_eco(eco ? eco : "", neco, sizeof neco);
    if (rc) {
        sf_vdb_builder_skip(b, eco && *eco ? "unknown ecosystem" : "missing ecosystem", 1);
        return rc;
    }
    rc = sf_vdb_normalize_name(neco, name ? name : "", nname, sizeof nname);
    if (rc) {
        sf_vdb_builder_skip(b, "missing or bad package name", 1);
        return rc;
    }
    bld_aff a = {0};
    if ((rc = sf_vdb__intern(b, neco, &a.eco)) || (rc = sf_vdb__intern(b, nname, &a.name)))
        return rc;
    a.a.rng_first = (uint32_t)b->rngs.n;
    a.a.ver_first = (uint32_t)b->u32s.n;
    bld_aff *p = PUSH(b->affs);
    if (!p)
        return SF_ENOMEM;
    *p = a;
    b->aff_state = 1;
    return SF_OK;
}

int sf_vdb_rec_range(sf_vdb_builder *b, sf_vrng_type type)
{
    if (b->aff_state != 1)
        return SF_OK;
    range_close(b);
    sf_vdb_rng *r = PUSH(b->rngs);
    if (!r)
        return SF_ENOMEM;
    r->type = (uint32_t)type;
    r->ev_first = (uint32_t)b->evs.n;
    r->ev_count = 0;
    b->rng_open = 1;
    return SF_OK;
}

void sf_vdb_rec_range_abort(sf_vdb_builder *b)
{
    if (!b->rng_open)
        return;
    b->evs.n = b->rngs.v[b->rngs.n - 1].ev_first;
    b->rngs.n--;
    b->rng_open = 0;
}

int sf_vdb_rec_event(sf_vdb_builder *b, sf_vev_kind kind, const char *version)
{
    if (b->aff_state != 1 || !b->rng_open || !version)
        return SF_OK;
    if (!*version) {
        sf_vdb_builder_skip(b, "empty version in range event", 1);
        return SF_OK;
    }
    uint32_t off;
    int rc = sf_vdb__intern(b, version, &off);
    if (rc)
        return rc;
    uint32_t *e = PUSH(b->evs);
    if (!e)
        return SF_ENOMEM;
    *e = SF_VEV_MAKE(kind & 3, off);
    b->rngs.v[b->rngs.n - 1].ev_count++;
    return SF_OK;
}

int sf_vdb_rec_version(sf_vdb_builder *b, const char *version)
{
    if (b->aff_state != 1 || !version || !*version)
        return SF_OK;
    /* Versions of one entry are contiguous in u32s: the aliases wait in
     * their own vector until commit, and only this entry appends now. */
    uint32_t off;
    int rc = sf_vdb__intern(b, version, &off);
    if (rc)
        return rc;
    uint32_t *p = PUSH(b->u32s);
    if (!p)
        return SF_ENOMEM;
    *p = off;
    b->affs.v[b->affs.n - 1].a.ver_count++;
    return SF_OK;
}

int sf_vdb_rec_commit(sf_vdb_builder *b)
{
    if (!b->in_rec)
        return SF_OK;
    aff_close(b);
    if (b->affs.n == b->save_affs) {
        sf_vdb_builder_skip(b, "no usable affected package", 1);
        sf_vdb_rec_abort(b);
        return SF_OK;
    }
    b->cur.alias_first = (uint32_t)b->u32s.n;
    b->cur.alias_count = (uint32_t)b->aliases.n;
    for (size_t i = 0; i < b->aliases.n; i++) {
        uint32_t *p = PUSH(b->u32s);
        if (!p) {
            sf_vdb_rec_abort(b);
            return SF_ENOMEM;
        }
        *p = b->aliases.v[i];
    }
    uint32_t idx = (uint32_t)b->recs.n;
    sf_vdb_rec *r = PUSH(b->recs);
    if (!r) {
        sf_vdb_rec_abort(b);
        return SF_ENOMEM;
    }
    *r = b->cur;
    for (size_t i = b->save_affs; i < b->affs.n; i++)
        b->affs.v[i].a.rec = idx;
    if (b->sources.n)
        b->sources.v[b->sources.n - 1].records++;
    b->in_rec = 0;
    b->aliases.n = 0;
    return SF_OK;
}

/* ---- ids ---- */

static int id_char(int c) { return isalnum(c) || c == '-' || c == '.' || c == ':' || c == '_'; }

int sf_vdb_normalize_id(const char *in, size_t inlen, char *out, size_t outlen)
{
    while (inlen && isspace((unsigned char)*in))
        in++, inlen--;
    while (inlen && isspace((unsigned char)in[inlen - 1]))
        inlen--;
    if (inlen == 0 || inlen + 1 > outlen)
        return -1;
    int changed = 0;
    size_t n = 0;
    /* "CVE 2018-16859", "CVE_2019-2426", "cve-2019-1" -> "CVE-...". */
    if (inlen > 4 && strncasecmp(in, "cve", 3) == 0 && strchr(" _-", in[3]) &&
        isdigit((unsigned char)in[4])) {
        changed = strncmp(in, "CVE-", 4) != 0;
        memcpy(out, "CVE-", 4);
        n = 4;
        in += 4;
        inlen -= 4;
        size_t digits = 0;
        while (digits < inlen && isdigit((unsigned char)in[digits]))
            digits++;
        if (digits != 4 || inlen < 6 || in[4] != '-')
            return -1;
        for (size_t i = 5; i < inlen; i++)
            if (!isdigit((unsigned char)in[i]))
                return -1;
        if (inlen - 5 < 4)
            return -1;
    }
    /* A list separator glued to the id ("GHSA-jf66-3q76-h5p5,"). */
    while (inlen && (in[inlen - 1] == ',' || in[inlen - 1] == ';')) {
        inlen--;
        changed = 1;
    }
    for (size_t i = 0; i < inlen; i++) {
        unsigned char c = (unsigned char)in[i];
        if (!id_char(c))
            return -1;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    /* An id is a letter prefix, a dash and more: "XSA-297", "GHSA-xxxx-...",
     * "wnpa-sec-2017-18"; "XPTI" or "CVE-????-?????" are not ids. */
    const char *dash = strchr(out, '-');
    if (!isalpha((unsigned char)out[0]) || !dash || !dash[1])
        return -1;
    return changed;
}
