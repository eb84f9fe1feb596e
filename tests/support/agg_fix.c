/* agg_fix: see agg_fix.h. */
#include "agg_fix.h"

#include "bus/msg_refs.h"

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
    fix_doc d = {.digest = digest, .run = run, .db = db, .at = at, .refs = refs,
                 .vulns = vulns, .err = err, .cvss = 7.5};
    fix_result_doc(b, &d);
}

/* The packages of spec "name@version[@source];..." as JSON objects. */
static void fix_pkgs(sf_buf *b, const char *spec)
{
    char name[128], ver[128], src[128];
    for (const char *p = spec; p && *p;) {
        size_t n = strcspn(p, ";");
        char tmp[400];
        snprintf(tmp, sizeof tmp, "%.*s", (int)n, p);
        p += n + (p[n] == ';');
        name[0] = ver[0] = src[0] = '\0';
        sscanf(tmp, "%127[^@]@%127[^@]@%127s", name, ver, src);
        sf_buf_printf(b, ",{\"name\":\"%s\",\"version\":\"%s\",\"type\":\"apk\","
                         "\"ecosystem\":\"Alpine:v3.10\"", name, ver);
        if (src[0])
            sf_buf_printf(b, ",\"src_name\":\"%s\"", src);
        sf_buf_printf(b, "}");
    }
}

void fix_result_doc(sf_buf *b, const fix_doc *d)
{
    char dg[72], ix[72];
    fix_spec f;
    sf_buf_reset(b);
    sf_buf_printf(b, "{\"schema\":\"scanfarm.result/v1\",\"run_id\":\"%s\",\"digest\":\"%s\",",
                  d->run, d->digest ? d->digest : fix_digest(d->dc, dg));
    if (d->ic)
        sf_buf_printf(b, "\"index_digest\":\"%s\",", fix_digest(d->ic, ix));
    sf_buf_printf(b, "\"platform\":\"linux/amd64\",\"refs\":[");
    const char *p = d->refs;
    for (int first = 1; p && *p; first = 0) {
        size_t n = strcspn(p, ";");
        sf_buf_printf(b, "%s\"%.*s\"", first ? "" : ",", (int)n, p);
        p += n + (p[n] == ';');
    }
    sf_buf_printf(b, "],\"os\":{\"id\":\"alpine\",\"version_id\":\"3.10.3\"},\"packages\":[");
    /* every finding's package is also in the package list */
    p = d->vulns;
    for (int first = 1; fix_spec_next(&p, &f); first = 0)
        sf_buf_printf(b, "%s{\"name\":\"%s\",\"version\":\"%s\",\"type\":\"apk\","
                         "\"ecosystem\":\"Alpine:v3.10\"}", first ? "" : ",", f.pkg, f.installed);
    sf_buf_printf(b, "%s{\"name\":\"musl\",\"version\":\"1.1.22-r3\",\"type\":\"apk\","
                     "\"ecosystem\":\"Alpine:v3.10\"}", d->vulns && *d->vulns ? "," : "");
    fix_pkgs(b, d->pkgs);
    sf_buf_printf(b, "],\"vulnerabilities\":[");
    p = d->vulns;
    for (int first = 1; fix_spec_next(&p, &f); first = 0) {
        sf_buf_printf(b, "%s{\"id\":\"%s\",%s,\"package\":\"%s\","
                         "\"ecosystem\":\"Alpine:v3.10\",\"installed\":\"%s\",",
                      first ? "" : ",", f.id, d->vextra ? d->vextra : "\"aliases\":[]", f.pkg,
                      f.installed);
        if (strcmp(f.fixed, "-") == 0)
            sf_buf_printf(b, "\"fixed\":null,");
        else
            sf_buf_printf(b, "\"fixed\":\"%s\",", f.fixed);
        sf_buf_printf(b, "\"severity\":\"%s\",\"cvss\":%g}", f.severity, d->cvss);
    }
    sf_buf_printf(b, "],\"summary\":{},\"layers\":[],\"db_version\":\"%s\","
                     "\"scanned_at\":\"%s\",\"timings\":{\"total_ms\":12.5},\"error\":",
                  d->db, d->at);
    if (d->err)
        sf_buf_printf(b, "{\"code\":\"%s\",\"kind\":\"image\",\"message\":\"failed\"}}", d->err);
    else
        sf_buf_printf(b, "null}");
}

int fix_refs_doc(sf_buf *b, char dc, const char *run, const char *db, const char *ref,
                 const char *at)
{
    char da[72];
    char *img[] = {(char *)fix_digest(dc, da)}, *refs[] = {(char *)ref};
    sf_refs_msg m = {.run_id = (char *)run, .digest = img[0], .images = img, .nimages = 1,
                     .refs = refs, .nrefs = 1, .db_version = (char *)db,
                     .produced_at = (char *)at};
    char *json = NULL;
    size_t len = 0;
    int rc = sf_refs_encode(&m, &json, &len, NULL);
    sf_buf_reset(b);
    if (rc == SF_OK)
        rc = sf_buf_append(b, json, len);
    free(json);
    return rc;
}
