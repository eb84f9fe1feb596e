/*
 * epss: EPSS CSV -> CVE table (see epss.h). The text is read line by line
 * in place; numbers are parsed with strtod from a bounded copy of each
 * field (the input is not NUL-terminated).
 */
#include "vuln/epss.h"

#include <stdlib.h>
#include <string.h>

static const char header[] = "cve,epss,percentile";

/* Length of the line at p (without "\r\n"); *next past its end. */
static size_t line_at(const char *p, const char *end, const char **next)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl ? nl : end;
    *next = nl ? nl + 1 : end;
    if (e > p && e[-1] == '\r')
        e--;
    return (size_t)(e - p);
}

int sf_epss_looks_like(const char *data, size_t len)
{
    const char *next, *end = data + len, *p = data;
    size_t n = line_at(p, end, &next);
    if (n >= 14 && memcmp(p, "#model_version", 14) == 0) {
        p = next;
        n = line_at(p, end, &next);
    }
    return n >= sizeof header - 1 && memcmp(p, header, sizeof header - 1) == 0;
}

/* The score_date of the comment line into out ("" when absent). */
static void comment_date(const char *line, size_t n, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; i + 11 <= n; i++) {
        if (memcmp(line + i, "score_date:", 11) != 0)
            continue;
        size_t s = i + 11, k = 0;
        while (s + k < n && line[s + k] != ',' && k + 1 < outlen)
            k++;
        memcpy(out, line + s, k);
        out[k] = '\0';
        return;
    }
}

/* Parse the number in [p, p+n) into *v; 0 on success. */
static int number(const char *p, size_t n, double *v)
{
    char tmp[32], *e;
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    *v = strtod(tmp, &e);
    return *e == '\0' ? 0 : -1;
}

/* One data row "CVE-...,score,percentile". */
static int row(sf_vdb_builder *b, const char *p, size_t n, const char *date)
{
    const char *c1 = memchr(p, ',', n);
    const char *c2 = c1 ? memchr(c1 + 1, ',', (size_t)(p + n - c1 - 1)) : NULL;
    char id[40];
    double score, pct;
    size_t idn = c1 ? (size_t)(c1 - p) : 0;
    if (!c2 || idn == 0 || idn >= sizeof id || number(c1 + 1, (size_t)(c2 - c1 - 1), &score) ||
        number(c2 + 1, (size_t)(p + n - c2 - 1), &pct)) {
        sf_vdb_builder_skip(b, "epss: malformed row", 1);
        return SF_OK;
    }
    memcpy(id, p, idn);
    id[idn] = '\0';
    return sf_vdb_cve_epss(b, id, score, pct, date);
}

int sf_epss_import(sf_vdb_builder *b, const char *data, size_t len)
{
    const char *p = data, *end = data + len, *next;
    char date[40] = "";
    int seen_header = 0;
    while (p < end) {
        size_t n = line_at(p, end, &next);
        int rc = SF_OK;
        if (n && p[0] == '#') {
            comment_date(p, n, date, sizeof date);
        } else if (!seen_header) {
            if (n < sizeof header - 1 || memcmp(p, header, sizeof header - 1) != 0) {
                sf_vdb_builder_skip(b, "epss: no cve,epss,percentile header", 1);
                return SF_OK;
            }
            seen_header = 1;
        } else if (n) {
            rc = row(b, p, n, date[0] ? date : NULL);
        }
        if (rc)
            return rc;
        p = next;
    }
    return SF_OK;
}
