/*
 * imgsrc: see imgsrc.h.
 *
 * docker-archive: the members of a `docker save` tar come in no fixed
 * order (manifest.json is often last), and the file is read through
 * base/arch as a stream (it may be gzip-compressed), so the source reads
 * it in passes: one to collect manifest.json and the config (small,
 * capped), then layer members are streamed from a reader kept open
 * between calls. Layers are asked for bottom-up, which is archive order
 * for every `docker save` seen in practice, so that is a single pass; a
 * member behind the current position reopens the file. Nothing is ever
 * extracted to disk.
 */
#include "analyze/imgsrc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/array.h"
#include "base/json.h"
#include "analyze/layer.h"
#include "analyze/manifest.h"
#include "base/arch.h"
#include "base/limits.h"
#include "base/log.h"

typedef enum { SRC_REGISTRY, SRC_OCI, SRC_ARCHIVE } src_kind;

typedef struct arch_layer {
    char *diff_id;
    char *member; /* path inside the archive */
    uint64_t size;
} arch_layer;

#define MAX_SIZES SF_LIM_ARCHIVE_SIZES
typedef struct member_sizes {
    char *name[MAX_SIZES];
    uint64_t size[MAX_SIZES];
    size_t n;
} member_sizes;

struct sf_imgsrc {
    src_kind kind;
    char *name;
    /* registry */
    sf_reg *reg;
    int own_reg;
    char *repo, *ref;
    /* oci */
    char *dir, *tag;
    /* docker-archive */
    char *file;
    sf_buf synth;      /* synthesised OCI manifest */
    char synth_digest[SF_DIGEST_MAX];
    char *config_digest;
    sf_buf config;
    arch_layer *layers;
    size_t nlayers;
    char **refs;
    size_t nrefs;
    sf_arch *ar;        /* reader kept open between layer calls */
    long ar_pos;        /* index of the member the reader is at */
    pthread_mutex_t mu;
};

/* ------------------------------------------------------------ refs */

int sf_imgsrc_parse_ref(const char *ref, char *host, size_t hostlen, char *repo, size_t repolen,
                        char *tag, size_t taglen, sf_error *err)
{
    const char *slash = strchr(ref, '/');
    const char *rest = ref;
    size_t hl = 0;
    /* The first component is a registry host when it looks like one
     * (has a dot or a port, or is localhost), as Docker decides. */
    if (slash) {
        hl = (size_t)(slash - ref);
        if (memchr(ref, '.', hl) || memchr(ref, ':', hl) ||
            (hl == 9 && strncmp(ref, "localhost", 9) == 0))
            rest = slash + 1;
        else
            hl = 0;
    }
    if (hl) {
        if (hl >= hostlen)
            return sf_error_set(err, SF_EINVAL, "reference %s: host too long", ref);
        memcpy(host, ref, hl);
        host[hl] = '\0';
    } else {
        snprintf(host, hostlen, "registry-1.docker.io");
    }
    const char *at = strchr(rest, '@');
    const char *lastsl = strrchr(rest, '/');
    const char *colon = strrchr(lastsl ? lastsl : rest, ':');
    size_t rl;
    if (at) {
        rl = (size_t)(at - rest);
        snprintf(tag, taglen, "%s", at + 1);
        if (sf_digest_validate(tag, err) != SF_OK)
            return sf_error_set(err, SF_EINVAL, "reference %s: bad digest", ref);
    } else if (colon) {
        rl = (size_t)(colon - rest);
        snprintf(tag, taglen, "%s", colon + 1);
    } else {
        rl = strlen(rest);
        snprintf(tag, taglen, "latest");
    }
    int lib = !hl && !memchr(rest, '/', rl);
    if (rl == 0 || rl + (lib ? 8 : 0) >= repolen)
        return sf_error_set(err, SF_EINVAL, "reference %s: bad repository", ref);
    snprintf(repo, repolen, "%s%.*s", lib ? "library/" : "", (int)rl, rest);
    if (!sf_reg_valid_repo(repo))
        return sf_error_set(err, SF_EINVAL, "reference %s: invalid repository name %s", ref, repo);
    if (!at && !sf_reg_valid_tag(tag))
        return sf_error_set(err, SF_EINVAL, "reference %s: invalid tag %s", ref, tag);
    return SF_OK;
}

/* ------------------------------------------------------------ common */

static int src_new(sf_imgsrc **out, src_kind kind, const char *name)
{
    sf_imgsrc *s = calloc(1, sizeof *s);
    if (!s)
        return SF_ENOMEM;
    s->kind = kind;
    sf_buf_init(&s->synth, SF_LIM_MANIFEST_BYTES);
    sf_buf_init(&s->config, SF_LIM_MANIFEST_BYTES);
    pthread_mutex_init(&s->mu, NULL);
    if (!(s->name = strdup(name))) {
        free(s);
        return SF_ENOMEM;
    }
    *out = s;
    return SF_OK;
}

void sf_imgsrc_free(sf_imgsrc *s)
{
    if (!s)
        return;
    if (s->own_reg)
        sf_reg_free(s->reg);
    free(s->name);
    free(s->repo);
    free(s->ref);
    free(s->dir);
    free(s->tag);
    free(s->file);
    sf_buf_free(&s->synth);
    sf_buf_free(&s->config);
    free(s->config_digest);
    for (size_t i = 0; i < s->nlayers; i++) {
        free(s->layers[i].diff_id);
        free(s->layers[i].member);
    }
    free(s->layers);
    sf_strarr_free(s->refs, s->nrefs);
    sf_arch_free(s->ar);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

const char *sf_imgsrc_name(const sf_imgsrc *s) { return s->name; }
int sf_imgsrc_layers_by_diff_id(const sf_imgsrc *s) { return s->kind == SRC_ARCHIVE; }

size_t sf_imgsrc_refs(const sf_imgsrc *s, const char *const **refs)
{
    *refs = (const char *const *)s->refs;
    return s->nrefs;
}

typedef struct buf_sink {
    sf_buf *b;
} buf_sink;

static int to_buf(void *ctx, const void *data, size_t n)
{
    return sf_buf_append(((buf_sink *)ctx)->b, data, n);
}

/* ------------------------------------------------------------ OCI layout */

static int blob_path(const sf_imgsrc *s, const char *digest, char *out, size_t outlen,
                     sf_error *err)
{
    if (sf_digest_validate(digest, err) != SF_OK)
        return SF_EPARSE;
    const char *colon = strchr(digest, ':');
    int n = snprintf(out, outlen, "%s/blobs/%.*s/%s", s->dir, (int)(colon - digest), digest,
                     colon + 1);
    if (n < 0 || (size_t)n >= outlen)
        return sf_error_set(err, SF_EINVAL, "oci: path too long");
    return SF_OK;
}

static int read_file_sink(const char *path, sf_sink_fn sink, void *ctx, sf_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sf_error_set(err, errno == ENOENT ? SF_ENOTFOUND : SF_EIO, "%s: %s", path,
                            strerror(errno));
    int rc = SF_OK;
    char *buf = malloc(256 << 10);
    if (!buf) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    for (;;) {
        ssize_t r = read(fd, buf, 256 << 10);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = sf_error_set(err, SF_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        if ((rc = sink(ctx, buf, (size_t)r)) != SF_OK) {
            sf_error_set(err, rc, "%s: %s while streaming", path, sf_err_name(rc));
            break;
        }
    }
done:
    free(buf);
    close(fd);
    return rc;
}

static int oci_blob(sf_imgsrc *s, const char *digest, sf_sink_fn sink, void *ctx, sf_error *err)
{
    char path[4096];
    int rc = blob_path(s, digest, path, sizeof path, err);
    return rc != SF_OK ? rc : read_file_sink(path, sink, ctx, err);
}

/* Read and verify a small blob. */
static int small_verified(sf_imgsrc *s, const char *digest, sf_buf *out, sf_error *err)
{
    buf_sink bs = {out};
    size_t start = out->len;
    sf_error fe = SF_ERROR_INIT;
    /* From a registry the cap is also the transfer's size bound: a body
     * announced past it fails at once, and a trickled one meets the
     * deadline its size sets (an unsized stream would have none). */
    int reg = s->kind == SRC_REGISTRY;
    int rc = reg ? sf_reg_get_blob_sized(s->reg, s->repo, digest, out->max - out->len, to_buf,
                                         &bs, &fe)
                 : sf_imgsrc_blob(s, digest, to_buf, &bs, &fe);
    if (rc == SF_ELIMIT || (reg && rc == SF_EDIGEST))
        return sf_error_set(err, SF_ELIMIT, "%s: blob %s exceeds %zu bytes", s->name, digest,
                            out->max);
    if (rc != SF_OK)
        return sf_error_set(err, rc, "%s", fe.msg[0] ? fe.msg : sf_err_name(rc));
    return sf_digest_verify(digest, out->data ? out->data + start : "", out->len - start, err);
}

static int open_oci(sf_imgsrc **out, const char *spec, sf_error *err)
{
    /* "dir[:tag]": the tag is what follows the last ':' unless that
     * leaves a path that is not a directory. */
    struct stat st;
    char *dir = strdup(spec), *tag = NULL;
    if (!dir)
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char *c = strrchr(dir, ':');
        if (c && !strchr(c, '/')) {
            *c = '\0';
            tag = c + 1;
        }
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(dir);
        return sf_error_set(err, SF_ENOTFOUND, "oci: %s is not a directory", spec);
    }
    sf_imgsrc *s = NULL;
    char name[4200];
    snprintf(name, sizeof name, "oci:%s", spec);
    if (src_new(&s, SRC_OCI, name) != SF_OK || !(s->dir = strdup(dir)) ||
        (tag && !(s->tag = strdup(tag)))) {
        free(dir);
        sf_imgsrc_free(s);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    free(dir);
    *out = s;
    return SF_OK;
}

/* index.json: with a tag, the entry annotated with it; else the only
 * entry, or the whole index (fanned out by platform). */
static int oci_root(sf_imgsrc *s, sf_buf *body, char *mt, size_t mtlen, char *digest,
                    sf_error *err)
{
    char path[4096];
    sf_buf idx;
    sf_buf_init(&idx, SF_LIM_MANIFEST_BYTES);
    buf_sink bs = {&idx};
    snprintf(path, sizeof path, "%s/index.json", s->dir);
    json_t *j = NULL;
    int rc = read_file_sink(path, to_buf, &bs, err);
    if (rc == SF_OK)
        rc = sf_jutil_load(&j, idx.data ? idx.data : "", idx.len, SF_LIM_MANIFEST_BYTES,
                           "oci index.json", err);
    if (rc != SF_OK)
        goto done;
    const json_t *mans = json_object_get(j, "manifests");
    const json_t *pick = NULL;
    size_t i;
    json_t *m;
    json_array_foreach(mans, i, m)
    {
        const json_t *name = json_object_get(json_object_get(m, "annotations"),
                                             "org.opencontainers.image.ref.name");
        if (s->tag && json_is_string(name) && strcmp(json_string_value(name), s->tag) == 0)
            pick = m;
    }
    if (s->tag && !pick) {
        rc = sf_error_set(err, SF_ENOTFOUND, "oci: no manifest tagged %s in %s", s->tag, s->dir);
        goto done;
    }
    if (!pick && json_array_size(mans) == 1)
        pick = json_array_get(mans, 0);
    if (!pick) {
        /* The layout's index itself is the root. */
        rc = sf_buf_append(body, idx.data, idx.len);
        snprintf(mt, mtlen, "%s", SF_MT_OCI_INDEX);
        if (rc == SF_OK)
            rc = sf_digest_sha256(idx.data, idx.len, digest);
        goto done;
    }
    const json_t *d = json_object_get(pick, "digest"), *t = json_object_get(pick, "mediaType");
    if (!json_is_string(d)) {
        rc = sf_error_set(err, SF_EPARSE, "oci: index.json entry without a digest");
        goto done;
    }
    snprintf(digest, SF_DIGEST_MAX, "%s", json_string_value(d));
    rc = sf_imgsrc_manifest(s, digest, body, mt, mtlen, err);
    if (rc == SF_OK && json_is_string(t))
        snprintf(mt, mtlen, "%s", json_string_value(t));
done:
    json_decref(j);
    sf_buf_free(&idx);
    return rc;
}

/* ------------------------------------------------------------ docker-archive */

static int ar_open(sf_imgsrc *s, sf_arch **out, sf_error *err)
{
    /* `docker save` writes a plain tar; piped through a compressor it is
     * one of these. */
    const sf_arch_opts o = {.formats = SF_ARCH_TAR,
                            .filters = SF_ARCH_GZIP | SF_ARCH_ZSTD | SF_ARCH_XZ};
    sf_error ae = SF_ERROR_INIT;
    int rc = sf_arch_open_file(out, s->file, &o, &ae);
    if (rc == SF_ENOMEM)
        return sf_error_set(err, rc, "out of memory");
    if (rc != SF_OK)
        return sf_error_set(err, SF_EIO, "docker-archive %s: %s", s->file, ae.msg);
    return SF_OK;
}

static int member_match(const char *name, const char *want)
{
    while (name[0] == '.' && name[1] == '/')
        name += 2;
    return strcmp(name, want) == 0;
}

/* Read a member fully (capped) in a fresh pass. */
static int ar_read_member(sf_imgsrc *s, const char *member, sf_buf *out, member_sizes *sizes,
                          sf_error *err)
{
    sf_arch *a = NULL;
    int rc = ar_open(s, &a, err);
    if (rc != SF_OK)
        return rc;
    sf_arch_entry e;
    sf_error ae = SF_ERROR_INIT;
    int r;
    rc = SF_ENOTFOUND;
    while ((r = sf_arch_next(a, &e, &ae)) == 1) {
        const char *name = e.path;
        if (sizes && name && sizes->n < MAX_SIZES &&
            (sizes->name[sizes->n] = strdup(name)) != NULL)
            sizes->size[sizes->n++] = (uint64_t)(e.size > 0 ? e.size : 0);
        if (rc == SF_OK || !name || !member_match(name, member))
            continue;
        rc = sf_arch_read(a, out, &ae);
        if (rc == SF_EPARSE)
            sf_error_set(err, rc, "docker-archive: %s", ae.msg);
        else if (rc != SF_OK)
            sf_error_set(err, rc, "docker-archive: %s exceeds %zu bytes", member, out->max);
        /* With a size list to fill, walk on to the end of the archive. */
        if (rc != SF_OK || !sizes)
            goto done;
    }
    if (rc == SF_OK && r == 0)
        goto done;
    if (r != 0)
        rc = sf_error_set(err, r, "docker-archive: %s", ae.msg);
    else
        sf_error_set(err, rc, "docker-archive: no %s in %s", member, s->file);
done:
    sf_arch_free(a);
    return rc;
}

static int archive_refs(sf_imgsrc *s, const json_t *tags)
{
    size_t n = json_array_size(tags), i;
    json_t *t;
    if (!n)
        return SF_OK;
    if (!(s->refs = calloc(n, sizeof *s->refs)))
        return SF_ENOMEM;
    json_array_foreach(tags, i, t)
    {
        if (json_is_string(t) && !(s->refs[s->nrefs++] = strdup(json_string_value(t))))
            return SF_ENOMEM;
    }
    return SF_OK;
}

/* Build the OCI manifest that stands for the archive's image. */
static uint64_t size_of(const member_sizes *ms, const char *member)
{
    for (size_t i = 0; ms && i < ms->n; i++)
        if (member_match(ms->name[i], member))
            return ms->size[i];
    return 0;
}

static int synthesise(sf_imgsrc *s, const json_t *layers, const member_sizes *ms, sf_error *err)
{
    sf_image_config *cfg = NULL;
    json_t *man = NULL, *la = NULL;
    int rc = sf_image_config_parse(&cfg, s->config.data, s->config.len, err);
    if (rc != SF_OK)
        goto done;
    size_t n = json_array_size(layers);
    if (n != cfg->ndiff_ids) {
        rc = sf_error_set(err, SF_EPARSE, "docker-archive: %zu layers but %zu diff_ids", n,
                          cfg->ndiff_ids);
        goto done;
    }
    if (!(s->layers = calloc(n ? n : 1, sizeof *s->layers))) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    man = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}}", "schemaVersion", 2, "mediaType",
                    SF_MT_OCI_MANIFEST, "config", "mediaType", SF_MT_DOCKER_CONFIG, "digest",
                    s->config_digest, "size", (json_int_t)s->config.len);
    la = json_array();
    if (!man || !la) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *m = json_array_get(layers, i);
        if (!json_is_string(m) || json_string_length(m) > SF_LIM_PATH) {
            rc = sf_error_set(err, SF_EPARSE, "docker-archive: bad layer path");
            goto done;
        }
        s->layers[i].member = strdup(json_string_value(m));
        s->layers[i].diff_id = strdup(cfg->diff_ids[i]);
        s->layers[i].size = size_of(ms, json_string_value(m));
        s->nlayers = i + 1;
        if (!s->layers[i].member || !s->layers[i].diff_id ||
            json_array_append_new(la, json_pack("{s:s, s:s, s:I}", "mediaType",
                                                "application/vnd.docker.image.rootfs.diff.tar",
                                                "digest", cfg->diff_ids[i], "size",
                                                (json_int_t)s->layers[i].size)) != 0) {
            rc = sf_error_set(err, SF_ENOMEM, "out of memory");
            goto done;
        }
    }
    json_object_set_new(man, "layers", la);
    la = NULL;
    if ((rc = sf_jutil_dump(man, &s->synth)) != SF_OK ||
        (rc = sf_digest_sha256(s->synth.data, s->synth.len, s->synth_digest)) != SF_OK)
        sf_error_set(err, rc, "docker-archive: cannot build manifest");
done:
    json_decref(la);
    json_decref(man);
    sf_image_config_free(cfg);
    return rc;
}

static int archive_load(sf_imgsrc *s, sf_error *err)
{
    sf_buf mj;
    sf_buf_init(&mj, SF_LIM_MANIFEST_BYTES);
    json_t *j = NULL;
    member_sizes *ms = calloc(1, sizeof *ms);
    int rc = ms ? ar_read_member(s, "manifest.json", &mj, ms, err)
                : sf_error_set(err, SF_ENOMEM, "out of memory");
    if (rc == SF_OK)
        rc = sf_jutil_load(&j, mj.data ? mj.data : "", mj.len, SF_LIM_MANIFEST_BYTES,
                           "docker-archive manifest.json", err);
    if (rc != SF_OK)
        goto done;
    const json_t *img = json_array_get(j, 0);
    const json_t *cfg = json_object_get(img, "Config"), *layers = json_object_get(img, "Layers");
    if (!json_is_array(j) || !json_is_string(cfg) || !json_is_array(layers)) {
        rc = sf_error_set(err, SF_EPARSE, "docker-archive: manifest.json lacks Config/Layers");
        goto done;
    }
    if (json_array_size(j) > 1)
        SF_WARN("scan", "docker-archive holds several images; scanning the first|file=%s",
                s->file);
    if (json_array_size(layers) > SF_LIM_IMAGE_LAYERS) {
        rc = sf_error_set(err, SF_ELIMIT, "docker-archive: too many layers");
        goto done;
    }
    if ((rc = ar_read_member(s, json_string_value(cfg), &s->config, NULL, err)) != SF_OK)
        goto done;
    char d[SF_DIGEST_MAX];
    sf_digest_sha256(s->config.data ? s->config.data : "", s->config.len, d);
    if (!(s->config_digest = strdup(d)) ||
        archive_refs(s, json_object_get(img, "RepoTags")) != SF_OK) {
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
        goto done;
    }
    rc = synthesise(s, layers, ms, err);
done:
    for (size_t i = 0; ms && i < ms->n; i++)
        free(ms->name[i]);
    free(ms);
    json_decref(j);
    sf_buf_free(&mj);
    return rc;
}

static int open_archive(sf_imgsrc **out, const char *file, sf_error *err)
{
    sf_imgsrc *s = NULL;
    char name[4200];
    snprintf(name, sizeof name, "docker-archive:%s", file);
    if (src_new(&s, SRC_ARCHIVE, name) != SF_OK || !(s->file = strdup(file)))
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    int rc = archive_load(s, err);
    if (rc != SF_OK) {
        sf_imgsrc_free(s);
        return rc;
    }
    *out = s;
    return SF_OK;
}

/* Stream the member of layer `digest` (a diff_id) to sink. */
static int archive_blob(sf_imgsrc *s, const char *digest, sf_sink_fn sink, void *ctx,
                        sf_error *err)
{
    if (strcmp(digest, s->config_digest) == 0)
        return sink(ctx, s->config.data, s->config.len);
    const char *member = NULL;
    for (size_t i = 0; i < s->nlayers && !member; i++)
        if (strcmp(s->layers[i].diff_id, digest) == 0)
            member = s->layers[i].member;
    if (!member)
        return sf_error_set(err, SF_ENOTFOUND, "docker-archive: no blob %s", digest);
    pthread_mutex_lock(&s->mu);
    int rc = SF_OK, wrapped = 0;
    for (;;) {
        sf_arch_entry e;
        sf_error ae = SF_ERROR_INIT;
        if (!s->ar) {
            if ((rc = ar_open(s, &s->ar, err)) != SF_OK)
                break;
            s->ar_pos = 0;
        }
        int r = sf_arch_next(s->ar, &e, &ae);
        if (r == 0 && !wrapped) {
            sf_arch_free(s->ar);
            s->ar = NULL;
            wrapped = 1;
            continue;
        }
        if (r != 1) {
            rc = r == 0 ? sf_error_set(err, SF_ENOTFOUND, "docker-archive: no member %s", member)
                        : sf_error_set(err, r, "docker-archive: %s", ae.msg);
            break;
        }
        s->ar_pos++;
        if (!e.path || !member_match(e.path, member))
            continue;
        /* A sink's own failure is the sink's to report. */
        rc = sf_arch_stream(s->ar, sink, ctx, &ae);
        if (rc != SF_OK && ae.code != SF_OK)
            sf_error_set(err, rc, "docker-archive: %s", ae.msg);
        break;
    }
    if (rc != SF_OK && s->ar) {
        sf_arch_free(s->ar);
        s->ar = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ------------------------------------------------------------ registry */

static int reg_src(sf_imgsrc **out, sf_reg *reg, int own, const char *repo, const char *ref,
                   sf_error *err)
{
    sf_imgsrc *s = NULL;
    char name[1024];
    snprintf(name, sizeof name, "%s/%s%s%s", sf_reg_host(reg), repo,
             strchr(ref, ':') ? "@" : ":", ref);
    if (src_new(&s, SRC_REGISTRY, name) != SF_OK || !(s->repo = strdup(repo)) ||
        !(s->ref = strdup(ref))) {
        sf_imgsrc_free(s);
        if (own)
            sf_reg_free(reg);
        return sf_error_set(err, SF_ENOMEM, "out of memory");
    }
    s->reg = reg;
    s->own_reg = own;
    *out = s;
    return SF_OK;
}

int sf_imgsrc_registry(sf_imgsrc **out, sf_reg *reg, const char *repo, const char *ref,
                       sf_error *err)
{
    *out = NULL;
    return reg_src(out, reg, 0, repo, ref, err);
}

static int open_registry(sf_imgsrc **out, const char *ref, int insecure,
                         const sf_reg_opts *tmpl, sf_error *err)
{
    char host[256], repo[512], tag[256], url[300];
    int rc = sf_imgsrc_parse_ref(ref, host, sizeof host, repo, sizeof repo, tag, sizeof tag, err);
    if (rc != SF_OK)
        return rc;
    int local = strncmp(host, "localhost", 9) == 0 || strncmp(host, "127.", 4) == 0 ||
                strncmp(host, "[::1]", 5) == 0;
    snprintf(url, sizeof url, "%s://%s", insecure || local ? "http" : "https", host);
    sf_reg_opts o;
    memset(&o, 0, sizeof o);
    if (tmpl)
        o = *tmpl;
    o.url = url;
    o.insecure = insecure || local;
    o.max_retries = -1;
    o.docker_config = getenv("DOCKER_CONFIG_FILE");
    sf_reg *reg = NULL;
    if ((rc = sf_reg_new(&reg, &o, err)) != SF_OK)
        return rc;
    return reg_src(out, reg, 1, repo, tag, err);
}

/* ------------------------------------------------------------ dispatch */

int sf_imgsrc_open(sf_imgsrc **out, const char *ref, int insecure, sf_error *err)
{
    return sf_imgsrc_open_with(out, ref, insecure, NULL, err);
}

int sf_imgsrc_open_with(sf_imgsrc **out, const char *ref, int insecure, const sf_reg_opts *tmpl,
                        sf_error *err)
{
    *out = NULL;
    if (strncmp(ref, "oci:", 4) == 0)
        return open_oci(out, ref + 4, err);
    if (strncmp(ref, "docker-archive:", 15) == 0)
        return open_archive(out, ref + 15, err);
    return open_registry(out, ref, insecure, tmpl, err);
}

int sf_imgsrc_root(sf_imgsrc *s, sf_buf *body, char *mt, size_t mtlen,
                   char digest[SF_DIGEST_MAX], sf_error *err)
{
    if (mtlen)
        mt[0] = '\0';
    switch (s->kind) {
    case SRC_REGISTRY:
        return sf_reg_get_manifest(s->reg, s->repo, s->ref, body, mt, mtlen, digest, err);
    case SRC_OCI:
        return oci_root(s, body, mt, mtlen, digest, err);
    case SRC_ARCHIVE:
        snprintf(mt, mtlen, "%s", SF_MT_OCI_MANIFEST);
        /* The image's identity is its config digest (docker's image ID). */
        snprintf(digest, SF_DIGEST_MAX, "%s", s->config_digest);
        return sf_buf_append(body, s->synth.data, s->synth.len);
    }
    return SF_EINTERNAL;
}

int sf_imgsrc_manifest(sf_imgsrc *s, const char *digest, sf_buf *body, char *mt, size_t mtlen,
                       sf_error *err)
{
    if (mtlen)
        mt[0] = '\0';
    if (s->kind == SRC_REGISTRY) {
        char got[SF_DIGEST_MAX];
        return sf_reg_get_manifest(s->reg, s->repo, digest, body, mt, mtlen, got, err);
    }
    if (s->kind == SRC_ARCHIVE)
        return sf_error_set(err, SF_ENOTFOUND, "docker-archive: no manifest %s", digest);
    return small_verified(s, digest, body, err);
}

int sf_imgsrc_small_blob(sf_imgsrc *s, const char *digest, sf_buf *out, sf_error *err)
{
    return small_verified(s, digest, out, err);
}

int sf_imgsrc_blob_sized(sf_imgsrc *s, const char *digest, uint64_t size, sf_sink_fn sink,
                         void *ctx, sf_error *err)
{
    /* Local sources (OCI layouts, archives) are the user's own files. */
    if (s->kind == SRC_REGISTRY)
        return sf_reg_get_blob_sized(s->reg, s->repo, digest, size, sink, ctx, err);
    return sf_imgsrc_blob(s, digest, sink, ctx, err);
}

int sf_imgsrc_blob(sf_imgsrc *s, const char *digest, sf_sink_fn sink, void *ctx, sf_error *err)
{
    switch (s->kind) {
    case SRC_REGISTRY:
        return sf_reg_get_blob(s->reg, s->repo, digest, sink, ctx, err);
    case SRC_OCI:
        return oci_blob(s, digest, sink, ctx, err);
    case SRC_ARCHIVE:
        return archive_blob(s, digest, sink, ctx, err);
    }
    return SF_EINTERNAL;
}
