/*
 * secdb: Alpine secdb JSON -> vdb builder records (see secdb.h).
 *
 * secfixes maps a fixed version to the ids it fixes; matching needs the
 * inverse (id -> every fixed version), so each package's pairs are first
 * collected, sorted by id and then emitted one record per id.
 */
#include "vuln/secdb.h"
#include "base/array.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One (id, fixed version) pair of a package. */
typedef struct pair {
    char id[64];
    char alias[3][64]; /* other tokens of the same string ("XSA-297") */
    int nalias;
    const char *fixed; /* borrowed from the JSON document */
} pair;

typedef struct pairs {
    pair *v;
    size_t n, cap;
} pairs;

static pair *pairs_push(pairs *p)
{
    return SF_ARRAY_PUSH(p->v, p->cap, p->n, 32, 1000000);
}

/* Split an id string ("CVE-2018-12126  XSA-297", "CVE 2018-16859",
 * "CVE-2018-14461 (LDP)") into normalised tokens. */
static int tokenize(sf_vdb_builder *b, const char *s, char tok[8][64], int *ntok)
{
    char buf[512];
    size_t n = 0;
    int depth = 0, dirty = 0;
    for (const char *p = s; *p && n < sizeof buf - 1; p++) {
        /* Parenthesised remarks are commentary, not ids. */
        if (*p == '(') {
            depth++;
            dirty = 1;
        } else if (*p == ')' && depth) {
            depth--;
        } else if (!depth) {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
    *ntok = 0;
    /* Tokens separated by blanks, commas or semicolons. */
    char *spans[16];
    int nspan = 0;
    for (char *p = buf; *p && nspan < 16;) {
        while (*p && strchr(" \t,;", *p))
            *p++ = '\0';
        if (!*p)
            break;
        spans[nspan++] = p;
        while (*p && !strchr(" \t,;", *p))
            p++;
    }
    for (int i = 0; i < nspan && *ntok < 8; i++) {
        char joined[128];
        const char *t = spans[i];
        /* "CVE 2018-16859": the number came as its own token. */
        if (strcasecmp(t, "CVE") == 0 && i + 1 < nspan && isdigit((unsigned char)*spans[i + 1])) {
            snprintf(joined, sizeof joined, "CVE-%s", spans[++i]);
            t = joined;
            dirty = 1;
        }
        int r = sf_vdb_normalize_id(t, strlen(t), tok[*ntok], 64);
        if (r < 0) {
            sf_vdb_builder_skip(b, "secdb: id token dropped (not an id)", 1);
        } else {
            dirty |= r;
            (*ntok)++;
        }
    }
    if (dirty)
        sf_vdb_builder_skip(b, "dirty id normalised", 1);
    return *ntok;
}

/* Record the pairs of one secfixes id string under fixed version key. */
static int collect(sf_vdb_builder *b, pairs *ps, const char *s, const char *key)
{
    char tok[8][64];
    int ntok = 0;
    if (tokenize(b, s, tok, &ntok) == 0)
        return SF_OK;
    int ncve = 0;
    for (int i = 0; i < ntok; i++)
        ncve += strncmp(tok[i], "CVE-", 4) == 0;
    /* One CVE (or none): one flaw, the other tokens are its aliases.
     * Several CVEs ("CVE-2017-5753 CVE-2017-5715 XSA-254"): each its own. */
    int grouped = ncve <= 1;
    int primary = 0;
    for (int i = 0; i < ntok; i++)
        if (strncmp(tok[i], "CVE-", 4) == 0)
            primary = i;
    for (int i = 0; i < ntok; i++) {
        if (grouped && i != primary)
            continue;
        pair *p = pairs_push(ps);
        if (!p)
            return SF_ENOMEM;
        memcpy(p->id, tok[i], 64);
        p->fixed = key;
        for (int j = 0; grouped && j < ntok && p->nalias < 3; j++)
            if (j != primary)
                memcpy(p->alias[p->nalias++], tok[j], 64);
    }
    return SF_OK;
}

static int pair_cmp(const void *a, const void *b)
{
    return strcmp(((const pair *)a)->id, ((const pair *)b)->id);
}

/* Emit one record per id of one package. */
static int emit(sf_vdb_builder *b, pairs *ps, const char *eco, const char *name)
{
    if (ps->n)
        qsort(ps->v, ps->n, sizeof *ps->v, pair_cmp);
    for (size_t i = 0; i < ps->n;) {
        size_t j = i;
        int zero = 0;
        while (j < ps->n && strcmp(ps->v[j].id, ps->v[i].id) == 0)
            zero |= strcmp(ps->v[j++].fixed, "0") == 0;
        if (zero) {
            sf_vdb_builder_skip(b, "secdb: not affected in this branch (\"0\")", 1);
            i = j;
            continue;
        }
        int rc = sf_vdb_rec_begin(b, ps->v[i].id);
        for (size_t k = i; !rc && k < j; k++)
            for (int a = 0; !rc && a < ps->v[k].nalias; a++)
                rc = sf_vdb_rec_alias(b, ps->v[k].alias[a]);
        if (!rc && sf_vdb_rec_affected(b, eco, name) == SF_OK) {
            rc = sf_vdb_rec_range(b, SF_VRNG_ALLBELOW);
            for (size_t k = i; !rc && k < j; k++)
                rc = sf_vdb_rec_event(b, SF_VEV_FIXED, ps->v[k].fixed);
        }
        if (!rc)
            rc = sf_vdb_rec_commit(b);
        if (rc) {
            sf_vdb_rec_abort(b);
            return rc;
        }
        i = j;
    }
    return SF_OK;
}

static int import_pkg(sf_vdb_builder *b, const json_t *pkg, const char *eco)
{
    const json_t *jn = json_object_get(pkg, "name");
    const json_t *fixes = json_object_get(pkg, "secfixes");
    if (!json_is_string(jn) || !json_string_length(jn)) {
        sf_vdb_builder_skip(b, "secdb: package without name", 1);
        return SF_OK;
    }
    if (!json_is_object(fixes)) {
        if (!json_is_null(fixes) && fixes)
            sf_vdb_builder_skip(b, "secdb: secfixes is not an object", 1);
        return SF_OK;
    }
    pairs ps = {0};
    int rc = SF_OK;
    const char *key;
    const json_t *ids;
    json_object_foreach((json_t *)fixes, key, ids)
    {
        if (!json_is_array(ids)) {
            sf_vdb_builder_skip(b, "secdb: secfixes entry is not a list", 1);
            continue;
        }
        if (!*key) {
            sf_vdb_builder_skip(b, "secdb: empty fixed version", 1);
            continue;
        }
        size_t i;
        const json_t *id;
        json_array_foreach(ids, i, id)
        {
            if (!json_is_string(id)) {
                sf_vdb_builder_skip(b, "secdb: id is not a string", 1);
                continue;
            }
            if ((rc = collect(b, &ps, json_string_value(id), key)))
                goto done;
        }
    }
    rc = emit(b, &ps, eco, json_string_value(jn));
done:
    free(ps.v);
    return rc;
}

/* "v3.10" from the document, else from a "3.10/" or "v3.10/" path part. */
static int release_of(const json_t *doc, const char *name, char *eco, size_t ecolen)
{
    const json_t *dv = json_object_get(doc, "distroversion");
    if (json_is_string(dv) && json_string_length(dv) > 0 && json_string_length(dv) < 32) {
        const char *s = json_string_value(dv);
        snprintf(eco, ecolen, "Alpine:%s%s", *s == 'v' || strcmp(s, "edge") == 0 ? "" : "v", s);
        return 0;
    }
    for (const char *p = name ? name : ""; *p; p++) {
        if (p != name && p[-1] != '/')
            continue;
        const char *q = *p == 'v' ? p + 1 : p;
        int maj = 0, min = 0, used = 0;
        if (sscanf(q, "%3d.%3d/%n", &maj, &min, &used) == 2 && used > 0) {
            snprintf(eco, ecolen, "Alpine:v%d.%d", maj, min);
            return 0;
        }
    }
    return -1;
}

int sf_secdb_import_json(sf_vdb_builder *b, json_t *doc, const char *name)
{
    char eco[64];
    if (release_of(doc, name, eco, sizeof eco)) {
        sf_vdb_builder_skip(b, "secdb: unknown Alpine release (no distroversion)", 1);
        return SF_OK;
    }
    const json_t *pkgs = json_object_get(doc, "packages");
    if (!json_is_array(pkgs)) {
        /* vuln-list layout: the document is one package. */
        if (json_object_get(doc, "secfixes"))
            return import_pkg(b, doc, eco);
        if (!json_is_null(pkgs))
            sf_vdb_builder_skip(b, "secdb: no packages", 1);
        return SF_OK;
    }
    size_t i;
    const json_t *p;
    json_array_foreach(pkgs, i, p)
    {
        const json_t *pkg = json_object_get(p, "pkg");
        if (!json_is_object(pkg)) {
            sf_vdb_builder_skip(b, "secdb: packages entry without pkg", 1);
            continue;
        }
        int rc = import_pkg(b, pkg, eco);
        if (rc)
            return rc;
    }
    return SF_OK;
}

int sf_secdb_import(sf_vdb_builder *b, const char *data, size_t len, const char *name)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr);
    if (!doc) {
        sf_vdb_builder_skip(b, "secdb: invalid JSON", 1);
        return SF_OK;
    }
    int rc = json_is_object(doc) ? sf_secdb_import_json(b, doc, name) : SF_OK;
    if (!json_is_object(doc))
        sf_vdb_builder_skip(b, "secdb: document is not an object", 1);
    json_decref(doc);
    return rc;
}
