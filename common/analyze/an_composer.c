/*
 * an_composer: PHP packages installed by Composer, from the record it
 * keeps of the vendor directory: <vendor-dir>/composer/installed.json.
 *
 * Two layouts: Composer 1.x writes a top-level array of package objects;
 * Composer 2.x writes {"packages": [...], "dev": bool,
 * "dev-package-names": [...]}. Each package object has "name"
 * ("vendor/package") and "version" as the package's tag ("v5.4.2",
 * "1.2.3", "dev-main"), plus "version_normalized" ("5.4.2.0").
 *
 * Reported (type SF_PT_COMPOSER, ecosystem Packagist): every package in
 * the file, dev packages included (installed.json lists what is on disk;
 * a dev tool installed in an image is code that can be reached, as
 * phpunit's eval-stdin.php was). Names are lower-cased (Packagist names
 * are case-insensitive and OSV records spell them lower-case); a leading
 * "v"/"V" before a digit is stripped from the version, since OSV
 * Packagist ranges are written without it ("v5.4.2" -> "5.4.2"); branch
 * versions ("dev-main") are kept as written. License: the "license"
 * array joined with " OR " (Composer's meaning of several licenses).
 *
 * Which files: a file named installed.json in a folder named "composer"
 * (the vendor folder's name is configurable, that one is not).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/json.h"
#include "base/buf.h"
#include "base/limits.h"

static int composer_wants(const sf_entry *e)
{
    static const char tail[] = "composer/installed.json";
    size_t n = strlen(e->path), tl = sizeof tail - 1;
    return sf_an_is_regular(e) && n >= tl && memcmp(e->path + n - tl, tail, tl) == 0 &&
           (n == tl || e->path[n - tl - 1] == '/');
}

/* "license": ["MIT", "GPL-2.0-or-later"] -> "MIT OR GPL-2.0-or-later". */
static void set_license(const json_t *lic, sf_pkg *p)
{
    char buf[SF_AN_FIELD_MAX + 1];
    size_t o = 0;
    if (json_is_string(lic)) {
        if (sf_an_dup_field(&p->license, json_string_value(lic), json_string_length(lic)) != SF_OK)
            p->license = NULL;
        return;
    }
    for (size_t i = 0; json_is_array(lic) && i < json_array_size(lic); i++) {
        const json_t *s = json_array_get(lic, i);
        size_t sl = json_is_string(s) ? json_string_length(s) : 0;
        if (!sl)
            continue;
        if (o + sl + 4 > SF_AN_FIELD_MAX)
            break;
        if (o)
            memcpy(buf + o, " OR ", 4), o += 4;
        memcpy(buf + o, json_string_value(s), sl);
        o += sl;
    }
    if (o && sf_an_dup_field(&p->license, buf, o) != SF_OK)
        p->license = NULL; /* an unusable license does not lose the package */
}

/* Build the package of one entry: SF_OK, SF_EPARSE (unusable), SF_ENOMEM. */
static int build_pkg(const json_t *ent, sf_pkg *p)
{
    const json_t *name = json_object_get(ent, "name"), *ver = json_object_get(ent, "version");
    memset(p, 0, sizeof *p);
    p->type = SF_PT_COMPOSER;
    p->layer = -1;
    if (!json_is_object(ent) || !json_is_string(name) || !json_is_string(ver))
        return SF_EPARSE;
    const char *v = json_string_value(ver);
    size_t vl = json_string_length(ver);
    if (vl >= 2 && (v[0] == 'v' || v[0] == 'V') && isdigit((unsigned char)v[1]))
        v++, vl--;
    int rc = sf_an_dup_field(&p->name, json_string_value(name), json_string_length(name));
    if (rc == SF_OK)
        rc = sf_an_dup_field(&p->version, v, vl);
    if (rc != SF_OK)
        return rc;
    if (!p->name || !p->version || !strchr(p->name, '/'))
        return SF_EPARSE; /* every Packagist name is "vendor/package" */
    for (char *c = p->name; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    set_license(json_object_get(ent, "license"), p);
    return SF_OK;
}

int sf_an_composer_parse_json(const char *text, size_t len, sf_inv_source *src, sf_error *err)
{
    json_t *root = NULL;
    size_t skipped = 0;
    const char *what = src->path ? src->path : "installed.json";
    int rc = sf_jutil_load(&root, text, len, SF_LIM_META_FILE_BYTES, what, err);
    if (rc != SF_OK)
        return rc;
    const json_t *pkgs = json_is_array(root) ? root : json_object_get(root, "packages");
    if (!json_is_array(pkgs)) {
        rc = sf_error_set(err, SF_EPARSE, "%s: neither a package array (Composer 1) nor an object "
                          "with \"packages\" (Composer 2)", what);
        goto done;
    }
    src->status = SF_SRC_PARSED;
    for (size_t i = 0; i < json_array_size(pkgs) && rc == SF_OK; i++) {
        sf_pkg p;
        int brc = build_pkg(json_array_get(pkgs, i), &p);
        rc = sf_an_take_built(src, brc, &p, &skipped, err);
    }
    if (rc == SF_OK)
        rc = sf_an_note_skipped(src, skipped, "package entry", err);
done:
    json_decref(root);
    return rc;
}

static int composer_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                          sf_error *err)
{
    (void)e;
    return sf_an_composer_parse_json((const char *)data, len, src, err);
}

const sf_analyzer sf_an_composer = {
    .name = "composer",
    .version = 1,
    .max_bytes = SF_LIM_META_FILE_BYTES, /* ~2 KiB a package: 8 MiB is ~4000 packages */
    .wants = composer_wants,
    .sniff = NULL,
    .parse = composer_parse,
};
