/* scan_gate: see scan_gate.h. */
#include "scan_gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

/* Rank for filters: NONE (a 0.0 CVSS) is reported with LOW. */
static int filter_rank(const char *sev)
{
    return sev && strcasecmp(sev, "NONE") == 0 ? 1 : sf_severity_rank(sev, 0);
}

void sf_scan_gate_init(sf_scan_gate *g)
{
    memset(g, 0, sizeof *g);
    g->fail_epss = -1;
    g->exit_code = -1;
}

/* Call fn on each comma-separated item of list; -1 at the first refusal. */
static int each_item(const char *list, int (*fn)(sf_scan_gate *, const char *), sf_scan_gate *g)
{
    char item[64];
    const char *p = list;
    if (!*p)
        return -1;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof item)
            return -1;
        memcpy(item, p, n);
        item[n] = '\0';
        if (fn(g, item) != 0)
            return -1;
        p += n;
        if (*p == ',' && !*++p)
            return -1; /* trailing comma */
    }
    return 0;
}

static int add_severity(sf_scan_gate *g, const char *s)
{
    int r = sf_severity_rank(s, 1);
    if (r < 0)
        return -1;
    g->severities |= 1u << r;
    return 0;
}

int sf_scan_gate_severity(sf_scan_gate *g, const char *list)
{
    if (each_item(list, add_severity, g) == 0)
        return 0;
    fprintf(stderr, "scanfarm scan: --severity takes a comma-separated list of "
                    "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL\n");
    return -1;
}

static int add_fail(sf_scan_gate *g, const char *s)
{
    if (strcasecmp(s, "KEV") == 0) {
        g->fail_kev = 1;
        return 0;
    }
    if (strncasecmp(s, "EPSS>=", 6) == 0) {
        char *end;
        double t = strtod(s + 6, &end);
        if (end == s + 6 || *end || !(t >= 0 && t <= 1))
            return -1;
        g->fail_epss = t;
        return 0;
    }
    int r = sf_severity_rank(s, 1);
    if (r < 0)
        return -1;
    /* The lowest severity named is the threshold. */
    if (!g->fail_rank || r + 1 < g->fail_rank)
        g->fail_rank = r + 1;
    return 0;
}

int sf_scan_gate_fail_on(sf_scan_gate *g, const char *list)
{
    if (each_item(list, add_fail, g) == 0)
        return 0;
    fprintf(stderr, "scanfarm scan: --fail-on takes a comma-separated list of "
                    "UNKNOWN|LOW|MEDIUM|HIGH|CRITICAL, KEV, EPSS>=x (x in 0..1)\n");
    return -1;
}

int sf_scan_gate_exit_code(sf_scan_gate *g, const char *arg)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < 0 || v > 255) {
        fprintf(stderr, "scanfarm scan: --exit-code 0..255\n");
        return -1;
    }
    g->exit_code = (int)v;
    return 0;
}

int sf_scan_gate_keeps(const sf_scan_gate *g, const sf_finding *f)
{
    if (g->ignore_unfixed && !f->fixed)
        return 0;
    return !g->severities || (g->severities & (1u << filter_rank(f->severity)));
}

void sf_scan_gate_filter(const sf_scan_gate *g, sf_result *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->vulns.n; i++) {
        if (sf_scan_gate_keeps(g, &r->vulns.items[i]))
            r->vulns.items[k++] = r->vulns.items[i];
        else
            sf_finding_clear(&r->vulns.items[i]);
    }
    r->vulns.n = k;
}

static int any_gate(const sf_scan_gate *g)
{
    return g->fail_rank || g->fail_kev || g->fail_epss >= 0;
}

int sf_scan_gate_trips(const sf_scan_gate *g, const sf_finding *f)
{
    if (!any_gate(g))
        return g->exit_code > 0; /* --exit-code alone: any reported finding */
    if (g->fail_kev && f->kev)
        return 1;
    if (g->fail_epss >= 0 && f->epss >= 0 && f->epss + 1e-12 >= g->fail_epss)
        return 1;
    if (!g->fail_rank || (f->severity && strcasecmp(f->severity, "NONE") == 0))
        return 0;
    int rank = sf_severity_rank(f->severity, 0);
    /* UNKNOWN (rank 0) trips thresholds UNKNOWN and LOW: not known to be lower. */
    return rank + 1 >= g->fail_rank || (rank == 0 && g->fail_rank <= 2);
}

int sf_scan_gate_exit(const sf_scan_gate *g, const sf_result *r)
{
    for (size_t i = 0; i < r->vulns.n; i++)
        if (sf_scan_gate_keeps(g, &r->vulns.items[i]) && sf_scan_gate_trips(g, &r->vulns.items[i]))
            return g->exit_code >= 0 ? g->exit_code : SF_EXIT_FINDINGS;
    return SF_EXIT_OK;
}
