/*
 * api_params: see api_params.h. Numbers are parsed whole (no trailing
 * bytes, no NaN/inf), strings are checked for length and control bytes.
 */
#include "api_params.h"

#include "model/severity.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static const struct {
    const char *name;
    unsigned bit;
} KNOWN[] = {
    {"severity", SF_API_P_SEVERITY}, {"fixable", SF_API_P_FIXABLE},
    {"registry", SF_API_P_REGISTRY}, {"repository", SF_API_P_REPOSITORY},
    {"tag", SF_API_P_TAG},           {"ecosystem", SF_API_P_ECOSYSTEM},
    {"cvss_min", SF_API_P_CVSS},     {"running", SF_API_P_RUNNING},
    {"version", SF_API_P_VERSION},   {"new_since", SF_API_P_NEWSINCE},
    {"runs", SF_API_P_RUNS},         {"limit", SF_API_P_PAGE},
    {"cursor", SF_API_P_PAGE},       {"order", SF_API_P_PAGE},
    {"q", SF_API_P_Q},               {"sort", 0},
};

static int bad(const char **param, const char *name, char *why, size_t wl, const char *msg)
{
    *param = name;
    snprintf(why, wl, "%s", msg);
    return -1;
}

static int text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int parse_bool(const char *s, int *out)
{
    if (strcmp(s, "true") == 0)
        *out = 1;
    else if (strcmp(s, "false") == 0)
        *out = 0;
    else
        return -1;
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!*s || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_sev(const char *s, sf_api_list_params *p)
{
    char buf[64];
    if (strlen(s) >= sizeof buf || !*s)
        return -1;
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = buf, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        int found = -1;
        for (int i = 0; i < SF_SEV_N; i++)
            if (strcasecmp(tok, sf_sev_name(i)) == 0)
                found = i;
        if (found < 0)
            return -1;
        if (!p->sev[found])
            p->nsev++;
        p->sev[found] = 1;
    }
    return 0;
}

void sf_api_cursor_fmt(char *out, size_t outlen, long offset)
{
    snprintf(out, outlen, "o%ld", offset);
}

static int parse_cursor(const char *s, long *off)
{
    return s[0] == 'o' && parse_long(s + 1, 0, 1000000000L, off) == 0 ? 0 : -1;
}

/* One parameter; 0 ok. */
static int one(const sf_api_param *pa, const char *const *sorts, long max_page,
               sf_api_list_params *p, const char **param, char *why, size_t wl)
{
    const char *n = pa->name, *v = pa->value;
    long l;
    char *end;
    if (strcmp(n, "severity") == 0)
        return parse_sev(v, p) ? bad(param, n, why, wl,
                                     "severity: comma-separated CRITICAL, HIGH, MEDIUM, LOW, "
                                     "UNKNOWN")
                               : 0;
    if (strcmp(n, "fixable") == 0)
        return parse_bool(v, &p->fixable) ? bad(param, n, why, wl, "fixable: true or false") : 0;
    if (strcmp(n, "running") == 0)
        return parse_bool(v, &p->running) ? bad(param, n, why, wl, "running: true or false") : 0;
    if (strcmp(n, "cvss_min") == 0) {
        errno = 0;
        double d = *v ? strtod(v, &end) : -1;
        if (!*v || errno || *end || !isfinite(d) || d < 0 || d > 10 || strchr(v, 'x') ||
            strchr(v, 'X'))
            return bad(param, n, why, wl, "cvss_min: a number from 0 to 10");
        p->cvss_min = d;
        return 0;
    }
    if (strcmp(n, "limit") == 0) {
        if (parse_long(v, 1, max_page, &l))
            return bad(param, n, why, wl, "limit: an integer from 1 to the page cap");
        p->limit = l;
        return 0;
    }
    if (strcmp(n, "runs") == 0) {
        if (parse_long(v, 1, 100, &l))
            return bad(param, n, why, wl, "runs: an integer from 1 to 100");
        p->runs = (int)l;
        return 0;
    }
    if (strcmp(n, "cursor") == 0)
        return parse_cursor(v, &p->offset) ? bad(param, n, why, wl, "cursor: not one this API gave")
                                           : 0;
    if (strcmp(n, "order") == 0) {
        if (strcmp(v, "asc") && strcmp(v, "desc"))
            return bad(param, n, why, wl, "order: asc or desc");
        p->desc = strcmp(v, "desc") == 0;
        p->order_given = 1;
        return 0;
    }
    if (strcmp(n, "sort") == 0) {
        for (int i = 0; sorts && sorts[i]; i++)
            if (strcmp(v, sorts[i]) == 0) {
                p->sort = i;
                return 0;
            }
        return bad(param, n, why, wl, "sort: not a sort key of this list");
    }
    size_t max = strcmp(n, "registry") == 0 ? 255 : strcmp(n, "tag") == 0 ? 128
                 : strcmp(n, "new_since") == 0 || strcmp(n, "q") == 0 ? 128 : 1024;
    if (!text_ok(v, max))
        return bad(param, n, why, wl, "empty, too long or with control characters");
    if (strcmp(n, "registry") == 0)
        p->registry = v;
    else if (strcmp(n, "repository") == 0)
        p->repository = v;
    else if (strcmp(n, "tag") == 0)
        p->tag = v;
    else if (strcmp(n, "ecosystem") == 0)
        p->ecosystem = v;
    else if (strcmp(n, "version") == 0)
        p->version = v;
    else if (strcmp(n, "q") == 0)
        p->q = v;
    else
        p->new_since = v;
    return 0;
}

int sf_api_params_parse(const sf_api_req *req, unsigned accepted, const char *const *sorts,
                        int default_desc, long max_page, sf_api_list_params *p,
                        const char **param, char *why, size_t whylen)
{
    memset(p, 0, sizeof *p);
    p->fixable = p->running = -1;
    p->cvss_min = -1;
    p->limit = max_page < 50 ? max_page : 50;
    p->desc = default_desc;
    p->runs = 10;
    *param = NULL;
    for (size_t i = 0; i < req->nparams; i++) {
        const sf_api_param *pa = &req->params[i];
        int known = 0;
        for (size_t k = 0; k < sizeof KNOWN / sizeof *KNOWN; k++)
            if (strcmp(pa->name, KNOWN[k].name) == 0)
                known = KNOWN[k].bit ? (accepted & KNOWN[k].bit) != 0 : sorts != NULL;
        if (!known)
            return bad(param, pa->name, why, whylen, "not a parameter of this resource");
        if (one(pa, sorts, max_page, p, param, why, whylen) != 0)
            return -1;
    }
    /* "repository=corpus/alpine&registry=h:5000" means h:5000/corpus/alpine */
    if (p->repository) {
        size_t rl = p->registry ? strlen(p->registry) : 0;
        if (p->registry && !(strncmp(p->repository, p->registry, rl) == 0 &&
                             p->repository[rl] == '/'))
            snprintf(p->repo_full, sizeof p->repo_full, "%s/%s", p->registry, p->repository);
        else
            snprintf(p->repo_full, sizeof p->repo_full, "%s", p->repository);
    }
    return 0;
}
