/*
 * an_python: installed Python distributions from their core metadata:
 * <name>.dist-info/METADATA (wheels, pip), <name>.egg-info/PKG-INFO
 * (setuptools) and a bare <name>.egg-info file (old distutils installs).
 *
 * The metadata is RFC822 headers then an optional body (the long
 * description) after the first blank line; only the headers are read.
 * Name and Version are kept exactly as written (PEP 503 normalisation is
 * the matcher's business); License, or License-Expression (metadata 2.4)
 * when License is absent.
 */
#include <stdlib.h>
#include <string.h>

#include "analyze/an_util.h"
#include "base/buf.h"
#include "base/limits.h"

/* 1 when the folder holding path's last component ends with suffix. */
static int parent_has_suffix(const char *path, const char *base, const char *suffix)
{
    size_t sl = strlen(suffix);
    if (base == path)
        return 0;
    size_t dlen = (size_t)(base - 1 - path); /* folder path without the '/' */
    return dlen > sl && memcmp(base - 1 - sl, suffix, sl) == 0;
}

static int python_wants(const sf_entry *e)
{
    if (!sf_an_is_regular(e))
        return 0;
    const char *base = sf_an_basename(e->path);
    if (strcmp(base, "METADATA") == 0)
        return parent_has_suffix(e->path, base, ".dist-info");
    if (strcmp(base, "PKG-INFO") == 0)
        return parent_has_suffix(e->path, base, ".egg-info");
    return sf_an_has_suffix(base, ".egg-info") && base[0] != '.' && strlen(base) > 9;
}

static int python_parse(const sf_entry *e, const uint8_t *data, size_t len, sf_inv_source *src,
                        sf_error *err)
{
    sf_an_lines r;
    sf_an_field f, name = {0}, version = {0}, license = {0}, expr = {0};
    sf_pkg p;
    if (len > SF_LIM_META_FILE_BYTES)
        return sf_error_set(err, SF_ELIMIT, "%s: %zu bytes is too big for metadata", e->path, len);
    sf_an_lines_init(&r, data, len);
    /* The headers end at the first blank line; the body is free text. */
    while (sf_an_field_next(&r, &f)) {
        if (sf_an_key_is(&f, "Name") && !name.key)
            name = f;
        else if (sf_an_key_is(&f, "Version") && !version.key)
            version = f;
        else if (sf_an_key_is(&f, "License") && !license.key)
            license = f;
        else if (sf_an_key_is(&f, "License-Expression") && !expr.key)
            expr = f;
    }
    int rc = sf_an_named_pkg(&p, SF_PT_PYPI, name.val, name.vlen, version.val, version.vlen);
    if (rc != SF_OK && rc != SF_ENOMEM)
        rc = sf_error_set(err, SF_EPARSE, "%s: no valid Name and Version header", e->path);
    const sf_an_field *lic = license.key && license.vlen ? &license : &expr;
    if (rc == SF_OK && lic->key && sf_an_dup_field(&p.license, lic->val, lic->vlen) != SF_OK)
        p.license = NULL; /* an unusable license does not lose the package */
    return sf_an_take_single(src, rc, &p, err);
}

const sf_analyzer sf_an_python = {
    .name = "python",
    .version = 1,
    .max_bytes = SF_LIM_META_FILE_BYTES, /* METADATA holds the README: tens of KiB, rarely MiBs */
    .wants = python_wants,
    .sniff = NULL,
    .parse = python_parse,
};
