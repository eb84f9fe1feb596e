/* msg_result: see msg_result.h. */
#include "bus/msg_result.h"

#include <ctype.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/json.h"
#include "bus/msg_result_int.h"
#include "base/limits.h"

/* ------------------------------------------------------------ field tables */

/* sf_pkg and sf_osinfo use base/pkg.h's tables (shared with layer
 * inventories and with their clear and copy), layers and notes
 * model/result.h's (shared with sf_result_clear); the result's other
 * structs are listed here. */
typedef sf_strfield sfield;

#define NF(t) SF_STRFIELD_N(t)
#define SPTR(base, f) SF_STRFIELD_PTR(base, f)

static const sfield top_fields[] = {
    {"run_id", offsetof(sf_result, run_id)},
    {"digest", offsetof(sf_result, digest)},
    {"index_digest", offsetof(sf_result, index_digest)},
    {"platform", offsetof(sf_result, platform)},
    {"db_version", offsetof(sf_result, db_version)},
    {"analyzer_version", offsetof(sf_result, analyzer_version)},
    {"scanner_version", offsetof(sf_result, scanner_version)},
    {"scanned_at", offsetof(sf_result, scanned_at)},
};

/* The DESIGN.md names first ("package", "installed", "fixed"), then ours. */
static const sfield vuln_fields[] = {
    {"id", offsetof(sf_finding, id)},
    {"package", offsetof(sf_finding, pkg_name)},
    {"ecosystem", offsetof(sf_finding, ecosystem)},
    {"installed", offsetof(sf_finding, installed)},
    {"fixed", offsetof(sf_finding, fixed)},
    {"severity", offsetof(sf_finding, severity)},
    {"cvss_vector", offsetof(sf_finding, cvss_vector)},
    {"source_package", offsetof(sf_finding, src_name)},
    {"summary", offsetof(sf_finding, summary)},
    {"path", offsetof(sf_finding, pkg_path)},
};

static const struct {
    const char *key;
    size_t off;
} timing_fields[] = {
    {"total_ms", offsetof(sf_result_timings, total_ms)},
    {"manifest_ms", offsetof(sf_result_timings, manifest_ms)},
    {"layers_ms", offsetof(sf_result_timings, layers_ms)},
    {"assemble_ms", offsetof(sf_result_timings, assemble_ms)},
    {"match_ms", offsetof(sf_result_timings, match_ms)},
};


/* ------------------------------------------------------------ encode */

#define TRY(x)                                                                                \
    do {                                                                                      \
        if ((x) != SF_OK)                                                                     \
            goto fail;                                                                        \
    } while (0)

static int put_fields(json_t *o, const void *base, const sfield *f, size_t n)
{
    return sf_jutil_put_fields(o, base, f, n, 1);
}

json_t *sf_result__strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, sf_jutil_str(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static const char *pkg_ecosystem(const sf_pkg *p, const char *os_eco)
{
    return sf_pkg_type_is_os(p->type) ? os_eco : sf_pkg_type_osv_ecosystem(p->type);
}

static json_t *pkg_json(const sf_pkg *p, const sf_result *r, const char *os_eco)
{
    json_t *o = json_object(), *purl;
    if (!o)
        return NULL;
    TRY(sf_jutil_set_new(o, "type", json_string(sf_pkg_type_name(p->type))));
    TRY(put_fields(o, p, sf_pkg_fields, sf_pkg_nfields));
    TRY(sf_jutil_set_new(o, "layer", json_integer(p->layer)));
    TRY(sf_jutil_set_new(o, "ecosystem", sf_jutil_str(pkg_ecosystem(p, os_eco))));
    TRY(sf_result_purl_json(r, p, &purl));
    if (purl)
        TRY(sf_jutil_set_new(o, "purl", purl));
    return o;
fail:
    json_decref(o);
    return NULL;
}

static json_t *vuln_json(const sf_finding *f)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    TRY(put_fields(o, f, vuln_fields, NF(vuln_fields)));
    TRY(sf_jutil_set_new(o, "aliases", sf_result__strv(f->aliases, f->naliases)));
    TRY(sf_jutil_set_new(o, "cvss", f->cvss >= 0 ? json_real(f->cvss) : json_null()));
    TRY(sf_jutil_set_new(o, "type", json_string(sf_pkg_type_name(f->pkg_type))));
    TRY(sf_jutil_set_new(o, "layer", json_integer(f->layer)));
    TRY(sf_result__sev_put(o, f));
    return o;
fail:
    json_decref(o);
    return NULL;
}

/* Counter object key -> n, incremented. */
static int bump(json_t *counts, const char *key)
{
    json_t *v = json_object_get(counts, key);
    if (v)
        return json_integer_set(v, json_integer_value(v) + 1) == 0 ? SF_OK : SF_ENOMEM;
    return sf_jutil_set_new(counts, key, json_integer(1));
}

static json_t *summary_json(const sf_result *r, const char *os_eco)
{
    json_t *o = json_object(), *eco = json_object(), *sev = json_object();
    if (!o || !eco || !sev)
        goto fail;
    size_t fixable = 0, kev = 0;
    for (size_t i = 0; i < r->npkgs; i++) {
        const char *e = pkg_ecosystem(&r->pkgs[i], os_eco);
        TRY(bump(eco, e ? e : sf_pkg_type_name(r->pkgs[i].type)));
    }
    for (int k = 0; k < SF_SEV_N; k++) /* most severe first */
        TRY(sf_jutil_set_new(sev, sf_sev_name(sf_sev_at(k)), json_integer(0)));
    for (size_t i = 0; i < r->vulns.n; i++) {
        TRY(bump(sev, sf_sev_name(sf_severity_rank(r->vulns.items[i].severity, 0))));
        fixable += r->vulns.items[i].fixed != NULL;
        kev += r->vulns.items[i].kev != 0;
    }
    TRY(sf_jutil_set_new(o, "packages", json_integer((json_int_t)r->npkgs)));
    TRY(sf_jutil_set_take(o, "by_ecosystem", &eco)); /* stolen even on failure */
    TRY(sf_jutil_set_new(o, "vulnerabilities", json_integer((json_int_t)r->vulns.n)));
    TRY(sf_jutil_set_take(o, "by_severity", &sev));
    TRY(sf_jutil_set_new(o, "fixable", json_integer((json_int_t)fixable)));
    TRY(sf_jutil_set_new(o, "kev", json_integer((json_int_t)kev)));
    return o;
fail:
    json_decref(eco);
    json_decref(sev);
    json_decref(o);
    return NULL;
}

static json_t *os_json(const sf_result *r, const char *os_eco)
{
    if (!r->has_os)
        return json_null();
    json_t *o = json_object();
    if (!o || put_fields(o, &r->os, sf_osinfo_fields, sf_osinfo_nfields) != SF_OK ||
        sf_jutil_set_new(o, "ecosystem", sf_jutil_str(os_eco)) != SF_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The "layers" array's items, appended to ly. */
static int layers_json(json_t *ly, const sf_result *r)
{
    for (size_t i = 0; i < r->nlayers; i++) {
        json_t *l = json_object();
        if (json_array_append_new(ly, l) != 0 ||
            put_fields(l, &r->layers[i], sf_result_layer_fields, sf_result_layer_nfields) != SF_OK ||
            sf_jutil_set_new(l, "size", json_integer((json_int_t)r->layers[i].size)) != SF_OK)
            return SF_ENOMEM;
    }
    return SF_OK;
}

static int arrays_json(json_t *o, const sf_result *r, const char *os_eco)
{
    json_t *pk = json_array(), *vu = json_array(), *ly = json_array(), *nt = json_array();
    if (!pk || !vu || !ly || !nt)
        goto fail;
    for (size_t i = 0; i < r->npkgs; i++)
        if (json_array_append_new(pk, pkg_json(&r->pkgs[i], r, os_eco)) != 0)
            goto fail;
    for (size_t i = 0; i < r->vulns.n; i++)
        if (json_array_append_new(vu, vuln_json(&r->vulns.items[i])) != 0)
            goto fail;
    if (layers_json(ly, r) != SF_OK)
        goto fail;
    for (size_t i = 0; i < r->nnotes; i++) {
        json_t *n = json_object();
        if (json_array_append_new(nt, n) != 0 ||
            put_fields(n, &r->notes[i], sf_result_note_fields, sf_result_note_nfields) != SF_OK ||
            sf_jutil_set_new(n, "status", json_string(r->notes[i].status == 1 ? "unparsed"
                                                                               : "error")) ||
            sf_jutil_set_new(n, "layer", json_integer(r->notes[i].layer)) != SF_OK)
            goto fail;
    }
    /* Each set takes its array even when it fails; the ones not yet set
     * are released below (a short-circuit here used to leak them). */
    if (sf_jutil_set_take(o, "packages", &pk) != SF_OK ||
        sf_jutil_set_take(o, "vulnerabilities", &vu) != SF_OK ||
        sf_jutil_set_take(o, "layers", &ly) != SF_OK || sf_jutil_set_take(o, "notes", &nt) != SF_OK)
        goto fail;
    return SF_OK;
fail:
    json_decref(pk);
    json_decref(vu);
    json_decref(ly);
    json_decref(nt);
    return SF_ENOMEM;
}

static json_t *result_json(const sf_result *r)
{
    char eco[64] = "";
    const char *os_eco = NULL;
    if (r->has_os && sf_osinfo_osv_ecosystem(&r->os, eco, sizeof eco) == SF_OK)
        os_eco = eco;
    json_t *o = json_object(), *t = json_object();
    if (!o || !t)
        goto fail;
    TRY(sf_jutil_set_new(o, "schema", json_string(SF_RESULT_SCHEMA)));
    TRY(put_fields(o, r, top_fields, NF(top_fields)));
    TRY(sf_jutil_set_new(o, "refs", sf_result__strv(r->refs, r->nrefs)));
    TRY(sf_jutil_set_new(o, "os", os_json(r, os_eco)));
    TRY(arrays_json(o, r, os_eco));
    TRY(sf_jutil_set_new(o, "summary", summary_json(r, os_eco)));
    for (size_t i = 0; i < NF(timing_fields); i++) {
        double v = *(const double *)((const char *)&r->timings + timing_fields[i].off);
        TRY(sf_jutil_set_new(t, timing_fields[i].key, json_real(v)));
    }
    TRY(sf_jutil_set_take(o, "timings", &t)); /* stolen even on failure */
    if (r->error_code != SF_OK) {
        json_t *e = json_pack("{s:s, s:s}", "code", sf_err_name(r->error_code), "kind",
                              sf_err_kind_name(sf_err_kind(r->error_code)));
        TRY(sf_jutil_set_new(o, "error", e));
        TRY(sf_jutil_set_new(e, "message", sf_jutil_str(r->error ? r->error : "")));
    } else {
        TRY(sf_jutil_set_new(o, "error", json_null()));
    }
    return o;
fail:
    json_decref(t);
    json_decref(o);
    return NULL;
}

int sf_result_encode(const sf_result *r, sf_buf *out, sf_error *err)
{
    json_t *j = result_json(r);
    if (!j)
        return sf_error_set(err, SF_ENOMEM, "result: out of memory");
    int rc = sf_jutil_dump(j, out);
    json_decref(j);
    if (rc != SF_OK)
        sf_error_set(err, rc, "result: document too large");
    return rc;
}

/* ------------------------------------------------------------ decode */

static int get_fields(const json_t *o, void *base, const sfield *f, size_t n, sf_error *err)
{
    return sf_jutil_get_fields(o, base, f, n, 0, "result", err);
}

static int get_strv(const json_t *a, char ***v, size_t *n, const char *what, sf_error *err)
{
    if (!a || json_is_null(a))
        return SF_OK;
    if (!json_is_array(a))
        return sf_error_set(err, SF_EPARSE, "result: \"%s\" is not an array", what);
    size_t cnt = json_array_size(a), i;
    json_t *s;
    if (!(*v = calloc(cnt ? cnt : 1, sizeof **v)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    json_array_foreach(a, i, s)
    {
        if (!json_is_string(s))
            return sf_error_set(err, SF_EPARSE, "result: \"%s\" holds a non-string", what);
        if (!((*v)[(*n)++] = strdup(json_string_value(s))))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    return SF_OK;
}

/* Decodes element i of a result array, v, into item (zeroed); a code
 * other than SF_OK ends the array's decoding with it. */
typedef int (*decode_fn)(const json_t *v, void *item, size_t i, sf_error *err);

/* The array o[key] (absent or null: none) into a new array of elem-sized
 * items at *items, fn decoding each element into the next item; *n
 * counts the items begun, so that on failure sf_result_clear frees what
 * they hold. */
static int decode_array(const json_t *o, const char *key, void **items, size_t elem, size_t *n,
                        decode_fn fn, sf_error *err)
{
    const json_t *a = json_object_get(o, key);
    if (!a || json_is_null(a))
        return SF_OK;
    if (!json_is_array(a))
        return sf_error_set(err, SF_EPARSE, "result: \"%s\" is not an array", key);
    size_t cnt = json_array_size(a), i;
    json_t *v;
    if (!(*items = calloc(cnt ? cnt : 1, elem)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    json_array_foreach(a, i, v)
    {
        int rc = fn(v, (char *)*items + (*n)++ * elem, i, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

static int decode_pkg(const json_t *v, void *item, size_t i, sf_error *err)
{
    sf_pkg *p = item;
    p->layer = -1;
    const json_t *t = json_object_get(v, "type");
    if (!json_is_object(v) || !json_is_string(t))
        return sf_error_set(err, SF_EPARSE, "result: bad package %zu", i);
    p->type = sf_pkg_type_parse(json_string_value(t));
    int rc = get_fields(v, p, sf_pkg_fields, sf_pkg_nfields, err);
    if (rc == SF_OK)
        rc = sf_jutil_get_int(v, "layer", -1, SF_LIM_IMAGE_LAYERS, &p->layer, err);
    return rc;
}

static int decode_vuln(const json_t *v, void *item, size_t i, sf_error *err)
{
    sf_finding *f = item;
    if (!json_is_object(v))
        return sf_error_set(err, SF_EPARSE, "result: bad vulnerability %zu", i);
    const json_t *cv = json_object_get(v, "cvss"), *t = json_object_get(v, "type");
    f->cvss = json_is_number(cv) ? json_number_value(cv) : -1;
    f->pkg_type = json_is_string(t) ? sf_pkg_type_parse(json_string_value(t)) : SF_PT_UNKNOWN;
    f->layer = -1;
    int rc = get_fields(v, f, vuln_fields, NF(vuln_fields), err);
    if (rc == SF_OK)
        rc = get_strv(json_object_get(v, "aliases"), &f->aliases, &f->naliases, "aliases", err);
    if (rc == SF_OK)
        rc = sf_jutil_get_int(v, "layer", -1, SF_LIM_IMAGE_LAYERS, &f->layer, err);
    if (rc == SF_OK)
        rc = sf_result__sev_get(v, f, err);
    return rc;
}

static int decode_layer(const json_t *v, void *item, size_t i, sf_error *err)
{
    sf_result_layer *l = item;
    if (!json_is_object(v))
        return sf_error_set(err, SF_EPARSE, "result: bad layer %zu", i);
    int rc = get_fields(v, l, sf_result_layer_fields, sf_result_layer_nfields, err);
    if (rc == SF_OK)
        rc = sf_jutil_get_u64(v, "size", &l->size, err);
    return rc;
}

static int decode_note(const json_t *v, void *item, size_t i, sf_error *err)
{
    sf_result_note *nt = item;
    const json_t *st = json_object_get(v, "status");
    if (!json_is_object(v))
        return sf_error_set(err, SF_EPARSE, "result: bad note %zu", i);
    nt->status = json_is_string(st) && strcmp(json_string_value(st), "unparsed") == 0 ? 1 : 2;
    int rc = get_fields(v, nt, sf_result_note_fields, sf_result_note_nfields, err);
    if (rc == SF_OK)
        rc = sf_jutil_get_int(v, "layer", -1, SF_LIM_IMAGE_LAYERS, &nt->layer, err);
    return rc;
}

static int decode_arrays(const json_t *j, sf_result *r, sf_error *err)
{
    int rc = decode_array(j, "packages", (void **)&r->pkgs, sizeof *r->pkgs, &r->npkgs,
                          decode_pkg, err);
    if (rc == SF_OK)
        rc = decode_array(j, "vulnerabilities", (void **)&r->vulns.items,
                          sizeof *r->vulns.items, &r->vulns.n, decode_vuln, err);
    if (rc == SF_OK)
        rc = decode_array(j, "layers", (void **)&r->layers, sizeof *r->layers, &r->nlayers,
                          decode_layer, err);
    if (rc == SF_OK)
        rc = decode_array(j, "notes", (void **)&r->notes, sizeof *r->notes, &r->nnotes,
                          decode_note, err);
    return rc;
}

static int decode_error(const json_t *j, sf_result *r, sf_error *err)
{
    const json_t *e = json_object_get(j, "error");
    if (!e || json_is_null(e))
        return SF_OK;
    const json_t *code = json_object_get(e, "code");
    if (!json_is_object(e) || !json_is_string(code))
        return sf_error_set(err, SF_EPARSE, "result: bad \"error\"");
    r->error_code = SF_EINTERNAL;
    for (int c = -1; c >= SF_ECODE_MIN; c--)
        if (strcmp(sf_err_name(c), json_string_value(code)) == 0)
            r->error_code = c;
    return sf_jutil_get_str(e, "message", &r->error, err);
}

static int decode_tree(const json_t *j, sf_result *r, sf_error *err)
{
    const json_t *schema = json_object_get(j, "schema");
    if (!json_is_object(j) || !json_is_string(schema) ||
        strcmp(json_string_value(schema), SF_RESULT_SCHEMA) != 0)
        return sf_error_set(err, SF_EPARSE, "result: not a %s document", SF_RESULT_SCHEMA);
    int rc = get_fields(j, r, top_fields, NF(top_fields), err);
    if (rc == SF_OK)
        rc = get_strv(json_object_get(j, "refs"), &r->refs, &r->nrefs, "refs", err);
    const json_t *os = json_object_get(j, "os");
    if (rc == SF_OK && json_is_object(os)) {
        r->has_os = 1;
        rc = get_fields(os, &r->os, sf_osinfo_fields, sf_osinfo_nfields, err);
    }
    if (rc == SF_OK)
        rc = decode_arrays(j, r, err);
    const json_t *t = json_object_get(j, "timings");
    for (size_t i = 0; rc == SF_OK && json_is_object(t) && i < NF(timing_fields); i++) {
        const json_t *v = json_object_get(t, timing_fields[i].key);
        if (json_is_number(v))
            *(double *)((char *)&r->timings + timing_fields[i].off) = json_number_value(v);
    }
    if (rc == SF_OK)
        rc = decode_error(j, r, err);
    return rc;
}

int sf_result_decode(const char *json, size_t len, sf_result *out, sf_error *err)
{
    sf_result_init(out);
    json_t *j = NULL;
    int rc = sf_jutil_load(&j, json, len, SF_LIM_MESSAGE_BYTES, "result", err);
    if (rc == SF_OK)
        rc = decode_tree(j, out, err);
    json_decref(j);
    return rc;
}

/* One top-level array member's value text, decoded into out's (empty)
 * list *items / *n as decode_tree decodes it within a document. */
static int decode_member(const char *json, size_t len, const char *key, void **items,
                         size_t elem, size_t *n, decode_fn fn, sf_error *err)
{
    json_error_t je;
    /* the flags sf_jutil_load gives the whole document */
    json_t *a = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    json_t *o = a ? json_object() : NULL;
    int rc = a ? SF_OK : sf_error_set(err, SF_EPARSE, "result: invalid \"%s\": %s", key, je.text);
    if (rc == SF_OK && (!o || json_object_set(o, key, a) != 0))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK) {
        free(*items); /* an empty list's allocation (n 0) */
        *items = NULL, *n = 0;
        rc = decode_array(o, key, items, elem, n, fn, err);
    }
    json_decref(o);
    json_decref(a);
    return rc;
}

int sf_result_decode_pkgs(const char *json, size_t len, sf_result *out, sf_error *err)
{
    return decode_member(json, len, "packages", (void **)&out->pkgs, sizeof *out->pkgs,
                         &out->npkgs, decode_pkg, err);
}

int sf_result_decode_vulns(const char *json, size_t len, sf_result *out, sf_error *err)
{
    return decode_member(json, len, "vulnerabilities", (void **)&out->vulns.items,
                         sizeof *out->vulns.items, &out->vulns.n, decode_vuln, err);
}

int sf_result__layers_hit(const char *json, size_t len, sf_buf *out, sf_error *err)
{
    sf_result r;
    sf_result_init(&r);
    json_t *ly = NULL;
    int rc = decode_member(json, len, "layers", (void **)&r.layers, sizeof *r.layers, &r.nlayers,
                           decode_layer, err);
    for (size_t i = 0; rc == SF_OK && i < r.nlayers; i++) {
        free(r.layers[i].cache);
        if (!(r.layers[i].cache = sf_strdup("hit")))
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    if (rc == SF_OK && (!(ly = json_array()) || layers_json(ly, &r) != SF_OK))
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK && (rc = sf_jutil_dump(ly, out)) != SF_OK)
        sf_error_set(err, rc, "result: layers too large");
    json_decref(ly);
    sf_result_clear(&r);
    return rc;
}
