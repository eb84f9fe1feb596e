/* agg_fix: see agg_fix.h. */
#include "agg_fix.h"

const char *fix_digest(char c, char out[72])
{
    memcpy(out, "sha256:", 7);
    memset(out + 7, c, 64);
    out[71] = '\0';
    return out;
}

int fix_spec_next(const char **p, fix_spec *f)
{
    char tmp[512];
    if (!*p || !**p)
        return 0;
    size_t n = strcspn(*p, ";");
    snprintf(tmp, sizeof tmp, "%.*s", (int)n, *p);
    *p += n + ((*p)[n] == ';');
    memset(f, 0, sizeof *f);
    sscanf(tmp, "%63[^:]:%63[^:]:%63[^:]:%63[^:]:%31s", f->id, f->pkg, f->installed, f->fixed,
           f->severity);
    return 1;
}

void fix_result(sf_buf *b, char dc, const char *run, const char *db, const char *at,
                const char *refs, const char *vulns, const char *err)
{
    char d[72];
    fix_result_of(b, fix_digest(dc, d), run, db, at, refs, vulns, err);
}

void fix_result_of(sf_buf *b, const char *digest, const char *run, const char *db,
                   const char *at, const char *refs, const char *vulns, const char *err)
{
    fix_spec f;
    sf_buf_reset(b);
    sf_buf_printf(b, "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"%s\",\"digest\":\"%s\","
                     "\"platform\":\"linux/amd64\",\"refs\":[", run, digest);
    const char *p = refs;
    for (int first = 1; p && *p; first = 0) {
        size_t n = strcspn(p, ";");
        sf_buf_printf(b, "%s\"%.*s\"", first ? "" : ",", (int)n, p);
        p += n + (p[n] == ';');
    }
    sf_buf_printf(b, "],\"os\":{\"id\":\"alpine\",\"version_id\":\"3.10.3\"},\"packages\":[");
    /* every finding's package is also in the package list */
    p = vulns;
    for (int first = 1; fix_spec_next(&p, &f); first = 0)
        sf_buf_printf(b, "%s{\"name\":\"%s\",\"version\":\"%s\",\"type\":\"apk\","
                         "\"ecosystem\":\"Alpine:v3.10\"}", first ? "" : ",", f.pkg, f.installed);
    sf_buf_printf(b, "%s{\"name\":\"musl\",\"version\":\"1.1.22-r3\",\"type\":\"apk\","
                     "\"ecosystem\":\"Alpine:v3.10\"}]", vulns && *vulns ? "," : "");
    sf_buf_printf(b, ",\"vulnerabilities\":[");
    p = vulns;
    for (int first = 1; fix_spec_next(&p, &f); first = 0) {
        sf_buf_printf(b, "%s{\"id\":\"%s\",\"aliases\":[],\"package\":\"%s\","
                         "\"ecosystem\":\"Alpine:v3.10\",\"installed\":\"%s\",",
                      first ? "" : ",", f.id, f.pkg, f.installed);
        if (strcmp(f.fixed, "-") == 0)
            sf_buf_printf(b, "\"fixed\":null,");
        else
            sf_buf_printf(b, "\"fixed\":\"%s\",", f.fixed);
        sf_buf_printf(b, "\"severity\":\"%s\",\"cvss\":7.5}", f.severity);
    }
    sf_buf_printf(b, "],\"summary\":{},\"layers\":[],\"db_version\":\"%s\","
                     "\"scanned_at\":\"%s\",\"timings\":{\"total_ms\":12.5},\"error\":",
                  db, at);
    if (err)
        sf_buf_printf(b, "{\"code\":\"%s\",\"kind\":\"image\",\"message\":\"failed\"}}", err);
    else
        sf_buf_printf(b, "null}");
}
