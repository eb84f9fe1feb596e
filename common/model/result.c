/* result: see result.h. */
#include "model/result.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/array.h"
#include "base/json.h"

void sf_result_init(sf_result *r) { memset(r, 0, sizeof *r); }

const sf_strfield sf_result_layer_fields[] = {
    {"digest", offsetof(sf_result_layer, digest)},
    {"diff_id", offsetof(sf_result_layer, diff_id)},
    {"cache", offsetof(sf_result_layer, cache)},
    {"error", offsetof(sf_result_layer, error)},
};
const size_t sf_result_layer_nfields = SF_STRFIELD_N(sf_result_layer_fields);

const sf_strfield sf_result_note_fields[] = {
    {"path", offsetof(sf_result_note, path)},
    {"analyzer", offsetof(sf_result_note, analyzer)},
    {"note", offsetof(sf_result_note, note)},
};
const size_t sf_result_note_nfields = SF_STRFIELD_N(sf_result_note_fields);

static void free_layer(sf_result_layer *l)
{
    sf_strfields_free(l, sf_result_layer_fields, sf_result_layer_nfields);
}

static void free_note(sf_result_note *n)
{
    sf_strfields_free(n, sf_result_note_fields, sf_result_note_nfields);
}

void sf_result_clear(sf_result *r)
{
    if (!r)
        return;
    char *top[] = {r->run_id,     r->digest,           r->index_digest,    r->platform,
                   r->db_version, r->analyzer_version, r->scanner_version, r->scanned_at,
                   r->error};
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        free(top[i]);
    sf_strarr_free(r->refs, r->nrefs);
    sf_osinfo_clear(&r->os);
    SF_ARRAY_FREE(r->pkgs, r->npkgs, sf_pkg_clear);
    sf_findings_clear(&r->vulns);
    SF_ARRAY_FREE(r->layers, r->nlayers, free_layer);
    SF_ARRAY_FREE(r->notes, r->nnotes, free_note);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------ purl */

/* Percent-encode everything outside purl's unreserved set. */
static int purl_put(sf_buf *out, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = SF_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && rc == SF_OK; p++) {
        if (isalnum(*p) || *p == '.' || *p == '-' || *p == '_' || *p == '~' ||
            (keep_slash && *p == '/'))
            rc = sf_buf_append(out, p, 1);
        else
            rc = sf_buf_printf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    return rc;
}

/* pypi names are normalised (PEP 503): lowercase, runs of -_. become -. */
static int put_pypi_name(sf_buf *out, const char *s)
{
    char n[512];
    size_t o = 0;
    for (const char *p = s; *p && o + 1 < sizeof n; p++) {
        if (*p == '-' || *p == '_' || *p == '.') {
            if (o && n[o - 1] != '-')
                n[o++] = '-';
        } else {
            n[o++] = (char)tolower((unsigned char)*p);
        }
    }
    n[o] = '\0';
    return purl_put(out, n, 0);
}

int sf_result_purl(const sf_pkg *p, const sf_osinfo *os, sf_buf *out)
{
    if (!p->name)
        return SF_EINVAL;
    int rc = sf_buf_printf(out, "pkg:%s/", sf_pkg_type_name(p->type));
    const char *ns = NULL;
    if (sf_pkg_type_is_os(p->type))
        ns = os && os->id ? os->id : p->type == SF_PT_APK ? "alpine" : NULL;
    if (rc == SF_OK && ns && (rc = purl_put(out, ns, 0)) == SF_OK)
        rc = sf_buf_puts(out, "/");
    if (rc != SF_OK)
        return rc;
    const char *colon = p->type == SF_PT_MAVEN ? strchr(p->name, ':') : NULL;
    if (colon) { /* maven group:artifact -> group/artifact */
        char group[512];
        snprintf(group, sizeof group, "%.*s", (int)(colon - p->name), p->name);
        rc = purl_put(out, group, 0);
        if (rc == SF_OK && (rc = sf_buf_puts(out, "/")) == SF_OK)
            rc = purl_put(out, colon + 1, 0);
    } else if (p->type == SF_PT_PYPI) {
        rc = put_pypi_name(out, p->name);
    } else if (p->type == SF_PT_NPM && p->name[0] == '@' && strchr(p->name, '/')) {
        rc = sf_buf_puts(out, "%40"); /* scope is the namespace */
        if (rc == SF_OK)
            rc = purl_put(out, p->name + 1, 1);
    } else {
        /* Go module paths and composer's vendor/package keep their slashes */
        rc = purl_put(out, p->name, p->type == SF_PT_GO || p->type == SF_PT_COMPOSER);
    }
    if (rc == SF_OK && p->version && (rc = sf_buf_puts(out, "@")) == SF_OK)
        rc = purl_put(out, p->version, 0);
    const char *sep = "?";
    if (rc == SF_OK && p->arch && sf_pkg_type_is_os(p->type)) {
        rc = sf_buf_printf(out, "%sarch=", sep);
        sep = "&";
        if (rc == SF_OK)
            rc = purl_put(out, p->arch, 0);
    }
    if (rc == SF_OK && os && os->id && os->version_id && sf_pkg_type_is_os(p->type)) {
        rc = sf_buf_printf(out, "%sdistro=", sep);
        if (rc == SF_OK)
            rc = purl_put(out, os->id, 0);
        if (rc == SF_OK && (rc = sf_buf_puts(out, "-")) == SF_OK)
            rc = purl_put(out, os->version_id, 0);
    }
    return rc;
}

int sf_result_purl_json(const sf_result *r, const sf_pkg *p, json_t **out)
{
    sf_buf b;
    sf_buf_init(&b, 8192);
    *out = NULL;
    int rc = SF_OK;
    if (sf_result_purl(p, r->has_os ? &r->os : NULL, &b) == SF_OK && b.data &&
        !(*out = sf_jutil_str(b.data)))
        rc = SF_ENOMEM;
    sf_buf_free(&b);
    return rc;
}
