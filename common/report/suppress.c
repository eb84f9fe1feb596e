/* suppress: see suppress.h. The ignore-file parser and rule matching;
 * VEX documents are read in vex.c. */
#include "report/suppress.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/limits.h"

struct sf_supp {
    sf_supp_rule *rules;
    size_t n, cap;
};

int sf_supp_new(sf_supp **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? SF_OK : SF_ENOMEM;
}

void sf_supp_rule_clear(sf_supp_rule *r)
{
    free(r->id);
    sf_strarr_free(r->purls, r->npurls);
    free(r->package);
    free(r->justification);
    free(r->reason);
    free(r->source);
    memset(r, 0, sizeof *r);
}

void sf_supp_free(sf_supp *s)
{
    if (!s)
        return;
    SF_ARRAY_FREE(s->rules, s->n, sf_supp_rule_clear);
    free(s);
}

size_t sf_supp_count(const sf_supp *s) { return s ? s->n : 0; }

const sf_supp_rule *sf_supp_rule_at(const sf_supp *s, size_t i)
{
    return s && i < s->n ? &s->rules[i] : NULL;
}

int sf_supp_add(sf_supp *s, sf_supp_rule *r, sf_error *err)
{
    if (s->n == SF_LIM_SUPP_RULES) {
        sf_supp_rule_clear(r);
        return sf_error_set(err, SF_ELIMIT, "more than %d suppression rules",
                            SF_LIM_SUPP_RULES);
    }
    if (SF_ARRAY_RESERVE(s->rules, s->cap, s->n, 16, 0) != SF_OK) {
        sf_supp_rule_clear(r);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    s->rules[s->n++] = *r;
    memset(r, 0, sizeof *r);
    return SF_OK;
}

/* ------------------------------------------------------------ ignore file */

static char *dupn(const char *p, size_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

static int valid_date(const char *p, size_t n)
{
    static const char shape[] = "dddd-dd-dd";
    if (n != 10)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (shape[i] == 'd' ? !isdigit((unsigned char)p[i]) : p[i] != '-')
            return 0;
    int mon = (p[5] - '0') * 10 + (p[6] - '0'), day = (p[8] - '0') * 10 + (p[9] - '0');
    return mon >= 1 && mon <= 12 && day >= 1 && day <= 31;
}

/* An advisory id: letters, digits and -_.: (CVE-2021-3711, GHSA-..., ALPINE-13661). */
static int valid_id(const char *p, size_t n)
{
    if (n == 0 || n > 128)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)p[i]) && !strchr("-_.:", p[i]))
            return 0;
    return 1;
}

static int ignore_line(sf_supp *s, const char *line, size_t len, const char *where,
                       const char *today, sf_error *err)
{
    sf_supp_rule r = {0};
    const char *p = line, *end = line + len, *reason = NULL;
    int field = 0;
    r.status = "ignored";
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end || *p == '#')
            break;
        if ((size_t)(end - p) >= 7 && strncmp(p, "reason:", 7) == 0) {
            reason = p + 7;
            break;
        }
        const char *t = p;
        while (p < end && !isspace((unsigned char)*p))
            p++;
        size_t n = (size_t)(p - t);
        if (field == 0 && !valid_id(t, n))
            return sf_error_set(err, SF_EPARSE, "%s: not an advisory id: %.*s", where,
                                (int)(n > 80 ? 80 : n), t);
        if (field == 0) {
            r.id = dupn(t, n);
        } else if (n > 4 && strncmp(t, "exp:", 4) == 0) {
            if (!valid_date(t + 4, n - 4) || r.expires[0])
                return sf_supp_rule_clear(&r), sf_error_set(err, SF_EPARSE,
                                                   "%s: expiry must be one exp:YYYY-MM-DD",
                                                   where);
            memcpy(r.expires, t + 4, 10);
        } else if (field == 1 && !r.expires[0]) {
            if (n > 4 && strncmp(t, "pkg:", 4) == 0) {
                r.purls = calloc(1, sizeof *r.purls);
                if (r.purls && (r.purls[0] = dupn(t, n)))
                    r.npurls = 1;
            } else {
                r.package = dupn(t, n);
            }
            if (!r.npurls && !r.package)
                return sf_supp_rule_clear(&r), sf_error_set(err, SF_ENOMEM, "out of memory");
        } else {
            return sf_supp_rule_clear(&r), sf_error_set(err, SF_EPARSE,
                                               "%s: expected ID [PACKAGE|PURL] "
                                               "[exp:YYYY-MM-DD] reason: TEXT",
                                               where);
        }
        field++;
    }
    if (field == 0 && !reason)
        return SF_OK; /* blank or comment */
    if (!r.id)
        return sf_error_set(err, SF_EPARSE, "%s: a rule starts with an advisory id", where);
    while (reason && reason < end && isspace((unsigned char)*reason))
        reason++;
    size_t rn = reason ? (size_t)(end - reason) : 0;
    while (rn && isspace((unsigned char)reason[rn - 1]))
        rn--;
    if (!rn)
        return sf_supp_rule_clear(&r), sf_error_set(err, SF_EPARSE,
                                           "%s: %s needs a reason (reason: TEXT)", where,
                                           "a suppression");
    r.reason = dupn(reason, rn);
    r.source = strdup(where);
    if (!r.reason || !r.source)
        return sf_supp_rule_clear(&r), sf_error_set(err, SF_ENOMEM, "out of memory");
    r.expired = r.expires[0] && today && strcmp(r.expires, today) < 0;
    return sf_supp_add(s, &r, err);
}

int sf_supp_load_ignore(sf_supp *s, const char *text, size_t len, const char *name,
                        const char *today, sf_error *err)
{
    size_t lineno = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char where[300];
        snprintf(where, sizeof where, "%s:%zu", name, ++lineno);
        if (n > SF_LIM_IGNORE_LINE)
            return sf_error_set(err, SF_ELIMIT, "%s: line longer than %d bytes", where,
                                SF_LIM_IGNORE_LINE);
        if (memchr(p, '\0', n))
            return sf_error_set(err, SF_EPARSE, "%s: NUL byte", where);
        int rc = ignore_line(s, p, n && p[n - 1] == '\r' ? n - 1 : n, where, today, err);
        if (rc != SF_OK)
            return rc;
        p += n + 1;
    }
    return SF_OK;
}

int sf_supp_load_file(sf_supp *s, const char *path, int vex, const char *today, sf_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0;
    int rc = SF_OK;
    if (!f)
        return sf_error_set(err, SF_EIO, "cannot read %s: %s", path, strerror(errno));
    buf = malloc(SF_LIM_VEX_BYTES + 1);
    if (!buf) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    n = fread(buf, 1, SF_LIM_VEX_BYTES + 1, f);
    if (ferror(f))
        rc = sf_error_set(err, SF_EIO, "cannot read %s", path);
    else if (n > SF_LIM_VEX_BYTES)
        rc = sf_error_set(err, SF_ELIMIT, "%s: larger than %llu bytes", path,
                          (unsigned long long)SF_LIM_VEX_BYTES);
    else
        rc = vex ? sf_supp_load_vex(s, buf, n, path, err)
                 : sf_supp_load_ignore(s, buf, n, path, today, err);
done:
    free(buf);
    fclose(f);
    return rc;
}

/* ------------------------------------------------------------ matching */

/* Length of purl's "pkg:type/ns/name" part (before @version, ?, #). */
static size_t purl_base(const char *p, const char **version)
{
    size_t n = strcspn(p, "?#");
    const char *slash = NULL, *at = NULL;
    for (size_t i = n; i > 0 && !slash; i--)
        if (p[i - 1] == '/')
            slash = p + i - 1;
    if (slash)
        at = memchr(slash, '@', n - (size_t)(slash - p));
    *version = at ? at + 1 : NULL;
    return at ? (size_t)(at - p) : n;
}

static int purl_covers(const char *rule, const char *purl)
{
    const char *rv, *pv;
    size_t rn = purl_base(rule, &rv), pn = purl_base(purl, &pv);
    if (rn != pn || strncmp(rule, purl, rn) != 0)
        return 0;
    if (!rv)
        return 1;
    size_t rvn = strcspn(rv, "?#");
    return pv && strcspn(pv, "?#") == rvn && strncmp(rv, pv, rvn) == 0;
}

static int id_matches(const sf_supp_rule *r, const sf_finding *f)
{
    if (f->id && strcmp(r->id, f->id) == 0)
        return 1;
    for (size_t i = 0; i < f->naliases; i++)
        if (f->aliases[i] && strcmp(r->id, f->aliases[i]) == 0)
            return 1;
    return 0;
}

const sf_supp_rule *sf_supp_match(const sf_supp *s, const sf_finding *f, const char *purl)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const sf_supp_rule *r = &s->rules[i];
        if (r->expired || !id_matches(r, f))
            continue;
        if (r->package && !((f->pkg_name && strcmp(r->package, f->pkg_name) == 0) ||
                            (f->src_name && strcmp(r->package, f->src_name) == 0)))
            continue;
        int covered = r->npurls == 0;
        for (size_t k = 0; !covered && purl && k < r->npurls; k++)
            covered = purl_covers(r->purls[k], purl);
        if (covered)
            return r;
    }
    return NULL;
}

void sf_suppressed_init(sf_suppressed *x) { memset(x, 0, sizeof *x); }

void sf_suppressed_clear(sf_suppressed *x)
{
    sf_findings_clear(&x->findings);
    free(x->rules);
    free(x->plat);
    memset(x, 0, sizeof *x);
}

static int take(sf_suppressed *x, sf_finding *f, const sf_supp_rule *rule, size_t plat)
{
    sf_findings *fs = &x->findings;
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        sf_finding *it = realloc(fs->items, cap * sizeof *it);
        if (!it)
            return SF_ENOMEM;
        fs->items = it;
        const sf_supp_rule **rs = realloc(x->rules, cap * sizeof *rs);
        if (!rs)
            return SF_ENOMEM;
        x->rules = rs;
        size_t *pl = realloc(x->plat, cap * sizeof *pl);
        if (!pl)
            return SF_ENOMEM;
        x->plat = pl;
        fs->cap = cap;
    }
    x->rules[fs->n] = rule;
    x->plat[fs->n] = plat;
    fs->items[fs->n++] = *f;
    return SF_OK;
}

/* purl of the package finding f is about (as the SBOM names it), in out. */
static int finding_purl(const sf_result *r, const sf_finding *f, sf_buf *out)
{
    for (size_t i = 0; i < r->npkgs; i++) {
        const sf_pkg *p = &r->pkgs[i];
        if (p->name && f->pkg_name && strcmp(p->name, f->pkg_name) == 0 &&
            (!f->installed || (p->version && strcmp(p->version, f->installed) == 0)) &&
            (!f->pkg_path || (p->path && strcmp(p->path, f->pkg_path) == 0)))
            return sf_result_purl(p, r->has_os ? &r->os : NULL, out);
    }
    return SF_ENOTFOUND;
}

int sf_supp_apply(const sf_supp *s, sf_result *r, size_t plat, sf_suppressed *x)
{
    size_t keep = 0;
    int rc = SF_OK;
    for (size_t i = 0; i < r->vulns.n; i++) {
        sf_finding *f = &r->vulns.items[i];
        sf_buf purl;
        sf_buf_init(&purl, 8192);
        const sf_supp_rule *rule = NULL;
        if (rc == SF_OK)
            rule = sf_supp_match(s, f, finding_purl(r, f, &purl) == SF_OK ? purl.data : NULL);
        sf_buf_free(&purl);
        if (rule && (rc = take(x, f, rule, plat)) == SF_OK)
            continue;
        r->vulns.items[keep++] = *f;
    }
    r->vulns.n = keep;
    return rc;
}
