/*
 * an_npm: npm packages from installed node_modules trees and lockfiles.
 *
 * Installed: node_modules/<name>/package.json and
 * node_modules/@scope/<name>/package.json at any depth (nested
 * node_modules included); each file is one source holding that one
 * package (name and version as written, license when a string). Other
 * package.json files (a project's own, or ones deep inside a package such
 * as lib/package.json) are not packages and are not read.
 *
 * Lockfiles: package-lock.json and npm-shrinkwrap.json (lockfileVersion
 * 1: the nested "dependencies" map; 2 and 3: the "packages" map keyed by
 * install path, which wins when both exist) and yarn.lock (classic v1
 * and berry). Dev-only entries ("dev": true) are left out, as they are
 * usually not installed in an image; links and the root entry are not
 * packages. Lockfiles inside node_modules (a dependency's own, and npm's
 * hidden node_modules/.package-lock.json cache) are not read: they never
 * describe what is installed better than the package.json files there.
 *
 * Reconciling the two: a lockfile lists what *would* be installed, the
 * package.json files what *is*. Both are reported as separate sources;
 * the assembler keeps a lockfile's packages only when no installed
 * package exists below its directory's node_modules in the final image
 * (sf_an_npm_lock_shadowed() answers that per path pair). So an image
 * with node_modules reports exactly the installed tree, and one that
 * ships only a lockfile still gets its dependencies matched.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

#define NM "node_modules/"

/* 1 when path (normalised) has a component "node_modules". */
static int under_node_modules(const char *path)
{
    return strncmp(path, NM, sizeof NM - 1) == 0 || strstr(path, "/" NM) != NULL;
}

/* 1 for node_modules/<name>/package.json and node_modules/@s/<name>/package.json. */
static int is_installed_manifest(const char *path)
{
    size_t n = strlen(path);
    static const char pj[] = "/package.json";
    if (n < sizeof pj || strcmp(path + n - (sizeof pj - 1), pj) != 0)
        return 0;
    const char *end = path + n - (sizeof pj - 1); /* the '/' before package.json */
    const char *name = end;
    while (name > path && name[-1] != '/')
        name--;
    if (name == end || name[0] == '.')
        return 0;
    const char *parent_end = name - 1; /* '/' or before path */
    if (parent_end <= path)
        return 0;
    const char *parent = parent_end;
    while (parent > path && parent[-1] != '/')
        parent--;
    size_t plen = (size_t)(parent_end - parent);
    if (plen == 12 && memcmp(parent, "node_modules", 12) == 0)
        return name[0] != '@'; /* a scope folder is not a package */
    if (plen < 2 || parent[0] != '@' || parent == path)
        return 0;
    const char *gp_end = parent - 1, *gp = gp_end;
    while (gp > path && gp[-1] != '/')
        gp--;
    return (size_t)(gp_end - gp) == 12 && memcmp(gp, "node_modules", 12) == 0;
}

static int is_lockfile_name(const char *base)
{
    return strcmp(base, "package-lock.json") == 0 || strcmp(base, "npm-shrinkwrap.json") == 0 ||
           strcmp(base, "yarn.lock") == 0;
}

int sf_an_npm_is_lockfile(const char *path)
{
    return is_lockfile_name(sf_an_basename(path)) && !under_node_modules(path);
}

int sf_an_npm_lock_shadowed(const char *lock_path, const char *installed_path)
{
    const char *base = sf_an_basename(lock_path);
    size_t dlen = (size_t)(base - lock_path); /* directory with its '/', or 0 at the root */
    return strncmp(installed_path, lock_path, dlen) == 0 &&
           strncmp(installed_path + dlen, NM, sizeof NM - 1) == 0 && is_installed_manifest(installed_path);
}

static int npm_wants(const sf_entry *e)
{
    if (!sf_an_is_regular(e))
        return 0;
    return is_installed_manifest(e->path) || sf_an_npm_is_lockfile(e->path);
}

/* Build and add one package; *skipped counts unusable ones. */
static int add_npm(sf_inv_source *src, const char *name, size_t nlen, const char *version,
                   size_t vlen, json_t *license, size_t *skipped, sf_error *err)
{
    sf_pkg p;
    int rc = sf_an_named_pkg(&p, SF_PT_NPM, name, nlen, version, vlen);
    if (rc == SF_OK && json_is_object(license))
        license = json_object_get(license, "type");
    if (rc == SF_OK && json_is_string(license) &&
        sf_an_dup_field(&p.license, json_string_value(license), json_string_length(license)) != SF_OK)
        p.license = NULL;
    return sf_an_take_built(src, rc, &p, skipped, err);
}

static int parse_manifest(json_t *root, sf_inv_source *src, size_t *skipped, sf_error *err)
{
    json_t *name = json_object_get(root, "name"), *version = json_object_get(root, "version");
    if (!json_is_string(name) || !json_is_string(version)) {
        (*skipped)++;
        return SF_OK;
    }
    json_t *lic = json_object_get(root, "license");
    return add_npm(src, json_string_value(name), json_string_length(name), json_string_value(version),
                   json_string_length(version), lic, skipped, err);
}

/* v2/v3 "packages": keys "node_modules/a/node_modules/@s/b". */
static int parse_lock_packages(json_t *pkgs, sf_inv_source *src, size_t *skipped, sf_error *err)
{
    const char *key;
    json_t *ent;
    json_object_foreach(pkgs, key, ent) {
        if (!json_is_object(ent) || key[0] == '\0')
            continue; /* "" is the project itself */
        const char *nm = NULL;
        for (const char *p = strstr(key, NM); p; p = strstr(p + 1, NM))
            if (p == key || p[-1] == '/')
                nm = p;
        if (!nm)
            continue; /* a workspace folder: the project's own code */
        if (json_is_true(json_object_get(ent, "link")) || json_is_true(json_object_get(ent, "dev")))
            continue;
        json_t *ver = json_object_get(ent, "version");
        json_t *nm_field = json_object_get(ent, "name"); /* aliases: the real name */
        const char *name = nm + sizeof NM - 1;
        size_t nlen = strlen(name);
        if (json_is_string(nm_field)) {
            name = json_string_value(nm_field);
            nlen = json_string_length(nm_field);
        }
        if (!json_is_string(ver)) {
            (*skipped)++;
            continue;
        }
        int rc = add_npm(src, name, nlen, json_string_value(ver), json_string_length(ver),
                         json_object_get(ent, "license"), skipped, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

/* v1 "dependencies": {name: {version, dev, dependencies: {...}}}. */
static int parse_lock_deps(json_t *deps, int depth, sf_inv_source *src, size_t *skipped, sf_error *err)
{
    if (depth > SF_LIM_JSON_DEPTH)
        return sf_error_set(err, SF_ELIMIT, "%s: dependencies nested deeper than %d", src->path,
                            SF_LIM_JSON_DEPTH);
    const char *name;
    json_t *ent;
    json_object_foreach(deps, name, ent) {
        if (!json_is_object(ent) || json_is_true(json_object_get(ent, "dev")))
            continue;
        json_t *ver = json_object_get(ent, "version");
        int rc = SF_OK;
        if (json_is_string(ver))
            rc = add_npm(src, name, strlen(name), json_string_value(ver), json_string_length(ver), NULL,
                         skipped, err);
        else
            (*skipped)++;
        json_t *sub = json_object_get(ent, "dependencies");
        if (rc == SF_OK && json_is_object(sub))
            rc = parse_lock_deps(sub, depth + 1, src, skipped, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}


/* Strip one pair of surrounding double quotes. */
static void unquote(const char **s, size_t *n)
{
    sf_an_trim(s, n);
    if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"') {
        (*s)++;
        *n -= 2;
    }
}

/*
 * yarn.lock, classic ("name@range, name@range2:" then '  version "x"')
 * and berry ('"name@npm:range":' then "  version: x"). Blocks of local
 * workspaces, links and portals are the project's own code; __metadata is
 * not a package.
 */
int sf_an_npm_parse_yarn(const uint8_t *data, size_t len, sf_inv_source *src, size_t *skipped,
                         sf_error *err)
{
    sf_an_lines r;
    const char *line, *name = NULL;
    size_t n, nlen = 0;
    int in_block = 0;
    sf_an_lines_init(&r, data, len);
    while (sf_an_lines_next(&r, &line, &n)) {
        if (n == 0 || line[0] == '#')
            continue;
        if (line[0] != ' ') {
            in_block = 0;
            if (line[n - 1] != ':')
                continue;
            const char *spec = line;
            const char *comma = memchr(line, ',', n - 1);
            size_t slen = comma ? (size_t)(comma - line) : n - 1;
            unquote(&spec, &slen);
            const char *at = slen > 1 ? memrchr(spec + 1, '@', slen - 1) : NULL;
            if (!at || memmem(spec, slen, "@workspace:", 11) || memmem(spec, slen, "@link:", 6) ||
                memmem(spec, slen, "@portal:", 8))
                continue;
            name = spec;
            nlen = (size_t)(at - spec);
            in_block = 1;
            continue;
        }
        if (!in_block || n < 10 || memcmp(line, "  version", 9) != 0 || (line[9] != ':' && line[9] != ' '))
            continue;
        const char *v = line + 9;
        size_t vlen = n - 9;
        if (vlen > 0 && v[0] == ':')
            v++, vlen--;
        unquote(&v, &vlen);
        in_block = 0; /* one version per block */
        int rc = add_npm(src, name, nlen, v, vlen, NULL, skipped, err);
        if (rc != SF_OK)
            return rc;
    }
    return SF_OK;
}

static int npm_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                     sf_error *err)
{
    size_t skipped = 0;
    int rc;
    json_t *root = NULL;
    if (len > SF_LIM_META_FILE_BYTES)
        return sf_error_set(err, SF_ELIMIT, "%s: %zu bytes is too big for npm metadata", e->path, len);
    src->status = SF_SRC_PARSED;
    if (strcmp(sf_an_basename(e->path), "yarn.lock") == 0) {
        rc = sf_an_npm_parse_yarn(data, len, src, &skipped, err);
        goto done;
    }
    json_error_t jerr;
    root = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        rc = sf_error_set(err, SF_EPARSE, "%s: invalid JSON: %s (line %d)", e->path,
                          root ? "not an object" : jerr.text, jerr.line);
        goto done;
    }
    if (is_installed_manifest(e->path)) {
        rc = parse_manifest(root, src, &skipped, err);
    } else if (json_is_object(json_object_get(root, "packages"))) {
        rc = parse_lock_packages(json_object_get(root, "packages"), src, &skipped, err);
    } else if (json_is_object(json_object_get(root, "dependencies"))) {
        rc = parse_lock_deps(json_object_get(root, "dependencies"), 0, src, &skipped, err);
    } else {
        rc = SF_OK; /* a lockfile without dependencies */
    }
done:
    json_decref(root);
    if (rc == SF_OK && skipped && sf_an_note(src, "%zu entr%s without usable name/version skipped",
                                             skipped, skipped == 1 ? "y" : "ies") != SF_OK)
        rc = sf_error_set(err, SF_ENOMEM, "out of memory");
    return rc;
}

const sf_analyzer sf_an_npm = {
    .name = "npm",
    .version = 1,
    .max_bytes = SF_LIM_META_FILE_BYTES, /* package.json ~ KiBs; big lockfiles ~ 1-5 MiB */
    .wants = npm_wants,
    .sniff = NULL,
    .parse = npm_parse,
};
