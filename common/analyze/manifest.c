/* manifest: see manifest.h. */
#include "analyze/manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/codec.h"
#include "base/array.h"
#include "base/json.h"
#include "base/digest.h"
#include "base/limits.h"

/* ------------------------------------------------------------ platforms */

static void copy_field(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

static void normalize_arch(sf_platform *p)
{
    static const char *const alias[][2] = {
        {"x86_64", "amd64"}, {"x86-64", "amd64"}, {"aarch64", "arm64"}, {"armhf", "arm"},
        {"armel", "arm"},    {"i686", "386"},     {"i386", "386"},
    };
    if (strcmp(p->arch, "armhf") == 0 && !p->variant[0])
        copy_field(p->variant, sizeof p->variant, "v7", 2);
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(p->arch, alias[i][0]) == 0)
            copy_field(p->arch, sizeof p->arch, alias[i][1], strlen(alias[i][1]));
}

static int token_ok(const char *s, size_t n)
{
    if (n == 0 || n >= 32)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
              s[i] == '-' || s[i] == '.' || (s[i] >= 'A' && s[i] <= 'Z')))
            return 0;
    return 1;
}

int sf_platform_parse(const char *s, sf_platform *out, sf_error *err)
{
    memset(out, 0, sizeof *out);
    const char *part[3];
    size_t plen[3], n = 0;
    const char *p = s;
    while (n < 3) {
        const char *sl = strchr(p, '/');
        size_t len = sl ? (size_t)(sl - p) : strlen(p);
        if (!token_ok(p, len))
            return sf_error_set(err, SF_EINVAL, "platform \"%s\": expected os/arch[/variant]", s);
        part[n] = p;
        plen[n++] = len;
        if (!sl)
            break;
        p = sl + 1;
        if (n == 3)
            return sf_error_set(err, SF_EINVAL, "platform \"%s\": too many parts", s);
    }
    if (n == 1) {
        copy_field(out->os, sizeof out->os, "linux", 5);
        copy_field(out->arch, sizeof out->arch, part[0], plen[0]);
    } else {
        copy_field(out->os, sizeof out->os, part[0], plen[0]);
        copy_field(out->arch, sizeof out->arch, part[1], plen[1]);
        if (n == 3)
            copy_field(out->variant, sizeof out->variant, part[2], plen[2]);
    }
    normalize_arch(out);
    return SF_OK;
}

void sf_platform_format(const sf_platform *p, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/%s%s%s", p->os[0] ? p->os : "unknown",
             p->arch[0] ? p->arch : "unknown", p->variant[0] ? "/" : "", p->variant);
}

static const char *default_variant(const char *arch)
{
    if (strcmp(arch, "arm64") == 0)
        return "v8";
    if (strcmp(arch, "arm") == 0)
        return "v7";
    if (strcmp(arch, "amd64") == 0)
        return "v1";
    return "";
}

int sf_platform_match(const sf_platform *want, const sf_platform *have)
{
    sf_platform w = *want, h = *have;
    normalize_arch(&w);
    normalize_arch(&h);
    if (strcmp(w.os, h.os) != 0 || strcmp(w.arch, h.arch) != 0)
        return 0;
    if (!w.variant[0])
        return 1;
    const char *hv = h.variant[0] ? h.variant : default_variant(h.arch);
    return strcmp(w.variant, hv) == 0;
}

/* ------------------------------------------------------------ descriptors */

static void desc_clear(sf_descriptor *d)
{
    free(d->media_type);
    free(d->digest);
    memset(d, 0, sizeof *d);
}

static int get_platform_field(const json_t *o, const char *key, char *dst, size_t cap,
                              sf_error *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v)
        return SF_OK;
    if (!json_is_string(v) || json_string_length(v) >= cap ||
        (json_string_length(v) && !token_ok(json_string_value(v), json_string_length(v))))
        return sf_error_set(err, SF_EPARSE, "manifest: bad platform field \"%s\"", key);
    copy_field(dst, cap, json_string_value(v), json_string_length(v));
    return SF_OK;
}

static int platform_from_json(const json_t *o, sf_platform *p, sf_error *err)
{
    int rc;
    if ((rc = get_platform_field(o, "os", p->os, sizeof p->os, err)) != SF_OK ||
        (rc = get_platform_field(o, "architecture", p->arch, sizeof p->arch, err)) != SF_OK ||
        (rc = get_platform_field(o, "variant", p->variant, sizeof p->variant, err)) != SF_OK)
        return rc;
    normalize_arch(p);
    return SF_OK;
}

static int desc_from_json(const json_t *o, sf_descriptor *d, const char *what, sf_error *err)
{
    int rc;
    if (!json_is_object(o))
        return sf_error_set(err, SF_EPARSE, "manifest: %s is not an object", what);
    if ((rc = sf_jutil_get_str(o, "mediaType", &d->media_type, err)) != SF_OK ||
        (rc = sf_jutil_get_str(o, "digest", &d->digest, err)) != SF_OK)
        return rc;
    if (!d->digest)
        return sf_error_set(err, SF_EPARSE, "manifest: %s without a digest", what);
    sf_error de = SF_ERROR_INIT;
    if (sf_digest_validate(d->digest, &de) != SF_OK)
        return sf_error_set(err, SF_EPARSE, "manifest: %s: %s", what, de.msg);
    const json_t *sz = json_object_get(o, "size");
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return sf_error_set(err, SF_EPARSE, "manifest: %s without a valid size", what);
    d->size = (uint64_t)json_integer_value(sz);
    const json_t *pl = json_object_get(o, "platform");
    if (pl) {
        if (!json_is_object(pl))
            return sf_error_set(err, SF_EPARSE, "manifest: %s: platform is not an object", what);
        if ((rc = platform_from_json(pl, &d->platform, err)) != SF_OK)
            return rc;
        d->has_platform = 1;
    }
    const json_t *ann = json_object_get(o, "annotations");
    const json_t *rt = json_is_object(ann) ? json_object_get(ann, "vnd.docker.reference.type")
                                           : NULL;
    if (json_is_string(rt) && strcmp(json_string_value(rt), "attestation-manifest") == 0)
        d->attestation = 1;
    return SF_OK;
}

static int desc_array(const json_t *a, size_t max, const char *what, sf_descriptor **out,
                      size_t *n, sf_error *err)
{
    if (!json_is_array(a))
        return sf_error_set(err, SF_EPARSE, "manifest: \"%s\" is not an array", what);
    size_t cnt = json_array_size(a);
    if (cnt > max)
        return sf_error_set(err, SF_ELIMIT, "manifest: %zu %s exceed the limit of %zu", cnt,
                            what, max);
    *out = calloc(cnt ? cnt : 1, sizeof **out);
    if (!*out)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        int rc = desc_from_json(json_array_get(a, i), &(*out)[i], what, err);
        *n = i + 1;
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

/* ------------------------------------------------------------ manifests */

void sf_manifest_free(sf_manifest *m)
{
    if (!m)
        return;
    free(m->media_type);
    desc_clear(&m->config);
    SF_ARRAY_FREE(m->layers, m->nlayers, desc_clear);
    SF_ARRAY_FREE(m->manifests, m->nmanifests, desc_clear);
    free(m);
}

static int is_schema1(const char *mt)
{
    return mt && strncmp(mt, "application/vnd.docker.distribution.manifest.v1", 47) == 0;
}

/* Which kind a media type names; 0 when it is not a manifest type. */
static int kind_of(const char *mt)
{
    if (!mt)
        return 0;
    if (strcmp(mt, SF_MT_OCI_MANIFEST) == 0 || strcmp(mt, SF_MT_DOCKER_MANIFEST) == 0)
        return SF_MANIFEST_IMAGE;
    if (strcmp(mt, SF_MT_OCI_INDEX) == 0 || strcmp(mt, SF_MT_DOCKER_LIST) == 0)
        return SF_MANIFEST_INDEX;
    return 0;
}

static int check_image(sf_manifest *m, sf_error *err)
{
    const char *cmt = m->config.media_type;
    if (cmt && strcmp(cmt, SF_MT_OCI_CONFIG) != 0 && strcmp(cmt, SF_MT_DOCKER_CONFIG) != 0)
        return sf_error_set(err, SF_EUNSUPPORTED,
                            "manifest: not a container image (config media type %s)", cmt);
    for (size_t i = 0; i < m->nlayers; i++) {
        const char *lmt = m->layers[i].media_type;
        if (!lmt || sf_codec_from_media_type(lmt) < 0)
            return sf_error_set(err, SF_EUNSUPPORTED, "manifest: layer %zu has media type %s, "
                                "not a tar layer", i, lmt ? lmt : "(none)");
    }
    return SF_OK;
}

static int parse_tree(sf_manifest *m, const json_t *j, const char *transport_mt, sf_error *err)
{
    int rc, sv = 0;
    if (!json_is_object(j))
        return sf_error_set(err, SF_EPARSE, "manifest: not a JSON object");
    if ((rc = sf_jutil_get_int(j, "schemaVersion", 0, 100, &sv, err)) != SF_OK)
        return rc;
    if ((rc = sf_jutil_get_str(j, "mediaType", &m->media_type, err)) != SF_OK)
        return rc;
    if (sv == 1 || is_schema1(m->media_type) || is_schema1(transport_mt))
        return sf_error_set(err, SF_EUNSUPPORTED,
                            "manifest: Docker schema1 manifests are not supported (deprecated "
                            "format); re-push the image with a current Docker or OCI client");
    if (sv != 2)
        return sf_error_set(err, SF_EPARSE, "manifest: schemaVersion %d, expected 2", sv);
    const json_t *layers = json_object_get(j, "layers"), *mans = json_object_get(j, "manifests");
    int kdoc = kind_of(m->media_type), ktr = kind_of(transport_mt);
    if (m->media_type && !kdoc)
        return sf_error_set(err, SF_EUNSUPPORTED, "manifest: unsupported media type %s",
                            m->media_type);
    int kind = kdoc ? kdoc : ktr ? ktr : mans ? SF_MANIFEST_INDEX : SF_MANIFEST_IMAGE;
    if (kdoc && ktr && kdoc != ktr)
        return sf_error_set(err, SF_EPARSE, "manifest: served as %s but the document is %s",
                            transport_mt, m->media_type);
    if ((kind == SF_MANIFEST_IMAGE && mans) || (kind == SF_MANIFEST_INDEX && layers))
        return sf_error_set(err, SF_EPARSE, "manifest: both \"layers\" and \"manifests\"");
    if (!m->media_type) {
        const char *mt = transport_mt && ktr ? transport_mt
                         : kind == SF_MANIFEST_INDEX ? SF_MT_OCI_INDEX : SF_MT_OCI_MANIFEST;
        if (!(m->media_type = strdup(mt)))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    m->kind = (sf_manifest_kind)kind;
    if (kind == SF_MANIFEST_INDEX)
        return desc_array(mans, SF_LIM_INDEX_MANIFESTS, "manifests", &m->manifests,
                          &m->nmanifests, err);
    if ((rc = desc_from_json(json_object_get(j, "config"), &m->config, "config", err)) != SF_OK)
        return rc;
    if (!layers)
        return sf_error_set(err, SF_EPARSE, "manifest: no \"layers\"");
    if ((rc = desc_array(layers, SF_LIM_IMAGE_LAYERS, "layers", &m->layers, &m->nlayers, err)) !=
        SF_OK)
        return rc;
    return check_image(m, err);
}

int sf_manifest_parse(sf_manifest **out, const char *data, size_t len, const char *media_type,
                      sf_error *err)
{
    *out = NULL;
    json_t *j = NULL;
    sf_manifest *m = calloc(1, sizeof *m);
    int rc = m ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK)
        rc = sf_jutil_load(&j, data, len, SF_LIM_MANIFEST_BYTES, "manifest", err);
    if (rc == SF_OK)
        rc = parse_tree(m, j, media_type, err);
    json_decref(j);
    if (rc != SF_OK) {
        sf_manifest_free(m);
        return rc;
    }
    *out = m;
    return SF_OK;
}

size_t sf_manifest_select(const sf_manifest *m, const sf_platform *want, size_t nwant,
                          size_t *idx)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nmanifests; i++) {
        const sf_descriptor *d = &m->manifests[i];
        if (d->attestation || kind_of(d->media_type) == SF_MANIFEST_INDEX)
            continue;
        if (d->media_type && kind_of(d->media_type) != SF_MANIFEST_IMAGE)
            continue;
        int ok = 0;
        if (nwant == 0)
            ok = !d->has_platform || strcmp(d->platform.os, "linux") == 0;
        for (size_t k = 0; k < nwant && !ok; k++)
            ok = d->has_platform && sf_platform_match(&want[k], &d->platform);
        if (ok)
            idx[n++] = i;
    }
    return n;
}

/* ------------------------------------------------------------ configs */

void sf_image_config_free(sf_image_config *c)
{
    if (!c)
        return;
    sf_strarr_free(c->diff_ids, c->ndiff_ids);
    free(c->created);
    free(c);
}

static int config_tree(sf_image_config *c, const json_t *j, sf_error *err)
{
    int rc;
    if (!json_is_object(j))
        return sf_error_set(err, SF_EPARSE, "image config: not a JSON object");
    if ((rc = platform_from_json(j, &c->platform, err)) != SF_OK ||
        (rc = sf_jutil_get_str(j, "created", &c->created, err)) != SF_OK)
        return rc;
    const json_t *rootfs = json_object_get(j, "rootfs");
    const json_t *type = json_object_get(rootfs, "type");
    const json_t *ids = json_object_get(rootfs, "diff_ids");
    if (!json_is_object(rootfs) || !json_is_string(type) ||
        strcmp(json_string_value(type), "layers") != 0 || !json_is_array(ids))
        return sf_error_set(err, SF_EPARSE, "image config: no rootfs of type \"layers\"");
    size_t n = json_array_size(ids);
    if (n > SF_LIM_IMAGE_LAYERS)
        return sf_error_set(err, SF_ELIMIT, "image config: %zu diff_ids exceed %d", n,
                            SF_LIM_IMAGE_LAYERS);
    if (!(c->diff_ids = calloc(n ? n : 1, sizeof *c->diff_ids)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(ids, i);
        sf_error de = SF_ERROR_INIT;
        if (!json_is_string(v) || sf_digest_validate(json_string_value(v), &de) != SF_OK)
            return sf_error_set(err, SF_EPARSE, "image config: diff_id %zu: %s", i,
                                de.msg[0] ? de.msg : "not a string");
        if (!(c->diff_ids[i] = strdup(json_string_value(v))))
            return sf_error_set(err, SF_ENOMEM, "out of memory");
        c->ndiff_ids = i + 1;
    }
    return SF_OK;
}

int sf_image_config_parse(sf_image_config **out, const char *data, size_t len, sf_error *err)
{
    *out = NULL;
    json_t *j = NULL;
    sf_image_config *c = calloc(1, sizeof *c);
    int rc = c ? SF_OK : sf_error_set(err, SF_ENOMEM, "out of memory");
    /* Configs carry history and env; same cap as manifests. */
    if (rc == SF_OK)
        rc = sf_jutil_load(&j, data, len, SF_LIM_MANIFEST_BYTES, "image config", err);
    if (rc == SF_OK)
        rc = config_tree(c, j, err);
    json_decref(j);
    if (rc != SF_OK) {
        sf_image_config_free(c);
        return rc;
    }
    *out = c;
    return SF_OK;
}
