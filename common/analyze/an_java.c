/*
 * an_java: Maven artifacts in Java archives (*.jar, *.war, *.ear), read
 * from memory through base/arch's zip reader (central directory, so
 * entries with data descriptors are read right).
 *
 * Identity, in order of trust:
 *  1. every META-INF/maven/<group>/<artifact>/pom.properties: groupId,
 *     artifactId, version -> name "group:artifact" (a shaded jar holds
 *     several: each bundled artifact is reported);
 *  2. when none of them is the archive's own (its file name is not
 *     "<artifactId>[-<version>...].jar": a shaded jar whose own pom was
 *     left out, or a renamed one), META-INF/MANIFEST.MF: name from
 *     Implementation-Vendor-Id + Implementation-Title ("v:t"), else
 *     Bundle-SymbolicName, else Implementation-Title; version from
 *     Implementation-Version, else Bundle-Version;
 *  3. else the file name "artifact-1.2.3.jar" -> "artifact", "1.2.3".
 * Names from 2 and 3 have no group, so they rarely match Maven advisories;
 * they still make the SBOM honest about what is there.
 *
 * Nested archives (WEB-INF/lib/x.jar, BOOT-INF/lib/x.jar, lib/x.jar in an
 * ear, any .jar entry) are read into memory and analysed the same way, to
 * SF_LIM_JAR_DEPTH levels, each capped by SF_LIM_JAR_INNER_BYTES and all
 * of them together by SF_LIM_JAR_TOTAL_BYTES. Their packages record the
 * path "outer.war!/WEB-INF/lib/inner.jar".
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/arch.h"
#include "base/buf.h"
#include "base/limits.h"

#define JAR_META_MAX SF_LIM_JAR_META_BYTES

typedef struct jar_ctx {
    sf_inv_source *src;
    sf_error *err;
    uint64_t nested_bytes; /* decompressed bytes of nested archives read so far */
    size_t skipped;        /* unusable metadata or unreadable nested archives */
} jar_ctx;

static int is_archive_name(const char *name)
{
    return sf_an_has_suffix(name, ".jar") || sf_an_has_suffix(name, ".war") ||
           sf_an_has_suffix(name, ".ear");
}

static int java_wants(const sf_entry *e)
{
    return sf_an_is_regular(e) && is_archive_name(e->path) && e->size >= 22; /* empty zip */
}

/* A zip, or a "fully executable" jar (Spring Boot): a launcher script
 * before the zip, which the central-directory reader handles. */
static int java_sniff(const sf_entry *e, const uint8_t *h, size_t n)
{
    (void)e;
    if (n >= 2 && h[0] == '#' && h[1] == '!')
        return 1;
    return n >= 4 && h[0] == 'P' && h[1] == 'K' && ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6));
}

/* Read the current entry (at most max bytes) into a new buffer:
 * SF_ELIMIT, SF_EPARSE or SF_ENOMEM as sf_arch_read. */
static int read_entry(sf_arch *ar, size_t max, uint8_t **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    /* A cap of 0 would be "no limit" to sf_buf: a spent budget reads nothing. */
    if (max == 0)
        return SF_ELIMIT;
    sf_buf b;
    sf_buf_init(&b, max);
    int rc = sf_arch_read(ar, &b, NULL);
    if (rc != SF_OK) {
        sf_buf_free(&b);
        return rc;
    }
    *out = (uint8_t *)sf_buf_steal(&b, outlen);
    if (!*out) {
        *out = malloc(1);
        if (!*out)
            return SF_ENOMEM;
    }
    return SF_OK;
}

/* Add a Maven package found in the archive at `where`. */
static int add_maven(jar_ctx *c, const char *group, size_t glen, const char *artifact, size_t alen,
                     const char *ver, size_t vlen, const char *where)
{
    sf_pkg p;
    sf_buf name;
    int rc;
    memset(&p, 0, sizeof p);
    p.type = SF_PT_MAVEN;
    p.layer = -1;
    sf_buf_init(&name, 2 * SF_AN_FIELD_MAX);
    rc = glen ? sf_buf_printf(&name, "%.*s:%.*s", (int)glen, group, (int)alen, artifact)
              : sf_buf_printf(&name, "%.*s", (int)alen, artifact);
    if (rc == SF_OK && (rc = sf_an_dup_field(&p.name, name.data, name.len)) == SF_OK)
        rc = sf_an_dup_field(&p.version, ver, vlen);
    sf_buf_free(&name);
    if (rc == SF_OK && where && !(p.path = strdup(where)))
        rc = SF_ENOMEM;
    if (rc != SF_OK || !p.name || !p.version) {
        sf_pkg_clear(&p);
        if (rc == SF_ENOMEM)
            return sf_error_set(c->err, rc, "out of memory");
        c->skipped++;
        return SF_OK;
    }
    return sf_an_take_pkg(c->src, &p, c->err);
}

/* Trimmed value of `key` in Java properties text ("k=v", "k: v"). */
static int prop_get(const uint8_t *d, size_t len, const char *key, const char **v, size_t *vlen)
{
    sf_an_lines r;
    const char *line;
    size_t n, kl = strlen(key);
    sf_an_lines_init(&r, d, len);
    while (sf_an_lines_next(&r, &line, &n)) {
        sf_an_trim(&line, &n);
        if (n <= kl || line[0] == '#' || line[0] == '!' || memcmp(line, key, kl) != 0)
            continue;
        const char *rest = line + kl;
        size_t rl = n - kl;
        sf_an_trim(&rest, &rl);
        if (rl == 0 || (rest[0] != '=' && rest[0] != ':'))
            continue;
        rest++, rl--;
        sf_an_trim(&rest, &rl);
        *v = rest;
        *vlen = rl;
        return 1;
    }
    return 0;
}

/* Whether the archive at `where` is named after this artifact: its file
 * name is "<artifact>.jar" or starts "<artifact>-<version>" (a classifier
 * may follow). A jar that holds only other artifacts' pom.properties is a
 * shaded one whose own pom was left out; it still gets an identity of its
 * own (scan_archive). */
static int names_archive(const char *where, const char *a, size_t al, const char *v, size_t vl)
{
    const char *base = sf_an_basename(where);
    size_t bl = strlen(base);
    if (bl < 4)
        return 0;
    bl -= 4; /* ".jar", ".war", ".ear" (is_archive_name) */
    if (bl < al || memcmp(base, a, al) != 0)
        return 0;
    if (bl == al)
        return 1;
    return bl >= al + 1 + vl && base[al] == '-' && memcmp(base + al + 1, v, vl) == 0;
}

static int parse_pom_properties(jar_ctx *c, const uint8_t *d, size_t len, const char *where,
                                int *owned)
{
    const char *g, *a, *v;
    size_t gl, al, vl;
    if (!prop_get(d, len, "groupId", &g, &gl) || !prop_get(d, len, "artifactId", &a, &al) ||
        !prop_get(d, len, "version", &v, &vl) || gl == 0 || al == 0) {
        c->skipped++;
        return SF_OK;
    }
    if (names_archive(where, a, al, v, vl))
        *owned = 1;
    return add_maven(c, g, gl, a, al, v, vl, where);
}

/* Main-section attribute of a manifest, joined over its 72-byte
 * continuation lines, into out (capped at SF_AN_FIELD_MAX). */
static int manifest_get(const uint8_t *d, size_t len, const char *key, char *out, size_t *olen)
{
    sf_an_lines r;
    const char *line;
    size_t n, kl = strlen(key);
    int in = 0;
    *olen = 0;
    sf_an_lines_init(&r, d, len);
    while (sf_an_lines_next(&r, &line, &n)) {
        if (n == 0)
            break; /* end of the main section */
        if (in) {
            if (line[0] != ' ')
                break;
            if (*olen + n - 1 > SF_AN_FIELD_MAX)
                return 0;
            memcpy(out + *olen, line + 1, n - 1);
            *olen += n - 1;
            continue;
        }
        if (n > kl + 1 && strncasecmp(line, key, kl) == 0 && line[kl] == ':') {
            const char *v = line + kl + 1;
            size_t vl = n - kl - 1;
            if (vl > 0 && v[0] == ' ')
                v++, vl--;
            if (vl > SF_AN_FIELD_MAX)
                return 0;
            memcpy(out, v, vl);
            *olen = vl;
            in = 1;
        }
    }
    return in;
}

/* Whether a pom.properties of the archive at `where` itself (not of a
 * nested one) already named artifact a: then a fallback identity "a" is
 * that package again, not the jar's own. */
static int level_has(const jar_ctx *c, const char *where, const char *a, size_t al)
{
    for (size_t i = 0; i < c->src->npkgs; i++) {
        const sf_pkg *p = &c->src->pkgs[i];
        if (!p->path || strcmp(p->path, where) != 0 || !p->name)
            continue;
        const char *colon = strrchr(p->name, ':');
        const char *art = colon ? colon + 1 : p->name;
        if (strlen(art) == al && memcmp(art, a, al) == 0)
            return 1;
    }
    return 0;
}

static int add_fallback(jar_ctx *c, const char *group, size_t glen, const char *artifact,
                        size_t alen, const char *ver, size_t vlen, const char *where)
{
    if (level_has(c, where, artifact, alen))
        return SF_OK;
    return add_maven(c, group, glen, artifact, alen, ver, vlen, where);
}

/* Identity from MANIFEST.MF, else from the archive's file name; nothing
 * when that names an artifact a pom.properties of this archive gave. */
static int fallback_identity(jar_ctx *c, const uint8_t *mf, size_t mflen, const char *where)
{
    char vendor[SF_AN_FIELD_MAX], title[SF_AN_FIELD_MAX], ver[SF_AN_FIELD_MAX];
    size_t vendl = 0, tl = 0, vl = 0;
    if (mf) {
        int has_vendor = manifest_get(mf, mflen, "Implementation-Vendor-Id", vendor, &vendl);
        if (!manifest_get(mf, mflen, "Implementation-Title", title, &tl) || !has_vendor)
            vendl = 0;
        if (vendl == 0 && manifest_get(mf, mflen, "Bundle-SymbolicName", title, &tl)) {
            const char *semi = memchr(title, ';', tl); /* ";singleton:=true" */
            if (semi)
                tl = (size_t)(semi - title);
        } else if (vendl == 0) {
            manifest_get(mf, mflen, "Implementation-Title", title, &tl);
        }
        if (!manifest_get(mf, mflen, "Implementation-Version", ver, &vl))
            manifest_get(mf, mflen, "Bundle-Version", ver, &vl);
        if (tl && vl)
            return add_fallback(c, vendor, vendl, title, tl, ver, vl, where);
    }
    /* "name-1.2.3.jar": the version starts at the last '-' before a digit */
    const char *base = sf_an_basename(where);
    size_t bl = strlen(base);
    if (bl <= 4)
        return SF_OK;
    bl -= 4;
    for (size_t i = bl; i-- > 1;) {
        if (base[i] == '-' && i + 1 < bl && base[i + 1] >= '0' && base[i + 1] <= '9')
            return add_fallback(c, NULL, 0, base, i, base + i + 1, bl - i - 1, where);
    }
    return SF_OK;
}

static int is_pom_properties(const char *name)
{
    return strncmp(name, "META-INF/maven/", 15) == 0 && sf_an_has_suffix(name, "/pom.properties");
}

static int scan_archive(jar_ctx *c, const uint8_t *data, size_t len, const char *where, int depth);

/* Read a nested archive entry and scan it. */
static int scan_nested(jar_ctx *c, sf_arch *ar, const char *name, const char *where, int depth)
{
    uint64_t left = SF_LIM_JAR_TOTAL_BYTES - c->nested_bytes;
    size_t cap = (size_t)(left < SF_LIM_JAR_INNER_BYTES ? left : SF_LIM_JAR_INNER_BYTES);
    uint8_t *inner = NULL;
    size_t ilen = 0;
    sf_buf w;
    int rc = read_entry(ar, cap, &inner, &ilen);
    if (rc == SF_ENOMEM)
        return sf_error_set(c->err, rc, "out of memory");
    if (rc != SF_OK) {
        c->skipped++;
        return SF_OK;
    }
    c->nested_bytes += ilen;
    sf_buf_init(&w, 4 * SF_LIM_PATH);
    if (sf_buf_printf(&w, "%s!/%s", where, name) != SF_OK || !sf_an_text_ok(w.data, w.len)) {
        c->skipped++;
    } else if ((rc = scan_archive(c, inner, ilen, w.data, depth + 1)) == SF_EPARSE) {
        c->skipped++; /* a corrupt inner jar does not spoil the outer one */
        rc = SF_OK;
    }
    sf_buf_free(&w);
    free(inner);
    return rc;
}

static int scan_archive(jar_ctx *c, const uint8_t *data, size_t len, const char *where, int depth)
{
    sf_arch *ar = NULL;
    sf_arch_entry ae;
    sf_error aerr = SF_ERROR_INIT;
    const sf_arch_opts o = {.formats = SF_ARCH_ZIP, .max_entries = SF_LIM_JAR_ENTRIES};
    uint8_t *mf = NULL, *buf = NULL;
    size_t mflen = 0, blen, poms = 0;
    int owned = 0; /* some pom.properties here is the archive's own */
    uint64_t entries = 0;
    int rc = sf_arch_open_mem(&ar, data, len, &o, &aerr), r;
    if (rc == SF_ENOMEM)
        return sf_error_set(c->err, rc, "out of memory");
    if (rc != SF_OK)
        return SF_EPARSE;
    while ((r = sf_arch_next(ar, &ae, &aerr)) == 1) {
        const char *name = ae.path;
        entries++;
        if (!name || !ae.regular)
            continue;
        if (is_pom_properties(name) || (!mf && strcmp(name, "META-INF/MANIFEST.MF") == 0)) {
            int rr = read_entry(ar, JAR_META_MAX, &buf, &blen);
            if (rr == SF_ENOMEM) {
                rc = sf_error_set(c->err, rr, "out of memory");
                goto done;
            }
            if (rr != SF_OK) {
                c->skipped++;
                continue;
            }
            if (is_pom_properties(name)) {
                poms++;
                rc = parse_pom_properties(c, buf, blen, where, &owned);
                free(buf);
                buf = NULL;
            } else {
                mf = buf, mflen = blen, buf = NULL;
            }
        } else if (is_archive_name(name) && depth < SF_LIM_JAR_DEPTH) {
            rc = scan_nested(c, ar, name, where, depth);
        }
        if (rc != SF_OK)
            goto done;
    }
    if (r == SF_ELIMIT) {
        rc = sf_error_set(c->err, r, "%s: %s", where, aerr.msg);
        goto done;
    }
    if (r < 0 && entries == 0) {
        rc = SF_EPARSE;
        goto done;
    }
    if (r < 0)
        c->skipped++; /* damaged after some entries: keep what was read */
    if (!owned)
        rc = fallback_identity(c, mf, mflen, where);
done:
    free(mf);
    free(buf);
    sf_arch_free(ar);
    return rc;
}

static int java_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                      sf_error *err)
{
    jar_ctx c = {src, err, 0, 0};
    src->status = SF_SRC_PARSED;
    int rc = scan_archive(&c, data, len, e->path, 0);
    if (rc == SF_EPARSE)
        return sf_error_set(err, rc, "%s: not a readable zip archive", e->path);
    if (rc == SF_OK && c.skipped &&
        sf_an_note(src, "%zu unreadable metadata file(s) or nested archive(s) skipped", c.skipped) != SF_OK)
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    return rc;
}

const sf_analyzer sf_an_java = {
    .name = "java",
    .version = 2, /* 2: a shaded jar without its own pom keeps its identity */
    .max_bytes = SF_LIM_FILE_BYTES, /* fat jars and wars reach ~100 MiB */
    .wants = java_wants,
    .sniff = java_sniff,
    .parse = java_parse,
};
