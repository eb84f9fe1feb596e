/*
 * inventory: see inventory.h.
 *
 * The JSON form is the cache value's payload, so it is read back from an
 * untrusted store: decoding is strict (types checked, unknown fields of
 * the wrong type refused, every count bounded by limits.h) and a decode
 * that fails yields no inventory at all. Encoding and decoding share the
 * sf_pkg / sf_osinfo field tables of jutil (also used by scan results)
 * so the two cannot drift apart.
 *
 * Format (version 1):
 *   {"v":1,"analyzer_version":"...","entries":N,"bytes":N,
 *    "error_code":0,"error":null,"whiteouts":[...],"opaques":[...],
 *    "sources":[{"path","analyzer","status","note","os":{...},
 *                "pkgs":[{"type":"deb","name",...,"layer":-1}]}]}
 * The compact form is one zstd frame of that text.
 */
#include "analyze/inventory.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "base/array.h"
#include "base/json.h"
#include "base/limits.h"

#define INV_FORMAT 1
/* zstd level for cache values: level 3 compresses JSON ~8x at >300 MB/s;
 * higher levels cost CPU on every miss for little gain. */
#define INV_ZSTD_LEVEL 3

/* Make room for one more element in *arr (n used, *cap allocated). */
int sf_inventory_new(sf_inventory **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? SF_OK : SF_ENOMEM;
}

void sf_inv_source_clear(sf_inv_source *src)
{
    if (!src)
        return;
    free(src->path);
    free(src->analyzer);
    free(src->note);
    if (src->os) {
        sf_osinfo_clear(src->os);
        free(src->os);
    }
    SF_ARRAY_FREE(src->pkgs, src->npkgs, sf_pkg_clear);
    memset(src, 0, sizeof *src);
}

void sf_inventory_free(sf_inventory *inv)
{
    if (!inv)
        return;
    free(inv->analyzer_version);
    SF_ARRAY_FREE(inv->srcs, inv->nsrcs, sf_inv_source_clear);
    sf_strarr_free(inv->whiteouts, inv->nwhiteouts);
    sf_strarr_free(inv->opaques, inv->nopaques);
    free(inv->error);
    free(inv);
}

int sf_inventory_add_source(sf_inventory *inv, const char *path, const char *analyzer,
                            sf_inv_source **out)
{
    *out = NULL;
    if (!path || !analyzer)
        return SF_EINVAL;
    if (SF_ARRAY_RESERVE(inv->srcs, inv->capsrcs, inv->nsrcs, 8, 0) != SF_OK)
        return SF_ENOMEM;
    sf_inv_source *s = &inv->srcs[inv->nsrcs];
    memset(s, 0, sizeof *s);
    s->path = strdup(path);
    s->analyzer = strdup(analyzer);
    if (!s->path || !s->analyzer) {
        sf_inv_source_clear(s);
        return SF_ENOMEM;
    }
    inv->nsrcs++;
    *out = s;
    return SF_OK;
}

static size_t slen(const char *s) { return s ? strlen(s) : 0; }

/* The string bytes a package holds (its path is the source's). */
static size_t pkg_bytes(const sf_pkg *p)
{
    return slen(p->name) + slen(p->version) + slen(p->src_name) + slen(p->src_version) +
           slen(p->arch) + slen(p->license);
}

int sf_inv_source_take_pkg(sf_inv_source *src, sf_pkg *p)
{
    if (src->npkgs >= SF_LIM_PACKAGES)
        return SF_ELIMIT;
    size_t bytes = pkg_bytes(p);
    if (src->limited && (src->npkgs >= src->room || bytes > src->room_bytes)) {
        sf_pkg_clear(p); /* over the layer's cap: counted, not kept */
        p->layer = -1;
        src->dropped++;
        return SF_OK;
    }
    if (SF_ARRAY_RESERVE(src->pkgs, src->cappkgs, src->npkgs, 8, 0) != SF_OK)
        return SF_ENOMEM;
    if (src->limited)
        src->room_bytes -= bytes;
    if (!p->path && src->path && !(p->path = strdup(src->path)))
        return SF_ENOMEM;
    src->pkgs[src->npkgs++] = *p;
    memset(p, 0, sizeof *p);
    p->layer = -1;
    return SF_OK;
}

int sf_inv_source_add_pkg(sf_inv_source *src, const sf_pkg *p)
{
    sf_pkg copy;
    if (sf_pkg_copy(&copy, p) != SF_OK)
        return SF_ENOMEM;
    int rc = sf_inv_source_take_pkg(src, &copy);
    sf_pkg_clear(&copy);
    return rc;
}

static int push_str(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (!s)
        return SF_EINVAL;
    if (*n >= SF_LIM_LAYER_ENTRIES)
        return SF_ELIMIT;
    if (SF_ARRAY_RESERVE(*v, *cap, *n, 8, 0) != SF_OK)
        return SF_ENOMEM;
    char *d = strdup(s);
    if (!d)
        return SF_ENOMEM;
    (*v)[(*n)++] = d;
    return SF_OK;
}

int sf_inventory_add_whiteout(sf_inventory *inv, const char *path)
{
    return push_str(&inv->whiteouts, &inv->nwhiteouts, &inv->capwhiteouts, path);
}

int sf_inventory_add_opaque(sf_inventory *inv, const char *dir)
{
    return push_str(&inv->opaques, &inv->nopaques, &inv->capopaques, dir);
}

/* ---------------------------------------------------------------- encode */

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, sf_jutil_str(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *pkg_json(const sf_pkg *p)
{
    json_t *o = json_object();
    if (!o || sf_jutil_set_new(o, "type", json_string(sf_pkg_type_name(p->type))) != SF_OK ||
        sf_jutil_put_fields(o, p, sf_pkg_fields, sf_pkg_nfields, 0) != SF_OK ||
        sf_jutil_set_new(o, "layer", json_integer(p->layer)) != SF_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *source_json(const sf_inv_source *s)
{
    json_t *o = json_object(), *pk = json_array();
    if (!o || !pk)
        goto fail;
    if (sf_jutil_set_str(o, "path", s->path) != SF_OK ||
        sf_jutil_set_str(o, "analyzer", s->analyzer) != SF_OK ||
        sf_jutil_set_new(o, "status", json_integer(s->status)) != SF_OK ||
        sf_jutil_set_str(o, "note", s->note) != SF_OK)
        goto fail;
    if (s->os) {
        json_t *os = json_object();
        if (!os || sf_jutil_set_new(o, "os", os) != SF_OK ||
            sf_jutil_put_fields(os, s->os, sf_osinfo_fields, sf_osinfo_nfields, 0) != SF_OK)
            goto fail;
    }
    for (size_t i = 0; i < s->npkgs; i++)
        if (json_array_append_new(pk, pkg_json(&s->pkgs[i])) != 0)
            goto fail;
    if (json_object_set_new(o, "pkgs", pk) != 0) {
        pk = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(pk);
    json_decref(o);
    return NULL;
}

static json_t *inventory_json(const sf_inventory *inv)
{
    json_t *o = json_object(), *srcs = NULL;
    if (!o)
        return NULL;
    if (sf_jutil_set_new(o, "v", json_integer(INV_FORMAT)) != SF_OK ||
        sf_jutil_set_str(o, "analyzer_version", inv->analyzer_version) != SF_OK ||
        sf_jutil_set_new(o, "entries", json_integer((json_int_t)inv->entries)) != SF_OK ||
        sf_jutil_set_new(o, "bytes", json_integer((json_int_t)inv->bytes)) != SF_OK ||
        sf_jutil_set_new(o, "error_code", json_integer(inv->error_code)) != SF_OK ||
        sf_jutil_set_str(o, "error", inv->error) != SF_OK ||
        sf_jutil_set_new(o, "whiteouts", strv_json(inv->whiteouts, inv->nwhiteouts)) != SF_OK ||
        sf_jutil_set_new(o, "opaques", strv_json(inv->opaques, inv->nopaques)) != SF_OK)
        goto fail;
    if (!(srcs = json_array()))
        goto fail;
    for (size_t i = 0; i < inv->nsrcs; i++)
        if (json_array_append_new(srcs, source_json(&inv->srcs[i])) != 0)
            goto fail;
    if (json_object_set_new(o, "sources", srcs) != 0) {
        srcs = NULL;
        goto fail;
    }
    return o;
fail:
    json_decref(srcs);
    json_decref(o);
    return NULL;
}

int sf_inventory_to_json(const sf_inventory *inv, sf_buf *out)
{
    json_t *j = inventory_json(inv);
    if (!j)
        return SF_ENOMEM;
    int rc = sf_jutil_dump(j, out);
    json_decref(j);
    return rc;
}

int sf_inventory_encode(const sf_inventory *inv, sf_buf *out)
{
    sf_buf js;
    sf_buf_init(&js, SF_LIM_INVENTORY_BYTES);
    int rc = sf_inventory_to_json(inv, &js);
    void *z = NULL;
    if (rc != SF_OK)
        goto done;
    size_t bound = ZSTD_compressBound(js.len);
    if (!(z = malloc(bound))) {
        rc = SF_ENOMEM;
        goto done;
    }
    size_t zn = ZSTD_compress(z, bound, js.data, js.len, INV_ZSTD_LEVEL);
    if (ZSTD_isError(zn)) {
        rc = SF_EINTERNAL;
        goto done;
    }
    rc = sf_buf_append(out, z, zn);
done:
    free(z);
    sf_buf_free(&js);
    return rc;
}

/* ---------------------------------------------------------------- decode */

/* Bounded string: a path or name longer than SF_LIM_PATH is corrupt. */
#define INV_STR_MAX ((size_t)SF_LIM_PATH * 4)

static int get_str(const json_t *o, const char *key, char **out, sf_error *err)
{
    return sf_jutil_get_strn(o, key, INV_STR_MAX, "inventory", out, err);
}

static int strv_from_json(const json_t *a, sf_inventory *inv, int (*add)(sf_inventory *, const char *),
                          const char *what, sf_error *err)
{
    if (!a)
        return SF_OK;
    if (!json_is_array(a))
        return sf_error_set(err, SF_EPARSE, "inventory: \"%s\" is not an array", what);
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (!json_is_string(v) || json_string_length(v) > SF_LIM_PATH ||
            strlen(json_string_value(v)) != json_string_length(v))
            return sf_error_set(err, SF_EPARSE, "inventory: bad entry in \"%s\"", what);
        int rc = add(inv, json_string_value(v));
        if (rc != SF_OK)
            return sf_error_set(err, rc, "inventory: cannot add to \"%s\"", what);
    }
    return SF_OK;
}

static int pkg_from_json(const json_t *o, sf_inv_source *src, sf_error *err)
{
    sf_pkg p;
    memset(&p, 0, sizeof p);
    p.layer = -1;
    int rc;
    char *type = NULL;
    if (!json_is_object(o)) {
        rc = sf_error_set(err, SF_EPARSE, "inventory: package is not an object");
        goto done;
    }
    if ((rc = get_str(o, "type", &type, err)) != SF_OK ||
        (rc = sf_jutil_get_fields(o, &p, sf_pkg_fields, sf_pkg_nfields, INV_STR_MAX,
                                       "inventory", err)) != SF_OK ||
        (rc = sf_jutil_get_int(o, "layer", -1, SF_LIM_IMAGE_LAYERS, &p.layer, err)) != SF_OK)
        goto done;
    p.type = sf_pkg_type_parse(type);
    if (!p.name) {
        rc = sf_error_set(err, SF_EPARSE, "inventory: package without a name");
        goto done;
    }
    rc = sf_inv_source_take_pkg(src, &p);
    if (rc != SF_OK)
        sf_error_set(err, rc, "inventory: too many packages");
done:
    free(type);
    sf_pkg_clear(&p);
    return rc;
}

static int source_from_json(const json_t *o, sf_inventory *inv, size_t *total, sf_error *err)
{
    char *path = NULL, *an = NULL;
    sf_inv_source *s = NULL;
    int rc;
    if (!json_is_object(o)) {
        rc = sf_error_set(err, SF_EPARSE, "inventory: source is not an object");
        goto done;
    }
    if ((rc = get_str(o, "path", &path, err)) != SF_OK ||
        (rc = get_str(o, "analyzer", &an, err)) != SF_OK)
        goto done;
    if (!path || !an) {
        rc = sf_error_set(err, SF_EPARSE, "inventory: source without path or analyzer");
        goto done;
    }
    if ((rc = sf_inventory_add_source(inv, path, an, &s)) != SF_OK) {
        sf_error_set(err, rc, "inventory: out of memory");
        goto done;
    }
    if ((rc = sf_jutil_get_int(o, "status", SF_SRC_PARSED, SF_SRC_ERROR, &s->status, err)) !=
            SF_OK ||
        (rc = get_str(o, "note", &s->note, err)) != SF_OK)
        goto done;
    const json_t *os = json_object_get(o, "os");
    if (os && !json_is_null(os)) {
        if (!json_is_object(os)) {
            rc = sf_error_set(err, SF_EPARSE, "inventory: \"os\" is not an object");
            goto done;
        }
        if (!(s->os = calloc(1, sizeof *s->os))) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            goto done;
        }
        if ((rc = sf_jutil_get_fields(os, s->os, sf_osinfo_fields, sf_osinfo_nfields,
                                       INV_STR_MAX, "inventory", err)) != SF_OK)
            goto done;
    }
    const json_t *pk = json_object_get(o, "pkgs");
    if (pk && !json_is_array(pk)) {
        rc = sf_error_set(err, SF_EPARSE, "inventory: \"pkgs\" is not an array");
        goto done;
    }
    size_t i;
    json_t *v;
    json_array_foreach(pk, i, v)
    {
        if (++*total > SF_LIM_INV_PACKAGES) {
            rc = sf_error_set(err, SF_ELIMIT, "inventory: more than %llu packages",
                              (unsigned long long)SF_LIM_INV_PACKAGES);
            goto done;
        }
        if ((rc = pkg_from_json(v, s, err)) != SF_OK)
            goto done;
    }
done:
    free(path);
    free(an);
    return rc;
}

static int inventory_from_tree(const json_t *j, sf_inventory *inv, sf_error *err)
{
    int rc, v = 0;
    if (!json_is_object(j))
        return sf_error_set(err, SF_EPARSE, "inventory: not a JSON object");
    if ((rc = sf_jutil_get_int(j, "v", 0, 1000, &v, err)) != SF_OK)
        return rc;
    if (v != INV_FORMAT)
        return sf_error_set(err, SF_EPARSE, "inventory: format %d, expected %d", v, INV_FORMAT);
    if ((rc = get_str(j, "analyzer_version", &inv->analyzer_version, err)) != SF_OK ||
        (rc = sf_jutil_get_u64(j, "entries", &inv->entries, err)) != SF_OK ||
        (rc = sf_jutil_get_u64(j, "bytes", &inv->bytes, err)) != SF_OK ||
        (rc = sf_jutil_get_int(j, "error_code", SF_ECODE_MIN, 0, &inv->error_code, err)) !=
            SF_OK ||
        (rc = get_str(j, "error", &inv->error, err)) != SF_OK)
        return rc;
    if ((rc = strv_from_json(json_object_get(j, "whiteouts"), inv, sf_inventory_add_whiteout,
                             "whiteouts", err)) != SF_OK ||
        (rc = strv_from_json(json_object_get(j, "opaques"), inv, sf_inventory_add_opaque,
                             "opaques", err)) != SF_OK)
        return rc;
    const json_t *srcs = json_object_get(j, "sources");
    if (srcs && !json_is_array(srcs))
        return sf_error_set(err, SF_EPARSE, "inventory: \"sources\" is not an array");
    if (json_array_size(srcs) > SF_LIM_WANTED_FILES)
        return sf_error_set(err, SF_ELIMIT, "inventory: too many sources");
    size_t i, total = 0;
    json_t *s;
    json_array_foreach(srcs, i, s)
    {
        if ((rc = source_from_json(s, inv, &total, err)) != SF_OK)
            return rc;
    }
    return SF_OK;
}

int sf_inventory_from_json(sf_inventory **out, const char *json, size_t len, sf_error *err)
{
    *out = NULL;
    json_t *j = NULL;
    sf_inventory *inv = NULL;
    int rc = sf_jutil_load(&j, json, len, SF_LIM_INVENTORY_BYTES, "inventory", err);
    if (rc != SF_OK)
        goto done;
    if ((rc = sf_inventory_new(&inv)) != SF_OK) {
        sf_error_set(err, rc, "out of memory");
        goto done;
    }
    if ((rc = inventory_from_tree(j, inv, err)) != SF_OK)
        goto done;
    *out = inv;
    inv = NULL;
done:
    sf_inventory_free(inv);
    json_decref(j);
    return rc;
}

/* Stream-decompress one zstd frame into out (capped by out->max): the
 * frame header's content size is attacker-controlled, so it is not
 * trusted for allocation. */
static int unzstd(const void *data, size_t len, sf_buf *out, sf_error *err)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = SF_OK;
    size_t chunk = ZSTD_DStreamOutSize();
    char *tmp = malloc(chunk);
    if (!tmp) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    ZSTD_inBuffer in = {data, len, 0};
    size_t r = 1;
    while (in.pos < in.size) {
        ZSTD_outBuffer ob = {tmp, chunk, 0};
        r = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(r)) {
            rc = sf_error_set(err, SF_EPARSE, "inventory: zstd: %s", ZSTD_getErrorName(r));
            goto done;
        }
        if (ob.pos && (rc = sf_buf_append(out, tmp, ob.pos)) != SF_OK) {
            sf_error_set(err, rc, "inventory: decompressed size exceeds %zu bytes", out->max);
            goto done;
        }
        if (r == 0 && in.pos < in.size) {
            rc = sf_error_set(err, SF_EPARSE, "inventory: trailing bytes after zstd frame");
            goto done;
        }
    }
    /* Flush whatever the decoder still holds. */
    while (r != 0) {
        ZSTD_outBuffer ob = {tmp, chunk, 0};
        r = ZSTD_decompressStream(ds, &ob, &in);
        if (ZSTD_isError(r) || ob.pos == 0) {
            rc = sf_error_set(err, SF_EPARSE, "inventory: truncated zstd frame");
            goto done;
        }
        if ((rc = sf_buf_append(out, tmp, ob.pos)) != SF_OK) {
            sf_error_set(err, rc, "inventory: decompressed size exceeds %zu bytes", out->max);
            goto done;
        }
    }
done:
    free(tmp);
    ZSTD_freeDStream(ds);
    return rc;
}

int sf_inventory_decode(sf_inventory **out, const void *data, size_t len, sf_error *err)
{
    *out = NULL;
    if (!data || len == 0)
        return sf_error_set(err, SF_EPARSE, "inventory: empty value");
    sf_buf js;
    sf_buf_init(&js, SF_LIM_INVENTORY_BYTES);
    int rc = unzstd(data, len, &js, err);
    if (rc == SF_OK)
        rc = sf_inventory_from_json(out, js.data ? js.data : "", js.len, err);
    sf_buf_free(&js);
    return rc;
}
